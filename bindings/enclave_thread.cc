#include "bindings/enclave_thread.h"

#include <pybind11/stl.h>

#include <cstddef>
#include <string>

#include "bindings/arguments.h"
#include "bindings/errors.h"
#include "hw/inspect.h"
#include "kernel/run_queue.h"
#include "user/test_encl_ops.h"
#include "user/vsgx.h"

namespace py = pybind11;
using namespace pybind11::literals;

namespace sgxref::bindings {

EnclaveThread::EnclaveThread(std::shared_ptr<Enclave> e, uint64_t tcs)
    : e_(std::move(e)), tcs_(tcs) {
  e_->machine().run(
      [&] { op_ = std::make_unique<UserBuffer>(e_->machine().host().process(), hw::kPageSize); });
}

EnclaveThread::~EnclaveThread() {
  e_->machine().as_user([&] { op_.reset(); });
}

void EnclaveThread::enter(uint32_t leaf, const void* op, uint64_t len, const char* what) {
  Machine& m = e_->machine();
  const hw::Counters before = hw::Inspector(m.host().machine()).counters();
  CallInfo info;
  info.leaf = leaf;
  info.ksgxd_batches = m.reclaim_if_low();
  if (op != nullptr) op_->write(0, op, len);
  run_.tcs = tcs_;
  // The vDSO never clears the exception fields; each call starts with them zero, as the
  // selftests' clear_exception leaves them, so `last` speaks of this call only.
  run_.exception_vector = 0;
  run_.exception_error_code = 0;
  run_.exception_addr = 0;
  const uint64_t steps_before = m.ksgxd().steps();
  int ret = 0;
  m.ksgxd().run(m.host().process(), [&] {
    // One CPU for the whole call, as a user thread runs on one between preemptions.
    kernel::CpuHold cpu;
    ret = user::vdso_sgx_enter_enclave(op_->at(0), 0, 0, leaf, 0, 0, &run_);
  });
  const hw::Counters after = hw::Inspector(m.host().machine()).counters();
  info.function = run_.function;
  info.exception_vector = run_.exception_vector;
  info.exception_error_code = run_.exception_error_code;
  info.exception_addr = run_.exception_addr;
  info.aex = after.aex - before.aex;
  info.evictions = after.evictions - before.evictions;
  info.reloads = after.reloads - before.reloads;
  info.ksgxd_batches += int(m.ksgxd().steps() - steps_before);
  last_ = info;
  check(ret, std::string("vdso_sgx_enter_enclave (") + what + ")");
  if (run_.function != uapi::enclu::kEexit) {
    throw EnclaveFaultError(FaultInfo{run_.exception_addr, run_.exception_error_code,
                                      run_.exception_vector, run_.function},
                            what);
  }
}

std::optional<uint64_t> EnclaveThread::resume() {
  return e_->machine().run([&]() -> std::optional<uint64_t> {
    if (last_.leaf == 0) {
      throw py::value_error("resume: this thread has not entered the enclave yet");
    }
    enter(uapi::enclu::kEresume, nullptr, 0, "ERESUME");
    // The operation in the page is the one ERESUME finished: its type says which field
    // holds its answer.
    switch (op_->get<uint64_t>(0)) {
      case user::kEnclOpGetFromBuffer:
      case user::kEnclOpGetFromAddress:
        return op_->get<uint64_t>(offsetof(user::EnclOpGetFromAddr, value));
      case user::kEnclOpEaccept:
      case user::kEnclOpEacceptCopy:
        return op_->get<uint64_t>(offsetof(user::EnclOpEaccept, ret));
      default:
        return std::nullopt;
    }
  });
}

namespace {

py::dict to_dict(const CallInfo& c) {
  return py::dict(
      "leaf"_a = c.leaf, "function"_a = c.function, "exception_vector"_a = c.exception_vector,
      "exception_error_code"_a = c.exception_error_code, "exception_addr"_a = c.exception_addr,
      "aex"_a = c.aex, "evictions"_a = c.evictions, "reloads"_a = c.reloads,
      "ksgxd_batches"_a = c.ksgxd_batches);
}

using user::EnclOpHeader;

}  // namespace

void bind_enclave_thread(py::module_& m, EnclaveClass& enclave) {
  py::class_<EnclaveThread, std::shared_ptr<EnclaveThread>> cls(
      m, "EnclaveThread",
      "A thread entering the selftest enclave on one TCS through the vDSO. Each operation "
      "is one EENTER ... EEXIT; an exception the kernel does not resolve raises "
      "sgxref.EnclaveFault and leaves the thread in the AEX, for resume().");
  cls.def_property_readonly("tcs", &EnclaveThread::tcs);
  cls.def_property_readonly(
      "last", [](const EnclaveThread& t) { return to_dict(t.last()); },
      "The last call: leaf, run.function and exception fields, and the AEXs, evictions, "
      "reloads and ksgxd batches it took.");
  cls.def(
      "put_to_buffer",
      [](EnclaveThread& t, const py::int_& value) {
        t.call("PUT_TO_BUFFER",
               user::EnclOpPutToBuf{EnclOpHeader{user::kEnclOpPutToBuffer}, u64(value, "value")});
      },
      py::arg("value"), "ENCL_OP_PUT_TO_BUFFER: encl_buffer's first 8 bytes := value.");
  cls.def(
      "get_from_buffer",
      [](EnclaveThread& t) {
        return t
            .call("GET_FROM_BUFFER",
                  user::EnclOpGetFromBuf{EnclOpHeader{user::kEnclOpGetFromBuffer}, 0})
            .value;
      },
      "ENCL_OP_GET_FROM_BUFFER: encl_buffer's first 8 bytes.");
  cls.def(
      "write",
      [](EnclaveThread& t, const py::int_& addr, const py::int_& value) {
        t.call("PUT_TO_ADDRESS", user::EnclOpPutToAddr{EnclOpHeader{user::kEnclOpPutToAddress},
                                                       u64(value, "value"), u64(addr, "addr")});
      },
      py::arg("addr"), py::arg("value"),
      "ENCL_OP_PUT_TO_ADDRESS: the enclave stores the 8 bytes at addr.");
  cls.def(
      "read",
      [](EnclaveThread& t, const py::int_& addr) {
        return t
            .call("GET_FROM_ADDRESS",
                  user::EnclOpGetFromAddr{EnclOpHeader{user::kEnclOpGetFromAddress}, 0,
                                          u64(addr, "addr")})
            .value;
      },
      py::arg("addr"), "ENCL_OP_GET_FROM_ADDRESS: the enclave loads the 8 bytes at addr.");
  cls.def(
      "eaccept",
      [](EnclaveThread& t, const py::int_& addr, const py::int_& secinfo) {
        return t
            .call("EACCEPT", user::EnclOpEaccept{EnclOpHeader{user::kEnclOpEaccept},
                                                 u64(addr, "addr"), u64(secinfo, "secinfo"), 0})
            .ret;
      },
      py::arg("addr"), py::arg("secinfo"),
      "ENCL_OP_EACCEPT: EACCEPT of the page at addr with SECINFO.FLAGS secinfo; its SGX "
      "code (0 on success).");
  cls.def(
      "eacceptcopy",
      [](EnclaveThread& t, const py::int_& addr, const py::int_& src, const py::int_& secinfo) {
        return t
            .call("EACCEPTCOPY",
                  user::EnclOpEacceptCopy{EnclOpHeader{user::kEnclOpEacceptCopy}, u64(addr, "addr"),
                                          u64(secinfo, "secinfo"), 0, u64(src, "src")})
            .ret;
      },
      py::arg("addr"), py::arg("src"), py::arg("secinfo"),
      "EACCEPTCOPY of the enclave page at src into the pending page at addr; its SGX code.");
  cls.def(
      "emodpe",
      [](EnclaveThread& t, const py::int_& addr, const py::int_& secinfo) {
        t.call("EMODPE", user::EnclOpEmodpe{EnclOpHeader{user::kEnclOpEmodpe}, u64(addr, "addr"),
                                            u64(secinfo, "secinfo")});
      },
      py::arg("addr"), py::arg("secinfo"),
      "ENCL_OP_EMODPE: extend the page's EPCM permissions to secinfo's.");
  cls.def(
      "init_tcs_page",
      [](EnclaveThread& t, const py::int_& page, const py::int_& ssa, const py::int_& entry) {
        t.call("INIT_TCS_PAGE", user::EnclOpInitTcsPage{EnclOpHeader{user::kEnclOpInitTcsPage},
                                                        u64(page, "tcs_page"), u64(ssa, "ssa"),
                                                        u64(entry, "entry")});
      },
      py::arg("tcs_page"), py::arg("ssa"), py::arg("entry"),
      "ENCL_OP_INIT_TCS_PAGE: write a TCS into the REG page at tcs_page (before EMODT).");
  cls.def(
      "nop", [](EnclaveThread& t) { t.call("NOP", EnclOpHeader{user::kEnclOpNop}); },
      "ENCL_OP_NOP: enter and exit.");
  cls.def("resume", &EnclaveThread::resume,
          "ERESUME of the operation the last call left in the AEX; once it ends, what it "
          "returns (a read's value, EACCEPT's code) or None.");

  enclave.def(
      "thread",
      [](const std::shared_ptr<Enclave>& e, const py::object& tcs) {
        return std::make_shared<EnclaveThread>(e, optional_u64(tcs, "tcs").value_or(e->base()));
      },
      py::arg("tcs") = py::none(),
      "A thread entering on the TCS at address tcs (the enclave's base, TCS#1 of the "
      "selftest enclave, by default).");
}

}  // namespace sgxref::bindings
