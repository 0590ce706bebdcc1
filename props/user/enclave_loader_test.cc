// The loader (user/enclave_loader.h) against a stand-in /dev/sgx_enclave that records
// what it is asked, until the driver answers for real: the selftests' sequence of system
// calls, every argument in the process's memory, a short ADD_PAGES continued, and a
// failure undone. And the SIGSTRUCT it signs is the one EINIT accepts for the image.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "hw/machine.h"
#include "kernel/file.h"
#include "kernel/kernel.h"
#include "kernel/mm.h"
#include "kernel/process.h"
#include "kernel/task.h"
#include "kernel/uaccess.h"
#include "kernel/vm_flags.h"
#include "kernel/vma.h"
#include "testlib/test_signing_key.h"
#include "uapi/secinfo.h"
#include "uapi/sgx_ioctl.h"
#include "user/enclave_loader.h"
#include "user/image_sigstruct.h"
#include "user/test_encl.h"
#include "user_fixture.h"

namespace sgxref::user {
namespace {

// Answers the enclave ioctls by reading their arguments from the caller's memory, as
// the driver does, and remembers them.
class RecordingDevice : public kernel::FileOps {
 public:
  struct Added {
    uint64_t offset, length, flags, secinfo_flags;
    std::vector<uint8_t> bytes;
  };
  struct Mapped {
    hw::LAddr start, end;
    uint64_t flags;
  };

  long ioctl(kernel::File&, unsigned int cmd, hw::LAddr arg) override {
    switch (cmd) {
      case uapi::ioctl::kEnclaveCreate: {
        uapi::EnclaveCreate c{};
        if (kernel::copy_from_user(&c, arg, sizeof c) ||
            kernel::copy_from_user(&secs, c.src, sizeof secs)) {
          return -EFAULT;
        }
        calls.push_back("create");
        return 0;
      }
      case uapi::ioctl::kEnclaveAddPages: {
        uapi::EnclaveAddPages a{};
        uapi::SecInfo si{};
        if (kernel::copy_from_user(&a, arg, sizeof a) ||
            kernel::copy_from_user(&si, a.secinfo, sizeof si)) {
          return -EFAULT;
        }
        const uint64_t n = std::min(a.length, add_limit);
        Added x{a.offset, n, a.flags, si.flags, std::vector<uint8_t>(n)};
        if (kernel::copy_from_user(x.bytes.data(), a.src, n)) return -EFAULT;
        added.push_back(std::move(x));
        a.count = n;  // a signal after n bytes: 0 with the count, as Linux answers
        if (kernel::copy_to_user(arg, &a, sizeof a)) return -EFAULT;
        calls.push_back("add");
        return 0;
      }
      case uapi::ioctl::kEnclaveInit: {
        uapi::EnclaveInit i{};
        if (kernel::copy_from_user(&i, arg, sizeof i) ||
            kernel::copy_from_user(&sigstruct, i.sigstruct, sizeof sigstruct)) {
          return -EFAULT;
        }
        calls.push_back("init");
        return init_result;
      }
      default:
        return -kernel::ENOIOCTLCMD;
    }
  }
  int mmap(kernel::File&, kernel::Vma& v) override {
    maps.push_back(Mapped{v.start, v.end, v.flags});
    return 0;
  }
  void release(kernel::File&) override { calls.push_back("release"); }

  std::vector<std::string> calls;
  uapi::Secs secs{};
  std::vector<Added> added;
  uapi::SigStruct sigstruct{};
  std::vector<Mapped> maps;
  uint64_t add_limit = ~uint64_t(0);
  long init_result = 0;
};

class EnclaveLoader : public ::testing::Test {
 protected:
  void SetUp() override {
    hw::Config c;
    c.epc_pages = 8;
    c.ram_pages = 256;
    m_ = std::make_unique<hw::Machine>(c);
    k_ = std::make_unique<kernel::Kernel>(*m_);
    k_->register_device("sgx_enclave", device_);
    p_ = std::make_unique<kernel::Process>(*k_);
    main_ = std::make_unique<kernel::Task>(*p_, "main");
    scope_.emplace(*main_);
  }

  long load(LoadedEnclave& e) { return load_enclave(*p_, image_, testlib::test_signing_key(), e); }
  std::vector<kernel::Vma> vmas() {
    sched::ReaderLock l(p_->mm().mmap_lock);
    std::vector<kernel::Vma> out;
    for (const kernel::Vma* v : p_->mm().vmas()) out.push_back(*v);
    return out;
  }

  const EnclaveImage image_ = test_encl::image();
  RecordingDevice device_;  // outlives the process, whose files refer to it
  std::unique_ptr<hw::Machine> m_;
  std::unique_ptr<kernel::Kernel> k_;
  std::unique_ptr<kernel::Process> p_;
  std::unique_ptr<kernel::Task> main_;
  std::optional<kernel::TaskScope> scope_;
};

TEST_F(EnclaveLoader, FollowsTheSelftestsSequenceOfSystemCalls) {
  LoadedEnclave e;
  ASSERT_EQ(load(e), 0);
  EXPECT_EQ(device_.calls, (std::vector<std::string>{"create", "add", "add", "add", "init"}));

  // ELRANGE: its size a power of two, its base a multiple of it.
  EXPECT_EQ(e.size, 0x10000u);
  EXPECT_EQ(e.base % e.size, 0u);
  EXPECT_EQ(device_.secs.base, e.base);
  EXPECT_EQ(device_.secs.size, e.size);
  EXPECT_EQ(device_.secs.ssa_frame_size, 1u);
  EXPECT_EQ(device_.secs.attributes, uapi::attr::kMode64Bit);
  EXPECT_EQ(device_.secs.xfrm, 0x3u);

  ASSERT_EQ(device_.added.size(), image_.segments.size());
  for (size_t i = 0; i < image_.segments.size(); ++i) {
    const Segment& s = image_.segments[i];
    const RecordingDevice::Added& a = device_.added[i];
    EXPECT_EQ(a.offset, s.offset);
    EXPECT_EQ(a.length, s.length());
    EXPECT_EQ(a.flags, uapi::kPageMeasure);
    EXPECT_EQ(a.secinfo_flags, s.secinfo_flags);
    EXPECT_EQ(a.bytes, s.bytes);
  }

  const uapi::SigStruct expected = sign_enclave_image(image_, testlib::test_signing_key());
  EXPECT_EQ(std::memcmp(&device_.sigstruct, &expected, sizeof expected), 0);

  // Each segment mapped shared over the descriptor with its protections, after INIT.
  ASSERT_EQ(device_.maps.size(), image_.segments.size());
  for (size_t i = 0; i < image_.segments.size(); ++i) {
    const Segment& s = image_.segments[i];
    EXPECT_EQ(device_.maps[i].start, e.base + s.offset);
    EXPECT_EQ(device_.maps[i].end, e.base + s.offset + s.length());
    EXPECT_EQ(device_.maps[i].flags & kernel::kVmProtMask, s.prot);
    EXPECT_TRUE(device_.maps[i].flags & kernel::VM_SHARED);
  }
  // Nothing of the load is left outside ELRANGE: the arguments' memory and the
  // reservation's unaligned ends are unmapped.
  for (const kernel::Vma& v : vmas()) {
    EXPECT_GE(v.start, e.base);
    EXPECT_LE(v.end, e.base + e.size);
  }

  unload_enclave(*p_, e);
  EXPECT_EQ(device_.calls.back(), "release");
  EXPECT_TRUE(vmas().empty());
}

TEST_F(EnclaveLoader, ShortAddPagesIsContinuedFromItsCount) {
  device_.add_limit = hw::kPageSize;
  LoadedEnclave e;
  ASSERT_EQ(load(e), 0);
  std::vector<uint8_t> all, expected;
  uint64_t offset = 0;
  for (const RecordingDevice::Added& a : device_.added) {
    EXPECT_EQ(a.offset, offset) << "each call goes on where the last stopped";
    offset += a.length;
    all.insert(all.end(), a.bytes.begin(), a.bytes.end());
  }
  for (const Segment& s : image_.segments) {
    expected.insert(expected.end(), s.bytes.begin(), s.bytes.end());
  }
  EXPECT_EQ(device_.added.size(), test_encl::kImageEnd / hw::kPageSize);
  EXPECT_EQ(all, expected);
  unload_enclave(*p_, e);
}

TEST_F(EnclaveLoader, FailureUndoesTheLoad) {
  device_.init_result = -EPERM;
  LoadedEnclave e;
  EXPECT_EQ(load(e), -EPERM);
  EXPECT_EQ(e.fd, -1);
  EXPECT_EQ(device_.calls.back(), "release");  // the descriptor was closed
  EXPECT_TRUE(vmas().empty());
  EXPECT_TRUE(device_.maps.empty());
}

TEST_F(EnclaveLoader, WithoutTheDeviceOpenFailsWithEnoent) {
  kernel::Kernel other(*m_);
  kernel::Process p(other);
  kernel::Task t(p, "main");
  kernel::TaskScope s(t);
  LoadedEnclave e;
  EXPECT_EQ(load_enclave(p, image_, testlib::test_signing_key(), e), -ENOENT);
}

// The SIGSTRUCT the loader passes is what EINIT accepts for the image built page by
// page: its MRENCLAVE is the hardware's measurement (the fixture's EINIT succeeded).
class SignedImage : public UserFixture {};

TEST_F(SignedImage, MrenclaveIsTheHardwaresMeasurement) {
  const uapi::SigStruct sig = sign_enclave_image(test_encl::image(), testlib::test_signing_key());
  const hw::SecsView secs = hw::Inspector(m()).secs(kSecsSlot);
  EXPECT_TRUE(secs.initialized);
  EXPECT_EQ(std::memcmp(secs.mrenclave.data(), sig.body.mrenclave, 32), 0);
}

}  // namespace
}  // namespace sgxref::user
