"""Python threads: long calls release the GIL so other Python threads run meanwhile,
and calls on one machine from several threads are serialized (one task cannot be
played by two host threads), so they all complete with their own results."""
import threading
import time

import sgxref
from conftest import HEAP, PAGE, SEED, TCS2


def test_a_long_call_lets_other_python_threads_run():
    """While a reclaim-heavy load runs in C++ in one thread, the main thread's Python
    keeps running: it could not if the call held the GIL."""
    machine = sgxref.Machine(epc_pages=1024, seed=SEED)
    span = {}

    def long_call():
        span["start"] = time.monotonic()
        machine.load_test_enclave(heap_pages=32768)
        span["end"] = time.monotonic()

    worker = threading.Thread(target=long_call)
    ticks = []
    worker.start()
    while worker.is_alive():
        ticks.append(time.monotonic())
    worker.join()
    # Leave slack at both ends for the thread switch interval (5 ms): the worker is in
    # Python just before its call and just after it, and the main thread may run then.
    inside = [t for t in ticks if span["start"] + 0.05 < t < span["end"] - 0.05]
    assert span["end"] - span["start"] > 0.2, "the call was too short to tell"
    assert inside, "no Python ran in the main thread during the call"


def test_threads_sharing_a_machine_each_get_their_own_results():
    machine = sgxref.Machine(epc_pages=64, seed=SEED)
    e = machine.load_test_enclave(heap_pages=2)
    results, errors = {}, []

    def worker(name, tcs, addr):
        try:
            t = e.thread(tcs=e.base + tcs)
            got = []
            for i in range(50):
                t.write(e.base + addr, i)
                got.append(t.read(e.base + addr))
                machine.epcm()
            results[name] = got
        except Exception as exc:  # reported below, with the thread's name
            errors.append((name, exc))

    threads = [threading.Thread(target=worker, args=("tcs1", 0, HEAP)),
               threading.Thread(target=worker, args=("tcs2", TCS2, HEAP + PAGE)),
               threading.Thread(target=lambda: [machine.reclaim_batch() for _ in range(20)])]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert results == {"tcs1": list(range(50)), "tcs2": list(range(50))}
    assert machine.warnings() == {}
