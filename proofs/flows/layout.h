// File: the enclave the flows run on, at the checker's sizes: a SECS; for each enclave
// thread a TCS with one SSA frame (pages 2e and 2e+1); the data pages the ioctls work
// on; holes, pages of ELRANGE with no page yet, for the EAUG fault (their EPC slots
// start free); a VA page; and one free EPC slot for a page loaded back. It is built and
// initialized by the model's own leaves, its pages mapped as the driver maps them, and
// the driver's records filled in to match. With a reclaimer, every page and the SECS
// can be evicted at once: the VA page has a slot for each and the backing store a blob
// for each (page p's is blob p, the SECS's the last). `trimmed`: the data pages start as
// MODIFY_TYPES leaves them when it returns, TRIM and MODIFIED with the ETRACK flow run
// (REMOVE_PAGES' starting point).
#pragma once

#include <cstddef>
#include <cstdint>

#include "flows/world.h"
#include "bmc/terms.h"

namespace sgxref::proofs::flows {

struct Layout {
  size_t enclave_threads = 1;
  size_t data_pages = 2;
  size_t holes = 0;
  bool reclaimer = false;
  bool trimmed = false;

  int64_t tcs_page(size_t e) const { return int64_t(2 * e); }
  int64_t ssa_page(size_t e) const { return int64_t(2 * e + 1); }
  int64_t data_page(size_t i) const { return int64_t(2 * enclave_threads + i); }
  int64_t hole(size_t i) const { return data_page(data_pages) + int64_t(i); }
  // EPC slots: the SECS first, then each linear page at its page number + 1.
  static int64_t secs_slot() { return 0; }
  static int64_t slot_of(int64_t page) { return page + 1; }
  // The pages the enclave is built with: 0 .. built() - 1.
  int64_t built() const { return data_page(data_pages); }
  // Every page the enclave may have but the SECS, holes included: 0 .. pages() - 1.
  int64_t pages() const { return hole(holes); }
  int64_t va_slot() const { return pages() + 1; }
  int64_t free_slot() const { return pages() + 2; }
  int64_t secs_blob() const { return pages(); }
  // The CPU kernel threads run on, and enclave thread e's.
  static int64_t kernel_cpu() { return 0; }
  static int64_t enclave_cpu(size_t e) { return int64_t(1 + e); }

  arch::Sizes sizes() const;
};

// The world with the enclave built and initialized, every thread's state zero.
World<C> built_world(const Layout& l, size_t threads);

}  // namespace sgxref::proofs::flows
