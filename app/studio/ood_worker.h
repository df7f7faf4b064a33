// OOD scoring on a worker thread: loads a checkpoint, scores the in-distribution reference (the
// model's held-out data or a folder the user picks), dropped images and folders, and in/out folder
// pairs (AUROC, FPR at 95% TPR, ROC curve). Results travel as plain data.
#pragma once

#include "cdrl/model.h"

#include <QImage>
#include <QObject>
#include <QString>
#include <QStringList>
#include <QVector>

#include <memory>

namespace cdrl::studio {

struct OodScore {
  QString name;
  double score = 0;  // energy score; meaningless when `error` is set
  QString note;      // conversion done to fit the model, or empty
  QString error;     // why the file could not be read, or empty
  QImage thumbnail;  // the image as the model saw it (null for 2-D data and unreadable files)
};

struct OodReference {
  QString source;  // what was scored ("fashion-mnist-test", a folder)
  QVector<double> scores;
  int unreadable = 0;
};

struct OodComparison {
  QString in_source, out_source;
  int in_count = 0, out_count = 0, unreadable = 0;
  double auroc = 0, fpr_at_95 = 0;
  QVector<double> fpr, tpr;
};

class OodWorker : public QObject {
  Q_OBJECT
 public:
  explicit OodWorker(QObject* parent = nullptr);
  ~OodWorker() override;

  // Images taken from each folder or data set at most.
  static constexpr int kLimit = 1000;

 public Q_SLOTS:
  void load(const QString& checkpoint);
  // Empty `source`: the held-out part of the model's own training data.
  void reference(const QString& source);
  void score(const QStringList& paths);
  void compare(const QString& in_source, const QString& out_source);

 Q_SIGNALS:
  void loaded(const QString& description);
  void referenceReady(const cdrl::studio::OodReference& reference);
  void scored(const QVector<cdrl::studio::OodScore>& scores);
  void compared(const cdrl::studio::OodComparison& comparison);
  void failed(const QString& message);

 private:
  std::unique_ptr<Model> m_model;
};

}  // namespace cdrl::studio

Q_DECLARE_METATYPE(cdrl::studio::OodReference)
Q_DECLARE_METATYPE(cdrl::studio::OodComparison)
Q_DECLARE_METATYPE(QVector<cdrl::studio::OodScore>)
