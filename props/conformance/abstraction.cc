#include "conformance/abstraction.h"

#include <algorithm>
#include <map>

#include "hw/cpu.h"
#include "hw/inspect.h"
#include "uapi/page_type.h"

namespace sgxref::conformance {

namespace arch = model::arch;

namespace {

int64_t age(uint64_t epoch, uint64_t then) {
  return epoch < then ? -1 : int64_t(std::min<uint64_t>(arch::kMaxAge, epoch - then));
}

bool is_child(uapi::PageType t) {
  return t == uapi::PageType::kReg || t == uapi::PageType::kTcs || t == uapi::PageType::kTrim;
}

// The bytes of a page the model reads for its type.
arch::PageData<C> by_type(int64_t type, const arch::PageData<C>& p, const arch::PageData<C>& blank) {
  arch::PageData<C> kept = blank;
  if (type == arch::pt::kSecs) {
    kept.init = p.init;
    kept.eid = p.eid;
    kept.base = p.base;
    kept.size = p.size;
    kept.mr_count = p.mr_count;
    kept.mr_page = p.mr_page;
  } else if (type == arch::pt::kVa) {
    kept.va = p.va;
  } else {
    kept.active = p.active;
    kept.cssa = p.cssa;
    kept.nssa = p.nssa;
    kept.ossa = p.ossa;
    kept.words = p.words;
  }
  return kept;
}

// Renames the nonzero values `visit` shows to 1, 2, ... in the order they first appear
// (kGarbage and 0 keep their meaning).
template <class Visit>
void rename(Visit&& visit) {
  std::map<int64_t, int64_t> names;
  visit([&](int64_t& v) {
    if (v <= 0) return;
    const auto [it, fresh] = names.try_emplace(v, int64_t(names.size()) + 1);
    v = it->second;
  });
}

}  // namespace

arch::State<C> abstract(const HwRunner& hw) {
  const arch::Sizes& sz = hw.sizes();
  const hw::Machine& m = hw.machine();
  arch::State<C> s = arch::initial_state(C{}, sz);
  // The epoch of the enclave whose SECS is in `slot`, if it is resident.
  const auto epoch = [&](uint32_t slot) -> uint64_t {
    const hw::EpcmEntry e = hw::Inspector(m).epcm(slot);
    return e.valid && e.type == uapi::PageType::kSecs ? hw::Inspector(m).tracking(slot).epoch : 0;
  };

  for (uint32_t j = 0; j < sz.slots; ++j) {
    const hw::EpcmEntry e = hw::Inspector(m).epcm(j);
    arch::Epcm<C>& x = s.epcm[j];
    x = {e.valid,   int64_t(e.type), e.r,    e.w,
         e.x,       e.blocked,       e.pending, e.modified,
         e.pr,      int64_t(e.secs), int64_t(e.enclave_address >> hw::kPageShift),
         e.stamped, 0};
    if (e.valid && e.stamped && is_child(e.type) && e.secs < sz.slots)
      x.stamp_age = age(epoch(e.secs), e.stamp);
    s.data[j] = hw.page_data(j);
  }

  for (uint32_t i = 0; i < sz.cpus; ++i) {
    const hw::CpuView v = hw::Inspector(m).cpu_view(i);
    arch::Cpu<C>& c = s.cpu[i];
    c.mode = v.enclave_mode;
    c.secs = v.secs;
    c.tcs = v.tcs_slot;
    c.entry_age = v.enclave_mode && v.secs < sz.slots ? age(epoch(v.secs), v.entry_epoch) : 0;
    c.space = hw.space_of(i);
    for (const hw::TlbEntryView& t : v.tlb) {
      const uint64_t page = t.page >> hw::kPageShift;
      if (page < sz.pages) c.tlb[page] = {true, int64_t(t.slot), t.r, t.w, t.x};
    }
  }

  for (size_t k = 0; k < sz.spaces; ++k) {
    for (size_t l = 0; l < sz.pages; ++l) {
      const hw::Pte p = hw.page_table(k).get(hw::LAddr(l) * hw::kPageSize);
      s.pte[k][l] = {p.present, p.present ? hw.model_addr(p.pa, false) : 0, p.writable, !p.nx};
    }
  }

  for (size_t b = 0; b < sz.blobs; ++b) s.blob[b] = hw.sealed(b);
  return s;
}

void normalize(arch::State<C>& s) {
  const arch::PageData<C> blank = arch::blank_page(C{}, s.sz);
  for (size_t j = 0; j < s.epcm.size(); ++j) {
    arch::Epcm<C>& e = s.epcm[j];
    if (!e.valid) {
      e = arch::free_entry(C{}, s.sz);
      s.data[j] = blank;
      continue;
    }
    if (!e.stamped) e.stamp_age = 0;
    s.data[j] = by_type(e.type, s.data[j], blank);
  }
  for (arch::Cpu<C>& c : s.cpu) {
    for (arch::TlbEntry<C>& t : c.tlb) {
      if (!t.valid) t = {false, 0, false, false, false};
    }
    if (c.mode) continue;
    c.secs = 0;
    c.tcs = 0;
    c.entry_age = 0;
  }
  for (std::vector<arch::Pte<C>>& table : s.pte) {
    for (arch::Pte<C>& p : table) {
      if (!p.present) p = {false, 0, false, false};
    }
  }
  for (arch::Blob<C>& b : s.blob) {
    if (!b.valid) {
      b = arch::initial_state(C{}, s.sz).blob[0];
    } else {
      b.data = by_type(b.type, b.data, blank);
    }
  }
  // Enclave ids and versions only ever meet in equality: compare them up to a renaming
  // (the model hands out the smallest free one, the emulator a counter's next).
  rename([&](auto&& name) {
    for (size_t j = 0; j < s.epcm.size(); ++j)
      if (s.epcm[j].type == arch::pt::kSecs) name(s.data[j].eid);
    for (arch::Blob<C>& b : s.blob) {
      name(b.eid);
      name(b.data.eid);
    }
  });
  rename([&](auto&& name) {
    for (size_t j = 0; j < s.epcm.size(); ++j)
      for (int64_t& v : s.data[j].va) name(v);
    for (arch::Blob<C>& b : s.blob) {
      name(b.version);
      for (int64_t& v : b.data.va) name(v);
    }
  });
}

}  // namespace sgxref::conformance
