"""Time `cqreport build` against the plain papermill → nbconvert → WeasyPrint chain.

All runs use the same notebook (notebooks/quarterly_report.ipynb), the same
parameters (the latest quarter, Chinese) and the same PDF tool (WeasyPrint):

1. ``cqreport build --quarter Q --lang zh --format html,pdf --force`` (one process);
2. the plain chain, three processes: ``papermill`` CLI, then
   ``jupyter nbconvert --to html --no-input``, then ``weasyprint`` on that HTML
   (with a stylesheet giving it the same CJK font, so the PDF shows Chinese);
3. ``cqreport build`` again with nothing changed (the report is skipped);
4. ``cqreport build --all --lang all --force`` with ``--jobs 1`` against ``--jobs 2``.

Each is run as a fresh command, as a user would, and timed by the wall clock.
It prints the medians and the ratios against the targets for a 2-core machine:
one quarter ≤ 0.6× the chain, an unchanged rebuild ≤ 0.05× the chain, and the
parallel batch ≤ 0.65× the serial one. No assertion: the machine may be shared.

Usage:
    python bench/bench_build.py [--repeat 3] [--batch-repeat 1] [--skip-batch] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
NOTEBOOK = ROOT / "notebooks" / "quarterly_report.ipynb"
DATA = ROOT / "data"
TARGETS = {"one_quarter_vs_chain": 0.6, "unchanged_vs_chain": 0.05, "parallel_vs_serial": 0.65}


CPU: dict[str, list[float]] = {}


def run(cmd: list[str], cwd: Path = ROOT, label: str | None = None) -> float:
    """Run a command, fail loudly if it fails, and return its wall-clock seconds.

    With a label, also record the CPU seconds it and its children (kernels, workers) used.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if label:
        CPU.setdefault(label, []).append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"command failed ({proc.returncode}): {' '.join(cmd)}")
    return seconds


def latest_quarter() -> str:
    out = subprocess.run([str(BIN / "python"), "-c",
                          "import cqreport; print(cqreport.load_dataset().latest_quarter())"],
                         cwd=ROOT, capture_output=True, text=True, check=True)
    return out.stdout.strip()


def font_stylesheet(folder: Path) -> Path:
    """A user stylesheet giving WeasyPrint the report's CJK font, for the plain chain."""
    from cqreport.report.fonts import find_cjk_font

    font = find_cjk_font()
    css = folder / "cjk.css"
    css.write_text(
        f'@font-face {{ font-family: "{font.family}"; src: url("{font.path.as_uri()}"); }}\n'
        f'body {{ font-family: "{font.family}", sans-serif; }}\n', encoding="utf-8")
    return css


def cqreport_build(reports: Path, *args: str, label: str | None = None) -> float:
    return run([str(BIN / "cqreport"), "build", "--reports", str(reports), "--no-progress",
                *args], label=label)


def plain_chain(folder: Path, quarter: str, css: Path) -> float:
    executed, page, pdf = folder / "report.ipynb", folder / "report.html", folder / "report.pdf"
    return (
        run([str(BIN / "papermill"), str(NOTEBOOK), str(executed), "-k", "cqreport",
             "-p", "quarter", quarter, "-p", "lang", "zh", "-p", "data_dir", str(DATA),
             "--no-progress-bar"])
        + run([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input",
               str(executed), "--output", str(page)])
        + run([str(BIN / "weasyprint"), "-s", str(css), str(page), str(pdf)])
    )


def median(xs: list[float]) -> float:
    return statistics.median(xs)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Time cqreport build against the plain chain.")
    ap.add_argument("--repeat", type=int, default=3, help="runs of the one-quarter timings")
    ap.add_argument("--batch-repeat", type=int, default=1, help="runs of the --all timings")
    ap.add_argument("--skip-batch", action="store_true", help="skip --all serial vs parallel")
    ap.add_argument("--json", type=Path, help="also write the figures to this file")
    args = ap.parse_args(argv)

    quarter = latest_quarter()
    times: dict[str, list[float]] = {"one_quarter": [], "plain_chain": [], "unchanged": [],
                                     "all_serial": [], "all_parallel": []}
    with tempfile.TemporaryDirectory(prefix="cqreport-bench-") as tmp:
        tmp = Path(tmp)
        css = font_stylesheet(tmp)
        reports = tmp / "reports"
        one = ["--quarter", quarter, "--lang", "zh", "--format", "html,pdf"]
        cqreport_build(reports, *one, "--force")  # warm the disk cache and the quarter list
        for i in range(args.repeat):
            # alternate the order so that neither side always runs on a warmer machine
            chain_dir = tmp / f"chain{i}"
            chain_dir.mkdir()
            if i % 2:
                times["plain_chain"].append(plain_chain(chain_dir, quarter, css))
                times["one_quarter"].append(cqreport_build(reports, *one, "--force"))
            else:
                times["one_quarter"].append(cqreport_build(reports, *one, "--force"))
                times["plain_chain"].append(plain_chain(chain_dir, quarter, css))
        for _ in range(max(args.repeat, 5)):
            times["unchanged"].append(cqreport_build(reports, *one))
        if not args.skip_batch:
            for _ in range(args.batch_repeat):
                times["all_serial"].append(cqreport_build(
                    tmp / "serial", "--all", "--lang", "all", "--force", "--jobs", "1",
                    label="all_serial"))
                times["all_parallel"].append(cqreport_build(
                    tmp / "parallel", "--all", "--lang", "all", "--force", "--jobs", "2",
                    label="all_parallel"))
        n_reports = len(list((tmp / "parallel").glob("*/*/report.pdf")))

    med = {k: median(v) for k, v in times.items() if v}
    ratios = {
        "one_quarter_vs_chain": med["one_quarter"] / med["plain_chain"],
        "unchanged_vs_chain": med["unchanged"] / med["plain_chain"],
    }
    if "all_serial" in med:
        ratios["parallel_vs_serial"] = med["all_parallel"] / med["all_serial"]

    print(f"cqreport bench: quarter {quarter}, lang zh, HTML + PDF; medians of wall-clock seconds")
    labels = {
        "one_quarter": "cqreport build, one quarter",
        "plain_chain": "papermill → nbconvert → weasyprint",
        "unchanged": "cqreport build, nothing changed",
        "all_serial": f"cqreport build --all, --jobs 1 ({n_reports if 'all_serial' in med else 0} reports)",
        "all_parallel": "cqreport build --all, --jobs 2",
    }
    for k, label in labels.items():
        if k in med:
            runs = ", ".join(f"{x:.2f}" for x in times[k])
            print(f"  {label:<46} {med[k]:7.2f} s   [{runs}]")
    for k in ("all_serial", "all_parallel"):
        if k in CPU:
            cores = [c / w for c, w in zip(CPU[k], times[k], strict=True)]
            print(f"  {labels[k]:<46} CPU {median(CPU[k]):6.1f} s, {median(cores):.2f} cores busy")
    print("ratios (target):")
    for k, v in ratios.items():
        verdict = "ok" if v <= TARGETS[k] else "MISSED"
        print(f"  {k:<24} {v:6.3f}   (≤ {TARGETS[k]})  {verdict}")
    if args.json:
        args.json.write_text(json.dumps({"quarter": quarter, "times": times, "medians": med,
                                         "ratios": ratios, "targets": TARGETS}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
