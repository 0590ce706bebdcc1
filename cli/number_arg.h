// File: reading an unsigned 64-bit number from a command-line argument, strictly.
// strtoull, which the first parser used, wraps "-1" to 2^64-1 and reads "010" as
// octal; here decimal digits are always decimal, "0x" hex only where the option allows
// it, and anything else is refused with the reason.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sgxref::cli {

enum class Radix {
  kDecimal,       // digits 0-9 only; leading zeros allowed, still decimal
  kDecimalOrHex,  // that, or 0x (or 0X) then hex digits (leading zeros allowed)
};

// The value `text` spells, or nothing with `why` saying what is wrong: negative, not a
// number in `radix`, or beyond 2^64-1. No sign, whitespace or suffix is accepted.
std::optional<uint64_t> parse_u64(std::string_view text, Radix radix, std::string& why);

}  // namespace sgxref::cli
