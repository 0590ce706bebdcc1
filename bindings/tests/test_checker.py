"""The checker from Python: sgxref.flows(), catalogue(), check(), check_flow_file() and
CheckResult, against what `./sgxref check` and `./sgxref replay` say of the same entry.
Runs stay small: the buggy entries that are UNSAFE in seconds, pages 1 or 2."""
import json
import os
import signal
import subprocess
import threading
import time

import pytest

import sgxref

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("SGXREF_BUILD", os.path.join(ROOT, "build", "gcc"))
CLI = os.path.join(BUILD, "cli", "sgxref")
FLOW_FILES = os.path.join(ROOT, "proofs", "flow-files")
BAD_FLOW = os.path.join(ROOT, "cli", "tests", "bad-flow.json")
SKIPS_ETRACK = "bug.restrict-skips-etrack"
D4 = "D4 promise kept"


@pytest.fixture(scope="module")
def unsafe():
    """restrict with the ETRACK skipped, one enclave thread: UNSAFE, D4, at depth 8."""
    return sgxref.check("restrict", variant=[SKIPS_ETRACK], threads=1)


def expected_rows():
    rows = []
    with open(os.path.join(ROOT, "proofs", "expected-verdicts.txt")) as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                rows.append(line.rstrip("\n").split("\t"))
    return rows


def test_flows_are_the_checkers():
    assert sgxref.flows() == ["restrict", "restrict-reclaim", "modify-types", "modify-types-reclaim", "eaug-reclaim",
                              "remove"]


def test_catalogue_lists_every_entry_as_the_expected_table_does():
    cat = sgxref.catalogue()
    rows = expected_rows()
    assert len(cat) == len(rows)
    for entry, row in zip(cat, rows):
        assert set(entry) == {"flow", "switches", "enclave_threads", "pages", "depth"}
        assert entry["flow"] == row[0]
        assert (", ".join(entry["switches"]) or "linux") == row[1]
    assert {"flow": "restrict-reclaim", "switches": [], "enclave_threads": 1, "pages": 1,
            "depth": 16} in cat


def test_a_bug_switch_is_unsafe_with_its_counterexample(unsafe):
    assert isinstance(unsafe, sgxref.CheckResult)
    assert unsafe.flow == "restrict"
    assert unsafe.variant == SKIPS_ETRACK
    assert unsafe.switches == [SKIPS_ETRACK]
    assert unsafe.flow_file is None
    assert unsafe.threads == ["RESTRICT_PERMISSIONS", "enclave thread 1"]
    assert unsafe.enclave_threads == 1
    assert unsafe.pages == 2
    assert (unsafe.verdict, unsafe.verdict_text, unsafe.property, unsafe.depth) == ("UNSAFE", "UNSAFE", D4, 8)
    assert unsafe.bound >= unsafe.depth
    assert unsafe.seconds > 0
    assert repr(unsafe) == "<CheckResult restrict, bug.restrict-skips-etrack: UNSAFE D4 promise kept at depth 8>"
    # The catalogue runs this entry at the same sizes: the committed table's row.
    assert ["restrict", SKIPS_ETRACK, unsafe.verdict, unsafe.property] in expected_rows()
    assert {"flow": "restrict", "switches": [SKIPS_ETRACK], "enclave_threads": 1, "pages": 2,
            "depth": 0} in sgxref.catalogue()


def test_the_counterexample_is_data_step_by_step(unsafe):
    cex = unsafe.counterexample
    assert (cex["property"], cex["depth"]) == (D4, 8)
    steps = cex["steps"]
    assert [s["step"] for s in steps] == list(range(1, 9))
    for s in steps:
        assert s["thread_name"] == unsafe.threads[s["thread"]]
        state = s["state"]
        assert [p["page"] for p in state["pages"]] == [2, 3]
        assert [c["cpu"] for c in state["cpus"]] == [1]
        assert isinstance(state["secs_resident"], bool)
    last = steps[-1]
    assert (last["thread_name"], last["point"]) == ("enclave thread 1", "eaccept.end")
    p2 = last["state"]["pages"][0]
    assert (p2["resident"], p2["rights"], p2["pr"], p2["type"]) == (True, "R--", True, "REG")
    # The ioctl has returned success for both pages before the failed EACCEPT.
    assert last["state"]["ioctl"] == {"thread": "RESTRICT_PERMISSIONS", "rv": 0, "ret": "0", "count": 2}
    assert steps[0]["state"]["ioctl"] is None
    # Each state's text is the timeline's column for that step.
    timeline = unsafe.timeline()
    for s in steps:
        assert s["state"]["text"] in timeline


def test_the_timeline_is_the_clis(unsafe):
    text = unsafe.timeline()
    lines = text.splitlines()
    assert lines[0] == "restrict, bug.restrict-skips-etrack: D4 promise kept broken at depth 8"
    assert lines[1].startswith("  step  RESTRICT_PERMISSIONS")
    assert lines[-1] == "  D4 promise kept is broken after step 8"
    assert len(lines) == 8 + 3


def test_replay_shows_the_bug_on_its_driver(unsafe):
    r = unsafe.replay()
    assert r["shown"] is True
    assert r["followed"] is True
    assert r["driver"] == "the driver with bug.restrict-skips-etrack"
    assert D4 in r["broken"]
    assert r["mismatches"] == []
    assert r["summary"].startswith(
        "restrict, bug.restrict-skips-etrack: D4 promise kept: shown on the driver with bug.restrict-skips-etrack")
    assert len(r["steps"]) == 10
    third = r["steps"][2]
    assert (third["step"], third["thread_name"], third["runs_on_from"]) == (3, "RESTRICT_PERMISSIONS", "encl->lock")
    assert all(isinstance(s["state"], str) for s in r["steps"])


def test_json_is_what_check_json_writes(unsafe):
    j = unsafe.json()
    assert j["format"] == "sgxref-check-1"
    (entry,) = j["entries"]
    assert (entry["verdict"], entry["property"], entry["depth"]) == ("UNSAFE", D4, 8)
    assert [s["point"] for s in entry["counterexample"]["steps"]] == [
        s["point"] or "" for s in unsafe.counterexample["steps"]]


def test_agrees_with_the_cli(unsafe, tmp_path):
    out = tmp_path / "check.json"
    run = subprocess.run([CLI, "check", "--flows", "restrict", "--variant", SKIPS_ETRACK, "--threads", "1",
                          "--json", str(out)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    (entry,) = json.loads(out.read_text())["entries"]
    assert (entry["verdict"], entry["depth"], entry["property"]) == (unsafe.verdict, unsafe.depth, unsafe.property)
    assert entry["counterexample"] == unsafe.json()["entries"][0]["counterexample"]
    # The CLI prints the same timeline after its table, and shows it on the driver.
    assert unsafe.timeline() in run.stdout
    assert unsafe.replay()["summary"] in run.stdout


def test_replay_agrees_with_the_clis_replay(unsafe, tmp_path):
    path = tmp_path / "cex.json"
    path.write_text(json.dumps(unsafe.json()))
    out = tmp_path / "replay.json"
    run = subprocess.run([CLI, "replay", str(path), "--json", str(out)], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    assert json.loads(out.read_text()) == [unsafe.replay()]


def test_an_alternative_is_proven():
    r = sgxref.check("restrict", ["restrict.lock=whole-range"], threads=1)
    assert (r.verdict, r.property, r.counterexample) == ("PROVEN", None, None)
    assert r.timeline() is None
    with pytest.raises(ValueError, match="no counterexample to replay"):
        r.replay()


def test_linux_choices_are_the_catalogues_entry_and_safe_to_a_small_depth():
    r = sgxref.check("restrict", threads=1, depth=6, pages=1)
    assert (r.variant, r.pages, r.depth, r.verdict, r.verdict_text) == ("linux", 1, 6, "SAFE", "SAFE to depth 6")


def test_progress_is_called_with_the_gil_and_other_threads_run():
    seen, ticks = [], []
    stop = threading.Event()

    def tick():
        while not stop.is_set():
            ticks.append(time.monotonic())
            time.sleep(0.01)

    ticker = threading.Thread(target=tick)
    ticker.start()
    start = time.monotonic()
    try:
        r = sgxref.check("restrict", [SKIPS_ETRACK], threads=1,
                         progress=lambda depth, bound: seen.append((depth, bound, threading.get_ident())))
    finally:
        stop.set()
        ticker.join()
    end = time.monotonic()
    depths = [d for d, _, _ in seen]
    assert depths and depths == sorted(set(depths)) and depths[-1] <= r.bound
    assert {b for _, b, _ in seen} == {r.bound}
    # The other thread kept running while the check ran.
    assert len([t for t in ticks if start < t < end]) >= 10


def test_an_exception_in_progress_stops_the_check():
    def stop(depth, bound):
        raise KeyError("enough")

    with pytest.raises(KeyError, match="enough"):
        sgxref.check("restrict", [SKIPS_ETRACK], threads=1, progress=stop)


@pytest.mark.parametrize("delay", [0.05, 0.5, 2.0])
def test_ctrl_c_stops_a_check(delay):
    # SIGINT while the check runs (the GIL released), wherever it lands: building terms,
    # between depths or inside a Z3 query (CI once lost one that landed as a query ended,
    # while Z3 still held SIGINT, and the check ran its minute and more to the end).
    # Linux's RESTRICT_PERMISSIONS against two enclave threads takes a minute or more, so
    # the signal lands while it runs on any machine.
    timer = threading.Timer(delay, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    start = time.monotonic()
    try:
        with pytest.raises(KeyboardInterrupt):
            sgxref.check("restrict", threads=2)
    finally:
        timer.cancel()
    assert time.monotonic() - start < delay + 5


def test_ctrl_c_goes_back_to_pythons_handler_after_a_check():
    # Once the check is over SIGINT is Python's again: a handler set by the caller hears it.
    heard = []
    old = signal.signal(signal.SIGINT, lambda *_: heard.append(True))
    try:
        sgxref.check("restrict", [SKIPS_ETRACK], threads=1)
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.1)
    finally:
        signal.signal(signal.SIGINT, old)
    assert heard == [True]


def test_unknown_flow_is_refused_with_the_checkers_message():
    with pytest.raises(ValueError, match="unknown flow 'restirct'; the checker knows restrict, restrict-reclaim, "
                                         "modify-types, modify-types-reclaim, eaug-reclaim"):
        sgxref.check("restirct")


def test_unknown_switches_are_refused_with_the_checkers_message():
    with pytest.raises(ValueError, match="unknown bug switch 'bug.nope'; the flows know bug.restrict-skips-etrack"):
        sgxref.check("restrict", ["bug.nope"])
    with pytest.raises(ValueError, match="unknown alternative 'restrict.etrak'"):
        sgxref.check("restrict", ["restrict.etrak=batched"])


def test_threads_for_a_flow_that_runs_without_them_is_refused():
    with pytest.raises(ValueError, match="eaug-reclaim runs without enclave threads"):
        sgxref.check("eaug-reclaim", threads=1)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"variant": "bug.restrict-skips-etrack"}, TypeError, "variant: expected a list"),
    ({"variant": [1]}, TypeError, "each switch is a str"),
    ({"pages": "2"}, TypeError, "pages"),
    ({"pages": 9}, ValueError, "pages: 9 is out of range; it takes 1 to 8"),
    ({"pages": -1}, ValueError, "pages"),
    ({"threads": 4}, ValueError, "threads: 4 is out of range; it takes 0 to 3"),
    ({"depth": 0}, ValueError, "depth: 0 is out of range; it takes 1 to 200"),
    ({"timeout": 0}, ValueError, "timeout: it takes 1 to 86400 seconds"),
    ({"timeout": "5"}, TypeError, "timeout"),
    ({"progress": 3}, TypeError, "progress: expected a callable"),
])
def test_bad_arguments_are_refused_before_the_checker_runs(kwargs, error, match):
    with pytest.raises(error, match=match):
        sgxref.check("restrict", **kwargs)


def test_a_flow_file_is_checked_as_the_cli_does():
    path = os.path.join(FLOW_FILES, "restrict-etrack-unlocked.json")
    r = sgxref.check_flow_file(path)
    assert (r.flow, r.flow_file, r.verdict, r.property, r.depth) == (
        "restrict-etrack-unlocked", path, "UNSAFE", "D1 no driver bug", 16)
    assert r.threads[-1] == "ksgxd"
    assert "SECS evicted" in r.counterexample["steps"][14]["state"]["text"]
    assert r.counterexample["steps"][14]["state"]["secs_resident"] is False
    with pytest.raises(ValueError, match="the flow file's flow is not the driver's"):
        r.replay()


def test_a_malformed_flow_file_is_refused_with_the_readers_message():
    with pytest.raises(ValueError, match=r"bad-flow.json: steps\[1\] \('modify'\): ops\[0\]: a load outside encl->lock"):
        sgxref.check_flow_file(BAD_FLOW)
    with pytest.raises(ValueError, match="/nonexistent/flow.json: cannot read the flow file"):
        sgxref.check_flow_file("/nonexistent/flow.json")
    with pytest.raises(ValueError, match="unknown bug switch 'bug.nope'"):
        sgxref.check_flow_file(os.path.join(FLOW_FILES, "restrict-linux.json"), ["bug.nope"])
