#include "kernel/uaccess.h"

#include <algorithm>

#include "kernel/kernel.h"
#include "kernel/mm.h"
#include "kernel/task.h"

namespace sgxref::kernel {

namespace {

// Copies page by page; returns the bytes left when an address could not be reached.
template <typename Move>
uint64_t copy_user(hw::LAddr at, uint64_t n, bool write, const Move& move) {
  Task& t = current();
  Mm& mm = *t.mm();
  // Fault injection stops a copy from user space halfway, as a page that is unmapped
  // under the copy would.
  const uint64_t reachable =
      !write && t.kernel().faults().should_fail(FailPoint::kCopyFromUser) ? n / 2 : n;
  uint64_t done = 0;
  while (done < reachable) {
    const hw::LAddr a = at + done;
    const uint64_t chunk = std::min(reachable - done, hw::kPageSize - hw::page_offset(a));
    sched::ReaderLock l(mm.mmap_lock);
    const hw::PAddr frame = mm.get_user_page(a, write);
    if (frame == 0) break;
    if (!move(frame + hw::page_offset(a), done, chunk)) break;
    done += chunk;
  }
  return n - done;
}

}  // namespace

uint64_t copy_from_user(void* dst, hw::LAddr src, uint64_t n) {
  hw::Machine& m = current().kernel().machine();
  return copy_user(src, n, false, [&](hw::PAddr pa, uint64_t done, uint64_t chunk) {
    return !m.read(pa, static_cast<uint8_t*>(dst) + done, chunk).faulted();
  });
}

uint64_t copy_to_user(hw::LAddr dst, const void* src, uint64_t n) {
  hw::Machine& m = current().kernel().machine();
  return copy_user(dst, n, true, [&](hw::PAddr pa, uint64_t done, uint64_t chunk) {
    return !m.write(pa, static_cast<const uint8_t*>(src) + done, chunk).faulted();
  });
}

}  // namespace sgxref::kernel
