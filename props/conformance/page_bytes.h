// File: how the model's page contents sit in a real page's bytes, both ways. Word w of
// the model is 8 bytes at kWordOffset[w], a value v written as v repeated in every
// nibble, so a fresh (zero) page reads 0 and the abort page (all ones) reads kNoData;
// bytes that are no such pattern read as kGarbage, which no model value equals. The
// other fields come from where the architecture keeps them: the TCS fields at their TCS
// offsets, VA slots, and the SECS's EID, base, size and INIT bit.
#pragma once

#include <array>
#include <cstdint>

#include "model/op.h"

namespace sgxref::conformance {

using model::test::C;

inline constexpr std::array<uint64_t, 2> kWordOffset = {0xC00, 0xE00};
inline constexpr int64_t kGarbage = -1;

uint64_t encode_word(int64_t v);
int64_t decode_word(uint64_t bytes);

// The model's page data of a page of `type` with these 4 KiB of bytes (for a SECS, the
// measurement fields are left 0: they are no bytes of the page).
model::arch::PageData<C> page_data_of(int64_t type, const uint8_t* bytes,
                                      const model::arch::Sizes& sz);

// Writes the model's words into a page's bytes.
void put_words(uint8_t* bytes, const std::vector<int64_t>& words);

}  // namespace sgxref::conformance
