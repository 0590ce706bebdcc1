"""Recorder: samples a Machine's EPC use and counters after each step a caller takes,
for plots over time (plots.occupancy)."""

from .tables import Rows

# What a sample holds besides its step number and label.
SAMPLE_COLUMNS = ("used_pages", "free_pages", "total_pages", "low_watermark",
                  "high_watermark", "lru_pages", "evictions", "reloads", "aex",
                  "ksgxd_wakeups", "eaug", "eldu", "ewb", "warnings")


def sample(machine):
    """One sample of the machine now: EPC pages used and free, the watermarks, the LRU,
    cumulative evictions, reloads, AEXs, ksgxd wake-ups, EAUG/ELDU/EWB calls, WARNs."""
    s = machine.epc_stats()
    c = machine.counters()
    leaves = c["leaves"]
    return {"used_pages": s["total_pages"] - s["free_pages"], "free_pages": s["free_pages"],
            "total_pages": s["total_pages"], "low_watermark": s["low_watermark"],
            "high_watermark": s["high_watermark"], "lru_pages": s["lru_pages"],
            "evictions": s["evictions"], "reloads": s["reloads"], "aex": c["aex"],
            "ksgxd_wakeups": s["ksgxd_wakeups"], "eaug": leaves["EAUG"]["calls"],
            "eldu": leaves["ELDU"]["calls"], "ewb": leaves["EWB"]["calls"],
            "warnings": sum(machine.warnings().values())}


class Recorder:
    """Samples `machine` when asked: `rec.sample("label")` after a step, or
    `rec.step("label", fn, *args)` to run fn(*args) and sample. `rec.samples` is the
    rows (step, label and SAMPLE_COLUMNS), as a table in a notebook."""

    def __init__(self, machine, *, first="start"):
        self.machine = machine
        self.samples = Rows(title="samples", columns=("step", "label") + SAMPLE_COLUMNS)
        if first is not None:
            self.sample(first)

    def sample(self, label=""):
        row = {"step": len(self.samples), "label": label, **sample(self.machine)}
        self.samples.append(row)
        return row

    def step(self, label, fn, *args, **kwargs):
        result = fn(*args, **kwargs)
        self.sample(label)
        return result

    def _repr_html_(self):
        return self.samples._repr_html_()
