#include "flows/system.h"

namespace sgxref::proofs::flows {

std::string next_point(const System& sys, const World<C>& w, size_t t) {
  const size_t pc = size_t(w.th.at(t).pc);
  return pc < sys.length(t) ? sys.threads[t].instrs[pc].point : "end";
}

}  // namespace sgxref::proofs::flows
