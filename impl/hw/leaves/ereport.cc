// EREPORT: a REPORT of the running enclave's identity and 64 bytes of its own data,
// MACed with the report key of the enclave TARGETINFO names, so that enclave (and only
// it, through EGETKEY) can check it came from this machine (SDM vol. 3D "EREPORT—Create
// a Cryptographic Report of the Enclave"). Faults only; no return code.
#include <cstring>

#include "hw/cpu.h"
#include "hw/crypto/cmac.h"
#include "hw/crypto/report_key.h"
#include "hw/leaves/enclave_operand.h"
#include "hw/machine.h"
#include "hw/secs_private.h"
#include "hw/shared_bytes.h"
#include "sched/scheduler.h"
#include "uapi/report.h"
#include "uapi/secs.h"

namespace sgxref::hw {

// One operand: aligned to `align` and in ELRANGE (#GP), in the EPC, and on a page of
// this enclave it may read (or, for the output, write) (#PF).
Result Cpu::report_operand(LAddr a, uint64_t align, bool output, uint32_t& slot) {
  if (!is_aligned(a, align) || !in_elrange(a)) return Result::gp();
  const Access k = output ? Access::kWrite : Access::kRead;
  if (Result r = enclave_operand(a, k, slot); r.faulted()) return r;
  sched::MutexLock l(m_.mu());
  if (!usable_operand_page(m_.epcm_entry(slot), ctx_.secs, page_of(a), output)) {
    return enclave_epcm_pf(a, k);
  }
  return Result::ok();
}

Result Cpu::do_ereport(LAddr targetinfo, LAddr reportdata, LAddr out) {
  uint32_t ti_slot, rd_slot, out_slot;
  if (Result r = report_operand(targetinfo, uapi::kTargetInfoAlign, false, ti_slot);
      r.faulted()) {
    return r;
  }
  if (Result r = report_operand(reportdata, uapi::kReportDataAlign, false, rd_slot);
      r.faulted()) {
    return r;
  }
  if (Result r = report_operand(out, uapi::kReportAlign, true, out_slot); r.faulted()) return r;

  uapi::TargetInfo ti;
  load_shared(m_.page(ti_slot) + page_offset(targetinfo), &ti, sizeof ti);
  uapi::Report report{};
  load_shared(m_.page(rd_slot) + page_offset(reportdata), report.body.report_data,
              uapi::kReportDataSize);
  uapi::Secs secs;
  {
    // The running enclave's SECS: initialized, so no leaf changes these fields.
    sched::MutexLock l(m_.mu());
    secs = load_secs(m_.page(ctx_.secs));
  }
  const ReportKeys keys(m_.config().seed);
  uapi::ReportBody& b = report.body;
  std::memcpy(b.cpusvn, ReportKeys::kCpuSvn.data(), sizeof b.cpusvn);
  b.miscselect = secs.miscselect;
  b.attributes = {secs.attributes, secs.xfrm};
  std::memcpy(b.mrenclave, secs.mrenclave, sizeof b.mrenclave);
  std::memcpy(b.mrsigner, secs.mrsigner, sizeof b.mrsigner);
  std::memcpy(b.config_id, secs.config_id, sizeof b.config_id);
  b.isv_prod_id = secs.isv_prod_id;
  b.isv_svn = secs.isv_svn;
  b.config_svn = secs.config_svn;
  std::memcpy(report.key_id, keys.key_id().data(), sizeof report.key_id);

  ReportKeyTarget target;
  std::memcpy(target.mrenclave.data(), ti.measurement, sizeof ti.measurement);
  target.attributes = ti.attributes;
  target.miscselect = ti.miscselect;
  std::memcpy(target.config_id.data(), ti.config_id, sizeof ti.config_id);
  target.config_svn = ti.config_svn;
  const CmacTag mac = aes128_cmac(keys.key_for(target), &report.body, sizeof report.body);
  std::memcpy(report.mac, mac.data(), sizeof report.mac);

  sched::point("ereport.write");
  store_shared(m_.page(out_slot) + page_offset(out), &report, sizeof report);
  return Result::ok();
}

}  // namespace sgxref::hw
