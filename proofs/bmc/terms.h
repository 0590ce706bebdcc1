// File: the names the checker uses for the model's two domains and the records it moves
// between them.
#pragma once

#include <type_traits>

#include "arch/arch.h"
#include "domain/concrete.h"
#include "domain/symbolic.h"
#include "model/op.h"

namespace sgxref::proofs {

namespace arch = model::arch;
namespace test = model::test;

using S = model::Symbolic;
using C = model::Concrete;

template <class D>
using State = arch::State<D>;
template <class D>
using Outcome = arch::Outcome<D>;

// Whether a leaf of a record (model/leaves.h's walks) is a Bool, in either domain.
template <class T>
constexpr bool kIsBool =
    std::is_same_v<std::decay_t<T>, S::Bool> || std::is_same_v<std::decay_t<T>, bool>;

}  // namespace sgxref::proofs
