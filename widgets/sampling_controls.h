// The sampling controls: guidance weight, Langevin steps per level, sample count and seed (each a
// slider with a typed-in value), seed reroll and lock, noise on/off, EMA or raw weights. Any change
// emits `changed()` once after a short debounce, so a drag re-samples once, not per pixel.
#pragma once

#include <QWidget>

class QCheckBox;
class QDoubleSpinBox;
class QSlider;
class QSpinBox;
class QTimer;
class QToolButton;

namespace cdrl::studio {

struct SamplingControlsState {
  double guidance = 0;  // w (§7)
  int steps = 0;        // K' per level; 0 = the model's K
  int count = 16;
  quint64 seed = 0;
  bool noise = true;
  bool use_ema = true;
};

class SamplingControls : public QWidget {
  Q_OBJECT
 public:
  explicit SamplingControls(QWidget* parent = nullptr);

  SamplingControlsState state() const;
  // Shows `state` without emitting changed() (restoring is not a change to act on).
  void setState(const SamplingControlsState& state);
  // The model's K, shown as the steps slider's default and upper reference.
  void setModelSteps(int K);
  void setGuidanceEnabled(bool enabled, const QString& why);
  bool seedLocked() const;
  int debounceMs() const;

 public Q_SLOTS:
  // A new random seed unless the seed is locked.
  void reroll();

 Q_SIGNALS:
  void changed();

 private:
  void updateStepsSuffix();

  QSlider *m_guidanceSlider, *m_stepsSlider, *m_countSlider;
  QDoubleSpinBox* m_guidance;
  QSpinBox *m_steps, *m_count, *m_seed;
  QToolButton *m_reroll, *m_lock;
  QCheckBox *m_noise, *m_ema;
  QTimer* m_debounce;
  int m_modelK = 15;  // the open model's training K: state().steps 0 stands for it
};

}  // namespace cdrl::studio
