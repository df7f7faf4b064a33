#include "cdrl/trainer.h"

#include "cdrl/langevin.h"
#include "nn/spectral_norm.h"
#include "runtime/shard_pool.h"

#include <cmath>

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

void requireFinite(const torch::Tensor& t, const char* what, int64_t step) {
  if (!torch::isfinite(t).all().item<bool>())
    throw DivergedError(std::string("training diverged at step ") + std::to_string(step + 1) +
                        ": " + what + " is not finite");
}

// Adam and AdamW keep the same per-parameter moments; these move them in and out of named tensors.
template <typename State>
void exportMoments(torch::optim::Optimizer& opt, const std::string& prefix,
                   std::map<std::string, torch::Tensor>& out) {
  const auto& params = opt.param_groups().at(0).params();
  for (size_t k = 0; k < params.size(); ++k) {
    auto it = opt.state().find(c10::guts::to_string(params[k].unsafeGetTensorImpl()));
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
    opt.state()[c10::guts::to_string(params[k].unsafeGetTensorImpl())] = std::move(state);
  }
}

torch::Tensor generatorState(torch::Generator gen) { return gen.get_state().clone(); }

}  // namespace

Trainer::Trainer(Model& model, const Dataset& data, const TrainOptions& options)
    : m_model(model), m_data(data), m_options(options) {
  m_options.validate();
  if (data.size() < 1) throw std::invalid_argument("training data '" + data.name + "' is empty");
  if (data.exampleShape() != model.config().data_shape)
    throw std::invalid_argument("training data '" + data.name +
                                "' does not match the model's data shape");
  if (model.config().num_classes > 0 && !data.labels.defined() && !data.attributes.defined())
    throw std::invalid_argument("a conditional model needs labelled or attributed data");
  m_gen = at::detail::createCPUGenerator(options.seed);
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

torch::Tensor Trainer::drawLabels(const torch::Tensor& index) {
  const int64_t B = index.size(0);
  const auto none = torch::zeros({B}, torch::kLong);
  if (m_model.config().num_classes == 0) return none;
  torch::Tensor labels;
  if (m_data.attributes.defined()) {
    // Attribute data: each example is conditioned on one of its attributes, picked at random;
    // attribute a with value v is concept 1 + 2a + v (dataset.h).
    const int64_t A = m_data.attributes.size(1);
    const auto a = torch::randint(A, {B}, m_gen);
    const auto v = m_data.attributes.index_select(0, index).gather(1, a.unsqueeze(1)).squeeze(1);
    labels = 1 + 2 * a + v;
  } else {
    labels = m_data.labels.index_select(0, index) + 1;
  }
  // §5 step 9: replace the label by ∅ with probability label_dropout.
  const auto keep = torch::rand({B}, m_gen) >= m_options.label_dropout;
  return torch::where(keep, labels, none);
}

// Algorithm 1, one iteration.
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

  // Draw a minibatch of clean data (random horizontal flip for natural images).
  const auto index = torch::randint(m_data.size(), {B}, m_gen);
  auto x_0 = m_data.data.index_select(0, index);
  if (m_data.random_flip) {
    const auto flip = perSample(torch::rand({B}, m_gen) < 0.5, dims);
    x_0 = torch::where(flip, x_0.flip({-1}), x_0);
  }
  x_0 = x_0.to(device);
  const auto labels = drawLabels(index).to(device);

  // Steps 1–3: levels, a shared ε, the pair (x_i, x_{i−1}) and y⁺ = sqrt(m_i)·x_{i−1}.
  const auto i = torch::randint(1, T + 1, {B}, m_gen).to(device);
  const auto eps = torch::randn(x_0.sizes(), m_gen).to(device);
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
  const auto eps2 = torch::randn(x_0.sizes(), m_gen).to(device);
  const auto y_hat = init.propose(x_i, emb_init) + (beta_tilde * m_i).sqrt() * eps2;

  // Step 5: K Langevin steps from ŷ with the current θ, one part of the batch per core as in
  // sampling: the noise drawn for the whole batch first, in the order one chain draws it.
  const auto emb_ebm = ebm.embed(lambda.index_select(0, i - 1), labels);
  const auto emb_chain = emb_ebm.detach();
  const int K = schedule.options().K;
  LangevinOptions chain_options;
  chain_options.steps = K;
  chain_options.record = false;
  const auto coeff = langevinCoefficients(schedule, i, K, dims);
  std::vector<torch::Tensor> chain_noise;
  for (int k = 0; k < K; ++k) chain_noise.push_back(torch::randn(x_0.sizes(), m_gen).to(device));
  const auto parts = batchParts(device, B, x_0[0].numel());
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
    const LangevinNoise noise = [&](int k, const torch::Tensor&) {
      return rows(chain_noise[static_cast<size_t>(k)]);
    };
    y_parts[p] =
        langevinRefine(rows(y_start), rows(x_i), part_coeff, energy, chain_options, noise).y;
  };
  runParts(parts, refine);
  const auto y_tilde = torch::cat(y_parts).detach();
  requireFinite(y_tilde, "the refined sample ỹ", m_step);

  // Steps 6–7: both losses (F(y⁺) and F(ỹ) in one batched forward).
  const auto F = ebm.energy(torch::cat({y_pos, y_tilde}), torch::cat({emb_ebm, emb_ebm}));
  const auto F_pos = F.slice(0, 0, B), F_neg = F.slice(0, B);
  const auto w = column(schedule, &LevelCoefficients::weight, device).index_select(0, i);
  const auto loss_ebm = (w * (F_neg - F_pos)).mean();
  const auto loss_init = (y_tilde - y_hat).pow(2).flatten(1).sum(1).mean();
  requireFinite(loss_ebm, "the EBM loss", m_step);
  requireFinite(loss_init, "the initializer loss", m_step);

  // Step 8: updates with warm-up and clipping, then EMA.
  StepStats stats;
  stats.lr_ebm = m_options.lr_ebm * lrScale(0);
  stats.lr_init = m_options.lr_init * lrScale(m_options.init_warmup_start);
  setLearningRate<torch::optim::AdamOptions>(*m_optEbm, stats.lr_ebm);
  setLearningRate<torch::optim::AdamWOptions>(*m_optInit, stats.lr_init);
  m_optEbm->zero_grad();
  loss_ebm.backward();
  stats.grad_norm_ebm = torch::nn::utils::clip_grad_norm_(ebm.parameters(), m_options.grad_clip);
  m_optEbm->step();
  m_optInit->zero_grad();
  loss_init.backward();
  stats.grad_norm_init = torch::nn::utils::clip_grad_norm_(init.parameters(), m_options.grad_clip);
  m_optInit->step();
  m_model.updateEma(m_options.ema_decay);
  ++m_step;

  torch::NoGradGuard no_grad;
  stats.step = m_step;
  stats.loss_ebm = loss_ebm.item<double>();
  stats.loss_init = loss_init.item<double>();
  stats.energy_pos = F_pos.mean().item<double>();
  stats.energy_neg = F_neg.mean().item<double>();
  const auto init_err = (y_hat - y_pos).pow(2).flatten(1).sum(1);
  stats.init_error = init_err.mean().item<double>();
  const auto norm = y_tilde.flatten(1).norm(2, 1);
  const auto level_cpu = i.to(torch::kCPU);
  stats.levels.resize(T);
  for (int level = 1; level <= T; ++level) {
    const auto mask = (level_cpu == level).to(device);
    LevelStats& ls = stats.levels[level - 1];
    ls.count = mask.sum().item<int64_t>();
    if (ls.count == 0) continue;
    ls.energy_pos = F_pos.masked_select(mask).mean().item<double>();
    ls.energy_neg = F_neg.masked_select(mask).mean().item<double>();
    ls.sample_norm = norm.masked_select(mask).mean().item<double>();
    ls.init_error = init_err.masked_select(mask).mean().item<double>();
  }
  return stats;
}

std::map<std::string, torch::Tensor> Trainer::stateTensors() const {
  std::map<std::string, torch::Tensor> out;
  out["trainer/step"] = torch::tensor(m_step, torch::kLong);
  out["trainer/generator"] = generatorState(m_gen);
  out["trainer/global_generator"] = generatorState(at::detail::getDefaultCPUGenerator());
  exportMoments<torch::optim::AdamParamState>(*m_optEbm, "optimizer/ebm/", out);
  exportMoments<torch::optim::AdamWParamState>(*m_optInit, "optimizer/initializer/", out);
  return out;
}

void Trainer::loadStateTensors(const std::map<std::string, torch::Tensor>& in) {
  for (const char* key : {"trainer/step", "trainer/generator", "trainer/global_generator"})
    if (!in.count(key))
      throw std::runtime_error(std::string("checkpoint has no training state (") + key +
                               " missing): it cannot be resumed");
  m_step = in.at("trainer/step").item<int64_t>();
  m_gen.set_state(in.at("trainer/generator"));
  auto global = at::detail::getDefaultCPUGenerator();
  global.set_state(in.at("trainer/global_generator"));
  importMoments<torch::optim::AdamParamState>(*m_optEbm, "optimizer/ebm/", in);
  importMoments<torch::optim::AdamWParamState>(*m_optInit, "optimizer/initializer/", in);
}

}  // namespace cdrl
