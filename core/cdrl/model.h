// A CDRL model: configuration, schedule, both networks and their EMA copies, on one device.
#pragma once

#include "cdrl/schedule.h"
#include "io/model_config.h"
#include "nn/networks.h"

#include <torch/torch.h>

namespace cdrl {

// The pair of networks one sampling or training pass uses (live or EMA weights).
struct NetworkPair {
  EnergyNetImpl& ebm;
  InitializerNetImpl& initializer;
};

class Model {
 public:
  // Builds freshly initialised networks; weights are drawn from LibTorch's global generator, so
  // seed it first for repeatable initial weights.
  Model(const ModelConfig& config, torch::Device device);

  const ModelConfig& config() const { return m_config; }
  const Schedule& schedule() const { return m_schedule; }
  torch::Device device() const { return m_device; }

  NetworkPair live() { return {*m_ebm, *m_init}; }
  NetworkPair ema() { return {*m_ebmEma, *m_initEma}; }
  NetworkPair networks(bool use_ema) { return use_ema ? ema() : live(); }

  EnergyNet& ebm() { return m_ebm; }
  InitializerNet& initializer() { return m_init; }
  EnergyNet& ebmEma() { return m_ebmEma; }
  InitializerNet& initializerEma() { return m_initEma; }

  // EMA update (ALGORITHM.md §5.8): θ_ema ← d·θ_ema + (1 − d)·θ. Buffers — the spectral-norm
  // power-iteration vectors u, v among them — are copied from the live networks, so the EMA
  // weights are normalised by the σ that matches the current iteration state (§8).
  void updateEma(double decay);
  // Sets the EMA copies equal to the live networks.
  void resetEma();
  // Every parameter and buffer of the live networks and their EMA copies, in a fixed order: what
  // the ranks of a distributed run hold identical.
  std::vector<torch::Tensor> stateTensors();

 private:
  ModelConfig m_config;
  Schedule m_schedule;
  torch::Device m_device;
  EnergyNet m_ebm, m_ebmEma;
  InitializerNet m_init, m_initEma;
};

}  // namespace cdrl
