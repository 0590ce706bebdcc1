// File: the RapidCheck draws the uapi properties share (header-only: the property
// binaries link RapidCheck, the world library does not).
#pragma once

#include <rapidcheck.h>

#include <cstdint>

#include "uapi/enclave_state.h"

namespace sgxref::props {

// A number in [lo, hi), uniformly at every size: RapidCheck scales inRange by the
// generation size, which the properties' command budgets keep below its nominal 100.
template <class T>
rc::Gen<T> uniform(T lo, T hi) {
  return rc::gen::resize(100, rc::gen::inRange<T>(lo, hi));
}
template <class T>
T pick(T lo, T hi) {
  return *uniform(lo, hi);
}

// SECINFO.FLAGS for EACCEPT of `page` (null: not in the model): three times in four what
// the page's state asks for (so changes get accepted), otherwise one of the requests
// the selftests make, right or wrong.
inline uint64_t some_accept_flags(const model::uapi::Page* page) {
  namespace mu = model::uapi;
  namespace si = mu::secinfo;
  if (page != nullptr && pick(0, 4) != 0) {
    return si::type(page->type) | page->rights | (page->pending ? si::kPending : 0) |
           (page->modified ? si::kModified : 0) | (page->pr ? si::kPr : 0);
  }
  return *rc::gen::weightedOneOf<uint64_t>(
      {{4, rc::gen::just(si::type(mu::pt::kReg) | si::kPending | mu::prot::kRw)},
       {4, rc::gen::map(uniform<uint64_t>(0, 8),
                        [](uint64_t r) { return si::type(mu::pt::kReg) | si::kPr | r; })},
       {3, rc::gen::just(si::type(mu::pt::kTrim) | si::kModified)},
       {2, rc::gen::just(si::type(mu::pt::kTcs) | si::kModified)},
       {1, rc::gen::just(si::type(mu::pt::kReg) | mu::prot::kRw)}});
}

}  // namespace sgxref::props
