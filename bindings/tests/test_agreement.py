"""Python and C++ agree: a sequence driven through the bindings gives the results the
same sequence gives when a kernel selftest mirror (props/scenarios) runs it in C++ on a
machine of the same size and seed, and an enclave built ioctl by ioctl from Python is
the one the C++ loader builds."""
import sgxref
from conftest import MAGIC, MAGIC2, PAGE, PAGE2, REG, SEED, TCS2
from test_enclave import build

RUN_FIELDS = ("function", "exception_vector", "exception_error_code", "exception_addr")


def enclave_call(thread, op):
    """Runs `op` on `thread`; returns the vDSO's run fields as the mirror records them
    (an EnclaveFault is an outcome here, not an error) and what `op` returned."""
    value = None
    try:
        value = op()
    except sgxref.EnclaveFault:
        pass
    return {k: thread.last[k] for k in RUN_FIELDS}, value


def sgx2_ioctl(call):
    """An SGX2 ioctl as user space sees it: ret (0 or -1), errno, count."""
    try:
        return 0, 0, call().count
    except OSError as e:
        return -1, e.errno, e.count


def test_epcm_permissions_from_python_gives_the_c_plus_plus_mirrors_results():
    """The epcm_permissions selftest driven from Python, step for step as the C++
    mirror runs it: every ioctl's ret/errno/count, every enclave call's run.function
    and exception fields, and the values read back are the mirror's."""
    cxx = sgxref.run_scenario("epcm_permissions", seed=SEED)
    assert cxx["passed"], cxx["failures"]

    m = sgxref.Machine(epc_pages=cxx["epc_pages"], seed=SEED)
    e = m.load_test_enclave(heap_pages=cxx["heap_pages"])
    assert (e.base, e.size) == (cxx["base"], cxx["size"])
    t1, t2 = e.thread(), e.thread(tcs=e.base + TCS2)
    page2 = e.base + PAGE2
    ioctls, calls = [], []
    ioctls.append(sgx2_ioctl(lambda: e.restrict_permissions(0, 0, 0)))
    calls.append(enclave_call(t1, lambda: t1.write(page2, MAGIC)))
    calls.append(enclave_call(t1, lambda: t1.read(page2)))
    ioctls.append(sgx2_ioctl(lambda: e.restrict_permissions(PAGE2, PAGE, sgxref.SECINFO_R)))
    calls.append(enclave_call(
        t1, lambda: t1.eaccept(page2, sgxref.SECINFO_R | REG | sgxref.SECINFO_PR)))
    calls.append(enclave_call(t1, lambda: t1.write(page2, MAGIC2)))
    calls.append(enclave_call(t2, lambda: t2.emodpe(page2, sgxref.SECINFO_R | sgxref.SECINFO_W)))
    calls.append(enclave_call(t1, t1.resume))
    calls.append(enclave_call(t1, lambda: t1.read(page2)))

    assert ioctls == [(c["ret"], c["errno"], c["count"]) for c in cxx["ioctls"]]
    assert [run for run, _ in calls] == [{k: c[k] for k in RUN_FIELDS} for c in cxx["calls"]]
    assert calls[3][0]["exception_error_code"] == 0x8007  # the write the EPCM refuses
    assert (calls[1][1], calls[6][1]) == (cxx["calls"][1]["value"], cxx["calls"][6]["value"])
    assert calls[2][1] == cxx["calls"][2]["eaccept_ret"] == 0
    assert m.warnings() == cxx["warnings"] == {}


def test_oversubscription_from_python_pages_as_the_c_plus_plus_mirror_does():
    """unclobbered_vdso_oversubscribed: the same heap on the same EPC and seed gives the
    same evictions and reloads, call by call (the ksgxd step before each entry included)."""
    cxx = sgxref.run_scenario("unclobbered_vdso_oversubscribed", seed=SEED)
    assert cxx["passed"], cxx["failures"]
    m = sgxref.Machine(epc_pages=cxx["epc_pages"], seed=SEED)
    e = m.load_test_enclave(heap_pages=cxx["heap_pages"])
    t = e.thread()
    t.put_to_buffer(MAGIC)
    put = t.last
    value = t.get_from_buffer()
    get = t.last
    assert [(c["evictions"], c["reloads"]) for c in cxx["calls"]] == \
        [(put["evictions"], put["reloads"]), (get["evictions"], get["reloads"])]
    assert value == cxx["calls"][1]["value"] == MAGIC
    assert put["evictions"] > 0 and put["reloads"] > 0


def test_an_enclave_built_ioctl_by_ioctl_is_the_loaders():
    """The same image built from Python one ioctl at a time and by the C++ loader, on
    machines of the same seed: the same MRENCLAVE and MRSIGNER, and the same EPCM
    (types, rights, addresses relative to ELRANGE, slots)."""
    by_python, by_loader = (sgxref.Machine(epc_pages=64, seed=SEED) for _ in range(2))
    e1 = build(by_python)
    e2 = by_loader.load_test_enclave(heap_pages=1)
    s1, s2 = e1.secs(), e2.secs()
    assert (s1["mrenclave"], s1["mrsigner"]) == (s2["mrenclave"], s2["mrsigner"])

    def table(machine, base):
        return [(x["slot"], x["type"], x["r"], x["w"], x["x"], x["pending"],
                 x["address"] - base if x["type"] not in ("SECS", "VA") else None)
                for x in machine.epcm() if x["valid"]]

    assert table(by_python, e1.base) == table(by_loader, e2.base)
