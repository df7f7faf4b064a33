// Algorithm 1 (ALGORITHM.md §5): cooperative training of the EBM and the initializer.
#pragma once

#include "cdrl/model.h"
#include "data/dataset.h"
#include "io/train_options.h"

#include <torch/torch.h>

#include <atomic>
#include <memory>
#include <stdexcept>
#include <vector>

namespace cdrl {

// A non-finite loss or sample: training stops and no checkpoint of the bad state is written.
class DivergedError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Statistics of one level within a step's minibatch.
struct LevelStats {
  int64_t count = 0;
  double energy_pos = 0;   // mean F(y⁺)
  double energy_neg = 0;   // mean F(ỹ)
  double sample_norm = 0;  // mean ‖ỹ‖ per example
  double init_error = 0;   // mean ‖ŷ − y⁺‖² per example
};

struct StepStats {
  int64_t step = 0;       // optimiser steps done after this one
  double loss_ebm = 0;    // L_θ
  double loss_init = 0;   // L_φ
  double energy_pos = 0;  // mean F(y⁺)
  double energy_neg = 0;  // mean F(ỹ)
  double init_error = 0;  // mean ‖ŷ − y⁺‖²: how far the proposal is from the true y
  double lr_ebm = 0;
  double lr_init = 0;
  double grad_norm_ebm = 0;  // before clipping
  double grad_norm_init = 0;
  std::vector<LevelStats> levels;  // index i − 1 for level i
};

class Trainer {
 public:
  // Seeds LibTorch's global generator and this run's generator from options.seed.
  Trainer(Model& model, const Dataset& data, const TrainOptions& options);

  // One optimiser step of both networks. Throws DivergedError on a non-finite loss or sample.
  StepStats step();
  int64_t stepsDone() const { return m_step; }
  const TrainOptions& options() const { return m_options; }
  Model& model() { return m_model; }

  // Everything needed to resume bit-for-bit: optimiser moments, step, generator states.
  std::map<std::string, torch::Tensor> stateTensors() const;
  void loadStateTensors(const std::map<std::string, torch::Tensor>& tensors);

 private:
  double lrScale(int64_t warmup_offset) const;
  // Condition labels (0 = ∅) for the minibatch examples `index`.
  torch::Tensor drawLabels(const torch::Tensor& index);

  Model& m_model;
  const Dataset& m_data;
  TrainOptions m_options;
  torch::Generator m_gen;
  std::unique_ptr<torch::optim::Adam> m_optEbm;
  std::unique_ptr<torch::optim::AdamW> m_optInit;
  int64_t m_step = 0;
};

}  // namespace cdrl
