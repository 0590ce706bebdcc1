#include "replay/replay_enclave.h"

#include <cstring>
#include <stdexcept>
#include <utility>
#include <vector>

#include "kernel/vm_flags.h"
#include "uapi/page_type.h"
#include "uapi/secinfo.h"
#include "user/enclave_assembler.h"
#include "user/enclave_isa.h"

namespace sgxref::proofs::replay {

namespace {

namespace sf = uapi::secinfo_flag;
using R = user::isa::Reg;

// SECINFO.FLAGS for the flows' SECINFO.
uint64_t flags_of(const model::arch::SecInfo<model::Concrete>& si) {
  return sf::type(uapi::PageType(si.type)) | (si.r ? sf::kR : 0) | (si.w ? sf::kW : 0) |
         (si.x ? sf::kX : 0) | (si.pending ? sf::kPending : 0) | (si.modified ? sf::kModified : 0) |
         (si.pr ? sf::kPr : 0);
}

std::vector<uint8_t> program(const flows::Layout& l) {
  user::Assembler a(code_offset(l));
  const R ret = R::kR15, page = R::kR9, end = R::kR12, secinfo = R::kR14;
  a.mov(ret, R::kRcx);  // EENTER's RCX: where EEXIT goes
  a.lea(page, uint64_t(l.data_page(0)) * kPage);
  a.lea(end, uint64_t(l.data_page(l.data_pages)) * kPage);
  a.lea(secinfo, secinfo_offset(l));
  const user::Assembler::Label loop = a.label();
  a.bind(loop);
  a.movi(R::kRax, int32_t(user::isa::leaf::kEaccept));
  a.mov(R::kRbx, secinfo);
  a.mov(R::kRcx, page);
  a.enclu();
  a.store(R::kRdi, 0, R::kRax);
  a.addi(R::kRdi, R::kRdi, 8);
  a.addi(page, page, int32_t(kPage));
  a.bne(page, end, loop);
  a.movi(R::kRax, int32_t(user::isa::leaf::kEexit));
  a.mov(R::kRbx, ret);
  a.enclu();
  std::vector<uint8_t> code = a.finish();
  if (code.size() > kPage) throw std::logic_error("replay enclave: the program exceeds a page");
  code.resize(kPage);
  return code;
}


}  // namespace

user::EnclaveImage replay_image(const flows::Layout& l, const model::arch::SecInfo<model::Concrete>& accept) {
  using kernel::PROT_EXEC;
  using kernel::PROT_READ;
  using kernel::PROT_WRITE;
  const uint64_t reg = sf::type(uapi::PageType::kReg);
  const auto at = [](int64_t page) { return uint64_t(page) * kPage; };

  user::EnclaveImage img;
  for (size_t e = 0; e < l.enclave_threads; ++e) {
    img.segments.push_back({at(l.tcs_page(e)), user::tcs_page(at(l.ssa_page(e)), code_offset(l)),
                            sf::type(uapi::PageType::kTcs), PROT_READ | PROT_WRITE});
    img.segments.push_back({at(l.ssa_page(e)), std::vector<uint8_t>(kPage),
                            reg | sf::kR | sf::kW, PROT_READ | PROT_WRITE});
  }
  img.segments.push_back({at(l.data_page(0)), std::vector<uint8_t>(l.data_pages * kPage),
                          reg | sf::kR | sf::kW, PROT_READ | PROT_WRITE});
  // Without enclave threads, no code: the data pages are the SECS's only children, and
  // it can follow them out as in the flows.
  if (l.enclave_threads != 0) {
    img.segments.push_back({code_offset(l), program(l), reg | sf::kR | sf::kX, PROT_READ | PROT_EXEC});
    std::vector<uint8_t> secinfo(kPage);
    const uint64_t flags = flags_of(accept);
    std::memcpy(secinfo.data(), &flags, sizeof flags);
    img.segments.push_back({secinfo_offset(l), std::move(secinfo), reg | sf::kR, PROT_READ});
  }
  // ELRANGE covers the holes too, as the flows' does.
  img.size = user::enclave_size(img);
  while (img.size < at(l.pages())) img.size *= 2;
  return img;
}

}  // namespace sgxref::proofs::replay
