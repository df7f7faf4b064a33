// `cdrl make-faces`: the procedural faces data set written to disk in CelebA's own layout, so the
// `celeba:` loader (and any CelebA tool) reads it.
#include "commands.h"
#include "data/celeba.h"
#include "data/faces_data.h"

#include <cstdio>

namespace cdrl::cli {

namespace {

struct MakeFacesArgs {
  std::string dir;
  int64_t count = 20000;
  uint64_t seed = 0;
};

void run(const MakeFacesArgs& a) {
  const Dataset faces = makeFacesDataset(a.count, a.seed);
  writeCelebA(faces, a.dir);
  std::printf("wrote %lld faces with attributes", static_cast<long long>(a.count));
  for (const auto& name : faces.attribute_names) std::printf(" %s", name.c_str());
  std::printf(" to %s (train with --data celeba:%s)\n", a.dir.c_str(), a.dir.c_str());
}

}  // namespace

void addMakeFacesCommand(CLI::App& app) {
  auto a = std::make_shared<MakeFacesArgs>();
  auto* cmd = app.add_subcommand(
      "make-faces",
      "Write the procedural faces data set in CelebA's layout (images, attribute and "
      "partition lists)");
  cmd->add_option("dir", a->dir, "Output folder")->required();
  cmd->add_option("-n,--count", a->count, "Faces to write")
      ->check(CLI::Range(int64_t{10}, int64_t{1000000}))
      ->capture_default_str();
  cmd->add_option("--seed", a->seed, "Seed of the attributes and nuisances")
      ->check(NonNegative)
      ->capture_default_str();
  cmd->callback([a] { run(*a); });
}

}  // namespace cdrl::cli
