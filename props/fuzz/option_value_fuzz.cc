// Fuzz target: the option values sgxref reads from its command line, any bytes as the
// text. The first byte picks the reader:
//   - a number (--epc-pages, --pages, --seed...: cli/number_arg.h), decimal or also
//     0x-hex: it must accept exactly what a plain reading of the rule accepts (digits of
//     the radix only, hex only after 0x, no sign, space or suffix, at most 2^64-1) with
//     the same value, and say why it refuses;
//   - a design alternative (--alt NAME=VALUE: impl/driver/alternatives.h): accepted, the
//     alternatives then name exactly that text; refused, with a reason, nothing changed.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/number_arg.h"
#include "driver/alternatives.h"
#include "fuzz/require.h"

namespace sgxref::cli {
namespace {

using fuzz::require;

// The rule, read plainly: the value `text` spells in `radix`, if it spells one.
std::optional<uint64_t> spelled(std::string_view text, Radix radix) {
  unsigned base = 10;
  if (radix == Radix::kDecimalOrHex && text.size() >= 2 && text[0] == '0' &&
      (text[1] == 'x' || text[1] == 'X')) {
    base = 16;
    text.remove_prefix(2);
  }
  if (text.empty()) return std::nullopt;
  unsigned __int128 v = 0;
  for (char c : text) {
    unsigned d = 0;
    if (c >= '0' && c <= '9') {
      d = unsigned(c - '0');
    } else if (base == 16 && c >= 'a' && c <= 'f') {
      d = unsigned(c - 'a' + 10);
    } else if (base == 16 && c >= 'A' && c <= 'F') {
      d = unsigned(c - 'A' + 10);
    } else {
      return std::nullopt;
    }
    v = v * base + d;
    if (v > ~uint64_t(0)) return std::nullopt;
  }
  return uint64_t(v);
}

void number(std::string_view text, Radix radix) {
  std::string why;
  const std::optional<uint64_t> got = parse_u64(text, radix, why);
  const std::optional<uint64_t> want = spelled(text, radix);
  require(got.has_value() == want.has_value(), "a number is read as the rule spells it");
  require(!got || *got == *want, "a number read has the value it spells");
  require(got || !why.empty(), "a number refused says why");
}

void alternative(const std::string& text) {
  driver::Alternatives alt;
  const std::vector<std::string> before = driver::describe(alt);
  const std::string why = driver::set_alternative(alt, text);
  const std::vector<std::string> after = driver::describe(alt);
  if (why.empty()) {
    require(std::find(after.begin(), after.end(), text) != after.end(),
            "an alternative accepted is the one the text names");
  } else {
    require(after == before, "an alternative refused changes nothing");
  }
}

}  // namespace
}  // namespace sgxref::cli

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sgxref::cli;
  if (size == 0) return 0;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0: number(text, Radix::kDecimal); break;
    case 1: number(text, Radix::kDecimalOrHex); break;
    default: alternative(text); break;
  }
  return 0;
}
