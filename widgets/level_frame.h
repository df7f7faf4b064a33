// One finished reverse level as the studio shows it: plain images and numbers, no tensors, so it
// crosses threads by queued signal and the widgets need nothing of core's internals.
#pragma once

#include <QImage>
#include <QMetaType>
#include <QPointF>
#include <QVector>

namespace cdrl::studio {

struct LevelFrame {
  qint64 run_id = 0;
  int level = 0;                                       // i, T … 1
  int levels = 0;                                      // T
  QVector<QImage> x_i, proposal, refined, difference;  // one image per sample
  QVector<QPointF> proposal_points, refined_points;    // 2-D models: ŷ and ỹ of every sample
  QVector<QVector<QImage>> steps;     // steps[k][s]: sample s after Langevin step k + 1
  QVector<double> step_energy;        // mean F before each Langevin step
  QVector<double> step_displacement;  // mean ‖y − ŷ‖ after each Langevin step
  double energy_proposal = 0;
  double energy_refined = 0;
};

}  // namespace cdrl::studio

Q_DECLARE_METATYPE(cdrl::studio::LevelFrame)
