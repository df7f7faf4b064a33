// The authors' torch.save checkpoints in the studio (docs/import.md): File > Open imports them
// with progress, the level view fills in, the class picker shows names from an
// imagenet_class_index.json beside the file (numbers without one), and File > Save imported model
// as… writes this project's checkpoint with the source recorded. Fixtures from
// tests/cdrl/official/make_official_fixtures.py (Debian's python3-torch).
#include "gui_support.h"
#include "io/sha256.h"
#include "level_view.h"
#include "main_window.h"

#include <QAction>
#include <QComboBox>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPlainTextEdit>
#include <QProcess>
#include <QProgressBar>
#include <QPushButton>
#include <QTemporaryDir>
#include <QtTest>

using namespace cdrl;
using namespace cdrl::studio;
using namespace cdrl::test;

class TestStudioImport : public QObject {
  Q_OBJECT

 private:
  QString fixture(const char* name) const { return m_dir.filePath(name); }
  static void openAndWaitFor(MainWindow& w, const QString& path) {
    QSignalSpy loaded(&w, &MainWindow::modelLoaded);
    w.openCheckpoint(path);
    QVERIFY(loaded.wait(120000));
  }
  // The composition panel's class picker: the combo box whose first entry is "(none …)".
  static QStringList classItems(MainWindow& w) {
    QStringList items;
    for (auto* combo : w.findChildren<QComboBox*>())
      if (combo->count() > 0 && combo->itemText(0).startsWith("(none"))
        for (int i = 1; i < combo->count(); ++i) items << combo->itemText(i);
    return items;
  }

  QTemporaryDir m_dir;

 private Q_SLOTS:
  void initTestCase() {
    useScratchSettings();
    if (!QFileInfo::exists("/usr/bin/python3")) QSKIP("no /usr/bin/python3");
    QProcess python;
    python.setProcessChannelMode(QProcess::MergedChannels);
    python.start("/usr/bin/python3",
                 {CDRL_SOURCE_DIR "/tests/cdrl/official/make_official_fixtures.py", m_dir.path()});
    QVERIFY(python.waitForFinished(300000));
    const auto log = python.readAll();
    if (python.exitCode() != 0 && log.contains("No module named 'torch'"))
      QSKIP("python3-torch missing (packaging/install-deps.sh)");
    QVERIFY2(python.exitCode() == 0, log.constData());
  }

  void init() { QSettings().clear(); }

  // Opening imports in memory: the level view fills in level by level, and the conversion can be
  // kept as this project's checkpoint, recording where it came from.
  void opensTheAuthorsFileAndKeepsTheConversion() {
    MainWindow w;
    w.show();
    QSignalSpy levels(&w, &MainWindow::levelShown);
    QSignalSpy finished(&w, &MainWindow::samplingFinished);
    openAndWaitFor(w, fixture("uncond.pth.tar"));
    QVERIFY(child<QPlainTextEdit>(w, "modelPanel")
                ->toPlainText()
                .contains("imported from uncond.pth.tar (the authors' format)"));
    QVERIFY(finished.wait(300000));
    QCOMPARE(finished.first().first().toBool(), false);
    QCOMPARE(levels.size(), 6);
    QCOMPARE(levels.first().first().toInt(), 6);  // the top level shows first
    QCOMPARE(child<LevelView>(w, "levelView")->frameCount(), 6);

    const QString out = m_dir.filePath("kept.safetensors");
    QSignalSpy saved(&w, &MainWindow::modelSaved);
    w.saveImportedModel(out);
    QVERIFY(saved.wait(60000));
    QCOMPARE(saved.first().at(1).toString(), QString());
    const auto kept = readCheckpoint(out.toStdString());
    QCOMPARE(kept.file.metadata.at("cdrl.source"), std::string("uncond.pth.tar"));
    QCOMPARE(kept.file.metadata.at("cdrl.source_sha256"),
             sha256OfFile(fixture("uncond.pth.tar").toStdString()));
    // The kept file opens as an ordinary checkpoint, still saying where it came from.
    openAndWaitFor(w, out);
    QVERIFY(child<QPlainTextEdit>(w, "modelPanel")->toPlainText().contains("imported from"));
  }

  // Classes are numbered without a class-name file, named with one beside the checkpoint.
  void classPickerShowsNamesFromAnIndexFile() {
    MainWindow w;
    openAndWaitFor(w, fixture("cond.pth.tar"));
    QStringList numbered;
    for (int k = 0; k < 10; ++k) numbered << QString("class %1").arg(k);
    QCOMPARE(classItems(w), numbered);

    QDir named(m_dir.filePath("named"));
    QVERIFY(named.mkpath("."));
    QVERIFY(QFile::copy(fixture("cond.pth.tar"), named.filePath("cond_best.pth.tar")));
    QJsonObject index;
    QStringList names;
    for (int k = 0; k < 10; ++k) {
      names << QString("name of %1").arg(k);
      index[QString::number(k)] =
          QJsonArray{QString("n%1").arg(k, 8, 10, QChar('0')), names.last()};
    }
    QFile file(named.filePath("imagenet_class_index.json"));
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(QJsonDocument(index).toJson());
    file.close();
    openAndWaitFor(w, named.filePath("cond_best.pth.tar"));
    QCOMPARE(classItems(w), names);
  }
};

QTEST_MAIN(TestStudioImport)
#include "test_studio_import.moc"
