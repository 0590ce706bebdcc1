#include "hw/cpu.h"

#include "hw/machine.h"

namespace sgxref::hw {

Result Cpu::finish(Leaf leaf, const Result& r) {
  m_.count(id_, int(leaf), r);
  return r;
}

}  // namespace sgxref::hw
