#include "bindings/enclave.h"

#include <pybind11/stl.h>

#include <cerrno>
#include <vector>

#include "bindings/arguments.h"
#include "bindings/errors.h"
#include "bindings/user_buffer.h"
#include "hw/address.h"
#include "kernel/vm_flags.h"
#include "scenarios/selftest_enclave.h"
#include "testlib/test_signing_key.h"
#include "uapi/secinfo.h"
#include "uapi/sgx_ioctl.h"
#include "user/enclave_loader.h"
#include "user/image_sigstruct.h"

namespace py = pybind11;
using namespace pybind11::literals;

namespace sgxref::bindings {

namespace {

constexpr uint64_t kPage = hw::kPageSize;

std::map<std::string, uint64_t> out_fields(const IoctlResult& r) {
  std::map<std::string, uint64_t> f{{"count", r.count}};
  if (r.result) f["result"] = *r.result;
  return f;
}

}  // namespace

std::shared_ptr<Enclave> Enclave::open(const std::shared_ptr<Machine>& m) {
  const int fd = m->run([&] {
    return int(check(m->host().process().open("sgx_enclave"), "open(/dev/sgx_enclave)"));
  });
  return std::make_shared<Enclave>(m, fd);
}

std::shared_ptr<Enclave> Enclave::load_test_enclave(const std::shared_ptr<Machine>& m,
                                                    uint64_t heap_pages) {
  user::EnclaveImage image = scenarios::selftest_image(heap_pages);
  image.size = user::enclave_size(image);
  user::LoadedEnclave loaded;
  m->run([&] {
    check(user::load_enclave(m->host().process(), image, testlib::test_signing_key(), loaded),
          "load_enclave");
  });
  auto e = std::make_shared<Enclave>(m, loaded.fd);
  e->base_ = loaded.base;
  e->image_ = std::move(image);
  return e;
}

void Enclave::create(uint64_t size, std::optional<uint64_t> base, uint64_t attributes,
                     uint32_t ssa_frame_size, uint64_t xfrm, uint32_t miscselect) {
  user::EnclaveImage image;
  image.size = size;
  image.attributes = attributes;
  image.ssa_frame_size = ssa_frame_size;
  image.xfrm = xfrm;
  image.miscselect = miscselect;
  base_ = m_->run([&] {
    kernel::Process& p = m_->host().process();
    hw::LAddr at = base.value_or(0);
    // A size the reservation cannot take (zero, or so large that twice it wraps) is
    // left to CREATE's own checks at address 0.
    if (!base && size != 0 && size <= (uint64_t(1) << 62)) {
      check(user::reserve_elrange(p, size, at), "mmap of ELRANGE's reservation");
    }
    UserBuffer buf(p, 2 * kPage);
    buf.put(0, user::make_secs(image, at));
    buf.put(kPage, uapi::EnclaveCreate{buf.at(0)});
    check(p.ioctl(fd_, uapi::ioctl::kEnclaveCreate, buf.at(kPage)), "SGX_IOC_ENCLAVE_CREATE");
    return at;
  });
  image_ = std::move(image);
}

IoctlResult Enclave::add_pages(uint64_t offset, const std::string& data, uint64_t secinfo,
                               uint64_t flags) {
  const uapi::EnclaveAddPages done = m_->run([&] {
    kernel::Process& p = m_->host().process();
    // The pages, then a page holding SECINFO (64-byte aligned) and the argument.
    const uint64_t args = (data.size() + kPage - 1) / kPage * kPage;
    UserBuffer buf(p, args + kPage);
    buf.write(0, data.data(), data.size());
    uapi::SecInfo si{};
    si.flags = secinfo;
    buf.put(args, si);
    uapi::EnclaveAddPages a{buf.at(0), offset, data.size(), buf.at(args), flags, 0};
    buf.put(args + sizeof si, a);
    const long ret = p.ioctl(fd_, uapi::ioctl::kEnclaveAddPages, buf.at(args + sizeof si));
    a = buf.get<uapi::EnclaveAddPages>(args + sizeof si);
    // The pages before `count` are in the enclave whatever the return: measured as
    // the processor measured them, for init's SIGSTRUCT.
    if (a.count > 0 && a.count <= data.size()) {
      image_.segments.push_back(
          user::Segment{offset, std::vector<uint8_t>(data.begin(), data.begin() + long(a.count)),
                        secinfo, 0, (flags & uapi::kPageMeasure) != 0});
    }
    check(ret, "SGX_IOC_ENCLAVE_ADD_PAGES", {{"count", a.count}});
    return a;
  });
  return IoctlResult{done.count, std::nullopt};
}

void Enclave::init() {
  const uapi::SigStruct sig = user::sign_enclave_image(image_, testlib::test_signing_key());
  m_->run([&] {
    kernel::Process& p = m_->host().process();
    UserBuffer buf(p, sizeof sig + kPage);
    buf.put(0, sig);
    buf.put(sizeof sig, uapi::EnclaveInit{buf.at(0)});
    check(p.ioctl(fd_, uapi::ioctl::kEnclaveInit, buf.at(sizeof sig)), "SGX_IOC_ENCLAVE_INIT");
  });
}

template <typename Arg>
IoctlResult Enclave::modify(unsigned int cmd, const char* name, Arg arg) {
  return m_->run([&] {
    kernel::Process& p = m_->host().process();
    UserBuffer buf(p, sizeof arg);
    buf.put(0, arg);
    const long ret = p.ioctl(fd_, cmd, buf.at(0));
    arg = buf.get<Arg>(0);
    IoctlResult r{arg.count, std::nullopt};
    if constexpr (requires { arg.result; }) r.result = arg.result;
    check(ret, name, out_fields(r));
    return r;
  });
}

IoctlResult Enclave::restrict_permissions(uint64_t offset, uint64_t length, uint64_t permissions) {
  return modify(uapi::ioctl::kEnclaveRestrictPermissions, "SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS",
                uapi::EnclaveRestrictPermissions{offset, length, permissions, 0, 0});
}

IoctlResult Enclave::modify_types(uint64_t offset, uint64_t length, uint64_t page_type) {
  return modify(uapi::ioctl::kEnclaveModifyTypes, "SGX_IOC_ENCLAVE_MODIFY_TYPES",
                uapi::EnclaveModifyTypes{offset, length, page_type, 0, 0});
}

IoctlResult Enclave::remove_pages(uint64_t offset, uint64_t length) {
  return modify(uapi::ioctl::kEnclaveRemovePages, "SGX_IOC_ENCLAVE_REMOVE_PAGES",
                uapi::EnclaveRemovePages{offset, length, 0});
}

uint64_t Enclave::mmap(uint64_t addr, uint64_t length, uint64_t prot) {
  return m_->run([&] {
    return uint64_t(check(m_->host().process().mmap(addr, length, prot,
                                                    kernel::MAP_SHARED | kernel::MAP_FIXED, fd_, 0),
                          "mmap"));
  });
}

void Enclave::mprotect(uint64_t addr, uint64_t length, uint64_t prot) {
  m_->run([&] { check(m_->host().process().mprotect(addr, length, prot), "mprotect"); });
}

void Enclave::munmap(uint64_t addr, uint64_t length) {
  m_->run([&] { check(m_->host().process().munmap(addr, length), "munmap"); });
}

void Enclave::close() {
  m_->run([&] { check(m_->host().process().close(fd_), "close"); });
}

driver::Encl& Enclave::encl() {
  const kernel::FileRef f = m_->host().process().file(fd_);
  if (f == nullptr) throw py::value_error("the enclave's descriptor is closed");
  return *static_cast<driver::Encl*>(f->private_data.get());
}

EnclaveClass bind_enclave(py::module_& m, MachineClass& machine) {
  py::class_<IoctlResult>(m, "IoctlResult",
                          "What an SGX ioctl copied back: count (bytes done) and, for "
                          "RESTRICT_PERMISSIONS and MODIFY_TYPES, result (an SGX code).")
      .def_readonly("count", &IoctlResult::count)
      .def_readonly("result", &IoctlResult::result)
      .def("__repr__", [](const IoctlResult& r) {
        return "IoctlResult(count=" + std::to_string(r.count) +
               (r.result ? ", result=" + std::to_string(*r.result) : std::string()) + ")";
      });

  EnclaveClass cls(m, "Enclave",
                   "An open /dev/sgx_enclave of the machine's process. Driver errors raise OSError "
                   "with the errno; the uapi's out fields are the exception's count and result.");
  cls.def_property_readonly("fd", &Enclave::fd);
  cls.def_property_readonly("base", &Enclave::base);
  cls.def_property_readonly("size", &Enclave::size);
  cls.def(
      "create",
      [](Enclave& e, const py::int_& size, const py::object& base, const py::int_& attributes,
         const py::int_& ssa_frame_size, const py::int_& xfrm, const py::int_& miscselect) {
        e.create(u64(size, "size"), optional_u64(base, "base"), u64(attributes, "attributes"),
                 uint32_t(in_range(ssa_frame_size, "ssa_frame_size", 0, UINT32_MAX)),
                 u64(xfrm, "xfrm"), uint32_t(in_range(miscselect, "miscselect", 0, UINT32_MAX)));
      },
      py::arg("size"), py::kw_only(), py::arg("base") = py::none(),
      py::arg("attributes") = uapi::attr::kMode64Bit | uapi::attr::kDebug,
      py::arg("ssa_frame_size") = 1, py::arg("xfrm") = 3, py::arg("miscselect") = 0,
      "SGX_IOC_ENCLAVE_CREATE. Without base, ELRANGE is reserved as the selftests' "
      "loader does.");
  cls.def(
      "add_pages",
      [](Enclave& e, const py::int_& offset, const py::bytes& data, const py::int_& secinfo,
         const py::int_& flags) {
        return e.add_pages(u64(offset, "offset"), std::string(data), u64(secinfo, "secinfo"),
                           u64(flags, "flags"));
      },
      py::arg("offset"), py::arg("data"), py::arg("secinfo"), py::arg("flags") = uapi::kPageMeasure,
      "SGX_IOC_ENCLAVE_ADD_PAGES of `data` (whole pages) at `offset` with SECINFO.FLAGS "
      "`secinfo`; flags PAGE_MEASURE (default) or 0.");
  cls.def("init", &Enclave::init,
          "SGX_IOC_ENCLAVE_INIT with a SIGSTRUCT signed over what was created and added.");
  cls.def(
      "restrict_permissions",
      [](Enclave& e, const py::int_& offset, const py::int_& length, const py::int_& perms) {
        return e.restrict_permissions(u64(offset, "offset"), u64(length, "length"),
                                      u64(perms, "permissions"));
      },
      py::arg("offset"), py::arg("length"), py::arg("permissions"),
      "SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS (EMODPR); the enclave must EACCEPT.");
  cls.def(
      "modify_types",
      [](Enclave& e, const py::int_& offset, const py::int_& length, const py::int_& type) {
        return e.modify_types(u64(offset, "offset"), u64(length, "length"), u64(type, "page_type"));
      },
      py::arg("offset"), py::arg("length"), py::arg("page_type"),
      "SGX_IOC_ENCLAVE_MODIFY_TYPES (EMODT) to PAGE_TYPE_TRIM or PAGE_TYPE_TCS.");
  cls.def(
      "remove_pages",
      [](Enclave& e, const py::int_& offset, const py::int_& length) {
        return e.remove_pages(u64(offset, "offset"), u64(length, "length"));
      },
      py::arg("offset"), py::arg("length"),
      "SGX_IOC_ENCLAVE_REMOVE_PAGES of trimmed, accepted pages.");
  cls.def(
      "mmap",
      [](Enclave& e, const py::int_& addr, const py::int_& length, const py::int_& prot) {
        return e.mmap(u64(addr, "addr"), u64(length, "length"), u64(prot, "prot"));
      },
      py::arg("addr"), py::arg("length"), py::arg("prot"),
      "mmap(addr, length, prot, MAP_SHARED | MAP_FIXED, fd, 0): the address.");
  cls.def(
      "mprotect",
      [](Enclave& e, const py::int_& addr, const py::int_& length, const py::int_& prot) {
        e.mprotect(u64(addr, "addr"), u64(length, "length"), u64(prot, "prot"));
      },
      py::arg("addr"), py::arg("length"), py::arg("prot"));
  cls.def(
      "munmap",
      [](Enclave& e, const py::int_& addr, const py::int_& length) {
        e.munmap(u64(addr, "addr"), u64(length, "length"));
      },
      py::arg("addr"), py::arg("length"));
  cls.def("close", &Enclave::close, "close(fd): the enclave goes once its last mapping goes too.");

  m.def(
      "test_enclave_image",
      [](const py::int_& heap_pages) {
        const user::EnclaveImage image =
            scenarios::selftest_image(in_range(heap_pages, "heap_pages", 1, 1u << 16));
        py::list segments;
        for (const user::Segment& seg : image.segments) {
          const py::bytes data(reinterpret_cast<const char*>(seg.bytes.data()), seg.bytes.size());
          segments.append(py::dict("offset"_a = seg.offset, "data"_a = data,
                                   "secinfo"_a = seg.secinfo_flags, "prot"_a = seg.prot,
                                   "measure"_a = seg.measure));
        }
        return py::dict("size"_a = user::enclave_size(image), "attributes"_a = image.attributes,
                        "xfrm"_a = image.xfrm, "miscselect"_a = image.miscselect,
                        "ssa_frame_size"_a = image.ssa_frame_size, "segments"_a = segments);
      },
      py::kw_only(), py::arg("heap_pages") = 1,
      "The image load_test_enclave builds, as data: SECS fields and the segments (offset, "
      "data, secinfo, prot, measure), for building it step by step.");

  machine.def("open", &Enclave::open, "open(\"/dev/sgx_enclave\"): a new Enclave.");
  machine.def(
      "load_test_enclave",
      [](const std::shared_ptr<Machine>& self, const py::int_& heap_pages) {
        return Enclave::load_test_enclave(self, in_range(heap_pages, "heap_pages", 1, 1u << 16));
      },
      py::kw_only(), py::arg("heap_pages") = 1,
      "The kernel selftests' setup_test_encl: the test enclave (TCS#1 at base, TCS#2 at "
      "base + 0x1000, encl_buffer at base + 0x3000) with a heap, built, initialized and "
      "mapped by the loader.");
  return cls;
}

}  // namespace sgxref::bindings
