// `cdrl-studio`: the desktop application. Opens the checkpoint given on the command line, else the
// bundled default model.
#include "main_window.h"
#include "runtime/device.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QFileInfo>
#include <QTimer>

#include <cstdio>

namespace {

// The bundled models: next to the installed program's share folder, else in the source tree.
QString bundledModels() {
  const QString app_dir = QCoreApplication::applicationDirPath();
  for (const QString& candidate :
       {app_dir + "/../share/cdrl-studio/models", QStringLiteral(CDRL_SOURCE_MODELS_DIR)})
    if (QFileInfo::exists(candidate + "/fmnist-tiny.safetensors"))
      return QDir::cleanPath(candidate);
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
  const QCommandLineOption follow("follow", "Show the training view following a run folder", "dir");
  const QCommandLineOption screenshot(
      "screenshot", "Save the window as a PNG after --screenshot-delay ms, then quit", "png");
  const QCommandLineOption delay("screenshot-delay", "Milliseconds before --screenshot (8000)",
                                 "ms", "8000");
  const QCommandLineOption tab("view", "View to show first: sampling, training or ood", "name");
  const QCommandLineOption score("score", "Score an image or folder in the OOD view (repeatable)",
                                 "path");
  parser.addOptions({follow, screenshot, delay, tab, score});
  parser.process(app);
  cdrl::configureRuntime();

  cdrl::studio::MainWindow window;
  window.show();
  const QStringList args = parser.positionalArguments();
  const QString models = bundledModels();
  if (!models.isEmpty()) window.setExamples(models);
  const QString path = args.isEmpty()
                           ? (models.isEmpty() ? QString() : models + "/fmnist-tiny.safetensors")
                           : args.first();
  if (!path.isEmpty()) window.openCheckpoint(path);
  if (parser.isSet(tab) && !window.showView(parser.value(tab))) {
    std::fprintf(stderr, "--view: '%s' is not sampling, training or ood\n",
                 qPrintable(parser.value(tab)));
    return 2;
  }
  if (parser.isSet(follow)) window.followTrainingRun(parser.value(follow));
  if (parser.isSet(score)) window.scoreImages(parser.values(score));
  if (parser.isSet(screenshot)) {
    // For docs/screenshots: the window as it looks once the work started above has had time.
    QTimer::singleShot(parser.value(delay).toInt(), &window, [&] {
      const bool saved = window.grab().save(parser.value(screenshot), "PNG");
      if (!saved) std::fprintf(stderr, "cannot write %s\n", qPrintable(parser.value(screenshot)));
      app.exit(saved ? 0 : 1);
    });
  }
  return app.exec();
}
