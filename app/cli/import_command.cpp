// `cdrl import`: one of the authors' torch.save checkpoints (docs/import.md) as this project's
// safetensors checkpoint, written atomically.
#include "commands.h"
#include "open_checkpoint.h"

#include <cstdio>
#include <filesystem>

namespace cdrl::cli {

namespace {

struct ImportArgs {
  std::string file;
  std::string out;
  std::string classes;
  bool raw = false;
};

void run(const ImportArgs& a) {
  const std::string out = a.out.empty() ? convertedCheckpointPath(a.file) : a.out;
  std::error_code error;
  if (std::filesystem::equivalent(a.file, out, error))
    throw std::runtime_error("-o " + out + " is the input file; choose another output");
  ImportOptions options;
  options.raw = a.raw;
  options.class_names_file = a.classes;
  const Checkpoint checkpoint = openCheckpointFile(a.file, options);
  if (checkpoint.file.metadata.count("cdrl.source") == 0)
    throw std::runtime_error(a.file + " is already a CDRL checkpoint; nothing to import");
  writeCheckpoint(out, checkpoint);
  const auto& c = checkpoint.config;
  auto describe = [](const NetworkConfig& n) {
    std::string m;
    for (auto x : n.multipliers) m += (m.empty() ? "" : ",") + std::to_string(x);
    return toString(n.architecture) + " width " + std::to_string(n.width) + " ×(" + m + "), " +
           std::to_string(n.blocks) + " blocks";
  };
  std::printf("imported %s (sha256 %s)\n", a.file.c_str(),
              checkpoint.file.metadata.at("cdrl.source_sha256").c_str());
  std::printf(
      "  %s, %s weights\n",
      c.num_classes ? (std::to_string(c.num_classes) + " classes").c_str() : "unconditional",
      checkpoint.file.metadata.at("cdrl.import_weights").c_str());
  std::printf("  EBM: %s; initializer: %s\n", describe(c.ebm).c_str(),
              describe(c.initializer).c_str());
  std::printf("wrote %s\n", out.c_str());
}

}  // namespace

void addImportCommand(CLI::App& app) {
  auto args = std::make_shared<ImportArgs>();
  auto* cmd = app.add_subcommand(
      "import",
      "Convert one of the paper authors' checkpoints (.pth.tar, torch.save) to this "
      "project's format");
  cmd->add_option("file", args->file, "The authors' checkpoint, e.g. Cifar_10_best.pth.tar")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("-o,--out", args->out,
                  "Output checkpoint (default: the input's name with .safetensors, beside it)");
  cmd->add_flag("--raw", args->raw, "Keep the raw weights instead of the EMA weights (default)");
  cmd->add_option("--classes", args->classes,
                  "Class names in imagenet_class_index.json's format (default: that file beside "
                  "the checkpoint, if present)")
      ->check(CLI::ExistingFile);
  cmd->callback([args] { run(*args); });
}

}  // namespace cdrl::cli
