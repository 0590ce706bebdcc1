"""The pure-Python layer's tables and HTML: rows read live from the machine, the same
rows as a DataFrame when pandas is there, and _repr_html_ on the main objects."""
import pytest

import sgxref
from conftest import PAGE, PAGE2, REG, TCS2, TEXT


def test_epcm_rows_are_the_valid_epcm_entries(machine, encl):
    rows = sgxref.epcm_rows(machine)
    valid = [x for x in machine.epcm() if x["valid"]]
    assert [r["slot"] for r in rows] == [x["slot"] for x in valid]
    assert all(set(r) == set(sgxref.tables.EPCM_COLUMNS) for r in rows)
    assert len(sgxref.epcm_rows(machine, valid_only=False)) == machine.epc_pages


def test_epcm_rows_follow_the_machine(machine, encl):
    """Rows are read when asked: an evicted page leaves them."""
    addr = encl.base + PAGE2
    assert any(r["address"] == addr for r in sgxref.epcm_rows(machine))
    encl.evict(addr)
    assert not any(r["address"] == addr for r in sgxref.epcm_rows(machine))


def test_page_rows_join_the_drivers_pages_with_the_epcm(machine, encl):
    encl.restrict_permissions(PAGE2, PAGE, sgxref.SECINFO_R)
    rows = {r["offset"]: r for r in sgxref.page_rows(machine, encl)}
    assert len(rows) == len(encl.pages())
    assert rows[PAGE2]["state"] == "pr" and (rows[PAGE2]["r"], rows[PAGE2]["w"]) == (True, False)
    assert rows[TEXT]["state"] == "rx"
    encl.thread().eaccept(encl.base + PAGE2, sgxref.SECINFO_R | REG | sgxref.SECINFO_PR)
    encl.evict(encl.base + PAGE2)
    row = next(r for r in sgxref.page_rows(machine, encl) if r["offset"] == PAGE2)
    assert row["state"] == "evicted" and row["slot"] is None and row["r"] is None


def test_an_eaug_page_is_pending_until_accepted(machine, encl):
    """A write to an unbacked page EAUGs it on fault and faults again on the pending
    page (0x8007): its row says pending until EACCEPT, then rw."""
    addr = encl.base + 0xC000
    encl.mmap(addr, PAGE, sgxref.PROT_READ | sgxref.PROT_WRITE)
    with pytest.raises(sgxref.EnclaveFault):
        encl.thread().write(addr, 1)

    def row():
        return next(r for r in sgxref.page_rows(machine, encl) if r["address"] == addr)
    assert row()["state"] == "pending"
    t2 = encl.thread(tcs=encl.base + TCS2)
    assert t2.eaccept(addr, sgxref.SECINFO_R | sgxref.SECINFO_W | REG | sgxref.SECINFO_PENDING) == 0
    assert row()["state"] == "rw"


def test_tlb_rows_list_each_cpus_epc_entries(machine, encl):
    encl.thread().nop()
    rows = sgxref.tlb_rows(machine)
    expected = sum(len(c["tlb"]) for c in machine.cpus())
    assert len(rows) == expected
    assert len(sgxref.cpu_rows(machine)) == len(machine.cpus())


def test_counter_rows_count_the_leaves_called(machine, encl):
    rows = {r["leaf"]: r for r in sgxref.counter_rows(machine)}
    assert rows["ECREATE"]["calls"] == 1 and rows["EINIT"]["calls"] == 1
    assert all(r["calls"] > 0 for r in rows.values())
    assert len(sgxref.counter_rows(machine, all_leaves=True)) == \
        len(machine.counters()["leaves"])


def test_machine_html_holds_the_epcm_rows(machine, encl):
    html = machine._repr_html_()
    assert html.startswith("<div>") and "<table" in html
    for r in sgxref.epcm_rows(machine):
        assert f"<td>{hex(r['address'])}</td>" in html
    assert html.count("<tr>") >= len(sgxref.epcm_rows(machine))


def test_enclave_html_shows_its_secs_and_pages(encl):
    html = encl._repr_html_()
    assert "SECS" in html and encl.secs()["mrenclave"] in html
    assert html.count("<td>TCS</td>") == 2
    encl.close()
    assert "sgxref.Enclave" in encl._repr_html_()  # a closed enclave still renders


def test_thread_html_shows_the_last_call(encl):
    t = encl.thread()
    t.nop()
    assert "last call" in t._repr_html_()


def test_rows_render_with_escaping():
    rows = sgxref.Rows([{"name": "<b>", "address": 4096, "ok": True, "none": None}],
                       title="t")
    html = rows._repr_html_()
    assert "&lt;b&gt;" in html and "0x1000" in html and "&#10003;" in html and "&mdash;" in html


def test_a_long_table_shows_its_first_rows_and_says_so():
    rows = sgxref.Rows([{"slot": i} for i in range(500)], title="EPCM")
    html = rows._repr_html_()
    assert "(500 rows, the first 200 shown)" in html
    assert "<td>199</td>" in html and "<td>200</td>" not in html
    assert len(rows) == 500


def test_epcm_frame_is_the_rows_as_a_dataframe(machine, encl):
    pandas = pytest.importorskip("pandas")
    frame = sgxref.epcm_frame(machine)
    assert isinstance(frame, pandas.DataFrame)
    assert list(frame.columns) == list(sgxref.tables.EPCM_COLUMNS)
    assert frame["slot"].tolist() == [r["slot"] for r in sgxref.epcm_rows(machine)]


def test_a_dataframe_without_pandas_names_the_package(machine, monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas fails
    with pytest.raises(ImportError, match="python3-pandas"):
        sgxref.epcm_frame(machine)
    assert sgxref.epcm_rows(machine) is not None


def test_the_recorder_samples_after_each_step(machine, encl):
    rec = sgxref.Recorder(machine)
    t = encl.thread()
    rec.step("write", t.write, encl.base + PAGE2, 1)
    rec.step("reclaim", machine.reclaim_batch)
    assert [s["label"] for s in rec.samples] == ["start", "write", "reclaim"]
    assert [s["step"] for s in rec.samples] == [0, 1, 2]
    assert rec.samples[2]["evictions"] > rec.samples[1]["evictions"]
    assert rec.samples[2]["used_pages"] < rec.samples[1]["used_pages"]
    assert "<table" in rec._repr_html_()


def test_check_result_html_shows_the_verdict_and_the_counterexamples_timeline():
    broken = sgxref.check("restrict", variant=["bug.restrict-skips-etrack"], threads=1)
    html = broken._repr_html_()
    assert "UNSAFE" in html and "D4 promise kept" in html
    assert "eaccept.end" in html  # the timeline's last step
    proven = sgxref.check("restrict", variant=["restrict.lock=whole-range"], threads=1)
    html = proven._repr_html_()
    assert "PROVEN" in html and "<pre>" not in html
