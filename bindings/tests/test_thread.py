"""Enclave threads: the selftest enclave's operations through the vDSO (user/vsgx.h),
EAUG on fault, EACCEPT/EACCEPTCOPY/EMODPE, and what a fault leaves (DESIGN.md: the
page-fault error codes 0x7, 0x8005, 0x8007)."""
import pytest

import sgxref
from conftest import BUFFER, HEAP, MAGIC, MAGIC2, PAGE, PAGE2, PENDING, REG, RW, TCS2, TEXT

EENTER, ERESUME, EEXIT = 2, 3, 4


def test_put_and_get_go_through_encl_buffer(encl):
    """ENCL_OP_PUT_TO_BUFFER / GET_FROM_BUFFER; a clean call ends in EEXIT."""
    t = encl.thread()
    t.put_to_buffer(MAGIC)
    assert t.get_from_buffer() == MAGIC
    assert t.read(encl.base + BUFFER) == MAGIC
    assert t.last["leaf"] == EENTER and t.last["function"] == EEXIT
    assert t.tcs == encl.base


def test_write_and_read_an_address_inside_the_enclave(encl):
    t = encl.thread()
    t.write(encl.base + PAGE2, MAGIC2)
    assert t.read(encl.base + PAGE2) == MAGIC2
    t.nop()
    assert t.last["function"] == EEXIT


def test_a_write_to_an_epcm_read_only_page_is_enclave_fault_0x8007(encl):
    """H3/D4: after RESTRICT_PERMISSIONS and EACCEPT the old write right is gone; the
    #PF has the SGX bit (0x8007) and EnclaveFault carries address, code and vector. The
    page had no PTE yet, so the kernel resolved a first #PF and the one that reaches user
    space came after ERESUME (run.function 3), as the epcm_permissions selftest sees."""
    addr = encl.base + PAGE2
    encl.restrict_permissions(PAGE2, PAGE, sgxref.SECINFO_R)
    t = encl.thread()
    assert t.eaccept(addr, sgxref.SECINFO_R | REG | sgxref.SECINFO_PR) == 0
    with pytest.raises(sgxref.EnclaveFault) as exc:
        t.write(addr, MAGIC2)
    f = exc.value
    assert (f.address, f.error_code, f.vector, f.function) == (addr, 0x8007, 14, ERESUME)
    assert "PUT_TO_ADDRESS" in str(f)
    assert t.last["exception_error_code"] == 0x8007 and t.last["aex"] >= 1


def test_emodpe_from_another_tcs_lets_the_faulted_write_resume(encl):
    """The epcm_permissions selftest: TCS#1 stays in the AEX, TCS#2 runs EMODPE(R|W),
    then ERESUME on TCS#1 completes the write."""
    addr = encl.base + PAGE2
    encl.restrict_permissions(PAGE2, PAGE, sgxref.SECINFO_R)
    t1, t2 = encl.thread(), encl.thread(tcs=encl.base + TCS2)
    assert t1.eaccept(addr, sgxref.SECINFO_R | REG | sgxref.SECINFO_PR) == 0
    with pytest.raises(sgxref.EnclaveFault):
        t1.write(addr, MAGIC2)
    t2.emodpe(addr, RW)
    assert t1.resume() is None  # a write returns nothing
    assert t1.last["leaf"] == ERESUME and t1.last["function"] == EEXIT
    assert t2.read(addr) == MAGIC2


def test_entering_a_tcs_left_in_the_aex_is_a_general_protection_fault(encl):
    """EENTER needs a free SSA frame (CSSA < NSSA): a second entry on the TCS of a
    faulted call is #GP (vector 13)."""
    encl.restrict_permissions(PAGE2, PAGE, sgxref.SECINFO_R)
    t = encl.thread()
    t.eaccept(encl.base + PAGE2, sgxref.SECINFO_R | REG | sgxref.SECINFO_PR)
    with pytest.raises(sgxref.EnclaveFault):
        t.write(encl.base + PAGE2, 1)
    with pytest.raises(sgxref.EnclaveFault) as exc:
        t.nop()
    assert exc.value.vector == 13


def test_an_access_to_an_unmapped_address_is_a_user_fault_after_aexs(encl):
    """A fault the kernel answers with SIGSEGV reaches user space: #PF 0x4 (user read,
    not present), run.function ERESUME after the AEX the kernel saw first."""
    addr = encl.base + 0xC000  # in ELRANGE, past the mapped image and heap
    t = encl.thread()
    with pytest.raises(sgxref.EnclaveFault) as exc:
        t.read(addr)
    assert (exc.value.address, exc.value.error_code, exc.value.vector) == (addr, 0x4, 14)
    assert exc.value.function == ERESUME and t.last["aex"] >= 1


def test_eaccept_of_an_unbacked_page_eaugs_it_on_fault(machine, encl):
    """EAUG on fault (sgx_encl_eaug_page): the AEX is resolved by the driver and
    invisible to the caller; EACCEPT then succeeds and the page is REG RW."""
    addr = encl.base + 0xC000
    encl.mmap(addr, PAGE, sgxref.PROT_READ | sgxref.PROT_WRITE)
    t = encl.thread()
    assert t.eaccept(addr, RW | REG | PENDING) == 0
    assert t.last["function"] == EEXIT and t.last["aex"] >= 1
    [entry] = [x for x in machine.epcm() if x["valid"] and x["address"] == addr]
    assert (entry["type"], entry["r"], entry["w"], entry["pending"]) == ("REG", True, True, False)
    t.write(addr, MAGIC)
    assert t.read(addr) == MAGIC


def test_a_pending_page_faults_with_the_sgx_bit_until_accepted(encl):
    """The augment selftest: the first #PF EAUGs, the access then faults with 0x8007."""
    addr = encl.base + 0xC000
    encl.mmap(addr, PAGE, sgxref.PROT_READ | sgxref.PROT_WRITE)
    t = encl.thread()
    with pytest.raises(sgxref.EnclaveFault) as exc:
        t.write(addr, MAGIC)
    assert (exc.value.address, exc.value.error_code) == (addr, 0x8007)


def test_resume_of_a_read_returns_what_the_read_loads(encl):
    """The augment flow for a read: EAUG on the first touch, 0x8005 on the pending page,
    EACCEPT from TCS#2, ERESUME on TCS#1 finishes the read of the zeroed page."""
    addr = encl.base + 0xC000
    encl.mmap(addr, PAGE, sgxref.PROT_READ | sgxref.PROT_WRITE)
    t1, t2 = encl.thread(), encl.thread(tcs=encl.base + TCS2)
    with pytest.raises(sgxref.EnclaveFault) as exc:
        t1.read(addr)
    assert exc.value.error_code == 0x8005
    assert t2.eaccept(addr, RW | REG | PENDING) == 0
    assert t1.resume() == 0


def test_eacceptcopy_fills_a_pending_page_from_an_enclave_page(encl):
    """EACCEPTCOPY: the pending page takes the source page's bytes and SECINFO's rights."""
    addr = encl.base + 0xC000
    encl.mmap(addr, PAGE, sgxref.PROT_READ | sgxref.PROT_WRITE)
    t1, t2 = encl.thread(), encl.thread(tcs=encl.base + TCS2)
    t1.put_to_buffer(MAGIC2)
    with pytest.raises(sgxref.EnclaveFault):
        t1.read(addr)  # EAUG on fault, then 0x8005 on the pending page
    assert t2.eacceptcopy(addr, encl.base + BUFFER, RW | REG | PENDING) == 0
    assert t2.read(addr) == MAGIC2


def test_eaccept_returns_the_sgx_code_when_the_rights_do_not_match(encl):
    """EACCEPT compares SECINFO's rights with the EPCM's: a restriction to R accepted on
    a page still RW is SGX_PAGE_ATTRIBUTES_MISMATCH in RAX, not a fault."""
    code = encl.thread().eaccept(encl.base + PAGE2, sgxref.SECINFO_R | REG | sgxref.SECINFO_PR)
    assert sgxref.sgx_code_name(code) == "SGX_PAGE_ATTRIBUTES_MISMATCH"


def test_init_tcs_page_then_modify_types_makes_a_tcs_that_can_be_entered(machine, encl):
    """The tcs_create selftest in short: a REG page written as a TCS from inside, EMODT
    to TCS, EACCEPT, then an entry through it."""
    page = encl.base + 0xC000
    ssa = encl.base + 0xD000
    encl.mmap(page, 2 * PAGE, sgxref.PROT_READ | sgxref.PROT_WRITE)
    t = encl.thread()
    for a in (page, ssa):
        assert t.eaccept(a, RW | REG | PENDING) == 0
    dyn_entry = TEXT + 2 * 8  # encl_dyn_entry: after encl_entry's two instructions
    t.init_tcs_page(page, ssa - encl.base, dyn_entry)
    assert encl.modify_types(0xC000, PAGE, sgxref.PAGE_TYPE_TCS).count == PAGE
    assert t.eaccept(page, sgxref.SECINFO_TCS | sgxref.SECINFO_MODIFIED) == 0
    new = encl.thread(tcs=page)
    new.nop()
    assert new.last["function"] == EEXIT


def test_resume_before_any_call_is_a_value_error(encl):
    with pytest.raises(ValueError, match="has not entered"):
        encl.thread().resume()


def test_eaccept_of_a_reg_page_without_pr_or_pending_is_a_general_protection_fault(encl):
    """The SDM's EACCEPT: a REG SECINFO needs PR or PENDING, else #GP(0)."""
    with pytest.raises(sgxref.EnclaveFault) as exc:
        encl.thread().eaccept(encl.base + PAGE2, RW | REG)
    assert (exc.value.vector, exc.value.error_code) == (13, 0)


@pytest.mark.parametrize("call, exc_type", [
    (lambda t: t.read(-1), ValueError),
    (lambda t: t.write(0, 1 << 64), ValueError),
    (lambda t: t.eaccept("addr", 0), TypeError),
])
def test_bad_operation_arguments_raise_before_entering(encl, call, exc_type):
    t = encl.thread()
    with pytest.raises(exc_type):
        call(t)
    t.nop()  # nothing was entered: the TCS is free
    assert t.last["function"] == EEXIT


def test_thread_tcs_must_be_an_int_or_none(encl):
    with pytest.raises(TypeError, match="tcs must be an int or None"):
        encl.thread(tcs="0")
    assert encl.thread(tcs=None).tcs == encl.base


def test_heap_pages_are_usable_from_the_enclave(machine):
    e = machine.load_test_enclave(heap_pages=2)
    t = e.thread()
    t.write(e.base + HEAP + PAGE, MAGIC)
    assert t.read(e.base + HEAP + PAGE) == MAGIC
