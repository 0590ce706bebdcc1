#!/usr/bin/python3
"""MRENCLAVE of one fixed enclave build, computed straight from the SDM's pseudocode.

Written apart from the emulator (standard library only) so Mrenclave.MatchesSdmLayout in
mrenclave_test.cc compares two independent computations. Prints the digest in hex.

The build, in the order the test issues the leaves:
  ECREATE  BASE 0x40000000, SIZE 0x10000, SSAFRAMESIZE 1
  EADD     TCS at offset 0x0000, SECINFO R|W given (EADD measures the TCS with RWX=0),
           source TCS with STATE, FLAGS.DBGOPTIN, CSSA and AEP set (EADD clears them)
  EEXTEND  all 16 chunks of the TCS page
  EADD     REG R|X at offset 0x1000, byte i = (7*i + 1) mod 256
  EEXTEND  all 16 chunks of it
  EADD     REG R|W at offset 0x2000, byte i = (i XOR (i >> 8)) mod 256
  EEXTEND  only its chunk at 0x300 (enclave offset 0x2300)
  EADD     REG R|W at offset 0x3000, all zero, not extended
"""
import hashlib
import struct

BASE = 0x40000000
SIZE = 0x10000
SSAFRAMESIZE = 1

# SECINFO.FLAGS: R, W, X in bits 0-2, the page type in bits 15:8.
R, W, X = 1, 2, 4
PT_TCS, PT_REG = 1, 2


def flags(pt, perms):
    return (pt << 8) | perms


def tcs_source():
    # TCS layout: STATE 0, FLAGS 8, OSSA 16, CSSA 24, NSSA 28, OENTRY 32, AEP 40,
    # OFSBASGX 48, OGSBASGX 56, FSLIMIT 64, GSLIMIT 68, reserved from 72.
    head = struct.pack("<QQQIIQQQQII", 1, 1, 0x3000, 2, 1, 0x1000, 0x7F0012345000, 0, 0,
                       0xFFFFFFFF, 0xFFFFFFFF)
    return head + bytes(4096 - len(head))


def tcs_as_eadd_leaves_it(src):
    page = bytearray(src)
    page[0:8] = bytes(8)                                            # STATE
    flags_field = struct.unpack_from("<Q", page, 8)[0] & ~1         # FLAGS.DBGOPTIN
    struct.pack_into("<Q", page, 8, flags_field)
    page[24:28] = bytes(4)                                          # CSSA
    page[40:48] = bytes(8)                                          # AEP
    return bytes(page)


def main():
    h = hashlib.sha256()

    def ecreate():
        h.update(b"ECREATE\0" + struct.pack("<IQ", SSAFRAMESIZE, SIZE) + bytes(44))

    def eadd(offset, secinfo_flags):
        h.update(b"EADD\0\0\0\0" + struct.pack("<QQ", offset, secinfo_flags) + bytes(40))

    def eextend(offset, chunk):
        assert len(chunk) == 256
        h.update(b"EEXTEND\0" + struct.pack("<Q", offset) + bytes(48))
        for i in range(0, 256, 64):
            h.update(chunk[i:i + 64])

    def eextend_page(offset, page):
        for c in range(0, 4096, 256):
            eextend(offset + c, page[c:c + 256])

    ecreate()

    tcs = tcs_as_eadd_leaves_it(tcs_source())
    eadd(0x0000, flags(PT_TCS, 0))  # RWX forced to 0 before measuring
    eextend_page(0x0000, tcs)

    code = bytes((7 * i + 1) % 256 for i in range(4096))
    eadd(0x1000, flags(PT_REG, R | X))
    eextend_page(0x1000, code)

    data = bytes((i ^ (i >> 8)) % 256 for i in range(4096))
    eadd(0x2000, flags(PT_REG, R | W))
    eextend(0x2300, data[0x300:0x400])

    eadd(0x3000, flags(PT_REG, R | W))

    print(h.hexdigest())


if __name__ == "__main__":
    main()
