#include "cli/number_arg.h"

#include <charconv>
#include <system_error>

namespace sgxref::cli {

std::optional<uint64_t> parse_u64(std::string_view text, Radix radix, std::string& why) {
  const std::string quoted = "'" + std::string(text) + "'";
  const bool hex_allowed = radix == Radix::kDecimalOrHex;
  const char* expected = hex_allowed ? "decimal digits, or 0x followed by hex digits"
                                     : "decimal digits only";
  if (!text.empty() && text.front() == '-') {
    why = quoted + " is negative; expected an unsigned number (" + expected + ")";
    return std::nullopt;
  }
  int base = 10;
  std::string_view digits = text;
  if (hex_allowed && (text.starts_with("0x") || text.starts_with("0X"))) {
    base = 16;
    digits.remove_prefix(2);
  }
  uint64_t value = 0;
  // from_chars takes no sign, no prefix and no whitespace, so what it does not consume
  // is an error here rather than a silently ignored tail.
  const auto [end, err] = std::from_chars(digits.data(), digits.data() + digits.size(), value, base);
  if (err == std::errc::result_out_of_range) {
    why = quoted + " is beyond 2^64-1 (18446744073709551615, 0xffffffffffffffff)";
    return std::nullopt;
  }
  if (digits.empty() || err != std::errc() || end != digits.data() + digits.size()) {
    why = quoted + " is not a number; expected " + expected;
    return std::nullopt;
  }
  return value;
}

}  // namespace sgxref::cli
