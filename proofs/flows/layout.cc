#include "flows/layout.h"

#include <stdexcept>
#include <string>

namespace sgxref::proofs::flows {

namespace {

arch::SecInfo<C> secinfo(int64_t type, bool w) { return {false, type, true, w, false, false, false, false}; }

void must(const arch::Outcome<C>& o, const std::string& what) {
  if (o.kind != arch::kind::kOk) throw std::logic_error("the flows' enclave does not build: " + what);
}

}  // namespace

arch::Sizes Layout::sizes() const {
  const size_t used = size_t(pages());
  size_t elrange = 2;
  while (elrange < used) elrange *= 2;
  arch::Sizes sz;
  sz.slots = size_t(free_slot()) + 1;
  sz.cpus = 1 + enclave_threads;
  sz.pages = elrange;
  sz.va_slots = reclaimer ? used + 1 : 2;
  sz.blobs = reclaimer ? used + 1 : 2;
  sz.spaces = 1;
  sz.words = 1;
  return sz;
}

World<C> built_world(const Layout& l, size_t threads) {
  const C d;
  const arch::Sizes sz = l.sizes();
  arch::State<C> s = arch::initial_state(d, sz);
  const int64_t cpu = Layout::kernel_cpu(), secs = Layout::secs_slot();
  must(arch::ecreate(d, s, {cpu, secs, secinfo(arch::pt::kSecs, false), 0, int64_t(sz.pages), true}),
       "ECREATE");
  const auto add = [&](int64_t page, arch::SecInfo<C> si, int64_t nssa, int64_t ossa,
                       int64_t content) {
    must(arch::eadd(d, s, {cpu, Layout::slot_of(page), secs, page, si, nssa, ossa, content}),
         "EADD of page " + std::to_string(page));
  };
  for (size_t e = 0; e < l.enclave_threads; ++e) {
    add(l.tcs_page(e), {false, arch::pt::kTcs, false, false, false, false, false, false}, 1,
        l.ssa_page(e), 0);
    add(l.ssa_page(e), secinfo(arch::pt::kReg, true), 0, 0, 0);
  }
  // Distinct contents, so a page loaded in the wrong place shows.
  for (size_t i = 0; i < l.data_pages; ++i) add(l.data_page(i), secinfo(arch::pt::kReg, true), 0, 0, int64_t(i + 1));
  must(arch::epa(d, s, {cpu, l.va_slot()}), "EPA");
  const arch::PageData<C>& mr = s.data[size_t(secs)];
  must(arch::einit(d, s, {cpu, secs, 0, mr.mr_count, mr.mr_page, 0}), "EINIT");
  if (l.trimmed) {
    // With no CPU inside, the ETRACK completes at once: an entry after it can EACCEPT.
    const arch::SecInfo<C> trim{false, arch::pt::kTrim, false, false, false, false, false, false};
    for (size_t i = 0; i < l.data_pages; ++i)
      must(arch::emodt(d, s, {cpu, Layout::slot_of(l.data_page(i)), trim}), "EMODT of data page " + std::to_string(i));
    must(arch::etrack(d, s, {cpu, secs}), "ETRACK");
  }

  World<C> w = blank_world(d, s, threads);
  w.drv.secs = secs;
  w.drv.secs_resident = true;
  w.drv.children = l.built();
  for (int64_t page = 0; page < l.built(); ++page) {
    const int64_t slot = Layout::slot_of(page);
    must(arch::pte_set(d, w.hw, {0, page, slot, true, false}), "mapping page " + std::to_string(page));
    const bool tcs = page % 2 == 0 && page < l.data_page(0);
    const int64_t type = tcs ? arch::pt::kTcs : l.trimmed && page >= l.data_page(0) ? arch::pt::kTrim : arch::pt::kReg;
    w.drv.pages[size_t(page)] = {slot, type, true, false, false, 0};
  }
  for (size_t i = 0; i < l.holes; ++i) w.drv.free[size_t(Layout::slot_of(l.hole(i)))].on = true;
  w.drv.free[size_t(l.free_slot())].on = true;
  return w;
}

}  // namespace sgxref::proofs::flows
