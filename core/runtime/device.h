// Picks where tensors live and sets threading and memory reuse for this machine (PRODUCT.md
// traps).
#pragma once

#include <torch/torch.h>

#include <string>

namespace cdrl {

enum class DevicePreference { Auto, Cpu, Cuda };

// CUDA when the linked LibTorch has it and a GPU is present (and not refused), else the CPU.
torch::Device selectDevice(DevicePreference preference = DevicePreference::Auto);

// Uses every core for LibTorch's intra-op pool (Debian's LibTorch starts with one), keeps
// OpenBLAS single-threaded so it does not oversubscribe the cores LibTorch already uses, and
// keeps freed memory in the process for the next tensor of the same size (see device.cpp).
// Idempotent; call once at program start before any tensor work.
void configureRuntime(int threads = 0 /* 0 = hardware concurrency */);

// "cpu (2 threads)" or "cuda:0 (NVIDIA H200)".
std::string describeDevice(const torch::Device& device);

DevicePreference devicePreferenceFromString(const std::string& name);

}  // namespace cdrl
