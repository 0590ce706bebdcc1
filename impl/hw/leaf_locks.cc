#include "hw/leaf_locks.h"

#include <cstdlib>

#include "hw/machine_state.h"

namespace sgxref::hw {

bool MachineState::lock_page(LeafLocks& held, uint32_t slot, LockKind kind) {
  PageLockState& s = epc_.lock(slot);
  switch (kind) {
    case LockKind::kShared:
      if (s.exclusive) return false;
      ++s.shared;
      break;
    case LockKind::kExclusive:
      if (!s.free()) return false;
      s.exclusive = true;
      break;
    case LockKind::kSgx2:
      if (s.sgx2) return false;
      s.sgx2 = true;
      break;
    case LockKind::kMeasurement:
      if (s.measurement) return false;
      s.measurement = true;
      break;
    case LockKind::kTracking:
      if (s.tracking) return false;
      s.tracking = true;
      break;
  }
  if (held.n_ == int(held.held_.size())) std::abort();  // a leaf holds at most a handful
  held.held_[held.n_++] = {slot, kind};
  return true;
}

void MachineState::unlock_pages(LeafLocks& held) {
  for (int i = held.n_ - 1; i >= 0; --i) {
    PageLockState& s = epc_.lock(held.held_[i].slot);
    switch (held.held_[i].kind) {
      case LockKind::kShared: --s.shared; break;
      case LockKind::kExclusive: s.exclusive = false; break;
      case LockKind::kSgx2: s.sgx2 = false; break;
      case LockKind::kMeasurement: s.measurement = false; break;
      case LockKind::kTracking: s.tracking = false; break;
    }
  }
  held.n_ = 0;
}

LeafLocks::~LeafLocks() {
  if (n_ == 0) return;
  sched::MutexLock l(m_.mu());
  m_.unlock_pages(*this);
}

}  // namespace sgxref::hw
