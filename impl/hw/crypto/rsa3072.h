// File: the RSA-3072 check EINIT makes on a SIGSTRUCT (SDM vol. 3D "EINIT", "Enclave
// Signature Structure"): a PKCS#1 v1.5 signature with SHA-256 over the 128-byte header
// followed by the 128-byte body, under the enclosed modulus and exponent, all integers
// little-endian; and the quotients Q1 = floor(sig^2 / N) and
// Q2 = floor((sig^3 - Q1*sig*N) / N) the processor uses to compute sig^3 mod N.
#pragma once

#include <cstddef>
#include <cstdint>

#include "uapi/sigstruct.h"

namespace sgxref::hw {

// Whether `signature_le` is a PKCS#1 v1.5 SHA-256 signature of the bytes `msg` under
// the key (`modulus_le`, `exponent`). Malformed keys are answered false.
bool rsa3072_verify(const uint8_t (&modulus_le)[uapi::kRsa3072Bytes], uint32_t exponent,
                    const uint8_t (&signature_le)[uapi::kRsa3072Bytes], const void* msg, size_t n);

// Whether `q1_le` and `q2_le` are exactly the quotients the SDM defines for this
// signature and modulus.
bool rsa3072_quotients_match(const uint8_t (&modulus_le)[uapi::kRsa3072Bytes],
                             const uint8_t (&signature_le)[uapi::kRsa3072Bytes],
                             const uint8_t (&q1_le)[uapi::kRsa3072Bytes],
                             const uint8_t (&q2_le)[uapi::kRsa3072Bytes]);

// EINIT's signature check: the signature over HEADER || BODY verifies under MODULUS and
// EXPONENT, and Q1/Q2 match. Either failing is SGX_INVALID_SIGNATURE.
bool sigstruct_signature_valid(const uapi::SigStruct& s);

}  // namespace sgxref::hw
