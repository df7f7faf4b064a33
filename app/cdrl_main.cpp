// `cdrl`: train, sample and inspect CDRL models from the command line.
#include "commands.h"
#include "runtime/device.h"

#include <c10/util/Exception.h>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <new>
#include <string>
#include <thread>

namespace {

// The first line of a message, at most 400 characters: an error is one line naming the problem,
// never a trace or an echo of a file's contents.
std::string oneLine(const std::string& message) {
  constexpr size_t kMaxChars = 400;
  std::string line = message.substr(0, message.find('\n'));
  if (line.size() > kMaxChars) line = line.substr(0, kMaxChars - 3) + "...";
  return line;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"cdrl — Cooperative Diffusion Recovery Likelihood: train, sample, inspect"};
  app.require_subcommand(1);
  app.fallthrough();  // lets --threads follow the subcommand; inherited by subcommands added below
  app.set_version_flag("--version", "cdrl 0.1.0");
  cdrl::cli::addTrainCommand(app);
  cdrl::cli::addSampleCommand(app);
  cdrl::cli::addInfoCommand(app);
  cdrl::cli::addOodCommand(app);
  cdrl::cli::addEvalCommand(app);
  cdrl::cli::addTrainClassifierCommand(app);
  cdrl::cli::addCalibrateCommand(app);
  cdrl::cli::addMakeFacesCommand(app);
  cdrl::cli::addImportCommand(app);
  int threads = 0;
  app.add_option("--threads", threads, "CPU threads for tensor work (default: all cores)")
      ->check(cdrl::cli::NonNegative);
  // Runs after parsing and before the subcommand's callback, which does the work.
  app.parse_complete_callback([&threads] {
    // More threads than cores only contend (measured: 0.6 s became 45–89 s with 64 on 2 cores).
    const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    if (threads > cores) {
      std::fprintf(stderr, "cdrl: --threads %d is more than this machine's %d cores; using %d\n",
                   threads, cores, cores);
      threads = cores;
    }
    cdrl::configureRuntime(threads);
  });
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const cdrl::cli::CommandExit& e) {
    std::fprintf(stderr, "cdrl: %s\n", e.what());
    return e.code();
  } catch (const c10::Error& e) {
    // LibTorch's own message without its 30-line C++ backtrace.
    std::fprintf(stderr, "cdrl: error: %s\n", oneLine(e.what_without_backtrace()).c_str());
    return cdrl::cli::kExitFailure;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr,
                 "cdrl: error: out of memory (ask for fewer samples, a smaller batch or a smaller "
                 "data set)\n");
    return cdrl::cli::kExitFailure;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cdrl: error: %s\n", oneLine(e.what()).c_str());
    return cdrl::cli::kExitFailure;
  }
  return 0;
}
