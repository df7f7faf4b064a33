// Per-core batch sharding: how rows are split, that every part runs once on its own
// single-threaded worker, and that errors reach the caller.
#include "runtime/shard_pool.h"

#include <QtTest>

#include <torch/torch.h>

#include <atomic>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

using namespace cdrl;

class TestShardPool : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void splitRowsCoversTheBatchEvenly_data() {
    QTest::addColumn<qint64>("rows");
    QTest::addColumn<int>("parts");
    QTest::addColumn<qint64>("min_rows");
    QTest::addColumn<int>("expected_parts");
    QTest::newRow("64 over 2") << qint64(64) << 2 << qint64(1) << 2;
    QTest::newRow("odd 7 over 2") << qint64(7) << 2 << qint64(1) << 2;
    QTest::newRow("10 over 3") << qint64(10) << 3 << qint64(1) << 3;
    QTest::newRow("too few rows for 2 parts of 6") << qint64(11) << 2 << qint64(6) << 1;
    QTest::newRow("exactly 2 parts of 6") << qint64(12) << 2 << qint64(6) << 2;
    QTest::newRow("more parts than rows") << qint64(3) << 8 << qint64(1) << 3;
    QTest::newRow("empty batch") << qint64(0) << 2 << qint64(1) << 1;
  }
  void splitRowsCoversTheBatchEvenly() {
    QFETCH(qint64, rows);
    QFETCH(int, parts);
    QFETCH(qint64, min_rows);
    QFETCH(int, expected_parts);
    const auto ranges = splitRows(rows, parts, min_rows);
    QCOMPARE(static_cast<int>(ranges.size()), expected_parts);
    int64_t next = 0, smallest = rows, largest = 0;
    for (const auto& r : ranges) {
      QCOMPARE(r.begin, next);  // contiguous, in order
      next = r.end;
      smallest = std::min(smallest, r.size());
      largest = std::max(largest, r.size());
    }
    QCOMPARE(next, int64_t{rows});
    QVERIFY(largest - smallest <= 1);
    if (ranges.size() > 1) QVERIFY(smallest >= min_rows);
  }

  void splitRowsRejectsBadArguments() {
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, splitRows(-1, 2));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, splitRows(4, 0));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, splitRows(4, 2, 0));
  }

  void everyPartRunsOnceOnItsOwnSingleThreadedWorker() {
    ShardPool pool(3);
    QCOMPARE(pool.workers(), 3);
    for (int round = 0; round < 4; ++round) {  // the workers are reused
      const auto ranges = splitRows(30, 3);
      std::mutex mutex;
      std::set<std::thread::id> threads;
      std::vector<int> calls(ranges.size(), 0);
      std::vector<int> intra_op(ranges.size(), 0);
      std::vector<RowRange> given(ranges.size());
      pool.run(ranges, [&](size_t part, RowRange rows) {
        std::lock_guard<std::mutex> lock(mutex);  // QTest's checks stay on this thread
        given[part] = rows;
        ++calls[part];
        intra_op[part] = at::get_num_threads();
        threads.insert(std::this_thread::get_id());
      });
      for (size_t k = 0; k < ranges.size(); ++k) {
        QCOMPARE(given[k].begin, ranges[k].begin);
        QCOMPARE(given[k].end, ranges[k].end);
      }
      QCOMPARE(calls, std::vector<int>(ranges.size(), 1));
      QCOMPARE(intra_op, std::vector<int>(ranges.size(), 1));
      QCOMPARE(threads.size(), ranges.size());
      QVERIFY(!threads.count(std::this_thread::get_id()));
    }
  }

  void aPartsErrorReachesTheCallerAfterAllParts() {
    ShardPool pool(2);
    std::atomic<int> finished{0};
    QVERIFY_THROWS_EXCEPTION(std::runtime_error,
                             pool.run(splitRows(10, 2), [&](size_t part, RowRange) {
                               if (part == 1) throw std::runtime_error("part failed");
                               ++finished;
                             }));
    QCOMPARE(finished.load(), 1);
    // The pool still works afterwards.
    pool.run(splitRows(10, 2), [&](size_t, RowRange) { ++finished; });
    QCOMPARE(finished.load(), 3);
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument,
                             pool.run(splitRows(10, 3), [](size_t, RowRange) {}));
  }
};

QTEST_APPLESS_MAIN(TestShardPool)
#include "test_shard_pool.moc"
