"""Reclaim control and EPC accounting: ksgxd's step, batches, a chosen page written out
and loaded back (D2 no loss, H4 one live VA slot per evicted page, D5 accounting)."""
import pytest

import sgxref
from conftest import BUFFER, HEAP, MAGIC, PAGE, PAGE2, SEED

HEAP_PAGES = 40


@pytest.fixture
def oversubscribed():
    """An enclave of 9 image pages and 40 heap pages on an EPC of 32 pages."""
    m = sgxref.Machine(epc_pages=32, seed=SEED)
    return m, m.load_test_enclave(heap_pages=HEAP_PAGES)


def test_evict_writes_the_chosen_page_out_and_an_access_loads_it_back(machine, encl):
    """evict(addr) leaves the page out of the EPC with a backing entry and a VA slot;
    the enclave's next access reloads it (ELDU) with its contents (D2)."""
    t = encl.thread()
    t.write(encl.base + PAGE2, MAGIC)
    addr = encl.base + PAGE2
    assert encl.evict(addr) >= 1
    [page] = [p for p in encl.pages() if p["address"] == addr]
    assert not page["resident"] and page["slot"] is None
    [entry] = [b for b in encl.backing() if b["address"] == addr]
    assert entry["va_slot"] is not None and entry["backing_index"] == PAGE2 // PAGE
    assert not any(x["valid"] and x["address"] == addr for x in machine.epcm())
    assert t.read(addr) == MAGIC
    assert t.last["reloads"] >= 1 and t.last["aex"] >= 1
    assert all(b["address"] != addr for b in encl.backing())


def test_evicted_pages_hold_distinct_va_slots(machine, encl):
    """H4: each evicted page's version lives in its own VA slot."""
    encl.evict(encl.base + BUFFER)
    slots = [(b["va_slot"], b["va_offset"]) for b in encl.backing()]
    assert len(slots) >= 1 and len(slots) == len(set(slots))


def test_evicting_a_page_that_is_out_already_runs_no_batch(encl):
    encl.evict(encl.base + PAGE2)
    assert encl.evict(encl.base + PAGE2) == 0


def test_evict_of_an_address_without_a_page_is_a_value_error(encl):
    with pytest.raises(ValueError, match="no page at 0x"):
        encl.evict(encl.base + 0xC000)


def test_a_call_that_runs_out_of_epc_midway_gets_ksgxd_and_ends():
    """In manual mode nothing else answers ksgxd's wake-ups: a fault whose ELDU finds no
    EPC page without reclaim is retried (VM_FAULT_NOPAGE), and a call still retrying
    gets ksgxd's steps instead of spinning for ever (scenarios::KsgxdOnRetry)."""
    m = sgxref.Machine(epc_pages=32, seed=SEED)
    first = m.load_test_enclave(heap_pages=1)
    t = first.thread()
    t.put_to_buffer(MAGIC)
    m.reclaim_until(free_pages=32)
    assert not first.secs()["resident"]
    m.load_test_enclave(heap_pages=18)  # leaves the low watermark free: no step first
    s = m.epc_stats()
    assert s["free_pages"] == s["low_watermark"]
    assert t.get_from_buffer() == MAGIC
    assert t.last["ksgxd_batches"] > 0 and t.last["reloads"] >= 5


def test_an_oversubscribed_enclave_keeps_every_page(oversubscribed):
    """D2 no loss over many evictions and reloads, with no driver WARN (D1)."""
    m, e = oversubscribed
    assert m.epc_stats()["evictions"] > 0
    t = e.thread()
    for i in range(HEAP_PAGES):
        t.write(e.base + HEAP + i * PAGE, MAGIC + i)
    assert [t.read(e.base + HEAP + i * PAGE) for i in range(HEAP_PAGES)] == \
        [MAGIC + i for i in range(HEAP_PAGES)]
    s = m.epc_stats()
    assert s["reloads"] > 0 and m.counters()["mac_failures"] == 0
    assert m.warnings() == {}


def test_epc_accounting_adds_up(oversubscribed):
    """D5 at a quiescent point: free + valid EPCM entries = EPC size; the root group is
    charged for every page in use."""
    m, e = oversubscribed
    s = m.epc_stats()
    assert s["free_pages"] + s["epcm_valid"] == s["total_pages"]
    [root] = m.cgroups()
    assert root["parent"] is None and root["max"] is None
    assert root["current"] == s["total_pages"] - s["free_pages"]
    assert root["lru_pages"] == s["lru_pages"]


def test_reclaim_batch_writes_pages_out(machine, encl):
    before = machine.epc_stats()
    written = machine.reclaim_batch()
    after = machine.epc_stats()
    assert written > 0
    assert after["evictions"] - before["evictions"] == written
    assert after["free_pages"] > before["free_pages"]


def test_reclaim_until_reaches_the_asked_free_pages(oversubscribed):
    m, _ = oversubscribed
    m.reclaim_until(free_pages=24)
    assert m.epc_stats()["free_pages"] >= 24


def test_reclaim_until_stops_when_nothing_is_left_to_reclaim(machine, encl):
    batches = machine.reclaim_until(free_pages=machine.epc_pages)
    s = machine.epc_stats()
    assert batches > 0 and s["lru_pages"] == 0
    # The SECS and the VA page are never on the LRU.
    assert s["free_pages"] < s["total_pages"]


def test_reclaim_step_is_ksgxds_loop_up_to_the_high_watermark(oversubscribed):
    """Manual-mode ksgxd: one step reclaims while free pages are below the high
    watermark, and does nothing above it."""
    m, e = oversubscribed
    t = e.thread()
    for i in range(HEAP_PAGES):
        t.write(e.base + HEAP + i * PAGE, i)  # fills the EPC again
    s = m.epc_stats()
    assert s["free_pages"] < s["high_watermark"]
    assert m.reclaim_step() >= 1
    assert m.epc_stats()["free_pages"] >= s["high_watermark"]
    assert m.reclaim_step() == 0


def test_a_group_limit_is_kept_by_reclaiming_the_groups_own_pages():
    """The EPC cgroup controller: an attached process's pages are charged to its group,
    whose usage never passes misc.max; reaching it counts an event."""
    m = sgxref.Machine(epc_pages=64, seed=SEED)
    m.create_cgroup("limited", max=16)
    e = m.load_test_enclave(heap_pages=HEAP_PAGES)
    root, group = m.cgroups()
    # The misc controller's root has the empty name.
    assert (root["name"], root["parent"]) == ("", None)
    assert (group["name"], group["parent"]) == ("limited", "")
    assert group["max"] == 16 and group["current"] <= 16 and group["peak"] <= 16
    assert group["events"] > 0 and root["current"] >= group["current"]
    t = e.thread()
    t.write(e.base + HEAP, MAGIC)
    assert t.read(e.base + HEAP) == MAGIC


@pytest.mark.parametrize("call, exc_type", [
    (lambda m: m.reclaim_until(free_pages=-1), ValueError),
    (lambda m: m.reclaim_until(free_pages="8"), TypeError),
    (lambda m: m.create_cgroup("g", max=-1), ValueError),
    (lambda m: m.create_cgroup(7), TypeError),
])
def test_bad_reclaim_arguments(machine, call, exc_type):
    with pytest.raises(exc_type):
        call(machine)
