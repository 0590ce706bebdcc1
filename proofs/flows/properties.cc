#include "flows/properties.h"

namespace sgxref::proofs::flows {

namespace {

// `broken(d, sys, w)` is generic over the domain.
template <class Broken>
Property property(std::string name, Broken broken) {
  return {std::move(name), broken, broken};
}

}  // namespace

const std::vector<Property>& properties() {
  static const std::vector<Property> kAll = {
      property("H1 TLB safety", [](const auto& d, const System&, const auto& w) { return !arch::h1(d, w.hw); }),
      property("H2 eviction safety", [](const auto& d, const System&, const auto& w) { return !arch::h2(d, w.hw); }),
      property("H3 accept safety", [](const auto& d, const System&, const auto& w) { return !arch::h3(d, w.hw); }),
      property("H4 anti-replay", [](const auto& d, const System&, const auto& w) { return !arch::h4(d, w.hw); }),
      property("well-formedness", [](const auto& d, const System&, const auto& w) { return !arch::well_formed(d, w.hw); }),
      property("D1 no driver bug", [](const auto&, const System&, const auto& w) { return w.ghost.warn; }),
      property("D3 contract", [](const auto&, const System&, const auto& w) { return w.ghost.contract; }),
      property("D4 promise kept", [](const auto&, const System&, const auto& w) { return w.ghost.promise; }),
      property("D6 progress", [](const auto& d, const System& sys, const auto& w) { return stuck(d, sys, w); }),
  };
  return kAll;
}

}  // namespace sgxref::proofs::flows
