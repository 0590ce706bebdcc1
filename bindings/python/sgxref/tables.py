"""Inspection results as tables: rows (a list of dicts) that a notebook shows as HTML and
pandas takes as a DataFrame. Every function reads live data from a Machine or an
Enclave; nothing is cached."""

from . import html

# The EPCM columns in the order a reader scans them: where, what, rights, state.
EPCM_COLUMNS = ("slot", "type", "address", "secs", "r", "w", "x", "pending", "modified",
                "pr", "blocked", "stamp")
# A page's state in the page-state map, from the EPCM flags and the driver's record.
PAGE_STATES = ("evicted", "blocked", "pending", "modified", "pr", "r", "w", "x")


class Rows(list):
    """A list of dicts (one per row) that renders as an HTML table in a notebook and
    becomes a pandas DataFrame through `frame()`."""

    def __init__(self, rows=(), *, title=None, columns=None):
        super().__init__(rows)
        self.title = title
        self.columns = tuple(columns) if columns else None

    def frame(self):
        """The rows as a pandas DataFrame (columns in the table's order)."""
        return to_frame(self, columns=self.columns)

    def _repr_html_(self):
        return html.table(self, columns=self.columns, title=self.title)


def to_frame(rows, *, columns=None):
    """rows (a list of dicts) as a pandas DataFrame; ImportError saying what to install
    when pandas is missing (the rows themselves need no pandas)."""
    try:
        import pandas
    except ImportError as e:
        raise ImportError("sgxref: a DataFrame needs pandas (Debian: apt-get install "
                          "python3-pandas); the same data is there as rows without it, "
                          "e.g. sgxref.epcm_rows(machine)") from e
    return pandas.DataFrame(list(rows), columns=list(columns) if columns else None)


def epcm_rows(machine, *, valid_only=True):
    """The EPCM, one row per slot (only the valid ones unless valid_only=False)."""
    rows = [{k: x[k] for k in EPCM_COLUMNS} for x in machine.epcm()
            if x["valid"] or not valid_only]
    return Rows(rows, title="EPCM", columns=EPCM_COLUMNS)


def epcm_frame(machine, *, valid_only=True):
    """epcm_rows as a pandas DataFrame (ImportError naming the package without pandas)."""
    return epcm_rows(machine, valid_only=valid_only).frame()


def tlb_rows(machine):
    """Every CPU's TLB entries for EPC pages: cpu, linear page, EPC slot, rights; with
    the CPU's enclave context (mode, SECS slot, TCS) on each row."""
    rows = []
    for c in machine.cpus():
        for t in c["tlb"]:
            rows.append({"cpu": c["cpu"], "enclave_mode": c["enclave_mode"],
                         "secs": c["secs"], "page": t["page"], "slot": t["slot"],
                         "r": t["r"], "w": t["w"], "x": t["x"]})
    return Rows(rows, title="TLBs (EPC entries)",
                columns=("cpu", "enclave_mode", "secs", "page", "slot", "r", "w", "x"))


def cpu_rows(machine):
    """Each logical CPU's enclave context and how many EPC entries its TLB holds."""
    rows = [{"cpu": c["cpu"], "enclave_mode": c["enclave_mode"], "secs": c["secs"],
             "tcs": c["tcs"], "entry_epoch": c["entry_epoch"], "tlb_entries": len(c["tlb"])}
            for c in machine.cpus()]
    return Rows(rows, title="CPUs")


def page_rows(machine, enclave):
    """The enclave's pages as the driver records them, joined with their EPCM entries:
    offset, type, resident/slot, the mapping's max_prot, the EPCM's rights and flags,
    and `state`, the page's state in one word (see page_state)."""
    epcm = machine.epcm()
    rows = []
    for p in enclave.pages():
        x = epcm[p["slot"]] if p["resident"] else None
        row = {"offset": p["offset"], "address": p["address"], "type": p["type"],
               "resident": p["resident"], "slot": p["slot"], "max_prot": p["max_prot"]}
        for flag in ("r", "w", "x", "pending", "modified", "pr", "blocked"):
            row[flag] = x[flag] if x else None
        row["state"] = page_state(row)
        rows.append(row)
    return Rows(rows, title="Enclave pages",
                columns=("offset", "type", "state", "resident", "slot", "max_prot", "r", "w",
                         "x", "pending", "modified", "pr", "blocked"))


def page_state(row):
    """One word for a page row (page_rows): evicted, blocked, pending (EAUG'd, not yet
    accepted), modified (EMODT'd), pr (EMODPR'd), else its rights such as "rw"."""
    if not row["resident"]:
        return "evicted"
    for flag in ("blocked", "pending", "modified", "pr"):
        if row[flag]:
            return flag
    return "".join(f for f in "rwx" if row[f]) or "none"


def counter_rows(machine, *, all_leaves=False):
    """The leaves' counters, one row per leaf called (every leaf with all_leaves): calls,
    faults, and SGX codes other than success."""
    rows = [{"leaf": name, **c} for name, c in machine.counters()["leaves"].items()
            if c["calls"] or all_leaves]
    return Rows(rows, title="leaves", columns=("leaf", "calls", "faults", "codes"))


def cgroup_rows(machine):
    """The EPC accounting groups (misc.max/current/peak/events, LRU pages)."""
    return Rows(machine.cgroups(), title="EPC cgroups")


def stats_rows(machine):
    """epc_stats() as name/value rows."""
    return Rows([{"name": k, "value": v} for k, v in machine.epc_stats().items()],
                title="EPC")
