// The `cdrl` subcommands. Each registers its options on the CLI11 app and runs when chosen.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdlib>
#include <filesystem>
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

// Numbers that must not be negative. CLI11's NonNegativeNumber names its range with the 310 digits
// of the largest double; this says it in one short line.
inline const CLI::Validator NonNegative(
    [](std::string& text) -> std::string {
      const auto first = text.find_first_not_of(" \t");
      if (first != std::string::npos && text[first] == '-')
        return "must not be negative (got " + text + ")";
      return {};
    },
    "≥ 0", "NonNegative");

// Numbers that must be above 0, with the same short message.
inline const CLI::Validator Positive(
    [](std::string& text) -> std::string {
      char* end = nullptr;
      const double value = std::strtod(text.c_str(), &end);
      if (end == text.c_str() || !(value > 0)) return "must be positive (got " + text + ")";
      return {};
    },
    "> 0", "Positive");

// Refuses an output that is the input file itself, before any work is spent (writing it would
// destroy the input).
inline void refuseOverwritingInput(const std::string& flag, const std::string& output,
                                   const std::string& input) {
  std::error_code error;
  if (!output.empty() && std::filesystem::equivalent(output, input, error))
    throw std::runtime_error(flag + " " + output + " is the input checkpoint; choose another file");
}

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
