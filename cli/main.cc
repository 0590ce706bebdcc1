// sgxref: the command-line front end. `check` is the main job; until the checker
// exists it runs the emulator self-check and says plainly what is not built yet.
// Each command is one add_* function: it declares the command's options to CLI11 and
// what the command runs once the whole line has parsed.
#include <CLI/CLI.hpp>

#include <cstdint>
#include <functional>
#include <iostream>
#include <memory>
#include <new>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "cli/memory_budget.h"
#include "cli/number_arg.h"
#include "cli/selfcheck.h"
#include "hw/config.h"

namespace {

using sgxref::cli::Radix;

// What `check` cannot run yet. The footer of every check names each; strike a part off
// here when it is built.
constexpr const char* kNotBuilt[] = {
    "the driver",
    "the checker's flows over it",
    "the Python bindings",
};

// --epc-pages: the self-check uses EPC slots 0-5; 2^20 pages is a 4 GiB EPC, which the
// machine allocates and zeroes up front.
constexpr uint64_t kMinEpcPages = 8;
constexpr uint64_t kMaxEpcPages = uint64_t(1) << 20;

constexpr const char* kExitCodes =
    "Exit status: 0 success; 1 the self-check failed, or memory ran out; 2 a bad command\n"
    "line (or none), a command not built yet, or a machine too large for the memory\n"
    "available.";

// What the command the line selected runs, once the whole line has parsed; returns the
// exit status. Running after the parse means a bad option later on the line stops the
// command before it starts.
using Action = std::function<int()>;

std::string not_built_footer() {
  std::string parts;
  const size_t n = std::size(kNotBuilt);
  for (size_t i = 0; i < n; ++i) {
    if (i > 0) parts += n > 2 ? ", " : " ";
    if (i > 0 && i + 1 == n) parts += "and ";
    parts += kNotBuilt[i];
  }
  return "not built yet: " + parts +
         ".\n`check` ran only the emulator self-check above; it gives no verdict on driver "
         "flows.\n";
}

// The value of `option`'s argument `text`, or CLI11's ValidationError, which stops the
// parse and names the option; `takes`, when given, says what the option accepts.
uint64_t option_u64(const std::string& option, const std::string& text, Radix radix,
                    const std::string& takes = "") {
  std::string why;
  const std::optional<uint64_t> v = sgxref::cli::parse_u64(text, radix, why);
  if (!v) throw CLI::ValidationError(option, takes.empty() ? why : why + "; " + takes);
  return *v;
}

int run_check(const sgxref::hw::Config& cfg) {
  if (const std::optional<std::string> why = sgxref::cli::machine_does_not_fit(cfg)) {
    std::cerr << "sgxref check: " << *why << "\n";
    return 2;
  }
  const bool ok = sgxref::cli::run_selfcheck(cfg, std::cout);
  std::cout << "\n" << not_built_footer();
  return ok ? 0 : 1;
}

void add_check(CLI::App& app, Action& action) {
  // Shared with the option callbacks, which run during the parse, after this returns.
  auto cfg = std::make_shared<sgxref::hw::Config>();
  CLI::App* check = app.add_subcommand(
      "check",
      "Run the main job: today the emulator self-check (build, measure, sign, initialize "
      "and tear down an enclave, leaf by leaf).");
  const std::string range = std::to_string(kMinEpcPages) + " to " + std::to_string(kMaxEpcPages);
  check
      ->add_option_function<std::string>(
          "--epc-pages",
          [cfg, range](const std::string& text) {
            const std::string takes = "it takes " + range + " pages";
            const uint64_t v = option_u64("--epc-pages", text, Radix::kDecimal, takes);
            if (v < kMinEpcPages || v > kMaxEpcPages) {
              throw CLI::ValidationError("--epc-pages",
                                         std::to_string(v) + " is out of range; " + takes);
            }
            cfg->epc_pages = uint32_t(v);
          },
          "EPC size in 4 KiB pages, decimal, " + range + " (default " +
              std::to_string(cfg->epc_pages) +
              "). The machine allocates and zeroes it up front; a size beyond the memory "
              "available is refused.")
      ->type_name("N");
  std::ostringstream default_seed;
  default_seed << "0x" << std::hex << cfg->seed;
  check
      ->add_option_function<std::string>(
          "--seed",
          [cfg](const std::string& text) {
            cfg->seed = option_u64("--seed", text, Radix::kDecimalOrHex);
          },
          "Seed of every per-machine secret (paging key, report keys): decimal, or hex "
          "with a 0x prefix; 0 to 2^64-1, 0 included (default " +
              default_seed.str() + ").")
      ->type_name("N");
  check->footer(kExitCodes);
  check->callback([cfg, &action] { action = [cfg] { return run_check(*cfg); }; });
}

// A command that exists in name only: whatever follows it, it says so and exits 2.
void add_not_built(CLI::App& app, Action& action, const std::string& name,
                   const std::string& what, const std::string& needs) {
  CLI::App* cmd = app.add_subcommand(name, what + " (not built yet: it needs " + needs + ").");
  // Its options are not decided yet; a user trying some should still learn it is not
  // built rather than that the options are unknown.
  cmd->allow_extras();
  cmd->callback([&action, name, needs] {
    action = [name, needs] {
      std::cerr << "sgxref " << name << ": not built yet (it needs " << needs << ")\n";
      return 2;
    };
  });
}

// `help [command]`; registered last so that it knows every command.
void add_help(CLI::App& app, Action& action) {
  std::vector<std::string> names;
  for (const CLI::App* cmd : app.get_subcommands([](const CLI::App*) { return true; })) {
    names.push_back(cmd->get_name());
  }
  auto topic = std::make_shared<std::string>();
  CLI::App* help = app.add_subcommand("help", "Print this text, or a command's help.");
  help->add_option("command", *topic, "the command to describe")->check(CLI::IsMember(names));
  help->callback([&app, &action, topic] {
    action = [&app, topic] {
      // app.help() would describe `help` itself, the command the line selected.
      const CLI::App* about = topic->empty() ? &app : app.get_subcommand(*topic);
      const std::string usage = topic->empty() ? app.get_name() : app.get_name() + " " + *topic;
      std::cout << app.get_formatter()->make_help(about, usage, CLI::AppFormatMode::Normal);
      return 0;
    };
  });
}

// CLI11 reports every parse outcome but success as an exception: --help (status 0)
// prints the selected command's help; anything else is a bad command line, status 2
// (CLI11's own codes, such as 105 or 106, would mean nothing to a shell user).
int parse_failed(const CLI::App& app, const CLI::ParseError& e) {
  if (e.get_exit_code() == int(CLI::ExitCodes::Success)) return app.exit(e);
  const std::vector<CLI::App*> selected = app.get_subcommands();
  if (selected.empty()) {
    const std::vector<std::string> rest = app.remaining();
    std::cerr << "sgxref: "
              << (rest.empty() ? std::string("no command given")
                               : "unknown command '" + rest.front() + "'")
              << "\n\n"
              << app.help();
    return 2;
  }
  const std::string cmd = "sgxref " + selected.front()->get_name();
  std::cerr << cmd << ": " << e.what() << "\nRun '" << cmd << " --help' for its options.\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app(
      "sgxref: a reference of the Linux SGX driver checked against an executable model, "
      "on a software SGX machine.",
      "sgxref");
  app.require_subcommand(1);
  app.footer(std::string("Run 'sgxref <command> --help' for a command's options.\n") +
             kExitCodes);
  Action action;
  add_check(app, action);
  add_not_built(app, action, "simulate", "Run a driver scenario on the emulator",
                "the driver and the checker");
  add_not_built(app, action, "replay", "Replay a checker counterexample schedule",
                "the driver and the checker");
  add_help(app, action);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return parse_failed(app, e);
  }
  try {
    return action();
  } catch (const std::bad_alloc&) {
    // The budget check refuses machines that cannot fit; this catches what it missed
    // (an estimate, and memory other processes took meanwhile).
    std::cerr << "sgxref: out of memory (std::bad_alloc); try a smaller --epc-pages\n";
    return 1;
  }
}
