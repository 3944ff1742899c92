"""Edits that copies of the data go through in tests and benches, as an analyst's save would."""

from __future__ import annotations

import csv
import hashlib
import io
import os
import shutil
from pathlib import Path

SHIFTS = 48   # distinct year shifts: 10..57 years back keeps the 2008 data after 1949


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


def unregister(data: Path, source_id: str) -> None:
    """Remove a source and its rows from a data copy, as if its release had never been registered
    (no other row may cite them as evidence)."""
    obs = list(csv.DictReader(io.StringIO((data / "observations.csv").read_text(encoding="utf-8-sig"))))
    gone = {f"{r['metric_id']}@{r['entity_id']}/{r['period_end']}/{r['source_id']}"
            for r in obs if r["source_id"] == source_id}
    assert gone and not [r for r in obs if r["source_id"] != source_id and set(r["evidence_rows"].split("|")) & gone]
    _rewrite(data / "observations.csv", [r for r in obs if r["source_id"] != source_id])
    srcs = list(csv.DictReader(io.StringIO((data / "sources.csv").read_text(encoding="utf-8-sig"))))
    _rewrite(data / "sources.csv", [r for r in srcs if r["source_id"] != source_id])


def shift(iso: str, years: int) -> str:
    """An ISO date moved back by whole years (29 February becomes the 28th)."""
    if not iso:
        return iso
    y, m, d = iso.split("-")
    y = int(y) - years
    if m == "02" and d == "29" and not (y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)):
        d = "28"
    return f"{y:04d}-{m}-{d}"


def _read(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


def _write(path: Path, fields: list[str], rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def _shifted_id(obs_id: str, years: int, copy: int) -> str:
    """The obs_id of a row's replica: its end shifted back, its source the copy's."""
    head, end, source = obs_id.rsplit("/", 2)
    return f"{head}/{shift(end, years)}/{source}__r{copy}"


def _with_their_evidence(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """The rows whose inferences' evidence rows are all there (a block cut short by the row
    count may lack the row an inference cites, and then the row that cites it)."""
    while True:
        ids = {f"{r['metric_id']}@{r['entity_id']}/{r['period_end']}/{r['source_id']}" for r in rows}
        kept = [r for r in rows if all(ref in ids for ref in filter(None, r.get("evidence_rows", "").split("|")))]
        if len(kept) == len(rows):
            return rows
        rows = kept


def replicate_data(data: Path, target: Path, rows: int) -> int:
    """A copy of a data folder grown to ``rows`` observations, for scale: the real rows, then
    replicas with their periods shifted back by whole years (quotes and values stay the real
    ones, so every row passes validation and the quote check). Block ``b`` is shifted back
    ``10 + b % 48`` years, so dates stay within the years validation accepts (1949 on), and
    cites the ``b // 48``-th copy of every source (``<id>__r<k>``, same file, hash and date):
    every 48th block restates an earlier block's figures from other sources, as variants. A
    replica whose key another row has (one source reporting a series for two years, shifted
    onto one year) is left out.

    Returns:
        The number of observations written.
    """
    shutil.copytree(data, target)
    fields, real = _read(data / "observations.csv")
    sfields, sources = _read(data / "sources.csv")
    key = ("metric_id", "entity_id", "period_start", "period_end", "source_id")
    out, extra_sources, block = list(real), [], 1
    seen = {tuple(r[k] for k in key) for r in out}
    while len(out) < rows:
        years, copy = 10 + block % SHIFTS, block // SHIFTS
        if block == 1 or block % SHIFTS == 0:   # the first block citing this copy
            extra_sources += [{**s, "source_id": f"{s['source_id']}__r{copy}"} for s in sources]
        for r in real:
            replica = {**r, "source_id": f"{r['source_id']}__r{copy}",
                       "period_start": shift(r["period_start"], years),
                       "period_end": shift(r["period_end"], years)}
            if r.get("evidence_rows"):   # an inference rests on the rows of its own block
                replica["evidence_rows"] = "|".join(_shifted_id(ref, years, copy)
                                                    for ref in r["evidence_rows"].split("|"))
            k = tuple(replica[c] for c in key)
            if len(out) < rows and k not in seen:
                seen.add(k)
                out.append(replica)
        block += 1
    out = _with_their_evidence(out)
    _write(target / "observations.csv", fields, out)
    _write(target / "sources.csv", sfields, sources + extra_sources)
    return len(out)
