// File: what the checker asks of every world a system reaches, each a predicate that
// holds when the property is broken, in both domains: the architecture's H1 to H4 and
// well-formedness (broken only if the model is wrong: the hardware keeps them whatever
// the driver does), and the driver's D1 (a WARN), D3 (count and error), D4 (the
// promise to an enclave thread entering after the return) and D6 (every thread blocked
// before all have ended).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "flows/system.h"

namespace sgxref::proofs::flows {

struct Property {
  std::string name;
  std::function<S::Bool(const S&, const System&, const World<S>&)> broken_sym;
  std::function<bool(const C&, const System&, const World<C>&)> broken_conc;

  template <model::Domain D>
  typename D::Bool broken(const D& d, const System& sys, const World<D>& w) const {
    if constexpr (D::kSymbolic) {
      return broken_sym(d, sys, w);
    } else {
      return broken_conc(d, sys, w);
    }
  }
};

const std::vector<Property>& properties();

}  // namespace sgxref::proofs::flows
