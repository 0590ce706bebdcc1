#include "bindings/arch_model.h"

#include <pybind11/stl.h>

#include <functional>
#include <map>
#include <string>
#include <type_traits>
#include <vector>

#include "arch/arch.h"
#include "domain/concrete.h"

namespace py = pybind11;
using namespace pybind11::literals;

namespace sgxref::bindings {

namespace {

namespace ma = model::arch;
using D = model::Concrete;

template <class T>
struct IsVector : std::false_type {};
template <class T>
struct IsVector<std::vector<T>> : std::true_type {};

// A record as a dict by field name, a vector as a list, a leaf as bool or int.
template <class T>
py::object to_py(const T& x) {
  if constexpr (IsVector<T>::value) {
    py::list out;
    for (const auto& e : x) out.append(to_py(e));
    return out;
  } else if constexpr (model::Record<T>) {
    py::dict out;
    T::fields([&](const char* name, const auto& y) { out[name] = to_py(y); }, x);
    return out;
  } else if constexpr (std::is_same_v<T, bool>) {
    return py::bool_(x);
  } else {
    return py::int_(x);
  }
}

// The operands that index the state's vectors directly (arch.h): each within its size.
size_t index_limit(const std::string& name, const ma::Sizes& sz) {
  if (name == "cpu") return sz.cpus;
  if (name == "space") return sz.spaces;
  if (name == "va_index") return sz.va_slots;
  if (name == "blob") return sz.blobs;
  if (name == "word") return sz.words;
  return 0;
}

// Other operands take any value of their field's width; the widest field is 32 bits.
constexpr int64_t kOperandLimit = int64_t(1) << 32;

// Sets the fields of record `x` named in `args` (the rest stay 0 / False).
template <class T>
void from_py(T& x, const py::handle& args, const std::string& where, const ma::Sizes& sz) {
  if (!py::isinstance<py::dict>(args)) throw py::type_error(where + ": expected a dict of fields");
  std::vector<std::string> names;
  T::fields([&](const char* name, auto&) { names.push_back(name); }, x);
  for (const auto& [key, value] : args.cast<py::dict>()) {
    const std::string k = py::str(key);
    if (std::find(names.begin(), names.end(), k) == names.end()) {
      std::string known;
      for (const std::string& n : names) known += (known.empty() ? "" : ", ") + n;
      throw py::value_error(where + ": unknown field '" + k + "' (its fields: " + known + ")");
    }
  }
  const py::dict d = args.cast<py::dict>();
  T::fields(
      [&](const char* name, auto& y) {
        using F = std::remove_reference_t<decltype(y)>;
        if (!d.contains(name)) return;
        const py::handle v = d[name];
        const std::string at = where + "." + name;
        if constexpr (model::Record<F>) {
          from_py(y, v, at, sz);
        } else if constexpr (std::is_same_v<F, bool>) {
          if (!py::isinstance<py::bool_>(v)) throw py::type_error(at + ": expected a bool");
          y = v.cast<bool>();
        } else {
          if (!py::isinstance<py::int_>(v) || py::isinstance<py::bool_>(v))
            throw py::type_error(at + ": expected an int");
          const py::int_ n = py::reinterpret_borrow<py::int_>(v);
          if (n < py::int_(0) || n >= py::int_(kOperandLimit))
            throw py::value_error(at + ": " + py::repr(n).cast<std::string>() + " is out of range; it takes 0 to 2**32-1");
          y = n.cast<int64_t>();
          const size_t limit = index_limit(name, sz);
          if (limit != 0 && size_t(y) >= limit)
            throw py::value_error(at + ": " + std::to_string(y) + " is out of range; it takes 0 to " +
                                  std::to_string(limit - 1));
        }
      },
      x);
}

const char* kind_name(int64_t k) {
  switch (k) {
    case ma::kind::kOk:
      return "ok";
    case ma::kind::kCode:
      return "code";
    case ma::kind::kGp:
      return "#GP";
    case ma::kind::kPf:
      return "#PF";
    case ma::kind::kUd:
      return "#UD";
  }
  return "?";
}

// One leaf: its operand record's fields (their names) and its transition.
struct Leaf {
  std::vector<std::string> fields;
  std::function<ma::Outcome<D>(ma::State<D>&, const py::dict&)> run;
};

template <class Op>
Leaf leaf(ma::Outcome<D> (*transition)(const D&, ma::State<D>&, const Op&)) {
  Leaf l;
  Op probe{};
  Op::fields([&](const char* name, auto&) { l.fields.push_back(name); }, probe);
  l.run = [transition](ma::State<D>& s, const py::dict& args) {
    Op op{};
    from_py(op, args, "operands", s.sz);
    return transition(D{}, s, op);
  };
  return l;
}

using Table = std::map<std::string, Leaf>;

template <class Op>
using Transition = ma::Outcome<D> (*)(const D&, ma::State<D>&, const Op&);

// A leaf that takes locks: whole, and as its two phases with the leaf in flight between
// them (flight.h), NAME_begin and NAME_end.
template <class Op>
void add(Table& t, const std::string& name, Transition<Op> whole, Transition<Op> begin, Transition<Op> end) {
  t.emplace(name, leaf(whole));
  t.emplace(name + "_begin", leaf(begin));
  t.emplace(name + "_end", leaf(end));
}

// Every transition model/arch has (arch.h), by its own name.
const Table& leaves() {
  static const Table table = [] {
    Table t{
        {"eexit", leaf(&ma::eexit<D>)},         {"aex", leaf(&ma::aex<D>)},
        {"ipi", leaf(&ma::ipi<D>)},             {"load", leaf(&ma::load<D>)},
        {"fetch", leaf(&ma::fetch<D>)},         {"store", leaf(&ma::store<D>)},
        {"store_tcs", leaf(&ma::store_tcs<D>)}, {"pte_set", leaf(&ma::pte_set<D>)},
        {"pte_clear", leaf(&ma::pte_clear<D>)}, {"ereport", leaf(&ma::ereport<D>)},
        {"cr3", leaf(&ma::cr3<D>)},
    };
    add(t, "ecreate", &ma::ecreate<D>, &ma::ecreate_begin<D>, &ma::ecreate_end<D>);
    add(t, "eadd", &ma::eadd<D>, &ma::eadd_begin<D>, &ma::eadd_end<D>);
    add(t, "eextend", &ma::eextend<D>, &ma::eextend_begin<D>, &ma::eextend_end<D>);
    add(t, "einit", &ma::einit<D>, &ma::einit_begin<D>, &ma::einit_end<D>);
    add(t, "eaug", &ma::eaug<D>, &ma::eaug_begin<D>, &ma::eaug_end<D>);
    add(t, "emodpr", &ma::emodpr<D>, &ma::emodpr_begin<D>, &ma::emodpr_end<D>);
    add(t, "emodt", &ma::emodt<D>, &ma::emodt_begin<D>, &ma::emodt_end<D>);
    add(t, "eaccept", &ma::eaccept<D>, &ma::eaccept_begin<D>, &ma::eaccept_end<D>);
    add(t, "eacceptcopy", &ma::eacceptcopy<D>, &ma::eacceptcopy_begin<D>, &ma::eacceptcopy_end<D>);
    add(t, "emodpe", &ma::emodpe<D>, &ma::emodpe_begin<D>, &ma::emodpe_end<D>);
    add(t, "eenter", &ma::eenter<D>, &ma::eenter_begin<D>, &ma::eenter_end<D>);
    add(t, "eresume", &ma::eresume<D>, &ma::eresume_begin<D>, &ma::eresume_end<D>);
    add(t, "epa", &ma::epa<D>, &ma::epa_begin<D>, &ma::epa_end<D>);
    add(t, "eblock", &ma::eblock<D>, &ma::eblock_begin<D>, &ma::eblock_end<D>);
    add(t, "etrack", &ma::etrack<D>, &ma::etrack_begin<D>, &ma::etrack_end<D>);
    add(t, "ewb", &ma::ewb<D>, &ma::ewb_begin<D>, &ma::ewb_end<D>);
    add(t, "eldb", &ma::eldb<D>, &ma::eldb_begin<D>, &ma::eldb_end<D>);
    add(t, "eldu", &ma::eldu<D>, &ma::eldu_begin<D>, &ma::eldu_end<D>);
    add(t, "eremove", &ma::eremove<D>, &ma::eremove_begin<D>, &ma::eremove_end<D>);
    return t;
  }();
  return table;
}

struct ArchModel {
  ma::State<D> state;
};

size_t size_arg(const py::int_& v, const char* name, size_t hi) {
  const int64_t n = v.cast<int64_t>();
  if (n < 1 || size_t(n) > hi)
    throw py::value_error(std::string(name) + ": " + std::to_string(n) + " is out of range; it takes 1 to " +
                          std::to_string(hi));
  return size_t(n);
}

}  // namespace

void bind_arch_model(py::module_& m) {
  py::class_<ArchModel>(m, "ArchModel",
                        "model/arch's state machine, concrete: EPC slots, EPCM, CPUs with entry epochs "
                        "and TLBs, page tables, VA slots and blobs; one transition per leaf.")
      .def(py::init([](const py::int_& slots, const py::int_& cpus, const py::int_& pages, const py::int_& va_slots,
                       const py::int_& blobs, const py::int_& spaces, const py::int_& words) {
             ma::Sizes sz;
             sz.slots = size_arg(slots, "slots", 64);
             sz.cpus = size_arg(cpus, "cpus", 16);
             sz.pages = size_arg(pages, "pages", 64);
             sz.va_slots = size_arg(va_slots, "va_slots", 64);
             sz.blobs = size_arg(blobs, "blobs", 64);
             sz.spaces = size_arg(spaces, "spaces", 8);
             sz.words = size_arg(words, "words", 16);
             return ArchModel{ma::initial_state(D{}, sz)};
           }),
           py::kw_only(), py::arg("slots") = 4, py::arg("cpus") = 2, py::arg("pages") = 4, py::arg("va_slots") = 2,
           py::arg("blobs") = 4, py::arg("spaces") = 1, py::arg("words") = 2,
           "Power-on: every EPC slot free, every CPU outside enclaves, no PTEs, no blobs.")
      .def_static(
          "leaves",
          [] {
            py::dict out;
            for (const auto& [name, l] : leaves()) out[py::str(name)] = l.fields;
            return out;
          },
          "Each transition's name and its operand fields (si, a SECINFO, is a dict of its own): "
          "every leaf whole, and each leaf that takes locks also as NAME_begin and NAME_end, "
          "with the leaf in flight on its CPU between them.")
      .def(
          "apply",
          [](ArchModel& am, const std::string& name, const py::kwargs& operands) {
            const auto it = leaves().find(name);
            if (it == leaves().end()) {
              std::string known;
              for (const auto& [n, l] : leaves()) known += (known.empty() ? "" : ", ") + n;
              throw py::value_error("unknown leaf '" + name + "' (one of " + known + ")");
            }
            const ma::Outcome<D> o = it->second.run(am.state, operands);
            py::dict out = to_py(o).cast<py::dict>();
            out["ok"] = o.kind == ma::kind::kOk;
            out["kind_name"] = kind_name(o.kind);
            return out;
          },
          py::arg("leaf"),
          "Runs the model's transition for `leaf` on the operands given by keyword (unnamed ones "
          "are 0 / False): {kind, code, pfec, addr, value, ok, kind_name}. A refused leaf leaves the "
          "state as it was, but for the AEX a fault in enclave mode causes.")
      .def_property_readonly("sizes",
                             [](const ArchModel& am) {
                               const ma::Sizes& z = am.state.sz;
                               return py::dict("slots"_a = z.slots, "cpus"_a = z.cpus, "pages"_a = z.pages,
                                               "va_slots"_a = z.va_slots, "blobs"_a = z.blobs,
                                               "spaces"_a = z.spaces, "words"_a = z.words);
                             })
      .def("state", [](const ArchModel& am) { return to_py(am.state); },
           "The whole state as plain data: epcm (by slot), data, cpu (mode, secs, entry_age, tlb, "
           "flight...), pte (by space, then page), blob.")
      .def(
          "invariants",
          [](const ArchModel& am) {
            const D d;
            const ma::State<D>& s = am.state;
            return py::dict("well_formed"_a = ma::well_formed(d, s), "H1"_a = ma::h1(d, s), "H2"_a = ma::h2(d, s),
                            "H3"_a = ma::h3(d, s), "H4"_a = ma::h4(d, s),
                            "tlb_follows_page_tables"_a = ma::tlb_follows_page_tables(d, s));
          },
          "Which of model/arch/invariants.h's predicates hold now.");
}

}  // namespace sgxref::bindings
