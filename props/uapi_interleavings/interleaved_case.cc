#include "uapi_interleavings/interleaved_case.h"

#include "uapi_conformance/uapi_describe.h"

namespace sgxref::props {

Territory territory(const mu::Enclave& initial, int w) {
  const uint64_t heap = initial.first;
  const uint64_t holes = heap + DriverWorld::kHeapPages * mu::kPage;
  Territory t;
  t.thread = w;
  for (uint64_t run : {heap, holes}) {
    for (uint64_t i = 0; i < 2; ++i) t.pages.push_back(run + (2 * uint64_t(w) + i) * mu::kPage);
  }
  return t;
}

std::ostream& operator<<(std::ostream& os, const WorkerCommand& c) {
  using K = WorkerCommand::Kind;
  switch (c.kind) {
    case K::kIoctl:
      os << (c.which == DriverWorld::Sgx2::kRestrict      ? "RESTRICT_PERMISSIONS{"
             : c.which == DriverWorld::Sgx2::kModifyTypes ? "MODIFY_TYPES{"
                                                          : "REMOVE_PAGES{");
      show_args(os, c.args);
      return os << "}";
    case K::kEnter: return os << "Eenter{" << c.op << "}";
    case K::kResume: return os << "Eresume{}";
    case K::kMprotect:
      return os << "Mprotect{offset 0x" << std::hex << c.offset << ", length 0x" << c.length
                << ", rights " << int(c.rights) << std::dec << "}";
  }
  return os;
}

std::ostream& operator<<(std::ostream& os, const InterleavedCase& c) {
  os << (c.pct ? "PCT depth " + std::to_string(c.depth) : std::string("random")) << " seed "
     << c.seed;
  if (c.limit != driver::kNoLimit) os << ", group limit " << c.limit;
  os << "\n";
  for (size_t w = 0; w < c.workers.size(); ++w) {
    os << "  worker " << w << " (TCS #" << w + 1 << "):";
    for (const WorkerCommand& cmd : c.workers[w]) os << " " << cmd;
    os << "\n";
  }
  os << "  reclaimer:";
  for (bool all : c.reclaims) os << (all ? " every page" : " one batch");
  return os << "\n";
}

}  // namespace sgxref::props
