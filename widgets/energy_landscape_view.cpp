#include "energy_landscape_view.h"

#include <backends/imgui_impl_opengl3.h>
#include <imgui.h>

#include <QGuiApplication>
#include <QKeyEvent>
#include <QMouseEvent>
#include <QOffscreenSurface>
#include <QOpenGLContext>
#include <QOpenGLTexture>
#include <QVector2D>
#include <QWheelEvent>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <utility>

namespace cdrl::studio {

namespace {

const QColor kProposalFill(255, 140, 0), kRefinedFill(255, 255, 255);
constexpr int kContours = 12;

// F at a fractional node position of one table, bilinear as the GPU's lookup.
double bilinear(const QVector<float>& table, int n, double fx, double fy) {
  fx = std::clamp(fx, 0.0, n - 1.0);
  fy = std::clamp(fy, 0.0, n - 1.0);
  const int x0 = std::min(static_cast<int>(fx), n - 2), y0 = std::min(static_cast<int>(fy), n - 2);
  const double tx = fx - x0, ty = fy - y0;
  auto at = [&](int r, int c) { return static_cast<double>(table[r * n + c]); };
  return (1 - ty) * ((1 - tx) * at(y0, x0) + tx * at(y0, x0 + 1)) +
         ty * ((1 - tx) * at(y0 + 1, x0) + tx * at(y0 + 1, x0 + 1));
}

// From the 1st percentile to the maximum: a few steep corners should not wash out the map, while
// the modes (the highest F) keep their shape.
QPair<double, double> robustRange(QVector<float> values) {
  if (values.isEmpty()) return {0, 1};
  const double hi = *std::max_element(values.begin(), values.end());
  const auto k = static_cast<qsizetype>(0.01 * (values.size() - 1));
  std::nth_element(values.begin(), values.begin() + k, values.end());
  const double lo = values[k];
  return {lo, hi > lo ? hi : lo + 1};
}

void loadShader(QOpenGLShaderProgram& program, const QString& name) {
  if (!program.addShaderFromSourceFile(QOpenGLShader::Vertex, ":/shaders/" + name + ".vert") ||
      !program.addShaderFromSourceFile(QOpenGLShader::Fragment, ":/shaders/" + name + ".frag") ||
      !program.link())
    qWarning("energy landscape: shader %s: %s", qPrintable(name), qPrintable(program.log()));
}

}  // namespace

EnergyLandscapeView::EnergyLandscapeView(QWidget* parent) : QOpenGLWidget(parent) {
  setMouseTracking(true);
  setFocusPolicy(Qt::StrongFocus);
  setMinimumSize(320, 320);
  setToolTip(tr("Energy of each level; Left/Right step through levels, hover for a readout"));
  qRegisterMetaType<LandscapeGrid>();
  m_clock.start();
}

EnergyLandscapeView::~EnergyLandscapeView() {
  if (!m_imgui) return;
  makeCurrent();
  ImGui::SetCurrentContext(m_imgui);
  ImGui_ImplOpenGL3_Shutdown();
  ImGui::DestroyContext(m_imgui);
  m_table.reset();
  m_quad.destroy();
  m_discs.destroy();
  m_vao.destroy();
  doneCurrent();
}

bool EnergyLandscapeView::openGLAvailable() {
  const QString platform = QGuiApplication::platformName();
  if (platform == "offscreen" || platform == "minimal") return false;
  QOpenGLContext context;
  if (!context.create()) return false;
  QOffscreenSurface surface;
  surface.create();
  return context.makeCurrent(&surface);
}

void EnergyLandscapeView::setLandscape(const LandscapeGrid& grid) {
  m_grid = grid;
  m_tableDirty = true;
  if (!m_grid.isEmpty() && !m_grid.levels.contains(m_level)) m_level = m_grid.levels.first();
  redraw();
}

void EnergyLandscapeView::addLevel(const LevelFrame& frame) {
  m_frames[frame.level] = frame;
  setLevel(frame.level);  // follow the run as its levels finish, T down to 1
  redraw();
}

void EnergyLandscapeView::clearSamples() {
  m_frames.clear();
  redraw();
}

void EnergyLandscapeView::setLevel(int level) {
  if (m_grid.isEmpty()) return;
  const auto [lo, hi] = std::minmax_element(m_grid.levels.begin(), m_grid.levels.end());
  level = std::clamp(level, *lo, *hi);
  if (level == m_level) return;
  m_level = level;
  m_tableDirty = true;
  m_hover = readoutAt(m_mouse);
  redraw();
  Q_EMIT levelChanged(level);
}

void EnergyLandscapeView::setLayers(bool proposals, bool refined) {
  m_showProposals = proposals;
  m_showRefined = refined;
  redraw();
}

int EnergyLandscapeView::tableIndex() const { return m_grid.levels.indexOf(m_level); }

QPair<double, double> EnergyLandscapeView::colourRange() const {
  const int k = tableIndex();
  return k < 0 ? QPair<double, double>{0, 1} : robustRange(m_grid.energy[k]);
}

QRectF EnergyLandscapeView::plotRect() const {
  const double side = std::min(width(), height());
  return {(width() - side) / 2, (height() - side) / 2, side, side};
}

QPointF EnergyLandscapeView::toWidget(const QPointF& world) const {
  const QRectF r = plotRect();
  const double e = m_grid.extent > 0 ? m_grid.extent : 1;
  return {r.left() + (world.x() / e + 1) / 2 * r.width(),
          r.top() + (1 - world.y() / e) / 2 * r.height()};
}

LandscapeReadout EnergyLandscapeView::readoutAt(const QPointF& pos) const {
  LandscapeReadout out;
  const QRectF r = plotRect();
  if (m_grid.isEmpty() || !r.contains(pos)) return out;
  const double e = m_grid.extent;
  out.inside = true;
  out.position = {(2 * (pos.x() - r.left()) / r.width() - 1) * e,
                  (1 - 2 * (pos.y() - r.top()) / r.height()) * e};
  const int n = m_grid.resolution;
  const double fx = (out.position.x() / e + 1) / 2 * (n - 1);
  const double fy = (out.position.y() / e + 1) / 2 * (n - 1);
  out.levels = m_grid.levels;
  for (const auto& table : m_grid.energy) out.energy.push_back(bilinear(table, n, fx, fy));
  const int k = tableIndex();
  if (k >= 0)
    out.gradient = {bilinear(m_grid.grad_x[k], n, fx, fy), bilinear(m_grid.grad_y[k], n, fx, fy)};
  return out;
}

void EnergyLandscapeView::initializeGL() {
  initializeOpenGLFunctions();
  loadShader(m_heatmap, "landscape");
  loadShader(m_points, "points");
  m_vao.create();
  const float quad[] = {-1, -1, 1, -1, 1, 1, -1, -1, 1, 1, -1, 1};
  m_quad.create();
  m_quad.bind();
  m_quad.allocate(quad, sizeof(quad));
  m_quad.release();
  m_discs.create();
  m_discs.setUsagePattern(QOpenGLBuffer::DynamicDraw);

  m_imgui = ImGui::CreateContext();
  ImGui::SetCurrentContext(m_imgui);
  ImGuiIO& io = ImGui::GetIO();
  io.IniFilename = nullptr;  // the layout is fixed; QSettings holds the app's state
  ImGui::StyleColorsDark();
  ImGui_ImplOpenGL3_Init("#version 130");
}

void EnergyLandscapeView::uploadTable() {
  m_tableDirty = false;
  m_table.reset();
  const int k = tableIndex();
  if (k < 0) return;
  m_range = robustRange(m_grid.energy[k]);
  m_table = std::make_unique<QOpenGLTexture>(QOpenGLTexture::Target2D);
  m_table->setFormat(QOpenGLTexture::R32F);
  m_table->setSize(m_grid.resolution, m_grid.resolution);
  m_table->allocateStorage(QOpenGLTexture::Red, QOpenGLTexture::Float32);
  m_table->setData(QOpenGLTexture::Red, QOpenGLTexture::Float32, m_grid.energy[k].constData());
  m_table->setMinMagFilters(QOpenGLTexture::Linear, QOpenGLTexture::Linear);
  m_table->setWrapMode(QOpenGLTexture::ClampToEdge);
}

void EnergyLandscapeView::paintGL() {
  glClearColor(0.12f, 0.12f, 0.14f, 1.0f);
  glClear(GL_COLOR_BUFFER_BIT);
  if (m_tableDirty) uploadTable();
  const qreal dpr = devicePixelRatioF();
  const QRectF r = plotRect();
  // GL's viewport counts rows from the bottom.
  glViewport(static_cast<GLint>(r.left() * dpr), static_cast<GLint>((height() - r.bottom()) * dpr),
             static_cast<GLsizei>(r.width() * dpr), static_cast<GLsizei>(r.height() * dpr));
  m_vao.bind();
  if (m_table && m_heatmap.isLinked()) {
    m_heatmap.bind();
    m_table->bind(0);
    m_heatmap.setUniformValue("energy", 0);
    m_heatmap.setUniformValue("resolution", static_cast<float>(m_grid.resolution));
    m_heatmap.setUniformValue("extent", static_cast<float>(m_grid.extent));
    m_heatmap.setUniformValue("range", QVector2D(m_range.first, m_range.second));
    m_heatmap.setUniformValue("contours", static_cast<float>(kContours));
    m_quad.bind();
    m_heatmap.enableAttributeArray("position");
    m_heatmap.setAttributeBuffer("position", GL_FLOAT, 0, 2);
    glDrawArrays(GL_TRIANGLES, 0, 6);
    m_heatmap.disableAttributeArray("position");
    m_quad.release();
    m_table->release();
    m_heatmap.release();
  }
  const auto frame = m_frames.constFind(m_level);
  if (frame != m_frames.constEnd() && m_grid.extent > 0 && m_points.isLinked()) {
    const float radius = kPointRadius * static_cast<float>(dpr);
    if (m_showProposals) drawPoints(frame->proposal_points, kProposalFill, radius);
    if (m_showRefined) drawPoints(frame->refined_points, kRefinedFill, radius);
  }
  m_vao.release();
  drawOverlay();
}

void EnergyLandscapeView::drawPoints(const QVector<QPointF>& points, const QColor& fill,
                                     float radius) {
  if (points.isEmpty()) return;
  static constexpr float kCorners[6][2] = {{-1, -1}, {1, -1}, {1, 1}, {-1, -1}, {1, 1}, {-1, 1}};
  QVector<float> vertices;
  vertices.reserve(points.size() * 24);
  for (const QPointF& p : points)
    for (const auto& corner : kCorners)
      vertices << static_cast<float>(p.x()) << static_cast<float>(p.y()) << corner[0] << corner[1];
  GLint viewport[4];
  glGetIntegerv(GL_VIEWPORT, viewport);
  m_points.bind();
  m_points.setUniformValue("extent", static_cast<float>(m_grid.extent));
  m_points.setUniformValue("pixel", QVector2D(2.0f / viewport[2], 2.0f / viewport[3]));
  m_points.setUniformValue("radius", radius);
  m_points.setUniformValue("fill", fill);
  m_points.setUniformValue("rim", QColor(20, 20, 20));
  m_discs.bind();
  m_discs.allocate(vertices.constData(), static_cast<int>(vertices.size() * sizeof(float)));
  constexpr int stride = 4 * sizeof(float);
  m_points.enableAttributeArray("centre");
  m_points.setAttributeBuffer("centre", GL_FLOAT, 0, 2, stride);
  m_points.enableAttributeArray("corner");
  m_points.setAttributeBuffer("corner", GL_FLOAT, 2 * sizeof(float), 2, stride);
  glEnable(GL_BLEND);
  glBlendFunc(GL_SRC_ALPHA, GL_ONE_MINUS_SRC_ALPHA);
  glDrawArrays(GL_TRIANGLES, 0, static_cast<GLsizei>(points.size() * 6));
  glDisable(GL_BLEND);
  m_points.disableAttributeArray("centre");
  m_points.disableAttributeArray("corner");
  m_discs.release();
  m_points.release();
}

void EnergyLandscapeView::drawOverlay() {
  ImGui::SetCurrentContext(m_imgui);
  ImGuiIO& io = ImGui::GetIO();
  const auto dpr = static_cast<float>(devicePixelRatioF());
  io.DisplaySize = ImVec2(static_cast<float>(width()), static_cast<float>(height()));
  io.DisplayFramebufferScale = ImVec2(dpr, dpr);
  io.DeltaTime = std::max(1e-4f, static_cast<float>(m_clock.restart()) / 1000.0f);
  io.MousePos = rect().contains(m_mouse.toPoint())
                    ? ImVec2(static_cast<float>(m_mouse.x()), static_cast<float>(m_mouse.y()))
                    : ImVec2(-FLT_MAX, -FLT_MAX);
  io.MouseDown[0] = m_mouseDown;
  io.MouseWheel = std::exchange(m_wheel, 0.0f);

  ImGui_ImplOpenGL3_NewFrame();
  ImGui::NewFrame();
  ImGui::SetNextWindowPos(ImVec2(8, 8), ImGuiCond_Always);
  ImGui::SetNextWindowBgAlpha(0.82f);
  ImGui::Begin("Inspect", nullptr,
               ImGuiWindowFlags_AlwaysAutoResize | ImGuiWindowFlags_NoMove |
                   ImGuiWindowFlags_NoSavedSettings);
  if (m_grid.isEmpty()) {
    ImGui::TextDisabled("No landscape yet");
  } else {
    const auto [lo, hi] = std::minmax_element(m_grid.levels.begin(), m_grid.levels.end());
    int level = m_level;
    if (ImGui::SliderInt("level", &level, *lo, *hi)) setLevel(level);
    // The points were drawn before the overlay: a toggled layer shows in the next frame.
    if (ImGui::Checkbox("proposals", &m_showProposals)) redraw();
    ImGui::SameLine();
    if (ImGui::Checkbox("refined", &m_showRefined)) redraw();
    ImGui::Text("F: %.4g (dark) .. %.4g (bright)", m_range.first, m_range.second);
    ImGui::Separator();
    if (m_hover.inside) {
      ImGui::Text("y      = (%.3f, %.3f)", m_hover.position.x(), m_hover.position.y());
      ImGui::Text("grad F = (%.4g, %.4g)", m_hover.gradient.x(), m_hover.gradient.y());
      for (int k = 0; k < m_hover.levels.size(); ++k)
        ImGui::Text("%s F at level %d = %.5g", m_hover.levels[k] == m_level ? ">" : " ",
                    m_hover.levels[k], m_hover.energy[k]);
    } else {
      ImGui::TextDisabled("Hover the map for a readout");
    }
  }
  const ImVec2 pos = ImGui::GetWindowPos(), size = ImGui::GetWindowSize();
  m_overlay = QRectF(pos.x, pos.y, size.x, size.y);
  ImGui::End();
  ImGui::Render();
  ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
  if (m_extraFrames > 0) {
    --m_extraFrames;
    update();
  }
}

void EnergyLandscapeView::redraw() {
  // ImGui applies input, and fits an auto-sized window to new content, one frame late.
  m_extraFrames = 1;
  update();
}

void EnergyLandscapeView::feedMouse(const QPointF& pos) {
  m_mouse = pos;
  m_hover = m_overlay.contains(pos) ? LandscapeReadout{} : readoutAt(pos);
  redraw();
}

void EnergyLandscapeView::mouseMoveEvent(QMouseEvent* event) { feedMouse(event->position()); }

void EnergyLandscapeView::mousePressEvent(QMouseEvent* event) {
  m_mouseDown = event->button() == Qt::LeftButton;
  feedMouse(event->position());
}

void EnergyLandscapeView::mouseReleaseEvent(QMouseEvent* event) {
  if (event->button() == Qt::LeftButton) m_mouseDown = false;
  feedMouse(event->position());
}

void EnergyLandscapeView::wheelEvent(QWheelEvent* event) {
  m_wheel += static_cast<float>(event->angleDelta().y()) / 120.0f;
  redraw();
}

void EnergyLandscapeView::leaveEvent(QEvent*) {
  m_mouse = {-1, -1};
  m_hover = {};
  redraw();
}

void EnergyLandscapeView::keyPressEvent(QKeyEvent* event) {
  // Forward in sampling order is down the levels, as in the image view.
  if (event->key() == Qt::Key_Right || event->key() == Qt::Key_Down)
    setLevel(m_level - 1);
  else if (event->key() == Qt::Key_Left || event->key() == Qt::Key_Up)
    setLevel(m_level + 1);
  else
    QOpenGLWidget::keyPressEvent(event);
}

}  // namespace cdrl::studio
