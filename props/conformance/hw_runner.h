// File: runs model operations (model/op.h) on the emulator, translating the model's
// abstract operands into what the leaves really take, and answers in the model's terms.
//
// The translation, which docs/model.md ("Conformance") also states:
// - EPC slot j is EPC page j; the slot value Sizes::slots is physical address 0 (the
//   model's null SECS), and larger values are unmapped physical pages at kNoEpc, so a
//   leaf takes #PF there. A PTE naming any of them maps a RAM frame.
// - Linear page l is the linear address l * 4 KiB: ELRANGE and ENCLAVEADDRESS of the
//   model are the emulator's, with SECS and VA pages at ENCLAVEADDRESS 0.
// - SECINFO flags carry the model's bits; `reserved` sets a reserved FLAGS bit.
// - The SECS ECREATE copies is 64-bit with one-page SSA frames; `contents_ok = false`
//   gives it an illegal XFRM. The CPUID enclave-size limit admits exactly the sizes up
//   to the model's address space.
// - EINIT's verdicts become a real SIGSTRUCT: signed over the SECS's running MRENCLAVE,
//   with a broken header (SIG_STRUCT), a flipped signature byte (SIGNATURE), another
//   MRENCLAVE (MEASUREMENT), another DEBUG attribute (ATTRIBUTE), or a launch-control
//   hash on the CPU that is not the signer's (EINITTOKEN).
// - Blob b is the ciphertext and PCMD EWB wrote; `intact = false` flips a ciphertext byte
//   of the copy ELDU is given.
// - An enclave SECINFO operand is written at offset kSecInfoOffset of the page the model
//   names (as enclave code would have), accesses touch offset kAccessOffset, and
//   store_tcs writes the OSSA, CSSA and NSSA fields at their TCS offsets: none of these
//   overlap the bytes the model reads (TCS fields, VA slots, SECS fields).
// - AEX and IPI are the emulator's IPI; the driving thread then takes the interrupt.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "hw/machine.h"
#include "hw/page_table.h"
#include "model/op.h"
#include "sign/signing_key.h"
#include "testlib/kernel_memory.h"
#include "uapi/secinfo.h"

namespace sgxref::conformance {

using model::test::C;
using model::test::Op;
using Out = model::arch::Outcome<C>;

// What the runner keeps of an evicted page: the blob software holds, plus (for the
// abstraction) the version EWB put in its VA slot and the page's model-visible bytes
// as EWB read them.
struct HwBlob {
  bool valid = false;
  std::array<uint8_t, hw::kPageSize> ciphertext{};
  uapi::Pcmd pcmd{};
  uint64_t linaddr = 0;
  uint64_t version = 0;
  model::arch::PageData<C> data;
};

class HwRunner {
 public:
  static constexpr hw::PAddr kNoEpc = 0x0000'0100'0000'0000ull;  // unmapped
  static constexpr hw::LAddr kAep = 0x7000'0000'1000ull;
  static constexpr uint64_t kSecInfoOffset = 0x800;
  static constexpr uint64_t kAccessOffset = 0xC00;

  HwRunner(const model::arch::Sizes& sz, const sign::SigningKey& key);

  // Runs `op` and returns its outcome in the model's terms. A kind outside the model's
  // (an interrupted step) comes back as kind 100 so it never matches.
  Out run(const Op& op);
  // Runs the EBLOCK on a thread of its own, parked at "eblock.locked" while the other
  // operation runs on this thread; then lets it finish.
  model::test::OverlapOutcome run(const model::test::OverlapOp& op);

  const model::arch::Sizes& sizes() const { return sz_; }
  hw::Machine& machine() { return *m_; }
  const hw::Machine& machine() const { return *m_; }
  const hw::PageTable& page_table() const { return pt_; }
  const std::vector<HwBlob>& blobs() const { return blobs_; }

  // The model's value for a fault address: for a physical operand an EPC slot or an
  // out-of-EPC slot value, for a linear one (ENCLU operands, accesses) a linear page.
  int64_t model_addr(uint64_t addr, bool linear_operand) const;
  // The model's slot value for the frame a PTE maps: an EPC slot, or the out-of-EPC
  // slot value whose RAM frame it is.
  int64_t pte_slot(hw::PAddr frame) const;
  // The model's page data of EPC slot `slot`, read from the page's bytes by its type.
  model::arch::PageData<C> page_data(uint32_t slot) const;

 private:
  hw::PAddr slot_addr(int64_t v) const;
  static hw::LAddr linear(int64_t page) { return hw::LAddr(page) * hw::kPageSize; }
  static uint64_t secinfo_flags(const model::arch::SecInfo<C>& si);
  hw::PAddr put_secinfo(const model::arch::SecInfo<C>& si);
  hw::Result execute(const Op& op);
  Out to_model(const hw::Result& r, bool linear_operands) const;

  hw::Result ecreate(const model::arch::EcreateOp<C>& op);
  hw::Result eadd(const model::arch::EaddOp<C>& op);
  hw::Result einit(const model::arch::EinitOp<C>& op);
  hw::Result ewb(const model::arch::EwbOp<C>& op);
  hw::Result eld(bool block, const model::arch::EldOp<C>& op);
  hw::Result eaug(const model::arch::EaugOp<C>& op);
  // Writes the SECINFO where enclave code would have put it in `page`, if `page` maps a
  // REG page; returns the RBX the leaf takes.
  hw::LAddr enclave_secinfo(int64_t page, const model::arch::SecInfo<C>& si);
  hw::Result store_tcs(const model::arch::StoreTcsOp<C>& op);
  hw::Result access(model::test::Leaf leaf, const model::arch::AccessOp<C>& op);
  void pte(const Op& op);
  void interrupt(int64_t cpu);

  model::arch::Sizes sz_;
  const sign::SigningKey& key_;
  hw::Digest signer_hash_{};
  std::unique_ptr<hw::Machine> m_;
  hw::PageTable pt_;
  testlib::KernelMemory mem_;
  std::map<int64_t, hw::PAddr> ram_frame_;  // RAM behind a PTE naming a slot >= slots
  std::vector<HwBlob> blobs_;
};

}  // namespace sgxref::conformance
