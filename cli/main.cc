// sgxref: the command-line front end. `check` is the main job; until the checker
// exists it runs the emulator self-check and says plainly what is not built yet.
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

#include "cli/selfcheck.h"

namespace {

constexpr const char* kUsage =
    "usage: sgxref <command> [options]\n"
    "\n"
    "commands:\n"
    "  check      run the main job: today the emulator self-check (build, measure,\n"
    "             sign, initialize and tear down an enclave, leaf by leaf)\n"
    "  simulate   run a driver scenario on the emulator      (not built yet)\n"
    "  replay     replay a checker counterexample schedule   (not built yet)\n"
    "  help       this text\n"
    "\n"
    "options for check:\n"
    "  --epc-pages N   EPC size in 4 KiB pages (default 4096)\n"
    "  --seed N        machine seed for every per-machine secret (default fixed)\n";

constexpr const char* kNotBuilt =
    "not built yet: the driver, the checker's flows over it, and the Python bindings.\n"
    "`check` ran only the emulator self-check above; it gives no verdict on driver flows.\n";

bool parse_u64(const char* s, uint64_t& out) {
  char* end = nullptr;
  errno = 0;
  out = std::strtoull(s, &end, 0);
  return errno == 0 && end != s && *end == '\0';
}

int check(int argc, char** argv) {
  sgxref::cli::SelfCheckOptions opts;
  for (int i = 2; i < argc; ++i) {
    uint64_t v = 0;
    const bool has_value = i + 1 < argc;
    if (std::strcmp(argv[i], "--epc-pages") == 0 && has_value && parse_u64(argv[i + 1], v) &&
        v >= 8 && v <= (1u << 20)) {
      opts.epc_pages = uint32_t(v);
      ++i;
    } else if (std::strcmp(argv[i], "--seed") == 0 && has_value && parse_u64(argv[i + 1], v)) {
      opts.seed = v;
      ++i;
    } else {
      std::cerr << "sgxref check: bad option '" << argv[i]
                << "' (--epc-pages takes 8..1048576, --seed a number)\n";
      return 2;
    }
  }
  const bool ok = sgxref::cli::run_selfcheck(opts, std::cout);
  std::cout << "\n" << kNotBuilt;
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string cmd = argc > 1 ? argv[1] : "help";
  if (cmd == "check") return check(argc, argv);
  if (cmd == "help" || cmd == "--help" || cmd == "-h") {
    std::cout << kUsage;
    return 0;
  }
  if (cmd == "simulate" || cmd == "replay") {
    std::cerr << "sgxref " << cmd << ": not built yet (it needs the driver and the checker)\n";
    return 2;
  }
  std::cerr << "sgxref: unknown command '" << cmd << "'\n" << kUsage;
  return 2;
}
