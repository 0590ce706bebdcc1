#include "conformance/coverage.h"

#include <cstdio>

namespace sgxref::conformance {

namespace arch = model::arch;
using model::test::C;
using model::test::Leaf;

namespace {

bool is_code(const arch::Outcome<C>& out, int64_t code) {
  return out.kind == arch::kind::kCode && out.code == code;
}

// A store that hit a TLB entry granting W for a page whose EPCM entry no longer does.
bool stale_write(const arch::State<C>& s, const model::test::Op& op, const arch::Outcome<C>& out) {
  if (out.kind != arch::kind::kOk) return false;
  int64_t cpu = 0, page = 0;
  if (op.leaf == Leaf::kStore) {
    const auto& a = std::get<arch::AccessOp<C>>(op.args);
    cpu = a.cpu;
    page = a.page;
  } else if (op.leaf == Leaf::kStoreTcs) {
    const auto& a = std::get<arch::StoreTcsOp<C>>(op.args);
    cpu = a.cpu;
    page = a.page;
  } else {
    return false;
  }
  const arch::Cpu<C>& c = s.cpu[size_t(cpu)];
  if (!c.mode || page >= int64_t(s.sz.pages)) return false;
  const arch::TlbEntry<C>& t = c.tlb[size_t(page)];
  if (!t.valid || !t.w || t.slot >= int64_t(s.sz.slots)) return false;
  const arch::Epcm<C>& e = s.epcm[size_t(t.slot)];
  return !e.valid || !e.w || e.type != arch::pt::kReg;
}

bool accepts_restriction(const arch::State<C>& s, const model::test::Op& op,
                         const arch::Outcome<C>& out) {
  if (op.leaf != Leaf::kEaccept || out.kind != arch::kind::kOk) return false;
  const int64_t page = std::get<arch::AcceptOp<C>>(op.args).page;
  if (page >= int64_t(s.sz.pages)) return false;
  const arch::Pte<C>& p = s.pte[size_t(page)];
  return p.present && p.slot < int64_t(s.sz.slots) && s.epcm[size_t(p.slot)].pr;
}

}  // namespace

std::vector<Event> events(const arch::State<C>& before, const model::test::Op& op,
                          const arch::Outcome<C>& out) {
  std::vector<Event> e;
  if (op.leaf == Leaf::kEwb && out.kind == arch::kind::kOk) e.push_back(kEwbSuccess);
  if (is_code(out, arch::sgx::kNotTracked)) e.push_back(kNotTracked);
  if (is_code(out, arch::sgx::kPrevTrkIncmpl)) e.push_back(kPrevTrkIncmpl);
  if (stale_write(before, op, out)) e.push_back(kStaleTlbWrite);
  if (accepts_restriction(before, op, out)) e.push_back(kAcceptAfterEmodpr);
  if (is_code(out, arch::sgx::kMacCompareFail)) e.push_back(kMacCompareFail);
  if (is_code(out, arch::sgx::kVaSlotOccupied)) e.push_back(kVaSlotOccupied);
  if (is_code(out, arch::sgx::kEpcPageConflict)) e.push_back(kEpcPageConflict);
  return e;
}

std::string Coverage::report() const {
  std::string r;
  char line[128];
  for (int e = 0; e < kEventCount; ++e) {
    std::snprintf(line, sizeof line, "  %-22s %8llu commands in %6llu test cases\n", kEventNames[e],
                  static_cast<unsigned long long>(commands_[size_t(e)]),
                  static_cast<unsigned long long>(cases_[size_t(e)]));
    r += line;
  }
  return r;
}

}  // namespace sgxref::conformance
