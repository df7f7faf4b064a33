// What to condition on: a class for class-conditional models, ticked concepts with weights for
// attribute models (their composed energy, ALGORITHM.md §7), nothing — with the reason shown — for
// unconditional ones.
#pragma once

#include <QPair>
#include <QVector>
#include <QWidget>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QVBoxLayout;

namespace cdrl::studio {

struct CompositionState {
  int class_index = -1;                  // class-conditional: 0-based class, −1 = none
  QVector<QPair<int, double>> concepts;  // attribute models: (concept label 1..C, weight)
};

class CompositionPanel : public QWidget {
  Q_OBJECT
 public:
  explicit CompositionPanel(QWidget* parent = nullptr);

  // `names` are the model's concept names (empty: unconditional); `attributes` says they are
  // "attribute=value" concepts to compose rather than exclusive classes.
  void setConcepts(const QStringList& names, bool attributes);
  CompositionState state() const;
  // Shows `state` without emitting changed(); entries the model does not have are ignored.
  void setState(const CompositionState& state);
  // Whether a guidance weight means anything for the current choice (a class is picked).
  bool guidanceApplies() const;

 Q_SIGNALS:
  void changed();

 private:
  QLabel* m_note;
  QComboBox* m_class;
  QWidget* m_conceptBox;
  QVBoxLayout* m_conceptLayout;
  QVector<QCheckBox*> m_ticks;
  QVector<QDoubleSpinBox*> m_weights;
};

}  // namespace cdrl::studio
