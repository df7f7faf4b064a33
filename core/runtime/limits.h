// Upper bounds on what a flag or a file may ask for, checked before anything is allocated, so a
// tiny input cannot ask for gigabytes (docs/reliability.md lists them and why). Every check throws
// std::invalid_argument with one short line naming the quantity, its value and the limit.
#pragma once

#include <cstdint>
#include <string>

namespace cdrl::limits {

constexpr int kMaxLevels = 1000;                       // T (the paper: 6; DDPM-style: 1000)
constexpr int kMaxLangevinSteps = 1000;                // K and K' (the paper: 15–40)
constexpr int64_t kMaxDimension = 4096;                // one axis of a data shape
constexpr int64_t kMaxExampleElements = 1 << 24;       // one example (a 2048×2048 RGB image)
constexpr int64_t kMaxChannels = 8192;                 // a network's widest layer
constexpr int64_t kMaxClasses = 1000000;               // classes or attributes of a model
constexpr int64_t kMaxBatch = 65536;                   // examples in one training batch
constexpr int64_t kMaxSamples = 100000;                // samples in one `cdrl sample` call
constexpr int64_t kMaxImagePixels = int64_t{1} << 25;  // a decoded image (33.5 MP: 8K UHD fits)
constexpr int64_t kMaxImageSide = 1 << 16;             // one side of a decoded image

// The most one request may take: half of this machine's physical memory.
int64_t memoryBudget();

// "1.5 GiB", "512 MiB", "12 KiB", "7 B".
std::string formatBytes(double bytes);

// Throws unless lo ≤ value ≤ hi: "<what> is <value>; the limit is <hi>" (or "must be at least").
void checkRange(const std::string& what, int64_t value, int64_t lo, int64_t hi);

// Throws when `bytes` (counted as a double so huge requests cannot overflow) exceed
// memoryBudget(): "<what> needs 37.3 GiB; this machine allows 11.7 GiB (half its memory)".
void checkMemory(const std::string& what, double bytes);

// A count written in decimal digits only ("1e8", "12abc", "-3", "" are refused), at most `hi`.
int64_t parseCount(const std::string& text, const std::string& what, int64_t lo, int64_t hi);

}  // namespace cdrl::limits
