#include "flows/file_program.h"

#include <algorithm>
#include <string>

#include "flows/catalogue.h"
#include "flows/ioctl_return.h"
#include "flows/leaf_calls.h"
#include "flows/load_page.h"
#include "flows/modify_ioctl.h"

namespace sgxref::proofs::flows {

namespace {

using file::Cond;
using file::FlowFile;
using file::Op;
using Kind = file::Op::Kind;

// What a step's ops have found so far.
template <class D>
struct Found {
  LoadStep<D> page, secs;
  typename D::Bool ok, faulted;
  typename D::Bool live;     // no goto, fail or return taken yet
  typename D::Bool reached;  // the step reached a scheduling point
};

template <model::Domain D>
typename D::Bool holds(const D& d, const World<D>& w, const Thread<D>& me, const Found<D>& f,
                       const typename D::Int& page, int64_t n, Cond c) {
  switch (c) {
    case Cond::kPageIn: return f.page.in;
    case Cond::kPageBusy: return f.page.busy;
    case Cond::kPageFailed: return f.page.failed;
    case Cond::kSecsIn: return f.secs.in;
    case Cond::kSecsBusy: return f.secs.busy;
    case Cond::kSecsFailed: return f.secs.failed;
    case Cond::kOk: return f.ok;
    case Cond::kFaulted: return f.faulted;
    case Cond::kPageReg: return at(d, w.drv.pages, page, &PageRecord<D>::type) == arch::pt::kReg;
    case Cond::kPageTcs: return at(d, w.drv.pages, page, &PageRecord<D>::type) == arch::pt::kTcs;
    case Cond::kSecsResident: return w.drv.secs_resident;
    case Cond::kMore: return me.index < n;
    case Cond::kStarted: return d.num(0) < me.index;
    case Cond::kRvOk: return me.rv == ret::kOk;
    case Cond::kTail: return me.tail;
  }
  return d.lit(false);
}

// Step `s` of thread `t`. In the concrete domain `point`, when given, gets the
// scheduling point the step reached ("" for none).
template <model::Domain D>
void run_step(const D& d, const Layout& l, const FlowFile& f, size_t s, World<D>& w, size_t t,
              std::string* point) {
  using Bool = typename D::Bool;
  const file::Step& step = f.steps[s];
  const int64_t first = l.data_page(0), n = int64_t(l.data_pages), end = int64_t(f.steps.size());
  Thread<D>& me = w.th[t];
  if (step.mutex) lock_mutex(d, w, t);
  const typename D::Int page = me.index + first;
  const Bool no = d.lit(false);
  Found<D> found{{no, no, no, no}, {no, no, no, no}, no, no, d.lit(true), no};
  const auto reach = [&](const Bool& when, const std::string& where) {
    found.reached = found.reached || when;
    if constexpr (!D::kSymbolic) {
      if (point && when) *point = where;
    }
  };
  const auto jump = [&](const Bool& when, int64_t to) {
    go_if(d, me, when, to);
    found.live = found.live && !when;
  };
  for (const Op& op : step.ops) {
    Bool g = found.live;
    for (const file::Literal& lit : op.when) {
      const Bool c = holds(d, w, me, found, page, n, lit.cond);
      g = g && (lit.negated ? !c : c);
    }
    switch (op.kind) {
      case Kind::kReachLock:
        reach(g, file::point_of(op.kind));
        run_on_if(me, g);
        jump(g, int64_t(op.to));
        break;
      case Kind::kUnlock:
        reach(g, file::point_of(op.kind));
        w.drv.mutex = ite(g, d.num(0), w.drv.mutex);
        break;
      case Kind::kLoadPage:
      case Kind::kLoadSecs: {
        // An ELDU (the SECS's first, for a page) is the step: it ends there and runs
        // again, until what it loads is in.
        const LoadStep<D> ld = op.kind == Kind::kLoadPage ? load_page_step(d, l, w, page, g)
                                                          : load_secs_step(d, l, w, g);
        (op.kind == Kind::kLoadPage ? found.page : found.secs) = ld;
        reach(ld.loading || ld.failed, file::point_of(op.kind));
        found.live = found.live && !ld.loading;
        break;
      }
      case Kind::kEmodpr:
      case Kind::kEmodt: {
        const bool trim = op.kind == Kind::kEmodt;
        const arch::Outcome<D> out = modify_if(d, w, g, trim, trim ? trimmed() : restricted_rights(),
                                               Layout::kernel_cpu(), at(d, w.drv.pages, page, &PageRecord<D>::slot));
        reach(g, file::point_of(op.kind));
        found.ok = g && succeeded(out);
        found.faulted = g && arch::faulted(out);
        break;
      }
      case Kind::kEtrack: {
        // The driver's WARN_ON: ETRACK on a SECS it does not have in the EPC is its own
        // bug, and the ETRACK flow fails without the leaf.
        const Bool evicted = g && !w.drv.secs_resident;
        w.ghost.warn = w.ghost.warn || evicted;
        const arch::Outcome<D> out = etrack_if(d, w, g && !evicted);
        reach(g && !evicted, file::point_of(op.kind));
        found.ok = g && !evicted && succeeded(out);
        found.faulted = g && !evicted && arch::faulted(out);
        break;
      }
      case Kind::kIpi:
        ipi_enclave_cpus(d, w, g);
        reach(g, file::point_of(op.kind));
        break;
      case Kind::kWarn:
        w.ghost.warn = w.ghost.warn || g;
        break;
      case Kind::kSet:
        if (op.var == "rv") me.rv = ite(g, d.num(op.value), me.rv);
        if (op.var == "tail") me.tail = ite(g, d.lit(op.value != 0), me.tail);
        break;
      case Kind::kNextPage:
        // As Linux sets entry->type once the page is done.
        if (f.trim) put(d, w.drv.pages, page, g, &PageRecord<D>::type, d.num(arch::pt::kTrim));
        me.index = ite(g, me.index + 1, me.index);
        break;
      case Kind::kGoto:
        jump(g, int64_t(op.to));
        break;
      case Kind::kFail:
        me.rv = ite(g, d.num(op.value), me.rv);
        jump(g, int64_t(op.to));
        break;
      case Kind::kReturn:
        ioctl_return(d, first, n, f.trim, w, me, g, end);
        found.live = found.live && !g;
        break;
    }
  }
  // Off the end of a step: the next one, or the return after the last.
  if (s + 1 < f.steps.size()) {
    go_if(d, me, found.live, int64_t(s + 1));
  } else {
    ioctl_return(d, first, n, f.trim, w, me, found.live, end);
  }
  continue_region_if(me, !found.reached);
}

}  // namespace

Layout file_layout(const FlowFile& f, size_t data_pages, size_t enclave_threads) {
  Layout l;
  l.data_pages = data_pages;
  l.enclave_threads = enclave_threads;
  l.reclaimer = f.reclaimer;
  return l;
}

Program file_program(const Layout& l, std::shared_ptr<const FlowFile> f) {
  Program p{f->name, Layout::kernel_cpu(), {}};
  for (size_t s = 0; s < f->steps.size(); ++s) {
    Instr i;
    i.point = f->steps[s].point;
    i.point_at = [l, f, s](const World<C>& w, size_t t) {
      World<C> copy = w;
      std::string reached;
      run_step(C{}, l, *f, s, copy, t, &reached);
      return reached;
    };
    i.sym = [l, f, s](const S& d, World<S>& w, size_t t) { run_step(d, l, *f, s, w, t, nullptr); };
    i.conc = [l, f, s](const C& d, World<C>& w, size_t t) { run_step(d, l, *f, s, w, t, nullptr); };
    // A lock step waits for the lock as the built-in flows' do (program.h): reaching
    // its point changes nothing another thread sees.
    const auto locks = [&](const Op& op) { return op.kind == Kind::kReachLock; };
    if (f->steps[s].mutex || std::any_of(f->steps[s].ops.begin(), f->steps[s].ops.end(), locks)) {
      i.ready_sym = kHoldsMutex;
      i.ready_conc = kHoldsMutex;
    } else {
      i.ready_sym = [](const S& d, const World<S>&, size_t) { return d.lit(true); };
      i.ready_conc = [](const C& d, const World<C>&, size_t) { return d.lit(true); };
    }
    p.instrs.push_back(std::move(i));
  }
  return p;
}

System file_system(std::shared_ptr<const FlowFile> f, const Variant& v, const Layout& l) {
  return racing(file_program(l, f), f->trim, v, l);
}

}  // namespace sgxref::proofs::flows
