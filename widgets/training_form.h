// What to train and where: preset, data, conditional, steps, logging and checkpoint intervals,
// output folder, and whether to continue that folder's checkpoint; Start, Stop and Attach. Emits
// requests as plain data; the page that owns it runs them.
#pragma once

#include <QString>
#include <QStringList>
#include <QWidget>

class QCheckBox;
class QComboBox;
class QLineEdit;
class QPushButton;
class QSpinBox;

namespace cdrl::studio {

struct TrainingFormState {
  QString preset = "toy2d";
  QString data = "toy:8gaussians";  // data specification, as `cdrl train --data`
  bool conditional = false;
  int steps = 0;             // total steps to reach; 0 = the preset's (or resumed run's) own
  int log_every = 10;        // metrics line every N steps
  int checkpoint_every = 0;  // 0 = the preset's (or resumed run's) own
  QString out;               // output folder
  bool resume = false;       // continue <out>/checkpoint.safetensors
};

class TrainingForm : public QWidget {
  Q_OBJECT
 public:
  explicit TrainingForm(QWidget* parent = nullptr);

  void setPresets(const QStringList& names);
  TrainingFormState state() const;
  void setState(const TrainingFormState& state);
  // While a run is going, the form is read-only and only Stop is enabled.
  void setRunning(bool running);

 Q_SIGNALS:
  void startRequested(const cdrl::studio::TrainingFormState& state);
  void stopRequested();
  // A run folder (or metrics file) to follow without training here.
  void attachRequested(const QString& path);

 private:
  QComboBox* m_preset;
  QLineEdit *m_data, *m_out;
  QCheckBox *m_conditional, *m_resume;
  QSpinBox *m_steps, *m_logEvery, *m_checkpointEvery;
  QPushButton *m_browse, *m_start, *m_stop, *m_attach;
};

}  // namespace cdrl::studio

Q_DECLARE_METATYPE(cdrl::studio::TrainingFormState)
