#include "cli/selfcheck.h"

#include <array>
#include <chrono>
#include <cstring>
#include <iomanip>
#include <sstream>
#include <string>
#include <vector>

#include "hw/cpu.h"
#include "hw/inspect.h"
#include "hw/machine.h"
#include "sign/enclave_measurement.h"
#include "sign/signing_key.h"
#include "sign/sigstruct.h"
#include "uapi/secinfo.h"
#include "uapi/secs.h"
#include "uapi/tcs.h"

namespace sgxref::cli {

namespace {

using hw::PAddr;
using hw::Result;
namespace flag = uapi::secinfo_flag;

constexpr uint64_t kBase = 0x7f00'0000'0000ull;
constexpr uint64_t kSize = 16 * hw::kPageSize;

std::string hex(const uint8_t* p, size_t n) {
  std::ostringstream s;
  for (size_t i = 0; i < n; ++i) s << std::hex << std::setw(2) << std::setfill('0') << int(p[i]);
  return s.str();
}

// The kernel side of the self-check: operand blocks in RAM frames, one leaf per call,
// each outcome printed beside the one the SDM requires.
class Run {
 public:
  Run(hw::Machine& m, std::ostream& out) : m_(m), cpu_(m.cpu(0)), out_(out) {
    for (PAddr* f : {&pageinfo_, &secinfo_, &source_, &sigstruct_, &token_}) {
      *f = m_.ram().alloc();
    }
  }

  bool ok() const { return failures_ == 0; }
  int leaves() const { return leaves_; }

  void expect(const std::string& what, const Result& got, const Result& want) {
    ++leaves_;
    const bool good = got == want;
    failures_ += good ? 0 : 1;
    out_ << "  " << std::left << std::setw(52) << what << " " << got;
    if (!good) out_ << "   UNEXPECTED (want " << want << ")";
    out_ << "\n";
  }

  Result ecreate(const uapi::Secs& secs, uint32_t slot) {
    put(source_, secs);
    put_secinfo(flag::type(uapi::PageType::kSecs));
    put(pageinfo_, uapi::PageInfo{0, source_, secinfo_, 0});
    return cpu_.ecreate(pageinfo_, m_.epc_addr(slot));
  }

  Result eadd(uint32_t secs, uint32_t slot, uint64_t linaddr, const uint8_t* page,
              uint64_t flags) {
    write(source_, page, hw::kPageSize);
    put_secinfo(flags);
    put(pageinfo_, uapi::PageInfo{linaddr, source_, secinfo_, m_.epc_addr(secs)});
    return cpu_.eadd(pageinfo_, m_.epc_addr(slot));
  }

  Result eextend_page(uint32_t secs, uint32_t slot) {
    for (uint64_t off = 0; off < hw::kPageSize; off += 256) {
      const Result r = cpu_.eextend(m_.epc_addr(secs), m_.epc_addr(slot) + off);
      if (!r.succeeded()) return r;
    }
    return Result::ok();
  }

  Result einit(uint32_t secs, const uapi::SigStruct& s) {
    write(sigstruct_, &s, sizeof s);
    const uapi::EinitToken token{};  // VALID=0: launch control by LEPUBKEYHASH, as Linux
    write(token_, &token, sizeof token);
    return cpu_.einit(sigstruct_, m_.epc_addr(secs), token_);
  }

 private:
  template <typename T>
  void put(PAddr pa, const T& v) {
    write(pa, &v, sizeof v);
  }
  void put_secinfo(uint64_t flags) {
    uapi::SecInfo si{};
    si.flags = flags;
    put(secinfo_, si);
  }
  void write(PAddr pa, const void* p, size_t n) { std::memcpy(m_.ram().frame(pa), p, n); }

  hw::Machine& m_;
  hw::Cpu& cpu_;
  std::ostream& out_;
  PAddr pageinfo_ = 0, secinfo_ = 0, source_ = 0, sigstruct_ = 0, token_ = 0;
  int leaves_ = 0;
  int failures_ = 0;
};

void print_epcm(hw::Machine& m, std::ostream& out) {
  out << "  EPCM (valid entries):\n";
  for (uint32_t s = 0; s < m.epc_pages(); ++s) {
    const hw::EpcmEntry e = hw::Inspector(m).epcm(s);
    if (e.valid) out << "    slot " << std::setw(4) << s << "  " << e << "\n";
  }
}

}  // namespace

bool run_selfcheck(const hw::Config& cfg, std::ostream& out) {
  hw::Machine m(cfg);
  Run run(m, out);

  out << "emulator self-check: " << cfg.epc_pages << " EPC pages, " << cfg.cpus
      << " logical CPUs, seed 0x" << std::hex << cfg.seed << std::dec << "\n";

  // The enclave: a TCS, its SSA page, a code page and a data page, all measured.
  uapi::Secs secs{};
  secs.base = kBase;
  secs.size = kSize;
  secs.ssa_frame_size = 1;
  secs.attributes = uapi::attr::kDebug | uapi::attr::kMode64Bit;
  secs.xfrm = 0x3;
  uapi::Tcs tcs{};
  tcs.ssa_offset = 1 * hw::kPageSize;
  tcs.nr_ssa_frames = 1;
  tcs.entry_offset = 2 * hw::kPageSize;
  tcs.fs_limit = tcs.gs_limit = 0xFFFF'FFFF;
  std::array<uint8_t, hw::kPageSize> tcs_page{}, zero{}, code{}, data{};
  std::memcpy(tcs_page.data(), &tcs, sizeof tcs);
  for (size_t i = 0; i < code.size(); ++i) code[i] = uint8_t(0x90);
  for (size_t i = 0; i < data.size(); ++i) data[i] = uint8_t(i * 7);
  struct Page {
    uint32_t slot;
    uint64_t offset;
    const uint8_t* bytes;
    uint64_t flags;
    const char* what;
  };
  const std::vector<Page> pages = {
      {1, 0 * hw::kPageSize, tcs_page.data(), flag::type(uapi::PageType::kTcs), "TCS"},
      {2, 1 * hw::kPageSize, zero.data(), flag::type(uapi::PageType::kReg) | flag::kR | flag::kW,
       "REG RW- (SSA)"},
      {3, 2 * hw::kPageSize, code.data(), flag::type(uapi::PageType::kReg) | flag::kR | flag::kX,
       "REG R-X (code)"},
      {4, 3 * hw::kPageSize, data.data(), flag::type(uapi::PageType::kReg) | flag::kR | flag::kW,
       "REG RW- (data)"},
  };

  sign::EnclaveMeasurement measurement(secs.ssa_frame_size, secs.size);
  run.expect("ECREATE slot 0 (64 KiB enclave)", run.ecreate(secs, 0), Result::ok());
  for (const Page& p : pages) {
    run.expect("EADD slot " + std::to_string(p.slot) + " +" + std::to_string(p.offset) + " " +
                   p.what,
               run.eadd(0, p.slot, kBase + p.offset, p.bytes, p.flags), Result::ok());
    run.expect("EEXTEND x16 slot " + std::to_string(p.slot), run.eextend_page(0, p.slot),
               Result::ok());
    measurement.add_measured(p.offset, p.flags, p.bytes);
  }
  run.expect("EADD slot 5 outside ELRANGE", run.eadd(0, 5, kBase + kSize, data.data(), pages[3].flags),
             Result::gp());

  const auto t0 = std::chrono::steady_clock::now();
  const sign::SigningKey key = sign::SigningKey::generate();
  const auto keygen_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::steady_clock::now() - t0)
                             .count();
  sign::SigStructParams params;
  params.attributes = secs.attributes;
  params.attributes_mask = ~uint64_t(0) & ~uapi::attr::kInit;
  params.xfrm = secs.xfrm;
  params.xfrm_mask = ~uint64_t(0);
  params.mrenclave = measurement.mrenclave();
  params.isv_prod_id = 7;
  params.isv_svn = 1;
  const uapi::SigStruct sig = sign::make_sigstruct(key, params);
  out << "  signing key generated (RSA-3072, e=3) in " << keygen_ms << " ms\n";

  // What Linux's SGX_IOC_ENCLAVE_INIT writes to IA32_SGXLEPUBKEYHASH before EINIT.
  const hw::Digest signer = hw::Sha256::of(sig.modulus, sizeof sig.modulus);

  run.expect("EINIT before LEPUBKEYHASH is set", run.einit(0, sig),
             Result::error(uapi::SgxCode::kInvalidEinitToken));
  uapi::SigStruct tampered = sig;
  tampered.body.isv_svn ^= 1;
  run.expect("EINIT with a tampered SIGSTRUCT body", run.einit(0, tampered),
             Result::error(uapi::SgxCode::kInvalidSignature));
  m.cpu(0).write_lepubkeyhash(signer);
  run.expect("EINIT (LEPUBKEYHASH = SHA-256(modulus))", run.einit(0, sig), Result::ok());
  run.expect("EADD after EINIT", run.eadd(0, 5, kBase + 4 * hw::kPageSize, data.data(), pages[3].flags),
             Result::gp());

  const hw::SecsView v = hw::Inspector(m).secs(0);
  out << "  MRENCLAVE " << hex(v.mrenclave.data(), 32)
      << (v.mrenclave == params.mrenclave ? "  (= the signing tool's)" : "  (DIFFERS from the signing tool's)")
      << "\n  MRSIGNER  " << hex(v.mrsigner.data(), 32)
      << (v.mrsigner == signer ? "  (= SHA-256 of the modulus)" : "  (DIFFERS from SHA-256 of the modulus)")
      << "\n  ISVPRODID " << v.isv_prod_id
      << "  ISVSVN " << v.isv_svn << "  INIT " << (v.initialized ? "yes" : "no") << "\n";
  print_epcm(m, out);

  run.expect("EREMOVE slot 0 (SECS with children)", m.cpu(0).eremove(m.epc_addr(0)),
             Result::error(uapi::SgxCode::kChildPresent));
  for (const Page& p : pages) {
    run.expect("EREMOVE slot " + std::to_string(p.slot), m.cpu(0).eremove(m.epc_addr(p.slot)),
               Result::ok());
  }
  run.expect("EREMOVE slot 0 (SECS)", m.cpu(0).eremove(m.epc_addr(0)), Result::ok());
  const uint32_t left = hw::Inspector(m).counters().epc_valid;
  out << "  EPC pages still valid after teardown: " << left << "\n";

  const bool ok = run.ok() && v.mrenclave == params.mrenclave && v.mrsigner == signer && left == 0;
  out << "self-check " << (ok ? "PASSED" : "FAILED") << ": " << run.leaves()
      << " leaf outcomes checked\n";
  return ok;
}

}  // namespace sgxref::cli
