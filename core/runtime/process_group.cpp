#include "runtime/process_group.h"

#include <torch/torch.h>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
// A LibTorch may define a backend whose own headers it does not ship: pip's wheels define
// USE_C10D_NCCL, while nccl.h lives in the separate nvidia-nccl wheel (docs/gpu.md).
#if defined(USE_C10D_GLOO) && __has_include(<gloo/config.h>)
#define CDRL_WITH_GLOO 1
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#if defined(USE_C10D_NCCL) && __has_include(<nccl.h>)
#define CDRL_WITH_NCCL 1
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <thread>

namespace cdrl {

namespace {

// A whole non-negative number from variable `name`, or nullopt when it is unset.
std::optional<int64_t> wholeNumber(const EnvironmentLookup& env, const char* name) {
  const char* text = env(name);
  if (!text) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  const long long value = std::strtoll(text, &end, 10);
  if (*text == '\0' || *end != '\0' || errno != 0 || value < 0 || value > (1 << 20))
    throw std::invalid_argument(std::string(name) + "='" + text +
                                "' is not a whole number from 0 to 1048576");
  return value;
}

std::string text(const std::vector<uint8_t>& bytes) { return {bytes.begin(), bytes.end()}; }
std::vector<uint8_t> bytes(const std::string& s) { return {s.begin(), s.end()}; }

std::string firstLine(const std::string& s) {
  const auto end = s.find('\n');
  return end == std::string::npos ? s : s.substr(0, end);
}

std::string aliveKey(int rank) { return "cdrl/alive/" + std::to_string(rank); }
std::string leftKey(int rank) { return "cdrl/left/" + std::to_string(rank); }

// 62 bits of FNV-1a over the tensors' bytes: equal on two ranks exactly when the bytes are (up to
// a collision far less likely than any hardware fault).
int64_t fingerprint(const std::vector<at::Tensor>& tensors) {
  uint64_t h = 1469598103934665603ull;
  for (const auto& t : tensors) {
    if (!t.defined()) continue;
    const auto c = t.detach().to(torch::kCPU).contiguous();
    const auto* p = static_cast<const uint8_t*>(c.data_ptr());
    for (size_t k = 0, n = c.nbytes(); k < n; ++k) h = (h ^ p[k]) * 1099511628211ull;
  }
  return static_cast<int64_t>(h >> 2);
}

}  // namespace

std::string ProcessGroupSpec::describe() const {
  return "rank " + std::to_string(rank) + " of " + std::to_string(world_size) + " (" + launcher +
         " variables, rendezvous at " + master_addr + ":" + std::to_string(master_port) + ")";
}

std::optional<ProcessGroupSpec> processGroupFromEnvironment(const EnvironmentLookup& lookup) {
  const EnvironmentLookup env = lookup ? lookup : [](const char* n) { return std::getenv(n); };
  ProcessGroupSpec spec;
  const char* rank_var = "RANK";
  const char* size_var = "WORLD_SIZE";
  const char* local_var = "LOCAL_RANK";
  spec.launcher = "torchrun";
  if (!env(size_var) && env("SLURM_NTASKS")) {
    rank_var = "SLURM_PROCID";
    size_var = "SLURM_NTASKS";
    local_var = "SLURM_LOCALID";
    spec.launcher = "SLURM";
  }
  const auto world_size = wholeNumber(env, size_var);
  if (!world_size || *world_size <= 1) return std::nullopt;
  const auto rank = wholeNumber(env, rank_var);
  if (!rank)
    throw std::invalid_argument(std::string(size_var) + " is set but " + rank_var + " is not");
  if (*rank >= *world_size)
    throw std::invalid_argument(std::string(rank_var) + "=" + std::to_string(*rank) +
                                " is not below " + size_var + "=" + std::to_string(*world_size));
  spec.world_size = static_cast<int>(*world_size);
  spec.rank = static_cast<int>(*rank);
  spec.local_rank = static_cast<int>(wholeNumber(env, local_var).value_or(0));
  const char* addr = env("MASTER_ADDR");
  if (!addr || *addr == '\0')
    throw std::invalid_argument(std::string(size_var) + "=" + std::to_string(*world_size) +
                                " but MASTER_ADDR is not set (the host of rank 0; "
                                "docs/distributed.md shows how to set it under SLURM)");
  spec.master_addr = addr;
  const auto port = wholeNumber(env, "MASTER_PORT");
  if (!port) throw std::invalid_argument("MASTER_PORT is not set (rank 0's rendezvous port)");
  if (*port < 1 || *port > 65535)
    throw std::invalid_argument("MASTER_PORT=" + std::to_string(*port) + " is not a TCP port");
  spec.master_port = static_cast<int>(*port);
  return spec;
}

struct ProcessGroup::Impl {
  ProcessGroupSpec spec;
  ProcessGroupOptions options;
  c10::intrusive_ptr<c10d::TCPStore> store;  // rank 0 serves it
  // The backend's two collectives (its class has no common base across LibTorch versions).
  std::string backend;
  std::function<c10::intrusive_ptr<c10d::Work>(std::vector<at::Tensor>&,
                                               const c10d::AllreduceOptions&)>
      allreduce;
  std::function<c10::intrusive_ptr<c10d::Work>(std::vector<at::Tensor>&,
                                               const c10d::BroadcastOptions&)>
      broadcast;
  std::atomic<int64_t> collectives{0};  // collectives this rank has entered
  std::atomic<int64_t> bytes_reduced{0};

  // A heartbeat on a store connection of its own: every 0.5 s, "<beat> <collectives>".
  std::thread heartbeat;
  std::mutex mutex;
  std::condition_variable wake;
  bool stopping = false;

  // The rank's own connection counts towards the world_size arrivals rank 0 waits for; the
  // heartbeat's second connection must not.
  c10::intrusive_ptr<c10d::TCPStore> connect(bool counted) const {
    c10d::TCPStoreOptions o;
    o.port = static_cast<uint16_t>(spec.master_port);
    o.isServer = counted && spec.rank == 0;
    if (counted) o.numWorkers = spec.world_size;
    o.waitWorkers = counted;
    o.timeout = options.timeout;
    return c10::make_intrusive<c10d::TCPStore>(spec.master_addr, o);
  }

  void beat() {
    c10::intrusive_ptr<c10d::TCPStore> own;
    try {
      own = connect(false);
    } catch (const std::exception&) {
      return;  // the main connection reports a store that cannot be reached
    }
    std::unique_lock<std::mutex> lock(mutex);
    for (int64_t n = 1; !stopping; ++n) {
      lock.unlock();
      try {
        own->set(aliveKey(spec.rank),
                 bytes(std::to_string(n) + " " + std::to_string(collectives.load())));
      } catch (const std::exception&) {
        return;  // rank 0 is gone; the collectives say so
      }
      lock.lock();
      wake.wait_for(lock, std::chrono::milliseconds(500), [this] { return stopping; });
    }
  }

  // Why a collective failed, naming the rank at fault when the store can tell: a rank that left
  // with a reason, one whose heartbeat stopped (dead or stopped), or one that has not reached
  // this collective (hung). Rank 0 hosts the store, so a store that no longer answers is rank 0.
  std::string diagnose(const std::string& what, const std::string& error) {
    const std::string prefix = "rank " + std::to_string(spec.rank) + ": " + what + " failed: ";
    try {
      store->setTimeout(std::chrono::seconds(5));
      auto read = [&] {
        std::map<int, std::pair<int64_t, int64_t>> alive;  // rank → (beat, collectives)
        for (int r = 0; r < spec.world_size; ++r) {
          if (r == spec.rank || !store->check({aliveKey(r)})) continue;
          long long beat = 0, entered = 0;
          std::sscanf(text(store->get(aliveKey(r))).c_str(), "%lld %lld", &beat, &entered);
          alive[r] = {beat, entered};
        }
        return alive;
      };
      for (int r = 0; r < spec.world_size; ++r)
        if (r != spec.rank && store->check({leftKey(r)}))
          return prefix + "rank " + std::to_string(r) + " stopped: " + text(store->get(leftKey(r)));
      const auto before = read();
      std::this_thread::sleep_for(std::chrono::milliseconds(2000));
      const auto after = read();
      for (int r = 0; r < spec.world_size; ++r) {
        if (r == spec.rank) continue;
        const auto b = before.find(r), a = after.find(r);
        if (b == before.end() || a == after.end() || a->second.first == b->second.first)
          return prefix + "rank " + std::to_string(r) +
                 " is gone (no heartbeat for 2 s: it died or was stopped)";
      }
      for (const auto& [r, state] : after)
        if (state.second < collectives.load())
          return prefix + "rank " + std::to_string(r) + " did not reach it within " +
                 std::to_string(options.timeout.count() / 1000) + " s (hung)";
    } catch (const std::exception&) {
      if (spec.rank != 0)
        return prefix + "rank 0 is gone (the rendezvous store it serves at " + spec.master_addr +
               ":" + std::to_string(spec.master_port) + " no longer answers)";
    }
    return prefix + firstLine(error);
  }

  template <typename Backend>
  void bind(const c10::intrusive_ptr<Backend>& b, const char* name) {
    backend = name;
    allreduce = [b](std::vector<at::Tensor>& t, const c10d::AllreduceOptions& o) {
      return b->allreduce(t, o);
    };
    broadcast = [b](std::vector<at::Tensor>& t, const c10d::BroadcastOptions& o) {
      return b->broadcast(t, o);
    };
  }

  void run(const std::string& what, const std::function<c10::intrusive_ptr<c10d::Work>()>& start) {
    ++collectives;
    try {
      auto work = start();
      work->wait(options.timeout);
    } catch (const std::exception& e) {
      throw RankFailure(diagnose(what, e.what()));
    }
  }

  // Runs `op` on buckets of at most options.bucket_bytes, each one flat tensor of one dtype.
  void bucketed(const std::vector<at::Tensor>& tensors, const std::string& what,
                const std::function<c10::intrusive_ptr<c10d::Work>(std::vector<at::Tensor>&)>& op) {
    std::vector<at::Tensor> bucket;
    int64_t size = 0;
    auto flush = [&] {
      if (bucket.empty()) return;
      std::vector<at::Tensor> parts;
      for (const auto& t : bucket) parts.push_back(t.detach().reshape(-1));
      std::vector<at::Tensor> flat{torch::cat(parts).to(options.device)};
      run(what, [&] { return op(flat); });
      int64_t offset = 0;
      for (auto& t : bucket) {
        const int64_t n = t.numel();
        torch::NoGradGuard no_grad;
        t.copy_(flat[0].slice(0, offset, offset + n).view(t.sizes()));
        offset += n;
      }
      bucket.clear();
      size = 0;
    };
    for (const auto& t : tensors) {
      if (!t.defined()) continue;
      if (!bucket.empty() && (bucket.front().scalar_type() != t.scalar_type() ||
                              size + static_cast<int64_t>(t.nbytes()) > options.bucket_bytes))
        flush();
      bucket.push_back(t);
      size += static_cast<int64_t>(t.nbytes());
    }
    flush();
  }
};

ProcessGroup::ProcessGroup(std::unique_ptr<Impl> impl) : m(std::move(impl)) {}

std::unique_ptr<ProcessGroup> ProcessGroup::join(const ProcessGroupSpec& spec,
                                                 const ProcessGroupOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->spec = spec;
  impl->options = options;
  const std::string where = spec.master_addr + ":" + std::to_string(spec.master_port);
  try {
    impl->store = impl->connect(true);
    const auto prefixed = c10::make_intrusive<c10d::PrefixStore>("backend", impl->store);
#ifdef CDRL_WITH_NCCL
    if (options.device.is_cuda()) {
      auto nccl_options = c10d::ProcessGroupNCCL::Options::create();
      nccl_options->timeout = options.timeout;
      impl->bind(c10::make_intrusive<c10d::ProcessGroupNCCL>(prefixed, spec.rank, spec.world_size,
                                                             nccl_options),
                 "NCCL");
    }
#endif
    if (impl->backend.empty()) {
#ifndef CDRL_WITH_GLOO
      throw std::runtime_error("this build has no Gloo backend (LibTorch without its headers)");
#else
      auto gloo_options = c10d::ProcessGroupGloo::Options::create(options.timeout);
      // Loopback rendezvous: every rank is on this machine. Otherwise GLOO_SOCKET_IFNAME, as in
      // PyTorch, or the address this host's name resolves to.
      const bool loopback =
          spec.master_addr == "localhost" || spec.master_addr.rfind("127.", 0) == 0;
      const char* interface = std::getenv("GLOO_SOCKET_IFNAME");
      gloo_options->devices.push_back(
          interface  ? c10d::ProcessGroupGloo::createDeviceForInterface(interface)
          : loopback ? c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1")
                     : c10d::ProcessGroupGloo::createDefaultDevice());
      impl->bind(c10::make_intrusive<c10d::ProcessGroupGloo>(prefixed, spec.rank, spec.world_size,
                                                             gloo_options),
                 "Gloo");
#endif
    }
  } catch (const std::exception& e) {
    throw RankFailure("rank " + std::to_string(spec.rank) + " could not join the group of " +
                      std::to_string(spec.world_size) + " at " + where + " within " +
                      std::to_string(options.timeout.count() / 1000) +
                      " s: " + firstLine(e.what()));
  }
  Impl* raw = impl.get();
  impl->heartbeat = std::thread([raw] { raw->beat(); });
  return std::unique_ptr<ProcessGroup>(new ProcessGroup(std::move(impl)));
}

ProcessGroup::~ProcessGroup() {
  {
    std::lock_guard<std::mutex> lock(m->mutex);
    m->stopping = true;
  }
  m->wake.notify_all();
  if (m->heartbeat.joinable()) m->heartbeat.join();
}

const ProcessGroupSpec& ProcessGroup::spec() const { return m->spec; }

const std::string& ProcessGroup::backend() const { return m->backend; }

RowRange ProcessGroup::rowsOf(int64_t rows) const {
  if (rows < size())
    throw std::invalid_argument("a batch of " + std::to_string(rows) + " cannot be shared by " +
                                std::to_string(size()) + " ranks (one row each at least)");
  return splitRows(rows, size())[static_cast<size_t>(rank())];
}

void ProcessGroup::broadcast(const std::vector<at::Tensor>& tensors, const std::string& what) {
  m->bucketed(tensors, what, [this](std::vector<at::Tensor>& flat) {
    c10d::BroadcastOptions o;
    o.rootRank = 0;
    o.timeout = m->options.timeout;
    return m->broadcast(flat, o);
  });
}

void ProcessGroup::allReduceSum(const std::vector<at::Tensor>& tensors, const std::string& what) {
  for (const auto& t : tensors)
    if (t.defined()) m->bytes_reduced += static_cast<int64_t>(t.nbytes());
  m->bucketed(tensors, what, [this](std::vector<at::Tensor>& flat) {
    c10d::AllreduceOptions o;
    o.reduceOp = c10d::ReduceOp::SUM;
    o.timeout = m->options.timeout;
    return m->allreduce(flat, o);
  });
}

bool ProcessGroup::any(bool flag, const std::string& what) {
  std::vector<at::Tensor> t{
      torch::full({1}, flag ? 1 : 0, torch::TensorOptions(m->options.device).dtype(torch::kInt))};
  c10d::AllreduceOptions o;
  o.reduceOp = c10d::ReduceOp::MAX;
  o.timeout = m->options.timeout;
  m->run(what, [&] { return m->allreduce(t, o); });
  return t[0].item<int>() != 0;
}

void ProcessGroup::requireIdentical(const std::vector<at::Tensor>& tensors,
                                    const std::string& what) {
  const int64_t mine = fingerprint(tensors);
  // max(h) and max(−h) = −min(h): equal on every rank exactly when all fingerprints are.
  std::vector<at::Tensor> t{torch::tensor({mine, -mine}, torch::kLong).to(m->options.device)};
  c10d::AllreduceOptions o;
  o.reduceOp = c10d::ReduceOp::MAX;
  o.timeout = m->options.timeout;
  m->run("comparing " + what, [&] { return m->allreduce(t, o); });
  if (t[0][0].item<int64_t>() != -t[0][1].item<int64_t>())
    throw RankFailure("rank " + std::to_string(rank()) + ": the ranks' " + what +
                      " differ (they should be identical after every step)");
}

void ProcessGroup::leave(const std::string& reason) noexcept {
  try {
    m->store->setTimeout(std::chrono::seconds(2));
    m->store->set(leftKey(rank()), bytes(firstLine(reason)));
  } catch (...) {  // the store is gone: the peers will find this rank's heartbeat stopped
  }
}

int64_t ProcessGroup::bytesAllReduced() const { return m->bytes_reduced.load(); }

}  // namespace cdrl
