// How long the studio's UI thread goes without processing events while the worker samples: a
// 1 ms timer on the UI thread records the gaps between its ticks during `--runs` samplings of the
// given checkpoint (default: the bundled model). Also the latency a user sees per re-sample: from
// the request to the first level on screen, and to the finished run (medians over the runs).
// Not a test: figures go to docs/benchmarks.md.
// The studio's default settings (16 samples, K = 15) are used, not the user's saved ones.
//   ui_stall [CHECKPOINT] [--runs 5]   (QT_QPA_PLATFORM=offscreen without a display)
#include "main_window.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTimer>

#include <algorithm>
#include <cstdio>
#include <vector>

int main(int argc, char** argv) {
  QApplication app(argc, argv);
  QCommandLineParser parser;
  parser.addPositionalArgument("checkpoint", "Checkpoint to sample");
  const QCommandLineOption runs("runs", "Samplings to time", "n", "5");
  parser.addOption(runs);
  parser.addHelpOption();
  parser.process(app);
  QStandardPaths::setTestModeEnabled(true);  // default settings, the user's left alone
  const QString checkpoint = parser.positionalArguments().value(
      0, QStringLiteral(CDRL_SOURCE_MODELS_DIR "/fmnist-tiny.safetensors"));

  cdrl::studio::MainWindow window;
  window.show();
  QSignalSpy loaded(&window, &cdrl::studio::MainWindow::modelLoaded);
  window.openCheckpoint(checkpoint);
  if (!loaded.wait(60000)) {
    std::fprintf(stderr, "could not open %s\n", qPrintable(checkpoint));
    return 1;
  }
  QSignalSpy finished(&window, &cdrl::studio::MainWindow::samplingFinished);
  while (window.isSampling()) finished.wait(60000);  // the run that opening starts

  std::vector<double> gaps_ms;
  QElapsedTimer clock;
  QTimer tick;
  tick.setInterval(1);
  QObject::connect(&tick, &QTimer::timeout, [&] {
    gaps_ms.push_back(static_cast<double>(clock.nsecsElapsed()) / 1e6);
    clock.restart();
  });
  QSignalSpy shown(&window, &cdrl::studio::MainWindow::levelShown);
  std::vector<double> first_level_s, finish_s;
  QElapsedTimer total, run;
  total.start();
  for (int r = 0; r < parser.value(runs).toInt(); ++r) {
    finished.clear();
    shown.clear();
    clock.start();
    tick.start();
    run.start();
    window.startSampling();
    if (!shown.wait(300000)) return 1;
    first_level_s.push_back(run.nsecsElapsed() / 1e9);
    if (finished.isEmpty() && !finished.wait(300000)) return 1;
    finish_s.push_back(run.nsecsElapsed() / 1e9);
    tick.stop();
  }
  const auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  std::sort(gaps_ms.begin(), gaps_ms.end());
  const auto at = [&](double q) {
    return gaps_ms[std::min(gaps_ms.size() - 1, static_cast<size_t>(q * gaps_ms.size()))];
  };
  std::printf(
      "{\"checkpoint\": \"%s\", \"runs\": %d, \"seconds\": %.2f, \"ticks\": %zu, "
      "\"median_gap_ms\": %.2f, \"p99_gap_ms\": %.2f, \"max_gap_ms\": %.2f, "
      "\"first_level_s\": %.3f, \"finish_s\": %.3f}\n",
      qPrintable(checkpoint), parser.value(runs).toInt(), total.elapsed() / 1000.0, gaps_ms.size(),
      at(0.5), at(0.99), gaps_ms.back(), median(first_level_s), median(finish_s));
  return 0;
}
