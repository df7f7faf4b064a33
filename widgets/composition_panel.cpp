#include "composition_panel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QCompleter>
#include <QDoubleSpinBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QVBoxLayout>

namespace cdrl::studio {

CompositionPanel::CompositionPanel(QWidget* parent) : QWidget(parent) {
  m_note = new QLabel;
  m_note->setObjectName("compositionNote");
  m_note->setWordWrap(true);
  m_class = new QComboBox;
  m_class->setObjectName("classCombo");
  m_class->setToolTip(tr("Class to condition on; guidance strengthens it"));
  m_conceptBox = new QWidget;
  m_conceptLayout = new QVBoxLayout(m_conceptBox);
  m_conceptLayout->setContentsMargins(0, 0, 0, 0);
  auto* layout = new QVBoxLayout(this);
  layout->addWidget(m_note);
  layout->addWidget(m_class);
  layout->addWidget(m_conceptBox);
  layout->addStretch(1);
  connect(m_class, qOverload<int>(&QComboBox::currentIndexChanged), this,
          &CompositionPanel::changed);
  setConcepts({}, false);
}

void CompositionPanel::setConcepts(const QStringList& names, bool attributes) {
  const QSignalBlocker block(m_class);
  m_class->clear();
  qDeleteAll(m_ticks);
  qDeleteAll(m_weights);
  m_ticks.clear();
  m_weights.clear();
  while (auto* item = m_conceptLayout->takeAt(0)) {
    delete item->widget();
    delete item;
  }
  const bool conditional = !names.isEmpty();
  setEnabled(conditional);
  m_class->setVisible(conditional && !attributes);
  m_conceptBox->setVisible(conditional && attributes);
  if (!conditional) {
    m_note->setText(
        tr("This model is unconditional: it was trained without labels, so there is "
           "nothing to condition on or compose."));
    return;
  }
  if (!attributes) {
    m_note->setText(tr("Class-conditional model: pick a class; the guidance weight applies."));
    m_class->addItem(tr("(none — unconditional)"));
    m_class->addItems(names);
    // Many classes (ImageNet's 1 000): type part of a name to find it.
    const bool searchable = names.size() > 20;
    m_class->setEditable(searchable);
    if (searchable) {
      m_class->setInsertPolicy(QComboBox::NoInsert);
      m_class->completer()->setFilterMode(Qt::MatchContains);
      m_class->completer()->setCompletionMode(QCompleter::PopupCompletion);
    }
    return;
  }
  m_note->setText(
      tr("Attribute model: tick concepts to sample their composed energy "
         "Σ w_k F(y|c_k) − (Σ w_k − 1) F(y|∅)."));
  for (int k = 0; k < names.size(); ++k) {
    auto* row = new QWidget;
    auto* h = new QHBoxLayout(row);
    h->setContentsMargins(0, 0, 0, 0);
    auto* tick = new QCheckBox(names[k]);
    tick->setObjectName("concept_" + names[k]);
    tick->setToolTip(tr("Include the concept %1 in the composition").arg(names[k]));
    auto* weight = new QDoubleSpinBox;
    weight->setObjectName("weight_" + names[k]);
    weight->setRange(0, 10);
    weight->setSingleStep(0.5);
    weight->setValue(1.0);
    weight->setToolTip(tr("Weight w_k of %1 in the composed energy").arg(names[k]));
    h->addWidget(tick, 1);
    h->addWidget(weight);
    m_conceptLayout->addWidget(row);
    m_ticks.push_back(tick);
    m_weights.push_back(weight);
    connect(tick, &QCheckBox::toggled, this, &CompositionPanel::changed);
    connect(weight, qOverload<double>(&QDoubleSpinBox::valueChanged), this, [this, tick] {
      if (tick->isChecked()) Q_EMIT changed();
    });
  }
}

CompositionState CompositionPanel::state() const {
  CompositionState s;
  if (!m_class->isHidden() && m_class->count() > 0) s.class_index = m_class->currentIndex() - 1;
  for (int k = 0; k < m_ticks.size(); ++k)
    if (m_ticks[k]->isChecked()) s.concepts.push_back({k + 1, m_weights[k]->value()});
  return s;
}

void CompositionPanel::setState(const CompositionState& state) {
  const QSignalBlocker block_class(m_class);
  if (!m_class->isHidden() && state.class_index + 1 < m_class->count())
    m_class->setCurrentIndex(std::max(0, state.class_index + 1));
  for (int k = 0; k < m_ticks.size(); ++k) {
    const QSignalBlocker block_tick(m_ticks[k]);
    const QSignalBlocker block_weight(m_weights[k]);
    m_ticks[k]->setChecked(false);
    for (const auto& [label, weight] : state.concepts)
      if (label == k + 1) {
        m_ticks[k]->setChecked(true);
        m_weights[k]->setValue(weight);
      }
  }
}

bool CompositionPanel::guidanceApplies() const { return state().class_index >= 0; }

}  // namespace cdrl::studio
