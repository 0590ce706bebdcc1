// Fuzz target: the driver as hostile user space drives it (syzkaller's view of
// /dev/sgx_enclave). The input is decoded into up to kMaxSteps system calls of the uapi
// properties' process (props/uapi_conformance/driver_world.h: the selftests' enclave
// running with eight threads, and a second enclave to build, on a 64-page EPC):
//   - the SGX2 ioctls with any offset, length, mode, `result` and `count`, and pointers
//     to nothing;
//   - the build's CREATE, ADD_PAGES, PROVISION and INIT, malformed as well;
//   - ioctls of any other number on each descriptor (the enclaves' and
//     /dev/sgx_provision's);
//   - mmap, munmap and mprotect over ELRANGE;
//   - the enclave threads' operations at any page (loads, stores, EACCEPT with any
//     SECINFO, EACCEPTCOPY, EMODPE, making a TCS), entered and resumed;
//   - reclaim: one ksgxd batch, or every page written out.
// model/uapi runs beside it as the oracle. After every call its answer must be the
// model's, and the driver's own state the model's (driver_world's `differences`: every
// page record, resident page's EPCM entry and bytes, the mapping, the TCSs' CSSA; the
// EPC accounted for, D5; no WARN, D1): so a refused call changed nothing. At the end
// every page is loaded back and compared, and the release must free everything.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <sstream>
#include <string>

#include "fuzz/require.h"
#include "uapi/build_ioctls.h"
#include "uapi/enclave_ops.h"
#include "uapi/mapping.h"
#include "uapi/process.h"
#include "uapi/sgx2_ioctls.h"
#include "uapi/sgx_ioctl.h"
#include "uapi_conformance/driver_world.h"
#include "uapi_conformance/uapi_describe.h"
#include "user/test_encl.h"

namespace sgxref::props {
namespace {

namespace mu = model::uapi;
using Model = mu::Process;
constexpr uint64_t kPage = mu::kPage;
constexpr int kMaxSteps = 48;

struct Run {
  DriverWorld world;
  Model model{world.initial_model(), {}, world.build_plan()};
  std::ostringstream steps;  // the calls so far, shown when a rule breaks

  // The driver's state against the model's after a call.
  void check_state() {
    const std::string d = world.differences(model.enclave, model.build);
    if (d.empty()) return;
    std::fprintf(stderr, "calls:\n%sstate differs from the model's:\n%s", steps.str().c_str(),
                 d.c_str());
    fuzz::require(false, "a call left the driver's state where the model's is not");
  }

  void expect(bool same, const std::string& got, const std::string& want) {
    if (same) return;
    std::fprintf(stderr, "calls:\n%sdriver %s, model %s\n", steps.str().c_str(), got.c_str(),
                 want.c_str());
    fuzz::require(false, "a call answered other than the model");
  }
};

uint64_t modelled_bytes(const Model& m) { return m.enclave.size - m.enclave.first; }

// A page of the modelled part of ELRANGE.
uint64_t some_page(FuzzedDataProvider& in, const Model& m) {
  return m.enclave.first + in.ConsumeIntegralInRange<uint64_t>(0, modelled_bytes(m) / kPage - 1) * kPage;
}

// An offset for an SGX2 ioctl: mostly a page of the modelled part; or any byte of it;
// or any value at all, folded into the modelled part when it would fall on the image
// before it (which the model does not follow).
uint64_t some_offset(FuzzedDataProvider& in, const Model& m) {
  switch (in.ConsumeIntegralInRange(0, 3)) {
    case 0: return m.enclave.first + in.ConsumeIntegralInRange<uint64_t>(0, modelled_bytes(m) - 1);
    case 1: {
      const uint64_t any = in.ConsumeIntegral<uint64_t>();
      return any < m.enclave.first ? m.enclave.first + any % modelled_bytes(m) : any;
    }
    default: return some_page(in, m);
  }
}

// A length: mostly one to six pages; or any value.
uint64_t some_length(FuzzedDataProvider& in) {
  if (in.ConsumeIntegralInRange(0, 3) == 0) return in.ConsumeIntegral<uint64_t>();
  return in.ConsumeIntegralInRange<uint64_t>(1, 6) * kPage;
}

// Mostly 0 (what the uapi asks for); sometimes any value.
uint64_t mostly_zero(FuzzedDataProvider& in) {
  return in.ConsumeIntegralInRange(0, 7) == 0 ? in.ConsumeIntegral<uint64_t>() : 0;
}

void sgx2_ioctl(FuzzedDataProvider& in, Run& r) {
  const auto which = DriverWorld::Sgx2(in.ConsumeIntegralInRange(0, 2));
  mu::Sgx2Args a;
  a.offset = some_offset(in, r.model);
  a.length = some_length(in);
  a.mode = in.ConsumeBool() ? in.ConsumeIntegralInRange<uint64_t>(0, 15) : in.ConsumeIntegral<uint64_t>();
  a.result = mostly_zero(in);
  a.count = mostly_zero(in);
  a.bad_pointer = in.ConsumeIntegralInRange(0, 15) == 0;
  static const char* const kNames[] = {"RESTRICT_PERMISSIONS", "MODIFY_TYPES", "REMOVE_PAGES"};
  r.steps << kNames[int(which)] << " ";
  show_args(r.steps, a);
  r.steps << "\n";
  const mu::IoctlOutcome want = DriverWorld::on_model(r.model.enclave, which, a);
  const mu::IoctlOutcome got = r.world.ioctl(0, which, a);
  r.expect(got == want, describe(got), describe(want));
}

// SECINFO.FLAGS: a type, rights and the PENDING, MODIFIED and PR bits in any
// combination, or any value.
uint64_t some_flags(FuzzedDataProvider& in) {
  namespace si = mu::secinfo;
  if (in.ConsumeIntegralInRange(0, 7) == 0) return in.ConsumeIntegral<uint64_t>();
  return si::type(in.ConsumeIntegralInRange<int64_t>(0, 6)) | in.ConsumeIntegralInRange<uint64_t>(0, 7) |
         (in.ConsumeBool() ? si::kPending : 0) | (in.ConsumeBool() ? si::kModified : 0) |
         (in.ConsumeBool() ? si::kPr : 0);
}

mu::EnclaveOp some_op(FuzzedDataProvider& in, const Model& m) {
  using K = mu::EnclaveOp::Kind;
  const auto kind = K(in.ConsumeIntegralInRange(0, 5));
  const uint64_t page = some_page(in, m);
  switch (kind) {
    case K::kLoad: return {kind, page + 8 * in.ConsumeIntegralInRange<uint64_t>(0, 511), 0};
    case K::kStore:
      return {kind, page + 8 * in.ConsumeIntegralInRange<uint64_t>(0, 511), in.ConsumeIntegral<uint64_t>()};
    case K::kEaccept: return {kind, page, some_flags(in)};
    case K::kEacceptCopy: {
      mu::EnclaveOp op{kind, page, some_flags(in)};
      op.source = some_page(in, m);
      return op;
    }
    case K::kEmodpe: return {kind, page, some_flags(in)};
    case K::kInitTcs: return {kind, page, page + kPage, user::test_encl::kDynEntry};
  }
  return {};
}

void enter(FuzzedDataProvider& in, Run& r) {
  const int thread = in.ConsumeIntegralInRange(0, DriverWorld::kThreads - 1);
  const mu::EnclaveOp op = some_op(in, r.model);
  r.steps << "EENTER #" << thread + 1 << " " << op << "\n";
  const mu::OpOutcome want = mu::enter(r.model.enclave, DriverWorld::tcs(thread), op);
  const DriverWorld::Run got = r.world.enter(thread, op);
  r.expect(mu::allows(want, got.outcome), describe(got.outcome), describe(want));
}

void resume(FuzzedDataProvider& in, Run& r) {
  const int thread = in.ConsumeIntegralInRange(0, DriverWorld::kThreads - 1);
  r.steps << "ERESUME #" << thread + 1 << "\n";
  const mu::OpOutcome want = mu::resume(r.model.enclave, DriverWorld::tcs(thread));
  const DriverWorld::Run got = r.world.resume(thread);
  r.expect(mu::allows(want, got.outcome), describe(got.outcome), describe(want));
}

// mmap, munmap or mprotect of pages of the modelled part (one past ELRANGE's end would
// reach the process's other mappings, which MAP_FIXED would clear before the driver
// refuses).
void remap(FuzzedDataProvider& in, Run& r) {
  const int call = in.ConsumeIntegralInRange(0, 2);
  const uint64_t offset = some_page(in, r.model);
  const uint64_t length =
      in.ConsumeIntegralInRange<uint64_t>(1, (r.model.enclave.size - offset) / kPage) * kPage;
  const auto rights = in.ConsumeIntegralInRange<uint8_t>(0, 7);
  const bool shared = in.ConsumeIntegralInRange(0, 7) != 0;
  static const char* const kNames[] = {"mprotect", "munmap", "mmap"};
  r.steps << kNames[call] << " 0x" << std::hex << offset << " 0x" << length << std::dec
          << " rights " << int(rights) << (shared ? "" : " private") << "\n";
  long want = 0;
  long got = 0;
  if (call == 0) {
    want = mu::mprotect(r.model.enclave, offset, length, rights);
    got = r.world.mprotect(offset, length, rights);
  } else if (call == 1) {
    want = mu::munmap(r.model.enclave, offset, length);
    got = r.world.munmap(offset, length);
  } else {
    want = mu::mmap(r.model.enclave, offset, length, rights, shared);
    got = r.world.mmap(offset, length, rights, shared);
  }
  r.expect(got == want, std::to_string(got), std::to_string(want));
}

mu::AddArgs some_add(FuzzedDataProvider& in, const Model& m) {
  const mu::BuildPlan& plan = m.plan;
  const size_t done = m.build.added.size();
  if (in.ConsumeBool() && done < plan.signed_for.size()) return mu::add_args_for(plan.signed_for[done]);
  mu::AddArgs a;
  // The model reads a source page for each page added: the length stays within the
  // prepared pages, or is not a multiple of a page (refused before any is read).
  a.source = in.ConsumeIntegralInRange<uint64_t>(0, plan.sources.size() - 1);
  a.length = in.ConsumeIntegralInRange(0, 7) == 0
                 ? in.ConsumeIntegral<uint64_t>() | 1
                 : in.ConsumeIntegralInRange<uint64_t>(1, plan.sources.size() - a.source) * kPage;
  a.offset = in.ConsumeBool() ? in.ConsumeIntegralInRange<uint64_t>(0, plan.size / kPage - 1) * kPage
                              : in.ConsumeIntegral<uint64_t>();
  a.flags = some_flags(in);
  a.measure = in.ConsumeBool();
  a.bad_pointer = in.ConsumeIntegralInRange(0, 15) == 0;
  a.src_misaligned = in.ConsumeIntegralInRange(0, 15) == 0;
  a.src_unmapped = in.ConsumeIntegralInRange(0, 15) == 0;
  a.secinfo_reserved = in.ConsumeIntegralInRange(0, 15) == 0;
  return a;
}

void build(FuzzedDataProvider& in, Run& r) {
  switch (in.ConsumeIntegralInRange(0, 3)) {
    case 0: {
      const auto kind = mu::SecsKind(in.ConsumeIntegralInRange(0, 4));
      r.steps << "CREATE kind " << int(kind) << "\n";
      const long want = mu::create(r.model.build, kind);
      const long got = r.world.build_create(kind);
      r.expect(got == want, std::to_string(got), std::to_string(want));
      return;
    }
    case 1: {
      const mu::AddArgs a = some_add(in, r.model);
      r.steps << "ADD_PAGES source " << a.source << std::hex << " offset 0x" << a.offset
              << " length 0x" << a.length << " flags 0x" << a.flags << std::dec
              << (a.measure ? " measured" : "") << (a.bad_pointer ? " bad-pointer" : "")
              << (a.src_misaligned ? " misaligned" : "") << (a.src_unmapped ? " unmapped" : "")
              << (a.secinfo_reserved ? " reserved" : "") << "\n";
      const mu::IoctlOutcome want = mu::add_pages(r.model.build, r.model.plan, a);
      const mu::IoctlOutcome got = r.world.build_add(a);
      r.expect(got == want, describe(got), describe(want));
      return;
    }
    case 2: {
      const bool bad_pointer = in.ConsumeIntegralInRange(0, 7) == 0;
      const bool provision_file = in.ConsumeIntegralInRange(0, 5) != 0;
      r.steps << "PROVISION" << (bad_pointer ? " bad-pointer" : "")
              << (provision_file ? "" : " another-file") << "\n";
      const long want = mu::provision(r.model.build, bad_pointer, provision_file);
      const long got = r.world.build_provision(bad_pointer, provision_file);
      r.expect(got == want, std::to_string(got), std::to_string(want));
      return;
    }
    default: {
      mu::InitArgs a;
      a.bad_pointer = in.ConsumeIntegralInRange(0, 7) == 0;
      a.bad_vendor = in.ConsumeIntegralInRange(0, 7) == 0;
      a.provision_key = in.ConsumeBool();
      a.reserved = mu::ReservedAsked(in.ConsumeIntegralInRange(0, 3));
      r.steps << "INIT" << (a.bad_pointer ? " bad-pointer" : "") << (a.bad_vendor ? " bad-vendor" : "")
              << (a.provision_key ? " provision-key" : "") << " reserved " << int(a.reserved) << "\n";
      const long want = mu::init(r.model.build, r.model.plan, a);
      const long got = r.world.build_init(a);
      r.expect(got == want, std::to_string(got), std::to_string(want));
      return;
    }
  }
}

// An ioctl number no SGX descriptor knows: -ENOTTY, and nothing changes.
void other_ioctl(FuzzedDataProvider& in, Run& r) {
  namespace io = uapi::ioctl;
  const int descriptor = in.ConsumeIntegralInRange(0, 2);
  const auto cmd = in.ConsumeIntegral<uint32_t>();
  const uint32_t known[] = {io::kEnclaveCreate,       io::kEnclaveAddPages,
                            io::kEnclaveInit,         io::kEnclaveProvision,
                            io::kEnclaveRestrictPermissions, io::kEnclaveModifyTypes,
                            io::kEnclaveRemovePages,  io::kEnclaveAugmentPages};
  if (descriptor != 2 && std::find(std::begin(known), std::end(known), cmd) != std::end(known)) return;
  r.steps << "ioctl 0x" << std::hex << cmd << std::dec << " on descriptor " << descriptor << "\n";
  const long got = r.world.raw_ioctl(descriptor, cmd);
  r.expect(got == -25, std::to_string(got), "-25 (ENOTTY)");
}

void reclaim(FuzzedDataProvider& in, Run& r) {
  if (in.ConsumeBool()) {
    r.steps << "reclaim: every page\n";
    r.world.evict_all();
  } else {
    r.steps << "reclaim: one batch\n";
    r.world.reclaim_batch();
  }
}

}  // namespace
}  // namespace sgxref::props

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sgxref::props;
  FuzzedDataProvider in(data, size);
  Run r;
  for (int step = 0; step < kMaxSteps && in.remaining_bytes() > 0; ++step) {
    switch (in.ConsumeIntegralInRange(0, 9)) {
      case 0: case 1: sgx2_ioctl(in, r); break;
      case 2: case 3: enter(in, r); break;
      case 4: resume(in, r); break;
      case 5: remap(in, r); break;
      case 6: case 7: build(in, r); break;
      case 8: other_ioctl(in, r); break;
      default: reclaim(in, r); break;
    }
    r.check_state();
  }
  const std::string d = r.world.final_differences(r.model.enclave, r.model.build);
  if (!d.empty()) {
    std::fprintf(stderr, "calls:\n%safter loading every page back:\n%s", r.steps.str().c_str(),
                 d.c_str());
    sgxref::fuzz::require(false, "a page came back other than the model's");
  }
  const std::string left = r.world.teardown_differences();
  if (!left.empty()) {
    std::fprintf(stderr, "calls:\n%safter the release:\n%s", r.steps.str().c_str(), left.c_str());
    sgxref::fuzz::require(false, "the release left something behind");
  }
  return 0;
}
