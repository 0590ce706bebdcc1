#include "user/test_encl.h"

#include <stdexcept>

#include "hw/address.h"
#include "kernel/vm_flags.h"
#include "uapi/page_type.h"
#include "uapi/secinfo.h"
#include "uapi/tcs.h"
#include "user/enclave_assembler.h"
#include "user/test_encl_ops.h"

namespace sgxref::user::test_encl {

namespace {

using R = isa::Reg;

// Registers the program keeps across an operation.
constexpr R kRet = R::kR15;      // where EEXIT goes
constexpr R kSecinfo = R::kR14;  // this thread's SECINFO block
constexpr R kBuf = R::kR13;      // encl_buffer
constexpr R kOp = R::kRdi;       // the operation
constexpr R kTmp = R::kR10;
constexpr R kAddr = R::kR9;

// SECINFO := {flags = op->flags (at `flags_at` in the operation), reserved zero};
// then ENCLU[leaf] with RBX = the SECINFO and RCX = op->epc_addr (RDX as the caller
// left it).
void secinfo_leaf(Assembler& a, uint64_t leaf, int32_t flags_at) {
  a.load(kTmp, kOp, flags_at);
  a.store(kSecinfo, 0, kTmp);
  a.movi(kTmp, 0);
  for (int32_t at = 8; at < int32_t(sizeof(uapi::SecInfo)); at += 8) a.store(kSecinfo, at, kTmp);
  a.movi(R::kRax, int32_t(leaf));
  a.mov(R::kRbx, kSecinfo);
  a.load(R::kRcx, kOp, int32_t(offsetof(EnclOpEaccept, epc_addr)));
  a.enclu();
}

// do_encl_init_tcs_page: the TCS EMODT will accept, written 8 bytes at a time.
void init_tcs_page(Assembler& a) {
  const R tcs = kAddr, end = R::kR12, at = R::kR8;
  a.load(tcs, kOp, int32_t(offsetof(EnclOpInitTcsPage, tcs_page)));
  a.movi(kTmp, 0);
  a.store(tcs, int32_t(offsetof(uapi::Tcs, state)), kTmp);
  a.store(tcs, int32_t(offsetof(uapi::Tcs, flags)), kTmp);
  a.load(kTmp, kOp, int32_t(offsetof(EnclOpInitTcsPage, ssa)));
  a.store(tcs, int32_t(offsetof(uapi::Tcs, ssa_offset)), kTmp);
  a.movi(kTmp, 1);  // CSSA = 0, NSSA = 1
  a.shli(kTmp, kTmp, 32);
  a.store(tcs, int32_t(offsetof(uapi::Tcs, ssa_index)), kTmp);
  a.load(kTmp, kOp, int32_t(offsetof(EnclOpInitTcsPage, entry)));
  a.store(tcs, int32_t(offsetof(uapi::Tcs, entry_offset)), kTmp);
  a.movi(kTmp, 0);  // AEP, OFSBASE, OGSBASE
  a.store(tcs, int32_t(offsetof(uapi::Tcs, exit_addr)), kTmp);
  a.store(tcs, int32_t(offsetof(uapi::Tcs, fs_offset)), kTmp);
  a.store(tcs, int32_t(offsetof(uapi::Tcs, gs_offset)), kTmp);
  a.movi(kTmp, -1);  // FSLIMIT, GSLIMIT
  a.store(tcs, int32_t(offsetof(uapi::Tcs, fs_limit)), kTmp);
  // The reserved rest, a loop whose state is all in registers.
  a.movi(kTmp, 0);
  a.addi(at, tcs, int32_t(offsetof(uapi::Tcs, reserved)));
  a.addi(end, tcs, int32_t(sizeof(uapi::Tcs)));
  const Assembler::Label loop = a.label();
  a.bind(loop);
  a.store(at, 0, kTmp);
  a.addi(at, at, 8);
  a.bne(at, end, loop);
}

}  // namespace

std::vector<uint8_t> assemble(const Layout& l) {
  Assembler a(l.code);
  Assembler::Label exit = a.label();
  Assembler::Label ops[kEnclOpMax];
  for (Assembler::Label& op : ops) op = a.label();

  // Entry (test_encl_bootstrap.S's encl_entry and encl_dyn_entry, then encl_body's
  // dispatch); they differ only in where the thread's SECINFO block is.
  Assembler::Label body = a.label();
  a.addi(kSecinfo, R::kRbx, int32_t(l.scratch));
  a.jmp(body);
  a.addi(kSecinfo, R::kRbx, -int32_t(sizeof(uapi::SecInfo)));  // at dyn_entry(l)
  a.bind(body);
  a.mov(kRet, R::kRcx);
  a.lea(kBuf, l.buffer);
  a.load(R::kRax, kOp, int32_t(offsetof(EnclOpHeader, type)));
  for (uint64_t t = 0; t < kEnclOpMax; ++t) {
    a.movi(R::kR11, int32_t(t));
    a.beq(R::kRax, R::kR11, ops[t]);
  }
  // type >= ENCL_OP_MAX: nothing to do.

  // The way out: clear what the enclave used, EEXIT to the address it came from.
  a.bind(exit);
  a.mov(R::kRbx, kRet);
  for (R r : {R::kRcx, R::kRdx, R::kRsi, R::kRdi, R::kR8, R::kR9, R::kR10, R::kR11, R::kR12,
              R::kR13, R::kR14, R::kR15}) {
    a.movi(r, 0);
  }
  a.movi(R::kRax, int32_t(isa::leaf::kEexit));
  a.enclu();

  a.bind(ops[kEnclOpPutToBuffer]);
  a.load(kTmp, kOp, int32_t(offsetof(EnclOpPutToBuf, value)));
  a.store(kBuf, 0, kTmp);
  a.jmp(exit);

  a.bind(ops[kEnclOpGetFromBuffer]);
  a.load(kTmp, kBuf, 0);
  a.store(kOp, int32_t(offsetof(EnclOpGetFromBuf, value)), kTmp);
  a.jmp(exit);

  a.bind(ops[kEnclOpPutToAddress]);
  a.load(kTmp, kOp, int32_t(offsetof(EnclOpPutToAddr, value)));
  a.load(kAddr, kOp, int32_t(offsetof(EnclOpPutToAddr, addr)));
  a.store(kAddr, 0, kTmp);
  a.jmp(exit);

  a.bind(ops[kEnclOpGetFromAddress]);
  a.load(kAddr, kOp, int32_t(offsetof(EnclOpGetFromAddr, addr)));
  a.load(kTmp, kAddr, 0);
  a.store(kOp, int32_t(offsetof(EnclOpGetFromAddr, value)), kTmp);
  a.jmp(exit);

  a.bind(ops[kEnclOpNop]);
  a.jmp(exit);

  a.bind(ops[kEnclOpEaccept]);
  secinfo_leaf(a, isa::leaf::kEaccept, int32_t(offsetof(EnclOpEaccept, flags)));
  a.store(kOp, int32_t(offsetof(EnclOpEaccept, ret)), R::kRax);
  a.jmp(exit);

  a.bind(ops[kEnclOpEmodpe]);
  static_assert(offsetof(EnclOpEmodpe, epc_addr) == offsetof(EnclOpEaccept, epc_addr));
  secinfo_leaf(a, isa::leaf::kEmodpe, int32_t(offsetof(EnclOpEmodpe, flags)));
  a.jmp(exit);

  a.bind(ops[kEnclOpInitTcsPage]);
  init_tcs_page(a);
  a.jmp(exit);

  a.bind(ops[kEnclOpEacceptCopy]);
  a.load(R::kRdx, kOp, int32_t(offsetof(EnclOpEacceptCopy, src_addr)));
  secinfo_leaf(a, isa::leaf::kEacceptcopy, int32_t(offsetof(EnclOpEacceptCopy, flags)));
  a.store(kOp, int32_t(offsetof(EnclOpEacceptCopy, ret)), R::kRax);
  a.jmp(exit);

  std::vector<uint8_t> code = a.finish();
  if (code.size() > hw::kPageSize) throw std::logic_error("test_encl: program exceeds a page");
  return code;
}

namespace sf = uapi::secinfo_flag;

EnclaveImage image() {
  using kernel::PROT_EXEC;
  using kernel::PROT_READ;
  using kernel::PROT_WRITE;
  constexpr uint64_t kReg = sf::type(uapi::PageType::kReg);

  std::vector<uint8_t> tcs = tcs_page(kSsa1, kText);
  const std::vector<uint8_t> tcs2 = tcs_page(kSsa2, kText);
  tcs.insert(tcs.end(), tcs2.begin(), tcs2.end());

  std::vector<uint8_t> text = assemble(kLayout);
  text.resize(hw::kPageSize);

  // encl_buffer, the two stacks and the two SSA frames: one RW segment, as .data is.
  std::vector<uint8_t> data(kImageEnd - kBuffer);
  data[0] = 1;

  EnclaveImage img;
  img.segments = {
      Segment{kTcs1, std::move(tcs), sf::type(uapi::PageType::kTcs), PROT_READ | PROT_WRITE},
      Segment{kText, std::move(text), kReg | sf::kR | sf::kX, PROT_READ | PROT_EXEC},
      Segment{kBuffer, std::move(data), kReg | sf::kR | sf::kW, PROT_READ | PROT_WRITE},
  };
  return img;
}

}  // namespace sgxref::user::test_encl
