// Output files that are either whole or absent: written under a temporary name in the same folder
// and renamed into place only after the write, fsync and close all succeeded (a full disk, a
// quota or a killed process never leaves a cut-off file under the real name).
#pragma once

#include <string>
#include <string_view>

namespace cdrl {

// Throws std::runtime_error "<path>: cannot write: <reason>" and removes the temporary on failure.
void writeFileAtomically(const std::string& path, std::string_view bytes);

// "<path>.tmp.<pid>": the temporary every atomic writer here uses.
std::string temporaryPathFor(const std::string& path);

// Removes "<name>.tmp.<pid>" files in `dir` whose writing process is gone (a kill during a save);
// returns how many. Temporaries of running processes are left alone.
int removeOrphanTemporaries(const std::string& dir);

}  // namespace cdrl
