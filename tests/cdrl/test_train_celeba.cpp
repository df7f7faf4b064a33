// The CelebA path end to end on real files: procedural faces written in CelebA's layout are read
// by the `celeba:` loader and train an attribute-conditional faces-tiny model, whose checkpoint
// names CelebA's attributes as concepts and records where its data came from, so a resume needs no
// --data.
#include "cdrl/model_checkpoint.h"
#include "cdrl/training_run.h"
#include "data/celeba.h"
#include "data/faces_data.h"
#include "test_support.h"

#include <QtTest>

#include <algorithm>

using namespace cdrl;

class TestTrainCeleba : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void trainsThroughTheCelebaLoader() {
    const std::string root = test::tempDir("celeba-faces") + "/faces";
    writeCelebA(makeFacesDataset(60, 2), root);
    TrainRequest request;
    request.preset = "faces-tiny";
    request.data = "celeba:" + root;
    request.out = test::tempDir("celeba-run");
    request.conditional = true;
    request.K = 2;
    request.overrides.steps = 2;
    request.overrides.batch = 8;
    TrainingSetup setup = prepareTraining(request);
    QCOMPARE(setup.data->size(), int64_t{48});  // the train partition: 80% of 60
    std::atomic<bool> stop{false};
    QCOMPARE(runTraining(setup, stop), RunEnd::Finished);

    const Checkpoint c = readCheckpoint(setup.checkpoint_path);
    QCOMPARE(c.step, int64_t{2});
    QCOMPARE(c.config.dataset, request.data);
    QCOMPARE(c.config.num_classes, int64_t{12});
    for (const char* concept :
         {"Male=1", "Smiling=0", "Young=1", "Eyeglasses=1", "Wearing_Hat=0", "Blond_Hair=1"}) {
      const auto& names = c.config.class_names;
      QVERIFY2(std::find(names.begin(), names.end(), concept) != names.end(), concept);
    }

    // Resumed without --data: the checkpoint's own specification finds the files again (once the
    // first run has let go of the folder).
    setup.lock.reset();
    TrainRequest resume;
    resume.resume = setup.checkpoint_path;
    resume.out = request.out;
    resume.overrides.steps = 3;
    TrainingSetup again = prepareTraining(resume);
    QCOMPARE(again.data->size(), int64_t{48});
    QCOMPARE(runTraining(again, stop), RunEnd::Finished);
    QCOMPARE(readCheckpoint(setup.checkpoint_path).step, int64_t{3});
  }
};

QTEST_APPLESS_MAIN(TestTrainCeleba)
#include "test_train_celeba.moc"
