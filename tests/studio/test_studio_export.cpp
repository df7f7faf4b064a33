// Outputs of the sampling view: the grid, a level strip and a whole trace, each PNG carrying the
// settings that made it; dropping such a PNG on the window restores them and re-draws the same
// images, and a PNG without settings is refused with a message; a sweep draws, per setting, the
// same samples a plain run with that setting draws.
#include "gui_support.h"
#include "level_view.h"
#include "sample_export.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QMimeData>
#include <QSettings>
#include <QSpinBox>
#include <QStandardPaths>
#include <QtTest>

using namespace cdrl;
using namespace cdrl::studio;
using namespace cdrl::test;

namespace {

void dropFile(QWidget& w, const QString& path) {
  QMimeData mime;
  mime.setUrls({QUrl::fromLocalFile(path)});
  QDragEnterEvent enter(QPoint(10, 10), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
  QApplication::sendEvent(&w, &enter);
  QVERIFY(enter.isAccepted());
  QDropEvent drop(QPointF(10, 10), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
  QApplication::sendEvent(&w, &drop);
}

}  // namespace

class TestStudioExport : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void initTestCase() { useScratchSettings(); }
  void init() { QSettings().clear(); }

  void exportedPngsCarryTheirSettingsAndRestoreThem() {
    const QString dir = QString::fromStdString(tempDir("studio_export"));
    MainWindow w;
    w.show();
    openAndWait(w, {"shirt", "shoe"});
    changeAndWait(w, [&] {
      child<QSpinBox>(w, "countBox")->setValue(4);
      child<QSpinBox>(w, "seedBox")->setValue(77);
      child<QSpinBox>(w, "stepsBox")->setValue(3);
      child<QComboBox>(w, "classCombo")->setCurrentIndex(2);  // "shoe"
      child<QDoubleSpinBox>(w, "guidanceBox")->setValue(1.5);
    });
    const SampleSettings made = w.lastSettings();
    QCOMPARE(made.seed, quint64{77});
    QCOMPARE(made.label, 1);
    auto* view = child<LevelView>(w, "levelView");
    const QImage last_refined = view->frame(view->frameCount() - 1).refined.first();

    const QString grid = dir + "/grid.png";
    QCOMPARE(w.exportGrid(grid), QString());
    QCOMPARE(w.exportLevelStrip(dir + "/strip.png"), QString());
    QCOMPARE(w.exportTrace(dir + "/trace"), QString());
    const auto record = readRecord(grid);
    QVERIFY(record.has_value());
    QCOMPARE(record->checkpoint, smallCheckpoint({"shirt", "shoe"}));
    QCOMPARE(record->settings.seed, quint64{77});
    QCOMPARE(record->settings.count, 4);
    QCOMPARE(record->settings.steps, 3);
    QCOMPARE(record->settings.label, 1);
    QCOMPARE(record->settings.guidance, 1.5);
    QVERIFY(readRecord(dir + "/strip.png").has_value());
    // A strip is 4 columns (x_i, proposal, refined, difference) by one row per sample shown.
    const QImage strip(dir + "/strip.png");
    QVERIFY(strip.width() > strip.height() / 4);
    // The trace: one PNG per level and a description naming them.
    QFile json(dir + "/trace/trace.json");
    QVERIFY(json.open(QIODevice::ReadOnly));
    const QJsonObject trace = QJsonDocument::fromJson(json.readAll()).object();
    const QJsonArray levels = trace["levels"].toArray();
    QCOMPARE(levels.size(), 6);
    for (const auto& level : levels) {
      QVERIFY(QFileInfo::exists(dir + "/trace/" + level.toObject()["file"].toString()));
      QCOMPARE(level.toObject()["step_energy"].toArray().size(), 3);
    }
    QCOMPARE(trace["settings"].toObject()["seed"].toString(), QString("77"));

    // Other settings, then the exported PNG dropped back: the same run, the same pixels.
    changeAndWait(w, [&] { child<QSpinBox>(w, "seedBox")->setValue(5); });
    QVERIFY(view->frame(view->frameCount() - 1).refined.first() != last_refined);
    changeAndWait(w, [&] { dropFile(w, grid); });
    QCOMPARE(w.lastSettings().seed, quint64{77});
    QCOMPARE(w.lastSettings().label, 1);
    QCOMPARE(w.lastSettings().guidance, 1.5);
    QCOMPARE(w.lastSettings().steps, 3);
    QCOMPARE(child<QSpinBox>(w, "seedBox")->value(), 77);
    QCOMPARE(view->frame(view->frameCount() - 1).refined.first(), last_refined);

    // A PNG the studio did not write is refused with a message; the window lives on.
    QImage plain(8, 8, QImage::Format_RGB32);
    plain.fill(Qt::red);
    QVERIFY(plain.save(dir + "/plain.png"));
    dropFile(w, dir + "/plain.png");
    QVERIFY(child<QLabel>(w, "message")->text().contains("holds no CDRL Studio settings"));
    QVERIFY(w.hasModel());
  }

  void sweepDrawsTheSameSamplesPerSetting() {
    const QString dir = QString::fromStdString(tempDir("studio_sweep"));
    MainWindow w;
    openAndWait(w, {"shirt", "shoe"});
    changeAndWait(w, [&] {
      child<QSpinBox>(w, "countBox")->setValue(4);
      child<QSpinBox>(w, "stepsBox")->setValue(4);
      child<QComboBox>(w, "classCombo")->setCurrentIndex(1);
    });
    QCOMPARE(w.exportGrid(dir + "/plain.png"), QString());
    const QImage plain = QImage(dir + "/plain.png").convertToFormat(QImage::Format_RGB32);

    QSignalSpy done(&w, &MainWindow::sweepFinished);
    w.startSweep({0.0, 3.0}, {2, 4});
    QVERIFY(done.wait(60000));
    const QImage grid = done.first().first().value<QImage>();
    QVERIFY(!grid.isNull());
    const int label = SampleWorker::kSweepLabel, gap = SampleWorker::kSweepGap;
    const QSize cell = plain.size();
    QCOMPARE(grid.width(), 2 * label + 2 * (cell.width() + gap));
    QCOMPARE(grid.height(), label + 2 * (cell.height() + gap));
    auto at = [&](int row, int column) {
      return grid.copy(2 * label + column * (cell.width() + gap),
                       label + row * (cell.height() + gap), cell.width(), cell.height());
    };
    // Row K' = 4, column w = 0 is the plain run with those settings, pixel for pixel; the other
    // weight and the other step count draw different images from the same seed.
    QCOMPARE(at(1, 0), plain);
    QVERIFY(at(1, 1) != plain);
    QVERIFY(at(0, 0) != plain);
    QVERIFY(!w.isSampling());
  }
};

QTEST_MAIN(TestStudioExport)
#include "test_studio_export.moc"
