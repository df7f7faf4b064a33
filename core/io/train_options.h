// Options of one training run (ALGORITHM.md §5). Presets fill in defaults fit for each model size.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace cdrl {

struct TrainOptions {
  int64_t steps = 1000;            // optimiser steps to reach (absolute, also when resuming)
  int64_t batch = 64;              // minibatch size
  double lr_ebm = 1e-4;            // EBM Adam learning rate [ref]
  double lr_init = 1e-5;           // initializer AdamW learning rate [ref]
  double beta1 = 0.9;              // Adam β₁ [ref]
  double beta2 = 0.999;            // Adam β₂ [ref]
  double init_weight_decay = 0.0;  // AdamW weight decay of the initializer [ref]
  int64_t warmup = 10000;          // linear learning-rate warm-up steps [ref]
  int64_t init_warmup_start =
      500;                     // the initializer's warm-up starts at this step of `warmup` [ref]
  double grad_clip = 1.0;      // gradient-norm clip per network [ref]
  double ema_decay = 0.9999;   // EMA decay of both networks [ref]
  double label_dropout = 0.1;  // probability of replacing a label by ∅ [paper]
  uint64_t seed = 0;           // seeds data order, noise and initial weights
  int64_t log_every = 50;      // metrics line every this many steps
  int64_t checkpoint_every = 500;  // checkpoint every this many steps (and at the end)

  // Throws std::invalid_argument naming the bad field.
  void validate() const;
};

nlohmann::json toJson(const TrainOptions& options);

// Fields absent from `json` keep their value in `defaults`; throws on a field of the wrong type.
TrainOptions trainOptionsFromJson(const nlohmann::json& json, TrainOptions defaults);

}  // namespace cdrl
