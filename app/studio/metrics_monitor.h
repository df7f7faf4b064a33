// Follows a training run's folder from a worker thread: polls its metrics.jsonl for new lines
// (a run in this app or a `cdrl train` elsewhere) and notices when its checkpoint is rewritten.
#pragma once

#include "io/metrics_tail.h"
#include "training_form.h"
#include "training_plots.h"

#include <QDateTime>
#include <QDir>
#include <QObject>
#include <QString>

#include <memory>

class QTimer;

namespace cdrl::studio {

class MetricsMonitor : public QObject {
  Q_OBJECT
 public:
  explicit MetricsMonitor(QObject* parent = nullptr);
  ~MetricsMonitor() override;

  static constexpr int kPollMs = 250;

 public Q_SLOTS:
  // `path` is a run folder or its metrics.jsonl; reading starts from the beginning.
  void attach(const QString& path);
  void detach();

 Q_SIGNALS:
  // New points; `restarted` when the file began again (clear what was shown first).
  void pointsAdded(const cdrl::studio::MetricPoints& points, bool restarted);
  void checkpointUpdated(const QString& path);
  // The followed run's own settings, from its checkpoint (not sent when it has none yet).
  void runDescribed(const cdrl::studio::TrainingFormState& state);

 private:
  void poll();
  void describeRun(const QDir& folder);

  std::unique_ptr<MetricsTail> m_tail;
  QString m_checkpoint;
  QDateTime m_checkpointTime;
  QTimer* m_timer = nullptr;
};

}  // namespace cdrl::studio
