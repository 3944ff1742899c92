"""Append reviewed candidate rows to the curated observations, safely.

Only rows whose ``status`` is ``accepted`` are taken. Everything is checked
before a byte is written: the candidates file's own columns, duplicates of
existing rows (same metric, entity, period and source) and the whole data
package as it would be after the append (validated in a temporary copy). Then
the new rows are appended to the end of observations.csv in its own encoding
and line-ending style; existing rows are never rewritten or reordered.
"""

from __future__ import annotations

import csv
import io
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..core import paths
from ..core.vocab import QUALIFIERS
from ..dataset.load import read_table
from ..errors import ExtractError, Problem
from .catalogue import parse_date

KEY = ("metric_id", "entity_id", "period_start", "period_end", "source_id")
_REQUIRED = ("metric_id", "entity_id", "period_end", "period_label", "value", "unit",
             "source_id", "quote")
_NUMERIC = ("value", "yoy_pct", "yoy_diff", "vs_national_pp", "prior_value")
_STATUSES = ("accepted", "rejected", "pending", "")


@dataclass
class AppendResult:
    """What an append did."""

    observations: Path
    added: int
    skipped: int

    def summary(self) -> str:
        """One line for the user."""
        if not self.added:
            return f"nothing appended to {self.observations}: no row has status 'accepted'"
        return (f"appended {self.added} row(s) to {self.observations}; "
                f"{self.skipped} candidate(s) not accepted were left out")


def _read_csv(path: Path) -> tuple[list[str], list[dict[str, str]], str, bytes]:
    """Header, rows (with their spreadsheet row in ``__row``), encoding and bytes of a CSV,
    read as the curated tables are (BOM accepted, GB18030 decoded, ragged rows refused)."""
    table = read_table(path, path.stem)
    if table.problems:
        raise ExtractError("; ".join(str(p) for p in table.problems))
    frame = table.frame
    rows = [dict(zip(frame.columns, cells, strict=True)) | {"__row": str(row)}
            for row, cells in zip(frame.index, frame.itertuples(index=False), strict=True)]
    # appended rows are written in the file's own encoding; a BOM stays at the start only
    enc = "utf-8" if table.encoding.startswith("utf-8") else table.encoding
    return list(frame.columns), rows, enc, path.read_bytes()


def check_candidates(path: Path, header: list[str], rows: list[dict[str, str]],
                     obs_columns: list[str], data_dir: Path) -> list[Problem]:
    """Problems of the accepted rows of a candidates file, named by its own rows and columns."""
    where = str(path)
    problems = []
    missing = [c for c in [*obs_columns, "status"] if c not in header]
    if missing:
        return [Problem(where, 1, c, "no such column", "the header cqreport extract writes "
                        "(observation columns plus confidence, quote_start, quote_end, status)",
                        "candidate-columns") for c in missing]
    quals = list(QUALIFIERS)
    for r in rows:
        row = int(r["__row"])
        status = r["status"].lower()
        if status not in _STATUSES:
            problems.append(Problem(where, row, "status", repr(r["status"]),
                                    "accepted, rejected, pending or empty", "candidate-status"))
            continue
        if status != "accepted":
            continue
        for col in _REQUIRED:
            if not r[col]:
                problems.append(Problem(where, row, col, "an empty cell", "a value", "required"))
        if r["metric_id"] == "unknown":
            problems.append(Problem(where, row, "metric_id", "'unknown'",
                                    "a metric_id from metrics.csv (the extractor could not tell "
                                    "which metric this is)", "metric-unknown"))
        for col in _NUMERIC:
            if r.get(col):
                try:
                    float(r[col])
                except ValueError:
                    problems.append(Problem(where, row, col, repr(r[col]), "a number such as 6.54",
                                            "number"))
        for col in ("period_start", "period_end"):
            if r[col] and parse_date(r[col]) is None:
                problems.append(Problem(where, row, col, repr(r[col]),
                                        "an ISO date YYYY-MM-DD", "date"))
        if r["qualifier"] and r["qualifier"] not in quals:
            problems.append(Problem(where, row, "qualifier", repr(r["qualifier"]),
                                    f"empty or one of {', '.join(quals)}", "qualifier"))
    return problems


def _duplicates(path: Path, accepted: list[dict[str, str]], existing: list[dict[str, str]],
                obs_path: Path) -> list[Problem]:
    known = {tuple(e.get(k, "") for k in KEY): e["__row"] for e in existing}
    problems = []
    for r in accepted:
        key = tuple(r[k] for k in KEY)
        if key in known:
            problems.append(Problem(str(path), int(r["__row"]), "metric_id",
                                    f"the key {'/'.join(key)} of {obs_path.name} row {known[key]}",
                                    "a metric, entity, period and source not yet in the data",
                                    "duplicate"))
        else:
            known[key] = f"{r['__row']} of {path.name}"
    return problems


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


def append_candidates(candidates: str | Path, data_dir: str | Path | None = None,
                      sources_dir: str | Path | None = None) -> AppendResult:
    """Append the accepted rows of a candidates file to data/observations.csv.

    Raises:
        ExtractError: Listing every problem (file, row, column, found, expected); the
            curated data is then left exactly as it was.
    """
    cpath = Path(candidates)
    ddir = paths.data_dir(data_dir)
    obs_path = ddir / "observations.csv"
    if not obs_path.is_file():
        raise ExtractError(f"{obs_path}: no such file; expected the curated observations "
                           "(pass --data DIR)")
    obs_header, existing, obs_enc, obs_raw = _read_csv(obs_path)
    header, rows, _, _ = _read_csv(cpath)
    problems = check_candidates(cpath, header, rows, obs_header, ddir)
    accepted = [r for r in rows if r.get("status", "").lower() == "accepted"]
    if not problems:
        problems = _duplicates(cpath, accepted, existing, obs_path)
    if not problems and accepted:
        problems = _validate_after(cpath, ddir, sources_dir, obs_header, accepted, obs_enc,
                                   obs_raw)
    if problems:
        lines = [f"{len(problems)} problem(s) in {cpath}; nothing was appended to {obs_path}:"]
        lines += [f"  - {p}" for p in problems]
        raise ExtractError("\n".join(lines))
    if accepted:
        payload = _encode_rows(obs_header, accepted, _newline_of(obs_raw), obs_enc,
                               bool(obs_raw) and not obs_raw.endswith(b"\n"))
        with obs_path.open("ab") as fh:
            fh.write(payload)
    return AppendResult(obs_path, len(accepted), len(rows) - len(accepted))


def _validate_after(cpath: Path, ddir: Path, sources_dir: str | Path | None,
                    obs_header: list[str], accepted: list[dict[str, str]], enc: str,
                    raw: bytes) -> list[Problem]:
    """Validate the data as it would be after the append, in a temporary copy."""
    try:
        from ..dataset.validate import check_data
    except ImportError:  # validation module not available: the checks above must do
        return []
    before = check_data(ddir, sources_dir).problems
    with tempfile.TemporaryDirectory(prefix="cqreport-append-") as tmp:
        tdir = Path(tmp) / "data"
        shutil.copytree(ddir, tdir)
        payload = _encode_rows(obs_header, accepted, _newline_of(raw), enc,
                               bool(raw) and not raw.endswith(b"\n"))
        with (tdir / "observations.csv").open("ab") as fh:
            fh.write(payload)
        after = check_data(tdir, sources_dir).problems

    def sig(p: Problem) -> tuple:
        return (Path(p.file).name, p.row, p.column, p.found, p.expected, p.check)

    old = {sig(p) for p in before}
    n_existing = _count_rows(raw, enc)
    first_new = n_existing + 2  # spreadsheet row of the first appended row
    out = []
    for p in after:
        if sig(p) in old:
            continue
        if Path(p.file).name == "observations.csv" and p.row is not None and p.row >= first_new:
            src = accepted[p.row - first_new]["__row"] if p.row - first_new < len(accepted) else "?"
            out.append(Problem(str(cpath), int(src) if src != "?" else None, p.column,
                               p.found, p.expected, p.check))
        else:
            out.append(Problem(f"{p.file} (after the append)", p.row, p.column, p.found,
                               p.expected, p.check))
    return out


def _count_rows(raw: bytes, enc: str) -> int:
    text = raw.decode("utf-8-sig" if enc == "utf-8" else enc)
    return max(0, sum(1 for _ in csv.reader(io.StringIO(text, newline=""))) - 1)
