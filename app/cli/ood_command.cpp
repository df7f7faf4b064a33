// `cdrl ood`: energy scores for OOD detection (ALGORITHM.md §7); with an in- and an out-set,
// AUROC and FPR at 95% TPR.
#include "cdrl/model_checkpoint.h"
#include "commands.h"
#include "data/ood_inputs.h"
#include "eval/ood.h"
#include "eval/roc.h"
#include "runtime/device.h"

#include <cstdio>
#include <fstream>

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
  std::string baseline;  // "nearest": score by distance to the training data instead
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
  for (const auto& item : inputs.items) {
    if (!item.note.empty()) std::fprintf(stderr, "%s: %s\n", item.name.c_str(), item.note.c_str());
    if (item.row >= 0) s.names.push_back(item.name);
  }
  for (const auto& line : inputs.unreadable())
    std::fprintf(stderr, "cdrl ood: skipped unreadable %s\n", line.c_str());
  if (s.names.empty()) throw std::runtime_error("no readable input in " + what);
  return s;
}

std::vector<double> toVector(const torch::Tensor& t) {
  return {t.data_ptr<double>(), t.data_ptr<double>() + t.numel()};
}

void run(const OodArgs& a) {
  const auto device = selectDevice(devicePreferenceFromString(a.device));
  auto model = loadModel(readCheckpoint(a.checkpoint), device);
  ScoreOptions options;
  options.use_ema = !a.raw;
  torch::Tensor training;
  if (a.baseline == "nearest") {
    const std::string spec = a.train_data.empty() ? model->config().dataset : a.train_data;
    training = loadInput(spec, model->config(), a.limit_train).x;
    std::fprintf(stderr, "cdrl ood: baseline: distance to the nearest of %lld examples of %s\n",
                 static_cast<long long>(training.size(0)), spec.c_str());
  }
  std::ofstream csv;
  if (!a.csv.empty()) {
    csv.open(a.csv);
    if (!csv) throw std::runtime_error("cannot write " + a.csv);
    csv << "set,item,score\n";
  }
  auto score = [&](const std::string& what, const char* set) {
    Scored s = loadInput(what, model->config(), a.limit);
    const auto scores = training.defined() ? nearestNeighbourScores(training, s.x)
                                           : energyScores(*model, s.x, options);
    for (size_t k = 0; k < s.names.size(); ++k) {
      const double v = scores[k].item<double>();
      if (csv.is_open()) csv << set << ',' << s.names[k] << ',' << v << '\n';
      if (a.in_set.empty()) std::printf("%s\t%.6g\n", s.names[k].c_str(), v);
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
}

}  // namespace

void addOodCommand(CLI::App& app) {
  auto a = std::make_shared<OodArgs>();
  auto* cmd =
      app.add_subcommand("ood", "Energy scores for OOD detection; AUROC given in- and out-sets");
  cmd->add_option("checkpoint", a->checkpoint, "Checkpoint file")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("inputs", a->inputs, "Images, folders or data specifications to score");
  cmd->add_option("--in", a->in_set, "In-distribution set (folder or data specification)");
  cmd->add_option("--out", a->out_set, "Out-of-distribution set (folder or data specification)");
  cmd->add_option("--csv", a->csv, "Write per-item scores as CSV (set,item,score)");
  cmd->add_option("--limit", a->limit, "At most this many items per set")->capture_default_str();
  cmd->add_flag("--raw", a->raw, "Use the raw weights instead of the EMA weights");
  cmd->add_option("--baseline", a->baseline,
                  "Score with a baseline instead of the energy: 'nearest' = minus the distance to "
                  "the nearest training example")
      ->check(CLI::IsMember({"nearest"}));
  cmd->add_option("--train-data", a->train_data,
                  "Training data for --baseline nearest (default: the model's data)");
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
