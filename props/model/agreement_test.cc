// The model's two interpretations agree: each transition (whole, and each phase of the
// two-phase leaves) and each invariant is built once over a symbolic state and symbolic
// operands (free Z3 variables of the fields' declared widths), then evaluated under many
// assignments and compared with the concrete run on the same values, which must keep
// every field within its width. Assignments come from random values and from states
// reached by random walks. Fixed seed, printed.
#include <gtest/gtest.h>
#include <z3++.h>

#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "domain/symbolic.h"
#include "model/leaves.h"
#include "model/random_walk.h"
#include "model/widths.h"
#include "model/world.h"

namespace sgxref::model::test {
namespace {

using S = Symbolic;

constexpr uint64_t kSeed = 0xA93EE001;
constexpr int kRandomTrials = 150;
constexpr int kReachedTrials = 150;

Sizes sizes() { return Sizes{4, 2, 4, 2, 3, 2, 2}; }

// The operands' widths: each as wide as the state fields it names.
const Widths kW = widths(sizes());
constexpr unsigned kCodeBits = 8;  // SGX codes

// The free variables of one case, in creation order; width 0 marks a Bool.
struct Vars {
  std::vector<z3::expr> list;
  std::vector<unsigned> width;
  void add(const z3::expr& e, unsigned bits) {
    list.push_back(e);
    width.push_back(bits);
  }
};

// Operand source for the symbolic run: a fresh variable per operand field.
struct SymGen {
  using D = S;
  const S& d;
  Vars& vars;
  S::Bool b() {
    S::Bool v = d.bool_var("op." + std::to_string(vars.list.size()));
    vars.add(v.e, 0);
    return v;
  }
  S::Int i(unsigned bits) {
    S::Int v = d.int_var("op." + std::to_string(vars.list.size()), bits);
    vars.add(v.e, bits);
    return v;
  }
};

// Operand source for the concrete run: the assigned values, in the same order.
struct ConcGen {
  using D = C;
  const std::vector<int64_t>& values;
  size_t next;
  bool b() { return values[next++] != 0; }
  int64_t i(unsigned) { return values[next++]; }
};

template <class G>
SecInfo<typename G::D> gen_si(G& g) {
  return {g.b(), g.i(kTypeBits), g.b(), g.b(), g.b(), g.b(), g.b(), g.b()};
}

// Reachable states with sizes(): random walks from power-on and from a small enclave.
std::vector<State<C>> reached_states(uint64_t seed) {
  std::vector<State<C>> pool;
  RandomWalk walk(seed);
  std::mt19937_64 rng(seed);
  while (pool.size() < size_t(kReachedTrials)) {
    World w(sizes());
    if (pool.size() % 2 == 0) {
      // SECS 0, TCS 1 at page 0 (SSA at page 1), REG 2 at page 1, VA 3.
      w.ecreate(0, 0, 4);
      w.eadd(1, 0, 0, si(pt::kTcs), 2, 1);
      w.eadd(2, 0, 1, si(pt::kReg, true, true), 0, 0, 6);
      w.epa(3);
      w.einit(0);
      w.map(0, 1);
      w.map(1, 2);
    }
    const int steps = int(rng() % 60);
    for (int k = 0; k < steps; ++k) walk.step(w);
    pool.push_back(w.s);
  }
  return pool;
}

class ModelAgreement : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::printf("ModelAgreement seed 0x%llx\n", static_cast<unsigned long long>(kSeed));
  }

  static const std::vector<State<C>>& pool() {
    static const std::vector<State<C>> states = reached_states(kSeed);
    return states;
  }

  // A state whose every leaf is a free variable named for its path, of its field's width.
  State<S> free_state(Vars& vars) {
    State<S> s = initial_state(d_, sizes());
    auto f = [&](const std::string& path, auto& leaf) {
      if constexpr (std::is_same_v<std::decay_t<decltype(leaf)>, S::Bool>) {
        leaf = d_.bool_var(path);
        vars.add(leaf.e, 0);
      } else {
        leaf = d_.int_var(path, leaf.width());
        vars.add(leaf.e, leaf.width());
      }
    };
    zip_leaves("s", f, s);
    return s;
  }

  int64_t draw_int(unsigned bits) {
    const uint64_t all = uint64_t(1) << bits;
    return int64_t(rng_() % 100 < 60 ? rng_() % std::min<uint64_t>(all, 6) : rng_() % all);
  }

  // Values for the variables: the state's from `from` (or random), the operands' random.
  std::vector<int64_t> assignment(const Vars& vars, size_t state_vars, const State<C>* from) {
    std::vector<int64_t> v;
    if (from != nullptr) {
      auto f = [&](const auto& leaf) { v.push_back(int64_t(leaf)); };
      zip_values(f, *from);
    }
    for (size_t k = v.size(); k < vars.list.size(); ++k)
      v.push_back(vars.width[k] == 0 ? int64_t(rng_() % 2) : draw_int(vars.width[k]));
    EXPECT_GE(v.size(), state_vars);
    return v;
  }

  State<C> load_state(const std::vector<int64_t>& values) {
    State<C> s = initial_state(c_, sizes());
    size_t k = 0;
    auto f = [&](auto& leaf) { leaf = static_cast<std::decay_t<decltype(leaf)>>(values[k++]); };
    zip_values(f, s);
    return s;
  }

  z3::model model_of(const Vars& vars, const std::vector<int64_t>& values) {
    z3::model m(ctx_);
    for (size_t k = 0; k < vars.list.size(); ++k) {
      z3::func_decl decl = vars.list[k].decl();
      z3::expr value = vars.width[k] == 0 ? ctx_.bool_val(values[k] != 0)
                                          : ctx_.bv_val(uint64_t(values[k]), vars.width[k]);
      m.add_const_interp(decl, value);
    }
    return m;
  }

  // Every leaf of `sym` evaluates under `m` to the matching leaf of `conc` (a concrete Int
  // the symbolic term's width cannot hold disagrees). Returns the first disagreement, or "".
  template <class TS, class TC>
  std::string disagreement(const z3::model& m, const std::string& name, const TS& sym,
                           const TC& conc) {
    z3::expr_vector eqs(ctx_);
    bool in_range = true;
    auto build = [&](const auto& s, const auto& c) {
      in_range = in_range && fits(s, c);
      if (fits(s, c)) eqs.push_back(s.e == literal(s, c));
    };
    zip_values(build, sym, conc);
    if (in_range && m.eval(z3::mk_and(eqs), true).is_true()) return "";
    std::string where;
    auto find = [&](const std::string& path, const auto& s, const auto& c) {
      if (!where.empty()) return;
      if (!fits(s, c))
        where = path + " = " + std::to_string(c) + ": outside the symbolic term's width";
      else if (!m.eval(s.e == literal(s, c), true).is_true())
        where = path + ": symbolic " + m.eval(s.e, true).to_string() + ", concrete " +
                std::to_string(c);
    };
    zip_leaves(name, find, sym, conc);
    return where;
  }

  static bool fits(const S::Bool&, bool) { return true; }
  static bool fits(const S::Int& s, int64_t v) {
    return v >= 0 && (s.width() >= 63 || (uint64_t(v) >> s.width()) == 0);
  }
  z3::expr literal(const S::Bool&, bool b) { return ctx_.bool_val(b); }
  z3::expr literal(const S::Int& s, int64_t v) { return ctx_.bv_val(uint64_t(v), s.width()); }

  // Builds `run` once symbolically and compares it with concrete runs.
  template <class Run>
  void check_transition(const char* leaf, Run run) {
    Vars vars;
    State<S> s1 = free_state(vars);
    const size_t state_vars = vars.list.size();
    SymGen sg{d_, vars};
    const auto start = std::chrono::steady_clock::now();
    const Outcome<S> out = run(d_, s1, sg);
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    std::printf("  %-12s symbolic build %.2f ms, %zu variables\n", leaf, ms, vars.list.size());

    for (int t = 0; t < kRandomTrials + kReachedTrials; ++t) {
      const State<C>* from = t < kRandomTrials ? nullptr : &pool()[size_t(t - kRandomTrials)];
      const std::vector<int64_t> values = assignment(vars, state_vars, from);
      State<C> c1 = load_state(values);
      ConcGen cg{values, state_vars};
      const Outcome<C> out_c = run(c_, c1, cg);
      const z3::model m = model_of(vars, values);
      const std::string bad = disagreement(m, "out", out, out_c) + disagreement(m, "s", s1, c1);
      ASSERT_EQ(bad, "") << leaf << " trial " << t;
      // A state the model could reach keeps its fields within their widths.
      if (from != nullptr) {
        ASSERT_EQ(outside_widths(c1), "") << leaf << " trial " << t;
      }
    }
  }

  template <class Pred>
  void check_predicate(const char* name, Pred pred) {
    Vars vars;
    const State<S> s = free_state(vars);
    const S::Bool p = pred(d_, s);
    for (int t = 0; t < kRandomTrials + kReachedTrials; ++t) {
      const State<C>* from = t < kRandomTrials ? nullptr : &pool()[size_t(t - kRandomTrials)];
      const std::vector<int64_t> values = assignment(vars, vars.list.size(), from);
      const State<C> c = load_state(values);
      const bool expected = pred(c_, c);
      ASSERT_EQ(model_of(vars, values).eval(p.e, true).is_true(), expected)
          << name << " trial " << t;
    }
  }

  z3::context ctx_;
  S d_{&ctx_};
  C c_{};
  std::mt19937_64 rng_{kSeed};
};

// One generic lambda per transition: it draws its operands from the generator in a fixed
// order, so the symbolic and the concrete run get the same values.
#define SGXREF_AGREE(Name, Leaf, Op, ...)                         \
  TEST_F(ModelAgreement, Name) {                                  \
    check_transition(#Name, [](const auto& d, auto& s, auto& g) { \
      using D = std::decay_t<decltype(d)>;                        \
      return arch::Leaf(d, s, arch::Op<D>{__VA_ARGS__});          \
    });                                                           \
  }

// A two-phase leaf: whole, its first phase, and its second (from any flight, random
// states included).
#define SGXREF_AGREE2(Name, Leaf, Op, ...)           \
  SGXREF_AGREE(Name, Leaf, Op, __VA_ARGS__)          \
  SGXREF_AGREE(Name##Begin, Leaf##_begin, Op, __VA_ARGS__) \
  SGXREF_AGREE(Name##End, Leaf##_end, Op, __VA_ARGS__)

#define CPU g.i(kW.cpu)
#define SLOT g.i(kW.slot)
#define PAGE g.i(kW.page)
SGXREF_AGREE2(Ecreate, ecreate, EcreateOp, CPU, SLOT, gen_si(g), PAGE, PAGE, g.b())
SGXREF_AGREE2(Eadd, eadd, EaddOp, CPU, SLOT, SLOT, PAGE, gen_si(g), g.i(kSsaBits),
              g.i(kSsaBits), g.i(kWordBits))
SGXREF_AGREE2(Eextend, eextend, EextendOp, CPU, SLOT, SLOT)
SGXREF_AGREE2(Einit, einit, EinitOp, CPU, SLOT, g.i(kCodeBits), g.i(kCountBits), PAGE,
              g.i(kCodeBits))
SGXREF_AGREE2(Epa, epa, PageOp, CPU, SLOT)
SGXREF_AGREE2(Eblock, eblock, PageOp, CPU, SLOT)
SGXREF_AGREE2(Etrack, etrack, EtrackOp, CPU, SLOT)
SGXREF_AGREE2(Ewb, ewb, EwbOp, CPU, SLOT, SLOT, g.i(kW.va_index), g.i(kW.blob))
SGXREF_AGREE2(Eldb, eldb, EldOp, CPU, SLOT, SLOT, g.i(kW.va_index), g.i(kW.blob), PAGE, SLOT,
              gen_si(g), g.b())
SGXREF_AGREE2(Eldu, eldu, EldOp, CPU, SLOT, SLOT, g.i(kW.va_index), g.i(kW.blob), PAGE, SLOT,
              gen_si(g), g.b())
SGXREF_AGREE2(Eremove, eremove, PageOp, CPU, SLOT)
SGXREF_AGREE2(Eaug, eaug, EaugOp, CPU, SLOT, SLOT, PAGE)
SGXREF_AGREE2(Emodpr, emodpr, ModifyOp, CPU, SLOT, gen_si(g))
SGXREF_AGREE2(Emodt, emodt, ModifyOp, CPU, SLOT, gen_si(g))
SGXREF_AGREE2(Eaccept, eaccept, AcceptOp, CPU, PAGE, PAGE, gen_si(g))
SGXREF_AGREE2(Eacceptcopy, eacceptcopy, AcceptCopyOp, CPU, PAGE, PAGE, PAGE, gen_si(g))
SGXREF_AGREE2(Emodpe, emodpe, AcceptOp, CPU, PAGE, PAGE, gen_si(g))
SGXREF_AGREE2(Eenter, eenter, EnterOp, CPU, PAGE)
SGXREF_AGREE2(Eresume, eresume, EnterOp, CPU, PAGE)
SGXREF_AGREE(Eexit, eexit, CpuOp, CPU)
SGXREF_AGREE(Ereport, ereport, EreportOp, CPU, PAGE, PAGE, PAGE, SLOT)
SGXREF_AGREE(Aex, aex, CpuOp, CPU)
SGXREF_AGREE(Ipi, ipi, CpuOp, CPU)
SGXREF_AGREE(Load, load, AccessOp, CPU, PAGE, g.i(kW.word_index), g.i(kWordBits))
SGXREF_AGREE(Store, store, AccessOp, CPU, PAGE, g.i(kW.word_index), g.i(kWordBits))
SGXREF_AGREE(Fetch, fetch, AccessOp, CPU, PAGE, g.i(kW.word_index), g.i(kWordBits))
SGXREF_AGREE(StoreTcs, store_tcs, StoreTcsOp, CPU, PAGE, g.i(kSsaBits), g.i(kSsaBits),
             g.i(kSsaBits))
SGXREF_AGREE(PteSet, pte_set, PteSetOp, g.i(kW.space), PAGE, SLOT, g.b(), g.b())
SGXREF_AGREE(PteClear, pte_clear, PteClearOp, g.i(kW.space), PAGE)
SGXREF_AGREE(Cr3, cr3, Cr3Op, CPU, g.i(kW.space))
#undef CPU
#undef SLOT
#undef PAGE

#undef SGXREF_AGREE2
#undef SGXREF_AGREE

TEST_F(ModelAgreement, WellFormed) {
  check_predicate("well_formed", [](const auto& d, const auto& s) { return well_formed(d, s); });
}
TEST_F(ModelAgreement, H1) {
  check_predicate("h1", [](const auto& d, const auto& s) { return h1(d, s); });
}
TEST_F(ModelAgreement, TlbFollowsPageTables) {
  check_predicate("tlb_follows_page_tables",
                  [](const auto& d, const auto& s) { return tlb_follows_page_tables(d, s); });
}
TEST_F(ModelAgreement, H2) {
  check_predicate("h2", [](const auto& d, const auto& s) { return h2(d, s); });
}
TEST_F(ModelAgreement, H3) {
  check_predicate("h3", [](const auto& d, const auto& s) { return h3(d, s); });
}
TEST_F(ModelAgreement, H4) {
  check_predicate("h4", [](const auto& d, const auto& s) { return h4(d, s); });
}

}  // namespace
}  // namespace sgxref::model::test
