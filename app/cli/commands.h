// The `cdrl` subcommands. Each registers its options on the CLI11 app and runs when chosen.
#pragma once

#include <CLI/CLI.hpp>

#include <stdexcept>
#include <string>

namespace cdrl::cli {

void addTrainCommand(CLI::App& app);
void addSampleCommand(CLI::App& app);
void addInfoCommand(CLI::App& app);
void addOodCommand(CLI::App& app);
void addEvalCommand(CLI::App& app);
void addTrainClassifierCommand(CLI::App& app);
void addCalibrateCommand(CLI::App& app);
void addMakeFacesCommand(CLI::App& app);
void addImportCommand(CLI::App& app);

// Exit codes beyond CLI11's own.
constexpr int kExitFailure = 1;   // bad input file, I/O error
constexpr int kExitDiverged = 3;  // training stopped on a non-finite loss
constexpr int kExitCancelled = 130;

// Thrown by a command to end the program with a specific exit code and one-line message.
class CommandExit : public std::runtime_error {
 public:
  CommandExit(int code, const std::string& message) : std::runtime_error(message), m_code(code) {}
  int code() const { return m_code; }

 private:
  int m_code;
};

}  // namespace cdrl::cli
