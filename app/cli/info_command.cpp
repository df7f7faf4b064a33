// `cdrl info`: what a checkpoint holds.
#include "commands.h"
#include "io/checkpoint.h"
#include "open_checkpoint.h"

#include <cstdio>

namespace cdrl::cli {

void addInfoCommand(CLI::App& app) {
  auto path = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("info", "Print a checkpoint's configuration");
  cmd->add_option("checkpoint", *path, "Checkpoint file (.safetensors, or the authors' .pth.tar)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->callback([path] {
    const Checkpoint c = openCheckpointFile(*path);
    int64_t parameters = 0;
    for (const auto& [name, tensor] : c.file.tensors)
      if (name.rfind("ebm/", 0) == 0 || name.rfind("initializer/", 0) == 0)
        parameters += tensor.numel();
    nlohmann::json out = {{"file", *path},
                          {"format_version", kCheckpointVersion},
                          {"step", c.step},
                          {"resumable", c.resumable},
                          {"tensors", c.file.tensors.size()},
                          {"live_parameters_and_buffers", parameters},
                          {"config", toJson(c.config)}};
    for (const char* key : {"cdrl.source", "cdrl.source_sha256", "cdrl.import_weights"})
      if (c.file.metadata.count(key)) out[std::string(key).substr(5)] = c.file.metadata.at(key);
    std::printf("%s\n", out.dump(2).c_str());
  });
}

}  // namespace cdrl::cli
