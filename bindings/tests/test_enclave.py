"""The device and its enclaves through the uapi (arch/x86/include/uapi/asm/sgx.h), as
docs/driver.md describes the driver's answers: results carry count and result, errors
raise OSError with the errno and the same out fields."""
import errno

import pytest

import sgxref
from conftest import HEAP, PAGE, PAGE2, REG, RW, TCS1, TEXT, TRIM


def build(machine, heap_pages=1):
    """The test enclave built one ioctl at a time from its image, as load.c does."""
    image = sgxref.test_enclave_image(heap_pages=heap_pages)
    e = machine.open()
    e.create(image["size"], attributes=image["attributes"], xfrm=image["xfrm"],
             ssa_frame_size=image["ssa_frame_size"], miscselect=image["miscselect"])
    for seg in image["segments"]:
        flags = sgxref.PAGE_MEASURE if seg["measure"] else 0
        r = e.add_pages(seg["offset"], seg["data"], seg["secinfo"], flags)
        assert r.count == len(seg["data"]) and r.result is None
    e.init()
    for seg in image["segments"]:
        assert e.mmap(e.base + seg["offset"], len(seg["data"]), seg["prot"]) == e.base + seg["offset"]
    return e


def test_an_enclave_built_ioctl_by_ioctl_runs(machine):
    """CREATE, ADD_PAGES per segment (count = bytes added), INIT with the SIGSTRUCT of
    what was added, mmap per segment: the enclave runs."""
    e = build(machine)
    assert e.base % e.size == 0 and e.size == 0x10000
    t = e.thread()
    t.put_to_buffer(0xC0FFEE)
    assert t.get_from_buffer() == 0xC0FFEE
    assert e.secs()["initialized"]


def test_create_reserves_a_naturally_aligned_elrange(machine):
    e = machine.open()
    e.create(0x40000)
    assert e.base != 0 and e.base % 0x40000 == 0 and e.size == 0x40000


@pytest.mark.parametrize("call", [
    lambda e: e.add_pages(0, bytes(PAGE), REG | RW),
    lambda e: e.init(),
    lambda e: e.restrict_permissions(0, PAGE, sgxref.SECINFO_R),
    lambda e: e.modify_types(0, PAGE, sgxref.PAGE_TYPE_TRIM),
    lambda e: e.remove_pages(0, PAGE),
])
def test_every_ioctl_before_create_is_einval(machine, call):
    """sgx_ioc_enclave_*: an enclave not CREATEd yet is -EINVAL."""
    with pytest.raises(OSError) as exc:
        call(machine.open())
    assert exc.value.errno == errno.EINVAL


def test_create_twice_is_einval(machine):
    e = machine.open()
    e.create(0x10000)
    with pytest.raises(OSError) as exc:
        e.create(0x10000)
    assert exc.value.errno == errno.EINVAL


@pytest.mark.parametrize("offset, length, err", [
    (0x1001, PAGE, errno.EINVAL),       # offset not page-aligned
    (0x100000, PAGE, errno.EINVAL),     # outside ELRANGE
    (0, PAGE + 1, errno.EINVAL),        # length not whole pages
])
def test_add_pages_checks_its_range(machine, offset, length, err):
    """sgx_validate_offset_length: alignment and ELRANGE; count stays 0."""
    e = machine.open()
    e.create(0x10000)
    with pytest.raises(OSError) as exc:
        e.add_pages(offset, bytes(length), REG | RW)
    assert exc.value.errno == err and exc.value.count == 0


def test_adding_a_page_twice_is_ebusy_and_count_says_none_was_added(machine):
    """xa_insert of an address already in page_array: -EBUSY, count 0."""
    e = machine.open()
    e.create(0x10000)
    assert e.add_pages(0, bytes(2 * PAGE), REG | RW).count == 2 * PAGE
    with pytest.raises(OSError) as exc:
        e.add_pages(PAGE, bytes(PAGE), REG | RW)
    assert exc.value.errno == errno.EBUSY and exc.value.count == 0


def test_init_twice_is_einval(encl):
    with pytest.raises(OSError) as exc:
        encl.init()
    assert exc.value.errno == errno.EINVAL


def test_mapping_beyond_the_pages_rights_is_eacces(encl):
    """sgx_encl_may_map: PROT_WRITE on the R-X text page is -EACCES."""
    with pytest.raises(OSError) as exc:
        encl.mmap(encl.base + TEXT, PAGE, sgxref.PROT_READ | sgxref.PROT_WRITE)
    assert exc.value.errno == errno.EACCES


def test_mprotect_beyond_the_pages_rights_is_eacces(encl):
    """sgx_vma_mprotect runs the same may_map check."""
    with pytest.raises(OSError) as exc:
        encl.mprotect(encl.base + TEXT, PAGE, sgxref.PROT_READ | sgxref.PROT_WRITE)
    assert exc.value.errno == errno.EACCES
    encl.mprotect(encl.base + TEXT, PAGE, sgxref.PROT_READ)


def test_mprotect_of_an_unmapped_range_is_enomem(encl):
    encl.munmap(encl.base + HEAP, PAGE)
    with pytest.raises(OSError) as exc:
        encl.mprotect(encl.base + HEAP, PAGE, sgxref.PROT_READ)
    assert exc.value.errno == errno.ENOMEM


def test_the_sgx2_probe_with_a_zeroed_argument_is_einval(encl):
    """The selftests' probe: length 0 is -EINVAL, count and result 0."""
    with pytest.raises(OSError) as exc:
        encl.restrict_permissions(0, 0, 0)
    assert (exc.value.errno, exc.value.count, exc.value.result) == (errno.EINVAL, 0, 0)


@pytest.mark.parametrize("call, err", [
    (lambda e: e.restrict_permissions(PAGE2, PAGE, sgxref.SECINFO_W), errno.EINVAL),   # W without R
    (lambda e: e.restrict_permissions(TCS1, PAGE, sgxref.SECINFO_R), errno.EINVAL),    # not REG
    (lambda e: e.modify_types(PAGE2, PAGE, sgxref.PAGE_TYPE_REG), errno.EINVAL),       # not TRIM/TCS
    (lambda e: e.remove_pages(PAGE2, PAGE), errno.EPERM),                              # not TRIM
    (lambda e: e.restrict_permissions(2**64 - PAGE, 2 * PAGE, sgxref.SECINFO_R), errno.EINVAL),
])
def test_sgx2_ioctls_refuse_what_linux_refuses(encl, call, err):
    """docs/driver.md's SGX2 table: each refusal's errno, nothing changed (count 0)."""
    with pytest.raises(OSError) as exc:
        call(encl)
    assert exc.value.errno == err and exc.value.count == 0


def test_a_range_failing_on_page_k_reports_k_pages_in_count(machine):
    """D3 contract: pages before count changed. The range's third page has no enclave
    page behind it (past the two-page heap), so the flow stops there with -EFAULT."""
    e = machine.load_test_enclave(heap_pages=2)
    with pytest.raises(OSError) as exc:
        e.restrict_permissions(HEAP, 3 * PAGE, sgxref.SECINFO_R)
    assert exc.value.errno == errno.EFAULT and exc.value.count == 2 * PAGE
    assert exc.value.result == 0
    assert epcm_at(machine, e.base + HEAP)["w"] is False
    assert epcm_at(machine, e.base + HEAP + PAGE)["w"] is False


def test_without_sgx2_the_sgx2_ioctls_are_enodev():
    e = sgxref.Machine(sgx2=False).load_test_enclave()
    with pytest.raises(OSError) as exc:
        e.modify_types(PAGE2, PAGE, sgxref.PAGE_TYPE_TRIM)
    assert exc.value.errno == errno.ENODEV


def test_restrict_trim_and_remove_change_the_epcm_as_counted(machine, encl):
    """RESTRICT_PERMISSIONS then EACCEPT; MODIFY_TYPES to TRIM then EACCEPT; REMOVE_PAGES:
    each result's count is the bytes changed and the EPCM says so."""
    addr = encl.base + PAGE2
    r = encl.restrict_permissions(PAGE2, PAGE, sgxref.SECINFO_R)
    assert (r.count, r.result) == (PAGE, 0)
    assert {k: epcm_at(machine, addr)[k] for k in ("r", "w", "pr")} == {"r": True, "w": False, "pr": True}
    t = encl.thread()
    assert t.eaccept(addr, sgxref.SECINFO_R | REG | sgxref.SECINFO_PR) == 0
    assert epcm_at(machine, addr)["pr"] is False

    r = encl.modify_types(PAGE2, PAGE, sgxref.PAGE_TYPE_TRIM)
    assert (r.count, r.result) == (PAGE, 0)
    assert epcm_at(machine, addr)["type"] == "TRIM" and epcm_at(machine, addr)["modified"]
    assert t.eaccept(addr, TRIM | sgxref.SECINFO_MODIFIED) == 0
    before = machine.epc_stats()["free_pages"]
    r = encl.remove_pages(PAGE2, PAGE)
    assert (r.count, r.result) == (PAGE, None)
    assert epcm_at(machine, addr) is None
    assert machine.epc_stats()["free_pages"] == before + 1
    assert all(p["address"] != addr for p in encl.pages())


def test_a_closed_descriptor_is_ebadf_and_inspection_is_a_value_error(machine, encl):
    encl.close()
    with pytest.raises(OSError) as exc:
        encl.close()
    assert exc.value.errno == errno.EBADF
    with pytest.raises(OSError) as exc:
        encl.restrict_permissions(PAGE2, PAGE, sgxref.SECINFO_R)
    assert exc.value.errno == errno.EBADF
    with pytest.raises(ValueError, match="closed"):
        encl.pages()


def test_closing_and_unmapping_frees_every_epc_page(machine, encl):
    """D5: teardown frees everything once the descriptor and the mappings are gone."""
    encl.close()
    encl.munmap(encl.base, encl.size)
    s = machine.epc_stats()
    assert s["free_pages"] == s["total_pages"] and s["epcm_valid"] == 0
    assert machine.warnings() == {}


@pytest.mark.parametrize("call, exc_type, message", [
    (lambda e: e.restrict_permissions(-1, PAGE, 1), ValueError, "offset must not be negative"),
    (lambda e: e.modify_types(0, 1 << 64, 4), ValueError, "length is beyond 2\\*\\*64-1"),
    (lambda e: e.restrict_permissions(1.5, PAGE, 1), TypeError, "incompatible function arguments"),
    (lambda e: e.add_pages(0, "text", REG | RW), TypeError, "incompatible function arguments"),
    (lambda e: e.mmap(e.base, PAGE, "rw"), TypeError, "incompatible function arguments"),
    (lambda e: e.create(PAGE, base="0"), TypeError, "base must be an int or None"),
])
def test_bad_arguments_raise_before_reaching_the_driver(encl, call, exc_type, message):
    with pytest.raises(exc_type, match=message):
        call(encl)


def epcm_at(machine, address):
    """The valid EPCM entry of the page at `address`, or None."""
    found = [x for x in machine.epcm() if x["valid"] and x["address"] == address
             and x["type"] != "SECS"]
    assert len(found) <= 1
    return found[0] if found else None
