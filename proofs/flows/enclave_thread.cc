#include "flows/enclave_thread.h"

#include <string>

#include "flows/eaug_page.h"

namespace sgxref::proofs::flows {

namespace {

enum Label : int64_t {
  kEenter,
  kEaccept,
  kEexit,
  kLookupLock,   // the fault handler (sgx_vma_fault): the page looked up, under the
  kLookup,       //   mutex (impl/driver's page_array needs it where Linux's xa_load
                 //   does not), and the mutex dropped
  kFaultLock,    //   encl->lock's point
  kFaultLoad,    //   the mutex taken; sgx_encl_load_page, then the PTE
  kFaultUnlock,  //   the mutex dropped; back to the faulting instruction
  kAugLock,      //   no page at the address (REMOVE_PAGES erased it): encl->lock's point
  kAug,          //   the mutex taken; sgx_encl_eaug_page, then the unlock as above
  kEnd,
  // Where no page is ever erased the program stops short of the EAUG path (its pc at
  // kEnd still means ended), so the checker builds no terms for it.
  kEndWithoutEaug = kAugLock,
};

struct Shape {
  int64_t cpu, tcs, ssa, first, n, ioctl_end;
};

template <model::Domain D>
typename D::Bool inside(const D& d, const Shape& f, const World<D>& w) {
  return at(d, w.hw.cpu, d.num(f.cpu), &arch::Cpu<D>::mode);
}

template <model::Domain D>
typename D::Bool ioctl_returned(const D& d, const Shape& f, const World<D>& w) {
  return d.num(f.ioctl_end) <= w.th[0].pc;
}

// A #PF from the instruction at `here`: the fault handler loads the page and maps it,
// then the thread runs that instruction again (after ERESUME, if it was inside).
template <model::Domain D>
void page_fault(const D& d, Thread<D>& me, const arch::Outcome<D>& out, const typename D::Bool& when,
                int64_t here) {
  const typename D::Bool pf = when && out.kind == arch::kind::kPf;
  me.fault = ite(pf, out.addr, me.fault);
  me.back = ite(pf, d.num(here), me.back);
  go_if(d, me, pf, kLookupLock);
}

// EENTER or ERESUME when `when`; a success is an entry, after the ioctl's return or not.
// A #PF (its TCS or SSA page out) goes to the fault handler.
template <model::Domain D>
typename D::Bool enter(const D& d, const Shape& f, World<D>& w, Thread<D>& me,
                       const typename D::Bool& when, bool resume, int64_t here) {
  const arch::EnterOp<D> op{d.num(f.cpu), d.num(f.tcs)};
  const arch::Outcome<D> out =
      resume ? leaf_if(d, w, when, [](const D& dd, arch::State<D>& s, const arch::EnterOp<D>& o) {
                 return arch::eresume(dd, s, o);
               }, op)
             : leaf_if(d, w, when, [](const D& dd, arch::State<D>& s, const arch::EnterOp<D>& o) {
                 return arch::eenter(dd, s, o);
               }, op);
  const typename D::Bool entered = when && succeeded(out);
  me.after = ite(entered, ioctl_returned(d, f, w), me.after);
  page_fault(d, me, out, when, here);
  return entered;
}

}  // namespace

Program enclave_thread(const Layout& l, size_t e, size_t ioctl_length, const arch::SecInfo<C>& accept) {
  const Shape f{Layout::enclave_cpu(e), l.tcs_page(e), l.ssa_page(e), l.data_page(0),
                int64_t(l.data_pages), int64_t(ioctl_length)};
  Program p{"enclave thread " + std::to_string(e + 1), f.cpu, {}};
  p.instrs.resize(l.trimmed ? kEnd : kEndWithoutEaug);
  p.instrs[kEenter] = make_instr("eenter.end", [=](const auto& d, auto& w, size_t t) {
    auto& me = w.th[t];
    go_if(d, me, enter(d, f, w, me, d.lit(true), false, kEenter), kEaccept);
  });
  p.instrs[kEaccept] = make_instr("eaccept.end", [=](const auto& d, auto& w, size_t t) {
    using D = std::decay_t<decltype(d)>;
    auto& me = w.th[t];
    const typename D::Bool in = inside(d, f, w);
    enter(d, f, w, me, !in, true, kEaccept);
    // The walk to the target page sets its Accessed bit (the SECINFO, on the SSA page,
    // never faults first); only the reclaimer's aging reads it.
    const typename D::Int page = me.index + f.first;
    if (l.reclaimer) {
      const typename D::Bool walked = in && arch::pte_of(d, w.hw, d.num(f.cpu), page).present;
      put(d, w.accessed, page, walked, Flag<D>{d.lit(true)});
    }
    const arch::SecInfo<D> si = secinfo(d, accept);
    const arch::Outcome<D> out = leaf_if(d, w, in, [](const D& dd, arch::State<D>& s, const arch::AcceptOp<D>& op) {
      return arch::eaccept(dd, s, op);
    }, arch::AcceptOp<D>{d.num(f.cpu), d.num(f.ssa), page, si});
    // A fault is an AEX: ERESUME runs the EACCEPT again, after the fault handler for a #PF.
    page_fault(d, me, out, in, kEaccept);
    const typename D::Bool answered = in && !arch::faulted(out);
    const typename D::Bool promised = me.after && me.index < w.th[0].count;
    w.ghost.promise = w.ghost.promise ||
                      (answered && promised && out.kind == arch::kind::kCode &&
                       out.code == arch::sgx::kNotTracked);
    me.index = ite(answered, me.index + 1, me.index);
    go_if(d, me, answered && !(me.index < f.n), kEexit);
  });
  p.instrs[kEexit] = make_instr("eexit.end", [=](const auto& d, auto& w, size_t t) {
    using D = std::decay_t<decltype(d)>;
    auto& me = w.th[t];
    const typename D::Bool in = inside(d, f, w);
    enter(d, f, w, me, !in, true, kEexit);
    leaf_if(d, w, in, [](const D& dd, arch::State<D>& s, const arch::CpuOp<D>& op) {
      return arch::eexit(dd, s, op);
    }, arch::CpuOp<D>{d.num(f.cpu)});
    go_if(d, me, in, kEnd);
  });
  // ERESUME, EENTER and EEXIT name their own point: the instruction that runs first.
  const auto entry_point = [f](const char* own) {
    return [f, own](const World<C>& w, size_t) {
      return w.hw.cpu[size_t(f.cpu)].mode ? std::string(own) : std::string("eresume.end");
    };
  };
  p.instrs[kEaccept].point_at = entry_point("eaccept.end");
  p.instrs[kEexit].point_at = entry_point("eexit.end");

  // The look-up changes nothing. A page REMOVE_PAGES erased is not found, and SGX2's
  // fault handler EAUGs a fresh one there.
  p.instrs[kLookupLock] = make_instr("encl->lock", [](const auto& d, auto& w, size_t t) {
    reach_lock(d, w, t, kLookup);
  }, kHoldsMutex);
  p.instrs[kLookup] = make_instr("encl->lock", [=](const auto& d, auto& w, size_t t) {
    using D = std::decay_t<decltype(d)>;
    auto& me = w.th[t];
    // Only REMOVE_PAGES' flow, where no reclaimer evicts, has pages that are not resident.
    const typename D::Bool gone =
        l.trimmed ? !at(d, w.drv.pages, me.fault, &PageRecord<D>::resident) : d.lit(false);
    go_if(d, me, !gone, kFaultLock);
    go_if(d, me, gone, kAugLock);
  }, kHoldsMutex);
  p.instrs[kFaultLock] = make_instr("encl->lock", [](const auto& d, auto& w, size_t t) {
    reach_lock(d, w, t, kFaultLoad);
  }, kHoldsMutex);
  // A page the reclaimer holds is VM_FAULT_NOPAGE: back to the instruction, which faults
  // again until the reclaimer is done. A failed load is SIGBUS: the thread dies. Past
  // the last ELDU, vmf_insert_pfn and the unlock come with no scheduling point between.
  p.instrs[kFaultLoad] = make_instr("eldu.end", [=](const auto& d, auto& w, size_t t) {
    using D = std::decay_t<decltype(d)>;
    auto& me = w.th[t];
    lock_mutex(d, w, t);
    // REMOVE_PAGES may have erased the page since the look-up: no page to load, SIGBUS
    // (no leaf reached).
    const typename D::Bool here =
        l.trimmed ? at(d, w.drv.pages, me.fault, &PageRecord<D>::resident) : d.lit(true);
    const typename D::Bool erased = l.trimmed ? !here : d.lit(false);
    const LoadStep<D> load = load_page_step(d, l, w, me.fault, here);
    leaf_if(d, w, load.in, [](const D& dd, arch::State<D>& s, const arch::PteSetOp<D>& op) {
      return arch::pte_set(dd, s, op);
    }, arch::PteSetOp<D>{d.num(0), me.fault, at(d, w.drv.pages, me.fault, &PageRecord<D>::slot),
                         d.lit(true), d.lit(false)});
    continue_region_if(me, load.in || load.busy || erased);
    me.back = ite(load.failed || erased, d.num(kEnd), me.back);
    go_if(d, me, load.in || load.busy || load.failed || erased, kFaultUnlock);
  }, kHoldsMutex);
  p.instrs[kFaultUnlock] = make_instr("encl->lock", [](const auto& d, auto& w, size_t t) {
    auto& me = w.th[t];
    unlock_mutex(d, w);
    me.pc = me.back;
  });
  if (!l.trimmed) return p;
  p.instrs[kAugLock] = make_instr("encl->lock", [](const auto& d, auto& w, size_t t) {
    reach_lock(d, w, t, kAug);
  }, kHoldsMutex);
  // Only REMOVE_PAGES erases a page, and no ksgxd races it: the SECS is in. No free EPC
  // page is VM_FAULT_NOPAGE (no leaf; the instruction faults again), a refused EAUG
  // SIGBUS.
  p.instrs[kAug] = make_instr("eaug.end", [=](const auto& d, auto& w, size_t t) {
    using D = std::decay_t<decltype(d)>;
    auto& me = w.th[t];
    lock_mutex(d, w, t);
    const EaugStep<D> aug = eaug_page(d, w, f.cpu, me.fault, d.lit(true));
    continue_region_if(me, aug.busy);
    me.back = ite(aug.tried && !aug.ok, d.num(kEnd), me.back);
    go_if(d, me, d.lit(true), kFaultUnlock);
  }, kHoldsMutex);
  return p;
}

}  // namespace sgxref::proofs::flows
