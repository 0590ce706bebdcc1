#include "scenarios/scenario_result.h"

#include <cstdio>

namespace sgxref::scenarios {

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

bool Recorder::expect_eq(const std::string& what, uint64_t got, uint64_t want, bool in_hex) {
  const auto show = [in_hex](uint64_t v) { return in_hex ? hex(v) : std::to_string(v); };
  if (got == want) {
    line("    expect " + what + " == " + show(want) + ": ok");
    return true;
  }
  const std::string failure = what + " is " + show(got) + ", expected " + show(want);
  line("    expect " + what + " == " + show(want) + ": FAILED, it is " + show(got));
  r_.failures.push_back(failure);
  return false;
}

bool Recorder::expect_eq_signed(const std::string& what, int64_t got, int64_t want) {
  if (got == want) {
    line("    expect " + what + " == " + std::to_string(want) + ": ok");
    return true;
  }
  line("    expect " + what + " == " + std::to_string(want) + ": FAILED, it is " +
       std::to_string(got));
  r_.failures.push_back(what + " is " + std::to_string(got) + ", expected " +
                        std::to_string(want));
  return false;
}

bool Recorder::expect_true(const std::string& what, bool ok) {
  line("    expect " + what + ": " + (ok ? "ok" : "FAILED"));
  if (!ok) r_.failures.push_back(what + " does not hold");
  return ok;
}

}  // namespace sgxref::scenarios
