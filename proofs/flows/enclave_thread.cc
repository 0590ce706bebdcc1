#include "flows/enclave_thread.h"

#include <string>

#include "flows/leaf_calls.h"
#include "flows/restrict_permissions.h"

namespace sgxref::proofs::flows {

namespace {

enum Label : int64_t { kEenter, kEaccept, kEexit, kEnd };

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

// EENTER or ERESUME when `when`; a success is an entry, after the ioctl's return or not.
template <model::Domain D>
typename D::Bool enter(const D& d, const Shape& f, World<D>& w, Thread<D>& me,
                       const typename D::Bool& when, bool resume) {
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
  return entered;
}

}  // namespace

Program enclave_thread(const Layout& l, size_t e, size_t ioctl_length) {
  const Shape f{Layout::enclave_cpu(e), l.tcs_page(e), l.ssa_page(e), l.data_page(0),
                int64_t(l.data_pages), int64_t(ioctl_length)};
  Program p{"enclave thread " + std::to_string(e + 1), f.cpu, {}};
  p.instrs.resize(kEnd);
  p.instrs[kEenter] = make_instr("ENCLU[EENTER].end", [=](const auto& d, auto& w, size_t t) {
    auto& me = w.th[t];
    go_if(d, me, enter(d, f, w, me, d.lit(true), false), kEaccept);
  });
  p.instrs[kEaccept] = make_instr("ENCLU[EACCEPT].end", [=](const auto& d, auto& w, size_t t) {
    using D = std::decay_t<decltype(d)>;
    auto& me = w.th[t];
    const typename D::Bool in = inside(d, f, w);
    enter(d, f, w, me, !in, true);
    const arch::SecInfo<C> r = restricted_rights();
    const arch::SecInfo<D> si{d.lit(false), d.num(r.type), d.lit(r.r), d.lit(r.w), d.lit(r.x),
                              d.lit(false), d.lit(false), d.lit(r.pr)};
    const arch::Outcome<D> out = leaf_if(d, w, in, [](const D& dd, arch::State<D>& s, const arch::AcceptOp<D>& op) {
      return arch::eaccept(dd, s, op);
    }, arch::AcceptOp<D>{d.num(f.cpu), d.num(f.ssa), me.index + f.first, si});
    // A fault is an AEX: ERESUME runs the EACCEPT again.
    const typename D::Bool answered = in && !arch::faulted(out);
    const typename D::Bool promised = me.after && me.index < w.th[0].count;
    w.ghost.promise = w.ghost.promise ||
                      (answered && promised && out.kind == arch::kind::kCode &&
                       out.code == arch::sgx::kNotTracked);
    me.index = ite(answered, me.index + 1, me.index);
    go_if(d, me, answered && !(me.index < f.n), kEexit);
  });
  p.instrs[kEexit] = make_instr("ENCLU[EEXIT]", [=](const auto& d, auto& w, size_t t) {
    using D = std::decay_t<decltype(d)>;
    auto& me = w.th[t];
    const typename D::Bool in = inside(d, f, w);
    enter(d, f, w, me, !in, true);
    leaf_if(d, w, in, [](const D& dd, arch::State<D>& s, const arch::CpuOp<D>& op) {
      return arch::eexit(dd, s, op);
    }, arch::CpuOp<D>{d.num(f.cpu)});
    go_if(d, me, in, kEnd);
  });
  return p;
}

}  // namespace sgxref::proofs::flows
