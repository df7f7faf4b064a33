// The studio's training view under the offscreen platform: the curves follow a metrics file as it
// grows, a run started in the app trains on a worker thread and writes its checkpoint, and Stop
// saves where it stopped so that "Continue" resumes from there.
#include "cdrl/training_run.h"
#include "gui_support.h"
#include "io/checkpoint.h"
#include "main_window.h"
#include "metrics_monitor.h"
#include "test_support.h"
#include "training_form.h"
#include "training_page.h"
#include "training_plots.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QTimer>
#include <QtTest>

#include <atomic>
#include <fstream>

using namespace cdrl;
using namespace cdrl::studio;
using namespace cdrl::test;

namespace {

std::string metricsLine(int step, double loss) {
  return "{\"step\":" + std::to_string(step) + ",\"loss_ebm\":" + std::to_string(loss) +
         ",\"loss_init\":2.5,\"levels\":[{\"level\":1,\"init_error\":1.5},"
         "{\"level\":2,\"init_error\":3.0}]}\n";
}

void appendTo(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::app | std::ios::binary) << text;
}

// Fills the form for a toy2d run into `out` and presses Start.
void startToyRun(MainWindow& w, const QString& out, int steps, int log_every, bool resume) {
  child<QComboBox>(w, "presetCombo")->setCurrentText("toy2d");
  child<QLineEdit>(w, "dataEdit")->setText("toy:8gaussians:2000");
  child<QSpinBox>(w, "trainStepsBox")->setValue(steps);
  child<QSpinBox>(w, "logEveryBox")->setValue(log_every);
  child<QSpinBox>(w, "checkpointEveryBox")->setValue(1000);
  child<QLineEdit>(w, "outEdit")->setText(out);
  child<QCheckBox>(w, "resumeBox")->setChecked(resume);
  QTest::mouseClick(child<QPushButton>(w, "startTrainingButton"), Qt::LeftButton);
}

}  // namespace

class TestStudioTraining : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void initTestCase() { useScratchSettings(); }
  void init() { QSettings().clear(); }

  void curvesFollowAGrowingMetricsFile() {
    const std::string dir = tempDir("follow");
    const std::string path = dir + "/metrics.jsonl";
    appendTo(path, metricsLine(10, 0.5) + metricsLine(20, 0.4) + metricsLine(30, 0.3));
    MainWindow w;
    w.show();
    auto* page = child<TrainingPage>(w, "trainingPage");
    auto* plots = page->plots();
    page->attach(QString::fromStdString(dir));
    QTRY_COMPARE_WITH_TIMEOUT(plots->pointCount("loss_ebm"), 3, 10000);
    QCOMPARE(plots->pointCount("level2/init_error"), 3);
    // A line still being written shows only once it is complete.
    appendTo(path, metricsLine(40, 0.2) + "{\"step\":50,");
    QTRY_COMPARE_WITH_TIMEOUT(plots->pointCount("loss_ebm"), 4, 10000);
    QTest::qWait(4 * MetricsMonitor::kPollMs);
    QCOMPARE(plots->pointCount("loss_ebm"), 4);
    appendTo(path, "\"loss_ebm\":0.1}\n");
    QTRY_COMPARE_WITH_TIMEOUT(plots->pointCount("loss_ebm"), 5, 10000);
    QCOMPARE(plots->pointCount("level1/init_error"), 4);  // the last line has no levels
    // The curves export as CSV with one row per step.
    const QString csv = QString::fromStdString(dir + "/curves.csv");
    QVERIFY(plots->saveCsv(csv));
    QFile file(csv);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QStringList rows = QString::fromUtf8(file.readAll()).trimmed().split('\n');
    QCOMPARE(rows.size(), 6);
    QVERIFY(rows[0].startsWith("step,"));
    QVERIFY(rows[5].startsWith("50,"));
  }

  void trainsInTheAppAndStopsAndResumes() {
    const QString out = QString::fromStdString(tempDir("train_in_app"));
    MainWindow w;
    w.show();
    auto* page = child<TrainingPage>(w, "trainingPage");
    auto* plots = page->plots();
    QSignalSpy finished(page, &TrainingPage::trainingFinished);

    // A short run to its end: points arrive as the metrics file grows, the checkpoint is written.
    startToyRun(w, out, 30, 10, false);
    QVERIFY(page->isTraining());
    QVERIFY(finished.wait(60000));
    QCOMPARE(finished.last().first().toBool(), false);
    QTRY_COMPARE_WITH_TIMEOUT(plots->pointCount("loss_ebm"), 3, 10000);
    const std::string checkpoint = out.toStdString() + "/checkpoint.safetensors";
    QCOMPARE(readCheckpoint(checkpoint).step, int64_t{30});

    // Starting again into the same folder without "Continue" is refused, nothing overwritten.
    startToyRun(w, out, 60, 10, false);
    QVERIFY(!page->isTraining());
    QVERIFY(child<QLabel>(w, "trainingStatus")->text().contains("already holds a run"));

    // A long continuation, stopped part-way: the checkpoint holds the step it stopped at.
    startToyRun(w, out, 1000000, 10, true);
    QVERIFY(page->isTraining());
    QTRY_VERIFY_WITH_TIMEOUT(plots->pointCount("loss_ebm") >= 5, 60000);
    QTest::mouseClick(child<QPushButton>(w, "stopTrainingButton"), Qt::LeftButton);
    QVERIFY(finished.wait(30000));
    QCOMPARE(finished.last().first().toBool(), true);
    const Checkpoint stopped = readCheckpoint(checkpoint);
    QVERIFY(stopped.step > 30);
    QVERIFY(stopped.step < 1000000);
    QCOMPARE(stopped.training->steps, int64_t{1000000});
  }

  // Following a run started elsewhere: the form shows that run (not the last one typed), its
  // first point shows as a dot (a line needs two), and a resumed run's restart marker removes
  // the points it superseded.
  void followingShowsTheRunItsFirstPointAndItsRestart() {
    const std::string dir = tempDir("follow_cli_run");
    {
      TrainRequest request;
      request.data = "toy:moons:500";
      request.out = dir;
      request.overrides.steps = 10;
      request.overrides.log_every = 10;
      request.overrides.batch = 16;
      TrainingSetup setup = prepareTraining(request);
      std::atomic<bool> stop{false};
      QCOMPARE(runTraining(setup, stop), RunEnd::Finished);
    }
    MainWindow w;
    w.show();
    auto* page = child<TrainingPage>(w, "trainingPage");
    auto* plots = page->plots();
    child<QLineEdit>(w, "dataEdit")->setText("something:else");
    page->attach(QString::fromStdString(dir));
    QTRY_COMPARE_WITH_TIMEOUT(plots->pointCount("loss_ebm"), 1, 10000);
    QTRY_COMPARE_WITH_TIMEOUT(child<QLineEdit>(w, "dataEdit")->text(), QString("toy:moons:500"),
                              10000);
    QCOMPARE(child<QComboBox>(w, "presetCombo")->currentText(), QString("toy2d"));
    QCOMPARE(child<QLineEdit>(w, "outEdit")->text(),
             QDir(QString::fromStdString(dir)).absolutePath());
    QVERIFY(child<QCheckBox>(w, "resumeBox")->isChecked());
    QCOMPARE(child<QSpinBox>(w, "trainStepsBox")->value(), 10);
    // The one point is drawn: the loss panel has pixels of the first series' colour.
    const QImage image = plots->grab().toImage();
    int coloured = 0;
    for (int y = 0; y < image.height(); ++y)
      for (int x = 0; x < image.width(); ++x)
        if (image.pixelColor(x, y) == QColor(31, 119, 180)) ++coloured;
    QVERIFY2(coloured >= 9, qPrintable(QString("%1 pixels of the series colour").arg(coloured)));
    // A restart at step 0 (as a resumed run writes) supersedes the point at step 10.
    appendTo(dir + "/metrics.jsonl", "{\"restart\":0}\n");
    QTRY_COMPARE_WITH_TIMEOUT(plots->pointCount("loss_ebm"), 0, 10000);
    appendTo(dir + "/metrics.jsonl", metricsLine(5, 0.5) + metricsLine(10, 0.4));
    QTRY_COMPARE_WITH_TIMEOUT(plots->pointCount("loss_ebm"), 2, 10000);
  }

  // Closing the window while a run trains asks first: No keeps the window and the run, Yes
  // closes, and the run stops with its checkpoint saved.
  void closingDuringTrainingAsksFirst() {
    const QString out = QString::fromStdString(tempDir("close_while_training"));
    {
      MainWindow w;
      w.show();
      auto* page = child<TrainingPage>(w, "trainingPage");
      startToyRun(w, out, 1000000, 10, false);
      QVERIFY(page->isTraining());
      auto answer = [](QMessageBox::StandardButton button) {
        QTimer::singleShot(300, [button] {
          if (auto* box = qobject_cast<QMessageBox*>(QApplication::activeModalWidget()))
            box->button(button)->click();
        });
      };
      answer(QMessageBox::No);
      QVERIFY(!w.close());
      QVERIFY(w.isVisible());
      QVERIFY(page->isTraining());
      answer(QMessageBox::Yes);
      QVERIFY(w.close());
    }
    const Checkpoint stopped = readCheckpoint(out.toStdString() + "/checkpoint.safetensors");
    QVERIFY(stopped.resumable);
    QVERIFY(stopped.step < 1000000);
  }
};

QTEST_MAIN(TestStudioTraining)
#include "test_studio_training.moc"
