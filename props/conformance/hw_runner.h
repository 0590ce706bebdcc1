// File: runs model operations (model/op.h) on the emulator, translating the model's
// abstract operands into what the leaves really take, and answers in the model's terms.
//
// The translation, which docs/model.md ("Conformance") also states:
// - EPC slot j is EPC page j; the slot value Sizes::slots is physical address 0 (the
//   model's null SECS), and larger values are unmapped physical pages at kNoEpc, so a
//   leaf takes #PF there. A PTE naming one of them maps that unbacked address, which
//   reads as all ones and drops writes, as the model's memory outside the EPC does.
// - Linear page l is the linear address l * 4 KiB in every address space; address space
//   k is a page table of its own, which a CPU walks once the model's cr3 names it.
// - SECINFO flags carry the model's bits; `reserved` sets a reserved FLAGS bit.
// - Words of contents sit at page_bytes.h's offsets; EADD's source page holds the
//   operand's value in every word and its TCS fields; a store writes its value there.
// - The SECS ECREATE copies is 64-bit with one-page SSA frames; `contents_ok = false`
//   gives it an illegal XFRM. The CPUID enclave-size limit admits exactly the sizes up
//   to the model's address space.
// - EINIT's SIGSTRUCT is signed over the MRENCLAVE of what the runner had the enclave
//   measure (measurement_log.h) when its claim is the enclave's measured events, and over
//   another hash otherwise; its other verdicts become a broken header (SIG_STRUCT), a
//   flipped signature byte (SIGNATURE), another DEBUG attribute (ATTRIBUTE), or a
//   launch-control hash on the CPU that is not the signer's (EINITTOKEN).
// - Blob b is what EWB wrote (sealed page, PCMD, the LINADDR it reported); ELDU is handed
//   a copy whose PCMD carries the operand's SECINFO, with a ciphertext byte flipped when
//   `intact` is false.
// - An enclave SECINFO operand, TARGETINFO and REPORTDATA are written at fixed offsets of
//   the page the model names (as enclave code would have), EREPORT's REPORT goes to
//   another; store_tcs writes the TCS fields. None overlap the words or each other.
// - AEX and IPI are the emulator's IPI; the driving thread then takes the interrupt.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "conformance/measurement_log.h"
#include "hw/inspect.h"
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

// What software holds of an evicted page: what EWB wrote.
struct HwBlob {
  bool valid = false;
  std::array<uint8_t, hw::kPageSize> ciphertext{};
  uapi::Pcmd pcmd{};
  uint64_t linaddr = 0;   // PAGEINFO.LINADDR as EWB reported it
  uint64_t va_value = 0;  // what EWB left in its VA slot: the version to try first
};

class HwRunner {
 public:
  static constexpr hw::PAddr kNoEpc = 0x0000'0100'0000'0000ull;  // unmapped
  static constexpr hw::LAddr kAep = 0x7000'0000'1000ull;
  static constexpr uint64_t kTargetInfoOffset = 0x400;
  static constexpr uint64_t kReportOffset = 0x600;
  static constexpr uint64_t kSecInfoOffset = 0x800;
  static constexpr uint64_t kReportDataOffset = 0x880;

  HwRunner(const model::arch::Sizes& sz, const sign::SigningKey& key);

  // Runs `op` and returns its outcome in the model's terms. A kind outside the model's
  // (an interrupted step) comes back as kind 100 so it never matches.
  Out run(const Op& op);
  // Runs `op.parked` on a thread of its own, held at its scheduling point while
  // `op.other` runs on this thread; then lets it finish.
  model::test::OverlapOutcome run(const model::test::OverlapOp& op);

  const model::arch::Sizes& sizes() const { return sz_; }
  hw::Machine& machine() { return *m_; }
  const hw::Machine& machine() const { return *m_; }
  const hw::PageTable& page_table(size_t space) const { return *tables_[space]; }
  // The address space each CPU's CR3 names (the runner loads it).
  int64_t space_of(uint32_t cpu) const { return space_[cpu]; }
  const std::vector<HwBlob>& blobs() const { return blobs_; }
  // Blob `b` as what EWB sealed says (unseal.h), worked out once per blob. Only between
  // operations: it inspects the whole machine, CPUs included.
  const model::arch::Blob<C>& sealed(size_t b) const;
  const MeasurementLog& measured() const { return log_; }

  // The model's value for a fault address: for a physical operand an EPC slot or an
  // out-of-EPC slot value, for a linear one (ENCLU operands, accesses) a linear page.
  int64_t model_addr(uint64_t addr, bool linear_operand) const;
  // The model's page data of EPC slot `slot`: its bytes by type, and for a SECS the
  // measured events its MRENCLAVE is the hash of.
  model::arch::PageData<C> page_data(uint32_t slot) const;
  // The measured events of enclave `eid` whose current MRENCLAVE is `mr`: those of the
  // runner's log when its hash is exactly `mr`, else kGarbage.
  std::array<int64_t, 2> measured_events(uint64_t eid, const hw::Digest& mr) const;

 private:
  hw::Inspector inspect() const { return hw::Inspector(*m_); }
  hw::PAddr slot_addr(int64_t v) const;
  static hw::LAddr linear(int64_t page) { return hw::LAddr(page) * hw::kPageSize; }
  static uint64_t secinfo_flags(const model::arch::SecInfo<C>& si);
  hw::PAddr put_secinfo(const model::arch::SecInfo<C>& si);
  // Runs `op`; `value` gets what a load or EREPORT answers beyond its Result.
  hw::Result execute(const Op& op, int64_t& value);
  Out to_model(const hw::Result& r, bool linear_operands, int64_t value) const;
  // The EPC slot a linear page of CPU `cpu`'s address space maps, if it maps one.
  std::optional<uint32_t> mapped_slot(int64_t cpu, int64_t page) const;

  hw::Result ecreate(const model::arch::EcreateOp<C>& op);
  hw::Result eadd(const model::arch::EaddOp<C>& op);
  hw::Result eextend(const model::arch::EextendOp<C>& op);
  hw::Result einit(const model::arch::EinitOp<C>& op);
  hw::Result ewb(const model::arch::EwbOp<C>& op);
  hw::Result eld(bool block, const model::arch::EldOp<C>& op);
  hw::Result eaug(const model::arch::EaugOp<C>& op);
  // Writes the SECINFO where enclave code would have put it in `page`, if CPU `cpu`
  // maps a REG page there; returns the RBX the leaf takes.
  hw::LAddr enclave_secinfo(int64_t cpu, int64_t page, const model::arch::SecInfo<C>& si);
  hw::Result ereport(const model::arch::EreportOp<C>& op, int64_t& key_slot);
  hw::Result store_tcs(const model::arch::StoreTcsOp<C>& op);
  hw::Result access(model::test::Leaf leaf, const model::arch::AccessOp<C>& op,
                    int64_t& value);
  hw::Result cr3(const model::arch::Cr3Op<C>& op);
  void pte(const Op& op);
  void interrupt(int64_t cpu);

  model::arch::Sizes sz_;
  const sign::SigningKey& key_;
  hw::Digest signer_hash_{};
  std::unique_ptr<hw::Machine> m_;
  std::vector<std::unique_ptr<hw::PageTable>> tables_;
  std::vector<int64_t> space_;
  testlib::KernelMemory mem_;
  std::vector<HwBlob> blobs_;
  mutable std::vector<std::optional<model::arch::Blob<C>>> sealed_;
  MeasurementLog log_;
};

}  // namespace sgxref::conformance
