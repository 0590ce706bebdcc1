// File: the ENCLS and ENCLU leaves by their architectural leaf numbers.
#pragma once

#include <cstdint>

namespace sgxref::hw {

enum class Leaf : uint8_t {
  // ENCLS
  kEcreate, kEadd, kEinit, kEremove, kEdbgrd, kEdbgwr, kEextend, kEldb, kEldu, kEblock,
  kEpa, kEwb, kEtrack, kEaug, kEmodpr, kEmodt,
  // ENCLU
  kEreport, kEgetkey, kEenter, kEresume, kEexit, kEaccept, kEmodpe, kEacceptcopy,
  kCount
};

inline constexpr int kLeafCount = int(Leaf::kCount);

constexpr const char* to_string(Leaf l) {
  constexpr const char* kNames[] = {
      "ECREATE", "EADD",   "EINIT", "EREMOVE", "EDBGRD",  "EDBGWR", "EEXTEND", "ELDB",
      "ELDU",    "EBLOCK", "EPA",   "EWB",     "ETRACK",  "EAUG",   "EMODPR",  "EMODT",
      "EREPORT", "EGETKEY", "EENTER", "ERESUME", "EEXIT", "EACCEPT", "EMODPE", "EACCEPTCOPY"};
  return int(l) < kLeafCount ? kNames[int(l)] : "?";
}

}  // namespace sgxref::hw
