#include "user/enclave_loader.h"

#include <cerrno>

#include "kernel/uaccess.h"
#include "kernel/vm_flags.h"
#include "uapi/secinfo.h"
#include "uapi/sgx_ioctl.h"
#include "uapi/sigstruct.h"
#include "user/image_sigstruct.h"

namespace sgxref::user {

namespace {

using kernel::MAP_ANONYMOUS;
using kernel::MAP_FIXED;
using kernel::MAP_PRIVATE;
using kernel::MAP_SHARED;

// No access at all (Linux's PROT_NONE).
constexpr uint64_t kProtNone = 0;

// Anonymous read-write memory of the process holding the ioctls' arguments and the
// pages' contents, handed out in order and unmapped when the load is over.
class UserArena {
 public:
  explicit UserArena(kernel::Process& p) : p_(p) {}
  ~UserArena() {
    if (len_ != 0) p_.munmap(base_, len_);
  }
  UserArena(const UserArena&) = delete;
  UserArena& operator=(const UserArena&) = delete;

  long map(uint64_t len) {
    const long at = p_.mmap(0, len, kernel::PROT_READ | kernel::PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (at < 0) return at;
    base_ = hw::LAddr(at);
    len_ = len;
    return 0;
  }
  // Where `n` bytes of `data` now are, `align`-aligned; 0 if they did not fit or the
  // copy failed.
  hw::LAddr put(const void* data, uint64_t n, uint64_t align) {
    const uint64_t at = (used_ + align - 1) & ~(align - 1);
    if (at + n > len_) return 0;
    if (kernel::copy_to_user(base_ + at, data, n) != 0) return 0;
    used_ = at + n;
    return base_ + at;
  }
  template <typename T>
  hw::LAddr put(const T& v, uint64_t align = 8) {
    return put(&v, sizeof v, align);
  }

 private:
  kernel::Process& p_;
  hw::LAddr base_ = 0;
  uint64_t len_ = 0;
  uint64_t used_ = 0;
};


// One segment's SGX_IOC_ENCLAVE_ADD_PAGES. The driver stops early when a signal is
// pending and says how far it got in `count` (0 and -EINTR if nowhere), so the rest is
// asked for again, a bounded number of times without progress.
long add_pages(kernel::Process& p, int fd, hw::LAddr src, hw::LAddr secinfo,
               const Segment& s, hw::LAddr args) {
  constexpr int kMaxStalls = 8;
  const uint64_t flags = s.measure ? uapi::kPageMeasure : 0;
  uint64_t done = 0;
  for (int stalls = 0; done < s.length();) {
    uapi::EnclaveAddPages a{src + done, s.offset + done, s.length() - done, secinfo, flags, 0};
    if (kernel::copy_to_user(args, &a, sizeof a) != 0) return -EFAULT;
    const long ret = p.ioctl(fd, uapi::ioctl::kEnclaveAddPages, args);
    if (kernel::copy_from_user(&a, args, sizeof a) != 0) return -EFAULT;
    if (ret < 0 && ret != -EINTR) return ret;
    done += a.count;
    stalls = a.count == 0 ? stalls + 1 : 0;
    if (stalls == kMaxStalls) return ret < 0 ? ret : -EIO;
  }
  return 0;
}

long build(kernel::Process& p, const EnclaveImage& image, const sign::SigningKey& key,
           LoadedEnclave& e) {
  if (long ret = reserve_elrange(p, e.size, e.base); ret < 0) return ret;

  // Each segment's pages, page-aligned after its SECINFO; a page each for the SECS, the
  // SIGSTRUCT and the small arguments.
  uint64_t need = 3 * hw::kPageSize;
  for (const Segment& s : image.segments) need += s.length() + hw::kPageSize;
  UserArena arena(p);
  if (long ret = arena.map(need); ret < 0) return ret;

  const uapi::Secs secs = make_secs(image, e.base);
  const hw::LAddr secs_at = arena.put(&secs, sizeof secs, hw::kPageSize);
  const hw::LAddr create = arena.put(uapi::EnclaveCreate{secs_at});
  if (secs_at == 0 || create == 0) return -EFAULT;
  if (long ret = p.ioctl(e.fd, uapi::ioctl::kEnclaveCreate, create); ret < 0) return ret;

  const hw::LAddr args = arena.put(uapi::EnclaveAddPages{});
  if (args == 0) return -EFAULT;
  for (const Segment& s : image.segments) {
    uapi::SecInfo si{};
    si.flags = s.secinfo_flags;
    const hw::LAddr secinfo = arena.put(&si, sizeof si, uapi::kSecInfoAlign);
    const hw::LAddr src = arena.put(s.bytes.data(), s.length(), hw::kPageSize);
    if (secinfo == 0 || src == 0) return -EFAULT;
    if (long ret = add_pages(p, e.fd, src, secinfo, s, args); ret < 0) return ret;
  }

  const uapi::SigStruct sig = sign_enclave_image(image, key);
  const hw::LAddr sig_at = arena.put(&sig, sizeof sig, 8);
  const hw::LAddr init = arena.put(uapi::EnclaveInit{sig_at});
  if (sig_at == 0 || init == 0) return -EFAULT;
  if (long ret = p.ioctl(e.fd, uapi::ioctl::kEnclaveInit, init); ret < 0) return ret;

  for (const Segment& s : image.segments) {
    const long at = p.mmap(e.base + s.offset, s.length(), s.prot, MAP_SHARED | MAP_FIXED, e.fd, 0);
    if (at < 0) return at;
  }
  return 0;
}

}  // namespace

long reserve_elrange(kernel::Process& p, uint64_t size, hw::LAddr& base) {
  const long area = p.mmap(0, 2 * size, kProtNone, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (area < 0) return area;
  const hw::LAddr start = hw::LAddr(area);
  base = (start + size - 1) & ~(size - 1);
  if (base > start) p.munmap(start, base - start);
  if (start + 2 * size > base + size) p.munmap(base + size, start + size - base);
  return 0;
}

long load_enclave(kernel::Process& p, const EnclaveImage& image, const sign::SigningKey& key,
                  LoadedEnclave& out) {
  LoadedEnclave e;
  e.size = enclave_size(image);
  e.fd = p.open("sgx_enclave");
  if (e.fd < 0) return e.fd;
  if (long ret = build(p, image, key, e); ret < 0) {
    unload_enclave(p, e);
    return ret;
  }
  out = e;
  return 0;
}

void unload_enclave(kernel::Process& p, LoadedEnclave& e) {
  if (e.base != 0) p.munmap(e.base, e.size);
  if (e.fd >= 0) p.close(e.fd);
  e = LoadedEnclave{};
}

}  // namespace sgxref::user
