#include "bindings/checker.h"

#include <pybind11/functional.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <atomic>
#include <signal.h>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "bindings/arguments.h"
#include "cli/bug_binary.h"
#include "cli/check.h"
#include "flows/check_json.h"
#include "cli/replay.h"
#include "flows/catalogue.h"
#include "flows/catalogue_run.h"
#include "flows/timeline.h"

namespace py = pybind11;
using namespace pybind11::literals;

namespace sgxref::bindings {

namespace {

namespace fl = proofs::flows;

// A check's row, kept whole: its counterexample's worlds give the timeline and its state.
struct CheckResult {
  std::shared_ptr<const fl::Row> row;
};

// `variant`: a list or tuple of switch names ("NAME=VALUE", "bug.NAME"). A str alone is
// refused rather than read as its letters.
std::vector<std::string> switches_arg(const py::object& variant) {
  if (!py::isinstance<py::list>(variant) && !py::isinstance<py::tuple>(variant))
    throw py::type_error("variant: expected a list of switch names (\"NAME=VALUE\" or \"bug.NAME\"), got " +
                         std::string(py::str(py::type::of(variant).attr("__name__"))));
  std::vector<std::string> out;
  for (const py::handle& s : variant) {
    if (!py::isinstance<py::str>(s)) throw py::type_error("variant: each switch is a str");
    out.push_back(s.cast<std::string>());
  }
  return out;
}

// An optional size in [lo, hi], as the CLI's option of the same name takes it.
std::optional<size_t> size_arg(const py::object& v, const char* name, uint64_t lo, uint64_t hi) {
  const std::optional<uint64_t> n = optional_u64(v, name);
  if (n && (*n < lo || *n > hi))
    throw py::value_error(std::string(name) + ": " + std::to_string(*n) + " is out of range; it takes " +
                          std::to_string(lo) + " to " + std::to_string(hi));
  return n ? std::optional<size_t>(size_t(*n)) : std::nullopt;
}

fl::RunSizes sizes_arg(const py::object& pages, const py::object& threads, const py::object& depth, bool prove,
                       const py::object& timeout) {
  fl::RunSizes s;
  s.pages = size_arg(pages, "pages", 1, 8);
  s.enclave_threads = size_arg(threads, "threads", 0, 3);
  s.depth = size_arg(depth, "depth", 1, 200);
  s.prove = prove;
  if (!py::isinstance<py::int_>(timeout) && !py::isinstance<py::float_>(timeout))
    throw py::type_error("timeout: expected seconds as an int or a float");
  const double t = timeout.cast<double>();
  if (!(t >= 1 && t <= 86400)) throw py::value_error("timeout: it takes 1 to 86400 seconds");
  s.prove_seconds = t;
  return s;
}

// Ctrl-C for the length of a check run from Python's main thread. Python's own handler
// would be heard only between depths, never while Z3 solves; this one only sets the
// check's stop flag, which the check watches throughout (flows/check.h). Once the check
// is over the signal goes back to Python, whose handler says what it means (by default
// KeyboardInterrupt). Other threads leave SIGINT alone, as Python does.
std::atomic<bool> ctrl_c{false};
extern "C" void on_ctrl_c(int) { ctrl_c.store(true); }

class CtrlCStopsTheCheck {
 public:
  CtrlCStopsTheCheck() {
    const py::module_ threading = py::module_::import("threading");
    const py::object main_ident = threading.attr("main_thread")().attr("ident");
    if (!main_ident.equal(threading.attr("get_ident")())) return;
    ctrl_c.store(false);
    struct sigaction sa {};
    sa.sa_handler = on_ctrl_c;
    sigemptyset(&sa.sa_mask);
    installed_ = sigaction(SIGINT, &sa, &python_) == 0;
  }
  ~CtrlCStopsTheCheck() {
    if (installed_) sigaction(SIGINT, &python_, nullptr);
  }
  CtrlCStopsTheCheck(const CtrlCStopsTheCheck&) = delete;
  CtrlCStopsTheCheck& operator=(const CtrlCStopsTheCheck&) = delete;

  const std::atomic<bool>* stop() const { return installed_ ? &ctrl_c : nullptr; }

  // After the check, with Python's handler back: a Ctrl-C that came meanwhile is raised
  // again for Python to hear; KeyboardInterrupt if its handler raised nothing and the
  // check stopped for it. A Ctrl-C is never lost, even one landing as the check ended.
  void hand_back(bool stopped) {
    if (installed_) sigaction(SIGINT, &python_, nullptr);
    installed_ = false;
    if (!ctrl_c.exchange(false)) return;
    raise(SIGINT);
    if (PyErr_CheckSignals() != 0) throw py::error_already_set();
    if (stopped) {
      PyErr_SetString(PyExc_KeyboardInterrupt, "the check was stopped by Ctrl-C");
      throw py::error_already_set();
    }
  }

 private:
  struct sigaction python_ {};
  bool installed_ = false;
};

// Runs `e` with the GIL released. As each depth is done the GIL is taken back: a signal
// Python has pending stops the check, and `progress(depth, bound)` is called; what either
// raises stops the check and reaches the caller. Ctrl-C stops it at any point, Z3's
// queries included (CtrlCStopsTheCheck).
CheckResult run(const fl::Entry& e, const fl::RunSizes& sizes, const py::object& progress) {
  if (!progress.is_none() && !PyCallable_Check(progress.ptr()))
    throw py::type_error("progress: expected a callable progress(depth, bound) or None");
  const std::function<void(size_t, size_t)> report = [&progress](size_t depth, size_t bound) {
    py::gil_scoped_acquire gil;
    if (PyErr_CheckSignals() != 0) throw py::error_already_set();
    if (!progress.is_none()) progress(depth, bound);
  };
  std::shared_ptr<const fl::Row> row;
  CtrlCStopsTheCheck ctrl_c_stops;
  bool stopped = false;
  {
    py::gil_scoped_release nogil;
    try {
      row = std::make_shared<const fl::Row>(fl::run_entry(e, sizes, report, ctrl_c_stops.stop()));
    } catch (const fl::Interrupted&) {
      stopped = true;
    }
  }
  ctrl_c_stops.hand_back(stopped);
  return {row};
}

// What `./sgxref check` with `args` would run; its refusals as ValueError.
std::vector<fl::Entry> selected_entries(const cli::CheckArgs& args) {
  std::ostringstream said;  // which flows --threads leaves out: none, for one named flow
  try {
    return cli::select_entries(args, said);
  } catch (const std::invalid_argument& x) {
    throw py::value_error(x.what());
  }
}

// The entry `./sgxref check --flows FLOW [--variant V]... [--threads N]` runs; without
// switches, the catalogue's entry of the flow with Linux's choices (with `threads`
// asked, the one at that many enclave threads if the catalogue has it).
fl::Entry entry_for(const std::string& flow, const std::vector<std::string>& switches, const fl::RunSizes& sizes) {
  cli::CheckArgs args;
  args.flows = {flow};
  args.switches = switches;
  args.sizes = sizes;
  const std::vector<fl::Entry> entries = selected_entries(args);
  if (!switches.empty()) return entries.at(0);
  std::vector<fl::Entry> linux;
  for (const fl::Entry& e : entries)
    if (e.switches.empty()) linux.push_back(e);
  if (linux.empty()) throw py::value_error("the catalogue has no entry of " + flow + " with Linux's choices");
  for (const fl::Entry& e : linux)
    if (sizes.enclave_threads && e.enclave_threads == *sizes.enclave_threads) return e;
  return linux.front();
}

py::dict state_dict(const fl::StepState& s) {
  py::list pages;
  for (const fl::PageState& p : s.pages) {
    if (p.resident) {
      pages.append(py::dict("page"_a = p.page, "resident"_a = true, "evicted"_a = false, "removed"_a = false,
                            "rights"_a = fl::rights_text(p.rights), "type"_a = p.trim ? "TRIM" : "REG",
                            "modified"_a = p.modified, "pr"_a = p.pr, "blocked"_a = p.blocked,
                            "stamp_age"_a = p.stamped ? py::object(py::int_(p.stamp_age)) : py::none()));
    } else {
      // Evicted: the rights and PR its blob holds; removed or lost: neither.
      pages.append(py::dict("page"_a = p.page, "resident"_a = false, "evicted"_a = p.evicted,
                            "removed"_a = p.removed,
                            "rights"_a = p.evicted ? py::object(py::str(fl::rights_text(p.blob_rights))) : py::none(),
                            "pr"_a = p.evicted ? py::object(py::bool_(p.blob_pr)) : py::none()));
    }
  }
  py::list cpus;
  for (const fl::CpuState& c : s.cpus) {
    py::list tlb;
    for (const auto& [page, r] : c.tlb) tlb.append(py::dict("page"_a = page, "rights"_a = fl::rights_text(r)));
    cpus.append(py::dict("cpu"_a = c.cpu, "in_enclave"_a = c.in,
                         "entry_age"_a = c.in ? py::object(py::int_(c.entry_age)) : py::none(), "tlb"_a = tlb));
  }
  py::object ioctl = py::none();
  if (s.ioctl)
    ioctl = py::dict("thread"_a = s.ioctl->thread, "rv"_a = s.ioctl->rv, "ret"_a = s.ioctl->ret,
                     "count"_a = s.ioctl->count);
  return py::dict("pages"_a = pages, "secs_resident"_a = s.secs_resident, "cpus"_a = cpus, "ioctl"_a = ioctl,
                  "text"_a = fl::state_text(s));
}

py::object counterexample(const fl::Row& r) {
  if (!r.result.cex) return py::none();
  const fl::Counterexample& cex = *r.result.cex;
  py::list steps;
  for (size_t k = 0; k < cex.steps.size(); ++k) {
    const fl::FlowStep& s = cex.steps[k];
    steps.append(py::dict("step"_a = k + 1, "thread"_a = s.thread, "thread_name"_a = r.system.threads[s.thread].name,
                          "point"_a = s.point.empty() ? py::object(py::none()) : py::object(py::str(s.point)),
                          "state"_a = state_dict(fl::state_of(r.system, r.layout, cex.worlds[k + 1]))));
  }
  return py::dict("property"_a = cex.property, "depth"_a = r.result.depth, "steps"_a = steps);
}

// What `./sgxref check` prints after its table for a row with a counterexample.
py::object timeline(const fl::Row& r) {
  if (!r.result.cex) return py::none();
  std::ostringstream os;
  os << r.entry.flow << ", " << r.variant << ": " << r.result.cex->property << " broken at depth " << r.result.depth
     << "\n";
  fl::print_timeline(os, r.system, r.layout, *r.result.cex);
  return py::str(os.str());
}

py::object from_json(const nlohmann::json& j) { return py::module_::import("json").attr("loads")(j.dump()); }

py::object replay(const fl::Row& r) {
  if (!r.result.cex) throw py::value_error(r.entry.flow + ", " + r.variant + ": no counterexample to replay");
  if (r.entry.file)
    throw py::value_error(r.entry.flow + ": the flow file's flow is not the driver's: its verdict is the model's alone");
  nlohmann::json j;
  {
    py::gil_scoped_release nogil;
    j = cli::replay_row_json(r);
  }
  return from_json(j);
}

std::string repr(const fl::Row& r) {
  std::ostringstream os;
  os << "<CheckResult " << r.entry.flow << ", " << r.variant << ": " << fl::verdict_text(r);
  if (r.result.cex) os << " " << r.result.cex->property << " at depth " << r.result.depth;
  os << ">";
  return os.str();
}

}  // namespace

void bind_checker(py::module_& m) {
  cli::set_bug_binary_dir(SGXREF_CLI_DIR);
  m.def("flows", &fl::flow_names, "The checker's flows by name, as `./sgxref check --flows` takes them.");
  m.def(
      "catalogue",
      [] {
        py::list out;
        for (const fl::Entry& e : fl::catalogue())
          out.append(py::dict("flow"_a = e.flow, "switches"_a = e.switches, "enclave_threads"_a = e.enclave_threads,
                              "pages"_a = e.pages, "depth"_a = e.depth));
        return out;
      },
      "The entries `./sgxref check` runs, in its order: flow, switches, enclave_threads, pages and "
      "depth (0: the flow's own bound).");

  py::class_<CheckResult>(m, "CheckResult",
                          "One checker run, as a row of `./sgxref check`: the verdict, and a counterexample "
                          "as data, as the CLI's timeline and replayed on the driver.")
      .def_property_readonly("flow", [](const CheckResult& c) { return c.row->entry.flow; })
      .def_property_readonly("variant", [](const CheckResult& c) { return c.row->variant; },
                             "The variant described: 'linux', or its switches.")
      .def_property_readonly("switches", [](const CheckResult& c) { return c.row->entry.switches; })
      .def_property_readonly("flow_file", [](const CheckResult& c) {
        return c.row->entry.file ? py::object(py::str(c.row->entry.file->origin)) : py::none();
      })
      .def_property_readonly("threads",
                             [](const CheckResult& c) {
                               std::vector<std::string> names;
                               for (const fl::Program& p : c.row->system.threads) names.push_back(p.name);
                               return names;
                             },
                             "The flow's threads by name, the ioctl's first.")
      .def_property_readonly("enclave_threads", [](const CheckResult& c) { return c.row->layout.enclave_threads; })
      .def_property_readonly("pages", [](const CheckResult& c) { return c.row->layout.data_pages; })
      .def_property_readonly("bound", [](const CheckResult& c) { return c.row->bound; })
      .def_property_readonly("depth", [](const CheckResult& c) { return c.row->result.depth; })
      .def_property_readonly("verdict", [](const CheckResult& c) { return std::string(fl::verdict_name(c.row->result.verdict)); },
                             "'SAFE', 'PROVEN', 'UNSAFE', 'VACUOUS' or 'UNKNOWN'.")
      .def_property_readonly("verdict_text", [](const CheckResult& c) { return fl::verdict_text(*c.row); },
                             "As the CLI's table says it: 'SAFE to depth 12', 'UNKNOWN (SAFE to depth 30)'.")
      .def_property_readonly("property", [](const CheckResult& c) {
        return c.row->result.cex ? py::object(py::str(c.row->result.cex->property)) : py::none();
      })
      .def_property_readonly("seconds", [](const CheckResult& c) { return c.row->result.seconds; })
      .def_property_readonly("counterexample", [](const CheckResult& c) { return counterexample(*c.row); },
                             "None, or {property, depth, steps}: per step {step, thread, thread_name, point, "
                             "state}, state being the timeline's columns as data.")
      .def("timeline", [](const CheckResult& c) { return timeline(*c.row); },
           "The counterexample as `./sgxref check` prints it after its table; None without one.")
      .def("replay", [](const CheckResult& c) { return replay(*c.row); },
           "Replays the counterexample on impl/driver as `./sgxref replay` does (a bug switch's on "
           "the driver with that bug's patch): {shown, summary, driver, followed, report, broken, "
           "mismatches, steps}, each step {step, thread, thread_name, runs_on_from, state}.")
      .def("json", [](const CheckResult& c) { return from_json(proofs::flows::check_json({*c.row})); },
           "The row as `./sgxref check --json` writes it (a file `./sgxref replay` reads).")
      .def("__repr__", [](const CheckResult& c) { return repr(*c.row); });

  m.def(
      "check",
      [](const std::string& flow, const py::object& variant, const py::object& pages, const py::object& threads,
         const py::object& depth, bool prove, const py::object& timeout, const py::object& progress) {
        const fl::RunSizes sizes = sizes_arg(pages, threads, depth, prove, timeout);
        return run(entry_for(flow, switches_arg(variant), sizes), sizes, progress);
      },
      py::arg("flow"), py::arg("variant") = py::list(), py::arg("pages") = py::none(),
      py::arg("threads") = py::none(), py::arg("depth") = py::none(), py::arg("prove") = false,
      py::arg("timeout") = 300, py::arg("progress") = py::none(),
      "Checks `flow` under `variant` (switch names; none: Linux's choices, the catalogue's entry) as "
      "`./sgxref check --flows FLOW --variant ...` does, with the GIL released; progress(depth, bound) "
      "is called as each depth is done. ValueError with the checker's message for an unknown flow or switch.");
  m.def(
      "check_flow_file",
      [](const std::string& path, const py::object& variant, const py::object& pages, const py::object& threads,
         const py::object& depth, bool prove, const py::object& timeout, const py::object& progress) {
        const fl::RunSizes sizes = sizes_arg(pages, threads, depth, prove, timeout);
        cli::CheckArgs args;
        args.flow_file = path;
        args.switches = switches_arg(variant);
        args.sizes = sizes;
        return run(selected_entries(args).at(0), sizes, progress);
      },
      py::arg("path"), py::arg("variant") = py::list(), py::arg("pages") = py::none(),
      py::arg("threads") = py::none(), py::arg("depth") = py::none(), py::arg("prove") = false,
      py::arg("timeout") = 300, py::arg("progress") = py::none(),
      "Checks the flow of a flow file (docs/checker.md) as `./sgxref check --flow-file PATH` does; "
      "ValueError with the reader's message for a malformed file.");
}

}  // namespace sgxref::bindings
