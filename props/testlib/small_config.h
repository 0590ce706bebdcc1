// File: the machine leaf tests run on: a few EPC pages and RAM frames, every other
// hw::Config field at its default.
#pragma once

#include <cstdint>

#include "hw/config.h"

namespace sgxref::testlib {

inline hw::Config small_config(uint32_t epc_pages = 8, uint32_t ram_pages = 64) {
  hw::Config c;
  c.epc_pages = epc_pages;
  c.ram_pages = ram_pages;
  return c;
}

}  // namespace sgxref::testlib
