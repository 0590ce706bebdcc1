// MRENCLAVE known answer: the emulator's running measurement after a fixed build equals
// the one mrenclave_kat.py computes on its own from the SDM's ECREATE, EADD and EEXTEND
// pseudocode.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <string>

#include "hw/cpu.h"
#include "hw/inspect.h"
#include "hw/machine.h"
#include "testlib/enclave_builder.h"
#include "uapi/page_type.h"
#include "uapi/tcs.h"

namespace sgxref::hw {
namespace {

namespace sf = uapi::secinfo_flag;

std::string hex(const Digest& d) {
  static const char kDigits[] = "0123456789abcdef";
  std::string s;
  for (uint8_t b : d) {
    s += kDigits[b >> 4];
    s += kDigits[b & 0xF];
  }
  return s;
}

// Runs the script and returns its one line of output, without the newline.
std::string kat_digest() {
  FILE* p = popen("/usr/bin/python3 " SGXREF_SOURCE_DIR "/props/unit/hw/mrenclave_kat.py", "r");
  if (p == nullptr) return "popen failed";
  std::array<char, 128> buf{};
  std::string out;
  while (fgets(buf.data(), int(buf.size()), p) != nullptr) out += buf.data();
  if (pclose(p) != 0) return "script failed: " + out;
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

TEST(Mrenclave, MatchesSdmLayout) {
  Config cfg;
  cfg.epc_pages = 8;
  cfg.ram_pages = 64;
  Machine m(cfg);
  testlib::EnclaveBuilder b(m, /*secs_slot=*/0);
  constexpr uint64_t kBase = 0x4000'0000;
  ASSERT_EQ(b.create(testlib::make_secs(kBase, 0x10000)), Result::ok());

  // The same build as the script's docstring describes.
  uapi::Tcs tcs = testlib::make_tcs(0x3000, 0x1000);
  tcs.state = 1;
  tcs.flags = uapi::kTcsFlagDbgOptIn;
  tcs.ssa_index = 2;
  tcs.exit_addr = 0x7F00'1234'5000ull;
  ASSERT_EQ(b.add_measured(1, kBase, &tcs, sf::type(PageType::kTcs) | sf::kR | sf::kW),
            Result::ok());

  std::array<uint8_t, kPageSize> code{};
  for (size_t i = 0; i < code.size(); ++i) code[i] = uint8_t(7 * i + 1);
  ASSERT_EQ(b.add_measured(2, kBase + 0x1000, code.data(),
                           sf::type(PageType::kReg) | sf::kR | sf::kX),
            Result::ok());

  std::array<uint8_t, kPageSize> data{};
  for (size_t i = 0; i < data.size(); ++i) data[i] = uint8_t(i ^ (i >> 8));
  ASSERT_EQ(b.add(3, kBase + 0x2000, data.data(), sf::type(PageType::kReg) | sf::kR | sf::kW),
            Result::ok());
  ASSERT_EQ(m.cpu(0).eextend(b.secs_addr(), m.epc_addr(3) + 0x300), Result::ok());

  const std::array<uint8_t, kPageSize> ssa{};
  ASSERT_EQ(b.add(4, kBase + 0x3000, ssa.data(), sf::type(PageType::kReg) | sf::kR | sf::kW),
            Result::ok());

  EXPECT_EQ(hex(Inspector(m).secs(0).mrenclave), kat_digest());
}

}  // namespace
}  // namespace sgxref::hw
