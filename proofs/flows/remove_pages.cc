#include "flows/remove_pages.h"

#include <stdexcept>

#include "flows/leaf_calls.h"

namespace sgxref::proofs::flows {

namespace {

enum Label : int64_t {
  kLock,       // mutex_lock(&encl->lock)'s point, before a page
  kProbe,      // the mutex taken: the type check, the EMODPR probe, off the LRU (with
               // the bug: no probe, and the mutex dropped at once)
  kUnlockZap,  // the mutex dropped for the zap
  kZap,        // the page's PTEs zapped, the TLB shootdown's IPI
  kRelock,     // mutex_lock(&encl->lock)'s point again
  kEremove,    // the mutex taken: EREMOVE, the EPC page freed, the record erased
  kUnlock,     // mutex_unlock(&encl->lock), after a page; the next, or the return
  kEnd,
};

struct Shape {
  int64_t cpu, first, n;
  bool skips_probe;
};

// The return: `count` is the pages removed. D3: each page before `count` is no longer a
// trimmed page of the enclave (gone, or a fresh page an enclave thread's fault EAUGed
// there since), each page after it is still there as the layout has it (TRIM).
template <model::Domain D>
void finish(const D& d, const Shape& f, World<D>& w, Thread<D>& me, const typename D::Bool& when) {
  typename D::Bool exact = d.lit(true);
  for (int64_t i = 0; i < f.n; ++i) {
    const PageRecord<D> rec = at(d, w.drv.pages, d.num(f.first + i));
    const arch::Epcm<D> e = at(d, w.hw.epcm, rec.slot);
    const typename D::Bool trimmed = rec.resident && e.valid && e.type == arch::pt::kTrim;
    exact = exact && ite(me.index <= i, trimmed, !trimmed);
  }
  w.ghost.contract = w.ghost.contract || (when && !exact);
  me.count = ite(when, me.index, me.count);
  go_if(d, me, when, kEnd);
}

// A page refused with `rv`: the loop ends at the unlock (or, where the mutex is dropped
// in the same step, returns now).
template <model::Domain D>
void page_refused(const D& d, const Shape& f, World<D>& w, Thread<D>& me,
                  const typename D::Bool& when, int64_t rv, bool unlocked) {
  me.rv = ite(when, d.num(rv), me.rv);
  if (unlocked) {
    finish(d, f, w, me, when);
  } else {
    go_if(d, me, when, kUnlock);
  }
}

}  // namespace

Program remove_pages(const Layout& l, const Variant& v) {
  if (l.reclaimer || !l.trimmed)
    throw std::logic_error("REMOVE_PAGES runs on trimmed pages, without ksgxd (its page loads are not modelled)");
  const Shape f{Layout::kernel_cpu(), l.data_page(0), int64_t(l.data_pages), v.bug("remove-pages-skips-probe")};
  Program p{"REMOVE_PAGES", f.cpu, {}};
  p.instrs.resize(kEnd);
  p.instrs[kLock] = make_instr("encl->lock", [](const auto& d, auto& w, size_t t) {
    reach_lock(d, w, t, kProbe);
  }, kHoldsMutex);

  // The page is resident (no reclaimer races this flow) and on the LRU: the driver's
  // type check, the probe. Without the probe nothing between the type check and the
  // unlock is a scheduling point, so the step ends there.
  const char* probe_end = f.skips_probe ? "encl->lock" : "emodpr.end";
  p.instrs[kProbe] = make_instr(probe_end, [=](const auto& d, auto& w, size_t t) {
    using D = std::decay_t<decltype(d)>;
    auto& me = w.th[t];
    lock_mutex(d, w, t);
    const typename D::Int page = me.index + f.first;
    const PageRecord<D> rec = at(d, w.drv.pages, page);
    const typename D::Bool trim = rec.type == arch::pt::kTrim;
    // EMODPR with RWX: on a TRIM page it changes nothing whatever it answers.
    const arch::SecInfo<C> rwx{false, arch::pt::kReg, true, true, true, false, false, false};
    const arch::Outcome<D> probe = modify_if(d, w, trim && d.lit(!f.skips_probe), false, rwx, f.cpu, rec.slot);
    const typename D::Bool accepted = trim && (d.lit(f.skips_probe) || probe.kind == arch::kind::kPf);
    const bool unlocked = f.skips_probe;
    if (unlocked) unlock_mutex(d, w);
    page_refused(d, f, w, me, !accepted, ret::kEperm, unlocked);
    // A type check that fails reaches no leaf.
    if (!unlocked) continue_region_if(me, !trim);
    go_if(d, me, accepted, unlocked ? kZap : kUnlockZap);
  }, kHoldsMutex);

  // mmap_lock comes before encl->lock: the mutex goes for the zap.
  p.instrs[kUnlockZap] = make_instr("encl->lock", [](const auto& d, auto& w, size_t t) {
    unlock_mutex(d, w);
    go_if(d, w.th[t], d.lit(true), kZap);
  });
  p.instrs[kZap] = make_instr("ipi_mask.end", [=](const auto& d, auto& w, size_t t) {
    zap_page(d, w, w.th[t].index + f.first);
    go_if(d, w.th[t], d.lit(true), kRelock);
  });
  p.instrs[kRelock] = make_instr("encl->lock", [](const auto& d, auto& w, size_t t) {
    reach_lock(d, w, t, kEremove);
  }, kHoldsMutex);
  p.instrs[kEremove] = make_instr("eremove.end", [=](const auto& d, auto& w, size_t t) {
    using D = std::decay_t<decltype(d)>;
    auto& me = w.th[t];
    lock_mutex(d, w, t);
    const typename D::Int page = me.index + f.first;
    const typename D::Int slot = at(d, w.drv.pages, page, &PageRecord<D>::slot);
    w.ghost.promise = w.ghost.promise || at(d, w.hw.epcm, slot, &arch::Epcm<D>::modified);
    const arch::Outcome<D> out =
        leaf_if(d, w, d.lit(true), [](const D& dd, arch::State<D>& s, const arch::PageOp<D>& op) {
          return arch::eremove(dd, s, op);
        }, arch::PageOp<D>{d.num(f.cpu), slot});
    // A refused EREMOVE leaks the EPC page; the rest goes on as after a success.
    w.ghost.warn = w.ghost.warn || !succeeded(out);
    put(d, w.drv.free, slot, succeeded(out), Flag<D>{d.lit(true)});
    w.drv.children = w.drv.children - 1;
    // Erased: with no reclaimer, a page the driver has no EPC page for has no record.
    put(d, w.drv.pages, page, d.lit(true), &PageRecord<D>::resident, d.lit(false));
    me.index = me.index + 1;
    go_if(d, me, d.lit(true), kUnlock);
  }, kHoldsMutex);

  p.instrs[kUnlock] = make_instr("encl->lock", [=](const auto& d, auto& w, size_t t) {
    auto& me = w.th[t];
    unlock_mutex(d, w);
    const auto more = me.rv == ret::kOk && me.index < f.n;
    go_if(d, me, more, kLock);
    finish(d, f, w, me, !more);
  });
  return p;
}

}  // namespace sgxref::proofs::flows
