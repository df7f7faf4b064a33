// Runs core's training loop (training_run.h) on a worker thread: the same run `cdrl train` does,
// writing metrics and checkpoints to the request's folder. Lives in a QThread; stop() is safe from
// any thread and takes effect between steps (the checkpoint is saved first).
#pragma once

#include "cdrl/training_run.h"

#include <QObject>
#include <QString>

#include <atomic>

namespace cdrl::studio {

class TrainWorker : public QObject {
  Q_OBJECT
 public:
  explicit TrainWorker(QObject* parent = nullptr);

  void stop() { m_stop = true; }
  // Runs to the end, a stop or an error; call on the worker's thread.
  void train(const cdrl::TrainRequest& request);

 Q_SIGNALS:
  // The run is set up: one line saying what it trains, and where its metrics go.
  void started(const QString& description, const QString& metrics_path);
  void progress(qint64 step, qint64 total);
  void finished(const QString& message, bool stopped);
  void failed(const QString& message);

 private:
  std::atomic<bool> m_stop{false};
};

}  // namespace cdrl::studio
