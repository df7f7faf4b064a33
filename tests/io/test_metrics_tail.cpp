// Reading a metrics file while it grows: complete lines only, partial lines wait, bad lines are
// counted, a truncated file starts over; levels flatten to "level<i>/<field>".
#include "io/metrics_tail.h"
#include "test_support.h"

#include <QtTest>

#include <fstream>

using namespace cdrl;

class TestMetricsTail : public QObject {
  Q_OBJECT

  std::string m_path;

  void append(const std::string& text) {
    std::ofstream out(m_path, std::ios::app | std::ios::binary);
    out << text;
  }

 private Q_SLOTS:
  void init() { m_path = test::tempDir("metrics_tail") + "/metrics.jsonl"; }

  void missingFileGivesNothing() {
    MetricsTail tail(m_path);
    const auto update = tail.poll();
    QVERIFY(update.rows.empty());
    QVERIFY(!update.restarted);
  }

  void flattensLevels() {
    const auto row = flattenMetricsLine(nlohmann::json::parse(
        R"({"step":40,"loss_ebm":0.5,"levels":[{"level":2,"init_error":3.5,"count":7}],"note":"x"})"));
    QCOMPARE(row.step, int64_t{40});
    QCOMPARE(row.values.at("loss_ebm"), 0.5);
    QCOMPARE(row.values.at("level2/init_error"), 3.5);
    QCOMPARE(row.values.at("level2/count"), 7.0);
    QVERIFY(!row.values.count("note"));
    QVERIFY(!row.values.count("step"));
  }

  void readsOnlyCompleteNewLines() {
    MetricsTail tail(m_path);
    append("{\"step\":10,\"loss_ebm\":1}\n{\"step\":20,\"loss_ebm\":2}\n{\"step\":30,");
    auto update = tail.poll();
    QCOMPARE(update.rows.size(), size_t{2});
    QCOMPARE(update.rows[1].step, int64_t{20});
    QVERIFY(tail.poll().rows.empty());  // the partial line waits for its newline
    append("\"loss_ebm\":3}\nnot json\n[1,2]\n{\"step\":40,\"loss_ebm\":4}\n");
    update = tail.poll();
    QCOMPARE(update.rows.size(), size_t{2});
    QCOMPARE(update.rows[0].step, int64_t{30});
    QCOMPARE(update.rows[0].values.at("loss_ebm"), 3.0);
    QCOMPARE(update.rows[1].step, int64_t{40});
    QCOMPARE(update.skipped, 2);
    QVERIFY(!update.restarted);
  }

  void truncatedFileStartsOver() {
    MetricsTail tail(m_path);
    append("{\"step\":10,\"loss_ebm\":1}\n{\"step\":20,\"loss_ebm\":2}\n");
    QCOMPARE(tail.poll().rows.size(), size_t{2});
    std::ofstream(m_path, std::ios::trunc | std::ios::binary) << "{\"step\":5,\"loss_ebm\":9}\n";
    const auto update = tail.poll();
    QVERIFY(update.restarted);
    QCOMPARE(update.rows.size(), size_t{1});
    QCOMPARE(update.rows[0].step, int64_t{5});
  }
};

QTEST_APPLESS_MAIN(TestMetricsTail)
#include "test_metrics_tail.moc"
