// Opens any checkpoint for a command: this project's files as they are, the authors' torch.save
// files imported in memory with a progress line on stderr.
#pragma once

#include "cdrl/official_import.h"

#include <string>

namespace cdrl::cli {

Checkpoint openCheckpointFile(const std::string& path, ImportOptions options = {});

}  // namespace cdrl::cli
