// EEXTEND: extend an uninitialized enclave's MRENCLAVE with 256 bytes of one of its
// pages (SDM vol. 3D "EEXTEND—Extend Uninitialized Enclave Measurement by 256 Bytes").
#include <array>
#include <cstring>

#include "hw/cpu.h"
#include "hw/leaf_locks.h"
#include "hw/machine.h"
#include "hw/mrenclave.h"
#include "hw/secs_private.h"
#include "sched/scheduler.h"
#include "uapi/secs.h"

namespace sgxref::hw {

namespace {

inline constexpr uint64_t kChunk = 256;

// The 64-byte block EEXTEND adds before the chunk itself: "EEXTEND\0", the chunk's
// offset in the enclave, 48 zero bytes.
std::array<uint8_t, 64> eextend_block(uint64_t offset) {
  std::array<uint8_t, 64> b{};
  std::memcpy(b.data(), "EEXTEND", 7);
  std::memcpy(b.data() + 8, &offset, 8);
  return b;
}

}  // namespace

Result Cpu::do_eextend(PAddr secs, PAddr chunk) {
  if (!is_aligned(secs, kPageSize)) return Result::gp();
  // The SDM's "IF DS:RBX does resolve to an EPC page THEN #PF" drops a "not".
  const auto secs_slot = m_.epc_slot(secs);
  if (!secs_slot) return Result::pf(secs, 0);
  if (!is_aligned(chunk, kChunk)) return Result::gp();
  const auto slot = m_.epc_slot(chunk);
  if (!slot) return Result::pf(chunk, 0);

  LeafLocks locks(m_);
  uint64_t offset;
  {
    sched::MutexLock l(m_.mu());
    if (!m_.lock_page(locks, *slot, LockKind::kShared)) return Result::gp();
    const EpcmEntry& e = m_.epcm_entry(*slot);
    if (!e.valid) return Result::epcm_pf(chunk);
    if (e.type != PageType::kReg && e.type != PageType::kTcs) return Result::epcm_pf(chunk);
    if (e.secs != *secs_slot) return Result::gp();
    if (!m_.lock_page(locks, *secs_slot, LockKind::kMeasurement)) return Result::gp();
    // Listed among EEXTEND's #GP conditions though the pseudocode never tests it.
    const uapi::Secs s = load_secs(m_.page(*secs_slot));
    if ((s.attributes & uapi::attr::kInit) != 0) return Result::gp();
    offset = e.enclave_address - s.base + page_offset(chunk);
  }
  sched::point("eextend.measuring");

  const std::array<uint8_t, 64> block = eextend_block(offset);
  sched::MutexLock l(m_.mu());
  Sha256& mrenclave = running_mrenclave(m_, *secs_slot);
  mrenclave.update(block.data(), block.size());
  // Four 64-byte updates of the chunk hash the same as one of 256 bytes.
  mrenclave.update(m_.page(*slot) + page_offset(chunk), kChunk);
  return Result::ok();
}

}  // namespace sgxref::hw
