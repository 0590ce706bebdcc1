#include "flows/modify_ioctl.h"

#include "flows/ioctl_return.h"
#include "flows/leaf_calls.h"
#include "flows/load_page.h"

namespace sgxref::proofs::flows {

namespace {

using Alt = driver::Alternatives;

// The instructions, in program order.
enum Label : int64_t {
  kLock,         // mutex_lock(&encl->lock)'s point, before a page
  kModify,       // the mutex taken; the driver's type check and EMODPR or EMODT
  kEtrack,       // the ETRACK flow: ETRACK
  kIpiRetry,     //   it refused: IPI the enclave's CPUs
  kEtrackRetry,  //   and ETRACK once more
  kIpi,          //   the IPI that ends the tracking
  kUnlock,       // mutex_unlock(&encl->lock), after a page
  kLockTail,     // batched, lock per page: the mutex's point again for the ETRACK after
                 // the range
  kUnlockTail,   // the mutex dropped after the range, and the return
  kEnd,
};

// What the flow is, fixed when the program is built. `trim`: MODIFY_TYPES to TRIM,
// else RESTRICT_PERMISSIONS to read-only.
struct Shape {
  int64_t cpu, first, n;
  bool trim, batched, whole_range, skips_etrack, skips_ipi, skips_secs_reload;
};

// The return: `count` is the pages done; D3 checked.
template <model::Domain D>
void finish(const D& d, const Shape& f, World<D>& w, Thread<D>& me, const typename D::Bool& when) {
  ioctl_return(d, f.first, f.n, f.trim, w, me, when, kEnd);
}

// After the per-page loop: the batched ETRACK if some page was restricted, else return.
template <model::Domain D>
void after_loop(const D& d, const Shape& f, World<D>& w, Thread<D>& me,
                const typename D::Bool& when) {
  const typename D::Bool owed = when && d.lit(f.batched && !f.skips_etrack) && d.num(0) < me.index;
  if (f.whole_range) {
    me.tail = me.tail || owed;
    go_if(d, me, owed, kEtrack);
    go_if(d, me, when && !owed, kUnlockTail);
  } else {
    go_if(d, me, owed, kLockTail);
    finish(d, f, w, me, when && !owed);
  }
}

// A page done (changed, its ETRACK flow run if per page): the driver's record of a
// trimmed page says TRIM; the next page.
template <model::Domain D>
void page_done(const D& d, const Shape& f, World<D>& w, Thread<D>& me, const typename D::Bool& when) {
  if (f.trim) put(d, w.drv.pages, me.index + f.first, when, &PageRecord<D>::type, d.num(arch::pt::kTrim));
  me.index = ite(when, me.index + 1, me.index);
  if (f.whole_range) {
    go_if(d, me, when && me.index < f.n, kModify);
    after_loop(d, f, w, me, when && !(me.index < f.n));
  } else {
    go_if(d, me, when, kUnlock);
  }
}

// A page failed with `rv`: its mutex goes (lock per page), then the loop ends.
template <model::Domain D>
void page_failed(const D& d, const Shape& f, World<D>& w, Thread<D>& me,
                 const typename D::Bool& when, int64_t rv) {
  me.rv = ite(when, d.num(rv), me.rv);
  if (f.whole_range) {
    after_loop(d, f, w, me, when);
  } else {
    go_if(d, me, when, kUnlock);
  }
}

// The ETRACK flow ended, well or not.
template <model::Domain D>
void etrack_flow_done(const D& d, const Shape& f, World<D>& w, Thread<D>& me,
                      const typename D::Bool& when, const typename D::Bool& ok) {
  go_if(d, me, when && me.tail, kUnlockTail);
  me.rv = ite(when && me.tail && !ok, d.num(ret::kEfault), me.rv);
  page_done(d, f, w, me, when && !me.tail && ok);
  page_failed(d, f, w, me, when && !me.tail && !ok, ret::kEfault);
}

Program modify_flow(const Layout& l, const Shape& f) {
  Program p{f.trim ? "MODIFY_TYPES" : "RESTRICT_PERMISSIONS", f.cpu, {}};
  p.instrs.resize(kEnd);
  p.instrs[kLock] = make_instr("encl->lock", [](const auto& d, auto& w, size_t t) {
    reach_lock(d, w, t, kModify);
  }, kHoldsMutex);

  // sgx_encl_load_page first: each step of it an ELDU until the page is in; then the
  // driver's type check and EMODPR, or EMODT. A busy page or the wrong type reach no
  // leaf: the thread runs on to the unlock.
  const char* leaf_end = f.trim ? "emodt.end" : "emodpr.end";
  p.instrs[kModify] = make_instr(leaf_end, [=](const auto& d, auto& w, size_t t) {
    using D = std::decay_t<decltype(d)>;
    auto& me = w.th[t];
    lock_mutex(d, w, t);
    const typename D::Int page = me.index + f.first;
    const LoadStep<D> load = load_page_step(d, l, w, page, d.lit(true));
    page_failed(d, f, w, me, load.busy, ret::kEagain);
    page_failed(d, f, w, me, load.failed, ret::kEfault);
    // The SDM's transitions: EMODPR on a REG page; EMODT to TRIM of a REG or TCS page.
    const typename D::Int type = at(d, w.drv.pages, page, &PageRecord<D>::type);
    const typename D::Bool reg =
        load.in && (type == arch::pt::kReg || (d.lit(f.trim) && type == arch::pt::kTcs));
    const arch::Outcome<D> out = modify_if(d, w, reg, f.trim, f.trim ? trimmed() : restricted_rights(),
                                           f.cpu, at(d, w.drv.pages, page, &PageRecord<D>::slot));
    // A fault means the driver's own checks let something through: a WARN in Linux.
    w.ghost.warn = w.ghost.warn || (reg && arch::faulted(out));
    page_failed(d, f, w, me, load.in && !reg, ret::kEinval);
    page_failed(d, f, w, me, reg && !succeeded(out), ret::kEfault);
    continue_region_if(me, load.busy || (load.in && !reg));
    const typename D::Bool ok = reg && succeeded(out);
    const bool etrack_per_page = !f.batched && !f.skips_etrack;
    go_if(d, me, ok && d.lit(etrack_per_page), kEtrack);
    if (!etrack_per_page) page_done(d, f, w, me, ok);
  }, kHoldsMutex);
  p.instrs[kModify].point_at = [f, leaf_end](const World<C>& w, size_t t) {
    return w.drv.pages[size_t(w.th[t].index + f.first)].resident ? leaf_end : "eldu.end";
  };

  // After the range (batched) the mutex was dropped since the last EMODPR: the SECS may
  // have followed its children out, and is loaded back first.
  p.instrs[kEtrack] = make_instr("etrack.end", [=](const auto& d, auto& w, size_t t) {
    auto& me = w.th[t];
    lock_mutex(d, w, t);
    const auto secs = load_secs_step(d, l, w, d.lit(!f.skips_secs_reload));
    continue_region_if(me, secs.busy);
    const auto go = secs.in || d.lit(f.skips_secs_reload);
    // The driver's WARN_ON: a leaf on a SECS it does not have in the EPC is its own bug,
    // and the ETRACK flow fails without the leaf.
    const auto evicted = go && !w.drv.secs_resident;
    w.ghost.warn = w.ghost.warn || evicted;
    continue_region_if(me, evicted);
    const auto out = etrack_if(d, w, go && !evicted);
    go_if(d, me, go && !evicted && succeeded(out), kIpi);
    go_if(d, me, go && !evicted && !succeeded(out), kIpiRetry);
    etrack_flow_done(d, f, w, me, evicted || secs.busy || secs.failed, d.lit(false));
  }, kHoldsMutex);
  p.instrs[kEtrack].point_at = [f](const World<C>& w, size_t) {
    return w.drv.secs_resident || f.skips_secs_reload ? "etrack.end" : "eldu.end";
  };
  p.instrs[kIpiRetry] = make_instr("ipi_mask.end", [=](const auto& d, auto& w, size_t t) {
    ipi_enclave_cpus(d, w, d.lit(true));
    go_if(d, w.th[t], d.lit(true), kEtrackRetry);
  });
  p.instrs[kEtrackRetry] = make_instr("etrack.end", [=](const auto& d, auto& w, size_t t) {
    auto& me = w.th[t];
    const auto out = etrack_if(d, w, d.lit(true));
    go_if(d, me, succeeded(out), kIpi);
    etrack_flow_done(d, f, w, me, !succeeded(out), d.lit(false));
  });
  // Without its IPI (the bug) the flow reaches no scheduling point before the unlock.
  p.instrs[kIpi] = make_instr("ipi_mask.end", [=](const auto& d, auto& w, size_t t) {
    ipi_enclave_cpus(d, w, d.lit(!f.skips_ipi));
    continue_region_if(w.th[t], d.lit(f.skips_ipi));
    etrack_flow_done(d, f, w, w.th[t], d.lit(true), d.lit(true));
  });

  p.instrs[kUnlock] = make_instr("encl->lock", [=](const auto& d, auto& w, size_t t) {
    auto& me = w.th[t];
    unlock_mutex(d, w);
    const auto more = me.rv == ret::kOk && me.index < f.n;
    go_if(d, me, more, kLock);
    after_loop(d, f, w, me, !more);
  });
  p.instrs[kLockTail] = make_instr("encl->lock", [](const auto& d, auto& w, size_t t) {
    w.th[t].tail = d.lit(true);
    reach_lock(d, w, t, kEtrack);
  }, kHoldsMutex);
  p.instrs[kUnlockTail] = make_instr("encl->lock", [=](const auto& d, auto& w, size_t t) {
    unlock_mutex(d, w);
    finish(d, f, w, w.th[t], d.lit(true));
  });
  return p;
}

}  // namespace

arch::SecInfo<C> restricted_rights() { return {false, arch::pt::kReg, true, false, false, false, false, true}; }
arch::SecInfo<C> trimmed() { return {false, arch::pt::kTrim, false, false, false, false, true, false}; }

Program restrict_permissions(const Layout& l, const Variant& v) {
  return modify_flow(l, {Layout::kernel_cpu(), l.data_page(0), int64_t(l.data_pages), false,
                         v.alt.restrict_etrack == Alt::RestrictEtrack::kBatched,
                         v.alt.restrict_lock == Alt::RestrictLock::kWholeRange,
                         v.bug("restrict-skips-etrack"), v.bug("etrack-skips-ipi"),
                         v.bug("batched-etrack-skips-secs-reload")});
}

// The driver's alternatives and the bugs of RESTRICT_PERMISSIONS' own code do not touch
// MODIFY_TYPES; the ETRACK flow (and so bug.etrack-skips-ipi) is the one they share.
Program modify_types(const Layout& l, const Variant& v) {
  return modify_flow(l, {Layout::kernel_cpu(), l.data_page(0), int64_t(l.data_pages), true, false,
                         false, false, v.bug("etrack-skips-ipi"), false});
}

}  // namespace sgxref::proofs::flows
