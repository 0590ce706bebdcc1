"""sgxref: the Linux SGX driver on an emulated SGX machine (docs/bindings.md).

The C++ module (`sgxref._native`, pybind11) holds the machine, the driver and the
models; this package re-exports it under `sgxref` and adds what is easier written in
Python: inspection as tables (tables.py), a Recorder sampling EPC use over steps
(recorder.py), matplotlib plots (plots.py, imported on first use) and `_repr_html_` for
notebooks (html.py). Driver errors raise OSError with the errno; enclave faults raise
EnclaveFault.
"""

from . import _native
from ._native import *  # noqa: F401,F403 (the API is the native module's)


def _present_as_sgxref():
    # Classes and exceptions say `sgxref.Machine`, not where pybind11 defined them.
    for name in dir(_native):
        value = getattr(_native, name)
        if isinstance(value, type) and value.__module__ == _native.__name__:
            value.__module__ = __name__


_present_as_sgxref()
del _present_as_sgxref


from . import html as _html
from .recorder import Recorder, sample
from .tables import (Rows, cgroup_rows, counter_rows, cpu_rows, epcm_frame, epcm_rows,
                     page_rows, page_state, stats_rows, tlb_rows, to_frame)

_html.attach(_native)


def __getattr__(name):
    # sgxref.plots imports matplotlib, which `import sgxref` does not need.
    if name == "plots":
        import importlib
        return importlib.import_module(".plots", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
