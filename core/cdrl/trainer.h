// Algorithm 1 (ALGORITHM.md §5): cooperative training of the EBM and the initializer.
#pragma once

#include "cdrl/model.h"
#include "cdrl/runaway_watch.h"
#include "data/dataset.h"
#include "io/train_options.h"
#include "runtime/process_group.h"

#include <torch/torch.h>

#include <atomic>
#include <memory>
#include <stdexcept>
#include <vector>

namespace cdrl {

// A non-finite loss or sample, samples that ran away far outside the data's range, or an EBM
// gradient norm that ran away (the first sign of the same): training
// stops and no checkpoint of the bad state is written.
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
  // Seeds LibTorch's global generator from options.seed (initial weights). With a process group,
  // this rank trains on its share of every global batch of options.batch and the ranks' gradients
  // are summed, so every rank takes the step one process would (docs/distributed.md); the group
  // outlives this.
  Trainer(Model& model, const Dataset& data, const TrainOptions& options,
          ProcessGroup* group = nullptr);

  // One optimiser step of both networks. Throws DivergedError on a non-finite loss or sample, on
  // refined samples that ran away, or on an EBM gradient norm that ran away (RunawayWatch).
  StepStats step();
  int64_t stepsDone() const { return m_step; }
  const TrainOptions& options() const { return m_options; }
  Model& model() { return m_model; }

  // Everything needed to resume bit-for-bit: optimiser moments and step (every random draw of a
  // step is keyed by seed, step and row or rank).
  std::map<std::string, torch::Tensor> stateTensors() const;
  void loadStateTensors(const std::map<std::string, torch::Tensor>& tensors);

 private:
  struct Draws;
  // The random draws of rows `rows` of this step's global batch (ALGORITHM.md §5, Algorithm 1).
  Draws draw(RowRange rows) const;
  double lrScale(int64_t warmup_offset) const;
  // Condition labels (0 = ∅) for the drawn examples.
  torch::Tensor labelsOf(const Draws& d) const;
  // Seeds the global generator, which dropout draws from, by (seed, rank, step): resumable
  // without its state, and not the same masks on every rank.
  void seedStepDropout();

  Model& m_model;
  const Dataset& m_data;
  TrainOptions m_options;
  ProcessGroup* m_group;
  std::unique_ptr<torch::optim::Adam> m_optEbm;
  std::unique_ptr<torch::optim::AdamW> m_optInit;
  RunawayWatch m_runaway;
  int64_t m_step = 0;
};

}  // namespace cdrl
