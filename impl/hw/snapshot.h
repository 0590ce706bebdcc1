// File: read-only views of the emulator's architectural state for tests, the model
// conformance checks and the bindings. A Snapshot compares equal before and after a
// refused leaf: that is how tests show that "nothing else changed".
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <vector>

#include "hw/crypto/sha256.h"
#include "hw/epcm_entry.h"
#include "hw/leaf.h"

namespace sgxref::hw {

struct SecsView {
  uint64_t size = 0;
  uint64_t base = 0;
  uint32_t ssa_frame_size = 0;
  uint32_t miscselect = 0;
  uint64_t attributes = 0;
  uint64_t xfrm = 0;
  Digest mrenclave{};  // the final value once INIT; the running hash before
  Digest mrsigner{};
  uint16_t isv_prod_id = 0;
  uint16_t isv_svn = 0;
  uint64_t eid = 0;
  bool initialized = false;

  bool operator==(const SecsView&) const = default;
};

struct Snapshot {
  std::vector<EpcmEntry> epcm;
  // FNV-1a of each valid page's bytes (0 for invalid pages, whose bytes software
  // cannot observe).
  std::vector<uint64_t> page_digest;
  // Running MRENCLAVE of every enclave still being built, by enclave id.
  std::map<uint64_t, Digest> measurements;
  uint64_t next_eid = 0;

  bool operator==(const Snapshot&) const = default;
};

struct Counters {
  std::array<uint64_t, kLeafCount> calls{};
  std::array<uint64_t, kLeafCount> faults{};
  std::array<uint64_t, kLeafCount> codes{};  // returned a non-success SGX code
  uint32_t epc_valid = 0;
};

}  // namespace sgxref::hw
