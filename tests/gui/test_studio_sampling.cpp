// The studio's sampling view under the offscreen platform: open a checkpoint, press Sample, and
// look at what the window shows — every level with proposal and refined images that differ, the
// same seed giving identical pixels, and Cancel stopping a run while the window stays responsive.
#include "checkpoint.h"
#include "level_view.h"
#include "main_window.h"
#include "test_support.h"

#include <QLabel>
#include <QPushButton>
#include <QSpinBox>
#include <QtTest>

#include <fstream>

using namespace cdrl;
using namespace cdrl::studio;
using namespace cdrl::test;

namespace {

// An untrained small image model: sampling it is quick and its proposal and refinement differ.
QString smallCheckpoint() {
  static const std::string path = [] {
    torch::manual_seed(0);
    ModelConfig config = smallImageConfig();
    config.schedule.K = 4;
    Model model(config, torch::kCPU);
    const std::string p = tempDir("studio") + "/small.safetensors";
    saveCheckpoint(p, model);
    return p;
  }();
  return QString::fromStdString(path);
}

template <typename T>
T* child(QWidget& w, const char* name) {
  auto* c = w.findChild<T*>(name);
  if (!c) qFatal("no child %s", name);
  return c;
}

}  // namespace

class TestStudioSampling : public QObject {
  Q_OBJECT

 private:
  static void openAndWait(MainWindow& w) {
    QSignalSpy loaded(&w, &MainWindow::modelLoaded);
    w.openCheckpoint(smallCheckpoint());
    QVERIFY(loaded.wait(30000));
  }

  static void sampleAndWait(MainWindow& w) {
    QSignalSpy finished(&w, &MainWindow::samplingFinished);
    QTest::mouseClick(child<QPushButton>(w, "sampleButton"), Qt::LeftButton);
    QVERIFY(finished.wait(120000));
    QCOMPARE(finished.first().first().toBool(), false);
  }

 private Q_SLOTS:
  void everyLevelShowsProposalAndRefined() {
    MainWindow w;
    w.show();
    openAndWait(w);
    child<QSpinBox>(w, "countSpin")->setValue(4);
    sampleAndWait(w);
    auto* view = child<LevelView>(w, "levelView");
    QCOMPARE(view->frameCount(), 6);
    for (int k = 0; k < view->frameCount(); ++k) {
      const LevelFrame& f = view->frame(k);
      QCOMPARE(f.level, 6 - k);
      QCOMPARE(f.proposal.size(), 4);
      QVERIFY(!f.proposal.first().isNull());
      QVERIFY2(f.proposal.first() != f.refined.first(), "refined equals the proposal");
      QCOMPARE(f.step_energy.size(), 4);
    }
    // The images are painted: the grabbed view holds many distinct non-grey colours — the red to
    // yellow difference heat map; the window, its text and these grey samples have none.
    const QImage shot = view->grab().toImage();
    QSet<QRgb> colours;
    for (int y = 0; y < shot.height(); ++y)
      for (int x = 0; x < shot.width(); ++x) {
        const QRgb c = shot.pixel(x, y);
        if (qRed(c) != qGreen(c) || qGreen(c) != qBlue(c)) colours.insert(c);
      }
    QVERIFY2(colours.size() > 20, qPrintable(QString::number(colours.size())));
  }

  void sameSeedGivesIdenticalPixels() {
    MainWindow w;
    openAndWait(w);
    child<QSpinBox>(w, "countSpin")->setValue(3);
    child<QSpinBox>(w, "seedSpin")->setValue(42);
    auto* view = child<LevelView>(w, "levelView");
    sampleAndWait(w);
    const QImage first = view->frame(view->frameCount() - 1).refined.first();
    sampleAndWait(w);
    QCOMPARE(view->frame(view->frameCount() - 1).refined.first(), first);
    child<QSpinBox>(w, "seedSpin")->setValue(43);
    sampleAndWait(w);
    QVERIFY(view->frame(view->frameCount() - 1).refined.first() != first);
  }

  void cancelStopsAndTheWindowResponds() {
    MainWindow w;
    openAndWait(w);
    child<QSpinBox>(w, "countSpin")->setValue(256);
    child<QSpinBox>(w, "stepsSpin")->setValue(200);
    QSignalSpy finished(&w, &MainWindow::samplingFinished);
    QTest::mouseClick(child<QPushButton>(w, "sampleButton"), Qt::LeftButton);
    QVERIFY(w.isSampling());
    // The UI thread keeps processing events while the worker samples.
    QTest::qWait(200);
    QTest::mouseClick(child<QPushButton>(w, "cancelButton"), Qt::LeftButton);
    QVERIFY(finished.wait(30000));
    QCOMPARE(finished.first().first().toBool(), true);
    QVERIFY(!w.isSampling());
    QVERIFY(child<QPushButton>(w, "sampleButton")->isEnabled());
  }

  void aBadCheckpointShowsAnError() {
    MainWindow w;
    const std::string bad = tempDir("studio_bad") + "/bad.safetensors";
    std::ofstream(bad) << "garbage";
    w.openCheckpoint(QString::fromStdString(bad));
    auto* message = child<QLabel>(w, "message");
    QTRY_VERIFY_WITH_TIMEOUT(message->text().contains("truncated"), 10000);
    QVERIFY(!w.hasModel());
    QVERIFY(!child<QPushButton>(w, "sampleButton")->isEnabled());
  }
};

QTEST_MAIN(TestStudioSampling)
#include "test_studio_sampling.moc"
