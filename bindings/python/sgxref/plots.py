"""matplotlib plots of live data. Each function builds a matplotlib.figure.Figure of its
own (no pyplot state, so any backend, Agg included, and any thread) and returns it; a
notebook shows it as a cell's value once `%matplotlib inline` has run."""

from .tables import PAGE_STATES, page_rows


def figure(*, rows=1, height=3.0, width=8.0):
    """A Figure with `rows` stacked axes sharing x; returns (figure, axes list)."""
    from matplotlib.figure import Figure
    fig = Figure(figsize=(width, height * rows), layout="constrained")
    axes = fig.subplots(rows, 1, sharex=True, squeeze=False)[:, 0]
    return fig, list(axes)


def occupancy(samples, *, title="EPC occupancy"):
    """EPC pages used against the EPC's size and watermarks (top), cumulative evictions
    and reloads (bottom), over a Recorder's samples (or any rows with those keys)."""
    samples = list(samples)
    if not samples:
        raise ValueError("occupancy: no samples (call Recorder.sample after each step)")
    steps = [s.get("step", i) for i, s in enumerate(samples)]
    fig, (top, bottom) = figure(rows=2)
    top.step(steps, [s["used_pages"] for s in samples], where="post", marker=".", label="used")
    top.plot(steps, [s["total_pages"] for s in samples], "k--", label="EPC size")
    top.plot(steps, [s["total_pages"] - s["high_watermark"] for s in samples], ":",
             label="EPC - high watermark")
    top.set_ylabel("EPC pages")
    top.set_title(title)
    top.legend(loc="lower right", fontsize="small")
    for key in ("evictions", "reloads"):
        bottom.step(steps, [s[key] for s in samples], where="post", marker=".", label=key)
    bottom.set_ylabel("pages (cumulative)")
    bottom.set_xlabel("step")
    bottom.legend(loc="upper left", fontsize="small")
    labels = [s.get("label", "") for s in samples]
    if any(labels) and len(samples) <= 24:
        bottom.set_xticks(steps, labels, rotation=45, ha="right", fontsize="small")
    return fig


def page_state_map(machine, enclave, *, title=None):
    """Pages (columns, by offset and type) against states (rows: evicted, blocked,
    pending, modified, pr and the EPCM's r/w/x): a filled cell is a state the page is
    in now, from the driver's pages joined with the EPCM (tables.page_rows)."""
    rows = page_rows(machine, enclave)
    grid = [[1.0 if _has(r, state) else 0.0 for r in rows] for state in PAGE_STATES]
    fig, (ax,) = figure(height=3.0, width=max(6.0, 0.4 * len(rows) + 2))
    ax.imshow(grid, aspect="auto", cmap="Blues", vmin=0, vmax=1.25, interpolation="none")
    ax.set_yticks(range(len(PAGE_STATES)), PAGE_STATES)
    ax.set_xticks(range(len(rows)), [f"{r['offset']:#x} {r['type']}" for r in rows],
                  rotation=90, fontsize="small")
    ax.set_xticks([i - 0.5 for i in range(len(rows) + 1)], minor=True)
    ax.set_yticks([i - 0.5 for i in range(len(PAGE_STATES) + 1)], minor=True)
    ax.grid(which="minor", color="white", linewidth=1)
    ax.tick_params(which="minor", length=0)
    ax.set_title(title or f"page states of the enclave at {enclave.base:#x}")
    return fig


def _has(row, state):
    return not row["resident"] if state == "evicted" else bool(row[state])


def sequence_chart(steps, *, title="counterexample", show_state=True):
    """A schedule as a per-thread sequence chart: one lane per thread, one mark per step
    labelled with its scheduling point, in step order. `steps` are dicts with
    thread_name (or thread) and point, optionally step and state (text shown under the
    chart when show_state): the checker's counterexample steps have exactly these keys."""
    steps = list(steps)
    if not steps:
        raise ValueError("sequence_chart: no steps")
    names = []
    for s in steps:
        name = _thread_name(s)
        if name not in names:
            names.append(name)
    xs = [s.get("step", i) for i, s in enumerate(steps)]
    lanes = [names.index(_thread_name(s)) for s in steps]
    states = [(x, s["state"]) for x, s in zip(xs, steps) if show_state and s.get("state")]
    from matplotlib.figure import Figure
    lanes_height = 1.2 + 0.7 * len(names)
    text_height = 0.2 + 0.16 * sum(str(st).count("\n") + 1 for _, st in states)
    fig = Figure(figsize=(max(6.0, 0.55 * len(steps) + 2),
                          lanes_height + (text_height if states else 0)), layout="constrained")
    if states:
        ax, text = fig.subplots(2, 1, height_ratios=[lanes_height, text_height])
        text.axis("off")
        text.text(0, 1, "\n".join(f"{x:>3}: {st}" for x, st in states), va="top",
                  fontsize="x-small", family="monospace", transform=text.transAxes)
    else:
        ax = fig.subplots()
    ax.plot(xs, lanes, color="0.8", zorder=1)
    ax.scatter(xs, lanes, c=lanes, cmap="tab10", vmin=0, vmax=9, zorder=2)
    for x, lane, s in zip(xs, lanes, steps):
        ax.annotate(str(s.get("point", "")), (x, lane), xytext=(0, 8),
                    textcoords="offset points", rotation=40, fontsize="x-small")
    ax.set_yticks(range(len(names)), names)
    ax.set_ylim(len(names) - 0.4, -0.8)  # the first thread on top, room for the labels
    ax.set_xticks(xs)
    ax.set_xlabel("step")
    ax.set_title(title)
    return fig


def _thread_name(step):
    return str(step.get("thread_name", step.get("thread", "?")))


def series(rows, x, ys, *, title=None, xlabel=None, ylabel=None, kind="line"):
    """Columns `ys` of rows (dicts) against column `x`, as lines (kind="line") or
    grouped bars (kind="bar"): a sweep's results, such as evictions against EPC size."""
    rows = list(rows)
    if not rows:
        raise ValueError("series: no rows")
    fig, (ax,) = figure()
    xs = [r[x] for r in rows]
    for i, y in enumerate(ys):
        values = [r[y] for r in rows]
        if kind == "bar":
            width = 0.8 / len(ys)
            ax.bar([j + (i - (len(ys) - 1) / 2) * width for j in range(len(xs))], values,
                   width=width, label=y)
        else:
            ax.plot(xs, values, marker="o", label=y)
    if kind == "bar":
        ax.set_xticks(range(len(xs)), [str(v) for v in xs])
    ax.set_xlabel(xlabel or x)
    if ylabel:
        ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.legend(fontsize="small")
    return fig
