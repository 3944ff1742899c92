"""How validation, the quarter list and one report's build scale with the data.

Builds synthetic data folders by replicating the real observations with their
periods shifted back by whole years (``tests.edits.replicate_data``: quotes and
values stay the real ones, so every row passes validation and the quote check;
100,000 rows cite 712 sources, and many figures have variants).

Then times, each step in a fresh process and in the order a user runs them:

- ``validate``: ``cqreport validate`` (:func:`validate_data`: every check, the
  quotes against the source texts; it leaves the validation stamp);
- ``quarters``: ``cqreport quarters`` (loading the data through that stamp and
  listing every quarter with ``describe_quarters``);
- ``build``: ``cqreport build`` of the latest quarter in Chinese, HTML and PDF,
  audited (``--force``, into a scratch reports folder).

Prints rows, seconds, peak memory and the ratio to today's data per step, with
the machine's load average before and after each step. Peak memory is the
largest sum of the proportional set sizes of the step's whole process tree
(the build's kernel and PDF printer included; shared pages counted once),
sampled every 50 ms. Targets
(issue 20): 100,000 observations within 10× of today's time, under 1 GB.

    .venv/bin/python bench/bench_scale.py [--sizes 10000,100000] [--steps validate,quarters,build]
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
CQREPORT = [sys.executable, "-m", "cqreport"]
STEPS = ("validate", "quarters", "build")

sys.path.insert(0, str(ROOT))   # the synthetic data is the tests' too: one home for both
from tests.edits import replicate_data  # noqa: E402


def _tree_memory(proc: psutil.Process) -> int:
    """The memory a process tree holds: the sum of its processes' proportional set sizes (a
    page two processes share, as a forked PDF printer shares its parent's, counts half in
    each; resident sizes would count it twice)."""
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):   # ended between the listing and the reading
            info = p.memory_full_info()
            total += getattr(info, "pss", info.rss)
    return total


def run(args: list[str], env: dict[str, str]) -> dict[str, float]:
    """Run one command; its wall time and the peak resident memory of its process tree."""
    load_before = os.getloadavg()[0]
    t = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=ROOT)
    watched, peak, done = psutil.Process(proc.pid), 0, threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            try:
                peak = max(peak, _tree_memory(watched))
            except psutil.Error:
                return
            time.sleep(0.05)
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = proc.communicate()
    secs = time.perf_counter() - t
    done.set()
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args[2:])} failed ({proc.returncode}):\n"
                         f"{stdout.decode()[-1500:]}{stderr.decode()[-2500:]}")
    return {"seconds": secs, "peak_mb": peak / 2**20, "load": load_before,
            "load_after": os.getloadavg()[0]}


def step_args(step: str, data: Path, reports: Path) -> list[str]:
    """The command line of one step."""
    if step == "validate":
        return [*CQREPORT, "validate", "--data", str(data)]
    if step == "quarters":
        return [*CQREPORT, "quarters", "--data", str(data)]
    return [*CQREPORT, "build", "--data", str(data), "--lang", "zh", "--format", "html,pdf",
            "--reports", str(reports), "--force", "--no-progress", "--jobs", "1"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000", help="synthetic sizes, comma separated")
    ap.add_argument("--steps", default=",".join(STEPS), help="steps to time, comma separated")
    args = ap.parse_args()
    steps = [s for s in args.steps.split(",") if s]
    print(f"cores: {os.cpu_count()}; load average (1, 5, 15 min) at start: "
          f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory(prefix="cqreport-bench-") as tmp:
        with (DATA / "observations.csv").open(encoding="utf-8", newline="") as fh:
            folders = [("today", DATA, sum(1 for _ in csv.DictReader(fh)))]
        for n in (int(s) for s in args.sizes.split(",") if s):
            d = Path(tmp) / f"data{n}"
            folders.append((str(n), d, replicate_data(DATA, d, n)))
        print(f"{'data':>8} {'rows':>7} {'step':>9} {'seconds':>8} {'peak MB':>8} {'× today':>8}"
              f" {'load':>10}")
        base: dict[str, float] = {}
        for label, folder, rows in folders:
            # a fresh cache per data folder: validate leaves the stamp the next steps use
            env = {**os.environ, "CQREPORT_CACHE": str(Path(tmp) / f"cache-{label}"),
                   "CQREPORT_KEY_FILE": str(Path(tmp) / "key" / "stamp.key")}
            for step in steps:
                r = run(step_args(step, folder, Path(tmp) / f"reports-{label}"), env)
                base.setdefault(step, r["seconds"])
                print(f"{label:>8} {rows:>7} {step:>9} {r['seconds']:8.2f} {r['peak_mb']:8.0f} "
                      f"{r['seconds'] / base[step]:8.1f} {r['load']:4.2f}→{r['load_after']:4.2f}",
                      flush=True)
    print(f"load average (1, 5, 15 min) at the end: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
