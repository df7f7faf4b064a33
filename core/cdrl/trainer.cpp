#include "cdrl/trainer.h"

#include "cdrl/langevin.h"
#include "nn/spectral_norm.h"
#include "runtime/keyed_generator.h"
#include "runtime/shard_pool.h"

#include <cmath>
#include <cstdio>
#include <sstream>
#include <type_traits>

namespace cdrl {

namespace {

// Per-level scalars of the schedule as a tensor indexed by level, for per-sample gathers.
torch::Tensor column(const Schedule& s, double LevelCoefficients::*field, torch::Device device) {
  std::vector<double> values;
  for (int i = 0; i <= s.T(); ++i) values.push_back(s.level(i).*field);
  return torch::tensor(values, torch::kDouble).to(torch::kFloat).to(device);
}

// [B] → [B, 1, …] to broadcast against data of `dims` example dimensions.
torch::Tensor perSample(const torch::Tensor& t, int64_t dims) {
  std::vector<int64_t> shape = {t.size(0)};
  shape.insert(shape.end(), dims, 1);
  return t.reshape(shape);
}

template <typename Options>
void setLearningRate(torch::optim::Optimizer& opt, double lr) {
  for (auto& group : opt.param_groups()) static_cast<Options&>(group.options()).lr(lr);
}

DivergedError divergedAt(int64_t step, const std::string& what) {
  return DivergedError("training diverged at step " + std::to_string(step + 1) + ": " + what);
}

void requireFinite(const torch::Tensor& t, const char* what, int64_t step) {
  if (!torch::isfinite(t).all().item<bool>())
    throw divergedAt(step, std::string(what) + " is not finite");
}

// Data lie in [−1, 1] (ALGORITHM.md §2), so every level's y⁺ has an RMS of about 1 per element.
// Refined samples ten times that are chains that ran away: finite, but the run is lost, and each
// checkpoint written from then on would overwrite a good one with a broken one.
constexpr double kRunawayRms = 10.0;

// One pass over ỹ for both checks: a NaN or inf anywhere makes the mean RMS non-finite.
void requireFiniteAndBounded(const torch::Tensor& y_tilde, int64_t step) {
  const double rms =
      y_tilde.flatten(1).to(torch::kDouble).pow(2).mean(1).sqrt().mean().item<double>();
  if (!std::isfinite(rms)) throw divergedAt(step, "the refined sample ỹ is not finite");
  if (rms > kRunawayRms) {
    char what[160];
    std::snprintf(what, sizeof what,
                  "the refined samples ỹ ran away (RMS %.3g per element, data lie in [-1, 1])",
                  rms);
    throw divergedAt(step, what);
  }
}

// The optimiser's key for a parameter's state: its address, as text in LibTorch 1.13 and as the
// pointer itself in 2.x (pip's CUDA builds).
template <typename Optimizer>
auto stateKey(Optimizer& opt, const torch::Tensor& p) {
  using Key = typename std::decay_t<decltype(opt.state())>::key_type;
  if constexpr (std::is_same_v<Key, std::string>) {
    std::ostringstream text;
    text << p.unsafeGetTensorImpl();
    return Key(text.str());
  } else {
    return static_cast<Key>(p.unsafeGetTensorImpl());
  }
}

// Adam and AdamW keep the same per-parameter moments; these move them in and out of named tensors.
template <typename State>
void exportMoments(torch::optim::Optimizer& opt, const std::string& prefix,
                   std::map<std::string, torch::Tensor>& out) {
  const auto& params = opt.param_groups().at(0).params();
  for (size_t k = 0; k < params.size(); ++k) {
    auto it = opt.state().find(stateKey(opt, params[k]));
    if (it == opt.state().end()) continue;
    const auto& state = static_cast<const State&>(*it->second);
    const auto key = prefix + std::to_string(k) + "/";
    out[key + "exp_avg"] = state.exp_avg().to(torch::kCPU);
    out[key + "exp_avg_sq"] = state.exp_avg_sq().to(torch::kCPU);
    out[key + "step"] = torch::tensor(state.step(), torch::kLong);
  }
}

template <typename State>
void importMoments(torch::optim::Optimizer& opt, const std::string& prefix,
                   const std::map<std::string, torch::Tensor>& in) {
  const auto& params = opt.param_groups().at(0).params();
  opt.state().clear();
  for (size_t k = 0; k < params.size(); ++k) {
    const auto key = prefix + std::to_string(k) + "/";
    auto avg = in.find(key + "exp_avg");
    if (avg == in.end()) continue;
    auto avg_sq = in.find(key + "exp_avg_sq");
    auto step = in.find(key + "step");
    if (avg_sq == in.end() || step == in.end() || !avg->second.sizes().equals(params[k].sizes()))
      throw std::runtime_error("checkpoint: optimiser state " + key +
                               " is incomplete or mismatched");
    auto state = std::make_unique<State>();
    state->exp_avg(avg->second.to(params[k].device()).clone());
    state->exp_avg_sq(avg_sq->second.to(params[k].device()).clone());
    state->step(step->second.item<int64_t>());
    opt.state()[stateKey(opt, params[k])] = std::move(state);
  }
}

// Key parts that keep training's streams apart from sampling's (seed, row, level, draw) keys.
constexpr uint64_t kMinibatchStream = 0x6d696e6962617463ull;  // "minibatc"
constexpr uint64_t kDropoutStream = 0x64726f706f757473ull;    // "dropouts"

// Sums over a rank's rows, summed over the ranks: the step's statistics of the whole batch.
struct BatchSums {
  torch::Tensor totals;  // [5]: L_θ·B, L_φ·B, ΣF(y⁺), ΣF(ỹ), Σ‖ŷ − y⁺‖²
  torch::Tensor levels;  // [5, T + 1]: count, ΣF(y⁺), ΣF(ỹ), Σ‖ỹ‖, Σ‖ŷ − y⁺‖² per level
};

}  // namespace

struct Trainer::Draws {
  torch::Tensor index;      // [b] examples of the data set
  torch::Tensor flip;       // [b] horizontal flips
  torch::Tensor attribute;  // [b] the attribute each example is conditioned on (attribute data)
  torch::Tensor keep;       // [b] false where label dropout replaces the label by ∅
  torch::Tensor level;      // [b] i ∈ {1, …, T}
  torch::Tensor noise;      // [K + 2, b, example…]: ε, ε'', then one per Langevin step
};

Trainer::Draws Trainer::draw(RowRange rows) const {
  const int T = m_model.schedule().T();
  const int K = m_model.schedule().options().K;
  const int64_t attributes = m_data.attributes.defined() ? m_data.attributes.size(1) : 1;
  std::vector<int64_t> noise_shape = {K + 2};
  for (const int64_t d : m_model.config().data_shape) noise_shape.push_back(d);
  std::vector<int64_t> index, attribute, level;
  std::vector<uint8_t> flip, keep;
  std::vector<torch::Tensor> noise;
  for (int64_t row = rows.begin; row < rows.end; ++row) {
    // A row's draws depend only on (seed, step, row): any split of the batch draws the same.
    auto gen = keyedGenerator(m_options.seed, {kMinibatchStream, static_cast<uint64_t>(m_step),
                                               static_cast<uint64_t>(row)});
    index.push_back(uniformBelow(gen, m_data.size()));
    flip.push_back(uniform01(gen) < 0.5);
    attribute.push_back(uniformBelow(gen, attributes));
    keep.push_back(uniform01(gen) >= m_options.label_dropout);  // §5 step 9
    level.push_back(1 + uniformBelow(gen, T));
    noise.push_back(torch::randn(noise_shape, gen));
  }
  auto flags = [](const std::vector<uint8_t>& v) { return torch::tensor(v).to(torch::kBool); };
  Draws d{torch::tensor(index), flags(flip),          torch::tensor(attribute),
          flags(keep),          torch::tensor(level), {}};
  // Draw-major, so each draw the chain reads per step is one contiguous block.
  d.noise = torch::stack(noise, 1);
  return d;
}

void Trainer::seedStepDropout() {
  const int rank = m_group ? m_group->rank() : 0;
  auto gen = keyedGenerator(
      m_options.seed, {kDropoutStream, static_cast<uint64_t>(rank), static_cast<uint64_t>(m_step)});
  auto global = at::detail::getDefaultCPUGenerator();
  global.set_state(gen.get_state());
  if (m_model.device().is_cuda()) torch::cuda::manual_seed(gen.current_seed());  // its masks too
}

Trainer::Trainer(Model& model, const Dataset& data, const TrainOptions& options,
                 ProcessGroup* group)
    : m_model(model), m_data(data), m_options(options), m_group(group) {
  m_options.validate();
  if (data.size() < 1) throw std::invalid_argument("training data '" + data.name + "' is empty");
  if (data.exampleShape() != model.config().data_shape)
    throw std::invalid_argument("training data '" + data.name +
                                "' does not match the model's data shape");
  if (model.config().num_classes > 0 && !data.labels.defined() && !data.attributes.defined())
    throw std::invalid_argument("a conditional model needs labelled or attributed data");
  if (group && options.batch < group->size())
    throw std::invalid_argument("--batch " + std::to_string(options.batch) +
                                " is smaller than the " + std::to_string(group->size()) +
                                " ranks sharing it");
  torch::manual_seed(options.seed);
  using torch::optim::AdamOptions;
  using torch::optim::AdamWOptions;
  const auto betas = std::make_tuple(options.beta1, options.beta2);
  m_optEbm = std::make_unique<torch::optim::Adam>(model.ebm()->parameters(),
                                                  AdamOptions(options.lr_ebm).betas(betas));
  m_optInit = std::make_unique<torch::optim::AdamW>(
      model.initializer()->parameters(),
      AdamWOptions(options.lr_init).betas(betas).weight_decay(options.init_weight_decay));
}

double Trainer::lrScale(int64_t warmup_offset) const {
  // §5.8: linear warm-up.
  return std::min(1.0, static_cast<double>(warmup_offset + m_step + 1) / m_options.warmup);
}

torch::Tensor Trainer::labelsOf(const Draws& d) const {
  const int64_t b = d.index.size(0);
  const auto none = torch::zeros({b}, torch::kLong);
  if (m_model.config().num_classes == 0) return none;
  torch::Tensor labels;
  if (m_data.attributes.defined()) {
    // Attribute data: each example is conditioned on one of its attributes, picked at random;
    // attribute a with value v is concept 1 + 2a + v (dataset.h).
    const auto& a = d.attribute;
    const auto v = m_data.attributes.index_select(0, d.index).gather(1, a.unsqueeze(1)).squeeze(1);
    labels = 1 + 2 * a + v;
  } else {
    labels = m_data.labels.index_select(0, d.index) + 1;
  }
  // §5 step 9: replace the label by ∅ with probability label_dropout.
  return torch::where(d.keep, labels, none);
}

// Algorithm 1, one iteration, on this rank's rows of the global batch.
StepStats Trainer::step() {
  const Schedule& schedule = m_model.schedule();
  const auto device = m_model.device();
  const int T = schedule.T();
  const int64_t B = m_options.batch;
  const int64_t dims = static_cast<int64_t>(m_model.config().data_shape.size());
  auto& ebm = *m_model.ebm();
  auto& init = *m_model.initializer();
  ebm.train();
  init.train();
  seedStepDropout();

  // A minibatch of clean data (random horizontal flip for natural images).
  const RowRange mine = m_group ? m_group->rowsOf(B) : RowRange{0, B};
  const int64_t b = mine.size();
  const Draws d = draw(mine);
  auto x_0 = m_data.data.index_select(0, d.index);
  if (m_data.random_flip) x_0 = torch::where(perSample(d.flip, dims), x_0.flip({-1}), x_0);
  x_0 = x_0.to(device);
  const auto labels = labelsOf(d).to(device);
  const auto noise = d.noise.to(device);
  auto drawn = [&noise](int64_t k) { return noise[k]; };

  // Steps 1–3: levels, a shared ε, the pair (x_i, x_{i−1}) and y⁺ = sqrt(m_i)·x_{i−1}.
  const auto i = d.level.to(device);
  const auto eps = drawn(0);
  const auto alpha_bar = column(schedule, &LevelCoefficients::alpha_bar, device);
  const auto lambda = column(schedule, &LevelCoefficients::lambda, device);
  auto gather = [&](const torch::Tensor& table, const torch::Tensor& at) {
    return perSample(table.index_select(0, at), dims);
  };
  const auto ab_i = gather(alpha_bar, i), ab_prev = gather(alpha_bar, i - 1);
  const auto x_i = ab_i.sqrt() * x_0 + (1 - ab_i).sqrt() * eps;
  const auto x_prev = ab_prev.sqrt() * x_0 + (1 - ab_prev).sqrt() * eps;
  const auto m_i = gather(column(schedule, &LevelCoefficients::m, device), i);
  const auto y_pos = m_i.sqrt() * x_prev;

  // Step 4: proposal ŷ = g_φ(x_i) + sqrt(β̃_i·m_i)·ε''.
  powerIterate(ebm);
  const auto beta_tilde = gather(column(schedule, &LevelCoefficients::beta_tilde, device), i);
  const auto emb_init = init.embed(lambda.index_select(0, i), labels);
  const auto y_hat = init.propose(x_i, emb_init) + (beta_tilde * m_i).sqrt() * drawn(1);

  // Step 5: K Langevin steps from ŷ with the current θ, one part of the rows per core as in
  // sampling.
  const auto emb_ebm = ebm.embed(lambda.index_select(0, i - 1), labels);
  const auto emb_chain = emb_ebm.detach();
  const int K = schedule.options().K;
  LangevinOptions chain_options;
  chain_options.steps = K;
  chain_options.record = false;
  const auto coeff = langevinCoefficients(schedule, i, K, dims);
  const auto parts = batchParts(device, b, x_0[0].numel());
  cacheNormalizedWeights(ebm);  // the chain's W/σ, filled before the parts read it at once
  const auto y_start = y_hat.detach();
  std::vector<torch::Tensor> y_parts(parts.size());
  auto refine = [&](size_t p, RowRange r) {
    auto rows = [&r](const torch::Tensor& t) { return t.slice(0, r.begin, r.end); };
    const LangevinCoefficients part_coeff{rows(coeff.grad_scale), rows(coeff.anchor),
                                          rows(coeff.noise_std)};
    const auto emb = rows(emb_chain);
    const EnergyGradient energy = [&](const torch::Tensor& y) {
      return energyAndGradient([&](const torch::Tensor& v) { return ebm.energy(v, emb); }, y);
    };
    const LangevinNoise chain_noise = [&](int k, const torch::Tensor&) {
      return rows(drawn(2 + k));
    };
    y_parts[p] =
        langevinRefine(rows(y_start), rows(x_i), part_coeff, energy, chain_options, chain_noise).y;
  };
  runParts(parts, refine);
  const auto y_tilde = torch::cat(y_parts).detach();
  requireFiniteAndBounded(y_tilde, m_step);

  // Steps 6–7: both losses (F(y⁺) and F(ỹ) in one batched forward), as sums over this rank's
  // rows divided by the global B: the ranks' gradients then sum to the whole batch's.
  const auto F = ebm.energy(torch::cat({y_pos, y_tilde}), torch::cat({emb_ebm, emb_ebm}));
  const auto F_pos = F.slice(0, 0, b), F_neg = F.slice(0, b);
  const auto w = column(schedule, &LevelCoefficients::weight, device).index_select(0, i);
  const auto loss_ebm = (w * (F_neg - F_pos)).sum() / static_cast<double>(B);
  const auto init_sq = (y_tilde - y_hat).pow(2).flatten(1).sum(1);
  const auto loss_init = init_sq.sum() / static_cast<double>(B);
  requireFinite(loss_ebm, "the EBM loss", m_step);
  requireFinite(loss_init, "the initializer loss", m_step);

  // Step 8: updates with warm-up and clipping (of the whole batch's gradient), then EMA.
  StepStats stats;
  stats.lr_ebm = m_options.lr_ebm * lrScale(0);
  stats.lr_init = m_options.lr_init * lrScale(m_options.init_warmup_start);
  setLearningRate<torch::optim::AdamOptions>(*m_optEbm, stats.lr_ebm);
  setLearningRate<torch::optim::AdamWOptions>(*m_optInit, stats.lr_init);
  m_optEbm->zero_grad();
  m_optInit->zero_grad();
  loss_ebm.backward();
  loss_init.backward();
  if (m_group) {
    std::vector<torch::Tensor> grads;
    for (const auto& p : ebm.parameters()) grads.push_back(p.grad());
    for (const auto& p : init.parameters()) grads.push_back(p.grad());
    m_group->allReduceSum(grads,
                          "all-reducing the gradients of step " + std::to_string(m_step + 1));
  }
  stats.grad_norm_ebm = torch::nn::utils::clip_grad_norm_(ebm.parameters(), m_options.grad_clip);
  stats.grad_norm_init = torch::nn::utils::clip_grad_norm_(init.parameters(), m_options.grad_clip);
  if (const auto alarm = m_runaway.add(stats.grad_norm_ebm)) {
    char what[200];
    std::snprintf(what, sizeof what,
                  "the EBM's gradient norm ran away (recent median %.3g, %.0f× its usual %.3g)",
                  alarm->recent_median, alarm->recent_median / alarm->baseline_median,
                  alarm->baseline_median);
    throw divergedAt(m_step, what);
  }
  m_optEbm->step();
  m_optInit->step();
  m_model.updateEma(m_options.ema_decay);
  ++m_step;

  // Statistics of the whole batch: sums over the rows, summed over the ranks.
  torch::NoGradGuard no_grad;
  const auto init_err = (y_hat - y_pos).pow(2).flatten(1).sum(1);
  const auto norm = y_tilde.flatten(1).norm(2, 1);
  BatchSums sums;
  sums.totals = torch::stack({(w * (F_neg - F_pos)).sum(), init_sq.sum(), F_pos.sum(), F_neg.sum(),
                              init_err.sum()})
                    .to(torch::kCPU, torch::kDouble);
  const auto per_level = torch::stack({torch::ones_like(norm), F_pos, F_neg, norm, init_err});
  sums.levels = torch::zeros({5, T + 1}, per_level.options())
                    .index_add_(1, i, per_level)
                    .to(torch::kCPU, torch::kDouble);
  if (m_group)
    m_group->allReduceSum({sums.totals, sums.levels},
                          "all-reducing the statistics of step " + std::to_string(m_step));
  const auto total = sums.totals.accessor<double, 1>();
  const auto level = sums.levels.accessor<double, 2>();
  stats.step = m_step;
  stats.loss_ebm = total[0] / static_cast<double>(B);
  stats.loss_init = total[1] / static_cast<double>(B);
  stats.energy_pos = total[2] / static_cast<double>(B);
  stats.energy_neg = total[3] / static_cast<double>(B);
  stats.init_error = total[4] / static_cast<double>(B);
  stats.levels.resize(T);
  for (int l = 1; l <= T; ++l) {
    LevelStats& ls = stats.levels[l - 1];
    ls.count = static_cast<int64_t>(level[0][l]);
    if (ls.count == 0) continue;
    const double n = level[0][l];
    ls.energy_pos = level[1][l] / n;
    ls.energy_neg = level[2][l] / n;
    ls.sample_norm = level[3][l] / n;
    ls.init_error = level[4][l] / n;
  }
  return stats;
}

std::map<std::string, torch::Tensor> Trainer::stateTensors() const {
  std::map<std::string, torch::Tensor> out;
  out["trainer/step"] = torch::tensor(m_step, torch::kLong);
  exportMoments<torch::optim::AdamParamState>(*m_optEbm, "optimizer/ebm/", out);
  exportMoments<torch::optim::AdamWParamState>(*m_optInit, "optimizer/initializer/", out);
  out["trainer/grad_norm_ebm_history"] = torch::tensor(m_runaway.history(), torch::kDouble);
  return out;
}

void Trainer::loadStateTensors(const std::map<std::string, torch::Tensor>& in) {
  // (Files from before the draws were keyed also hold generator states, no longer needed.)
  if (!in.count("trainer/step"))
    throw std::runtime_error(
        "checkpoint has no training state (trainer/step missing): it cannot "
        "be resumed");
  m_step = in.at("trainer/step").item<int64_t>();
  importMoments<torch::optim::AdamParamState>(*m_optEbm, "optimizer/ebm/", in);
  importMoments<torch::optim::AdamWParamState>(*m_optInit, "optimizer/initializer/", in);
  // (Files written before 2026-12-01 hold no history: the watch then waits for a new baseline.)
  m_runaway = RunawayWatch();
  if (const auto it = in.find("trainer/grad_norm_ebm_history"); it != in.end()) {
    const auto norms = it->second.to(torch::kDouble).contiguous().view(-1);
    try {
      m_runaway.restore({norms.data_ptr<double>(), norms.data_ptr<double>() + norms.numel()});
    } catch (const std::invalid_argument& e) {
      throw std::runtime_error(std::string("checkpoint: trainer/grad_norm_ebm_history: ") +
                               e.what());
    }
  }
}

}  // namespace cdrl
