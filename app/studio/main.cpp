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
#include <tuple>

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

// The command line, declared once: parsed before the GUI starts (so --help and --version need no
// display) and again by the application.
struct Options {
  QCommandLineParser parser;
  QCommandLineOption follow{"follow", "Show the training view following a run folder", "dir"};
  QCommandLineOption screenshot{
      "screenshot", "Save the window as a PNG after --screenshot-delay ms, then quit", "png"};
  QCommandLineOption delay{"screenshot-delay", "Milliseconds before --screenshot (8000)", "ms",
                           "8000"};
  QCommandLineOption tab{"view", "View to show first: sampling, training or ood", "name"};
  QCommandLineOption score{"score", "Score an image or folder in the OOD view (repeatable)",
                           "path"};
  QCommandLineOption compose{"compose",
                             "Attribute models: tick these concepts, NAME=VALUE[:WEIGHT],… as in "
                             "cdrl eval --compose",
                             "concepts"};

  Options() {
    parser.setApplicationDescription("CDRL Studio: sample and explore CDRL energy-based models");
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument("checkpoint",
                                 "Checkpoint to open: .safetensors, or the authors' .pth.tar "
                                 "(default: the bundled model)");
    parser.addOptions({follow, screenshot, delay, tab, score, compose});
  }
};

void setNames() {
  QCoreApplication::setApplicationName("cdrl-studio");
  QCoreApplication::setOrganizationName("cdrl");
  QCoreApplication::setApplicationVersion("0.1.0");
}

}  // namespace

int main(int argc, char** argv) {
  {
    // Without a display: --help, --version and bad options are answered here (process() exits).
    QCoreApplication console(argc, argv);
    setNames();
    Options options;
    options.parser.process(console);
  }
  QApplication app(argc, argv);
  setNames();
  Options options;
  QCommandLineParser& parser = options.parser;
  const auto& [follow, screenshot, delay, tab, score, compose] =
      std::tie(options.follow, options.screenshot, options.delay, options.tab, options.score,
               options.compose);
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
  if (parser.isSet(compose)) window.composeConcepts(parser.value(compose));
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
