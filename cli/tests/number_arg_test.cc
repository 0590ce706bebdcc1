// cli/number_arg: the strict reading of --epc-pages (decimal) and --seed (decimal or
// 0x hex). The traps it replaces are strtoull's: "-1" wrapping to 2^64-1, "010" read as
// octal 8, a trailing suffix silently ignored.
#include "cli/number_arg.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>

namespace sgxref::cli {
namespace {

constexpr uint64_t kMax = ~uint64_t(0);

// The value, or nothing with `why` holding the reason.
struct Parsed {
  std::optional<uint64_t> value;
  std::string why;
};

Parsed parse(std::string_view text, Radix radix) {
  Parsed p;
  p.value = parse_u64(text, radix, p.why);
  return p;
}

void expect_value(std::string_view text, Radix radix, uint64_t want) {
  const Parsed p = parse(text, radix);
  ASSERT_TRUE(p.value.has_value()) << "'" << text << "' refused: " << p.why;
  EXPECT_EQ(*p.value, want) << "'" << text << "'";
}

// Refused, with a reason that quotes the text and contains `reason`.
void expect_refused(std::string_view text, Radix radix, const std::string& reason) {
  const Parsed p = parse(text, radix);
  EXPECT_FALSE(p.value.has_value()) << "'" << text << "' read as " << p.value.value_or(0);
  EXPECT_NE(p.why.find("'" + std::string(text) + "'"), std::string::npos) << p.why;
  EXPECT_NE(p.why.find(reason), std::string::npos) << "'" << text << "': " << p.why;
}

constexpr Radix kBoth[] = {Radix::kDecimal, Radix::kDecimalOrHex};

TEST(NumberArg, LeadingZerosAreDecimalNotOctal) {
  for (const Radix r : kBoth) {
    expect_value("010", r, 10);
    expect_value("0010", r, 10);
    expect_value("09", r, 9);  // no octal digit limit either
    expect_value("0", r, 0);
    expect_value("00", r, 0);
    expect_value("0000000000000000000000000018446744073709551615", r, kMax);
  }
}

TEST(NumberArg, HexOnlyWhereTheOptionAllowsIt) {
  expect_value("0x10", Radix::kDecimalOrHex, 16);
  expect_value("0X10", Radix::kDecimalOrHex, 16);
  expect_value("0xAbCd", Radix::kDecimalOrHex, 0xabcd);
  expect_value("0x0", Radix::kDecimalOrHex, 0);
  expect_value("0x010", Radix::kDecimalOrHex, 16);  // leading zeros after 0x, still hex
  expect_refused("0x10", Radix::kDecimal, "not a number");
  expect_refused("0X10", Radix::kDecimal, "not a number");
  expect_refused("0x10", Radix::kDecimal, "decimal digits only");
}

TEST(NumberArg, NegativeIsRefusedAsNegative) {
  for (const Radix r : kBoth) {
    expect_refused("-1", r, "negative");
    expect_refused("-0", r, "negative");
    // Wraps to 8 under strtoull: in --epc-pages' range, which is the trap.
    expect_refused("-18446744073709551608", r, "negative");
    expect_refused("-18446744073709551616", r, "negative");
  }
  expect_refused("-0x1", Radix::kDecimalOrHex, "negative");
}

TEST(NumberArg, FullUnsigned64BitRange) {
  for (const Radix r : kBoth) {
    expect_value("18446744073709551615", r, kMax);
    expect_refused("18446744073709551616", r, "beyond 2^64-1");
    expect_refused("99999999999999999999999", r, "beyond 2^64-1");
  }
  expect_value("0xffffffffffffffff", Radix::kDecimalOrHex, kMax);
  expect_value("0xFFFFFFFFFFFFFFFF", Radix::kDecimalOrHex, kMax);
  expect_value("0x0000ffffffffffffffff", Radix::kDecimalOrHex, kMax);
  expect_refused("0x10000000000000000", Radix::kDecimalOrHex, "beyond 2^64-1");
  expect_refused("0x1ffffffffffffffff", Radix::kDecimalOrHex, "beyond 2^64-1");
}

TEST(NumberArg, NoSignWhitespaceSuffixOrOtherSpelling) {
  for (const Radix r : kBoth) {
    for (const char* text : {"", "+1", " 1", "1 ", "\t1", "1\n", "1k", "1K", "10M", "1.0", "1e3",
                             "1,000", "1_000", "abc", "0b1", "0o7", "x10", "\xd9\xa1"}) {
      expect_refused(text, r, "not a number");
    }
  }
  for (const char* text :
       {"0x", "0X", "0x-1", "0x+1", "0x 1", "0x1g", "0x0x1", "0xffffffffffffffffz", "00x1"}) {
    expect_refused(text, Radix::kDecimalOrHex, "not a number");
  }
}

TEST(NumberArg, ReasonSaysWhatTheOptionExpects) {
  EXPECT_NE(parse("z", Radix::kDecimal).why.find("decimal digits only"), std::string::npos);
  EXPECT_NE(parse("z", Radix::kDecimalOrHex).why.find("0x followed by hex digits"),
            std::string::npos);
}

}  // namespace
}  // namespace sgxref::cli
