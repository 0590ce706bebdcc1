// File: a move, what one step of the checker may do: a transition of the model with its
// operands drawn from free variables. The same move also rebuilds, from a solver's
// model, the concrete operation it made (an Op of props/model/op.h, which prints as C++
// and replays on the emulator) and runs it in the concrete domain.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <variant>

#include "bmc/operands.h"
#include "bmc/terms.h"

namespace sgxref::proofs {

struct Move {
  std::string name;
  // Draws the operands from `g` and applies the transition to `s` in place.
  std::function<Outcome<S>(const S&, State<S>&, SymOperands&)> symbolic;
  // The operation the move made, with the operands a solver's model gives it.
  std::function<test::Op(ModelOperands&)> op;
  // The same transition in the concrete domain, for an Op that op() returned.
  std::function<Outcome<C>(const C&, State<C>&, const test::Op&)> concrete;
};

// A move of leaf `leaf`. `draw(g)` builds the leaf's operand record from either operand
// source (operands.h) in a fixed order; `transition(d, s, operands)` runs in both domains.
template <class Draw, class Transition>
Move make_move(std::string name, test::Leaf leaf, Draw draw, Transition transition) {
  using Args = decltype(draw(std::declval<ModelOperands&>()));
  return {std::move(name),
          [draw, transition](const S& d, State<S>& s, SymOperands& g) {
            return transition(d, s, draw(g));
          },
          [draw, leaf](ModelOperands& g) {
            return test::Op{leaf, draw(g)};
          },
          [transition](const C& d, State<C>& s, const test::Op& op) {
            return transition(d, s, std::get<Args>(op.args));
          }};
}

}  // namespace sgxref::proofs
