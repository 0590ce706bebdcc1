#include "flows/reclaimer.h"

#include "flows/leaf_calls.h"
#include "flows/load_page.h"

namespace sgxref::proofs::flows {

namespace {

enum Label : int64_t {
  kIsolate,      // the LRU scanned: the batch
  kMarkLock,     // per page: aged (skipped if young), then encl->lock's point
  kMark,         //   the mutex taken, the page marked, the mutex dropped
  kZap,          // per page: its PTEs zapped, the TLB shootdown's IPI
  kBlockLock,    //   encl->lock's point
  kEblock,       //   the mutex taken, EBLOCK
  kBlockUnlock,  //   the mutex dropped
  kWriteLock,    // per page: encl->lock's point
  kEwb,          //   the mutex taken, EWB
  kEtrack,       //   not tracked: ETRACK
  kEwbRetry,     //   EWB again
  kIpi,          //   still not tracked: the IPI
  kEwbLast,      //   EWB a last time
  kEwbSecs,      //   the last child out: EWB of the SECS
  kWriteUnlock,  //   the mutex dropped
  kEnd,
};

// The LRU holds the data pages [first, pages): the TCS and SSA pages of a running
// thread are young, and sgx_reclaimer_age would skip them.
struct Shape {
  int64_t cpu, first, pages, va_page;
  bool skips_etrack_retry, skips_ipi_retry;
};

// The first page of the batch at or after `from`; `pages` when there is none.
template <model::Domain D>
typename D::Int next_victim(const D& d, const Shape& f, const World<D>& w, const typename D::Int& from) {
  typename D::Int r = d.num(f.pages);
  for (int64_t p = f.pages; p-- > f.first;)
    r = ite(from <= p && w.drv.pages[size_t(p)].isolated, d.num(p), r);
  return r;
}

// When `when`, the cursor moves to the next page of the batch: `more` there, `done` at the
// end of the pass (the cursor back at the batch's first page), or the end of the batch
// when aging left no page in it.
template <model::Domain D>
void advance(const D& d, const Shape& f, World<D>& w, Thread<D>& me, const typename D::Bool& when,
             int64_t more, int64_t done) {
  const typename D::Int next = next_victim(d, f, w, me.index + 1);
  const typename D::Bool end = !(next < f.pages);
  const typename D::Int first = next_victim(d, f, w, d.num(0));
  me.index = ite(when, ite(end, first, next), me.index);
  go_if(d, me, when && end && first < f.pages, done);
  go_if(d, me, when && end && !(first < f.pages), kEnd);
  go_if(d, me, when && !end, more);
}

template <model::Domain D>
typename D::Int victim_slot(const D& d, const World<D>& w, const Thread<D>& me) {
  return at(d, w.drv.pages, me.index, &PageRecord<D>::slot);
}

template <model::Domain D>
arch::Outcome<D> ewb_if(const D& d, const Shape& f, World<D>& w, const typename D::Bool& when,
                        const typename D::Int& slot, const typename D::Int& blob) {
  return leaf_if(d, w, when, [](const D& dd, arch::State<D>& s, const arch::EwbOp<D>& op) {
    return arch::ewb(dd, s, op);
  }, arch::EwbOp<D>{d.num(f.cpu), slot, d.num(f.va_page), lowest_va(d, w), blob});
}

template <model::Domain D>
typename D::Bool not_tracked(const arch::Outcome<D>& o) {
  return o.kind == arch::kind::kCode && o.code == arch::sgx::kNotTracked;
}

// The page is out, its EWB done or failed (a failure is D1; the page is lost either
// way, as in Linux): its records, its EPC slot freed, the SECS next if it was the last.
template <model::Domain D>
void written(const D& d, World<D>& w, Thread<D>& me, const typename D::Bool& when,
             const typename D::Bool& ok) {
  w.ghost.warn = w.ghost.warn || (when && !ok);
  const typename D::Int va = lowest_va(d, w);
  put(d, w.drv.va_used, va, when && ok, Flag<std::decay_t<decltype(d)>>{d.lit(true)});
  PageRecord<D> out = at(d, w.drv.pages, me.index);
  put(d, w.drv.free, out.slot, when, Flag<std::decay_t<decltype(d)>>{d.lit(true)});
  out.resident = d.lit(false);
  out.isolated = d.lit(false);
  out.reclaim = d.lit(false);
  out.va = va;
  put(d, w.drv.pages, me.index, when, out);
  w.drv.children = ite(when, model::dec_sat(w.drv.children), w.drv.children);
  go_if(d, me, when && w.drv.children == 0, kEwbSecs);
  go_if(d, me, when && !(w.drv.children == 0), kWriteUnlock);
}

}  // namespace

Program reclaimer(const Layout& l, const Variant& v) {
  const Shape f{Layout::kernel_cpu(), l.data_page(0), l.pages(), l.va_slot(),
                v.bug("ewb-skips-etrack-retry"), v.bug("ewb-skips-ipi-retry")};

  Program p{"ksgxd", f.cpu, {}};
  p.instrs.resize(kEnd);
  // The LRU's lock is no scheduling point the flows share: the thread runs on into the
  // first page's aging.
  p.instrs[kIsolate] = make_instr("", [=](const auto& d, auto& w, size_t t) {
    auto& me = w.th[t];
    for (int64_t page = f.first; page < f.pages; ++page) {
      auto& rec = w.drv.pages[size_t(page)];
      rec.isolated = rec.resident && !rec.reclaim;
    }
    me.index = next_victim(d, f, w, d.num(0));
    const auto none = !(me.index < f.pages);
    go_if(d, me, none, kEnd);
    go_if(d, me, !none, kMarkLock);
    continue_region_if(me, d.lit(true));
  });
  // sgx_reclaimer_age: a page whose Accessed bit was set goes back to the LRU (the bit
  // cleared), and the thread runs on to the next page's aging.
  p.instrs[kMarkLock] = make_instr("encl->lock", [=](const auto& d, auto& w, size_t t) {
    using D = std::decay_t<decltype(d)>;
    auto& me = w.th[t];
    const typename D::Bool young = at(d, w.accessed, me.index).on;
    put(d, w.accessed, me.index, young, Flag<D>{d.lit(false)});
    put(d, w.drv.pages, me.index, young, &PageRecord<D>::isolated, d.lit(false));
    go_if(d, me, !young, kMark);
    advance(d, f, w, me, young, kMarkLock, kZap);
    continue_region_if(me, young);
    // At the lock's point: it takes the lock at once if it is free (reach_lock).
    run_on_if(me, !young && mutex_free_or_mine(d, w, t));
  });
  p.instrs[kMark] = make_instr("encl->lock", [=](const auto& d, auto& w, size_t t) {
    auto& me = w.th[t];
    lock_mutex(d, w, t);
    put(d, w.drv.pages, me.index, d.lit(true), &PageRecord<std::decay_t<decltype(d)>>::reclaim, d.lit(true));
    unlock_mutex(d, w);
    advance(d, f, w, me, d.lit(true), kMarkLock, kZap);
  }, kHoldsMutex);
  p.instrs[kZap] = make_instr("ipi_mask.end", [=](const auto& d, auto& w, size_t t) {
    zap_page(d, w, w.th[t].index);
    go_if(d, w.th[t], d.lit(true), kBlockLock);
  });
  p.instrs[kBlockLock] = make_instr("encl->lock", [](const auto& d, auto& w, size_t t) {
    reach_lock(d, w, t, kEblock);
  }, kHoldsMutex);
  p.instrs[kEblock] = make_instr("eblock.end", [=](const auto& d, auto& w, size_t t) {
    using D = std::decay_t<decltype(d)>;
    lock_mutex(d, w, t);
    const auto out = leaf_if(d, w, d.lit(true), [](const D& dd, arch::State<D>& s, const arch::PageOp<D>& op) {
      return arch::eblock(dd, s, op);
    }, arch::PageOp<D>{d.num(f.cpu), victim_slot(d, w, w.th[t])});
    w.ghost.warn = w.ghost.warn || !succeeded(out);
    go_if(d, w.th[t], d.lit(true), kBlockUnlock);
  }, kHoldsMutex);
  p.instrs[kBlockUnlock] = make_instr("encl->lock", [=](const auto& d, auto& w, size_t t) {
    unlock_mutex(d, w);
    advance(d, f, w, w.th[t], d.lit(true), kZap, kWriteLock);
  });
  p.instrs[kWriteLock] = make_instr("encl->lock", [](const auto& d, auto& w, size_t t) {
    reach_lock(d, w, t, kEwb);
  }, kHoldsMutex);
  // sgx_encl_ewb's attempts: an EWB, then (not tracked, and the retry is there) the
  // next step of the flow, or the page written out.
  const auto ewb_attempt = [=](int64_t retry_at, bool retries) {
    return [=](const auto& d, auto& w, size_t t) {
      auto& me = w.th[t];
      const auto out = ewb_if(d, f, w, d.lit(true), victim_slot(d, w, me), me.index);
      const auto retry = not_tracked(out) && d.lit(retries);
      go_if(d, me, retry, retry_at);
      written(d, w, me, !retry, succeeded(out));
    };
  };
  const auto first_ewb = ewb_attempt(kEtrack, !f.skips_etrack_retry);
  p.instrs[kEwb] = make_instr("ewb.end", [=](const auto& d, auto& w, size_t t) {
    lock_mutex(d, w, t);
    first_ewb(d, w, t);
  }, kHoldsMutex);
  p.instrs[kEtrack] = make_instr("etrack.end", [=](const auto& d, auto& w, size_t t) {
    const auto out = etrack_if(d, w, d.lit(true));
    // Linux WARNs when this ETRACK fails, unless with a #PF.
    w.ghost.warn = w.ghost.warn || (!succeeded(out) && !(out.kind == arch::kind::kPf));
    go_if(d, w.th[t], d.lit(true), kEwbRetry);
  });
  p.instrs[kEwbRetry] = make_instr("ewb.end", ewb_attempt(kIpi, !f.skips_ipi_retry));
  p.instrs[kIpi] = make_instr("ipi_mask.end", [=](const auto& d, auto& w, size_t t) {
    ipi_enclave_cpus(d, w, d.lit(true));
    go_if(d, w.th[t], d.lit(true), kEwbLast);
  });
  p.instrs[kEwbLast] = make_instr("ewb.end", ewb_attempt(kEnd, false));
  p.instrs[kEwbSecs] = make_instr("ewb.end", [=](const auto& d, auto& w, size_t t) {
    const auto va = lowest_va(d, w);
    const auto out = ewb_if(d, f, w, d.lit(true), w.drv.secs, d.num(l.secs_blob()));
    const auto ok = succeeded(out);
    w.ghost.warn = w.ghost.warn || !ok;
    put(d, w.drv.va_used, va, ok, Flag<std::decay_t<decltype(d)>>{d.lit(true)});
    put(d, w.drv.free, w.drv.secs, ok, Flag<std::decay_t<decltype(d)>>{d.lit(true)});
    w.drv.secs_va = ite(ok, va, w.drv.secs_va);
    w.drv.secs_resident = w.drv.secs_resident && !ok;
    go_if(d, w.th[t], d.lit(true), kWriteUnlock);
  });
  p.instrs[kWriteUnlock] = make_instr("encl->lock", [=](const auto& d, auto& w, size_t t) {
    unlock_mutex(d, w);
    advance(d, f, w, w.th[t], d.lit(true), kWriteLock, kEnd);
  });
  return p;
}

}  // namespace sgxref::proofs::flows
