// `cdrl train` as the ranks of a data-parallel run, launched the way torchrun and srun launch
// them — by their environment variables — over Gloo on 127.0.0.1: two ranks take the optimiser
// steps one process takes on the same batch, a resumed two-rank run continues bit for bit, and a
// rank that dies ends the other with a message naming it while the last checkpoint stays good.
#include "io/checkpoint.h"
#include "test_support.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QtTest>

#include <signal.h>

#include <fstream>

using namespace cdrl;

namespace {

enum class Launcher { Torchrun, Slurm };

// One `cdrl train` process; `rank` < 0 is a plain single process.
std::unique_ptr<QProcess> startTrain(const QStringList& args, int rank = -1, int port = 0,
                                     Launcher launcher = Launcher::Torchrun) {
  auto p = std::make_unique<QProcess>();
  auto env = QProcessEnvironment::systemEnvironment();
  for (const char* name : {"RANK", "WORLD_SIZE", "LOCAL_RANK", "SLURM_PROCID", "SLURM_NTASKS",
                           "SLURM_LOCALID", "MASTER_ADDR", "MASTER_PORT"})
    env.remove(name);
  if (rank >= 0) {
    const bool slurm = launcher == Launcher::Slurm;
    env.insert(slurm ? "SLURM_PROCID" : "RANK", QString::number(rank));
    env.insert(slurm ? "SLURM_NTASKS" : "WORLD_SIZE", "2");
    env.insert(slurm ? "SLURM_LOCALID" : "LOCAL_RANK", QString::number(rank));
    env.insert("MASTER_ADDR", "127.0.0.1");
    env.insert("MASTER_PORT", QString::number(port));
  }
  p->setProcessEnvironment(env);
  p->setProcessChannelMode(QProcess::MergedChannels);
  p->start(QStringLiteral(CDRL_CLI), QStringList{"train", "--threads", "1"} + args);
  return p;
}

// Runs to the end; fails the test with the output when it does not exit 0.
void finish(QProcess& p, const char* what) {
  QVERIFY2(p.waitForFinished(300000), what);
  QVERIFY2(p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0,
           qPrintable(QString(what) + ": " + p.readAll()));
}

void trainAlone(const QStringList& args) {
  auto p = startTrain(args);
  finish(*p, "single process");
}

void trainOnTwoRanks(const QStringList& args, Launcher launcher = Launcher::Torchrun) {
  const int port = test::freePort();
  auto r0 = startTrain(args, 0, port, launcher);
  auto r1 = startTrain(args, 1, port, launcher);
  finish(*r0, "rank 0");
  finish(*r1, "rank 1");
}

struct Logged {
  double loss_ebm, loss_init, energy_pos, energy_neg;
};

std::vector<Logged> losses(const std::string& run) {
  std::vector<Logged> out;
  std::ifstream in(run + "/metrics.jsonl");
  for (std::string line; std::getline(in, line);) {
    const auto json = QJsonDocument::fromJson(QByteArray::fromStdString(line)).object();
    out.push_back({json["loss_ebm"].toDouble(), json["loss_init"].toDouble(),
                   json["energy_pos"].toDouble(), json["energy_neg"].toDouble()});
  }
  return out;
}

std::map<std::string, torch::Tensor> tensors(const std::string& run) {
  return readCheckpoint(run + "/checkpoint.safetensors").file.tensors;
}

// Every tensor of two checkpoints identical.
void requireSameCheckpoints(const std::string& a, const std::string& b) {
  const auto ta = tensors(a), tb = tensors(b);
  QCOMPARE(ta.size(), tb.size());
  for (const auto& [name, x] : ta) {
    const auto it = tb.find(name);
    QVERIFY2(it != tb.end() && torch::equal(x, it->second),
             qPrintable(QString::fromStdString(name) + " differs"));
  }
}

// The weights, EMA weights and spectral-norm vectors of two checkpoints within `tolerance` of
// each other, element by element.
void requireCloseWeights(const std::string& a, const std::string& b, double tolerance) {
  const auto ta = tensors(a), tb = tensors(b);
  int compared = 0;
  for (const auto& [name, x] : ta) {
    if (name.rfind("optimizer/", 0) == 0 || name.rfind("trainer/", 0) == 0) continue;
    const auto& y = tb.at(name);
    QVERIFY2(x.sizes() == y.sizes(), name.c_str());
    const double diff = (x - y).abs().max().item<double>();
    QVERIFY2(diff <= tolerance,
             qPrintable(QString::fromStdString(name) + " differs by " + QString::number(diff)));
    ++compared;
  }
  QVERIFY(compared > 20);
}

}  // namespace

class TestDistributed : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  // Image networks, attribute labels and label dropout: every random draw of Algorithm 1.
  void twoRanksTakeTheStepsOfOneProcess_data() {
    QTest::addColumn<QStringList>("args");
    // K 4 (as below): rounding differences of the half batches grow with each Langevin step.
    QTest::newRow("toy2d, moons") << QStringList{
        "--preset", "toy2d", "--data", "toy:moons", "--batch", "64", "--steps", "8", "-K", "4"};
    QTest::newRow("shapes-tiny, attribute-conditional") << QStringList{
        "--preset", "shapes-tiny", "--data", "shapes:512", "--conditional", "--batch", "7",
        "--steps",  "4",           "-K",     "4"};
  }
  void twoRanksTakeTheStepsOfOneProcess() {
    QFETCH(QStringList, args);
    const std::string dir = test::tempDir("distributed-equal");
    args << "--log-every"
         << "1"
         << "--warmup"
         << "2"
         << "--lr-ebm"
         << "1e-4"
         << "--lr-init"
         << "1e-4";
    trainAlone(args + QStringList{"-o", QString::fromStdString(dir + "/one")});
    trainOnTwoRanks(args + QStringList{"-o", QString::fromStdString(dir + "/two")});
    const auto one = losses(dir + "/one"), two = losses(dir + "/two");
    QCOMPARE(two.size(), one.size());
    QVERIFY(one.size() >= 4);
    for (size_t k = 0; k < one.size(); ++k) {
      // L_θ is a difference of energies (weighted by w_i ≤ 1): it is rounded on their scale.
      const double energies = std::abs(one[k].energy_pos) + std::abs(one[k].energy_neg);
      QVERIFY2(std::abs(two[k].loss_ebm - one[k].loss_ebm) <= 1e-5 * energies,
               qPrintable(QString("L_θ at step %1: %2 vs %3")
                              .arg(k + 1)
                              .arg(two[k].loss_ebm)
                              .arg(one[k].loss_ebm)));
      QVERIFY2(std::abs(two[k].loss_init - one[k].loss_init) <= 1e-5 * std::abs(one[k].loss_init),
               qPrintable(QString("L_φ at step %1").arg(k + 1)));
      QVERIFY2(std::abs(two[k].energy_pos - one[k].energy_pos) <= 1e-5 * energies,
               qPrintable(QString("F(y⁺) at step %1").arg(k + 1)));
    }
    // Adam moves every weight by about the learning rate (1e-4) per step, so two runs on different
    // batches or noise differ by that much; the two runs here differ only in how the gradient's
    // sum is rounded, which Adam's g/sqrt(v) can enlarge where g is near 0, to a few percent of
    // it at most.
    requireCloseWeights(dir + "/two", dir + "/one", 0.05 * 1e-4);
  }

  void slurmVariablesLaunchTheSameRun() {
    const std::string dir = test::tempDir("distributed-slurm");
    const QStringList args{"--preset", "toy2d",   "--data", "toy:moons",   "--batch",
                           "32",       "--steps", "5",      "--log-every", "1"};
    trainOnTwoRanks(args + QStringList{"-o", QString::fromStdString(dir + "/torchrun")});
    trainOnTwoRanks(args + QStringList{"-o", QString::fromStdString(dir + "/slurm")},
                    Launcher::Slurm);
    requireSameCheckpoints(dir + "/slurm", dir + "/torchrun");
  }

  void resumedTwoRankRunContinuesBitForBit() {
    const std::string dir = test::tempDir("distributed-resume");
    const QStringList args{"--preset", "toy2d",       "--data", "toy:rings",          "--batch",
                           "30",       "--log-every", "1",      "--checkpoint-every", "3"};
    const QString straight = QString::fromStdString(dir + "/straight");
    const QString split = QString::fromStdString(dir + "/split");
    trainOnTwoRanks(args + QStringList{"--steps", "8", "-o", straight});
    trainOnTwoRanks(args + QStringList{"--steps", "3", "-o", split});
    trainOnTwoRanks(
        QStringList{"--resume", split + "/checkpoint.safetensors", "--steps", "8", "-o", split});
    requireSameCheckpoints(split.toStdString(), straight.toStdString());
    const auto a = losses(straight.toStdString()), b = losses(split.toStdString());
    QCOMPARE(b.size(), a.size() + 1);  // + the {"restart": 3} marker line
  }

  void aDeadRankEndsTheOtherNamingIt_data() {
    QTest::addColumn<int>("killed");
    QTest::addColumn<int>("signal");
    QTest::addColumn<QString>("expected");
    QTest::newRow("rank 1 killed") << 1 << SIGKILL << "rank 1 is gone";
    QTest::newRow("rank 0 killed") << 0 << SIGKILL << "rank 0 is gone";
    // A stopped process holds its connections open: only the timeout (20 s here) ends the wait.
    QTest::newRow("rank 1 hung") << 1 << SIGSTOP << "rank 1 is gone";
  }
  void aDeadRankEndsTheOtherNamingIt() {
    QFETCH(int, killed);
    QFETCH(int, signal);
    QFETCH(QString, expected);
    const std::string dir = test::tempDir("distributed-kill");
    const QStringList args{"--preset",
                           "toy2d",
                           "--data",
                           "toy:moons",
                           "--batch",
                           "64",
                           "--steps",
                           "1000000",
                           "--checkpoint-every",
                           "20",
                           "--dist-timeout",
                           "20",
                           "-o",
                           QString::fromStdString(dir + "/run")};
    const int port = test::freePort();
    std::unique_ptr<QProcess> ranks[2] = {startTrain(args, 0, port), startTrain(args, 1, port)};
    const std::string checkpoint = dir + "/run/checkpoint.safetensors";
    QTRY_VERIFY_WITH_TIMEOUT(QFileInfo::exists(QString::fromStdString(checkpoint)), 120000);
    ::kill(static_cast<pid_t>(ranks[killed]->processId()), signal);  // no goodbye
    QProcess& survivor = *ranks[1 - killed];
    if (!survivor.waitForFinished(60000)) {
      survivor.kill();
      survivor.waitForFinished();
      QFAIL(qPrintable("the surviving rank did not stop; it said: " + survivor.readAll()));
    }
    const QString said = survivor.readAll();
    QCOMPARE(survivor.exitCode(), 1);
    QVERIFY2(said.contains(expected), qPrintable(said));
    ranks[killed]->kill();
    ranks[killed]->waitForFinished();
    // The last checkpoint reads back whole.
    const Checkpoint c = readCheckpoint(checkpoint);
    QVERIFY(c.step >= 20 && c.step % 20 == 0);
  }
};

QTEST_GUILESS_MAIN(TestDistributed)
#include "test_distributed.moc"
