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

// The scheduling points every leaf passes (cpu.h): "<leaf>.begin" before it takes any
// lock, "<leaf>.end" after it has released them all. Literals, so a point costs no
// string building in free mode.
constexpr const char* begin_point(Leaf l) {
  constexpr const char* kNames[] = {
      "ecreate.begin", "eadd.begin",    "einit.begin",   "eremove.begin",    "edbgrd.begin",
      "edbgwr.begin",  "eextend.begin", "eldb.begin",    "eldu.begin",       "eblock.begin",
      "epa.begin",     "ewb.begin",     "etrack.begin",  "eaug.begin",       "emodpr.begin",
      "emodt.begin",   "ereport.begin", "egetkey.begin", "eenter.begin",     "eresume.begin",
      "eexit.begin",   "eaccept.begin", "emodpe.begin",  "eacceptcopy.begin"};
  static_assert(sizeof kNames / sizeof kNames[0] == kLeafCount);
  return int(l) < kLeafCount ? kNames[int(l)] : "?";
}
constexpr const char* end_point(Leaf l) {
  constexpr const char* kNames[] = {
      "ecreate.end", "eadd.end",    "einit.end",  "eremove.end", "edbgrd.end",  "edbgwr.end",
      "eextend.end", "eldb.end",    "eldu.end",   "eblock.end",  "epa.end",     "ewb.end",
      "etrack.end",  "eaug.end",    "emodpr.end", "emodt.end",   "ereport.end", "egetkey.end",
      "eenter.end",  "eresume.end", "eexit.end",  "eaccept.end", "emodpe.end",  "eacceptcopy.end"};
  static_assert(sizeof kNames / sizeof kNames[0] == kLeafCount);
  return int(l) < kLeafCount ? kNames[int(l)] : "?";
}

}  // namespace sgxref::hw
