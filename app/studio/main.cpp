// `cdrl-studio`: the desktop application. Opens the checkpoint given on the command line, else the
// bundled default model.
#include "device.h"
#include "main_window.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QFileInfo>

namespace {

// The bundled default: next to the installed program's share folder, else in the source tree.
QString defaultCheckpoint() {
  const QString app_dir = QCoreApplication::applicationDirPath();
  for (const QString& candidate :
       {app_dir + "/../share/cdrl-studio/models/fmnist-tiny.safetensors",
        QStringLiteral(CDRL_SOURCE_MODELS_DIR "/fmnist-tiny.safetensors")})
    if (QFileInfo::exists(candidate)) return QDir::cleanPath(candidate);
  return {};
}

}  // namespace

int main(int argc, char** argv) {
  QApplication app(argc, argv);
  QApplication::setApplicationName("cdrl-studio");
  QApplication::setOrganizationName("cdrl");
  QApplication::setApplicationVersion("0.1.0");
  QCommandLineParser parser;
  parser.setApplicationDescription("CDRL Studio: sample and explore CDRL energy-based models");
  parser.addHelpOption();
  parser.addVersionOption();
  parser.addPositionalArgument("checkpoint", "Checkpoint to open (default: the bundled model)");
  parser.process(app);
  cdrl::configureThreads();

  cdrl::studio::MainWindow window;
  window.show();
  const QStringList args = parser.positionalArguments();
  const QString path = args.isEmpty() ? defaultCheckpoint() : args.first();
  if (!path.isEmpty()) window.openCheckpoint(path);
  return app.exec();
}
