// The studio's OOD view under the offscreen platform: the reference histogram comes from the
// model's held-out data, a dropped image of another size and channel count gets a score, a
// percentile and a verdict with a visible conversion note, a corrupt file is listed as unreadable
// and the app lives on, files chosen in the "Add images…" dialog are scored too, dragging the
// threshold flips verdicts, and two folders give a ROC. A model
// without calibration is offered one (cached beside the checkpoint, cancellable); the bundled
// Fashion-MNIST model, calibrated, flags a noise image and passes Fashion-MNIST test images, and
// shows the noise image's atypicality per level.
#include "data/fashion_mnist.h"
#include "eval/calibration_file.h"
#include "gui_support.h"
#include "level_atypicality_plot.h"
#include "ood_page.h"
#include "roc_plot.h"
#include "score_histogram.h"

#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QLabel>
#include <QLineEdit>
#include <QMimeData>
#include <QPushButton>
#include <QSettings>
#include <QStandardPaths>
#include <QTableWidget>
#include <QtTest>

#include <fstream>

using namespace cdrl;
using namespace cdrl::studio;
using namespace cdrl::test;

namespace {

QString cell(QTableWidget* table, int row, int column) {
  const auto* item = table->item(row, column);
  return item ? item->text() : QString();
}

// A colour image of `size` with a pattern from `seed`.
QString writeImage(const QString& path, QSize size, int seed) {
  QImage image(size, QImage::Format_RGB32);
  for (int y = 0; y < size.height(); ++y)
    for (int x = 0; x < size.width(); ++x)
      image.setPixel(x, y, qRgb((x * 7 + seed * 31) % 256, (y * 5 + seed) % 256, (x ^ y) % 256));
  if (!image.save(path)) qFatal("cannot write %s", qPrintable(path));
  return path;
}

// Drops `paths` on the page and waits for their scores.
void dropAndWait(OodPage* page, const QStringList& paths) {
  QSignalSpy scored(page, &OodPage::scored);
  QMimeData mime;
  QList<QUrl> urls;
  for (const QString& p : paths) urls << QUrl::fromLocalFile(p);
  mime.setUrls(urls);
  QDragEnterEvent enter(QPoint(5, 5), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
  QApplication::sendEvent(page, &enter);
  QVERIFY(enter.isAccepted());
  QDropEvent drop(QPointF(5, 5), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
  QApplication::sendEvent(page, &drop);
  QVERIFY(scored.wait(60000));
}

// A 28×28 grey PNG of pixel values in [−1, 1].
QString writeGrey(const QString& path, const torch::Tensor& image) {
  const auto bytes =
      ((image.reshape({28, 28}).clamp(-1, 1) + 1) * 127.5).round().to(torch::kUInt8).contiguous();
  QImage grey(bytes.data_ptr<uint8_t>(), 28, 28, 28, QImage::Format_Grayscale8);
  if (!grey.copy().save(path)) qFatal("cannot write %s", qPrintable(path));
  return path;
}

}  // namespace

class TestStudioOod : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void initTestCase() { useScratchSettings(); }
  void init() { QSettings().clear(); }

  void droppedImagesGetScoresAndVerdicts() {
    const QString dir = QString::fromStdString(tempDir("studio_ood"));
    MainWindow w;
    w.show();
    auto* page = child<OodPage>(w, "oodPage");
    QSignalSpy reference(page, &OodPage::referenceReady);
    openAndWait(w);  // an fmnist-tiny layout model: its reference is Fashion-MNIST's test split
    QVERIFY(reference.wait(60000));
    QVERIFY(page->histogram()->binCount() > 0);

    // One image 50×30 RGB (the model wants 28×28 grey), one corrupt PNG, dropped together.
    const QString good = writeImage(dir + "/wide.png", {50, 30}, 1);
    const QString corrupt = dir + "/corrupt.png";
    std::ofstream(corrupt.toStdString()) << "not a png at all";
    dropAndWait(page, {good, corrupt});
    auto* table = page->table();
    QCOMPARE(table->rowCount(), 2);
    bool ok = false;
    const double score = cell(table, 0, 2).toDouble(&ok);
    QVERIFY2(ok, qPrintable(cell(table, 0, 2)));
    QVERIFY(cell(table, 0, 5).contains("3→1 channels"));  // the conversion is shown
    QVERIFY(cell(table, 0, 3).toDouble(&ok) >= 0 && ok);
    QCOMPARE(cell(table, 1, 4), QString("unreadable"));
    QVERIFY(!cell(table, 1, 5).isEmpty());
    QVERIFY(w.isVisible());

    // The verdict follows the threshold on either side of the score.
    page->histogram()->setThreshold(score - 1);
    QCOMPARE(cell(table, 0, 4), QString("in-distribution"));
    page->histogram()->setThreshold(score + 1);
    QCOMPARE(cell(table, 0, 4), QString("out-of-distribution"));
    // The typed-in box shows the dragged value (to its 3 decimals).
    QVERIFY(std::abs(child<QDoubleSpinBox>(w, "thresholdBox")->value() - (score + 1)) <= 5e-4);

    // "Add images…" opens a file dialog without blocking the window; the files chosen in it are
    // scored like dropped ones.
    QSignalSpy added(page, &OodPage::scored);
    const QString second = writeImage(dir + "/second.png", {28, 28}, 2);
    const QString third = writeImage(dir + "/third.png", {40, 40}, 3);
    QTest::mouseClick(child<QPushButton>(w, "addImagesButton"), Qt::LeftButton);
    QFileDialog* dialog = nullptr;
    QTRY_VERIFY((dialog = page->findChild<QFileDialog*>("addImagesDialog")) != nullptr &&
                dialog->isVisible());
    dialog->setDirectory(dir);
    child<QLineEdit>(*dialog, "fileNameEdit")->setText("\"second.png\" \"third.png\"");
    QVERIFY(QMetaObject::invokeMethod(dialog, "accept"));  // the Open button's slot
    QVERIFY(added.wait(60000));
    QCOMPARE(table->rowCount(), 4);
    QVERIFY(cell(table, 2, 1).endsWith("second.png") || cell(table, 3, 1).endsWith("second.png"));
    QVERIFY(cell(table, 2, 1).endsWith("third.png") || cell(table, 3, 1).endsWith("third.png"));
    for (int row : {2, 3}) {
      cell(table, row, 2).toDouble(&ok);
      QVERIFY2(ok, qPrintable(cell(table, row, 2)));
    }

    // Two folders give a ROC curve.
    QDir().mkpath(dir + "/in");
    QDir().mkpath(dir + "/out");
    for (int k = 0; k < 4; ++k) {
      writeImage(QString("%1/in/%2.png").arg(dir).arg(k), {28, 28}, k);
      writeImage(QString("%1/out/%2.png").arg(dir).arg(k), {64, 64}, 10 + k);
    }
    QSignalSpy compared(page, &OodPage::compared);
    page->compareFolders(dir + "/in", dir + "/out");
    QVERIFY(compared.wait(30000));
    QVERIFY(page->roc()->pointCount() >= 2);
  }

  void uncalibratedModelIsOfferedACalibration() {
    MainWindow w;
    w.show();
    auto* page = child<OodPage>(w, "oodPage");
    QSignalSpy loaded(page, &OodPage::modelLoaded);
    openAndWait(w);
    QTRY_VERIFY_WITH_TIMEOUT(!loaded.isEmpty(), 30000);
    const std::string checkpoint = smallCheckpoint().toStdString();
    QFile::remove(QString::fromStdString(calibrationSidePath(checkpoint)));
    QVERIFY(!page->isCalibrated());
    QVERIFY(child<QLabel>(w, "scoreInfo")->text().contains("energy"));
    QVERIFY(page->histogram()->axisLabel().startsWith("energy score"));
    QVERIFY(child<QPushButton>(w, "calibrateOwnButton")->isVisibleTo(page));

    // Cancelled: nothing cached, still uncalibrated.
    QSignalSpy failed(page, &OodPage::failed);
    page->calibrate(QString());
    page->cancelCalibration();
    QVERIFY(failed.wait(60000));
    QVERIFY(failed.last().first().toString().contains("cancelled"));
    QVERIFY(!page->isCalibrated());
    QVERIFY(!QFile::exists(QString::fromStdString(calibrationSidePath(checkpoint))));

    // Calibrated on the model's own held-out data: cached beside the checkpoint, used at once and
    // found again when the model is opened anew.
    QSignalSpy done(page, &OodPage::calibrationDone);
    page->calibrate(QString());
    QVERIFY(done.wait(120000));
    QVERIFY(page->isCalibrated());
    QVERIFY(child<QLabel>(w, "scoreInfo")->text().contains("typicality"));
    QVERIFY(page->histogram()->axisLabel().startsWith("typicality score"));
    QVERIFY(!child<QPushButton>(w, "calibrateOwnButton")->isVisibleTo(page));
    QVERIFY(QFile::exists(QString::fromStdString(calibrationSidePath(checkpoint))));
    QSignalSpy again(page, &OodPage::modelLoaded);
    page->setCheckpoint(QString::fromStdString(checkpoint));
    QVERIFY(again.wait(30000));
    QVERIFY(page->isCalibrated());
    QFile::remove(QString::fromStdString(calibrationSidePath(checkpoint)));
  }

  void bundledModelFlagsNoiseAndPassesFashion() {
    const QString dir = QString::fromStdString(tempDir("studio_ood_bundled"));
    MainWindow w;
    w.show();
    auto* page = child<OodPage>(w, "oodPage");
    QSignalSpy reference(page, &OodPage::referenceReady);
    w.openCheckpoint(CDRL_SOURCE_MODELS_DIR "/fmnist-tiny.safetensors");
    QTRY_VERIFY_WITH_TIMEOUT(!reference.isEmpty(), 60000);
    QVERIFY2(page->isCalibrated(), "the bundled model ships calibrated");

    torch::manual_seed(3);
    const QString noise = writeGrey(dir + "/noise.png", 0.5 * torch::randn({28, 28}));
    const Dataset test = readFashionMnist(defaultFashionMnistDir(), Split::Test, 3);
    QStringList fashion;
    for (int k = 0; k < 3; ++k)
      fashion << writeGrey(QString("%1/fashion%2.png").arg(dir).arg(k), test.data[k]);
    dropAndWait(page, QStringList{noise} + fashion);
    QCOMPARE(page->table()->rowCount(), 4);
    QCOMPARE(page->verdict(0), QString("out-of-distribution"));
    for (int row = 1; row < 4; ++row)
      QVERIFY2(page->verdict(row) == "in-distribution",
               qPrintable(QString("%1: %2").arg(fashion[row - 1], page->verdict(row))));

    // Selecting the noise image shows which level flags it.
    page->table()->selectRow(0);
    const auto levels = page->levelPlot()->values();
    QCOMPARE(levels.size(), 6);
    QVERIFY(*std::max_element(levels.begin(), levels.end()) > chiSquare95(5));
    QVERIFY(page->levelPlot()->flaggingLevel() >= 1);
  }
};

QTEST_MAIN(TestStudioOod)
#include "test_studio_ood.moc"
