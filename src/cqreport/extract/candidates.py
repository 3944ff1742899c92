"""Write candidate rows for review: a CSV file and a table on standard output."""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from ..core import paths
from ..core.files import atomic_write_text
from .append import is_formula, is_number, side_path_for
from .catalogue import Catalogue
from .entities import ENTITY_COLUMNS
from .history import History, inherit
from .outputs import check_outputs
from .reading import read_release
from .rows import (
    EXTRA_COLUMNS,
    Candidate,
    build_candidates,
    observation_columns,
    resolve_release_date,
    stripped_numbers,
)
from .sourcerow import draft_source

METRIC_COLUMNS = ["metric_id", "name_zh", "name_en", "topic", "kind", "period_type", "units",
                  "base_unit", "definition", "share_of", "priority"]


def metrics_path(out: str | Path) -> Path:
    """Where the proposed catalogue rows go: ``C.metrics.csv`` beside ``C.csv``."""
    p = Path(out)
    return p.with_name(p.stem + ".metrics.csv")


def _write(path: Path, text: str) -> None:
    """Write atomically (with a BOM, for spreadsheets): a half-written candidates file must
    never be left behind."""
    atomic_write_text(path, text, encoding="utf-8-sig")


@dataclass
class Extraction:
    """The result of extracting one release."""

    path: Path
    lang: str
    encoding: str
    release_date: date | None
    date_from: str
    source_id: str
    columns: list[str]
    candidates: list[Candidate]
    metric_columns: list[str] = field(default_factory=lambda: list(METRIC_COLUMNS))
    warnings: list[str] = field(default_factory=list)
    source_draft: dict[str, str] | None = None

    def rows(self) -> list[dict[str, str]]:
        """Candidate rows with the review columns (status left for the analyst).

        No cell starts like a spreadsheet formula (=, +, -, @): a quote that would is cut
        to start at its first other character (still verbatim, its offset moved), any
        other text cell loses the leading characters; numbers such as -6.5 stay.
        """
        out = []
        for c in self.candidates:
            row = dict(c.row)
            row.update({"confidence": f"{c.confidence:.2f}", "suggestions": c.suggestions,
                        # the label's reason, then what the data's history adds (history.inherit)
                        "reason": "; ".join(filter(None, [c.reason, c.row.get("reason", "")])),
                        "quote_start": str(c.quote_start),
                        "quote_end": str(c.quote_end), "status": c.status})
            out.append(_defused(row))
        return out

    def to_csv(self) -> str:
        """The candidates as CSV text (observation columns, then the review columns)."""
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=self.columns + EXTRA_COLUMNS, lineterminator="\n")
        w.writeheader()
        w.writerows(self.rows())
        return buf.getvalue()

    def proposed_metrics(self) -> list[dict[str, str]]:
        """Catalogue rows the candidates need: new metrics (status ``proposed``) and
        existing metrics with a unit added (status ``add_unit``), one per id."""
        out: dict[str, dict[str, str]] = {}
        for c in self.candidates:
            if c.label is not None and c.label.proposal is not None:
                row = c.label.proposal
                have = out.get(row["metric_id"])
                if have is None:
                    out[row["metric_id"]] = dict(row)
                elif have["status"] == "add_unit":  # several new units for one metric
                    units = have["units"].split("|")
                    units += [u for u in row["units"].split("|") if u not in units]
                    have["units"] = "|".join(units)
        return list(out.values())

    def proposed_entities(self) -> list[dict[str, str]]:
        """New entities.csv rows the candidates name (places not in the catalogue), one per id."""
        out: dict[str, dict[str, str]] = {}
        for c in self.candidates:
            row = c.label.entity_proposal if c.label is not None else None
            if row is not None:
                out.setdefault(row["entity_id"], dict(row))
        return list(out.values())

    def side_csv(self, rows: list[dict[str, str]], columns: list[str]) -> str:
        """Side-file rows as CSV: the curated table's columns, then status and reason."""
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=[*columns, "status", "reason"], lineterminator="\n",
                           extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
        return buf.getvalue()

    def metrics_csv(self) -> str:
        """The proposed catalogue rows as CSV: the columns of metrics.csv, then status and reason."""
        return self.side_csv(self.proposed_metrics(), self.metric_columns)

    def review_table(self, width: int = 46) -> str:
        """A readable table: one line per candidate, the quote cut to fit."""
        head = ["#", "value", "unit", "qual", "yoy", "period", "metric", "entity", "conf", "quote"]
        lines = []
        for i, c in enumerate(self.candidates, start=1):
            r = c.row
            yoy = (r["yoy_pct"] and f"{r['yoy_pct']}%") or (r["yoy_diff"] and f"Δ{r['yoy_diff']}") or ""
            if r.get("yoy_wording"):
                yoy += f" ({r['yoy_wording']})"
            period = f"{r['period_start'] or '…'}→{r['period_end'] or '?'}"
            lines.append([str(i), r["value"], r["unit"], r["qualifier"], yoy, period,
                          r["metric_id"], r["entity_id"], f"{c.confidence:.2f}",
                          _cut(r["quote"], width)])
        widths = [max(_w(x) for x in col) for col in zip(head, *lines, strict=False)]
        out = [_row(head, widths), _row(["-" * w for w in widths], widths)]
        out += [_row(line, widths) for line in lines]
        where = f"{self.path.name}: {len(self.candidates)} candidate(s), language {self.lang}, " \
                f"encoding {self.encoding}, release date {self.release_date or 'unknown'} " \
                f"({self.date_from}), source {self.source_id or '(none: set --source-id)'}"
        warn = "".join(f"\nwarning: {w}" for w in self.warnings)
        return where + warn + "\n" + "\n".join(out)


def _w(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def _cut(s: str, width: int) -> str:
    out, n = "", 0
    for ch in s:
        n += _w(ch)
        if n > width - 1:
            return out + "…"
        out += ch
    return out


def _row(cells: list[str], widths: list[int]) -> str:
    return "  ".join(c + " " * (w - _w(c)) for c, w in zip(cells, widths, strict=True)).rstrip()


def extract_file(path: str | Path, source_id: str | None = None, release_date: date | None = None,
                 out: str | Path | None = None, data_dir: str | Path | None = None,
                 encoding: str | None = None, lang: str | None = None,
                 sources_dir: str | Path | None = None, force: bool = False) -> Extraction:
    """Extract candidate rows from one release, and write them to ``out`` if given.

    Args:
        path: The release, UTF-8, GB18030 or Big5; simplified, traditional or English.
        source_id: Its id in sources.csv (found by file name or sha256 when omitted).
        release_date: The date 今年 / 去年 / 3月末 are resolved against (default: the
            source registry, then the release's ``date:`` line).
        out: Where to write the candidates CSV (UTF-8 with BOM, for spreadsheets). The
            catalogue rows the candidates need go beside it, ``C.metrics.csv`` for
            ``C.csv``: new metrics (status ``proposed``) and metrics with a unit added
            (status ``add_unit``).
        data_dir: The curated data (metric and entity names, the source registry).
        encoding: Force an encoding instead of guessing.
        lang: Force "zh" or "en" instead of guessing.
        sources_dir: The source texts: ``out`` may replace none of them, and a new release's
            drafted ``file`` is relative to them.
        force: Let ``out`` replace an existing file that is not an unreviewed candidates
            file (never a curated file or the release: see :mod:`.outputs`).

    Raises:
        ExtractError: If the release cannot be read, the source id is unknown, or ``out``
            would replace a file it must not (checked before anything is read or written).
    """
    ddir = paths.data_dir(data_dir)
    if out is not None:
        check_outputs(out, path, ddir, sources_dir, force)
    catalogue = Catalogue(ddir)
    release = read_release(path, encoding=encoding, lang=lang)
    rdate, sid, date_from = resolve_release_date(release, catalogue, release_date, source_id)
    columns = observation_columns(ddir)
    cands = build_candidates(release, rdate, catalogue, sid, columns)
    result = Extraction(Path(path), release.lang, release.encoding, rdate, date_from, sid,
                        columns, cands)
    result.warnings += inherit([c.row for c in cands], History(ddir))
    stripped = stripped_numbers(release)
    if stripped:
        shown = "; ".join(f"«{x}»" for x in stripped[:3])
        result.warnings.append(f"{len(stripped)} place(s) show a unit without its number ({shown}): "
                               "the page's figures look stripped by a scraper; find another copy "
                               "of the release, do not type them in from memory")
    header = next(iter(catalogue.metric_rows.values()), None)
    if header:
        result.metric_columns = list(header.keys())
    draft = draft_source(release, catalogue, sources_dir)
    if draft is not None:
        result.source_draft = draft
        for c in result.candidates:
            c.row["source_id"] = c.row.get("source_id") or draft["source_id"]
    if out is not None:
        _write(Path(out), result.to_csv())
        _write(metrics_path(out), result.metrics_csv())
        sides = {"entities": (result.proposed_entities(), _columns(ddir, "entities", ENTITY_COLUMNS)),
                 "source": ([draft] if draft else [], _columns(ddir, "sources", list(draft or {})))}
        for name, (rows, cols) in sides.items():
            target = side_path_for(out, name)
            if rows:
                _write(target, result.side_csv(rows, cols))
            elif target.is_file():
                target.unlink()  # a stale side file of an earlier extraction would be appended
    return result


def _columns(ddir: Path, table: str, fallback: list[str]) -> list[str]:
    """A curated table's columns, as its header has them."""
    try:
        with (ddir / f"{table}.csv").open(encoding="utf-8-sig", newline="") as fh:
            head = next(csv.reader(fh), [])
    except OSError:
        head = []
    return [c for c in (head or fallback) if c not in ("status", "reason")]


def _defused(row: dict[str, str]) -> dict[str, str]:
    """A row whose text cells a spreadsheet cannot run (see ``Extraction.rows``)."""
    for col, cell in row.items():
        if not cell or not is_formula(cell) or is_number(cell):
            continue
        kept = cell.lstrip("=+-@\t\r ")
        if col == "quote" and row.get("quote_start", "").isdigit():
            row["quote_start"] = str(int(row["quote_start"]) + len(cell) - len(kept))
        row[col] = kept
    return row

