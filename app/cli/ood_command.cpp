// `cdrl ood`: OOD scores — the calibrated typicality score by default, the paper's lowest-level
// energy (ALGORITHM.md §7) or the nearest-training-example baseline on request; with an in- and
// an out-set, AUROC and FPR at 95% TPR.
#include "cdrl/model_checkpoint.h"
#include "commands.h"
#include "data/ood_inputs.h"
#include "eval/calibration_file.h"
#include "eval/ood.h"
#include "eval/roc.h"
#include "io/atomic_file.h"
#include "open_checkpoint.h"
#include "runtime/device.h"

#include <cstdio>
#include <map>
#include <sstream>

namespace cdrl::cli {

namespace {

struct OodArgs {
  std::string checkpoint;
  std::vector<std::string> inputs;
  std::string in_set, out_set;
  std::string csv;
  int64_t limit = 10000;
  int64_t limit_train = 60000;
  bool raw = false;
  std::string score;  // typicality, energy or nearest; empty = typicality when calibrated
  std::string train_data;
  std::string device = "auto";
};

struct Scored {
  std::vector<std::string> names;  // one per readable example
  torch::Tensor x;                 // [N, ...]
};

// A file, a folder or a data-set specification, brought to the model's data shape; conversion
// notes and unreadable files are reported on stderr.
Scored loadInput(const std::string& what, const ModelConfig& config, int64_t limit) {
  const OodInputs inputs = loadOodInputs({what}, config, limit);
  Scored s{{}, inputs.x};
  std::map<std::string, int> notes;  // a data set's items share one note: said once
  for (const auto& item : inputs.items) {
    if (!item.note.empty()) ++notes[item.note];
    if (item.row >= 0) s.names.push_back(item.name);
  }
  for (const auto& [note, count] : notes)
    std::fprintf(stderr, "%s: %s (%d item%s)\n", what.c_str(), note.c_str(), count,
                 count == 1 ? "" : "s");
  const auto unreadable = inputs.unreadable();
  if (s.names.empty() && unreadable.size() == 1) throw std::runtime_error(unreadable.front());
  for (const auto& line : unreadable)
    std::fprintf(stderr, "cdrl ood: skipped unreadable %s\n", line.c_str());
  if (s.names.empty()) throw std::runtime_error("no readable input in " + what);
  return s;
}

std::vector<double> toVector(const torch::Tensor& t) {
  return {t.data_ptr<double>(), t.data_ptr<double>() + t.numel()};
}

void run(const OodArgs& a) {
  refuseOverwritingInput("--csv", a.csv, a.checkpoint);
  const auto device = selectDevice(devicePreferenceFromString(a.device));
  const Checkpoint checkpoint = openCheckpointFile(a.checkpoint);
  auto model = loadModel(checkpoint, device);
  const std::optional<Calibration> calibration = findCalibration(checkpoint);
  OodScoreKind kind = a.score.empty() ? OodScoreKind::Typicality : oodScoreKindFromString(a.score);
  if (kind == OodScoreKind::Typicality && !calibration) {
    if (!a.score.empty())
      throw std::runtime_error(a.checkpoint +
                               " has no typicality calibration: run `cdrl calibrate " +
                               a.checkpoint + "` first, or choose --score energy");
    std::fprintf(stderr,
                 "cdrl ood: %s has no typicality calibration (run `cdrl calibrate %s`); using "
                 "the energy score\n",
                 a.checkpoint.c_str(), a.checkpoint.c_str());
    kind = OodScoreKind::Energy;
  }
  ScoreOptions options;
  options.use_ema = !a.raw;
  torch::Tensor training;
  if (kind == OodScoreKind::Nearest) {
    const std::string spec = a.train_data.empty() ? model->config().dataset : a.train_data;
    training = loadInput(spec, model->config(), a.limit_train).x;
    std::fprintf(stderr, "cdrl ood: baseline: distance to the nearest of %lld examples of %s\n",
                 static_cast<long long>(training.size(0)), spec.c_str());
  }
  std::fprintf(stderr, "cdrl ood: score: %s (higher = more in-distribution)\n",
               toString(kind).c_str());
  // Collected, then written whole at the end (io/atomic_file.h): never a CSV cut short.
  std::ostringstream csv;
  csv << "set,item,score" << (calibration && kind == OodScoreKind::Typicality ? ",percentile" : "")
      << '\n';
  auto score = [&](const std::string& what, const char* set) {
    Scored s = loadInput(what, model->config(), a.limit);
    torch::Tensor scores;
    switch (kind) {
      case OodScoreKind::Typicality:
        scores = typicalityScores(*model, *calibration, s.x).score;
        break;
      case OodScoreKind::Energy:
        scores = energyScores(*model, s.x, options);
        break;
      case OodScoreKind::Nearest:
        scores = nearestNeighbourScores(training, s.x);
        break;
    }
    const bool percentiles = kind == OodScoreKind::Typicality;
    for (size_t k = 0; k < s.names.size(); ++k) {
      const double v = scores[k].item<double>();
      const double p = percentiles ? percentileOf(*calibration, v) : 0.0;
      csv << set << ',' << s.names[k] << ',' << v;
      if (percentiles) csv << ',' << p;
      csv << '\n';
      if (a.in_set.empty()) {
        if (percentiles)
          std::printf("%s\t%.6g\t%.1f\n", s.names[k].c_str(), v, p);
        else
          std::printf("%s\t%.6g\n", s.names[k].c_str(), v);
      }
    }
    return toVector(scores);
  };
  for (const auto& input : a.inputs) score(input, "input");
  if (!a.in_set.empty() || !a.out_set.empty()) {
    if (a.in_set.empty() || a.out_set.empty())
      throw std::runtime_error("--in and --out go together");
    const auto in = score(a.in_set, "in");
    const auto out = score(a.out_set, "out");
    const RocCurve roc = rocCurve(in, out);
    std::printf("in: %zu  out: %zu  AUROC %.4f  FPR@95%%TPR %.4f\n", in.size(), out.size(),
                roc.auroc, roc.fpr_at_95_tpr);
  }
  if (!a.csv.empty()) writeFileAtomically(a.csv, csv.str());
}

}  // namespace

void addOodCommand(CLI::App& app) {
  auto a = std::make_shared<OodArgs>();
  auto* cmd =
      app.add_subcommand("ood",
                         "OOD scores (typicality, energy or nearest example); AUROC given in- "
                         "and out-sets");
  cmd->add_option("checkpoint", a->checkpoint,
                  "Checkpoint file (.safetensors, or the authors' .pth.tar)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("inputs", a->inputs, "Images, folders or data specifications to score");
  cmd->add_option("--in", a->in_set, "In-distribution set (folder or data specification)");
  cmd->add_option("--out", a->out_set, "Out-of-distribution set (folder or data specification)");
  cmd->add_option("--csv", a->csv, "Write per-item scores as CSV (set,item,score)");
  cmd->add_option("--limit", a->limit, "At most this many items per set")->capture_default_str();
  cmd->add_flag("--raw", a->raw, "Use the raw weights instead of the EMA weights");
  cmd->add_option("--score", a->score,
                  "typicality (default when the checkpoint is calibrated: the log-density of every "
                  "level's energy and gradient norm, two-sided), energy (the paper's lowest-level "
                  "energy; the default otherwise) or nearest (minus the distance to the nearest "
                  "training example)")
      ->check(CLI::IsMember({"typicality", "energy", "nearest"}));
  cmd->add_option("--train-data", a->train_data,
                  "Training data for --score nearest (default: the model's data)");
  cmd->add_option("--train-limit", a->limit_train, "At most this many training examples")
      ->capture_default_str();
  cmd->add_option("--device", a->device, "auto, cpu or cuda")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}));
  cmd->callback([a] {
    if (a->inputs.empty() && a->in_set.empty())
      throw std::runtime_error("nothing to score: give inputs or --in/--out");
    run(*a);
  });
}

}  // namespace cdrl::cli
