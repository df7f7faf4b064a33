#include "metrics_monitor.h"

#include "io/checkpoint.h"

#include <QDir>
#include <QFileInfo>
#include <QTimer>

#include <limits>

namespace cdrl::studio {

MetricsMonitor::MetricsMonitor(QObject* parent) : QObject(parent) {}
MetricsMonitor::~MetricsMonitor() = default;

void MetricsMonitor::attach(const QString& path) {
  const QFileInfo info(path);
  const QDir folder = info.isDir() ? QDir(path) : info.dir();
  const QString metrics = info.isDir() ? folder.filePath("metrics.jsonl") : path;
  m_tail = std::make_unique<MetricsTail>(metrics.toStdString());
  m_checkpoint = folder.filePath("checkpoint.safetensors");
  m_checkpointTime = {};
  if (!m_timer) {  // created here, on the worker's thread, so it fires there
    m_timer = new QTimer(this);
    connect(m_timer, &QTimer::timeout, this, &MetricsMonitor::poll);
  }
  m_timer->start(kPollMs);
  describeRun(folder);
  poll();
}

void MetricsMonitor::describeRun(const QDir& folder) {
  if (!QFileInfo::exists(m_checkpoint)) return;
  Checkpoint checkpoint;
  try {
    checkpoint = readCheckpoint(m_checkpoint.toStdString());
  } catch (const std::exception&) {
    return;  // unreadable: the points still show, and the form keeps what it had
  }
  TrainingFormState state;
  state.preset = QString::fromStdString(checkpoint.config.preset);
  state.data = QString::fromStdString(checkpoint.config.dataset);
  state.conditional = checkpoint.config.num_classes > 0;
  if (checkpoint.training) {
    state.steps = static_cast<int>(checkpoint.training->steps);
    state.log_every = static_cast<int>(checkpoint.training->log_every);
    state.checkpoint_every = static_cast<int>(checkpoint.training->checkpoint_every);
  }
  state.out = folder.absolutePath();
  state.resume = true;
  Q_EMIT runDescribed(state);
}

void MetricsMonitor::detach() {
  if (m_timer) m_timer->stop();
  if (m_tail) poll();  // the last lines written before the run ended
  m_tail.reset();
}

void MetricsMonitor::poll() {
  if (!m_tail) return;
  const MetricsTail::Update update = m_tail->poll();
  if (!update.rows.empty() || update.restarted || update.superseded_after) {
    MetricPoints points;
    if (update.superseded_after)
      points.superseded_after = static_cast<double>(*update.superseded_after);
    for (size_t r = 0; r < update.rows.size(); ++r) {
      const MetricsRow& row = update.rows[r];
      points.steps.push_back(static_cast<double>(row.step));
      for (const auto& [name, value] : row.values) {
        QVector<double>& series = points.values[QString::fromStdString(name)];
        series.resize(static_cast<qsizetype>(r), std::numeric_limits<double>::quiet_NaN());
        series.push_back(value);
      }
    }
    for (QVector<double>& series : points.values)
      series.resize(points.steps.size(), std::numeric_limits<double>::quiet_NaN());
    Q_EMIT pointsAdded(points, update.restarted);
  }
  const QFileInfo checkpoint(m_checkpoint);
  if (checkpoint.exists() && checkpoint.lastModified() != m_checkpointTime) {
    m_checkpointTime = checkpoint.lastModified();
    Q_EMIT checkpointUpdated(m_checkpoint);
  }
}

}  // namespace cdrl::studio
