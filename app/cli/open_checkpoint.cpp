#include "open_checkpoint.h"

#include "io/torch_archive.h"

#include <unistd.h>

#include <cstdio>

namespace cdrl::cli {

Checkpoint openCheckpointFile(const std::string& path, ImportOptions options) {
  if (!looksLikeTorchArchive(path)) return readCheckpoint(path);
  const bool tty = isatty(fileno(stderr));
  int shown = -1;
  options.progress = [&](double fraction) {
    const int percent = static_cast<int>(fraction * 100);
    if (percent == shown || (!tty && percent % 25 != 0)) return;
    shown = percent;
    std::fprintf(stderr, "%simporting %s: %d%%%s", tty ? "\r\033[K" : "", path.c_str(), percent,
                 tty ? "" : "\n");
    std::fflush(stderr);
  };
  auto checkpoint = importOfficial(path, options);
  if (tty) std::fprintf(stderr, "\n");
  return checkpoint;
}

}  // namespace cdrl::cli
