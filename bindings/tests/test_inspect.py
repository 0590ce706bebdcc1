"""Inspection as plain Python data: the EPCM, the CPUs, the SECS and its tracking state,
the leaf counters and the driver's WARNs agree with each other and with the driver's
own records."""
import sgxref
from conftest import MAGIC, PAGE, PAGE2, REG, TCS1, TCS2, TEXT

# The test enclave: 2 TCS, text, 2 buffer pages, 2 stack pages, 2 SSA pages, 1 heap page.
ENCLAVE_PAGES = 10


def test_the_epcm_has_one_plain_entry_per_slot(machine, encl):
    epcm = machine.epcm()
    assert len(epcm) == machine.epc_pages
    assert [x["slot"] for x in epcm] == list(range(machine.epc_pages))
    for x in epcm:
        assert set(x) == {"slot", "valid", "type", "r", "w", "x", "pending", "modified", "pr",
                          "blocked", "secs", "address", "stamp"}
        assert all(isinstance(x[k], bool) for k in ("valid", "r", "w", "x", "pending"))


def test_the_epcm_holds_the_enclave_as_the_driver_placed_it(machine, encl):
    """Every driver page is a valid EPCM entry of its type at its address, owned by the
    SECS; plus one SECS and one VA page; the count is the emulator's (D5)."""
    epcm = machine.epcm()
    valid = [x for x in epcm if x["valid"]]
    secs = encl.secs()
    assert [x["type"] for x in valid].count("SECS") == 1
    assert [x["type"] for x in valid].count("VA") == 1
    pages = encl.pages()
    assert len(pages) == ENCLAVE_PAGES and secs["children"] == ENCLAVE_PAGES
    for p in pages:
        x = epcm[p["slot"]]
        assert (x["valid"], x["type"], x["address"], x["secs"]) == \
            (True, p["type"], p["address"], secs["slot"])
    assert len(valid) == ENCLAVE_PAGES + 2 == machine.counters()["epcm_valid"]
    text = epcm[next(p["slot"] for p in pages if p["offset"] == TEXT)]
    assert (text["r"], text["w"], text["x"]) == (True, False, True)


def test_the_secs_view_holds_the_enclaves_identity(machine, encl):
    s = encl.secs()
    assert s["resident"] and s["initialized"]
    assert (s["base"], s["size"]) == (encl.base, encl.size)
    assert s["attributes"] & sgxref.ATTR_MODE64BIT
    assert len(s["mrenclave"]) == 64 and int(s["mrenclave"], 16) != 0
    assert s["tracking"] == {"epoch": s["tracking"]["epoch"], "cpus_inside": [], "incomplete": False}


def test_restrict_permissions_advances_the_tracking_epoch(encl):
    """The ETRACK flow after EMODPR: the enclave's epoch moves on."""
    before = encl.secs()["tracking"]["epoch"]
    encl.restrict_permissions(PAGE2, PAGE, sgxref.SECINFO_R)
    assert encl.secs()["tracking"]["epoch"] > before


def test_an_evicted_secs_is_reported_out_of_the_epc(machine, encl):
    """The SECS goes last, once no child is resident (D5)."""
    machine.reclaim_until(free_pages=machine.epc_pages)
    machine.reclaim_until(free_pages=machine.epc_pages)
    s = encl.secs()
    assert s == {"resident": False, "children": 0}


def test_cpus_outside_an_enclave_have_no_enclave_context(machine, encl):
    encl.thread().nop()
    for c in machine.cpus():
        assert not c["enclave_mode"]
        assert (c["secs"], c["tcs"], c["tcs_slot"], c["entry_epoch"]) == (None,) * 4
        assert isinstance(c["tlb"], list)


def test_counters_count_each_leaf_by_name(machine, encl):
    """The build ran one ECREATE, one EADD per page, EEXTEND for the measured pages
    (16 per page, the heap unmeasured) and one EINIT. Once its pages are mapped (the
    first entry faults them in, retrying EENTER), an enclave call is one EENTER and one
    EEXIT."""
    c = machine.counters()["leaves"]
    assert (c["ECREATE"]["calls"], c["EADD"]["calls"], c["EINIT"]["calls"]) == \
        (1, ENCLAVE_PAGES, 1)
    assert c["EEXTEND"]["calls"] == 16 * (ENCLAVE_PAGES - 1)
    t = encl.thread()
    t.nop()
    c = machine.counters()["leaves"]
    before = c["EENTER"]["calls"], c["EEXIT"]["calls"]
    t.nop()
    after = machine.counters()["leaves"]
    assert (after["EENTER"]["calls"], after["EEXIT"]["calls"]) == (before[0] + 1, before[1] + 1)
    assert all(set(v) == {"calls", "faults", "codes"} for v in after.values())


def test_a_faulting_call_is_counted_as_an_enclave_fault(machine, encl):
    encl.restrict_permissions(PAGE2, PAGE, sgxref.SECINFO_R)
    t = encl.thread()
    t.eaccept(encl.base + PAGE2, sgxref.SECINFO_R | REG | sgxref.SECINFO_PR)
    aex = machine.counters()["aex"]
    try:
        t.write(encl.base + PAGE2, MAGIC)
    except sgxref.EnclaveFault:
        pass
    assert machine.counters()["aex"] > aex


def test_no_warning_after_a_clean_run(machine, encl):
    """D1: the driver never WARNs on a run user space cannot break."""
    encl.thread().nop()
    encl.evict(encl.base + TCS2)
    encl.thread(tcs=encl.base + TCS1).nop()
    assert machine.warnings() == {}


def test_sgx_code_names_follow_the_sdm():
    assert sgxref.sgx_code_name(0) == "SGX_SUCCESS"
    assert sgxref.sgx_code_name(11) == "SGX_NOT_TRACKED"
    assert sgxref.sgx_code_name(99) == "SGX_UNKNOWN"
