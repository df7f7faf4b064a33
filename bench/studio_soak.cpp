// Soak of the studio's sampling view (docs/reliability.md): `--runs` re-samples driven as a
// restless user would — random guidance, step, count and seed changes through the controls,
// cancels part-way through a run, and a model switch every `--switch-every` runs — while a 1 ms
// timer on the UI thread records the longest gap between its ticks. Reports the resident memory at
// the start, after warm-up and at the end (growth after warm-up in %; also after malloc_trim, see
// measure()) and the longest UI stall. Not a test: the figures go to docs/reliability.md.
//   studio_soak [--runs 200] [--switch-every 25] [--warmup 50] [MODEL ...]
//   (QT_QPA_PLATFORM=offscreen without a display; default models: the bundled image models)
#include "main_window.h"
#include "runtime/device.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDoubleSpinBox>
#include <QElapsedTimer>
#include <QSignalSpy>
#include <QSlider>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTest>
#include <QTimer>

#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <random>

namespace {

double residentMiB() {
  long pages_total = 0, pages_resident = 0;
  std::ifstream("/proc/self/statm") >> pages_total >> pages_resident;
  return static_cast<double>(pages_resident) * static_cast<double>(::sysconf(_SC_PAGESIZE)) /
         (1024.0 * 1024.0);
}

// Resident memory as the system sees it, and after handing glibc's free pages back: the studio
// keeps freed memory for reuse (runtime/device.cpp sets a 1 GB trim threshold), so only the
// second tells a leak from memory held for the next run.
struct Memory {
  double resident = 0, live = 0;
};

Memory measure() {
  Memory m;
  m.resident = residentMiB();
  ::malloc_trim(0);
  m.live = residentMiB();
  return m;
}

template <typename T>
T* child(QWidget& w, const char* name) {
  auto* c = w.findChild<T*>(name);
  if (!c) qFatal("no child %s", name);
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  QApplication app(argc, argv);
  QCommandLineParser parser;
  parser.addPositionalArgument("models", "Checkpoints to switch between");
  const QCommandLineOption runs("runs", "Re-samples", "n", "200");
  const QCommandLineOption switch_every("switch-every", "Runs between model switches", "n", "25");
  // Two switches: both models and every control range have been used once.
  const QCommandLineOption warmup("warmup", "Runs before the first memory reading", "n", "50");
  parser.addOptions({runs, switch_every, warmup});
  parser.addHelpOption();
  parser.process(app);
  QStandardPaths::setTestModeEnabled(true);  // default settings, the user's left alone
  QStringList models = parser.positionalArguments();
  if (models.isEmpty())
    models = {QStringLiteral(CDRL_SOURCE_MODELS_DIR "/fmnist-tiny.safetensors"),
              QStringLiteral(CDRL_SOURCE_MODELS_DIR "/shapes-tiny.safetensors")};

  cdrl::configureRuntime();  // the studio's threads and allocator settings (app/studio/main.cpp)

  cdrl::studio::MainWindow window;
  window.show();
  QSignalSpy loaded(&window, &cdrl::studio::MainWindow::modelLoaded);
  QSignalSpy finished(&window, &cdrl::studio::MainWindow::samplingFinished);
  auto open = [&](const QString& path) {
    loaded.clear();
    window.openCheckpoint(path);
    if (!loaded.wait(60000)) qFatal("could not open %s", qPrintable(path));
  };
  auto settle = [&] {  // until no run is in progress (the debounce may start one late)
    for (int k = 0; k < 3; ++k) {
      while (window.isSampling()) finished.wait(300000);
      QTest::qWait(350);
    }
  };

  qint64 max_gap_ns = 0;
  QElapsedTimer clock;
  QTimer tick;
  tick.setInterval(1);
  QObject::connect(&tick, &QTimer::timeout, [&] {
    max_gap_ns = std::max(max_gap_ns, clock.nsecsElapsed());
    clock.restart();
  });

  std::mt19937 random(1);
  auto uniform = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(random); };
  int model = 0, cancels = 0, switches = 0;
  Memory warm;
  QElapsedTimer total;
  total.start();
  open(models[0]);
  settle();
  const Memory start = measure();
  clock.start();
  tick.start();
  const int n = parser.value(runs).toInt();
  for (int r = 0; r < n; ++r) {
    if (r == parser.value(warmup).toInt()) warm = measure();
    if (r > 0 && r % parser.value(switch_every).toInt() == 0) {
      const Memory m = measure();
      std::fprintf(stderr, "run %d: %.1f MiB resident, %.1f MiB after trim, on %s\n", r,
                   m.resident, m.live, qPrintable(models[model].section('/', -1)));
      model = (model + 1) % static_cast<int>(models.size());
      open(models[model]);
      ++switches;
    }
    switch (uniform(0, 3)) {  // one control, moved as a user moves it
      case 0:
        child<QDoubleSpinBox>(window, "guidanceBox")->setValue(uniform(0, 40) / 10.0);
        break;
      case 1:
        child<QSlider>(window, "stepsSlider")->setValue(uniform(1, 20));
        break;
      case 2:
        child<QSpinBox>(window, "countBox")->setValue(uniform(1, 16));
        break;
      default:
        child<QSpinBox>(window, "seedBox")->setValue(uniform(0, 100000));
    }
    if (uniform(0, 3) == 0) {  // a quarter of the runs are cancelled part-way
      QTest::qWait(uniform(350, 900));
      window.cancelSampling();
      ++cancels;
    }
    settle();
  }
  tick.stop();
  const Memory end = measure();
  std::printf(
      "{\"runs\": %d, \"models\": %lld, \"switches\": %d, \"cancels\": %d, \"seconds\": %.1f, "
      "\"resident_mib\": [%.1f, %.1f, %.1f], \"after_trim_mib\": [%.1f, %.1f, %.1f], "
      "\"resident_growth_percent\": %.2f, \"after_trim_growth_percent\": %.2f, "
      "\"max_ui_stall_ms\": %.1f}\n",
      n, static_cast<long long>(models.size()), switches, cancels, total.elapsed() / 1000.0,
      start.resident, warm.resident, end.resident, start.live, warm.live, end.live,
      100.0 * (end.resident - warm.resident) / warm.resident,
      100.0 * (end.live - warm.live) / warm.live, max_gap_ns / 1e6);
  return 0;
}
