// `cdrl train-classifier`: the small classifier whose features `cdrl eval` uses for the Fréchet
// distance and whose predictions grade conditional samples.
#include "commands.h"
#include "data/data_source.h"
#include "eval/classifier_trainer.h"
#include "progress.h"
#include "runtime/device.h"

#include <cstdio>

namespace cdrl::cli {

namespace {

struct TrainClassifierArgs {
  std::string data;
  std::string test_data;
  std::string out;
  uint64_t data_seed = 0;
  int64_t image_size = 32;
  int channels = 0;
  ClassifierTrainOptions options;
};

void run(const TrainClassifierArgs& a) {
  ImageLoadOptions image;
  image.size = a.image_size;
  if (a.channels > 0) image.channels = a.channels;
  const Dataset data = loadDataset(a.data, a.data_seed, image);
  std::fprintf(
      stderr, "cdrl train-classifier: data %s (%lld examples), %s, %lld steps, batch %lld\n",
      data.name.c_str(), static_cast<long long>(data.size()), describeDevice(torch::kCPU).c_str(),
      static_cast<long long>(a.options.steps), static_cast<long long>(a.options.batch));
  Progress progress(0, a.options.steps);
  double smoothed = 0;
  auto net = trainClassifier(data, a.options, [&](int64_t step, double loss) {
    smoothed = step == 1 ? loss : 0.98 * smoothed + 0.02 * loss;
    progress.update(step, "loss " + Progress::number(smoothed));
  });
  progress.finish();
  saveClassifier(a.out, net);
  std::printf("train accuracy %.4f\n",
              classifierAccuracy(net, data.data, classifierTargets(data, net->config())));
  const HeldOutData held_out =
      a.test_data.empty() ? heldOutData(a.data, a.data_seed) : HeldOutData{a.test_data, 0};
  if (!held_out.spec.empty()) {
    const Dataset test = loadDataset(held_out.spec, held_out.seed, image);
    std::printf("test accuracy %.4f (%s, %lld examples)\n",
                classifierAccuracy(net, test.data, classifierTargets(test, net->config())),
                held_out.spec.c_str(), static_cast<long long>(test.size()));
  }
  std::fprintf(stderr, "cdrl train-classifier: → %s\n", a.out.c_str());
}

}  // namespace

void addTrainClassifierCommand(CLI::App& app) {
  auto a = std::make_shared<TrainClassifierArgs>();
  auto* cmd = app.add_subcommand(
      "train-classifier", "Train the evaluation classifier (features for the Fréchet distance)");
  cmd->add_option("--data", a->data, "Labelled or attribute training data: " + dataSpecHelp())
      ->required();
  cmd->add_option("-o,--out", a->out, "Output file (.safetensors)")->required();
  cmd->add_option("--test-data", a->test_data,
                  "Held-out data for the reported accuracy (default: the data's test split)");
  cmd->add_option("--steps", a->options.steps, "Adam steps")
      ->check(Positive)
      ->capture_default_str();
  cmd->add_option("--batch", a->options.batch, "Minibatch size")
      ->check(Positive)
      ->capture_default_str();
  cmd->add_option("--lr", a->options.lr, "Adam learning rate (cosine decay)")
      ->check(Positive)
      ->capture_default_str();
  cmd->add_option("--seed", a->options.seed, "Seed for weights and minibatch order")
      ->check(NonNegative)
      ->capture_default_str();
  cmd->add_option("--data-seed", a->data_seed, "Seed for generated data")
      ->check(NonNegative)
      ->capture_default_str();
  cmd->add_option("--image-size", a->image_size, "Side images from files are brought to")
      ->check(Positive)
      ->capture_default_str();
  cmd->add_option("--channels", a->channels, "1 or 3 channels for images from files (default 3)")
      ->check(CLI::IsMember({1, 3}));
  cmd->callback([a] { run(*a); });
}

}  // namespace cdrl::cli
