"""Edits that copies of the data go through in tests and benches, as an analyst's save would."""

from __future__ import annotations

import csv
import hashlib
import io
import os
from pathlib import Path


def _rewrite(path: Path, rows: list[dict]) -> None:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(buf.getvalue(), encoding="utf-8")
    os.replace(tmp, path)  # saved at once, as editors do


def change_figure(data: Path, sources: Path, source_id: str, old: str, new: str) -> None:
    """Change a reported figure as a corrected release would: the source text (and its
    sha256 in sources.csv), the quotes that cite it and the value. Copies only."""
    rows = list(csv.DictReader(io.StringIO((data / "sources.csv").read_text(encoding="utf-8"))))
    src = next(r for r in rows if r["source_id"] == source_id)
    f = sources / src["file"]
    f.write_text(f.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    src["sha256"] = hashlib.sha256(f.read_bytes()).hexdigest()
    _rewrite(data / "sources.csv", rows)
    obs = list(csv.DictReader(io.StringIO((data / "observations.csv").read_text(encoding="utf-8"))))
    for r in obs:
        if r["source_id"] == source_id and old in r["quote"]:
            r["quote"] = r["quote"].replace(old, new)
            if old.startswith(r["value"]):
                r["value"] = new[:len(r["value"])]
    _rewrite(data / "observations.csv", obs)


def edit_observation(data: Path, obs_id: str, **cells: str) -> None:
    """Set cells of the observation ``metric_id@entity_id/period_end/source_id`` in data/observations.csv."""
    path = data / "observations.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    hits = [r for r in rows if f"{r['metric_id']}@{r['entity_id']}/{r['period_end']}/{r['source_id']}" == obs_id]
    assert len(hits) == 1, f"{obs_id}: {len(hits)} rows"
    hits[0].update(cells)
    _rewrite(path, rows)


def take_out(data: Path, metric_id: str, source_id: str) -> dict[str, str]:
    """Remove one curated row from a data copy (so that a review can bring it back); returns it."""
    rows = list(csv.DictReader(io.StringIO((data / "observations.csv").read_text(encoding="utf-8-sig"))))
    [removed] = [r for r in rows if (r["metric_id"], r["source_id"]) == (metric_id, source_id)]
    rows.remove(removed)
    _rewrite(data / "observations.csv", rows)
    return removed
