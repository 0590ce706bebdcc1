"""HTML for notebooks: a table from rows, and `_repr_html_` for Machine, Enclave,
EnclaveThread and CheckResult, rendered from live data each time the object is shown."""

from html import escape

# Columns holding addresses, shown in hex.
HEX_COLUMNS = {"address", "page", "offset", "base", "size", "tcs", "exception_addr"}
# Rows a table shows at most: an EPC of thousands of pages stays readable (and light).
MAX_ROWS = 200


def cell(column, value):
    """One value as table text: hex for addresses, a tick for True, blank for False,
    a dash for None."""
    if value is None:
        return "&mdash;"
    if value is True:
        return "&#10003;"
    if value is False:
        return ""
    if isinstance(value, int) and column in HEX_COLUMNS:
        return hex(value)
    if isinstance(value, (list, tuple)):
        return escape(", ".join(str(v) for v in value))
    return escape(str(value))


def table(rows, *, columns=None, title=None, max_rows=MAX_ROWS):
    """rows (a list of dicts) as an HTML table of the first max_rows rows; the columns
    are the first row's keys unless given."""
    rows = list(rows)
    if columns is None:
        columns = list(rows[0]) if rows else []
    body = [[cell(c, r.get(c)) for c in columns] for r in rows[:max_rows]]
    return grid([escape(c) for c in columns], body, title=title, total=len(rows))


def grid(header, body, *, title=None, total=None):
    """An HTML table from header cells and rows of cells, all HTML already; the caption
    says how many rows there are (`total`) and how many are shown."""
    total = len(body) if total is None else total
    out = ['<table class="sgxref">']
    if title is not None or total > len(body):
        shown = f", the first {len(body)} shown" if total > len(body) else ""
        out.append(f"<caption>{escape(title or '')} ({total} rows{shown})</caption>")
    out.append("<thead><tr>" + "".join(f"<th>{h}</th>" for h in header) + "</tr></thead>")
    out.append("<tbody>" + "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>"
                                   for r in body) + "</tbody></table>")
    return "".join(out)


def fields(title, values):
    """A dict as a two-column name/value table."""
    return grid(["name", "value"], [[escape(k), cell(k, v)] for k, v in values.items()],
                title=title)


def machine_html(machine):
    """The configuration, EPC use, accounting groups, leaf counters and the valid EPCM
    entries."""
    from . import tables
    config = {"epc_pages": machine.epc_pages, "sgx2": machine.sgx2, "seed": machine.seed,
              "options": ", ".join(f"{k}={v}" for k, v in machine.options.items()) or None}
    return (f"<div><b>sgxref.Machine</b>{fields('configuration', config)}"
            f"{tables.stats_rows(machine)._repr_html_()}"
            f"{tables.cgroup_rows(machine)._repr_html_()}"
            f"{tables.counter_rows(machine)._repr_html_()}"
            f"{tables.epcm_rows(machine)._repr_html_()}</div>")


def enclave_html(enclave):
    """The SECS (identity, tracking) and the driver's pages; a closed enclave says so."""
    head = f"<b>sgxref.Enclave</b> fd {enclave.fd}, base {hex(enclave.base)}, size {hex(enclave.size)}"
    try:
        secs = enclave.secs()
        pages = enclave.pages()
    except ValueError as e:
        return f"<div>{head}: {escape(str(e))}</div>"
    if secs.get("tracking"):
        secs = dict(secs, **{"tracking." + k: v for k, v in secs.pop("tracking").items()})
    from . import tables
    return (f"<div>{head}{fields('SECS', secs)}"
            f"{tables.Rows(pages, title='pages (driver)')._repr_html_()}</div>")


def thread_html(thread):
    """The thread's TCS and what its last call did."""
    return (f"<div><b>sgxref.EnclaveThread</b> on TCS {hex(thread.tcs)}"
            f"{fields('last call', thread.last or {})}</div>")


def check_html(result):
    """The checker's row and, for a counterexample, its timeline as the CLI prints it."""
    row = {"flow": result.flow, "variant": result.variant, "threads": ", ".join(result.threads),
           "pages": result.pages, "depth": result.depth, "verdict": result.verdict_text,
           "property": result.property, "seconds": round(result.seconds, 1)}
    timeline = ""
    if result.counterexample is not None:
        timeline = f"<pre>{escape(result.timeline())}</pre>"
    return f"<div><b>sgxref.CheckResult</b>{fields('check', row)}{timeline}</div>"


def attach(namespace):
    """Gives the native classes in `namespace` (the sgxref package) their _repr_html_."""
    namespace.Machine._repr_html_ = machine_html
    namespace.Enclave._repr_html_ = enclave_html
    namespace.EnclaveThread._repr_html_ = thread_html
    namespace.CheckResult._repr_html_ = check_html
