#include "train_worker.h"

namespace cdrl::studio {

TrainWorker::TrainWorker(QObject* parent) : QObject(parent) {}

void TrainWorker::train(const TrainRequest& request) {
  m_stop = false;
  try {
    TrainingSetup setup = prepareTraining(request);
    const ModelConfig& config = setup.model->config();
    QString description =
        QString("%1 on %2 (%3 examples), %4, steps %5 → %6, batch %7")
            .arg(QString::fromStdString(config.preset), QString::fromStdString(setup.data->name))
            .arg(setup.data->size())
            .arg(QString::fromStdString(describeDevice(setup.device)))
            .arg(setup.trainer->stepsDone())
            .arg(setup.options.steps)
            .arg(setup.options.batch);
    if (!setup.note.empty()) description += "; " + QString::fromStdString(setup.note);
    Q_EMIT started(description, QString::fromStdString(setup.metrics_path));
    const qint64 total = setup.options.steps;
    const RunEnd end = runTraining(
        setup, m_stop, [&](const StepStats& stats) { Q_EMIT progress(stats.step, total); });
    const QString checkpoint = QString::fromStdString(setup.checkpoint_path);
    if (end == RunEnd::Stopped)
      Q_EMIT finished(tr("Stopped at step %1; checkpoint saved to %2 (tick \"Continue\" to resume)")
                          .arg(setup.trainer->stepsDone())
                          .arg(checkpoint),
                      true);
    else
      Q_EMIT finished(
          tr("Finished at step %1; checkpoint %2").arg(setup.trainer->stepsDone()).arg(checkpoint),
          false);
  } catch (const std::exception& e) {
    // A DivergedError leaves the last good checkpoint in place; its message says so.
    Q_EMIT failed(QString::fromStdString(e.what()));
  }
}

}  // namespace cdrl::studio
