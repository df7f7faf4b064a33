// The process group's contract: which environment describes a group, how a batch is shared, and
// that its collectives (run here by two ranks on two threads over 127.0.0.1) sum, broadcast and
// compare exactly, in several buckets when the tensors exceed one.
#include "runtime/keyed_generator.h"
#include "runtime/process_group.h"
#include "test_support.h"

#include <QtTest>

#include <map>
#include <thread>

using namespace cdrl;

namespace {

EnvironmentLookup lookup(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const char* name) -> const char* {
    const auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  };
}

// Runs body(group) as each of `ranks` ranks on its own thread; returns the first error, or "".
std::string onRanks(int ranks, const std::function<void(ProcessGroup&)>& body,
                    ProcessGroupOptions options = {}) {
  const int port = test::freePort();
  std::vector<std::string> errors(static_cast<size_t>(ranks));
  std::vector<std::thread> threads;
  for (int r = 0; r < ranks; ++r)
    threads.emplace_back([&, r] {
      errors[static_cast<size_t>(r)] = test::errorOf([&] {
        ProcessGroupSpec spec{r, ranks, r, "127.0.0.1", port, "torchrun"};
        auto group = ProcessGroup::join(spec, options);
        body(*group);
      });
    });
  for (auto& t : threads) t.join();
  for (const auto& e : errors)
    if (!e.empty()) return e;
  return {};
}

}  // namespace

class TestProcessGroup : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void singleProcessWithoutVariables() {
    QVERIFY(!processGroupFromEnvironment(lookup({})));
    QVERIFY(!processGroupFromEnvironment(lookup({{"WORLD_SIZE", "1"}, {"RANK", "0"}})));
    QVERIFY(!processGroupFromEnvironment(lookup({{"SLURM_NTASKS", "1"}, {"SLURM_PROCID", "0"}})));
  }

  void torchrunVariables() {
    const auto spec = processGroupFromEnvironment(lookup({{"RANK", "3"},
                                                          {"WORLD_SIZE", "4"},
                                                          {"LOCAL_RANK", "1"},
                                                          {"MASTER_ADDR", "node7"},
                                                          {"MASTER_PORT", "29400"}}));
    QVERIFY(spec);
    QCOMPARE(spec->rank, 3);
    QCOMPARE(spec->world_size, 4);
    QCOMPARE(spec->local_rank, 1);
    QCOMPARE(spec->master_addr, std::string("node7"));
    QCOMPARE(spec->master_port, 29400);
    QCOMPARE(spec->launcher, std::string("torchrun"));
  }

  void slurmVariables() {
    const auto spec = processGroupFromEnvironment(lookup({{"SLURM_PROCID", "5"},
                                                          {"SLURM_NTASKS", "8"},
                                                          {"SLURM_LOCALID", "1"},
                                                          {"MASTER_ADDR", "10.0.0.2"},
                                                          {"MASTER_PORT", "12345"}}));
    QVERIFY(spec);
    QCOMPARE(spec->rank, 5);
    QCOMPARE(spec->world_size, 8);
    QCOMPARE(spec->local_rank, 1);
    QCOMPARE(spec->launcher, std::string("SLURM"));
  }

  void badVariablesAreNamed_data() {
    QTest::addColumn<QString>("rank");
    QTest::addColumn<QString>("port");
    QTest::addColumn<QString>("addr");
    QTest::addColumn<QString>("named");
    QTest::newRow("rank missing") << ""
                                  << "29500"
                                  << "h"
                                  << "RANK";
    QTest::newRow("rank not below size") << "2"
                                         << "29500"
                                         << "h"
                                         << "RANK=2";
    QTest::newRow("rank not a number") << "one"
                                       << "29500"
                                       << "h"
                                       << "RANK='one'";
    QTest::newRow("no address") << "0"
                                << "29500"
                                << ""
                                << "MASTER_ADDR";
    QTest::newRow("no port") << "0"
                             << ""
                             << "h"
                             << "MASTER_PORT";
    QTest::newRow("port out of range") << "0"
                                       << "70000"
                                       << "h"
                                       << "MASTER_PORT=70000";
  }
  void badVariablesAreNamed() {
    QFETCH(QString, rank);
    QFETCH(QString, port);
    QFETCH(QString, addr);
    QFETCH(QString, named);
    std::map<std::string, std::string> vars{{"WORLD_SIZE", "2"}};
    if (!rank.isEmpty()) vars["RANK"] = rank.toStdString();
    if (!port.isEmpty()) vars["MASTER_PORT"] = port.toStdString();
    if (!addr.isEmpty()) vars["MASTER_ADDR"] = addr.toStdString();
    const auto error = test::errorOf([&] { processGroupFromEnvironment(lookup(vars)); });
    QVERIFY2(test::contains(error, named.toStdString()), error.c_str());
  }

  void batchSharesCoverTheBatchOnce() {
    // rowsOf needs a group; the split it uses is splitRows over the ranks.
    const auto error = onRanks(3, [](ProcessGroup& g) {
      const RowRange r = g.rowsOf(10);
      const int64_t sizes[] = {4, 3, 3}, begins[] = {0, 4, 7};
      if (r.size() != sizes[g.rank()] || r.begin != begins[g.rank()])
        throw std::runtime_error("rank " + std::to_string(g.rank()) + " got rows " +
                                 std::to_string(r.begin) + "…" + std::to_string(r.end));
      const auto too_small = test::errorOf([&] { g.rowsOf(2); });
      if (!test::contains(too_small, "cannot be shared by 3 ranks"))
        throw std::runtime_error("a batch of 2 over 3 ranks: " + too_small);
    });
    QVERIFY2(error.empty(), error.c_str());
  }

  void allReduceSumsInSeveralBuckets() {
    ProcessGroupOptions options;
    options.bucket_bytes = 64;  // 16 floats: the tensors below need four buckets
    const auto error = onRanks(
        2,
        [](ProcessGroup& g) {
          const float r = static_cast<float>(g.rank());
          std::vector<at::Tensor> t{torch::full({10}, 1 + r), at::Tensor(),
                                    torch::arange(20).to(torch::kFloat) * (r + 1),
                                    torch::full({3, 4}, 10 * r)};
          g.allReduceSum(t, "test sum");
          if (!torch::equal(t[0], torch::full({10}, 3.0f)) ||
              !torch::equal(t[2], torch::arange(20).to(torch::kFloat) * 3) ||
              !torch::equal(t[3], torch::full({3, 4}, 10.0f)) || t[1].defined())
            throw std::runtime_error("wrong sums on rank " + std::to_string(g.rank()));
          if (g.bytesAllReduced() != (10 + 20 + 12) * 4)
            throw std::runtime_error("bytes counted: " + std::to_string(g.bytesAllReduced()));
        },
        options);
    QVERIFY2(error.empty(), error.c_str());
  }

  void broadcastCopiesRankZero() {
    const auto error = onRanks(2, [](ProcessGroup& g) {
      std::vector<at::Tensor> t{torch::full({5}, static_cast<double>(g.rank() + 7)),
                                torch::full({2}, g.rank() + 1, torch::kLong)};
      g.broadcast(t, "test broadcast");
      if (!torch::equal(t[0], torch::full({5}, 7.0)) ||
          !torch::equal(t[1], torch::full({2}, 1, torch::kLong)))
        throw std::runtime_error("rank " + std::to_string(g.rank()) + " did not get rank 0's");
    });
    QVERIFY2(error.empty(), error.c_str());
  }

  void anyIsTheOrOfTheRanks() {
    const auto error = onRanks(2, [](ProcessGroup& g) {
      if (g.any(false, "a") || !g.any(g.rank() == 1, "b") || !g.any(true, "c"))
        throw std::runtime_error("any() is not the OR on rank " + std::to_string(g.rank()));
    });
    QVERIFY2(error.empty(), error.c_str());
  }

  void requireIdenticalSeesOneDifferentBit() {
    const auto same = onRanks(2, [](ProcessGroup& g) {
      g.requireIdentical({torch::arange(100).to(torch::kFloat)}, "test weights");
    });
    QVERIFY2(same.empty(), same.c_str());
    const auto different = onRanks(2, [](ProcessGroup& g) {
      auto t = torch::arange(100).to(torch::kFloat);
      if (g.rank() == 1) t[50] = std::nextafter(50.0f, 51.0f);
      g.requireIdentical({t}, "test weights");
    });
    QVERIFY2(test::contains(different, "the ranks' test weights differ"), different.c_str());
  }

  void aRankThatLeavesIsNamed() {
    ProcessGroupOptions options;
    options.timeout = std::chrono::seconds(20);
    const auto error = onRanks(
        2,
        [](ProcessGroup& g) {
          if (g.rank() == 1) {
            g.leave("out of memory at step 3");
            return;  // its group closes: rank 0's collective fails
          }
          g.any(false, "agreeing whether to stop");
        },
        options);
    QVERIFY2(test::contains(error,
                            "rank 0: agreeing whether to stop failed: rank 1 stopped: out "
                            "of memory at step 3"),
             error.c_str());
  }

  void keyedDrawsDependOnTheKeyAlone() {
    auto a = keyedGenerator(7, {1, 2, 3});
    auto b = keyedGenerator(7, {1, 2, 3});
    auto c = keyedGenerator(7, {1, 2, 4});
    const double ua = uniform01(a), ub = uniform01(b), uc = uniform01(c);
    QCOMPARE(ua, ub);
    QVERIFY(ua != uc);
    // Uniform on [0, 1) and on {0, …, n − 1}: the mean of 20 000 draws within 5 standard errors.
    auto g = keyedGenerator(1, {});
    double sum = 0, sum_below = 0;
    const int n = 20000;
    for (int k = 0; k < n; ++k) {
      const double u = uniform01(g);
      QVERIFY(u >= 0 && u < 1);
      sum += u;
      const int64_t v = uniformBelow(g, 10);
      QVERIFY(v >= 0 && v < 10);
      sum_below += static_cast<double>(v);
    }
    QVERIFY(std::abs(sum / n - 0.5) < 5 * std::sqrt(1.0 / 12 / n));
    QVERIFY(std::abs(sum_below / n - 4.5) < 5 * std::sqrt(99.0 / 12 / n));
  }
};

QTEST_GUILESS_MAIN(TestProcessGroup)
#include "test_process_group.moc"
