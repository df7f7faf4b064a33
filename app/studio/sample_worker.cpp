#include "sample_worker.h"

#include "cdrl/concepts.h"
#include "cdrl/model_checkpoint.h"
#include "cdrl/official_import.h"
#include "data/image_io.h"
#include "frame_convert.h"
#include "runtime/device.h"
#include "runtime/heap.h"

#include <QPainter>

#include <cmath>

namespace cdrl::studio {

namespace {

// Frames carry at most this many samples' images and Langevin steps, any of which the view can
// show (64 RGB 32×32 samples with K = 15 over 6 levels: about 85 MB).
constexpr int kFrameSamples = 64;

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
  qRegisterMetaType<LandscapeGrid>();
}
SampleWorker::~SampleWorker() = default;

void SampleWorker::load(const QString& path) {
  try {
    // A torch.save file of the authors' is imported in memory (cancel() stops it).
    m_cancel = false;
    ImportOptions importing;
    importing.cancel = &m_cancel;
    int shown = -1;
    importing.progress = [this, &shown](double fraction) {
      const int percent = static_cast<int>(fraction * 100);
      if (percent != shown) reportLoadProgress(shown = percent);
    };
    Checkpoint checkpoint = openCheckpoint(path.toStdString(), importing);
    const auto device = selectDevice(DevicePreference::Auto);
    m_model = loadModel(checkpoint, device);
    m_importMetadata.clear();
    for (const auto& [key, value] : checkpoint.file.metadata)
      if (key.rfind("cdrl.source", 0) == 0 || key == "cdrl.import_weights")
        m_importMetadata[key] = value;
    const int64_t step = checkpoint.step;
    checkpoint = {};         // the model holds the weights now
    m_landscapeKey.clear();  // another model's landscape
    const ModelConfig& c = m_model->config();
    ModelSummary s;
    s.path = path;
    s.device = QString::fromStdString(describeDevice(device));
    s.levels = c.schedule.T;
    s.steps = c.schedule.K;
    s.image = c.isImage();
    s.attributes = isAttributeModel(c);
    for (int64_t k = 0; k < c.num_classes; ++k)
      s.class_names << (c.class_names.empty() ? QString("class %1").arg(k)
                                              : QString::fromStdString(c.class_names[k]));
    s.config_json = QString::fromStdString(toJson(c).dump(2));
    const QString classes =
        c.num_classes ? QString("%1 concepts").arg(c.num_classes) : QString("unconditional");
    if (m_importMetadata.count("cdrl.source")) {
      s.imported_from = QString::fromStdString(m_importMetadata.at("cdrl.source"));
      s.description = QString("imported from %1 (the authors' format), %2, %3 weights")
                          .arg(s.imported_from, classes,
                               QString::fromStdString(m_importMetadata.at("cdrl.import_weights")));
    } else {
      s.description = QString("%1 on %2, %3, trained %4 steps")
                          .arg(QString::fromStdString(c.preset), QString::fromStdString(c.dataset))
                          .arg(classes)
                          .arg(step);
    }
    Q_EMIT loaded(s);
  } catch (const std::exception& e) {
    // The model open before (if any) stays open: the window keeps offering it.
    Q_EMIT loadFailed(QString::fromStdString(e.what()), m_model != nullptr);
  }
}

void SampleWorker::reportLoadProgress(int percent) { Q_EMIT loadProgress(percent); }

void SampleWorker::saveModel(const QString& path) {
  if (!m_model) {
    Q_EMIT saved(path, tr("no model open"));
    return;
  }
  try {
    saveCheckpoint(path.toStdString(), *m_model, nullptr, m_importMetadata);
    Q_EMIT saved(path, QString());
  } catch (const std::exception& e) {
    Q_EMIT saved(path, QString::fromStdString(e.what()));
  }
}

namespace {

// The core options for the studio's settings.
SampleOptions toOptions(const SampleSettings& settings, const ModelConfig& config) {
  SampleOptions options;
  options.run_id = settings.run_id;
  options.count = settings.count;
  options.seed = settings.seed;
  options.steps = settings.steps;
  options.noise = settings.noise;
  options.use_ema = settings.use_ema;
  if (!settings.concepts.isEmpty()) {  // §7 composition wins over a class
    std::vector<ConditionTerm> terms;
    for (const auto& [label, weight] : settings.concepts) terms.push_back({label, weight});
    options.condition = Condition::composed(terms);
  } else if (settings.label >= 0) {
    options.condition = Condition::guided(settings.label + 1, settings.guidance);
  }
  options.validate(config);
  return options;
}

}  // namespace

void SampleWorker::run(const SampleSettings& settings) {
  if (!m_model) {
    Q_EMIT failed(tr("No model is open."));
    return;
  }
  m_cancel = false;
  try {
    SampleOptions options = toOptions(settings, m_model->config());
    if (!m_model->config().isImage()) {
      // The landscape depends on the weights and the condition only: a new seed, count or K'
      // re-samples without recomputing it.
      QString key = options.use_ema ? "ema" : "raw";
      for (const ConditionTerm& t : options.condition.terms)
        key += QString(" %1:%2").arg(t.label).arg(t.weight, 0, 'g', 17);
      if (key != m_landscapeKey) {
        LandscapeOptions landscape;
        landscape.use_ema = options.use_ema;
        landscape.condition = options.condition;
        m_landscape = toLandscapeGrid(energyLandscape(*m_model, landscape, &m_cancel), 0);
        // A cancelled computation is partial: not kept.
        const bool complete = m_landscape.levels.size() == m_model->config().schedule.T;
        m_landscapeKey = complete ? key : QString();
      }
      m_landscape.run_id = options.run_id;
      Q_EMIT landscapeReady(m_landscape);
    }
    options.keep_steps = true;  // the view replays the Langevin steps of the samples it shows
    options.keep_samples = kFrameSamples;
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
  // The run's tensors are gone: between runs the studio holds what it uses, not what its largest
  // run needed (docs/reliability.md §6).
  returnFreedMemory();
}

void SampleWorker::sweep(const SampleSettings& settings, const QVector<double>& guidances,
                         const QVector<int>& steps) {
  if (!m_model) {
    Q_EMIT failed(tr("No model is open."));
    return;
  }
  if (!m_model->config().isImage()) {
    Q_EMIT failed(tr("A sweep compares images; this is a 2-D model."));
    return;
  }
  m_cancel = false;
  try {
    const int columns = static_cast<int>(guidances.size()), rows = static_cast<int>(steps.size());
    QVector<QImage> cells;
    for (int r = 0; r < rows; ++r)
      for (int c = 0; c < columns; ++c) {
        SampleSettings cell = settings;
        cell.guidance = guidances[c];
        cell.steps = steps[r];
        const SampleResult result =
            sample(*m_model, toOptions(cell, m_model->config()), {}, &m_cancel);
        if (result.cancelled) {
          Q_EMIT sweepDone(QImage());
          return;
        }
        cells.push_back(gridImage(result.samples));
        Q_EMIT sweepProgress(static_cast<int>(cells.size()), rows * columns);
      }
    // Labels in a header row (w) and a left column (K'), as in the paper's comparison figures.
    constexpr int kLabel = kSweepLabel, kGap = kSweepGap;
    const QSize cell = cells.first().size();
    QImage grid(kLabel * 2 + columns * (cell.width() + kGap),
                kLabel + rows * (cell.height() + kGap), QImage::Format_RGB32);
    grid.fill(Qt::white);
    QPainter painter(&grid);
    painter.setPen(Qt::black);
    for (int c = 0; c < columns; ++c)
      painter.drawText(QRect(kLabel * 2 + c * (cell.width() + kGap), 0, cell.width(), kLabel),
                       Qt::AlignCenter, QString("w = %1").arg(guidances[c]));
    for (int r = 0; r < rows; ++r) {
      const int y = kLabel + r * (cell.height() + kGap);
      painter.drawText(QRect(0, y, kLabel * 2, cell.height()), Qt::AlignCenter,
                       steps[r] > 0 ? QString("K' = %1").arg(steps[r]) : QString("K"));
      for (int c = 0; c < columns; ++c)
        painter.drawImage(kLabel * 2 + c * (cell.width() + kGap), y, cells[r * columns + c]);
    }
    painter.end();
    Q_EMIT sweepDone(grid);
  } catch (const std::exception& e) {
    Q_EMIT failed(QString::fromStdString(e.what()));
  }
}

}  // namespace cdrl::studio
