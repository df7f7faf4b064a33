#include "train_options.h"

#include <stdexcept>

namespace cdrl {

void TrainOptions::validate() const {
  auto require = [](bool ok, const char* what) {
    if (!ok) throw std::invalid_argument(std::string("training options: ") + what);
  };
  require(steps >= 1, "steps must be at least 1");
  require(batch >= 1, "batch must be at least 1");
  require(lr_ebm > 0 && lr_init > 0, "learning rates must be positive");
  require(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1, "Adam betas must be in [0, 1)");
  require(init_weight_decay >= 0, "init_weight_decay must be ≥ 0");
  require(warmup >= 1, "warmup must be at least 1");
  require(init_warmup_start >= 0, "init_warmup_start must be ≥ 0");
  require(grad_clip > 0, "grad_clip must be positive");
  require(ema_decay >= 0 && ema_decay < 1, "ema_decay must be in [0, 1)");
  require(label_dropout >= 0 && label_dropout <= 1, "label_dropout must be in [0, 1]");
  require(log_every >= 1, "log_every must be at least 1");
  require(checkpoint_every >= 1, "checkpoint_every must be at least 1");
}

}  // namespace cdrl
