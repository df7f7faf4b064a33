// The sampling view's main widget: for each shown sample, x_i, the initializer's proposal, the
// Langevin-refined result and their difference, for one level at a time, with a scrubber,
// previous/next buttons, arrow keys and play; within a level, the K Langevin steps replay.
#pragma once

#include "level_frame.h"

#include <QWidget>

class QLabel;
class QSlider;
class QSpinBox;
class QTimer;
class QToolButton;

namespace cdrl::studio {

class ConvergencePlot;
class LevelGrid;

class LevelView : public QWidget {
  Q_OBJECT
 public:
  explicit LevelView(QWidget* parent = nullptr);

  // Drops all frames; the caption says `note` until a level arrives (empty: "No samples yet").
  void clear(const QString& note = {});
  // Appends a finished level and shows it (levels arrive T, T−1, …, 1).
  void addFrame(const LevelFrame& frame);

  int frameCount() const { return static_cast<int>(m_frames.size()); }
  const LevelFrame& frame(int index) const { return m_frames.at(index); }
  int currentIndex() const { return m_current; }
  void showIndex(int index);
  int maxSamplesShown() const { return m_maxSamples; }
  // The first sample the rows show (0-based): any kept sample can be inspected, not only the
  // first maxSamplesShown().
  int firstSample() const;
  ConvergencePlot* convergencePlot() const { return m_convergence; }
  // Langevin steps kept for the shown level (0 when the run kept none).
  int stepCount() const;
  int currentStep() const { return m_step; }
  // Shows the chain after step `step` of the shown level: 0 = proposal, stepCount() = refined.
  void showStep(int step);
  // Animates steps 0 … K of the shown level.
  void replaySteps();

 Q_SIGNALS:
  void levelShown(int index);
  void stepShown(int step);

 protected:
  void keyPressEvent(QKeyEvent* event) override;

 private:
  void togglePlay();
  void updateControls();

  QVector<LevelFrame> m_frames;
  int m_current = -1;
  int m_maxSamples = 4;
  LevelGrid* m_grid;
  ConvergencePlot* m_convergence;
  QSlider* m_scrubber;
  QToolButton *m_prev, *m_next, *m_play;
  QLabel* m_caption;
  QString m_emptyNote;  // caption while there are no frames
  QTimer *m_playTimer, *m_stepTimer;
  QSlider* m_stepSlider;
  QToolButton* m_replay;
  QSpinBox* m_first;
  int m_step = 0;
};

}  // namespace cdrl::studio
