// Spectral normalisation for Linear and Conv2d (ALGORITHM.md §3): W / σ(W), σ from power
// iteration. LibTorch's C++ frontend has none, so it lives here.
//
// The power iteration runs only when asked (`powerIterate`, once per training step), not in
// forward(): within one training step the weights do not change, so every forward of that step,
// the Langevin chain included, sees the same σ. Forwards under a FrozenWeights guard, and all
// forwards in eval mode, use a cached W/σ without autograd history; the cache is keyed on the
// tensor versions of W, u and v, so an in-place update that autograd sees (Adam/AdamW steps,
// EMA updates, copy_ on load, power iteration) invalidates it. Updates made through `.data()`
// (LibTorch 1.13's SGD does this) do not bump the version: call `powerIterate` after them.
#pragma once

#include <torch/torch.h>

namespace cdrl {

// A layer whose weight may be spectrally normalised; with `spectral` off it is a plain layer,
// so networks choose per layer without a second code path.
class SpectralNormedImpl : public torch::nn::Module {
 public:
  bool spectral() const { return m_spectral; }
  // Runs one power-iteration step on u, v (no autograd history).
  void powerIterate();
  // σ(W) ≈ uᵀ W v for the current u, v.
  torch::Tensor sigma() const;
  // W / σ: with autograd history in training mode, else the cached copy.
  torch::Tensor normalizedWeight();

  torch::Tensor weight;  // raw W, [out, in] or [out, in, kh, kw]
  torch::Tensor bias;    // [out] or undefined
  torch::Tensor u;       // [out], undefined when not spectral
  torch::Tensor v;       // [in·kh·kw], undefined when not spectral

 protected:
  void initSpectral(torch::Tensor w, bool with_bias, int64_t fan_in, bool spectral);

 private:
  bool m_spectral = true;
  torch::Tensor m_cached;
  int64_t m_cachedVersion[3] = {-1, -1, -1};
  torch::Device m_cachedDevice = torch::kCPU;
};

class SNLinearImpl : public SpectralNormedImpl {
 public:
  SNLinearImpl(int64_t in, int64_t out, bool with_bias = true, bool spectral = true);
  torch::Tensor forward(const torch::Tensor& x);
};
TORCH_MODULE(SNLinear);

class SNConv2dImpl : public SpectralNormedImpl {
 public:
  SNConv2dImpl(int64_t in, int64_t out, int64_t kernel, bool with_bias = true,
               bool spectral = true);
  torch::Tensor forward(const torch::Tensor& x);

 private:
  int64_t m_padding;
};
TORCH_MODULE(SNConv2d);

// Runs one power-iteration step on every spectrally normalised layer below `root`.
void powerIterate(torch::nn::Module& root);

// Fills the cached W/σ of every spectrally normalised layer below `root` now, so threads that then
// run the network at once (the shard pool's parts) only read the caches, never write them.
void cacheNormalizedWeights(torch::nn::Module& root);

// While alive on this thread, spectrally normalised layers use their cached W/σ even in
// training mode: for Langevin chains, where parameters are constants and need no gradient.
class FrozenWeights {
 public:
  FrozenWeights();
  ~FrozenWeights();
  FrozenWeights(const FrozenWeights&) = delete;
  FrozenWeights& operator=(const FrozenWeights&) = delete;
  static bool active();

 private:
  bool m_previous;
};

}  // namespace cdrl
