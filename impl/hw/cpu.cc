#include "hw/cpu.h"

#include "hw/machine.h"

namespace sgxref::hw {

Result Cpu::finish(Leaf leaf, const Result& r) {
  sched::MutexLock l(m_.mu());
  m_.count(int(leaf), r);
  return r;
}

}  // namespace sgxref::hw
