#include "hw/epc.h"

#include <cstring>

namespace sgxref::hw {

Epc::Epc(uint32_t pages)
    : pages_(pages),
      bytes_(new uint8_t[uint64_t(pages) << kPageShift]),
      epcm_(pages),
      locks_(pages) {
  std::memset(bytes_.get(), 0, uint64_t(pages) << kPageShift);
}

}  // namespace sgxref::hw
