// File: TARGETINFO and REPORT, EREPORT's input naming the enclave that will verify the
// report and its output (SDM vol. 3D "Target Info", "Report (REPORT)"; the layouts the
// Intel SDK calls sgx_target_info_t and sgx_report_t).
#pragma once

#include <cstddef>
#include <cstdint>

namespace sgxref::uapi {

// ATTRIBUTES as EREPORT reports them: the SECS's ATTRIBUTES flags, then XFRM.
struct ReportAttributes {
  uint64_t flags;
  uint64_t xfrm;
};
static_assert(sizeof(ReportAttributes) == 16);

struct TargetInfo {
  uint8_t measurement[32];  // MRENCLAVE of the target enclave
  ReportAttributes attributes;
  uint8_t reserved1[2];
  uint16_t config_svn;
  uint32_t miscselect;
  uint8_t reserved2[8];
  uint8_t config_id[64];
  uint8_t reserved3[384];
};
static_assert(sizeof(TargetInfo) == 512);
static_assert(offsetof(TargetInfo, attributes) == 32);
static_assert(offsetof(TargetInfo, config_svn) == 50);
static_assert(offsetof(TargetInfo, miscselect) == 52);
static_assert(offsetof(TargetInfo, config_id) == 64);
inline constexpr uint64_t kTargetInfoAlign = 512;

inline constexpr uint64_t kReportDataSize = 64;
inline constexpr uint64_t kReportDataAlign = 128;

struct ReportBody {
  uint8_t cpusvn[16];
  uint32_t miscselect;
  uint8_t reserved1[12];
  uint8_t isv_ext_prod_id[16];
  ReportAttributes attributes;
  uint8_t mrenclave[32];
  uint8_t reserved2[32];
  uint8_t mrsigner[32];
  uint8_t reserved3[32];
  uint8_t config_id[64];
  uint16_t isv_prod_id;
  uint16_t isv_svn;
  uint16_t config_svn;
  uint8_t reserved4[42];
  uint8_t isv_family_id[16];
  uint8_t report_data[kReportDataSize];
};
static_assert(sizeof(ReportBody) == 384);
static_assert(offsetof(ReportBody, miscselect) == 16);
static_assert(offsetof(ReportBody, isv_ext_prod_id) == 32);
static_assert(offsetof(ReportBody, attributes) == 48);
static_assert(offsetof(ReportBody, mrenclave) == 64);
static_assert(offsetof(ReportBody, mrsigner) == 128);
static_assert(offsetof(ReportBody, config_id) == 192);
static_assert(offsetof(ReportBody, isv_prod_id) == 256);
static_assert(offsetof(ReportBody, isv_family_id) == 304);
static_assert(offsetof(ReportBody, report_data) == 320);

// The MAC covers the body (the first 384 bytes); KEYID and the MAC itself are not MACed.
struct Report {
  ReportBody body;
  uint8_t key_id[32];
  uint8_t mac[16];
};
static_assert(sizeof(Report) == 432);
static_assert(offsetof(Report, key_id) == 384);
static_assert(offsetof(Report, mac) == 416);
inline constexpr uint64_t kReportAlign = 512;

}  // namespace sgxref::uapi
