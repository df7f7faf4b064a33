#include "ood_worker.h"

#include "cdrl/model_checkpoint.h"
#include "cdrl/official_import.h"
#include "data/data_source.h"
#include "data/ood_inputs.h"
#include "eval/calibration_file.h"
#include "eval/ood.h"
#include "eval/roc.h"
#include "frame_convert.h"
#include "runtime/device.h"

namespace cdrl::studio {

namespace {

std::vector<double> toVector(const torch::Tensor& t) {
  const auto c = t.to(torch::kDouble).contiguous();
  return {c.data_ptr<double>(), c.data_ptr<double>() + c.numel()};
}

QVector<double> toQVector(const torch::Tensor& t) {
  const auto v = toVector(t);
  return QVector<double>(v.begin(), v.end());
}

int unreadableCount(const OodInputs& inputs) {
  return static_cast<int>(inputs.unreadable().size());
}

}  // namespace

OodWorker::OodWorker(QObject* parent) : QObject(parent) {
  qRegisterMetaType<OodReference>();
  qRegisterMetaType<OodComparison>();
  qRegisterMetaType<OodModelInfo>();
  qRegisterMetaType<QVector<OodScore>>();
}
OodWorker::~OodWorker() = default;

OodModelInfo OodWorker::info() const {
  OodModelInfo i;
  i.description = m_description;
  i.calibrated = m_calibration.has_value();
  i.score_name = i.calibrated ? "typicality" : "energy";
  if (m_calibration) {
    i.calibration = QString("%1 examples of %2")
                        .arg(m_calibration->count)
                        .arg(QString::fromStdString(m_calibration->data));
    i.level_reference = chiSquare95(m_calibration->per_level);
  }
  return i;
}

HeldOutData OodWorker::heldOut() const {
  const HeldOutData data = heldOutData(m_model->config().dataset);
  if (data.spec.empty())
    throw std::runtime_error("the model's data (" + m_model->config().dataset +
                             ") has no held-out part: pick a folder");
  return data;
}

void OodWorker::load(const QString& checkpoint) {
  try {
    const Checkpoint c = openCheckpoint(checkpoint.toStdString());
    m_model = loadModel(c, selectDevice(DevicePreference::Auto));
    m_checkpoint = c.path;
    m_step = c.step;
    m_description =
        QString("%1 on %2")
            .arg(QString::fromStdString(c.config.preset), QString::fromStdString(c.config.dataset));
    m_calibration.reset();
    try {
      m_calibration = findCalibration(c);
    } catch (const std::exception& e) {  // a damaged calibration: the model still scores
      Q_EMIT failed(QString::fromStdString(e.what()));
    }
    Q_EMIT loaded(info());
  } catch (const std::exception& e) {
    m_model.reset();
    m_calibration.reset();
    Q_EMIT failed(QString::fromStdString(e.what()));
  }
}

TypicalityScores OodWorker::scoresOf(const torch::Tensor& x) {
  if (m_calibration) return typicalityScores(*m_model, *m_calibration, x);
  TypicalityScores s;
  s.score = energyScores(*m_model, x);
  return s;
}

void OodWorker::reference(const QString& source) {
  if (!m_model) return Q_EMIT failed(tr("no model open"));
  try {
    OodReference r;
    if (source.isEmpty() && m_calibration) {
      // The calibration's quantiles stand for its in-distribution scores.
      r.source = tr("the calibration (%1)").arg(info().calibration);
      r.scores = toQVector(m_calibration->quantiles);
      Q_EMIT referenceReady(r);
      return;
    }
    const HeldOutData data = source.isEmpty() ? heldOut() : HeldOutData{source.toStdString(), 0};
    const std::string& spec = data.spec;
    const OodInputs inputs = loadOodInputs({spec}, m_model->config(), kLimit, data.seed);
    if (inputs.x.size(0) == 0) throw std::runtime_error("no readable image in " + spec);
    r.source = QString::fromStdString(spec);
    r.scores = toQVector(scoresOf(inputs.x).score);
    r.unreadable = unreadableCount(inputs);
    Q_EMIT referenceReady(r);
  } catch (const std::exception& e) {
    Q_EMIT failed(QString::fromStdString(e.what()));
  }
}

void OodWorker::score(const QStringList& paths) {
  if (!m_model) return Q_EMIT failed(tr("no model open"));
  QVector<OodScore> out;
  for (const QString& path : paths) {
    try {
      const OodInputs inputs = loadOodInputs({path.toStdString()}, m_model->config(), kLimit);
      const TypicalityScores scores =
          inputs.x.size(0) > 0 ? scoresOf(inputs.x) : TypicalityScores{};
      for (const OodItem& item : inputs.items) {
        OodScore s;
        s.name = QString::fromStdString(item.name);
        s.note = QString::fromStdString(item.note);
        s.error = QString::fromStdString(item.error);
        if (item.row >= 0) {
          s.score = scores.score[item.row].item<double>();
          if (scores.per_level.defined()) s.per_level = toQVector(scores.per_level[item.row]);
          s.thumbnail = toQImage(inputs.x[item.row]);
        }
        out.push_back(s);
      }
    } catch (const std::exception& e) {  // a path that is no image, folder or data set
      OodScore s;
      s.name = path;
      s.error = QString::fromStdString(e.what());
      out.push_back(s);
    }
  }
  Q_EMIT scored(out);
}

void OodWorker::compare(const QString& in_source, const QString& out_source) {
  if (!m_model) return Q_EMIT failed(tr("no model open"));
  try {
    const OodInputs in = loadOodInputs({in_source.toStdString()}, m_model->config(), kLimit);
    const OodInputs out = loadOodInputs({out_source.toStdString()}, m_model->config(), kLimit);
    if (in.x.size(0) == 0 || out.x.size(0) == 0)
      throw std::runtime_error("both folders need at least one readable image");
    const RocCurve roc = rocCurve(toVector(scoresOf(in.x).score), toVector(scoresOf(out.x).score));
    OodComparison c;
    c.in_source = in_source;
    c.out_source = out_source;
    c.in_count = static_cast<int>(in.x.size(0));
    c.out_count = static_cast<int>(out.x.size(0));
    c.unreadable = unreadableCount(in) + unreadableCount(out);
    c.auroc = roc.auroc;
    c.fpr_at_95 = roc.fpr_at_95_tpr;
    c.fpr = QVector<double>(roc.fpr.begin(), roc.fpr.end());
    c.tpr = QVector<double>(roc.tpr.begin(), roc.tpr.end());
    Q_EMIT compared(c);
  } catch (const std::exception& e) {
    Q_EMIT failed(QString::fromStdString(e.what()));
  }
}

void OodWorker::calibrate(const QString& source) {
  if (!m_model) return Q_EMIT failed(tr("no model open"));
  try {
    const HeldOutData data = source.isEmpty() ? heldOut() : HeldOutData{source.toStdString(), 0};
    const std::string& spec = data.spec;
    const OodInputs inputs = loadOodInputs({spec}, m_model->config(), /*limit=*/1000000, data.seed);
    const int64_t n = std::min<int64_t>(kCalibrationCount, inputs.x.size(0));
    if (n < 2) throw std::runtime_error("calibration needs at least 2 readable images in " + spec);
    // The last examples, as `cdrl calibrate` takes them.
    const auto x = inputs.x.slice(0, inputs.x.size(0) - n);
    Calibration c = cdrl::calibrate(
        *m_model, x, TypicalityOptions{}, spec, &m_cancel, [this](int64_t done, int64_t total) {
          Q_EMIT calibrationProgress(static_cast<int>(done), static_cast<int>(total));
        });
    if (c.count == 0) return Q_EMIT failed(tr("Calibration cancelled; scores stay as they were."));
    m_calibration = std::move(c);
    QString note;
    try {
      writeCalibrationSide(m_checkpoint, m_step, *m_calibration);
      note = tr("cached in %1").arg(QString::fromStdString(calibrationSidePath(m_checkpoint)));
    } catch (const std::exception& e) {
      note = tr("not cached (%1); used for this session").arg(QString::fromStdString(e.what()));
    }
    Q_EMIT calibrated(info(), note);
  } catch (const std::exception& e) {
    Q_EMIT failed(QString::fromStdString(e.what()));
  }
}

}  // namespace cdrl::studio
