#include "sampling_controls.h"

#include <QCheckBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QRandomGenerator>
#include <QSlider>
#include <QSpinBox>
#include <QTimer>
#include <QToolButton>

namespace cdrl::studio {

namespace {

constexpr int kDebounceMs = 300;
constexpr int kGuidanceTicks = 10;  // slider ticks per unit of w

QWidget* row(QWidget* slider, QWidget* box) {
  auto* w = new QWidget;
  auto* layout = new QHBoxLayout(w);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(slider, 1);
  layout->addWidget(box);
  return w;
}

// Keeps an integer slider and spin box showing the same value.
void link(QSlider* slider, QSpinBox* box) {
  QObject::connect(slider, &QSlider::valueChanged, box, &QSpinBox::setValue);
  QObject::connect(box, qOverload<int>(&QSpinBox::valueChanged), slider, &QSlider::setValue);
}

}  // namespace

SamplingControls::SamplingControls(QWidget* parent) : QWidget(parent) {
  m_guidanceSlider = new QSlider(Qt::Horizontal);
  m_guidanceSlider->setObjectName("guidanceSlider");
  m_guidanceSlider->setRange(0, 10 * kGuidanceTicks);
  m_guidance = new QDoubleSpinBox;
  m_guidance->setObjectName("guidanceBox");
  m_guidance->setRange(0, 10);
  m_guidance->setSingleStep(0.1);
  m_guidance->setDecimals(2);
  const QString guidance_tip =
      tr("Guidance weight w: (1+w)·F(y|c) − w·F(y|∅); 0 = plain conditioning");
  m_guidanceSlider->setToolTip(guidance_tip);
  m_guidance->setToolTip(guidance_tip);
  connect(m_guidanceSlider, &QSlider::valueChanged, this,
          [this](int v) { m_guidance->setValue(double(v) / kGuidanceTicks); });
  connect(m_guidance, qOverload<double>(&QDoubleSpinBox::valueChanged), this, [this](double v) {
    const QSignalBlocker block(m_guidanceSlider);
    m_guidanceSlider->setValue(qRound(v * kGuidanceTicks));
  });

  // 1 … max in order, starting at the model's K (marked by the suffix), so the slider never
  // jumps from K back to 1 at its left end.
  m_stepsSlider = new QSlider(Qt::Horizontal);
  m_stepsSlider->setObjectName("stepsSlider");
  m_stepsSlider->setRange(1, 60);
  m_steps = new QSpinBox;
  m_steps->setObjectName("stepsBox");
  m_steps->setRange(1, 60);
  const QString steps_tip =
      tr("Langevin steps per level K'; the step size is scaled by sqrt(K/K') as in the paper");
  m_stepsSlider->setToolTip(steps_tip);
  m_steps->setToolTip(steps_tip);
  link(m_stepsSlider, m_steps);
  m_steps->setValue(m_modelK);
  connect(m_steps, qOverload<int>(&QSpinBox::valueChanged), this,
          &SamplingControls::updateStepsSuffix);

  m_countSlider = new QSlider(Qt::Horizontal);
  m_countSlider->setRange(1, 256);
  m_count = new QSpinBox;
  m_count->setObjectName("countBox");
  m_count->setRange(1, 256);
  m_count->setValue(16);
  m_countSlider->setValue(16);
  const QString count_tip = tr("Number of samples drawn at once");
  m_countSlider->setToolTip(count_tip);
  m_count->setToolTip(count_tip);
  link(m_countSlider, m_count);

  m_seed = new QSpinBox;
  m_seed->setObjectName("seedBox");
  m_seed->setRange(0, std::numeric_limits<int>::max());
  m_seed->setToolTip(tr("Seed: the same seed and settings always give the same images"));
  m_reroll = new QToolButton;
  m_reroll->setObjectName("rerollButton");
  m_reroll->setText(tr("Reroll"));
  m_reroll->setToolTip(tr("Draw a new random seed (not while the seed is locked)"));
  m_lock = new QToolButton;
  m_lock->setObjectName("lockButton");
  m_lock->setText(tr("Lock"));
  m_lock->setCheckable(true);
  m_lock->setToolTip(tr("Keep this seed: Reroll does nothing while locked"));
  connect(m_reroll, &QToolButton::clicked, this, &SamplingControls::reroll);
  connect(m_lock, &QToolButton::toggled, m_reroll, &QWidget::setDisabled);
  auto* seed_row = new QWidget;
  auto* seed_layout = new QHBoxLayout(seed_row);
  seed_layout->setContentsMargins(0, 0, 0, 0);
  seed_layout->addWidget(m_seed, 1);
  seed_layout->addWidget(m_reroll);
  seed_layout->addWidget(m_lock);

  m_noise = new QCheckBox(tr("Noise"));
  m_noise->setObjectName("noiseBox");
  m_noise->setChecked(true);
  m_noise->setToolTip(tr("Proposal and Langevin noise; off gives a deterministic refinement"));
  m_ema = new QCheckBox(tr("EMA weights"));
  m_ema->setObjectName("emaBox");
  m_ema->setChecked(true);
  m_ema->setToolTip(tr("Sample with the EMA weights (as the paper does) or the raw ones"));

  auto* form = new QFormLayout(this);
  form->addRow(tr("Guidance w"), row(m_guidanceSlider, m_guidance));
  form->addRow(tr("Langevin steps"), row(m_stepsSlider, m_steps));
  form->addRow(tr("Samples"), row(m_countSlider, m_count));
  form->addRow(tr("Seed"), seed_row);
  auto* toggles = new QWidget;
  auto* toggle_layout = new QHBoxLayout(toggles);
  toggle_layout->setContentsMargins(0, 0, 0, 0);
  toggle_layout->addWidget(m_noise);
  toggle_layout->addWidget(m_ema);
  form->addRow(toggles);

  m_debounce = new QTimer(this);
  m_debounce->setSingleShot(true);
  m_debounce->setInterval(kDebounceMs);
  connect(m_debounce, &QTimer::timeout, this, &SamplingControls::changed);
  auto restart = [this] { m_debounce->start(); };
  connect(m_guidance, qOverload<double>(&QDoubleSpinBox::valueChanged), this, restart);
  connect(m_steps, qOverload<int>(&QSpinBox::valueChanged), this, restart);
  connect(m_count, qOverload<int>(&QSpinBox::valueChanged), this, restart);
  connect(m_seed, qOverload<int>(&QSpinBox::valueChanged), this, restart);
  connect(m_noise, &QCheckBox::toggled, this, restart);
  connect(m_ema, &QCheckBox::toggled, this, restart);
}

SamplingControlsState SamplingControls::state() const {
  SamplingControlsState s;
  s.guidance = m_guidance->isEnabled() ? m_guidance->value() : 0.0;
  s.steps = m_steps->value() == m_modelK ? 0 : m_steps->value();
  s.count = m_count->value();
  s.seed = static_cast<quint64>(m_seed->value());
  s.noise = m_noise->isChecked();
  s.use_ema = m_ema->isChecked();
  return s;
}

void SamplingControls::setState(const SamplingControlsState& s) {
  m_guidance->setValue(s.guidance);
  m_steps->setValue(s.steps > 0 ? s.steps : m_modelK);
  m_count->setValue(s.count);
  m_seed->setValue(static_cast<int>(s.seed));
  m_noise->setChecked(s.noise);
  m_ema->setChecked(s.use_ema);
  m_debounce->stop();
}

void SamplingControls::setModelSteps(int K) {
  const bool at_model_K = m_steps->value() == m_modelK;
  m_modelK = std::max(1, K);
  m_stepsSlider->setRange(1, std::max(60, 4 * m_modelK));
  m_steps->setRange(1, std::max(60, 4 * m_modelK));
  if (at_model_K) {
    const QSignalBlocker block(m_steps);
    m_steps->setValue(m_modelK);
    m_stepsSlider->setValue(m_modelK);
  }
  updateStepsSuffix();
}

void SamplingControls::updateStepsSuffix() {
  m_steps->setSuffix(m_steps->value() == m_modelK ? tr(" (trained K)") : QString());
}

void SamplingControls::setGuidanceEnabled(bool enabled, const QString& why) {
  m_guidance->setEnabled(enabled);
  m_guidanceSlider->setEnabled(enabled);
  const QString tip = enabled ? tr("Guidance weight w: (1+w)·F(y|c) − w·F(y|∅); 0 = plain "
                                   "conditioning")
                              : why;
  m_guidance->setToolTip(tip);
  m_guidanceSlider->setToolTip(tip);
}

bool SamplingControls::seedLocked() const { return m_lock->isChecked(); }
int SamplingControls::debounceMs() const { return kDebounceMs; }

void SamplingControls::reroll() {
  if (seedLocked()) return;
  m_seed->setValue(static_cast<int>(QRandomGenerator::global()->bounded(1 << 30)));
}

}  // namespace cdrl::studio
