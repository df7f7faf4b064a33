// A 2-D model's energy per level on a square grid, as plain data the landscape view draws.
#pragma once

#include <QMetaType>
#include <QVector>

namespace cdrl::studio {

struct LandscapeGrid {
  qint64 run_id = 0;
  int resolution = 0;  // nodes per axis
  double extent = 0;   // the square [−extent, extent]²
  // Per table k: its level i and F, ∂F/∂x, ∂F/∂y row-major, row 0 at y = −extent.
  QVector<int> levels;
  QVector<QVector<float>> energy, grad_x, grad_y;

  bool isEmpty() const { return levels.isEmpty(); }
};

}  // namespace cdrl::studio

Q_DECLARE_METATYPE(cdrl::studio::LandscapeGrid)
