#include "conformance/measurement_log.h"

#include <cstring>

#include "sign/enclave_measurement.h"

namespace sgxref::conformance {

void MeasurementLog::ecreate(uint64_t eid, uint32_t ssa_frame_size, uint64_t size) {
  enclaves_[eid] = Enclave{ssa_frame_size, size, {}};
}

void MeasurementLog::eadd(uint64_t eid, uint64_t offset, uint64_t secinfo_flags, int64_t page) {
  enclaves_.at(eid).events.push_back(Event{false, offset, secinfo_flags, {}, page});
}

void MeasurementLog::eextend(uint64_t eid, uint64_t offset, const uint8_t* chunk256,
                             int64_t page) {
  Event e{true, offset, 0, {}, page};
  std::memcpy(e.chunk.data(), chunk256, e.chunk.size());
  enclaves_.at(eid).events.push_back(e);
}

std::optional<std::array<int64_t, 2>> MeasurementLog::events(uint64_t eid) const {
  const auto it = enclaves_.find(eid);
  if (it == enclaves_.end()) return std::nullopt;
  const std::vector<Event>& ev = it->second.events;
  return std::array<int64_t, 2>{1 + int64_t(ev.size()), ev.empty() ? 0 : ev.back().page};
}

hw::Digest MeasurementLog::mrenclave(uint64_t eid) const {
  const auto it = enclaves_.find(eid);
  if (it == enclaves_.end()) return hw::Digest{};
  sign::EnclaveMeasurement m(it->second.ssa_frame_size, it->second.size);
  for (const Event& e : it->second.events) {
    if (e.extend) {
      m.extend(e.offset, e.chunk.data());
    } else {
      m.add(e.offset, e.flags);
    }
  }
  return m.mrenclave();
}

}  // namespace sgxref::conformance
