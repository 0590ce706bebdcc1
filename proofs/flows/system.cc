#include "flows/system.h"

namespace sgxref::proofs::flows {

std::string next_point(const System& sys, const World<C>& w, size_t t) {
  const size_t pc = size_t(w.th.at(t).pc);
  if (pc >= sys.length(t)) return "end";
  if (step(C{}, sys, w, t).th[t].off_point) return "";
  const Instr& i = sys.threads[t].instrs[pc];
  return i.point_at ? i.point_at(w, t) : i.point;
}

}  // namespace sgxref::proofs::flows
