#include "cdrl/training_metrics.h"

namespace cdrl {

nlohmann::json metricsLine(const StepStats& s, const ThroughputStats& t) {
  nlohmann::json levels = nlohmann::json::array();
  for (size_t k = 0; k < s.levels.size(); ++k) {
    const auto& l = s.levels[k];
    levels.push_back({{"level", k + 1},
                      {"count", l.count},
                      {"energy_pos", l.energy_pos},
                      {"energy_neg", l.energy_neg},
                      {"sample_norm", l.sample_norm},
                      {"init_error", l.init_error}});
  }
  return {{"step", s.step},
          {"wall_time", t.wall_seconds},
          {"loss_ebm", s.loss_ebm},
          {"loss_init", s.loss_init},
          {"energy_pos", s.energy_pos},
          {"energy_neg", s.energy_neg},
          {"init_error", s.init_error},
          {"lr_ebm", s.lr_ebm},
          {"lr_init", s.lr_init},
          {"grad_norm_ebm", s.grad_norm_ebm},
          {"grad_norm_init", s.grad_norm_init},
          {"samples_per_s", t.samples_per_s},
          {"levels", levels}};
}

}  // namespace cdrl
