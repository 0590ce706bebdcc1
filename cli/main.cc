// sgxref: the command-line front end. `check` is the main job: the checker's catalogue
// (cli/check.h). `replay` replays a check's counterexamples on the driver (cli/replay.h).
// `selftest` runs the emulator self-check and the kernel selftests' SGX1 and SGX2
// scenarios on the driver; `simulate` runs one scenario and prints what happened.
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

#include "cli/check.h"
#include "cli/memory_budget.h"
#include "cli/number_arg.h"
#include "cli/replay.h"
#include "cli/selfcheck.h"
#include "cli/simulate.h"
#include "driver/alternatives.h"
#include "hw/config.h"
#include "scenarios/scenario.h"

namespace {

using sgxref::cli::Radix;

// --epc-pages: the self-check uses EPC slots 0-5; 2^20 pages is a 4 GiB EPC, which the
// machine allocates and zeroes up front.
constexpr uint64_t kMinEpcPages = 8;
constexpr uint64_t kMaxEpcPages = uint64_t(1) << 20;

constexpr const char* kExitCodes =
    "Exit status: 0 success; 1 a violation under Linux's choices, the self-check or a\n"
    "scenario failed, or memory ran out; 2 a bad command line (or none), an unknown flow,\n"
    "switch or scenario, or a machine too large for the memory available; 3 (check\n"
    "--prove) an entry whose proof did not finish in its time.";

// What the command the line selected runs, once the whole line has parsed; returns the
// exit status. Running after the parse means a bad option later on the line stops the
// command before it starts.
using Action = std::function<int()>;

// The value of `option`'s argument `text`, or CLI11's ValidationError, which stops the
// parse and names the option; `takes`, when given, says what the option accepts.
uint64_t option_u64(const std::string& option, const std::string& text, Radix radix,
                    const std::string& takes = "") {
  std::string why;
  const std::optional<uint64_t> v = sgxref::cli::parse_u64(text, radix, why);
  if (!v) throw CLI::ValidationError(option, takes.empty() ? why : why + "; " + takes);
  return *v;
}

int run_selftest(const sgxref::hw::Config& cfg, const sgxref::driver::Alternatives& alternatives) {
  if (const std::optional<std::string> why = sgxref::cli::machine_does_not_fit(cfg)) {
    std::cerr << "sgxref selftest: " << *why << "\n";
    return 2;
  }
  const bool selfcheck_ok = sgxref::cli::run_selfcheck(cfg, std::cout);
  std::cout << "\n";
  sgxref::scenarios::ScenarioOptions o;
  o.epc_pages = cfg.epc_pages;
  o.seed = cfg.seed;
  o.alternatives = alternatives;
  const std::vector<std::string> off_linux = sgxref::driver::off_linux(alternatives);
  if (!off_linux.empty()) {
    std::string names;
    for (const std::string& alt : off_linux) names += (names.empty() ? "" : ", ") + alt;
    std::cout << "driver alternatives off Linux's choices: " << names << "\n";
  }
  const sgxref::cli::CheckedScenarios checked = sgxref::cli::check_scenarios(o, std::cout);
  return selfcheck_ok && checked.all_passed() ? 0 : 1;
}

// --epc-pages and --seed, as `check` and `simulate` take them; `set_*` runs during the
// parse with the value read.
void add_machine_options(CLI::App* cmd, const std::function<void(uint32_t)>& set_epc_pages,
                         const std::string& epc_default,
                         const std::function<void(uint64_t)>& set_seed) {
  const std::string range = std::to_string(kMinEpcPages) + " to " + std::to_string(kMaxEpcPages);
  cmd->add_option_function<std::string>(
         "--epc-pages",
         [set_epc_pages, range](const std::string& text) {
           const std::string takes = "it takes " + range + " pages";
           const uint64_t v = option_u64("--epc-pages", text, Radix::kDecimal, takes);
           if (v < kMinEpcPages || v > kMaxEpcPages) {
             throw CLI::ValidationError("--epc-pages",
                                        std::to_string(v) + " is out of range; " + takes);
           }
           set_epc_pages(uint32_t(v));
         },
         "EPC size in 4 KiB pages, decimal, " + range + " (default " + epc_default +
             "). The machine allocates and zeroes it up front; a size beyond the memory "
             "available is refused.")
      ->type_name("N");
  std::ostringstream default_seed;
  default_seed << "0x" << std::hex << sgxref::hw::Config{}.seed;
  cmd->add_option_function<std::string>(
         "--seed",
         [set_seed](const std::string& text) {
           set_seed(option_u64("--seed", text, Radix::kDecimalOrHex));
         },
         "Seed of every per-machine secret (paging key, report keys): decimal, or hex "
         "with a 0x prefix; 0 to 2^64-1, 0 included (default " +
             default_seed.str() + ").")
      ->type_name("N");
}

// --alt NAME=VALUE, repeatable: one of the driver's design alternatives, as the tests
// name it; a later one for the same NAME wins.
void add_alternative_option(CLI::App* cmd, sgxref::driver::Alternatives& alternatives) {
  std::string choices;
  for (const std::string& c : sgxref::driver::alternative_choices()) choices += "\n  " + c;
  cmd->add_option_function<std::vector<std::string>>(
         "--alt",
         [&alternatives](const std::vector<std::string>& texts) {
           for (const std::string& text : texts) {
             const std::string why = sgxref::driver::set_alternative(alternatives, text);
             if (!why.empty()) throw CLI::ValidationError("--alt", why);
           }
         },
         "Run the driver with a design alternative the SGX2 reviewers argued about, "
         "NAME=VALUE; repeatable. The first value of each is Linux's (the default):" +
             choices)
      ->type_name("NAME=VALUE")
      ->expected(1)
      ->take_all();
}

void add_selftest(CLI::App& app, Action& action) {
  // Shared with the option callbacks, which run during the parse, after this returns.
  auto cfg = std::make_shared<sgxref::hw::Config>();
  auto alternatives = std::make_shared<sgxref::driver::Alternatives>();
  CLI::App* selftest = app.add_subcommand(
      "selftest",
      "The emulator self-check (build, measure, sign, initialize and tear down an enclave, "
      "leaf by leaf), then every SGX1 and SGX2 kernel selftest scenario on the driver, one "
      "PASS/FAIL line each.");
  add_machine_options(
      selftest, [cfg](uint32_t v) { cfg->epc_pages = v; }, std::to_string(cfg->epc_pages),
      [cfg](uint64_t v) { cfg->seed = v; });
  add_alternative_option(selftest, *alternatives);
  selftest->footer(kExitCodes);
  selftest->callback([cfg, alternatives, &action] {
    action = [cfg, alternatives] { return run_selftest(*cfg, *alternatives); };
  });
}

// A size option of `check`: decimal, within [lo, hi].
template <class Into>
void add_size_option(CLI::App* cmd, const std::string& name, Into& into, uint64_t lo,
                     uint64_t hi, const std::string& what) {
  const std::string range = std::to_string(lo) + " to " + std::to_string(hi);
  cmd->add_option_function<std::string>(
         name,
         [&into, name, lo, hi, range](const std::string& text) {
           const uint64_t v = option_u64(name, text, Radix::kDecimal, "it takes " + range);
           if (v < lo || v > hi)
             throw CLI::ValidationError(name, std::to_string(v) + " is out of range; it takes " + range);
           into = size_t(v);
         },
         what + ", decimal, " + range)
      ->type_name("N");
}

void add_check(CLI::App& app, Action& action) {
  auto args = std::make_shared<sgxref::cli::CheckArgs>();
  CLI::App* check = app.add_subcommand(
      "check",
      "Run the main job: the checker's catalogue. Each driver flow runs against enclave "
      "threads under Linux's choices, each design alternative and each bug switch; Z3 "
      "explores every schedule up to the depth and answers, per entry, SAFE to that depth "
      "or UNSAFE with the shortest counterexample, printed as a per-thread timeline. Each "
      "counterexample is replayed on the driver (a bug switch's on the driver with that "
      "bug's patch), and 20 random schedules of each SAFE entry.");
  check->add_option("--flows", args->flows, "the flows to run (default: all)")
      ->delimiter(',')
      ->type_name("NAME[,NAME...]");
  check->add_option("--variant", args->switches,
                    "run each selected flow with exactly these switches instead of the "
                    "catalogue's: a driver alternative NAME=VALUE or bug.NAME; repeatable")
      ->type_name("SWITCH")
      ->take_all();
  add_size_option(check, "--pages", args->sizes.pages, 1, 8,
                  "data pages the ioctl works on (default: each entry's own)");
  check->add_option_function<std::string>(
           "--threads",
           [args](const std::string& text) {
             const uint64_t v = option_u64("--threads", text, Radix::kDecimal, "it takes 0 to 3");
             if (v > 3) throw CLI::ValidationError("--threads", std::to_string(v) + " is out of range; it takes 0 to 3");
             args->sizes.enclave_threads = size_t(v);
           },
           "enclave threads, decimal, 0 to 3 (default: each entry's own)")
      ->type_name("N");
  add_size_option(check, "--depth", args->sizes.depth, 1, 200,
                  "steps explored (default: each entry's own, docs/checker.md)");
  add_size_option(check, "--jobs", args->jobs, 1, 64, "entries run at once (default 2)");
  check->add_option("--json", args->json, "also write the rows, with each counterexample's "
                    "schedule, as JSON to FILE")
      ->type_name("FILE");
  check->add_flag("--prove", args->sizes.prove,
                  "go on past each entry's depth until every run has ended, which proves "
                  "the properties for every reachable world (PROVEN), or --timeout "
                  "passes (UNKNOWN)");
  check->add_option_function<std::string>(
           "--timeout",
           [args](const std::string& text) {
             const uint64_t v = option_u64("--timeout", text, Radix::kDecimal, "it takes 1 to 86400 seconds");
             if (v < 1 || v > 86400)
               throw CLI::ValidationError("--timeout", std::to_string(v) + " is out of range; it takes 1 to 86400 seconds");
             args->sizes.prove_seconds = double(v);
           },
           "seconds each entry may take with --prove, decimal, 1 to 86400 (default 300)")
      ->type_name("SECONDS");
  check->add_option("--flow-file", args->flow_file,
                    "check the flow in FILE (docs/checker.md, \"Your own flow\") against "
                    "ksgxd and enclave threads instead of the catalogue; --variant then "
                    "switches ksgxd, --pages, --threads and --depth override the file's")
      ->type_name("FILE");
  check->add_option("--expect", args->expect,
                    "compare the rows with a table of expected verdicts (flow, variant, "
                    "verdict, property, tab-separated, as proofs/expected-verdicts.txt); "
                    "the exit status then says whether they match")
      ->type_name("FILE");
  check->footer(kExitCodes);
  check->callback([args, &action] {
    action = [args] { return sgxref::cli::run_checker(*args, std::cout, std::cerr); };
  });
}

int run_simulate(const std::string& name, bool list, const sgxref::scenarios::ScenarioOptions& o) {
  if (list) {
    sgxref::cli::list_scenarios(std::cout);
    return 0;
  }
  const sgxref::scenarios::Scenario* s = sgxref::cli::find_scenario(name);
  if (s == nullptr) {
    std::cerr << "sgxref simulate: "
              << (name.empty() ? std::string("no scenario named")
                               : "unknown scenario '" + name + "'")
              << "; the scenarios are:\n";
    sgxref::cli::list_scenarios(std::cerr);
    return 2;
  }
  if (o.epc_pages != 0) {
    sgxref::hw::Config cfg;
    cfg.epc_pages = o.epc_pages;
    if (const std::optional<std::string> why = sgxref::cli::machine_does_not_fit(cfg)) {
      std::cerr << "sgxref simulate: " << *why << "\n";
      return 2;
    }
  }
  return sgxref::cli::simulate(*s, o, std::cout) ? 0 : 1;
}

void add_simulate(CLI::App& app, Action& action) {
  struct Args {
    std::string name;
    bool list = false;
    sgxref::scenarios::ScenarioOptions options;
  };
  auto args = std::make_shared<Args>();
  CLI::App* sim = app.add_subcommand(
      "simulate",
      "Run one kernel selftest scenario on the driver (through the loader and the vDSO) "
      "and print what happened: each system call and its return, each enclave entry with "
      "run.function and the exception fields, EPC evictions and reloads, driver WARNs.");
  sim->add_option("name", args->name, "the scenario (see --list)");
  sim->add_flag("--list", args->list, "list the scenarios and exit");
  add_machine_options(
      sim, [args](uint32_t v) { args->options.epc_pages = v; },
      "the scenario's own: " + std::to_string(sgxref::scenarios::kDefaultEpcPages) +
          ", or " + std::to_string(sgxref::scenarios::kOversubscribedMinEpcPages) +
          " for the oversubscribed ones; a scenario raises a smaller size to what it needs",
      [args](uint64_t v) { args->options.seed = v; });
  add_alternative_option(sim, args->options.alternatives);
  sim->footer(std::string("Exit status: 0 the scenario's assertions held; 1 they did not, or "
                          "memory ran out; 2 a bad command line or an unknown scenario."));
  sim->callback([args, &action] {
    action = [args] { return run_simulate(args->name, args->list, args->options); };
  });
}

void add_replay(CLI::App& app, Action& action) {
  auto args = std::make_shared<sgxref::cli::ReplayArgs>();
  CLI::App* replay = app.add_subcommand(
      "replay",
      "Replay the counterexamples of a check's JSON (sgxref check --json FILE) on the "
      "driver, step by step, printing the driver's state after each step and whether the "
      "driver broke the counterexample's property. A bug switch's counterexample runs on "
      "the driver built with that bug's patch.");
  replay->add_option("file", args->file, "the check's JSON")->required()->type_name("FILE");
  replay->add_option_function<std::string>(
            "--entry",
            [args](const std::string& text) {
              args->entry = size_t(option_u64("--entry", text, Radix::kDecimal));
            },
            "only this entry of the file (its index in \"entries\", from 0)")
      ->type_name("N");
  replay->add_flag("--brief", args->brief, "one line per counterexample");
  replay->add_option("--json", args->json,
                     "also write each replay as JSON: whether the driver showed the property, "
                     "the plan and the driver's state after each step")
      ->type_name("FILE");
  replay->footer(
      "Exit status: 0 the driver showed every counterexample's property; 1 it did not show "
      "one; 2 a bad command line, file or entry.");
  replay->callback([args, &action] {
    action = [args] { return sgxref::cli::run_replay(*args, std::cout, std::cerr); };
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
  add_selftest(app, action);
  add_simulate(app, action);
  add_replay(app, action);
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
