// File: what the runner had each enclave measure, kept per enclave id as the author's
// signing tool would see it (ECREATE's SSA frame size and size, each EADD's offset and
// SECINFO, each EEXTEND's offset and 256 bytes), so the abstraction can name the
// emulator's MRENCLAVE by the model's measured events (count and last page) when, and
// only when, it is the hash of exactly that history, and EINIT's SIGSTRUCT can carry the
// hash the model's claim stands for. The hash is sign::EnclaveMeasurement, the signing
// tool's, independent of the emulator's.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "hw/crypto/sha256.h"

namespace sgxref::conformance {

class MeasurementLog {
 public:
  void ecreate(uint64_t eid, uint32_t ssa_frame_size, uint64_t size);
  void eadd(uint64_t eid, uint64_t offset, uint64_t secinfo_flags, int64_t page);
  void eextend(uint64_t eid, uint64_t offset, const uint8_t* chunk256, int64_t page);

  // The model's measured events for enclave `eid`: {count, last page}.
  std::optional<std::array<int64_t, 2>> events(uint64_t eid) const;
  // MRENCLAVE of what enclave `eid` measured.
  hw::Digest mrenclave(uint64_t eid) const;

 private:
  struct Event {
    bool extend;
    uint64_t offset, flags;
    std::array<uint8_t, 256> chunk;
    int64_t page;
  };
  struct Enclave {
    uint32_t ssa_frame_size;
    uint64_t size;
    std::vector<Event> events;
  };
  std::map<uint64_t, Enclave> enclaves_;
};

}  // namespace sgxref::conformance
