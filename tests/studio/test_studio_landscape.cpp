// The energy landscape of 2-D models, under Xvfb (it needs OpenGL, which the offscreen platform
// lacks): the bundled toy2d model's levels as a heatmap whose brightness follows F, the samples
// on top, level stepping, and the Dear ImGui overlay's hover readout.
#include "energy_landscape_view.h"
#include "gui_support.h"
#include "main_window.h"

#include <QSettings>
#include <QtTest>

using namespace cdrl;
using namespace cdrl::studio;
using namespace cdrl::test;

namespace {

double luminance(QRgb c) { return 0.2126 * qRed(c) + 0.7152 * qGreen(c) + 0.0722 * qBlue(c); }

bool isWhite(QRgb c) { return qRed(c) > 220 && qGreen(c) > 220 && qBlue(c) > 220; }

QPointF nodePosition(const LandscapeGrid& g, int index) {
  const double step = 2 * g.extent / (g.resolution - 1);
  return {-g.extent + (index % g.resolution) * step, -g.extent + (index / g.resolution) * step};
}

// The largest change of `table` between node `index` and its neighbours: how far a readout a
// fraction of a pixel away from the node may differ from the node's value.
double localSpread(const QVector<float>& table, int n, int index) {
  const int r = index / n, c = index % n;
  double spread = 0;
  for (int dr = -1; dr <= 1; ++dr)
    for (int dc = -1; dc <= 1; ++dc)
      if (r + dr >= 0 && r + dr < n && c + dc >= 0 && c + dc < n)
        spread = std::max(spread, std::abs(double(table[(r + dr) * n + c + dc]) - table[index]));
  return spread;
}

}  // namespace

class TestStudioLandscape : public QObject {
  Q_OBJECT

 private:
  // The studio on the bundled toy2d model, sampled once with 64 points.
  std::unique_ptr<MainWindow> m_window;
  EnergyLandscapeView* m_view = nullptr;

  QImage grab() { return m_view->grabFramebuffer(); }

  // Nodes of the shown level away from the overlay and the drawn samples.
  QVector<int> clearNodes() {
    const LandscapeGrid& g = m_view->landscape();
    QVector<int> nodes;
    const QRectF overlay = m_view->overlayRect().adjusted(-4, -4, 4, 4);
    for (int k = 0; k < g.resolution * g.resolution; ++k) {
      const QPointF p = m_view->toWidget(nodePosition(g, k));
      if (!overlay.contains(p) && m_view->rect().adjusted(2, 2, -2, -2).contains(p.toPoint()))
        nodes.push_back(k);
    }
    return nodes;
  }

 private Q_SLOTS:
  void initTestCase() {
    useScratchSettings();
    QSettings().setValue("sampling/count", 64);
    m_window = std::make_unique<MainWindow>();
    m_window->resize(1200, 800);
    m_window->show();
    QSignalSpy finished(m_window.get(), &MainWindow::samplingFinished);
    m_window->openCheckpoint(QStringLiteral(CDRL_SOURCE_MODELS_DIR) + "/toy2d.safetensors");
    QVERIFY(finished.wait(120000));  // a freshly opened model samples at once
    QCOMPARE(finished.first().first().toBool(), false);
    m_view = m_window->landscapeView();
    QVERIFY2(m_view, "no landscape view for a 2-D model");
    QVERIFY(m_view->isVisible());
  }
  void cleanupTestCase() { m_window.reset(); }

  void everyLevelHasATableAndItsSamples() {
    const LandscapeGrid& g = m_view->landscape();
    QCOMPARE(g.levels, (QVector<int>{1, 2, 3, 4, 5, 6}));
    for (const auto& table : g.energy) QCOMPARE(table.size(), g.resolution * g.resolution);
    m_view->setLevel(1);
    QTest::qWait(50);
    const QImage image = grab();
    QCOMPARE(image.size(), m_view->size() * m_view->devicePixelRatio());
  }

  // Brighter means higher F (more probable): the brightest node of a level is drawn lighter than
  // its darkest, at the first and the last level.
  void brightnessFollowsTheEnergy() {
    const LandscapeGrid& g = m_view->landscape();
    m_view->setLayers(false, false);  // the map alone
    for (int level : {1, 6}) {
      m_view->setLevel(level);
      QTest::qWait(50);
      const QImage image = grab();
      const auto& F = g.energy[level - 1];
      const QVector<int> nodes = clearNodes();
      QVERIFY(nodes.size() > g.resolution * g.resolution / 2);
      const int hi =
          *std::max_element(nodes.begin(), nodes.end(), [&](int a, int b) { return F[a] < F[b]; });
      const int lo =
          *std::min_element(nodes.begin(), nodes.end(), [&](int a, int b) { return F[a] < F[b]; });
      const qreal dpr = m_view->devicePixelRatio();
      const QPoint p_hi = (m_view->toWidget(nodePosition(g, hi)) * dpr).toPoint();
      const QPoint p_lo = (m_view->toWidget(nodePosition(g, lo)) * dpr).toPoint();
      QVERIFY2(luminance(image.pixel(p_hi)) > luminance(image.pixel(p_lo)) + 100,
               qPrintable(QString("level %1: brightest F %2 at lum %3, darkest F %4 at lum %5")
                              .arg(level)
                              .arg(F[hi])
                              .arg(luminance(image.pixel(p_hi)))
                              .arg(F[lo])
                              .arg(luminance(image.pixel(p_lo)))));
    }
    m_view->setLayers(true, true);
  }

  // The refined samples of the shown level are white discs at their positions, gone once the
  // layer is off. Level 6's samples carry the most noise, so enough of them lie apart (at level 1
  // the trained model stacks its 64 samples on eight tight modes).
  void samplesAreDrawnOnTop() {
    m_view->setLevel(6);
    m_view->setLayers(false, true);
    QTest::qWait(50);
    const QImage with = grab();
    m_view->setLayers(false, false);
    QTest::qWait(50);
    const QImage without = grab();
    m_view->setLayers(true, true);
    const QRectF overlay = m_view->overlayRect().adjusted(-6, -6, 6, 6);
    const qreal dpr = m_view->devicePixelRatio();
    int checked = 0, white = 0, whiteWithout = 0;
    const auto points = m_view->refinedPoints(6);
    // A disc's dark rim drawn over another disc's centre hides it: only discs clear of the others
    // show their centre for sure (the trained model puts many samples on the same modes).
    auto isolated = [&](const QPointF& p) {
      for (const QPointF& other : points) {
        const QPointF q = m_view->toWidget(other);
        if (q != p && QLineF(p, q).length() < 2.5 * EnergyLandscapeView::kPointRadius) return false;
      }
      return true;
    };
    for (const QPointF& y : points) {
      const QPointF p = m_view->toWidget(y);
      if (overlay.contains(p) || !m_view->rect().adjusted(6, 6, -6, -6).contains(p.toPoint()) ||
          !isolated(p))
        continue;
      ++checked;
      white += isWhite(with.pixel((p * dpr).toPoint()));
      whiteWithout += isWhite(without.pixel((p * dpr).toPoint()));
    }
    QVERIFY2(checked >= 8,
             qPrintable(QString("only %1 isolated points inside the map").arg(checked)));
    QVERIFY2(white >= 0.9 * checked, qPrintable(QString("%1 of %2 white").arg(white).arg(checked)));
    QCOMPARE(whiteWithout, 0);
  }

  void arrowKeysStepThroughLevels() {
    m_view->setLevel(6);
    QTest::qWait(50);
    const QImage top = grab();
    QSignalSpy changed(m_view, &EnergyLandscapeView::levelChanged);
    m_view->setFocus();
    QTest::keyClick(m_view, Qt::Key_Right);
    QCOMPARE(m_view->level(), 5);
    QTest::keyClick(m_view, Qt::Key_Left);
    QTest::keyClick(m_view, Qt::Key_Left);  // clamped at T
    QCOMPARE(m_view->level(), 6);
    QCOMPARE(changed.size(), 2);
    for (int k = 0; k < 5; ++k) QTest::keyClick(m_view, Qt::Key_Down);
    QCOMPARE(m_view->level(), 1);
    QTest::qWait(50);
    QVERIFY2(grab() != top, "level 1 looks like level 6");
  }

  // Hovering a node shows its position, F at every level and ∇F of the shown level in the
  // overlay: the readout matches the grid there, and the overlay grows by those lines.
  void hoverShowsPositionEnergyAndGradient() {
    m_view->setLevel(2);
    QTest::mouseMove(m_view, QPoint(m_view->width() - 1, m_view->height() - 1));
    QTest::mouseMove(m_view, QPoint(m_view->width() + 20, 0));  // leave: no readout
    QTest::qWait(100);
    const double idleHeight = m_view->overlayRect().height();
    const LandscapeGrid& g = m_view->landscape();
    const QVector<int> nodes = clearNodes();
    const int node = nodes[nodes.size() / 3];
    const QPointF at = nodePosition(g, node);
    QTest::mouseMove(m_view, m_view->toWidget(at).toPoint());
    QTest::qWait(100);
    const LandscapeReadout& r = m_view->hoverReadout();
    QVERIFY(r.inside);
    const double pixel = 2 * g.extent / std::min(m_view->width(), m_view->height());
    QVERIFY(std::abs(r.position.x() - at.x()) <= pixel);
    QVERIFY(std::abs(r.position.y() - at.y()) <= pixel);
    QCOMPARE(r.levels, g.levels);
    for (int k = 0; k < g.levels.size(); ++k)
      QVERIFY2(
          std::abs(r.energy[k] - g.energy[k][node]) <=
              localSpread(g.energy[k], g.resolution, node) + 1e-6,
          qPrintable(
              QString("level %1: %2 vs %3").arg(k + 1).arg(r.energy[k]).arg(g.energy[k][node])));
    QVERIFY(std::abs(r.gradient.x() - g.grad_x[1][node]) <=
            localSpread(g.grad_x[1], g.resolution, node) + 1e-6);
    QVERIFY(std::abs(r.gradient.y() - g.grad_y[1][node]) <=
            localSpread(g.grad_y[1], g.resolution, node) + 1e-6);
    QVERIFY2(m_view->overlayRect().height() > idleHeight + 6 * 10,
             qPrintable(QString("overlay %1 px high, %2 without a readout")
                            .arg(m_view->overlayRect().height())
                            .arg(idleHeight)));
  }
};

QTEST_MAIN(TestStudioLandscape)
#include "test_studio_landscape.moc"
