#include "sample_worker.h"

#include "checkpoint.h"
#include "concepts.h"
#include "device.h"
#include "frame_convert.h"
#include "image_io.h"

#include <cmath>

namespace cdrl::studio {

namespace {

// Frames carry at most this many samples' images: the view shows a few rows, the grid all.
constexpr int kFrameSamples = 8;

QImage gridImage(const torch::Tensor& samples) {
  if (samples.dim() != 4) return {};
  const int columns = static_cast<int>(std::ceil(std::sqrt(static_cast<double>(samples.size(0)))));
  const cv::Mat grid = toImageGrid(samples, columns, 2, 1);
  const QImage::Format format =
      grid.channels() == 1 ? QImage::Format_Grayscale8 : QImage::Format_BGR888;
  return QImage(grid.data, grid.cols, grid.rows, static_cast<qsizetype>(grid.step), format).copy();
}

}  // namespace

SampleWorker::SampleWorker(QObject* parent) : QObject(parent) {
  // The types its queued slots and signals carry.
  qRegisterMetaType<SampleSettings>();
  qRegisterMetaType<ModelSummary>();
  qRegisterMetaType<SampleDone>();
  qRegisterMetaType<LevelFrame>();
}
SampleWorker::~SampleWorker() = default;

void SampleWorker::load(const QString& path) {
  try {
    const Checkpoint checkpoint = readCheckpoint(path.toStdString());
    const auto device = selectDevice(DevicePreference::Auto);
    m_model = loadModel(checkpoint, device);
    const ModelConfig& c = m_model->config();
    ModelSummary s;
    s.path = path;
    s.device = QString::fromStdString(describeDevice(device));
    s.levels = c.schedule.T;
    s.steps = c.schedule.K;
    s.image = c.isImage();
    s.attributes = isAttributeModel(c);
    for (const auto& name : c.class_names) s.class_names << QString::fromStdString(name);
    s.config_json = QString::fromStdString(toJson(c).dump(2));
    s.description = QString("%1 on %2, %3, trained %4 steps")
                        .arg(QString::fromStdString(c.preset), QString::fromStdString(c.dataset))
                        .arg(c.num_classes ? QString("%1 concepts").arg(c.num_classes)
                                           : QString("unconditional"))
                        .arg(checkpoint.step);
    Q_EMIT loaded(s);
  } catch (const std::exception& e) {
    m_model.reset();
    Q_EMIT failed(QString::fromStdString(e.what()));
  }
}

void SampleWorker::run(const SampleSettings& settings) {
  if (!m_model) {
    Q_EMIT failed(tr("No model is open."));
    return;
  }
  m_cancel = false;
  try {
    SampleOptions options;
    options.run_id = settings.run_id;
    options.count = settings.count;
    options.seed = settings.seed;
    options.steps = settings.steps;
    options.noise = settings.noise;
    options.use_ema = settings.use_ema;
    if (settings.label >= 0)
      options.condition = Condition::guided(settings.label + 1, settings.guidance);
    options.validate(m_model->config());
    const SampleResult result = sample(
        *m_model, options,
        [this](const LevelTrace& trace) { Q_EMIT levelReady(toLevelFrame(trace, kFrameSamples)); },
        &m_cancel);
    SampleDone done;
    done.run_id = result.run_id;
    done.seed = result.seed;
    done.cancelled = result.cancelled;
    done.levels_done = result.levels_done;
    if (!result.cancelled) done.grid = gridImage(result.samples);
    Q_EMIT finished(done);
  } catch (const std::exception& e) {
    Q_EMIT failed(QString::fromStdString(e.what()));
  }
}

}  // namespace cdrl::studio
