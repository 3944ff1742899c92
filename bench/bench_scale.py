"""How validation, the quarter list and one report's narrative scale with the data.

Builds synthetic data folders by replicating the real observations with their
dates shifted back by whole years (a replica of a 2026 figure becomes a 2016
figure, and so on; quotes and values stay the real ones, so every row passes
validation and the quote check), then times, each in a fresh process:

- ``validate``: :func:`check_data` with the source texts;
- ``quarters``: loading the dataset and listing its quarters (``describe_quarters``);
- ``narrative``: the latest quarter's Chinese narrative (what one report's build writes).

Prints rows, seconds and peak memory (max RSS) per step and size. Targets
(issue 12): 100,000 observations within 10× of today's data, memory < 1 GB.

    .venv/bin/python bench/bench_scale.py [--sizes 10000,100000]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"

STEP = r"""
import json, resource, sys, time
from cqreport.core import paths
step, data = sys.argv[1], sys.argv[2]
t = time.perf_counter()
if step == "validate":
    from cqreport.dataset.validate import check_data
    r = check_data(data)
    assert r.ok, [str(p) for p in r.problems[:3]]
    assert r.checks["quotes"], "source texts not found"
elif step == "quarters":
    from cqreport.analysis.quarter import describe_quarters
    from cqreport.dataset.model import load_dataset
    describe_quarters(load_dataset(data))
else:
    from cqreport.analysis.quarter import quarter_data
    from cqreport.dataset.model import load_dataset
    from cqreport.report.narrative import write_narrative
    ds = load_dataset(data)
    write_narrative(quarter_data(ds, ds.latest_quarter()), "zh")
secs = time.perf_counter() - t
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": secs, "peak_mb": peak_mb}))
"""


def shift(iso: str, years: int) -> str:
    """An ISO date moved back by whole years (29 February becomes the 28th)."""
    if not iso:
        return iso
    y, m, d = iso.split("-")
    y = int(y) - years
    if m == "02" and d == "29" and not (y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)):
        d = "28"
    return f"{y:04d}-{m}-{d}"


def make_data(target: Path, rows: int) -> int:
    """A data folder with about ``rows`` observations: the real ones, then replica blocks
    shifted back 10, 11, 12… years. Each block cites its own copy of every source
    (``<id>__rN``, same file and hash), so keys stay unique however the shifted periods fall."""
    shutil.copytree(DATA, target)
    with (DATA / "observations.csv").open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        fields, real = reader.fieldnames, list(reader)
    with (DATA / "sources.csv").open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        sfields, sources = reader.fieldnames, list(reader)
    out, extra_sources = list(real), []
    years, block = 10, 1
    while len(out) < rows:
        extra_sources += [{**s, "source_id": f"{s['source_id']}__r{block}"} for s in sources]
        for r in real:
            if len(out) >= rows:
                break
            out.append({**r, "source_id": f"{r['source_id']}__r{block}",
                        "period_start": shift(r["period_start"], years),
                        "period_end": shift(r["period_end"], years)})
        years, block = years + 1, block + 1
    with (target / "observations.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
        w.writeheader()
        w.writerows(out)
    with (target / "sources.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=sfields, lineterminator="\n")
        w.writeheader()
        w.writerows(sources + extra_sources)
    return len(out)


def run(step: str, data: Path, cache: Path) -> dict:
    env = {**os.environ, "CQREPORT_CACHE": str(cache)}
    out = subprocess.run([sys.executable, "-c", STEP, step, str(data)], capture_output=True,
                         text=True, env=env, check=False)
    if out.returncode != 0:
        raise SystemExit(f"{step} on {data} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000", help="synthetic sizes, comma separated")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="cqreport-bench-") as tmp:
        folders = [("today", DATA, None)]
        for n in (int(s) for s in args.sizes.split(",") if s):
            d = Path(tmp) / f"data{n}"
            folders.append((str(n), d, make_data(d, n)))
        print(f"{'data':>8} {'rows':>7} {'step':>9} {'seconds':>8} {'peak MB':>8} {'× today':>8}")
        base: dict[str, float] = {}
        for label, folder, rows in folders:
            if rows is None:
                with (folder / "observations.csv").open(encoding="utf-8") as fh:
                    rows = sum(1 for _ in fh) - 1
            for step in ("validate", "quarters", "narrative"):
                # quarters and narrative load through a validation stamp made by the step
                # before them, as a user's second command would; validate always checks
                cache = Path(tmp) / f"cache-{label}"
                r = run(step, folder, cache)
                base.setdefault(step, r["seconds"])
                print(f"{label:>8} {rows:>7} {step:>9} {r['seconds']:8.2f} {r['peak_mb']:8.0f} "
                      f"{r['seconds'] / base[step]:8.1f}", flush=True)


if __name__ == "__main__":
    main()
