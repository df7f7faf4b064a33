// The energy landscape of a 2-D model (PRODUCT.md 6): each level's energy as a heatmap drawn by
// the GLSL shaders of shaders/, the level's proposals and refined samples on top, and a Dear ImGui
// overlay inside the view (level slider, layer toggles, a hover readout of position, energy at
// every level and gradient). ImGui is fed from Qt's mouse events and drawn in paintGL, so it runs
// in Qt's event loop with no loop of its own.
#pragma once

#include "landscape_grid.h"
#include "level_frame.h"

#include <QElapsedTimer>
#include <QMap>
#include <QOpenGLBuffer>
#include <QOpenGLFunctions>
#include <QOpenGLShaderProgram>
#include <QOpenGLVertexArrayObject>
#include <QOpenGLWidget>
#include <QPointF>
#include <QRectF>

#include <memory>

class QOpenGLTexture;
struct ImGuiContext;

namespace cdrl::studio {

// What the overlay shows for one position of the view.
struct LandscapeReadout {
  bool inside = false;     // over the plotted square
  QPointF position;        // y in the model's 2-D space
  QVector<int> levels;     // i of each value below
  QVector<double> energy;  // F at `position` for every level (bilinear in the grid)
  QPointF gradient;        // ∇F at the shown level
};

class EnergyLandscapeView : public QOpenGLWidget, protected QOpenGLFunctions {
  Q_OBJECT
 public:
  static constexpr float kPointRadius = 4.0f;  // sample discs, logical pixels

  explicit EnergyLandscapeView(QWidget* parent = nullptr);
  ~EnergyLandscapeView() override;

  // Whether this display can create the OpenGL context the view needs (the offscreen and minimal
  // Qt platforms cannot).
  static bool openGLAvailable();

  void setLandscape(const LandscapeGrid& grid);
  const LandscapeGrid& landscape() const { return m_grid; }
  // A finished level's points, which the view then shows; it keeps one set per level until
  // clearSamples().
  void addLevel(const LevelFrame& frame);
  void clearSamples();
  // The refined samples ỹ of level i, as drawn.
  QVector<QPointF> refinedPoints(int level) const { return m_frames.value(level).refined_points; }
  // Shows level i (clamped to the grid's levels).
  void setLevel(int level);
  int level() const { return m_level; }
  void setLayers(bool proposals, bool refined);

  // The readout for a point of the widget (logical pixels), as the overlay shows it on hover.
  LandscapeReadout readoutAt(const QPointF& widget_pos) const;
  // The latest hover readout the overlay drew.
  const LandscapeReadout& hoverReadout() const { return m_hover; }
  // Where a point of the model's space lands in the widget (logical pixels).
  QPointF toWidget(const QPointF& world) const;
  // The ImGui window's rectangle in the latest frame (logical pixels).
  QRectF overlayRect() const { return m_overlay; }
  // The colour-map range of the shown level: F at the dark and the bright end.
  QPair<double, double> colourRange() const;

 Q_SIGNALS:
  void levelChanged(int level);

 protected:
  void initializeGL() override;
  void paintGL() override;
  void mouseMoveEvent(QMouseEvent* event) override;
  void mousePressEvent(QMouseEvent* event) override;
  void mouseReleaseEvent(QMouseEvent* event) override;
  void wheelEvent(QWheelEvent* event) override;
  void leaveEvent(QEvent* event) override;
  void keyPressEvent(QKeyEvent* event) override;

 private:
  // The plotted square inside the widget, letterboxed (logical pixels).
  QRectF plotRect() const;
  int tableIndex() const;  // of m_level in the grid, −1 without a grid
  void uploadTable();
  void drawPoints(const QVector<QPointF>& points, const QColor& fill, float radius);
  void drawOverlay();
  void feedMouse(const QPointF& pos);
  // update() plus one more frame for ImGui to settle.
  void redraw();

  LandscapeGrid m_grid;
  QMap<int, LevelFrame> m_frames;  // by level
  int m_level = 0;
  bool m_showProposals = true, m_showRefined = true;
  bool m_tableDirty = true;

  QOpenGLShaderProgram m_heatmap, m_points;
  QOpenGLVertexArrayObject m_vao;
  QOpenGLBuffer m_quad{QOpenGLBuffer::VertexBuffer}, m_discs{QOpenGLBuffer::VertexBuffer};
  std::unique_ptr<QOpenGLTexture> m_table;
  QPair<double, double> m_range{0, 1};

  ImGuiContext* m_imgui = nullptr;
  QElapsedTimer m_clock;
  QPointF m_mouse{-1, -1};
  bool m_mouseDown = false;
  int m_extraFrames = 0;
  float m_wheel = 0;
  LandscapeReadout m_hover;
  QRectF m_overlay;
};

}  // namespace cdrl::studio
