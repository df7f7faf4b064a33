// Picks where tensors live and sets LibTorch/BLAS threading for this machine (PRODUCT.md traps).
#pragma once

#include <torch/torch.h>

#include <string>

namespace cdrl {

enum class DevicePreference { Auto, Cpu, Cuda };

// CUDA when the linked LibTorch has it and a GPU is present (and not refused), else the CPU.
torch::Device selectDevice(DevicePreference preference = DevicePreference::Auto);

// Uses every core for LibTorch's intra-op pool (Debian's LibTorch starts with one) and keeps
// OpenBLAS single-threaded so it does not oversubscribe the cores LibTorch already uses.
// Idempotent; call once at program start before any tensor work.
void configureThreads(int threads = 0 /* 0 = hardware concurrency */);

// "cpu (2 threads)" or "cuda:0 (NVIDIA H200)".
std::string describeDevice(const torch::Device& device);

DevicePreference devicePreferenceFromString(const std::string& name);

}  // namespace cdrl
