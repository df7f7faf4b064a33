#include "io/checkpoint.h"

#include "io/module_state.h"

namespace cdrl {

namespace {

const char* const kFormat = "cdrl-checkpoint";

}  // namespace

FormatError checkpointError(const std::string& path, const std::string& what) {
  return FormatError("checkpoint " + path + ": " + what);
}

void writeCheckpoint(const std::string& path, const Checkpoint& checkpoint) {
  TensorFile file = checkpoint.file;
  file.metadata["format"] = kFormat;
  file.metadata["format_version"] = std::to_string(kCheckpointVersion);
  file.metadata["config"] = toJson(checkpoint.config).dump();
  file.metadata["step"] = std::to_string(checkpoint.step);
  file.metadata["resumable"] = checkpoint.resumable ? "true" : "false";
  if (checkpoint.training) file.metadata["training"] = toJson(*checkpoint.training).dump();
  writeTensorFile(path, file);
}

Checkpoint readCheckpoint(const std::string& path) {
  Checkpoint c;
  c.path = path;
  c.file = readTensorFile(path);
  auto field = [&](const char* key) {
    try {
      return metadataField(c.file, key, "CDRL checkpoint");
    } catch (const std::runtime_error& e) {
      throw checkpointError(path, e.what());
    }
  };
  if (field("format") != kFormat)
    throw checkpointError(path, "not a CDRL checkpoint (format '" + field("format") + "')");
  if (field("format_version") != std::to_string(kCheckpointVersion))
    throw checkpointError(path, "wrong version: format version " + field("format_version") +
                                    ", this program reads version " +
                                    std::to_string(kCheckpointVersion));
  try {
    c.config = modelConfigFromJson(nlohmann::json::parse(field("config")));
    c.step = std::stoll(field("step"));
    if (c.file.metadata.count("training"))
      c.training = trainOptionsFromJson(nlohmann::json::parse(c.file.metadata.at("training")), {});
  } catch (const std::exception& e) {
    throw checkpointError(path, std::string("bad configuration: ") + e.what());
  }
  c.resumable = field("resumable") == "true";
  return c;
}

}  // namespace cdrl
