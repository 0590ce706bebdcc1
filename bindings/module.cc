#include <pybind11/pybind11.h>

#include "bindings/arch_model.h"
#include "bindings/arguments.h"
#include "bindings/checker.h"
#include "bindings/enclave.h"
#include "bindings/enclave_thread.h"
#include "bindings/errors.h"
#include "bindings/inspect.h"
#include "bindings/machine.h"
#include "bindings/reclaim.h"
#include "bindings/scenarios.h"
#include "bindings/uapi_model.h"
#include "kernel/vm_flags.h"
#include "uapi/page_type.h"
#include "uapi/secs.h"
#include "uapi/sgx_code.h"
#include "uapi/sgx_ioctl.h"

namespace py = pybind11;
using namespace sgxref;

namespace {

// The uapi's and the SDM's constants under Linux's names without the SGX_ prefix.
void bind_constants(py::module_& m) {
  namespace sf = uapi::secinfo_flag;
  using uapi::PageType;
  m.attr("PAGE_TYPE_SECS") = int(PageType::kSecs);
  m.attr("PAGE_TYPE_TCS") = int(PageType::kTcs);
  m.attr("PAGE_TYPE_REG") = int(PageType::kReg);
  m.attr("PAGE_TYPE_VA") = int(PageType::kVa);
  m.attr("PAGE_TYPE_TRIM") = int(PageType::kTrim);
  m.attr("SECINFO_R") = sf::kR;
  m.attr("SECINFO_W") = sf::kW;
  m.attr("SECINFO_X") = sf::kX;
  m.attr("SECINFO_PENDING") = sf::kPending;
  m.attr("SECINFO_MODIFIED") = sf::kModified;
  m.attr("SECINFO_PR") = sf::kPr;
  m.attr("SECINFO_TCS") = sf::type(PageType::kTcs);
  m.attr("SECINFO_REG") = sf::type(PageType::kReg);
  m.attr("SECINFO_TRIM") = sf::type(PageType::kTrim);
  m.attr("PAGE_MEASURE") = uapi::kPageMeasure;
  m.attr("ATTR_DEBUG") = uapi::attr::kDebug;
  m.attr("ATTR_MODE64BIT") = uapi::attr::kMode64Bit;
  m.attr("PROT_NONE") = 0;
  m.attr("PROT_READ") = kernel::PROT_READ;
  m.attr("PROT_WRITE") = kernel::PROT_WRITE;
  m.attr("PROT_EXEC") = kernel::PROT_EXEC;
  m.def(
      "sgx_code_name",
      [](const py::int_& code) {
        return std::string(
            uapi::to_string(uapi::SgxCode(bindings::in_range(code, "code", 0, UINT32_MAX))));
      },
      py::arg("code"),
      "The SDM's name of an SGX code (an ioctl's result, EACCEPT's return): "
      "'SGX_PAGE_ATTRIBUTES_MISMATCH' for 19, 'SGX_UNKNOWN' for a value it does not define.");
}

}  // namespace

PYBIND11_MODULE(_native, m) {
  m.doc() =
      "sgxref: the Linux SGX driver on an emulated SGX machine (docs/bindings.md). "
      "Driver errors raise OSError with the errno; enclave faults raise EnclaveFault.";
  bindings::bind_errors(m);
  bind_constants(m);
  bindings::MachineClass machine = bindings::bind_machine(m);
  bindings::EnclaveClass enclave = bindings::bind_enclave(m, machine);
  bindings::bind_enclave_thread(m, enclave);
  bindings::bind_reclaim(machine, enclave);
  bindings::bind_inspect(machine, enclave);
  bindings::bind_scenarios(m);
  bindings::bind_uapi_model(m);
  bindings::bind_checker(m);
  bindings::bind_arch_model(m);
}
