// File: the committed enclave-signing key (props/testdata/sign_key.pem), loaded once.
// Header-only because only test binaries know where the source tree is.
#pragma once

#include <string>

#include "sign/signing_key.h"

#ifndef SGXREF_SOURCE_DIR
#error "test_signing_key.h is for test binaries, which define SGXREF_SOURCE_DIR"
#endif

namespace sgxref::testlib {

inline const sign::SigningKey& test_signing_key() {
  static const sign::SigningKey key =
      sign::SigningKey::load(std::string(SGXREF_SOURCE_DIR "/props/testdata/sign_key.pem"));
  return key;
}

}  // namespace sgxref::testlib
