#include "io/train_options.h"

#include "runtime/limits.h"

#include <stdexcept>

namespace cdrl {

void TrainOptions::validate() const {
  auto require = [](bool ok, const char* what) {
    if (!ok) throw std::invalid_argument(std::string("training options: ") + what);
  };
  require(steps >= 1, "steps must be at least 1");
  limits::checkRange("training options: batch", batch, 1, limits::kMaxBatch);
  require(lr_ebm > 0 && lr_init > 0, "learning rates must be positive");
  require(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1, "Adam betas must be in [0, 1)");
  require(init_weight_decay >= 0, "init_weight_decay must be ≥ 0");
  require(warmup >= 1, "warmup must be at least 1");
  require(init_warmup_start >= 0, "init_warmup_start must be ≥ 0");
  require(grad_clip > 0, "grad_clip must be positive");
  require(ema_decay >= 0 && ema_decay < 1, "ema_decay must be in [0, 1)");
  require(label_dropout >= 0 && label_dropout <= 1, "label_dropout must be in [0, 1]");
  require(log_every >= 1, "log_every must be at least 1");
  require(checkpoint_every >= 1, "checkpoint_every must be at least 1");
}

namespace {

// One list of fields for both directions, so that a new option cannot be saved but not read.
template <typename Json, typename Options, typename Visit>
void forEachField(Json& json, Options& o, Visit visit) {
  visit(json, "steps", o.steps);
  visit(json, "batch", o.batch);
  visit(json, "lr_ebm", o.lr_ebm);
  visit(json, "lr_init", o.lr_init);
  visit(json, "beta1", o.beta1);
  visit(json, "beta2", o.beta2);
  visit(json, "init_weight_decay", o.init_weight_decay);
  visit(json, "warmup", o.warmup);
  visit(json, "init_warmup_start", o.init_warmup_start);
  visit(json, "grad_clip", o.grad_clip);
  visit(json, "ema_decay", o.ema_decay);
  visit(json, "label_dropout", o.label_dropout);
  visit(json, "seed", o.seed);
  visit(json, "log_every", o.log_every);
  visit(json, "checkpoint_every", o.checkpoint_every);
}

}  // namespace

nlohmann::json toJson(const TrainOptions& options) {
  nlohmann::json json = nlohmann::json::object();
  forEachField(json, options,
               [](nlohmann::json& j, const char* key, const auto& v) { j[key] = v; });
  return json;
}

TrainOptions trainOptionsFromJson(const nlohmann::json& json, TrainOptions defaults) {
  forEachField(json, defaults, [](const nlohmann::json& j, const char* key, auto& v) {
    if (j.contains(key)) j.at(key).get_to(v);
  });
  return defaults;
}

}  // namespace cdrl
