#include "cdrl/model.h"

namespace cdrl {

namespace {

void emaUpdate(torch::nn::Module& ema, const torch::nn::Module& live, double decay) {
  torch::NoGradGuard no_grad;
  const auto live_params = live.named_parameters();
  for (auto& item : ema.named_parameters())
    item.value().mul_(decay).add_(live_params[item.key()], 1.0 - decay);
  const auto live_buffers = live.named_buffers();
  for (auto& item : ema.named_buffers()) item.value().copy_(live_buffers[item.key()]);
}

}  // namespace

Model::Model(const ModelConfig& config, torch::Device device)
    : m_config(config), m_schedule(config.schedule), m_device(device) {
  m_config.validate();
  m_ebm = makeEnergyNet(config.ebm, config.data_shape, config.num_classes);
  m_init = makeInitializerNet(config.initializer, config.data_shape, config.num_classes);
  m_ebmEma = makeEnergyNet(config.ebm, config.data_shape, config.num_classes);
  m_initEma = makeInitializerNet(config.initializer, config.data_shape, config.num_classes);
  for (torch::nn::Module* net :
       {static_cast<torch::nn::Module*>(m_ebm.get()), static_cast<torch::nn::Module*>(m_init.get()),
        static_cast<torch::nn::Module*>(m_ebmEma.get()),
        static_cast<torch::nn::Module*>(m_initEma.get())})
    net->to(device);
  resetEma();
  m_ebmEma->eval();
  m_initEma->eval();
  for (auto& p : m_ebmEma->parameters()) p.set_requires_grad(false);
  for (auto& p : m_initEma->parameters()) p.set_requires_grad(false);
}

void Model::updateEma(double decay) {
  emaUpdate(*m_ebmEma, *m_ebm, decay);
  emaUpdate(*m_initEma, *m_init, decay);
}

std::vector<torch::Tensor> Model::stateTensors() {
  std::vector<torch::Tensor> out;
  for (torch::nn::Module* net : std::initializer_list<torch::nn::Module*>{
           m_ebm.get(), m_ebmEma.get(), m_init.get(), m_initEma.get()}) {
    for (const auto& p : net->parameters()) out.push_back(p);
    for (const auto& b : net->buffers()) out.push_back(b);
  }
  return out;
}

void Model::resetEma() {
  copyState(*m_ebmEma, *m_ebm);
  copyState(*m_initEma, *m_init);
}

}  // namespace cdrl
