#include "training_form.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>

namespace cdrl::studio {

namespace {

QSpinBox* countBox(const QString& name, int max, const QString& zero_text, const QString& tip) {
  auto* box = new QSpinBox;
  box->setObjectName(name);
  box->setRange(0, max);
  box->setSpecialValueText(zero_text);
  box->setToolTip(tip);
  return box;
}

}  // namespace

TrainingForm::TrainingForm(QWidget* parent) : QWidget(parent) {
  qRegisterMetaType<TrainingFormState>();
  m_preset = new QComboBox;
  m_preset->setObjectName("presetCombo");
  m_preset->setToolTip(tr("Network sizes and training defaults (docs/presets.md)"));
  m_data = new QLineEdit;
  m_data->setObjectName("dataEdit");
  m_data->setToolTip(
      tr("Training data as for cdrl train --data: toy:8gaussians, fashion-mnist, "
         "shapes, folder:DIR, classes:DIR, …"));
  m_conditional = new QCheckBox(tr("Conditional"));
  m_conditional->setObjectName("conditionalBox");
  m_conditional->setToolTip(tr("Class- or attribute-conditional model (needs labelled data)"));
  m_steps = countBox("trainStepsBox", 10'000'000, tr("preset default"),
                     tr("Total optimiser steps to reach"));
  m_logEvery = countBox("logEveryBox", 100'000, tr("preset default"),
                        tr("A metrics line (a point on the curves) every N steps"));
  m_checkpointEvery = countBox("checkpointEveryBox", 1'000'000, tr("preset default"),
                               tr("Write the checkpoint every N steps (and at the end)"));
  m_out = new QLineEdit;
  m_out->setObjectName("outEdit");
  m_out->setToolTip(tr("Folder for checkpoint.safetensors and metrics.jsonl"));
  m_browse = new QPushButton(tr("…"));
  m_browse->setToolTip(tr("Choose the output folder"));
  m_resume = new QCheckBox(tr("Continue the folder's checkpoint"));
  m_resume->setObjectName("resumeBox");
  m_resume->setToolTip(tr("Resume from <folder>/checkpoint.safetensors with its own options"));
  m_start = new QPushButton(tr("Start"));
  m_start->setObjectName("startTrainingButton");
  m_start->setToolTip(tr("Train on a worker thread; the curves follow the metrics file"));
  m_stop = new QPushButton(tr("Stop"));
  m_stop->setObjectName("stopTrainingButton");
  m_stop->setToolTip(tr("Stop after the current step and save the checkpoint"));
  m_attach = new QPushButton(tr("Attach…"));
  m_attach->setObjectName("attachButton");
  m_attach->setToolTip(tr("Follow a run started elsewhere (cdrl train): pick its folder"));

  auto* out_row = new QHBoxLayout;
  out_row->addWidget(m_out, 1);
  out_row->addWidget(m_browse);
  auto* buttons = new QHBoxLayout;
  buttons->addWidget(m_start);
  buttons->addWidget(m_stop);
  buttons->addWidget(m_attach);
  auto* form = new QFormLayout(this);
  form->addRow(tr("Preset"), m_preset);
  form->addRow(tr("Data"), m_data);
  form->addRow(QString(), m_conditional);
  form->addRow(tr("Steps"), m_steps);
  form->addRow(tr("Log every"), m_logEvery);
  form->addRow(tr("Checkpoint every"), m_checkpointEvery);
  form->addRow(tr("Output folder"), out_row);
  form->addRow(QString(), m_resume);
  form->addRow(buttons);

  connect(m_browse, &QPushButton::clicked, this, [this] {
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Output folder"), m_out->text());
    if (!dir.isEmpty()) m_out->setText(dir);
  });
  connect(m_start, &QPushButton::clicked, this, [this] { Q_EMIT startRequested(state()); });
  connect(m_stop, &QPushButton::clicked, this, &TrainingForm::stopRequested);
  connect(m_attach, &QPushButton::clicked, this, [this] {
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Run folder to follow"));
    if (!dir.isEmpty()) Q_EMIT attachRequested(dir);
  });
  setState(TrainingFormState{});
  setRunning(false);
}

void TrainingForm::setPresets(const QStringList& names) {
  const QString current = m_preset->currentText();
  m_preset->clear();
  m_preset->addItems(names);
  if (names.contains(current)) m_preset->setCurrentText(current);
}

TrainingFormState TrainingForm::state() const {
  TrainingFormState s;
  s.preset = m_preset->currentText();
  s.data = m_data->text().trimmed();
  s.conditional = m_conditional->isChecked();
  s.steps = m_steps->value();
  s.log_every = m_logEvery->value();
  s.checkpoint_every = m_checkpointEvery->value();
  s.out = m_out->text().trimmed();
  s.resume = m_resume->isChecked();
  return s;
}

void TrainingForm::setState(const TrainingFormState& s) {
  if (m_preset->findText(s.preset) < 0) m_preset->addItem(s.preset);
  m_preset->setCurrentText(s.preset);
  m_data->setText(s.data);
  m_conditional->setChecked(s.conditional);
  m_steps->setValue(s.steps);
  m_logEvery->setValue(s.log_every);
  m_checkpointEvery->setValue(s.checkpoint_every);
  m_out->setText(s.out);
  m_resume->setChecked(s.resume);
}

void TrainingForm::setRunning(bool running) {
  for (QWidget* w : std::initializer_list<QWidget*>{m_preset, m_data, m_conditional, m_steps,
                                                    m_logEvery, m_checkpointEvery, m_out, m_browse,
                                                    m_resume, m_start, m_attach})
    w->setEnabled(!running);
  m_stop->setEnabled(running);
}

}  // namespace cdrl::studio
