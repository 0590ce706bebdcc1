#include "hw/registers.h"

namespace sgxref::hw {

std::ostream& operator<<(std::ostream& os, const Registers& r) {
  return os << std::hex << "{rax=0x" << r.rax << " rbx=0x" << r.rbx << " rcx=0x" << r.rcx
            << " rdx=0x" << r.rdx << " rsi=0x" << r.rsi << " rdi=0x" << r.rdi << " rsp=0x" << r.rsp
            << " rbp=0x" << r.rbp << " rip=0x" << r.rip << " rflags=0x" << r.rflags << " fs=0x"
            << r.fs_base << " gs=0x" << r.gs_base << "}" << std::dec;
}

}  // namespace sgxref::hw
