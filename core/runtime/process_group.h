// Data-parallel training across processes on LibTorch's c10d (docs/distributed.md): the group that
// a launcher (torchrun, SLURM's srun) describes in environment variables, joined through a TCP
// store, with bucketed collectives that name the rank at fault when a peer dies or hangs.
#pragma once

#include "runtime/shard_pool.h"

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace cdrl {

// Where this process sits in a group of training processes.
struct ProcessGroupSpec {
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;       // rank among the processes of this machine
  std::string master_addr;  // host of rank 0, which serves the rendezvous store
  int master_port = 0;
  std::string launcher;  // which variables described the group: "torchrun" or "SLURM"

  // "rank 1 of 2 (torchrun variables, rendezvous at 127.0.0.1:29500)"
  std::string describe() const;
};

// Returns a variable's value, or nullptr when it is not set (std::getenv by default).
using EnvironmentLookup = std::function<const char*(const char*)>;

// The group described by RANK, WORLD_SIZE and LOCAL_RANK (torchrun) or else by SLURM_PROCID,
// SLURM_NTASKS and SLURM_LOCALID (srun), both with MASTER_ADDR and MASTER_PORT; nullopt when
// neither set is there or it describes a single process. Throws std::invalid_argument naming the
// variable that is missing or malformed.
std::optional<ProcessGroupSpec> processGroupFromEnvironment(const EnvironmentLookup& env = {});

// A collective that could not complete: a peer died, hung past the timeout, or left with an error.
// The message names the rank at fault when the group can tell.
class RankFailure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ProcessGroupOptions {
  // Where the collectives' tensors live: NCCL carries CUDA tensors when LibTorch has it (pip's CUDA
  // builds), Gloo everything else.
  c10::Device device = c10::kCPU;
  // The longest a rank waits for the others: to join, and in each collective.
  std::chrono::milliseconds timeout{std::chrono::minutes(10)};
  // The most bytes one all-reduce call carries; larger sets of tensors go in several buckets.
  int64_t bucket_bytes = int64_t{25} << 20;
};

class ProcessGroup {
 public:
  // Connects to the group (rank 0 serves the store at master_addr:master_port) over NCCL or Gloo;
  // throws RankFailure when the others do not all arrive within the timeout.
  static std::unique_ptr<ProcessGroup> join(const ProcessGroupSpec& spec,
                                            const ProcessGroupOptions& options = {});
  ~ProcessGroup();
  ProcessGroup(const ProcessGroup&) = delete;
  ProcessGroup& operator=(const ProcessGroup&) = delete;

  const ProcessGroupSpec& spec() const;
  int rank() const { return spec().rank; }
  int size() const { return spec().world_size; }
  const std::string& backend() const;  // "NCCL" or "Gloo"

  // This rank's contiguous share of a global batch of `rows` (as even as possible; rows ≥ size()).
  RowRange rowsOf(int64_t rows) const;

  // Rank 0's values copied into every rank's tensors (in place, bucketed).
  void broadcast(const std::vector<at::Tensor>& tensors, const std::string& what);
  // Each tensor replaced by its sum over the ranks (in place, bucketed, undefined ones skipped).
  void allReduceSum(const std::vector<at::Tensor>& tensors, const std::string& what);
  // True on every rank when `flag` is true on any.
  bool any(bool flag, const std::string& what);
  // Throws RankFailure unless every rank holds the same bytes in `tensors`.
  void requireIdentical(const std::vector<at::Tensor>& tensors, const std::string& what);
  // Tells the peers why this rank stops, so their next collective names it (never throws).
  void leave(const std::string& reason) noexcept;

  // Bytes this rank has sent into all-reduces so far (counted as the tensors' size).
  int64_t bytesAllReduced() const;

 private:
  struct Impl;
  explicit ProcessGroup(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> m;
};

}  // namespace cdrl
