#include "bindings/uapi_model.h"

#include <pybind11/stl.h>

#include <map>
#include <string>

#include "bindings/arguments.h"
#include "uapi/enclave_ops.h"
#include "uapi/enclave_state.h"
#include "uapi/mapping.h"
#include "uapi/sgx2_ioctls.h"

namespace py = pybind11;
using namespace pybind11::literals;

namespace sgxref::bindings {

namespace {

namespace mu = model::uapi;

uint8_t rights(const py::int_& v, const char* name) {
  return uint8_t(in_range(v, name, 0, mu::prot::kRwx));
}

py::dict to_dict(const mu::IoctlOutcome& o) {
  return py::dict("ret"_a = o.ret, "result"_a = o.result, "count"_a = o.count);
}

py::dict to_dict(const mu::OpOutcome& o) {
  return py::dict("exited"_a = o.exited, "value"_a = o.value, "vector"_a = o.vector,
                  "error_code"_a = o.error_code, "addr"_a = o.addr,
                  "either_present"_a = o.either_present);
}

mu::OpOutcome from_dict(const py::dict& d) {
  mu::OpOutcome o;
  o.exited = d["exited"].cast<bool>();
  o.value = d["value"].cast<uint64_t>();
  o.vector = d["vector"].cast<int>();
  o.error_code = d["error_code"].cast<uint64_t>();
  o.addr = d["addr"].cast<uint64_t>();
  o.either_present = d.contains("either_present") && d["either_present"].cast<bool>();
  return o;
}

const std::map<std::string, mu::EnclaveOp::Kind>& op_kinds() {
  static const std::map<std::string, mu::EnclaveOp::Kind> kinds{
      {"load", mu::EnclaveOp::Kind::kLoad},
      {"store", mu::EnclaveOp::Kind::kStore},
      {"eaccept", mu::EnclaveOp::Kind::kEaccept},
      {"eacceptcopy", mu::EnclaveOp::Kind::kEacceptCopy},
      {"emodpe", mu::EnclaveOp::Kind::kEmodpe},
      {"init_tcs_page", mu::EnclaveOp::Kind::kInitTcs}};
  return kinds;
}

// `at` as an offset the model answers for: in its modelled part and aligned to `align`
// (the model reads and writes whole words of whole pages there; elsewhere it has no
// page to answer with, and past a page's end it would read out of it).
uint64_t modelled_offset(const mu::Enclave& e, const py::int_& at, const char* name,
                         uint64_t align) {
  const uint64_t v = u64(at, name);
  if (v % align != 0 || !e.modelled(v, align)) {
    throw py::value_error(std::string(name) + " must be " +
                          (align == mu::kPage ? "a page" : "an 8-byte word") +
                          " of the modelled part");
  }
  return v;
}

mu::EnclaveOp make_op(const mu::Enclave& e, const std::string& kind, const py::int_& offset,
                      const py::int_& arg, const py::int_& source, const py::int_& entry) {
  const auto it = op_kinds().find(kind);
  if (it == op_kinds().end()) {
    std::string known;
    for (const auto& [name, k] : op_kinds()) known += (known.empty() ? "" : ", ") + name;
    throw py::value_error("unknown operation '" + kind + "' (one of " + known + ")");
  }
  const bool word = it->second == mu::EnclaveOp::Kind::kLoad ||
                    it->second == mu::EnclaveOp::Kind::kStore;
  const uint64_t at = modelled_offset(e, offset, "offset", word ? 8 : mu::kPage);
  const bool copy = it->second == mu::EnclaveOp::Kind::kEacceptCopy;
  return mu::EnclaveOp{it->second, at, u64(arg, "arg"), u64(entry, "entry"),
                       copy ? modelled_offset(e, source, "source", mu::kPage) : u64(source, "source")};
}

// [offset, offset + length): whole pages of the modelled part, as the mapping calls
// take them.
void modelled_pages(const mu::Enclave& e, const py::int_& offset, const py::int_& length) {
  const uint64_t at = u64(offset, "offset"), n = u64(length, "length");
  if (at % mu::kPage != 0 || n == 0 || n % mu::kPage != 0 || !e.modelled(at, n)) {
    throw py::value_error("offset and length must be whole pages of the modelled part");
  }
}

mu::Sgx2Args sgx2_args(const py::int_& offset, const py::int_& length, uint64_t mode) {
  mu::Sgx2Args a;
  a.offset = u64(offset, "offset");
  a.length = u64(length, "length");
  a.mode = mode;
  return a;
}

}  // namespace

void bind_uapi_model(py::module_& m) {
  py::class_<mu::Enclave> cls(
      m, "UapiModel",
      "model/uapi's initialized enclave: ELRANGE [base, base + size), modelled from "
      "offset `first` on. Calls answer what the model says Linux must (ret as -errno).");
  cls.def(py::init([](const py::int_& base, const py::int_& size, const py::int_& first) {
            mu::Enclave e;
            e.base = u64(base, "base");
            e.size = u64(size, "size");
            e.first = u64(first, "first");
            if (e.first > e.size) throw py::value_error("first must not be beyond size");
            return e;
          }),
          py::kw_only(), py::arg("base"), py::arg("size"), py::arg("first"));
  cls.def(
      "add_page",
      [](mu::Enclave& e, const py::int_& offset, const py::int_& type, const py::int_& r,
         const py::int_& max_prot, bool pending, bool modified, bool pr) {
        const uint64_t at = u64(offset, "offset");
        if (at % mu::kPage != 0 || !e.modelled(at, mu::kPage)) {
          throw py::value_error("offset must be a page of the modelled part");
        }
        mu::Page p;
        p.type = int64_t(in_range(type, "type", 0, mu::pt::kTrim));
        p.rights = rights(r, "rights");
        p.max_prot = rights(max_prot, "max_prot");
        p.pending = pending;
        p.modified = modified;
        p.pr = pr;
        e.pages[at] = p;
      },
      py::arg("offset"), py::kw_only(), py::arg("type") = mu::pt::kReg,
      py::arg("rights") = mu::prot::kRw, py::arg("max_prot") = mu::prot::kRw,
      py::arg("pending") = false, py::arg("modified") = false, py::arg("pr") = false,
      "A page as the build left it (zeroed bytes).");
  cls.def(
      "mmap",
      [](mu::Enclave& e, const py::int_& offset, const py::int_& length, const py::int_& prot,
         bool shared) {
        modelled_pages(e, offset, length);
        return mu::mmap(e, u64(offset, "offset"), u64(length, "length"), rights(prot, "prot"),
                        shared);
      },
      py::arg("offset"), py::arg("length"), py::arg("prot"), py::arg("shared") = true);
  cls.def(
      "munmap",
      [](mu::Enclave& e, const py::int_& offset, const py::int_& length) {
        modelled_pages(e, offset, length);
        return mu::munmap(e, u64(offset, "offset"), u64(length, "length"));
      },
      py::arg("offset"), py::arg("length"));
  cls.def(
      "mprotect",
      [](mu::Enclave& e, const py::int_& offset, const py::int_& length, const py::int_& prot) {
        modelled_pages(e, offset, length);
        return mu::mprotect(e, u64(offset, "offset"), u64(length, "length"), rights(prot, "prot"));
      },
      py::arg("offset"), py::arg("length"), py::arg("prot"));
  cls.def(
      "restrict_permissions",
      [](mu::Enclave& e, const py::int_& offset, const py::int_& length, const py::int_& perms) {
        return to_dict(
            mu::restrict_permissions(e, sgx2_args(offset, length, u64(perms, "permissions"))));
      },
      py::arg("offset"), py::arg("length"), py::arg("permissions"));
  cls.def(
      "modify_types",
      [](mu::Enclave& e, const py::int_& offset, const py::int_& length, const py::int_& type) {
        return to_dict(mu::modify_types(e, sgx2_args(offset, length, u64(type, "page_type"))));
      },
      py::arg("offset"), py::arg("length"), py::arg("page_type"));
  cls.def(
      "remove_pages",
      [](mu::Enclave& e, const py::int_& offset, const py::int_& length) {
        return to_dict(mu::remove_pages(e, sgx2_args(offset, length, 0)));
      },
      py::arg("offset"), py::arg("length"));
  cls.def(
      "enter",
      [](mu::Enclave& e, const py::int_& tcs, const std::string& op, const py::int_& offset,
         const py::int_& arg, const py::int_& source, const py::int_& entry) {
        return to_dict(mu::enter(e, u64(tcs, "tcs"), make_op(e, op, offset, arg, source, entry)));
      },
      py::arg("tcs"), py::arg("op"), py::arg("offset"), py::kw_only(), py::arg("arg") = 0,
      py::arg("source") = 0, py::arg("entry") = 0,
      "EENTER through the TCS at offset `tcs` to run `op` (load, store, eaccept, "
      "eacceptcopy, emodpe, init_tcs_page) at `offset`: its outcome (exited, value, "
      "vector, error_code, addr; either_present when P may be either).");
  cls.def(
      "resume",
      [](mu::Enclave& e, const py::int_& tcs) { return to_dict(mu::resume(e, u64(tcs, "tcs"))); },
      py::arg("tcs"));
  cls.def(
      "stopped",
      [](const mu::Enclave& e, const py::int_& tcs) {
        return e.stopped.count(u64(tcs, "tcs")) != 0;
      },
      py::arg("tcs"), "Whether an exception left the thread of the TCS at `tcs` inside.");
  cls.def(
      "pages",
      [](const mu::Enclave& e) {
        py::dict out;
        for (const auto& [offset, p] : e.pages) {
          out[py::int_(offset)] =
              py::dict("type"_a = p.type, "rights"_a = p.rights, "pending"_a = p.pending,
                       "modified"_a = p.modified, "pr"_a = p.pr, "max_prot"_a = p.max_prot);
        }
        return out;
      },
      "The pages by offset: type, rights, pending, modified, pr, max_prot.");
  cls.def(
      "vmas", [](const mu::Enclave& e) { return e.vma_prot; },
      "The rights of the VMA mapping each page, by offset (absent: unmapped).");
  m.def(
      "outcome_allowed",
      [](const py::dict& want, const py::dict& got) {
        return mu::allows(from_dict(want), from_dict(got));
      },
      py::arg("want"), py::arg("got"),
      "Whether `got` (observed) is an outcome the model's `want` allows.");
}

}  // namespace sgxref::bindings
