"""The layer's plots, drawn from live data on the Agg backend: each returns a Figure with
something drawn in it."""
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

import sgxref  # noqa: E402
from conftest import HEAP, PAGE, PAGE2, SEED  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402


def drawn(fig):
    """The figure renders, and its axes hold lines, collections or images."""
    assert isinstance(fig, Figure)
    fig.canvas.draw()
    return any(ax.lines or ax.collections or ax.images or ax.patches for ax in fig.axes)


def test_occupancy_plots_a_recorders_samples():
    m = sgxref.Machine(epc_pages=32, seed=SEED)
    rec = sgxref.Recorder(m)
    e = rec.step("load", m.load_test_enclave, heap_pages=40)
    t = e.thread()
    for i in range(40):
        rec.step(f"w{i}", t.write, e.base + HEAP + i * PAGE, i)
    assert rec.samples[-1]["evictions"] > 0
    fig = sgxref.plots.occupancy(rec.samples)
    assert drawn(fig) and len(fig.axes) == 2
    [used] = [ln for ln in fig.axes[0].lines if ln.get_label() == "used"]
    assert list(used.get_ydata()) == [s["used_pages"] for s in rec.samples]


def test_occupancy_without_samples_is_a_value_error():
    with pytest.raises(ValueError, match="no samples"):
        sgxref.plots.occupancy([])


def test_page_state_map_has_a_column_per_page(machine, encl):
    encl.restrict_permissions(PAGE2, PAGE, sgxref.SECINFO_R)
    fig = sgxref.plots.page_state_map(machine, encl)
    assert drawn(fig)
    [image] = fig.axes[0].images
    grid = image.get_array()
    assert grid.shape == (len(sgxref.tables.PAGE_STATES), len(encl.pages()))
    assert grid.sum() > 0


def test_sequence_chart_takes_the_checkers_step_dicts():
    steps = [{"step": i, "thread": i % 2, "thread_name": ["ioctl", "ksgxd"][i % 2],
              "point": f"p{i}", "state": "epoch=1" if i == 2 else ""} for i in range(5)]
    fig = sgxref.plots.sequence_chart(steps)
    assert drawn(fig)
    lanes, text = fig.axes
    assert [t.get_text() for t in lanes.get_yticklabels()] == ["ioctl", "ksgxd"]
    assert {t.get_text() for t in lanes.texts} >= {f"p{i}" for i in range(5)}
    assert [t.get_text() for t in text.texts] == ["  2: epoch=1"]


def test_sequence_chart_takes_minimal_steps():
    fig = sgxref.plots.sequence_chart([{"thread_name": "a", "point": "x"},
                                        {"thread_name": "b", "point": "y"}])
    assert drawn(fig) and len(fig.axes) == 1


def test_series_plots_a_sweep():
    rows = [{"epc": n, "evictions": 2 * n, "reloads": n} for n in (32, 64, 128)]
    for kind in ("line", "bar"):
        assert drawn(sgxref.plots.series(rows, "epc", ["evictions", "reloads"], kind=kind))
