"""Append reviewed candidate rows to the curated observations, safely.

Only rows whose ``status`` is ``accepted`` are taken. Everything is checked
before a byte is written, and every problem is reported in one round: the
candidates file's own columns and cells (formula cells included), duplicates
of existing rows (same metric, entity, period and source) and the whole data
package as it would be after the append (validated in a temporary copy, with
its messages naming the user's files). Problems are numbered the way the
review numbers candidates: "candidate 4" is the fourth row under the header.

Accepted rows of the side files beside the candidates file are appended in the same
step: ``C.source.csv`` (the release's drafted registry row) to ``sources.csv``,
``C.entities.csv`` (proposed places) to ``entities.csv``, ``C.metrics.csv`` (proposed
series) to ``metrics.csv``. :func:`check_reviewed` runs every check without writing,
for the review page, so that the page and ``--append`` say the same thing.

How the write stays all-or-nothing:

* an exclusive lock (``filelock``) on the data folder is held from the first
  read to the last rename, so two appends cannot interleave;
* each file is written whole (its old bytes, unchanged, then the new rows) to a
  temporary file beside it, fsynced, and moved over the old one with
  ``os.replace``, which is atomic: a reader or a kill sees the old file or the
  new one, never a half-written row (the one writer, :mod:`cqreport.core.files`;
  a file that is a symbolic link is followed, and the file it names is replaced);
* ``sources.csv``, ``entities.csv`` and ``metrics.csv`` are replaced before
  ``observations.csv``, so a kill between two renames leaves at worst catalogue rows
  that nothing uses yet, never an observation whose reference is missing; running
  the same append again then finds those rows already there and completes.
"""

from __future__ import annotations

import csv
import errno
import io
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from filelock import FileLock, Timeout

from ..core import paths
from ..core.files import remove_stale_temps, stage, sync_folder
from ..core.vocab import QUALIFIERS
from ..dataset.load import display_path, read_table
from ..errors import ExtractError, Problem
from .catalogue import parse_date

KEY = ("metric_id", "entity_id", "period_start", "period_end", "source_id")
_REQUIRED = ("metric_id", "entity_id", "period_end", "period_label", "value", "unit",
             "source_id", "quote")
_NUMERIC = ("value", "yoy_pct", "yoy_diff", "vs_national_pp", "prior_value", "streak_months")
# "proposed" and "add_unit" are how the extractor writes a catalogue row nobody decided on yet
_STATUSES = ("accepted", "rejected", "pending", "", "proposed", "add_unit")
# A spreadsheet runs a cell that starts with one of these (=HYPERLINK(...), +cmd, -2+3, @SUM);
# tab and carriage return are on OWASP's list too, because some programs strip them first.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
LOCK_NAME = ".cqreport-append.lock"
LOCK_TIMEOUT_S = 60


class AppendError(ExtractError):
    """An append was refused; ``problems`` holds every problem found, in one round."""

    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(message)
        self.problems = list(problems or [])


@dataclass
class AppendResult:
    """What an append did."""

    observations: Path
    added: int
    skipped: int
    metrics_added: list[str] = field(default_factory=list)
    entities_added: list[str] = field(default_factory=list)
    sources_added: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line for the user."""
        if not self.added and not (self.metrics_added or self.entities_added or self.sources_added):
            return f"nothing appended to {display_path(self.observations)}: no row has status 'accepted'"
        out = (f"appended {self.added} row(s) to {display_path(self.observations)}; "
               f"{self.skipped} candidate(s) not accepted were left out")
        for what, ids in (("source(s) to sources.csv", self.sources_added),
                          ("entit(ies) to entities.csv", self.entities_added),
                          ("metric(s) to metrics.csv", self.metrics_added)):
            if ids:
                out += f"; added {len(ids)} {what}: {', '.join(ids)}"
        return out


@dataclass
class _Table:
    path: Path
    header: list[str]
    rows: list[dict[str, str]]
    encoding: str
    raw: bytes


@dataclass(frozen=True)
class Side:
    """A side file of catalogue rows beside a candidates file (C.metrics.csv for C.csv).

    Attributes:
        suffix: Its name after the candidates file's stem (``metrics``: C.metrics.csv).
        table: The curated table its accepted rows go to.
        key: That table's id column.
        kind: How messages name one of its rows ("proposed metric 2").
        numeric: Its columns that hold numbers (a -1 there is no formula).
    """

    suffix: str
    table: str
    key: str
    kind: str
    numeric: tuple[str, ...] = ()


#: The side files, in the order their rows are written: what observations refer to comes
#: first, so that a kill between two renames never leaves a row whose reference is missing.
SIDES = (Side("source", "sources", "source_id", "source row"),
         Side("entities", "entities", "entity_id", "proposed entity"),
         Side("metrics", "metrics", "metric_id", "proposed metric", ("priority",)))


def side_path_for(candidates: str | Path, side: str) -> Path:
    """Where a side file of a candidates file lives: C.metrics.csv, C.entities.csv, C.source.csv."""
    p = Path(candidates)
    return p.with_name(f"{p.stem}.{side}.csv")


def metrics_path_for(candidates: str | Path) -> Path:
    """Where ``cqreport extract --out C.csv`` puts its proposed catalogue rows: ``C.metrics.csv``."""
    return side_path_for(candidates, "metrics")


def _read_csv(path: Path) -> _Table:
    """A CSV read as the curated tables are (BOM accepted, GB18030 decoded, ragged rows refused);
    each row keeps its spreadsheet row in ``__row``."""
    table = read_table(path, path.stem)
    if table.problems:
        raise AppendError("; ".join(str(p) for p in table.problems))
    frame = table.frame
    rows = [dict(zip(frame.columns, cells, strict=True)) | {"__row": str(row)}
            for row, cells in zip(frame.index, frame.itertuples(index=False), strict=True)]
    # appended rows are written in the file's own encoding; a BOM stays at the start only
    enc = "utf-8" if table.encoding.startswith("utf-8") else table.encoding
    return _Table(path, list(frame.columns), rows, enc, path.read_bytes())


def _label(kind: str, row: int) -> str:
    """How the review page numbers a row: the n-th row under the header is "candidate n"."""
    return f"{kind} {row - 1}"


def _msg(file: str, kind: str | None, row: int | None, column: str | None, found: str,
         expected: str, check: str) -> str:
    where = file + (f", row {row}" if row is not None else "") + (f", column '{column}'" if column else "")
    lead = f"{_label(kind, row)}: " if kind and row is not None else ""
    return f"{lead}{where}: found {found}; expected {expected} [{check}]"


def is_formula(cell: str) -> bool:
    """True for a text cell a spreadsheet would run as a formula.

    >>> is_formula('=HYPERLINK("http://x","y")'), is_formula("6.54"), is_formula("-6.5")
    (True, False, True)
    """
    return bool(cell) and cell.startswith(_FORMULA_START)


class _Checker:
    """Collects the problems of one append, each once, keyed by file, row and column."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.order: list[tuple] = []
        self.seen: set[tuple] = set()

    def add(self, path: Path, kind: str, row: int | None, column: str | None, found: str,
            expected: str, check: str) -> None:
        key = (str(path), row, column)
        if key in self.seen and row is not None:
            return  # one message per cell: a later check of the same cell repeats the first
        self.seen.add(key)
        self.lines.append(_msg(display_path(path), kind, row, column, found, expected, check))
        self.order.append((str(path), row or 0, len(self.order)))

    def add_line(self, line: str) -> None:
        if line not in self.lines:
            self.lines.append(line)
            self.order.append(("~", 0, len(self.order)))

    def sorted_lines(self) -> list[str]:
        """Problems by file, then in candidate order, as the analyst goes through the review."""
        return [self.lines[i] for *_, i in sorted(self.order)]


def _check_text_cells(chk: _Checker, t: _Table, kind: str, numeric: tuple[str, ...]) -> None:
    for r in t.rows:
        if r.get("status", "").lower() != "accepted":
            continue
        for col in t.header:
            cell = r.get(col, "")
            if col in numeric and is_number(cell):
                continue  # -6.5 in a numeric column is a number, not a formula
            if is_formula(cell):
                chk.add(t.path, kind, int(r["__row"]), col, repr(cell),
                        "text that does not start with =, +, -, @, tab or carriage return "
                        "(a spreadsheet would run it as a formula)", "formula-cell")


def is_number(s: str) -> bool:
    """True for a cell that reads as a number (-6.5 is one, not a formula)."""
    try:
        float(s)
    except ValueError:
        return False
    return True


def _is_accepted(chk: _Checker, t: _Table, r: dict[str, str], what: str) -> bool:
    """True for a row marked accepted; an unknown status is a problem, reported on the row."""
    status = r["status"].lower()
    if status not in _STATUSES:
        chk.add(t.path, what, int(r["__row"]), "status", repr(r["status"]),
                "accepted, rejected, pending or empty (or proposed / add_unit, as extracted)",
                "candidate-status")
        return False
    return status == "accepted"


def _check_candidates(chk: _Checker, t: _Table, obs_columns: list[str]) -> bool:
    """Checks of the candidates' own cells. False when the header is unusable."""
    missing = [c for c in [*obs_columns, "status"] if c not in t.header]
    for c in missing:
        chk.add(t.path, "candidate", None, c, "no such column",
                "the header cqreport extract writes (observation columns plus confidence, "
                "quote_start, quote_end, status)", "candidate-columns")
    if missing:
        return False
    quals = list(QUALIFIERS)
    for r in t.rows:
        row = int(r["__row"])
        if not _is_accepted(chk, t, r, "candidate"):
            continue
        for col in _REQUIRED:
            if not r[col]:
                chk.add(t.path, "candidate", row, col, "an empty cell", "a value", "required")
        if r["metric_id"] == "unknown":
            chk.add(t.path, "candidate", row, "metric_id", "'unknown'",
                    "a metric_id from metrics.csv or from an accepted row of the proposed "
                    "metrics file (the extractor could not tell which metric this is)",
                    "metric-unknown")
        for col in _NUMERIC:
            if r.get(col) and not is_number(r[col]):
                chk.add(t.path, "candidate", row, col, repr(r[col]), "a number such as 6.54",
                        "number")
        for col in ("period_start", "period_end"):
            if r[col] and parse_date(r[col]) is None:
                chk.add(t.path, "candidate", row, col, repr(r[col]), "an ISO date YYYY-MM-DD",
                        "date")
        if r["qualifier"] and r["qualifier"] not in quals:
            chk.add(t.path, "candidate", row, "qualifier", repr(r["qualifier"]),
                    f"empty or one of {', '.join(quals)}", "qualifier")
    _check_text_cells(chk, t, "candidate", _NUMERIC)
    return True


def _check_duplicates(chk: _Checker, t: _Table, accepted: list[dict[str, str]],
                      existing: list[dict[str, str]], obs_path: Path) -> None:
    known = {tuple(e.get(k, "") for k in KEY): f"row {e['__row']} of {display_path(obs_path)}"
             for e in existing}
    for r in accepted:
        key = tuple(r[k] for k in KEY)
        row = int(r["__row"])
        if key in known:
            chk.add(t.path, "candidate", row, "metric_id",
                    f"metric, entity, period and source {'/'.join(key)}, already at {known[key]}",
                    "a metric, entity, period and source not yet in the data", "duplicate")
        else:
            known[key] = f"{_label('candidate', row)} (row {row}) of {display_path(t.path)}"


def _rows_to_add(chk: _Checker, side: Side, st: _Table | None, target: _Table) -> list[dict[str, str]]:
    """Accepted rows of a side file that are not in their curated table yet, checked."""
    if st is None:
        return []
    missing = [c for c in [*target.header, "status"] if c not in st.header]
    for c in missing:
        chk.add(st.path, side.kind, None, c, "no such column",
                f"the columns of {side.table}.csv plus status", f"{side.suffix}-columns")
    if missing:
        return []
    current = {r[side.key]: r for r in target.rows}
    out = []
    for r in st.rows:
        row = int(r["__row"])
        if not _is_accepted(chk, st, r, side.kind):
            continue
        have = current.get(r[side.key])
        if have is not None:
            if all(have.get(c, "") == r.get(c, "") for c in target.header):
                continue  # already added by an earlier append of this same file
            chk.add(st.path, side.kind, row, side.key, repr(r[side.key]),
                    f"an id not yet in {display_path(target.path)} (row {have['__row']} "
                    "defines it differently: rename the proposal or use that row)",
                    f"{side.suffix}-duplicate")
            continue
        current[r[side.key]] = r
        out.append(r)
    _check_text_cells(chk, _Table(st.path, st.header, out, st.encoding, b""), side.kind, side.numeric)
    return out


def append_candidates(candidates: str | Path, data_dir: str | Path | None = None,
                      sources_dir: str | Path | None = None) -> AppendResult:
    """Append the accepted rows of a candidates file to data/observations.csv.

    Accepted rows of the proposed-metrics file beside it (``C.metrics.csv``), if
    there is one, go to data/metrics.csv in the same all-or-nothing step.

    Raises:
        AppendError: Listing every problem (file, candidate, column, found, expected);
            the curated data is then left exactly as it was.
    """
    cpath = Path(candidates)
    ddir = paths.data_dir(data_dir)
    obs_path = ddir / "observations.csv"
    met_path = ddir / "metrics.csv"
    for p in (obs_path, met_path):
        if not p.is_file():
            raise AppendError(f"{display_path(p)}: no such file; expected the curated data "
                              "(pass --data DIR)")
    try:
        lock = FileLock(str(ddir / LOCK_NAME), timeout=LOCK_TIMEOUT_S)
        with lock:
            return _append_locked(cpath, ddir, sources_dir)
    except Timeout:
        raise AppendError(f"{display_path(ddir)}: another cqreport append has held the lock "
                          f"{LOCK_NAME} for {LOCK_TIMEOUT_S} s; nothing was appended (try again "
                          "when it has finished)") from None
    except OSError as exc:
        raise AppendError(f"{display_path(ddir)}: could not append ({_oserror(exc)}); "
                          "nothing was appended, the curated files are as they were") from None


def _oserror(exc: OSError) -> str:
    name = errno.errorcode.get(exc.errno or 0, "")
    where = f" on {exc.filename}" if exc.filename else ""
    return f"{exc.strerror or exc}{where}" + (f" [{name}]" if name else "")


@dataclass
class _Plan:
    """What an append would write, and every problem that stops it."""

    chk: _Checker
    cand: _Table
    obs: _Table
    accepted: list[dict[str, str]]
    sides: list[tuple[Side, _Table, list[dict[str, str]], _Table | None]]


def _plan(cand: _Table, side_tables: dict[str, _Table | None], ddir: Path, sources_dir) -> _Plan:
    """Every check of an append, nothing written: the one implementation behind ``--append``
    and the review page's live checks (:func:`check_reviewed`)."""
    obs = _read_csv(ddir / "observations.csv")
    chk = _Checker()
    usable = _check_candidates(chk, cand, obs.header)
    accepted = [r for r in cand.rows if r.get("status", "").lower() == "accepted"] if usable else []
    sides = []
    for side in SIDES:
        target = _read_csv(ddir / f"{side.table}.csv")
        st = side_tables.get(side.suffix)
        sides.append((side, target, _rows_to_add(chk, side, st, target), st))
    if usable:
        _check_duplicates(chk, cand, accepted, obs.rows, ddir / "observations.csv")
    if usable and (accepted or any(rows for _, _, rows, _ in sides)):
        _validate_after(chk, cand, ddir, sources_dir, obs, accepted, sides)
    return _Plan(chk, cand, obs, accepted, sides)


def check_reviewed(header: list[str], rows: list[dict[str, str]], side_rows: dict[str, tuple],
                   candidates: str | Path, data_dir: str | Path | None = None,
                   sources_dir: str | Path | None = None) -> list[str]:
    """The problems ``cqreport extract C --append`` would list for these rows, in its words,
    without reading or writing any file but the curated data (for the review page).

    Args:
        header, rows: The candidates as the page holds them (cells by column).
        side_rows: By side (``metrics``, ``entities``, ``source``): (header, rows).
        candidates: The file the rows will be saved as (C.reviewed.csv): messages name it.
    """
    cpath = Path(candidates)
    ddir = paths.data_dir(data_dir)

    def table(path: Path, head: list[str], body: list[dict[str, str]]) -> _Table:
        cells = [{c: str(r.get(c, "") or "") for c in head} | {"__row": str(i)}
                 for i, r in enumerate(body, start=2)]
        return _Table(path, list(head), cells, "utf-8", b"")

    sides = {name: table(side_path_for(cpath, name), h, b) for name, (h, b) in side_rows.items() if h}
    plan = _plan(table(cpath, header, rows), sides, ddir, sources_dir)
    return plan.chk.sorted_lines()


def _append_locked(cpath: Path, ddir: Path, sources_dir) -> AppendResult:
    _remove_stale_temps(ddir)
    side_tables = {s.suffix: (_read_csv(p) if (p := side_path_for(cpath, s.suffix)).is_file() else None)
                   for s in SIDES}
    plan = _plan(_read_csv(cpath), side_tables, ddir, sources_dir)
    obs_path = ddir / "observations.csv"
    if plan.chk.lines:
        head = (f"{len(plan.chk.lines)} problem(s) in {display_path(cpath)}; nothing was appended "
                f"to {display_path(obs_path)}:")
        lines = plan.chk.sorted_lines()
        raise AppendError("\n".join([head, *(f"  - {line}" for line in lines)]), lines)
    writes = [(target.path, target.raw, _payload(target, rows)) for _, target, rows, _ in plan.sides if rows]
    if plan.accepted:
        writes.append((obs_path, plan.obs.raw, _payload(plan.obs, plan.accepted)))
    _commit(writes)
    added = {side.suffix: [r[side.key] for r in rows] for side, _, rows, _ in plan.sides}
    return AppendResult(obs_path, len(plan.accepted), len(plan.cand.rows) - len(plan.accepted),
                        added["metrics"], added["entities"], added["source"])


def _payload(t: _Table, rows: list[dict[str, str]]) -> bytes:
    return _encode_rows(t.header, rows, _newline_of(t.raw), t.encoding,
                        bool(t.raw) and not t.raw.endswith(b"\n"))


def _remove_stale_temps(ddir: Path) -> None:
    """Temp files left by an append that was killed (beside the file a link points to)."""
    for name in ("observations.csv", *(f"{s.table}.csv" for s in SIDES)):
        remove_stale_temps(ddir / name)


def _commit(writes: list[tuple[Path, bytes, bytes]]) -> None:
    """Stage every new file beside its old one (the one writer, :mod:`cqreport.core.files`:
    a symbolic link is followed to the file it names), then rename each over the old one."""
    staged = []
    try:
        for path, raw, payload in writes:
            staged.append(stage(path, raw + payload))
        for path, raw, _ in writes:
            if path.read_bytes() != raw:  # edited by hand while we checked: don't overwrite that
                raise AppendError(f"{display_path(path)} changed while the append was being "
                                  "checked; nothing was appended (run it again)")
        for s in staged:
            s.commit()
        for folder in dict.fromkeys(s.target.parent for s in staged):
            sync_folder(folder)
    finally:
        for s in staged:
            s.discard()


def _encode_rows(header: list[str], rows: list[dict[str, str]], newline: str,
                 encoding: str, needs_leading_newline: bool) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator=newline)
    for r in rows:
        w.writerow([r.get(c, "") for c in header])
    text = (newline if needs_leading_newline else "") + buf.getvalue()
    return text.encode(encoding)


def _newline_of(raw: bytes) -> str:
    i = raw.find(b"\n")
    return "\r\n" if i > 0 and raw[i - 1:i] == b"\r" else "\n"


def _validate_after(chk: _Checker, cand: _Table, ddir: Path, sources_dir, obs: _Table,
                    accepted: list[dict[str, str]], sides: list) -> None:
    """Validate the data as it would be after the append, in a temporary copy, and report
    what is new, naming the candidate (or side-file row) and the user's own files."""
    from ..dataset.validate import check_data

    before = check_data(ddir, sources_dir).problems
    tables = [("observations.csv", obs, accepted, cand, "candidate")]
    tables += [(f"{side.table}.csv", target, rows, st, side.kind) for side, target, rows, st in sides]
    with tempfile.TemporaryDirectory(prefix="cqreport-append-") as tmp:
        tdir = Path(tmp) / "data"
        shutil.copytree(ddir, tdir, ignore=shutil.ignore_patterns(LOCK_NAME, ".*.tmp"))
        for name, t, rows, _, _ in tables:
            if rows:
                with (tdir / name).open("ab") as fh:
                    fh.write(_payload(t, rows))
        after = check_data(tdir, sources_dir).problems
        tprefixes = sorted({str(tdir), str(tdir.resolve()), display_path(tdir)}, key=len, reverse=True)

    user_dir = display_path(ddir)

    def user_text(f: str) -> str:
        """The message with the temporary copy's path replaced by the user's data folder."""
        for pre in tprefixes:
            f = f.replace(pre, user_dir)
        return f

    def sig(p: Problem) -> tuple:
        return (Path(p.file).name, p.row, p.column, p.found, p.expected, p.check)

    old = {sig(p) for p in before}
    firsts = {name: (len(t.rows) + 2, rows, src, kind) for name, t, rows, src, kind in tables}
    for p in after:
        if sig(p) in old:
            continue
        first = firsts.get(Path(p.file).name)
        if first and first[2] is not None and p.row is not None and first[0] <= p.row < first[0] + len(first[1]):
            src_row = int(first[1][p.row - first[0]]["__row"])
            chk.add(first[2].path, first[3], src_row, p.column, user_text(p.found),
                    user_text(p.expected), p.check)
        else:
            chk.add_line(_msg(user_text(p.file) + " (after the append)", None, p.row, p.column,
                              user_text(p.found), user_text(p.expected), p.check))
