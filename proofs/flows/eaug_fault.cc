#include "flows/eaug_fault.h"

#include "flows/eaug_page.h"

namespace sgxref::proofs::flows {

namespace {

enum Label : int64_t {
  kLock,     // the fault handler at mutex_lock(&encl->lock)'s point, for the look-up
  kLookup,   // the mutex taken: no page at the address; dropped (its point again)
  kAugLock,  // mutex_lock(&encl->lock)'s point, for the EAUG
  kAug,      // the mutex taken: the SECS loaded back (its own step), EAUG, the PTE
  kUnlock,   // the mutex dropped (its point); the fault returns, or is taken again
  kEnd,
};

}  // namespace

Program eaug_fault(const Layout& l, const Variant& v) {
  const int64_t cpu = Layout::kernel_cpu(), page = l.hole(0);
  const bool skips_secs_reload = v.bug("eaug-skips-load-secs");

  Program p{"EAUG fault", cpu, {}};
  p.instrs.resize(kEnd);
  p.instrs[kLock] = make_instr("encl->lock", [](const auto& d, auto& w, size_t t) {
    reach_lock(d, w, t, kLookup);
  }, kHoldsMutex);
  // Linux reads page_array without the mutex (xa_load); the driver's map needs it for
  // the look-up alone. Nothing else adds a page at the hole, so the look-up finds none.
  p.instrs[kLookup] = make_instr("encl->lock", [](const auto& d, auto& w, size_t t) {
    lock_mutex(d, w, t);
    unlock_mutex(d, w);
    go_if(d, w.th[t], d.lit(true), kAugLock);
  }, kHoldsMutex);
  p.instrs[kAugLock] = make_instr("encl->lock", [](const auto& d, auto& w, size_t t) {
    reach_lock(d, w, t, kAug);
  }, kHoldsMutex);
  p.instrs[kAug] = make_instr("eaug.end", [=](const auto& d, auto& w, size_t t) {
    using D = std::decay_t<decltype(d)>;
    auto& me = w.th[t];
    lock_mutex(d, w, t);
    const LoadStep<D> secs = load_secs_step(d, l, w, d.lit(!skips_secs_reload));
    const typename D::Bool go = secs.in || d.lit(skips_secs_reload);
    const EaugStep<D> aug = eaug_page(d, w, cpu, d.num(page), go);
    // The SECS the driver no longer has in the EPC: Linux's NULL dereference.
    w.ghost.warn = w.ghost.warn || (aug.tried && !w.drv.secs_resident);
    // SIGBUS: the EAUG refused, or the SECS's ELDU (a WARN already).
    me.rv = ite((aug.tried && !aug.ok) || secs.failed, d.num(ret::kEfault), me.rv);
    // -EBUSY (no free EPC page) reaches no leaf: the region runs on to the unlock, and
    // the fault is taken again (rv -EAGAIN marks it). After the SECS's ELDU the thread
    // stays for the rest.
    const typename D::Bool busy = secs.busy || aug.busy;
    me.rv = ite(busy, d.num(ret::kEagain), me.rv);
    go_if(d, me, aug.tried || secs.failed || busy, kUnlock);
    continue_region_if(me, busy);
  }, kHoldsMutex);
  p.instrs[kAug].point_at = [=](const World<C>& w, size_t) {
    return w.drv.secs_resident || skips_secs_reload ? "eaug.end" : "eldu.end";
  };
  // The access the fault was for then runs again and goes through, setting the PTE's
  // Accessed bit: ksgxd's aging will skip the new page once.
  p.instrs[kUnlock] = make_instr("encl->lock", [=](const auto& d, auto& w, size_t t) {
    using D = std::decay_t<decltype(d)>;
    auto& me = w.th[t];
    unlock_mutex(d, w);
    const typename D::Bool again = me.rv == ret::kEagain;
    put(d, w.accessed, d.num(page), me.rv == ret::kOk, Flag<D>{d.lit(true)});
    me.rv = ite(again, d.num(ret::kOk), me.rv);
    go_if(d, me, again, kLock);
    go_if(d, me, !again, kEnd);
  });
  return p;
}

}  // namespace sgxref::proofs::flows
