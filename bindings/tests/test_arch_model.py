"""sgxref.ArchModel: model/arch's transitions stepped concretely from Python, the
scenario layout of props/model/world.h: SECS in slot 0, TCS in slot 1 at page 0 (SSA at
pages 1 and 2), REG RW in slot 2 at page 1, REG RWX in slot 3 at page 2, VA in slot 4."""
import pytest

import sgxref

SECS, TCS, REG, VA, TRIM = 0, 1, 2, 3, 4
KERNEL = 1  # the CPU the scenarios keep for ENCLS
SGX_CHILD_PRESENT = 13
SGX_NOT_TRACKED = 11


def built():
    m = sgxref.ArchModel(slots=10, cpus=2, pages=4, va_slots=2, blobs=4, spaces=2, words=2)
    assert m.apply("ecreate", cpu=KERNEL, secs=0, base=0, size=4, contents_ok=True)["ok"]
    assert m.apply("eadd", cpu=KERNEL, slot=1, secs=0, page=0, si={"type": TCS}, nssa=2, ossa=1)["ok"]
    assert m.apply("eadd", cpu=KERNEL, slot=2, secs=0, page=1, si={"type": REG, "r": True, "w": True},
                   content=2)["ok"]
    assert m.apply("eadd", cpu=KERNEL, slot=3, secs=0, page=2,
                   si={"type": REG, "r": True, "w": True, "x": True}, content=3)["ok"]
    assert m.apply("epa", cpu=KERNEL, slot=4)["ok"]
    secs = m.state()["data"][0]
    assert m.apply("einit", cpu=KERNEL, secs=0, mr_count=secs["mr_count"], mr_page=secs["mr_page"])["ok"]
    return m


def test_sizes_and_power_on_state():
    m = sgxref.ArchModel(slots=3, cpus=2)
    assert m.sizes == {"slots": 3, "cpus": 2, "pages": 4, "va_slots": 2, "blobs": 4, "spaces": 1, "words": 2}
    s = m.state()
    assert set(s) == {"epcm", "data", "cpu", "pte", "blob"}
    assert len(s["epcm"]) == 3 and not any(e["valid"] for e in s["epcm"])
    assert len(s["cpu"]) == 2 and not any(c["mode"] for c in s["cpu"])
    assert len(s["pte"]) == 1 and len(s["pte"][0]) == 4
    assert m.invariants() == {"well_formed": True, "H1": True, "H2": True, "H3": True, "H4": True,
                              "tlb_follows_page_tables": True}


def test_leaves_are_the_models_with_their_operand_fields():
    leaves = sgxref.ArchModel.leaves()
    for name in ["ecreate", "eadd", "eextend", "einit", "eaug", "emodpr", "emodt", "eaccept", "eacceptcopy",
                 "emodpe", "eenter", "eresume", "eexit", "aex", "ipi", "etrack", "eblock", "ewb", "eldu", "eldb",
                 "epa", "eremove", "ereport", "load", "store", "fetch", "store_tcs", "pte_set", "pte_clear", "cr3"]:
        assert name in leaves
    assert leaves["ecreate"] == ["cpu", "secs", "si", "base", "size", "contents_ok"]
    for name in ["ecreate", "eadd", "eextend", "einit", "eaug", "emodpr", "emodt", "eaccept", "eacceptcopy",
                 "emodpe", "eenter", "eresume", "epa", "eblock", "etrack", "ewb", "eldb", "eldu", "eremove"]:
        assert leaves[name + "_begin"] == leaves[name + "_end"] == leaves[name]
    assert "eexit_begin" not in leaves
    assert leaves["ewb"] == ["cpu", "slot", "va", "va_index", "blob"]


def test_building_an_enclave_fills_the_epcm():
    m = built()
    epcm = m.state()["epcm"]
    assert [e["valid"] for e in epcm[:5]] == [True] * 5
    assert [e["type"] for e in epcm[:5]] == [SECS, TCS, REG, REG, VA]
    assert (epcm[2]["r"], epcm[2]["w"], epcm[2]["x"], epcm[2]["page"]) == (True, True, False, 1)
    assert all(m.invariants().values())


def test_a_refused_leaf_answers_its_fault_or_code_and_changes_nothing():
    m = built()
    before = m.state()
    gp = m.apply("ecreate", cpu=KERNEL, secs=5, base=0, size=3, contents_ok=True)  # not a power of two
    assert (gp["ok"], gp["kind_name"]) == (False, "#GP")
    child = m.apply("eremove", cpu=KERNEL, slot=0)  # the SECS while children are in
    assert (child["kind_name"], child["code"]) == ("code", SGX_CHILD_PRESENT)
    assert sgxref.sgx_code_name(child["code"]) == "SGX_CHILD_PRESENT"
    outside = m.apply("eblock", cpu=KERNEL, slot=11)  # an address outside the EPC
    assert (outside["kind_name"], outside["addr"]) == ("#PF", 11)
    assert m.state() == before


def test_eviction_and_reload_keep_the_invariants():
    m = built()
    assert m.apply("eblock", cpu=KERNEL, slot=3)["ok"]
    assert m.apply("etrack", cpu=KERNEL, secs=0)["ok"]
    assert m.apply("ewb", cpu=KERNEL, slot=3, va=4, va_index=0, blob=0)["ok"]
    s = m.state()
    assert not s["epcm"][3]["valid"] and s["blob"][0]["valid"]
    assert all(m.invariants().values())
    # A tampered blob is refused; the blob as EWB sealed it comes back into another slot,
    # and a second ELDU of it finds its version gone from the VA slot (H4).
    pcmd = {"type": REG, "r": True, "w": True, "x": True}
    eldu = dict(cpu=KERNEL, va=4, va_index=0, blob=0, page=2, secs=0, si=pcmd)
    tampered = m.apply("eldu", slot=5, intact=False, **eldu)
    assert (tampered["kind_name"], sgxref.sgx_code_name(tampered["code"])) == ("code", "SGX_MAC_COMPARE_FAIL")
    assert m.apply("eldu", slot=5, intact=True, **eldu)["ok"]
    assert (m.state()["epcm"][5]["page"], m.state()["epcm"][5]["valid"]) == (2, True)
    assert not m.apply("eldu", slot=6, intact=True, **eldu)["ok"]
    assert all(m.invariants().values())


def test_an_enclave_thread_enters_and_leaves():
    m = built()
    # CPU 0 enters through the TCS (page 0) with its SSA pages mapped, and leaves.
    for page, slot in [(0, 1), (1, 2), (2, 3)]:
        assert m.apply("pte_set", space=0, page=page, slot=slot, w=True, x=True)["ok"]
    assert m.apply("eenter", cpu=0, tcs=0)["ok"]
    assert m.state()["cpu"][0]["mode"]
    # ENCLS in enclave mode is #UD, and the fault is an AEX: the CPU is out until ERESUME.
    assert m.apply("ecreate", cpu=0, secs=6, base=0, size=4, contents_ok=True)["kind_name"] == "#UD"
    assert not m.state()["cpu"][0]["mode"]
    assert m.apply("eresume", cpu=0, tcs=0)["ok"]
    assert m.apply("eexit", cpu=0)["ok"]
    assert not m.state()["cpu"][0]["mode"]
    assert all(m.invariants().values())


def test_sgx2_leaves_change_the_epcm():
    m = built()
    assert m.apply("eaug", cpu=KERNEL, slot=5, secs=0, page=3)["ok"]
    assert m.state()["epcm"][5]["pending"]
    assert m.apply("emodpr", cpu=KERNEL, slot=3, si={"r": True})["ok"]
    assert m.state()["epcm"][3]["pr"]
    assert m.apply("emodt", cpu=KERNEL, slot=2, si={"type": TRIM})["ok"]
    assert m.state()["epcm"][2]["modified"]
    assert all(m.invariants().values())


def test_a_leaf_in_flight_holds_its_page_against_another():
    m = built()
    assert m.apply("emodpr_begin", cpu=KERNEL, slot=3, si={"r": True})["ok"]
    assert m.state()["cpu"][KERNEL]["flight"]["leaf"] != 0
    # EMODPR in flight on CPU 1 holds slot 3: another EMODPR of it meets the conflict
    # code, EREMOVE (which wants it exclusive) a #GP.
    other = m.apply("emodpr", cpu=0, slot=3, si={"r": True})
    assert (other["kind_name"], sgxref.sgx_code_name(other["code"])) == ("code", "SGX_EPC_PAGE_CONFLICT")
    assert m.apply("eremove", cpu=0, slot=3)["kind_name"] == "#GP"
    assert m.apply("emodpr_end", cpu=KERNEL, slot=3, si={"r": True})["ok"]
    assert m.state()["epcm"][3]["pr"]
    assert all(m.invariants().values())


@pytest.mark.parametrize("leaf, operands, error, match", [
    ("frobnicate", {}, ValueError, "unknown leaf 'frobnicate' \\(one of aex, cr3, eaccept"),
    ("eblock", {"slto": 3}, ValueError, "unknown field 'slto' \\(its fields: cpu, slot\\)"),
    ("eblock", {"cpu": 2}, ValueError, "operands.cpu: 2 is out of range; it takes 0 to 1"),
    ("ewb", {"blob": 4}, ValueError, "operands.blob: 4 is out of range; it takes 0 to 3"),
    ("eblock", {"slot": -1}, ValueError, "operands.slot: -1 is out of range"),
    ("eblock", {"slot": 2**40}, ValueError, "out of range; it takes 0 to 2\\*\\*32-1"),
    ("eblock", {"slot": "3"}, TypeError, "operands.slot: expected an int"),
    ("eblock", {"slot": True}, TypeError, "operands.slot: expected an int"),
    ("ecreate", {"contents_ok": 1}, TypeError, "operands.contents_ok: expected a bool"),
    ("ecreate", {"si": 0}, TypeError, "operands.si: expected a dict"),
    ("ecreate", {"si": {"typ": 0}}, ValueError, "operands.si: unknown field 'typ'"),
])
def test_bad_operands_are_refused_before_the_model_runs(leaf, operands, error, match):
    m = built()
    before = m.state()
    with pytest.raises(error, match=match):
        m.apply(leaf, **operands)
    assert m.state() == before


def test_bad_sizes_are_refused():
    with pytest.raises(ValueError, match="slots: 0 is out of range; it takes 1 to 64"):
        sgxref.ArchModel(slots=0)
    with pytest.raises(TypeError):
        sgxref.ArchModel(cpus="2")
