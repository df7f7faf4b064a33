#include "ood_worker.h"

#include "cdrl/model_checkpoint.h"
#include "data/data_source.h"
#include "data/ood_inputs.h"
#include "eval/ood.h"
#include "eval/roc.h"
#include "frame_convert.h"
#include "runtime/device.h"

namespace cdrl::studio {

namespace {

std::vector<double> toVector(const torch::Tensor& t) {
  return {t.data_ptr<double>(), t.data_ptr<double>() + t.numel()};
}

int unreadableCount(const OodInputs& inputs) {
  return static_cast<int>(inputs.unreadable().size());
}

}  // namespace

OodWorker::OodWorker(QObject* parent) : QObject(parent) {
  qRegisterMetaType<OodReference>();
  qRegisterMetaType<OodComparison>();
  qRegisterMetaType<QVector<OodScore>>();
}
OodWorker::~OodWorker() = default;

void OodWorker::load(const QString& checkpoint) {
  try {
    const Checkpoint c = readCheckpoint(checkpoint.toStdString());
    m_model = loadModel(c, selectDevice(DevicePreference::Auto));
    Q_EMIT loaded(QString("%1 on %2")
                      .arg(QString::fromStdString(c.config.preset),
                           QString::fromStdString(c.config.dataset)));
  } catch (const std::exception& e) {
    m_model.reset();
    Q_EMIT failed(QString::fromStdString(e.what()));
  }
}

void OodWorker::reference(const QString& source) {
  if (!m_model) return Q_EMIT failed(tr("no model open"));
  try {
    std::string spec = source.toStdString();
    if (spec.empty()) {
      spec = heldOutData(m_model->config().dataset).spec;
      if (spec.empty())
        throw std::runtime_error("the model's data (" + m_model->config().dataset +
                                 ") has no held-out part: pick a reference folder");
    }
    const OodInputs inputs = loadOodInputs({spec}, m_model->config(), kLimit);
    if (inputs.x.size(0) == 0) throw std::runtime_error("no readable image in " + spec);
    OodReference r;
    r.source = QString::fromStdString(spec);
    for (double s : toVector(energyScores(*m_model, inputs.x))) r.scores.push_back(s);
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
      const torch::Tensor scores =
          inputs.x.size(0) > 0 ? energyScores(*m_model, inputs.x) : torch::Tensor();
      for (const OodItem& item : inputs.items) {
        OodScore s;
        s.name = QString::fromStdString(item.name);
        s.note = QString::fromStdString(item.note);
        s.error = QString::fromStdString(item.error);
        if (item.row >= 0) {
          s.score = scores[item.row].item<double>();
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
    const RocCurve roc =
        rocCurve(toVector(energyScores(*m_model, in.x)), toVector(energyScores(*m_model, out.x)));
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

}  // namespace cdrl::studio
