"""Fixtures shared by the bindings' tests: a small machine, and the kernel selftests'
test enclave loaded on it (impl/user/test_encl.h's layout)."""
import pytest

import sgxref

PAGE = 0x1000
# The test enclave's layout (offsets from its base).
TCS1, TCS2 = 0x0000, 0x1000
TEXT = 0x2000
BUFFER = 0x3000  # encl_buffer, two pages; the second is the selftests' "page2"
PAGE2 = BUFFER + PAGE
HEAP = 0x9000  # setup_test_encl's heap, after the image
MAGIC, MAGIC2 = 0x1122334455667788, 0x8877665544332211

RW = sgxref.SECINFO_R | sgxref.SECINFO_W
REG, PENDING, TRIM = sgxref.SECINFO_REG, sgxref.SECINFO_PENDING, sgxref.SECINFO_TRIM
SEED = 0x5EED


@pytest.fixture
def machine():
    return sgxref.Machine(epc_pages=64, seed=SEED)


@pytest.fixture
def encl(machine):
    return machine.load_test_enclave(heap_pages=1)
