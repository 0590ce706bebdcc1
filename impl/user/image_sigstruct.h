// File: the SIGSTRUCT an enclave author's tool makes for an image, as the kernel
// selftests' sigstruct.c does: MRENCLAVE computed from the image alone (ECREATE, then
// EADD, and EEXTEND of the measured pages, in segment order), ATTRIBUTES, XFRM and
// MISCSELECT as the SECS asks for them with every bit bound, signed with `key`.
#pragma once

#include "sign/signing_key.h"
#include "uapi/sigstruct.h"
#include "user/enclave_image.h"

namespace sgxref::user {

uapi::SigStruct sign_enclave_image(const EnclaveImage& image, const sign::SigningKey& key);

}  // namespace sgxref::user
