#include "bindings/errors.h"

#include <cstring>
#include <utility>

#include "scenarios/scenario_result.h"

namespace py = pybind11;

namespace sgxref::bindings {

DriverError::DriverError(long neg_errno, const std::string& call,
                         std::map<std::string, uint64_t> fields)
    : std::runtime_error(call + ": " + std::strerror(int(-neg_errno))),
      err_(int(-neg_errno)),
      fields_(std::move(fields)) {}

EnclaveFaultError::EnclaveFaultError(const FaultInfo& f, const std::string& op)
    : std::runtime_error(op + ": exception vector " + std::to_string(f.vector) + ", error code " +
                         scenarios::hex(f.error_code) + " at " + scenarios::hex(f.address)),
      info_(f) {}

long check(long ret, const std::string& call, std::map<std::string, uint64_t> fields) {
  if (ret < 0) throw DriverError(ret, call, std::move(fields));
  return ret;
}

void bind_errors(py::module_& m) {
  // Kept for the interpreter's life: the translator below runs long after this returns.
  static py::exception<EnclaveFaultError> fault(m, "EnclaveFault");
  fault.doc() =
      "An enclave call ended in an exception the kernel did not resolve (the vDSO's "
      "run.function is the leaf it was executing). Attributes: address, error_code, "
      "vector, function.";
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const DriverError& e) {
      py::object exc = py::reinterpret_steal<py::object>(
          PyObject_CallFunction(PyExc_OSError, "is", e.err(), e.what()));
      if (!exc) return;  // the call failed and set its own error
      for (const auto& [name, value] : e.fields()) exc.attr(name.c_str()) = value;
      PyErr_SetObject(py::type::handle_of(exc).ptr(), exc.ptr());
    } catch (const EnclaveFaultError& e) {
      py::object exc = py::handle(fault.ptr())(e.what());
      exc.attr("address") = e.info().address;
      exc.attr("error_code") = e.info().error_code;
      exc.attr("vector") = e.info().vector;
      exc.attr("function") = e.info().function;
      PyErr_SetObject(fault.ptr(), exc.ptr());
    }
  });
}

}  // namespace sgxref::bindings
