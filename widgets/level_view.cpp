#include "level_view.h"

#include "convergence_plot.h"

#include <QHBoxLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QPainter>
#include <QSlider>
#include <QSpinBox>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

namespace cdrl::studio {

// Paints rows of samples × the four columns of one frame, each image scaled to fit its cell
// without smoothing (small images stay crisp).
class LevelGrid : public QWidget {
 public:
  explicit LevelGrid(QWidget* parent) : QWidget(parent) {
    setMinimumSize(320, 200);
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
  }

  // Shows samples first … first + max_samples − 1 of `frame`.
  void setFrame(const LevelFrame* frame, int max_samples, int first) {
    m_frame = frame;
    m_maxSamples = max_samples;
    m_first = first;
    m_step = -1;
    update();
  }

  // Shows the chain after Langevin step `step` (1…K) in the refined column; 0 = the proposal,
  // −1 = the final refined sample.
  void setStep(int step) {
    m_step = step;
    update();
  }

 protected:
  void paintEvent(QPaintEvent*) override {
    QPainter p(this);
    p.fillRect(rect(), palette().window());
    const QString kTitles[] = {tr("x_i"), tr("proposal ŷ"),
                               m_step >= 0 ? tr("after step %1").arg(m_step) : tr("refined ỹ"),
                               tr("|ỹ − ŷ|")};
    const int header = fontMetrics().height() + 4;
    const int columns = 4;
    const int rows =
        m_frame ? std::clamp<int>(static_cast<int>(m_frame->x_i.size()) - m_first, 0, m_maxSamples)
                : 0;
    const int cell_w = width() / columns;
    const int cell_h = rows > 0 ? (height() - header) / rows : 0;
    const int side = std::max(1, std::min(cell_w, cell_h) - 6);
    for (int c = 0; c < columns; ++c)
      p.drawText(QRect(c * cell_w, 0, cell_w, header), Qt::AlignCenter, kTitles[c]);
    if (!m_frame) return;
    const QVector<QImage>* chain = m_step < 0    ? &m_frame->refined
                                   : m_step == 0 ? &m_frame->proposal
                                                 : &m_frame->steps[m_step - 1];
    const QVector<QImage>* images[] = {&m_frame->x_i, &m_frame->proposal, chain,
                                       &m_frame->difference};
    for (int r = 0; r < rows; ++r)
      for (int c = 0; c < columns; ++c) {
        if (m_first + r >= images[c]->size()) continue;
        const QRect target(c * cell_w + (cell_w - side) / 2, header + r * cell_h + 3, side, side);
        p.drawImage(target, images[c]->at(m_first + r));
      }
  }

 private:
  const LevelFrame* m_frame = nullptr;
  int m_maxSamples = 4;
  int m_first = 0;
  int m_step = -1;
};

LevelView::LevelView(QWidget* parent) : QWidget(parent) {
  m_grid = new LevelGrid(this);
  m_scrubber = new QSlider(Qt::Horizontal, this);
  m_scrubber->setToolTip(tr("Reverse noise level shown (left: T, pure noise; right: level 1)"));
  m_prev = new QToolButton(this);
  m_prev->setText(tr("◀"));
  m_prev->setToolTip(tr("Previous level (Left arrow)"));
  m_next = new QToolButton(this);
  m_next->setText(tr("▶"));
  m_next->setToolTip(tr("Next level (Right arrow)"));
  m_play = new QToolButton(this);
  m_play->setText(tr("Play"));
  m_play->setCheckable(true);
  m_play->setToolTip(tr("Step through the levels as an animation (Space)"));
  m_stepSlider = new QSlider(Qt::Horizontal, this);
  m_stepSlider->setObjectName("stepSlider");
  m_stepSlider->setToolTip(
      tr("Langevin step within this level shown in the refined column (0: the proposal)"));
  m_replay = new QToolButton(this);
  m_replay->setObjectName("replayButton");
  m_replay->setText(tr("Replay steps"));
  m_replay->setToolTip(tr("Replay this level's Langevin steps from the proposal (R)"));
  m_stepTimer = new QTimer(this);
  m_stepTimer->setInterval(120);
  m_caption = new QLabel(this);
  m_caption->setObjectName("levelCaption");
  m_convergence = new ConvergencePlot(this);
  m_playTimer = new QTimer(this);
  m_playTimer->setInterval(600);
  m_first = new QSpinBox(this);
  m_first->setObjectName("firstSampleBox");
  m_first->setPrefix(tr("samples from "));
  m_first->setToolTip(
      tr("Which of the run's samples the rows show, %1 at a time").arg(m_maxSamples));
  m_first->setSingleStep(m_maxSamples);

  auto* controls = new QHBoxLayout;
  controls->addWidget(m_prev);
  controls->addWidget(m_scrubber, 1);
  controls->addWidget(m_next);
  controls->addWidget(m_play);
  auto* steps = new QHBoxLayout;
  steps->addWidget(new QLabel(tr("Step"), this));
  steps->addWidget(m_stepSlider, 1);
  steps->addWidget(m_replay);
  steps->addWidget(m_first);
  auto* layout = new QVBoxLayout(this);
  layout->addWidget(m_grid, 1);
  layout->addWidget(m_caption);
  layout->addLayout(steps);
  layout->addWidget(m_convergence);
  layout->addLayout(controls);
  setFocusPolicy(Qt::StrongFocus);

  connect(m_scrubber, &QSlider::valueChanged, this, &LevelView::showIndex);
  connect(m_stepSlider, &QSlider::valueChanged, this, &LevelView::showStep);
  connect(m_replay, &QToolButton::clicked, this, &LevelView::replaySteps);
  connect(m_first, qOverload<int>(&QSpinBox::valueChanged), this, [this] {
    if (m_current < 0) return;
    m_grid->setFrame(&m_frames[m_current], m_maxSamples, firstSample());
    showStep(m_step);
  });
  connect(m_stepTimer, &QTimer::timeout, this, [this] {
    showStep(m_step + 1);
    if (m_step >= stepCount()) m_stepTimer->stop();
  });
  connect(m_prev, &QToolButton::clicked, this, [this] { showIndex(m_current - 1); });
  connect(m_next, &QToolButton::clicked, this, [this] { showIndex(m_current + 1); });
  connect(m_play, &QToolButton::toggled, this, [this](bool on) {
    if (on && m_current >= frameCount() - 1) showIndex(0);
    on ? m_playTimer->start() : m_playTimer->stop();
  });
  connect(m_playTimer, &QTimer::timeout, this, [this] {
    if (m_current >= frameCount() - 1)
      m_play->setChecked(false);
    else
      showIndex(m_current + 1);
  });
  updateControls();
}

void LevelView::clear(const QString& note) {
  m_emptyNote = note;
  m_frames.clear();
  m_current = -1;
  m_step = 0;
  m_stepTimer->stop();
  m_grid->setFrame(nullptr, m_maxSamples, 0);
  m_convergence->clear();
  updateControls();
}

void LevelView::addFrame(const LevelFrame& frame) {
  m_frames.push_back(frame);
  showIndex(frameCount() - 1);
}

void LevelView::showIndex(int index) {
  if (m_frames.isEmpty()) return;
  index = std::clamp(index, 0, frameCount() - 1);
  const bool changed = index != m_current;
  m_current = index;
  const LevelFrame& f = m_frames[m_current];
  m_grid->setFrame(&f, m_maxSamples, firstSample());
  m_convergence->setChain(f.level, f.step_energy, f.step_displacement);
  m_stepTimer->stop();
  m_step = stepCount();
  updateControls();
  if (changed) Q_EMIT levelShown(index);
}

int LevelView::firstSample() const { return m_first->value() - 1; }

int LevelView::stepCount() const {
  return m_current < 0 ? 0 : static_cast<int>(m_frames[m_current].steps.size());
}

void LevelView::showStep(int step) {
  if (stepCount() == 0) return;
  m_step = std::clamp(step, 0, stepCount());
  // The last step is the refined sample itself.
  m_grid->setStep(m_step == stepCount() ? -1 : m_step);
  m_convergence->setMarker(m_step);
  const QSignalBlocker block(m_stepSlider);
  m_stepSlider->setValue(m_step);
  Q_EMIT stepShown(m_step);
}

void LevelView::replaySteps() {
  if (stepCount() == 0) return;
  showStep(0);
  m_stepTimer->start();
}

void LevelView::keyPressEvent(QKeyEvent* event) {
  switch (event->key()) {
    case Qt::Key_Left:
      showIndex(m_current - 1);
      break;
    case Qt::Key_Right:
      showIndex(m_current + 1);
      break;
    case Qt::Key_Space:
      m_play->toggle();
      break;
    case Qt::Key_R:
      replaySteps();
      break;
    default:
      QWidget::keyPressEvent(event);
  }
}

void LevelView::updateControls() {
  const QSignalBlocker block(m_scrubber);
  m_scrubber->setRange(0, std::max(0, frameCount() - 1));
  m_scrubber->setValue(std::max(0, m_current));
  const bool any = !m_frames.isEmpty();
  m_scrubber->setEnabled(any);
  m_prev->setEnabled(any && m_current > 0);
  m_next->setEnabled(any && m_current < frameCount() - 1);
  m_play->setEnabled(frameCount() > 1);
  const QSignalBlocker block_steps(m_stepSlider);
  m_stepSlider->setRange(0, stepCount());
  m_stepSlider->setValue(std::max(0, m_step));
  m_stepSlider->setEnabled(stepCount() > 0);
  m_replay->setEnabled(stepCount() > 0);
  const QSignalBlocker block_first(m_first);
  const int kept = any ? static_cast<int>(m_frames[m_current].x_i.size()) : 1;
  m_first->setRange(1, std::max(1, kept));
  m_first->setSuffix(tr(" of %1").arg(kept));
  m_first->setEnabled(kept > m_maxSamples);
  if (!any) {
    m_caption->setText(m_emptyNote.isEmpty() ? tr("No samples yet: press Sample.") : m_emptyNote);
    return;
  }
  const LevelFrame& f = m_frames[m_current];
  m_caption->setText(tr("Level %1 of %2   F(ŷ) %3 → F(ỹ) %4")
                         .arg(f.level)
                         .arg(f.levels)
                         .arg(f.energy_proposal, 0, 'g', 4)
                         .arg(f.energy_refined, 0, 'g', 4));
}

}  // namespace cdrl::studio
