// Reading a metrics file while it grows: complete lines only, partial lines wait, bad lines are
// counted, a truncated file starts over; levels flatten to "level<i>/<field>". Writing it: whole
// lines, torn tails cut on resume, restart markers that readers honour.
#include "io/metrics_log.h"
#include "io/metrics_tail.h"
#include "test_support.h"

#include <QtTest>

#include <sys/resource.h>

#include <csignal>
#include <filesystem>
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

  // A run killed mid-line after its checkpoint at step 10 left lines 10, 20 and a torn one. The
  // resumed run cuts the torn tail, marks the restart and writes 20 again: every line is valid
  // JSON, and a reader sees 10 and the new 20 only.
  void resumedLogCutsTheTornLineAndMarksTheRestart() {
    append("{\"step\":10,\"loss_ebm\":1}\n{\"step\":20,\"loss_ebm\":2}\n{\"step\":30,\"lo");
    {
      MetricsLog log(m_path, 10);
      log.write({{"step", 20}, {"loss_ebm", 5}});
    }
    std::ifstream in(m_path);
    std::vector<nlohmann::json> lines;
    for (std::string line; std::getline(in, line);)
      lines.push_back(nlohmann::json::parse(line));  // throws on a merged or torn line
    QCOMPARE(lines.size(), size_t{4});
    QCOMPARE(lines[2].at(kMetricsRestartKey).get<int64_t>(), int64_t{10});
    const auto update = MetricsTail(m_path).poll();
    QCOMPARE(update.rows.size(), size_t{2});
    QCOMPARE(update.rows[1].step, int64_t{20});
    QCOMPARE(update.rows[1].values.at("loss_ebm"), 5.0);
    QCOMPARE(update.skipped, 0);
  }

  // A fresh file gets no marker: there is nothing to supersede.
  void newLogHasNoMarker() {
    {
      MetricsLog log(m_path, 0);
      log.write({{"step", 1}});
    }
    std::ifstream in(m_path);
    std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    QCOMPARE(all, std::string("{\"step\":1}\n"));
  }

  // A reader that already showed steps 10–30 learns from the marker that 20 and 30 are gone.
  void markerSupersedesRowsOfEarlierPolls() {
    MetricsTail tail(m_path);
    append("{\"step\":10}\n{\"step\":20}\n{\"step\":30}\n");
    QCOMPARE(tail.poll().rows.size(), size_t{3});
    QVERIFY(!tail.poll().superseded_after.has_value());
    append("{\"restart\":10}\n{\"step\":20}\n");
    const auto update = tail.poll();
    QCOMPARE(update.superseded_after.value_or(-1), int64_t{10});
    QCOMPARE(update.rows.size(), size_t{1});
    QCOMPARE(update.rows[0].step, int64_t{20});
  }

  // A write the disk cannot take (here: the file-size limit, as a full disk would) throws naming
  // the file and leaves no partial line behind.
  void failedWriteLeavesNoTornLine() {
    MetricsLog log(m_path, 0);
    log.write({{"step", 1}});
    const auto before = std::filesystem::file_size(m_path);
    const auto previous_handler = std::signal(SIGXFSZ, SIG_IGN);
    rlimit previous{};
    QCOMPARE(::getrlimit(RLIMIT_FSIZE, &previous), 0);
    rlimit small = previous;
    small.rlim_cur = before + 10;
    QCOMPARE(::setrlimit(RLIMIT_FSIZE, &small), 0);
    const auto error = test::errorOf([&] {
      log.write({{"step", 2}, {"padding", std::string(100, 'x')}});
    });
    ::setrlimit(RLIMIT_FSIZE, &previous);
    std::signal(SIGXFSZ, previous_handler);
    QVERIFY2(test::contains(error, m_path), error.c_str());
    QCOMPARE(std::filesystem::file_size(m_path), before);
  }
};

QTEST_APPLESS_MAIN(TestMetricsTail)
#include "test_metrics_tail.moc"
