// The studio's sampling view under the offscreen platform: open a checkpoint, press Sample, and
// look at what the window shows — every level with proposal and refined images that differ, the
// same seed giving identical pixels, and Cancel stopping a run while the window stays responsive.
#include "cdrl/model_checkpoint.h"
#include "convergence_plot.h"
#include "frame_convert.h"
#include "gui_support.h"
#include "level_view.h"
#include "main_window.h"
#include "test_support.h"

#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileInfo>
#include <QLabel>
#include <QMimeData>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScreen>
#include <QSettings>
#include <QSlider>
#include <QSpinBox>
#include <QStandardPaths>
#include <QtTest>

#include <fstream>
#include <functional>

using namespace cdrl;
using namespace cdrl::studio;
using namespace cdrl::test;

class TestStudioSampling : public QObject {
  Q_OBJECT

 private:
  static void sampleAndWait(MainWindow& w) {
    QSignalSpy finished(&w, &MainWindow::samplingFinished);
    QTest::mouseClick(child<QPushButton>(w, "sampleButton"), Qt::LeftButton);
    QVERIFY(finished.wait(120000));
    QCOMPARE(finished.first().first().toBool(), false);
  }

 private Q_SLOTS:
  void initTestCase() { useScratchSettings(); }

  // Each test starts from the default settings, not those the previous one left behind.
  void init() { QSettings().clear(); }

  void everyLevelShowsProposalAndRefined() {
    MainWindow w;
    w.show();
    openAndWait(w);
    changeAndWait(w, [&] { child<QSpinBox>(w, "countBox")->setValue(4); });
    auto* view = child<LevelView>(w, "levelView");
    QCOMPARE(view->frameCount(), 6);
    for (int k = 0; k < view->frameCount(); ++k) {
      const LevelFrame& f = view->frame(k);
      QCOMPARE(f.level, 6 - k);
      QCOMPARE(f.proposal.size(), 4);
      QVERIFY(!f.proposal.first().isNull());
      QVERIFY2(f.proposal.first() != f.refined.first(), "refined equals the proposal");
      QCOMPARE(f.step_energy.size(), 4);
      // The level's convergence plot shows its K = 4 Langevin steps.
      view->showIndex(k);
      QCOMPARE(view->convergencePlot()->energyPoints(), 4);
      QCOMPARE(view->convergencePlot()->displacementPoints(), 4);
      // The chain's K steps are kept for replay: the last is the refined sample itself.
      QCOMPARE(f.steps.size(), 4);
      QCOMPARE(f.steps.last().first(), f.refined.first());
      QVERIFY(f.steps.first().first() != f.proposal.first());
    }
    // Replay walks the shown level's chain from the proposal (step 0) to the refined sample.
    QSignalSpy steps(view, &LevelView::stepShown);
    view->replaySteps();
    QTRY_COMPARE_WITH_TIMEOUT(view->currentStep(), 4, 5000);
    QCOMPARE(steps.first().first().toInt(), 0);
    QCOMPARE(steps.size(), 5);
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
    changeAndWait(w, [&] {
      child<QSpinBox>(w, "countBox")->setValue(3);
      child<QSpinBox>(w, "seedBox")->setValue(42);
    });
    auto* view = child<LevelView>(w, "levelView");
    QCOMPARE(w.lastSettings().seed, quint64{42});
    const QImage first = view->frame(view->frameCount() - 1).refined.first();
    sampleAndWait(w);
    QCOMPARE(view->frame(view->frameCount() - 1).refined.first(), first);
    changeAndWait(w, [&] { child<QSpinBox>(w, "seedBox")->setValue(43); });
    QVERIFY(view->frame(view->frameCount() - 1).refined.first() != first);
  }

  void settingsComeBackAfterARestart() {
    QImage first;
    {
      MainWindow w;
      openAndWait(w);
      changeAndWait(w, [&] {
        child<QSpinBox>(w, "countBox")->setValue(2);
        child<QSpinBox>(w, "seedBox")->setValue(77);
      });
      auto* view = child<LevelView>(w, "levelView");
      first = view->frame(view->frameCount() - 1).refined.first();
    }
    MainWindow again;
    QCOMPARE(child<QSpinBox>(again, "seedBox")->value(), 77);
    QCOMPARE(child<QSpinBox>(again, "countBox")->value(), 2);
    openAndWait(again);
    sampleAndWait(again);
    auto* view = child<LevelView>(again, "levelView");
    QCOMPARE(view->frame(view->frameCount() - 1).refined.first(), first);
  }

  void cancelStopsAndTheWindowResponds() {
    MainWindow w;
    openAndWait(w);
    child<QSpinBox>(w, "countBox")->setValue(256);
    child<QSpinBox>(w, "stepsBox")->setValue(60);
    // The debounced re-sample with these settings has started (after the one opening began).
    QTRY_VERIFY_WITH_TIMEOUT(w.isSampling() && w.lastSettings().count == 256, 30000);
    QSignalSpy finished(&w, &MainWindow::samplingFinished);
    // The UI thread keeps processing events while the worker samples.
    QTest::qWait(200);
    QTest::mouseClick(child<QPushButton>(w, "cancelButton"), Qt::LeftButton);
    QVERIFY(finished.wait(30000));
    QCOMPARE(finished.first().first().toBool(), true);
    QVERIFY(!w.isSampling());
    QVERIFY(child<QPushButton>(w, "sampleButton")->isEnabled());
  }

  // While a run is on, the views say so; a cancelled run leaves no stale final images, and
  // opening another model clears the previous one's.
  void viewsNeverShowAStaleRun() {
    MainWindow w;
    openAndWait(w);  // opening starts a first run
    QTRY_VERIFY_WITH_TIMEOUT(!w.isSampling(), 60000);
    auto* grid = child<QLabel>(w, "sampleGrid");
    QVERIFY(!grid->pixmap().isNull());
    child<QSpinBox>(w, "countBox")->setValue(256);
    child<QSpinBox>(w, "stepsBox")->setValue(60);
    QTRY_VERIFY_WITH_TIMEOUT(w.isSampling() && w.lastSettings().count == 256, 30000);
    QVERIFY(child<QLabel>(w, "levelCaption")->text().startsWith("Sampling"));
    QVERIFY(grid->pixmap().isNull());
    QSignalSpy finished(&w, &MainWindow::samplingFinished);
    QTest::mouseClick(child<QPushButton>(w, "cancelButton"), Qt::LeftButton);
    QVERIFY(finished.wait(30000));
    QVERIFY(grid->pixmap().isNull());
    QVERIFY(grid->text().startsWith("Cancelled"));
    w.openCheckpoint(smallCheckpoint({"shirt", "shoe"}));
    QCOMPARE(child<LevelView>(w, "levelView")->frameCount(), 0);
    QVERIFY(grid->pixmap().isNull());
  }

  void guidanceSliderResamplesWithTheNewWeight() {
    MainWindow w;
    openAndWait(w, {"shirt", "shoe", "bag"});
    QVERIFY(!child<QDoubleSpinBox>(w, "guidanceBox")->isEnabled());  // no class picked yet
    changeAndWait(w, [&] { child<QComboBox>(w, "classCombo")->setCurrentIndex(2); });
    QCOMPARE(w.lastSettings().label, 1);
    QVERIFY(child<QDoubleSpinBox>(w, "guidanceBox")->isEnabled());
    changeAndWait(w, [&] { child<QSlider>(w, "guidanceSlider")->setValue(25); });
    QCOMPARE(w.lastSettings().guidance, 2.5);
    QCOMPARE(w.lastSettings().label, 1);
  }

  void compositionCheckboxesChangeTheCondition() {
    MainWindow w;
    openAndWait(w, {"circle=0", "circle=1", "red=0", "red=1"});
    QVERIFY(child<QComboBox>(w, "classCombo")->isHidden());
    changeAndWait(w, [&] {
      child<QDoubleSpinBox>(w, "weight_red=1")->setValue(2.0);
      child<QCheckBox>(w, "concept_red=1")->setChecked(true);
    });
    using Terms = QVector<QPair<int, double>>;
    QCOMPARE(w.lastSettings().concepts, (Terms{{4, 2.0}}));
    changeAndWait(w, [&] { child<QCheckBox>(w, "concept_circle=1")->setChecked(true); });
    QCOMPARE(w.lastSettings().concepts, (Terms{{2, 1.0}, {4, 2.0}}));
    // Core received that composition: its own run of the composed energy with the same seed
    // draws the level-1 image the view shows, and plain sampling draws another.
    auto model = loadModel(
        readCheckpoint(smallCheckpoint({"circle=0", "circle=1", "red=0", "red=1"}).toStdString()),
        torch::kCPU);
    auto levelOne = [&](const Condition& condition) {
      SampleOptions options;
      options.condition = condition;
      QImage image;
      sample(*model, options, [&](const LevelTrace& trace) {
        if (trace.level == 1) image = toLevelFrame(trace, 1).refined.first();
      });
      return image;
    };
    auto* view = child<LevelView>(w, "levelView");
    const QImage shown = view->frame(view->frameCount() - 1).refined.first();
    QCOMPARE(shown, levelOne(Condition::composed({{2, 1.0}, {4, 2.0}})));
    QVERIFY(shown != levelOne(Condition::none()));
  }

  // --compose (composeConcepts) ticks the named concepts with their weights once the model has
  // loaded and samples them; a name the model lacks is reported and changes nothing.
  void composeTicksTheNamedConcepts() {
    MainWindow w;
    w.composeConcepts("red=1:2, circle=1");  // before the model: applied when it loads
    openAndWait(w, {"circle=0", "circle=1", "red=0", "red=1"});
    using Terms = QVector<QPair<int, double>>;
    QCOMPARE(w.lastSettings().concepts, (Terms{{2, 1.0}, {4, 2.0}}));
    QVERIFY(child<QCheckBox>(w, "concept_red=1")->isChecked());
    QVERIFY(!child<QCheckBox>(w, "concept_red=0")->isChecked());
    QCOMPARE(child<QDoubleSpinBox>(w, "weight_red=1")->value(), 2.0);
    QTRY_VERIFY_WITH_TIMEOUT(!w.isSampling(), 60000);
    w.composeConcepts("Smiling=1");
    const QString message = child<QLabel>(w, "message")->text();
    QVERIFY2(message.contains("Smiling=1") && message.contains("circle=0"), qPrintable(message));
    QVERIFY(child<QCheckBox>(w, "concept_red=1")->isChecked());
    QCOMPARE(w.lastSettings().concepts, (Terms{{2, 1.0}, {4, 2.0}}));
  }

  void unconditionalModelsExplainTheDisabledPanel() {
    MainWindow w;
    openAndWait(w);
    QVERIFY(!child<QWidget>(w, "compositionPanel")->isEnabled());
    QVERIFY(child<QLabel>(w, "compositionNote")->text().contains("unconditional"));
  }

  // Under the offscreen platform there is no OpenGL: a 2-D model still samples, and the view
  // explains why no landscape is drawn (test_studio_landscape draws it under Xvfb).
  void twoDModelsExplainAMissingOpenGL() {
    MainWindow w;
    w.show();
    QSignalSpy finished(&w, &MainWindow::samplingFinished);
    w.openCheckpoint(QStringLiteral(CDRL_SOURCE_MODELS_DIR) + "/toy2d.safetensors");
    QVERIFY(finished.wait(120000));
    QCOMPARE(finished.first().first().toBool(), false);
    QVERIFY(!w.landscapeView());
    auto* note = child<QLabel>(w, "landscapeUnavailable");
    QVERIFY(note->isVisible());
    QVERIFY(note->text().contains("OpenGL"));
  }

  void droppingACheckpointOpensItAndRemembersIt() {
    MainWindow w;
    w.show();
    QSignalSpy loaded(&w, &MainWindow::modelLoaded);
    const QString path = smallCheckpoint({"shirt", "shoe"});
    auto* mime = new QMimeData;
    mime->setUrls({QUrl::fromLocalFile(path)});
    QDragEnterEvent enter(QPoint(10, 10), Qt::CopyAction, mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(&w, &enter);
    QVERIFY(enter.isAccepted());
    QDropEvent drop(QPointF(10, 10), Qt::CopyAction, mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(&w, &drop);
    QVERIFY(loaded.wait(30000));
    QVERIFY(w.hasModel());
    QCOMPARE(w.recentFiles().value(0), path);
    delete mime;
    // Other files are refused at the door.
    QMimeData text;
    text.setUrls({QUrl::fromLocalFile("/tmp/notes.txt")});
    QDragEnterEvent refused(QPoint(10, 10), Qt::CopyAction, &text, Qt::LeftButton, Qt::NoModifier);
    refused.ignore();
    QApplication::sendEvent(&w, &refused);
    QVERIFY(!refused.isAccepted());
  }

  // File > Examples lists the bundled models (not the classifiers) and opens the one chosen.
  void examplesMenuOpensTheBundledModels() {
    MainWindow w;
    w.setExamples(CDRL_SOURCE_MODELS_DIR);
    QStringList names;
    for (const QString& path : w.examples()) names << QFileInfo(path).completeBaseName();
    QVERIFY2(
        names.contains("fmnist-tiny") && names.contains("toy2d") && names.contains("faces-tiny"),
        qPrintable(names.join(",")));
    for (const QString& name : names) QVERIFY2(!name.endsWith("classifier"), qPrintable(name));
    QAction* toy = nullptr;
    for (QAction* action : w.findChildren<QAction*>())
      if (action->data().toString().endsWith("/toy2d.safetensors")) toy = action;
    QVERIFY(toy);
    QVERIFY(toy->text().contains("eight Gaussians"));
    for (QAction* action : w.findChildren<QAction*>())
      if (action->data().toString().endsWith("/faces-tiny.safetensors"))
        QVERIFY2(action->text().contains("CelebA"), qPrintable(action->text()));
    QSignalSpy loaded(&w, &MainWindow::modelLoaded);
    toy->trigger();
    QVERIFY(loaded.wait(30000));
    QVERIFY(child<QPlainTextEdit>(w, "modelPanel")->toPlainText().contains("toy:8gaussians"));
  }

  // A failed File > Open leaves the model that was open usable: Sample works and changes re-sample.
  void aFailedOpenKeepsThePreviousModel() {
    MainWindow w;
    openAndWait(w);
    QTRY_VERIFY_WITH_TIMEOUT(!w.isSampling(), 60000);
    const std::string bad = tempDir("studio_bad_keep") + "/bad.safetensors";
    std::ofstream(bad) << "garbage";
    w.openCheckpoint(QString::fromStdString(bad));
    auto* message = child<QLabel>(w, "message");
    QTRY_VERIFY_WITH_TIMEOUT(message->text().contains("truncated"), 10000);
    QVERIFY(message->text().contains("is still open"));
    QVERIFY(w.hasModel());
    QVERIFY(child<QPushButton>(w, "sampleButton")->isEnabled());
    changeAndWait(w, [&] { child<QSpinBox>(w, "countBox")->setValue(3); });
    QCOMPARE(w.lastSettings().count, 3);
  }

  // The steps slider runs 1 … max in order from the model's K (it went "K, 1, 2, …"): one notch
  // right of K asks for K + 1.
  void stepsSliderRunsInOrderFromTheModelsK() {
    MainWindow w;
    w.show();
    openAndWait(w);  // K = 4
    auto* slider = child<QSlider>(w, "stepsSlider");
    auto* box = child<QSpinBox>(w, "stepsBox");
    QCOMPARE(slider->minimum(), 1);
    QCOMPARE(slider->value(), 4);
    QVERIFY2(box->text().contains("trained K"), qPrintable(box->text()));
    changeAndWait(w, [&] { slider->setValue(slider->value() + 1); });
    QCOMPARE(w.lastSettings().steps, 5);
    QVERIFY(!box->text().contains("trained K"));
    changeAndWait(w, [&] { slider->setValue(4); });
    QCOMPARE(w.lastSettings().steps, 0);  // the model's own K
  }

  // Every sample of a run can be inspected level by level, not only the first rows.
  void anySampleCanBeInspected() {
    MainWindow w;
    w.show();
    openAndWait(w);
    changeAndWait(w, [&] { child<QSpinBox>(w, "countBox")->setValue(12); });
    auto* view = child<LevelView>(w, "levelView");
    auto* first = child<QSpinBox>(w, "firstSampleBox");
    QCOMPARE(static_cast<int>(view->frame(0).x_i.size()), 12);
    QVERIFY(first->isEnabled());
    QCOMPARE(first->maximum(), 12);
    const QImage top = view->grab().toImage();
    first->setValue(9);
    QCOMPARE(view->firstSample(), 8);
    QVERIFY(view->grab().toImage() != top);
  }

  // A model with many attributes fits a 1024×700 window (its panel asked for 929 px): the side
  // panel scrolls instead; a geometry saved larger than the screen comes back inside it.
  void windowFitsSmallScreens() {
    std::vector<std::string> names;
    for (int k = 0; k < 8; ++k)
      for (int v = 0; v < 2; ++v)
        names.push_back("attribute" + std::to_string(k) + "=" + std::to_string(v));
    {
      MainWindow w;
      w.show();
      openAndWait(w, names);
      const QSize minimum = w.minimumSizeHint();
      QVERIFY2(minimum.width() <= 1024 && minimum.height() <= 700,
               qPrintable(QString("minimum %1×%2").arg(minimum.width()).arg(minimum.height())));
      w.resize(3000, 2500);
      QTest::qWait(50);
      w.close();  // saves the geometry
    }
    // The test screen (800×800) is narrower than the window's minimum (the training view's form
    // and curves side by side, 860 px): the width comes down to that minimum, the height to the
    // screen's, and the window starts on screen.
    MainWindow again;
    again.show();
    const QRect available = again.screen()->availableGeometry();
    const QSize largest = available.size().expandedTo(again.minimumSizeHint());
    QVERIFY2(again.width() <= largest.width() && again.height() <= largest.height() &&
                 available.contains(again.frameGeometry().topLeft()),
             qPrintable(QString("%1×%2 on a %3×%4 screen")
                            .arg(again.width())
                            .arg(again.height())
                            .arg(available.width())
                            .arg(available.height())));
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
