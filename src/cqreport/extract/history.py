"""What the data already holds of a candidate: the same figure from another (or the same) source.

A candidate equal to a curated row (same value in its base unit, bound and end date, and the
same entity unless the candidate's is unknown) is shown with that row, its source and any
``caution``; a repeat of a doubted figure inherits the doubt (the doubted row's ``caution``
and ``caution_zh``), which the analyst can only drop with a note saying ``caution cleared:
<why>`` (validation checks it, ``dataset/doubts.py``). What the reviewer should know (the
rows already in the data, the doubt inherited) is said in the candidate's ``reason``. Many
candidates equal to one other source's rows mean the release is a mirror or repost of it:
the extraction says so.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from ..dataset.doubts import figure_key


@dataclass(frozen=True)
class Past:
    """A curated row that holds the same figure as a candidate.

    Attributes:
        row: Its spreadsheet row in observations.csv (header = 1).
        obs: The row's cells.
        source: Its source's registry row ({} when the source is not registered).
    """

    row: int
    obs: dict[str, str]
    source: dict[str, str]

    def describe(self) -> str:
        """One line for the reviewer: row, source and title."""
        title = self.source.get("title_en") or self.source.get("title", "")
        return f"row {self.row} of observations.csv ({self.obs.get('source_id', '')}: {title[:60]})"


class History:
    """The curated observations of a data folder, indexed by figure."""

    def __init__(self, data_dir: Path | None):
        self.by_key: dict[tuple, list[Past]] = {}
        if data_dir is None:
            return
        sources = {s.get("source_id", ""): s for s in _rows(data_dir / "sources.csv")}
        for i, o in enumerate(_rows(data_dir / "observations.csv"), start=2):
            key = figure_key(o.get("value", ""), o.get("unit", ""), o.get("qualifier", ""),
                             o.get("period_end", ""))
            if key is not None:
                self.by_key.setdefault(key, []).append(Past(i, o, sources.get(o.get("source_id", ""), {})))

    def of(self, row: dict[str, str]) -> list[Past]:
        """The curated rows holding the figure of a candidate row."""
        key = figure_key(row.get("value", ""), row.get("unit", ""), row.get("qualifier", ""),
                         row.get("period_end", ""))
        ent = row.get("entity_id", "")
        return [p for p in self.by_key.get(key, []) if ent in ("", "unknown", p.obs.get("entity_id"))]


def _rows(path: Path) -> list[dict[str, str]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            return list(csv.DictReader(fh))
    except (OSError, UnicodeDecodeError, csv.Error):
        return []


def inherit(rows: list[dict[str, str]], history: History) -> list[str]:
    """Fill each candidate row's reason (and caution) from the data's history; return warnings.

    A repeat of a doubted figure gets the doubt in its ``caution`` and ``caution_zh``; the
    release is said to be a mirror when most of its figures are already in the data from one
    other source.
    """
    seen: Counter[str] = Counter()
    for row in rows:
        pasts = history.of(row)
        if not pasts:
            continue
        seen.update({p.obs.get("source_id", "") for p in pasts})
        # remarks for the reviewer go to the candidate's reason: a note is printed in the
        # report, in both languages, and names no row or source id (dataset/notes.py)
        remarks = ["already in the data: " + ", ".join(p.describe() for p in pasts[:3])]
        doubted = next((p for p in pasts if p.obs.get("caution")), None)
        if doubted is not None and not row.get("caution") and "caution" in row:
            remarks.append(f"repeats the doubted figure of row {doubted.row} "
                           f"({doubted.obs.get('source_id', '')}): its caution is kept")
            row["caution"] = doubted.obs["caution"]
            if "caution_zh" in row:
                row["caution_zh"] = doubted.obs.get("caution_zh", "")
        row["reason"] = "; ".join(filter(None, [row.get("reason", ""), *remarks]))
    warnings = []
    for sid, n in seen.most_common(1):
        if n >= 3 and n >= len(rows) / 2 and sid != (rows[0].get("source_id") if rows else ""):
            warnings.append(f"{n} of {len(rows)} candidates are already in the data from source {sid}: "
                            "this release looks like a mirror or repost of it; append only what it adds")
    return warnings
