// `cdrl`: train, sample and inspect CDRL models from the command line.
#include "commands.h"
#include "runtime/device.h"

#include <algorithm>
#include <cstdio>
#include <exception>
#include <thread>

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
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cdrl: error: %s\n", e.what());
    return cdrl::cli::kExitFailure;
  }
  return 0;
}
