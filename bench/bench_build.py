"""Every figure of the engine's speed table (issue 18) from one run, as ratios, with the load.

All builds use the same notebook (notebooks/quarterly_report.ipynb), the same
parameters (the latest quarter, Chinese) and the same PDF tool (WeasyPrint):

1. ``cqreport build --quarter Q --lang zh --format html,pdf --force`` with an empty work
   cache (a new cache folder each run: nothing to reuse, as after a data change), and
   again with the cache that run filled (a forced rebuild of an unchanged report);
   ``--cold`` too (papermill's own engine, a fresh kernel, nothing cached);
2. the plain chain, three processes: ``papermill`` CLI, then
   ``jupyter nbconvert --to html --no-input``, then ``weasyprint`` on that HTML
   (with a stylesheet giving it the same CJK font, so the PDF shows Chinese);
3. ``cqreport build`` again with nothing changed (the report is skipped);
4. ``cqreport build --all --lang all --force --jobs 2`` with an empty work cache, against
   ``--jobs 1`` of the code before warm builds (``--baseline REV``, default a3425b6: that
   commit's ``src/``, notebook and data, exported with ``git archive`` to a temp folder;
   it cannot build today's data, so the two are compared per report);
5. ``cqreport preview`` on temp copies of the data and the sources: from saving a
   changed figure (``data/observations.csv``, its quote, the source text and its hash)
   to the new page being served, and from saving a narrative template (same bytes) to
   the next build's page being served, polling the server as a browser would;
6. ``make test`` (unless ``--skip-suite``).

Each is run as a fresh command, as a user would, and timed by the wall clock. It
prints the medians, the machine's load before and after each part, where the time of a
build goes (its manifest's timings), and every figure against its target for a 2-core
machine: one quarter ≤ 0.5× the chain, an unchanged rebuild ≤ 0.05× the chain,
``--all --jobs 2`` ≤ 0.45× ``--jobs 1`` of the baseline, a data change served in
≤ 1.0 s, a template change in ≤ 0.8 s, ``make test`` ≤ 150 s (medians). No assertion:
the machine may be shared. The repository's data/ is never written: only copies.

Usage:
    python bench/bench_build.py [--repeat 3] [--batch-repeat 1] [--skip-batch] [--skip-suite]
                                [--baseline REV] [--preview-repeat 5] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))   # the test helpers' edits of data copies: one home for both
from tests.edits import change_figure  # noqa: E402

BIN = Path(sys.executable).parent
NOTEBOOK = ROOT / "notebooks" / "quarterly_report.ipynb"
DATA = ROOT / "data"
TARGETS = {"one_quarter_vs_chain": 0.5, "one_quarter_cached_vs_chain": 0.5,
           "one_quarter_cold_vs_chain": 0.5, "unchanged_vs_chain": 0.05,
           "parallel_vs_baseline_serial": 0.45, "preview_data_s": 1.0, "preview_template_s": 0.8,
           "make_test_s": 150.0}
BASELINE = "a3425b6"
TEMPLATE = ROOT / "src" / "cqreport" / "report" / "templates" / "narrative_zh.j2"
EDIT = ("cq_2026q1_presser", ("6.54万亿元", "6.53万亿元", "6.52万亿元"))


CPU: dict[str, list[float]] = {}
#: Reports each batch built (the baseline's data has fewer quarters than today's).
N_REPORTS: dict[str, int] = {}


def run(cmd: list[str], cwd: Path = ROOT, label: str | None = None,
        env: dict[str, str] | None = None) -> float:
    """Run a command, fail loudly if it fails, and return its wall-clock seconds.

    With a label, also record the CPU seconds it and its children (kernels, workers) used.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env)
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


def cqreport_build(reports: Path, *args: str, label: str | None = None,
                   cache: Path | None = None) -> float:
    """``cqreport build`` into ``reports``; with ``cache``, that work cache folder."""
    env = dict(os.environ, CQREPORT_CACHE=str(cache)) if cache is not None else None
    return run([str(BIN / "cqreport"), "build", "--reports", str(reports), "--no-progress",
                *args], label=label, env=env)


def build_timings(reports: Path, quarter: str) -> dict[str, float]:
    """Where the time of the last build of that report went (its manifest)."""
    m = json.loads((reports / quarter / "zh" / "manifest.json").read_text(encoding="utf-8"))
    return {k: v for k, v in m.get("timings_s", {}).items() if isinstance(v, int | float)}


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


def load() -> str:
    """The machine's load averages and cores, as printed with the figures."""
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f} {five:.2f} {fifteen:.2f} (1/5/15 min) on {os.cpu_count()} cores"


def baseline_checkout(rev: str, folder: Path) -> Path:
    """That commit's tree (src, notebooks, data), exported without touching this checkout's git state."""
    folder.mkdir()
    # data too: the vocabulary reads the descriptor beside the code (the reports use DATA)
    archive = subprocess.run(["git", "archive", rev, "src", "notebooks", "data", "pyproject.toml"], cwd=ROOT,
                             capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def baseline_command(base: Path, *args: str, label: str | None = None) -> float:
    """A ``cqreport`` command of the baseline code: its src/ first on the path (the kernel inherits
    it), with a cache folder of its own."""
    from cqreport.core import paths

    env = dict(os.environ, PYTHONPATH=str(base / "src"), CQREPORT_CACHE=str(base / "cache"),
               CQREPORT_SOURCES=str(paths.sources_dir() or ""))
    return run([str(BIN / "python"), "-m", "cqreport", *args], cwd=base, label=label, env=env)


def baseline_build(base: Path, reports: Path, *args: str, label: str | None = None) -> float:
    """``cqreport build`` of the baseline code, on the data of its own commit: the data has
    moved on since (metrics renamed and split by definition), and old code cannot build it."""
    return baseline_command(base, "build", "--reports", str(reports), "--no-progress", "--data",
                            str(base / "data"), "--notebook", str(base / "notebooks" / "quarterly_report.ipynb"),
                            *args, label=label)


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=60) as r:
        return r.read()


def _next_page(base: str, after: int, must: str | None, timeout: float = 120) -> tuple[dict, bytes]:
    """Poll the server until a build later than ``after`` is served; return its state and page."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        st = json.loads(_get(base + "__preview/state"))
        if st["build"] > after and not st["building"]:
            page = _get(base)
            if not st["ok"]:
                raise SystemExit(f"preview build failed: {st['message']}")
            if must is not None and must.encode() not in page:
                raise SystemExit(f"preview served a page without {must!r}")
            return st, page
        time.sleep(0.01)
    raise SystemExit("preview: no new build within the time limit")


def preview_latency(tmp: Path, repeat: int) -> dict[str, list[float]]:
    """Seconds from a saved change to the new page served, for data and for a template."""
    data, sources = tmp / "pv-data", tmp / "pv-sources"
    from cqreport.core import paths

    shutil.copytree(DATA, data)
    shutil.copytree(paths.sources_dir(), sources)
    env = dict(os.environ, CQREPORT_CACHE=str(tmp / "pv-cache"))
    proc = subprocess.Popen([str(BIN / "cqreport"), "preview", "--no-browser", "--port", "0",
                             "--data", str(data), "--sources", str(sources),
                             "--reports", str(tmp / "pv-reports")],
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env)
    out: dict[str, list[float]] = {"preview_first": [], "preview_data": [], "preview_template": []}
    try:
        m = re.search(r"http://127\.0\.0\.1:\d+/", proc.stderr.readline())
        if not m:
            raise SystemExit("preview did not start")
        base = m.group(0)
        t0 = time.perf_counter()
        while True:
            try:
                st, _ = _next_page(base, 0, None)
                break
            except OSError:
                time.sleep(0.05)
        out["preview_first"].append(time.perf_counter() - t0)
        source_id, values = EDIT
        cur = values[0]
        for i in range(repeat):
            new = values[1 + i % (len(values) - 1)] if cur == values[0] else values[0]
            t = time.perf_counter()
            change_figure(data, sources, source_id, cur, new)
            st, _ = _next_page(base, st["build"], new)
            out["preview_data"].append(time.perf_counter() - t)
            cur = new
            time.sleep(0.3)
        body = TEMPLATE.read_bytes()
        for _ in range(repeat):
            t = time.perf_counter()
            TEMPLATE.write_bytes(body)  # a save without a change: same bytes, a new build
            st, _ = _next_page(base, st["build"], None)
            out["preview_template"].append(time.perf_counter() - t)
            time.sleep(0.3)
        out["preview_last_timings"] = [st.get("timings", {})]  # type: ignore[list-item]
    finally:
        proc.send_signal(2)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
    return out


def time_one_quarter(tmp: Path, quarter: str, repeat: int, times: dict[str, list[float]],
                     profiles: dict[str, dict[str, float]]) -> None:
    """One quarter: a first build (empty work cache), a forced rebuild (cached), a cold build,
    the plain chain, and an unchanged rebuild, alternating so that no side always runs warmer."""
    css = font_stylesheet(tmp)
    reports = tmp / "reports"
    one = ["--quarter", quarter, "--lang", "zh", "--format", "html,pdf"]
    cache = tmp / "cache"   # validation stamps kept, as a user's are; the work cache emptied
    cqreport_build(reports, *one, "--force", cache=cache)  # disk cache, stamps, quarter list
    for i in range(repeat):
        chain_dir = tmp / f"chain{i}"
        chain_dir.mkdir()
        steps = [("one_quarter", partial(_empty_work_then_build, reports, *one, cache=cache)),
                 ("one_quarter_cached", partial(cqreport_build, reports, *one, "--force", cache=cache)),
                 ("one_quarter_cold", partial(cqreport_build, reports, *one, "--force", "--cold",
                                              cache=cache)),
                 ("plain_chain", partial(plain_chain, chain_dir, quarter, css))]
        if i % 2:
            steps = steps[3:] + steps[:3]
        for name, fn in steps:
            times[name].append(fn())
            if name.startswith("one_quarter"):
                profiles[name] = build_timings(reports, quarter)
    for _ in range(max(repeat, 5)):
        times["unchanged"].append(cqreport_build(reports, *one, cache=cache))


def _empty_work_then_build(reports: Path, *args: str, cache: Path) -> float:
    """A forced build with nothing in the work cache (its stamps kept): as after a data change."""
    shutil.rmtree(cache / "work", ignore_errors=True)
    return cqreport_build(reports, *args, "--force", cache=cache)


def time_batch(tmp: Path, baseline: str, repeat: int, times: dict[str, list[float]]) -> int:
    """``--all --lang all --force``: the baseline's --jobs 1 and 2 against this code's, each with
    an empty work cache; returns the number of reports."""
    base = baseline_checkout(baseline, tmp / "baseline") if baseline else None
    every = ["--all", "--lang", "all", "--force"]
    if base is not None:  # its validation stamps, as this code has its own from the runs above
        baseline_command(base, "validate", "--data", str(base / "data"))
    for _ in range(repeat):
        if base is not None:
            times["baseline_serial"].append(baseline_build(
                base, tmp / "b-serial", *every, "--jobs", "1", label="baseline_serial"))
            times["baseline_parallel"].append(baseline_build(
                base, tmp / "b-parallel", *every, "--jobs", "2", label="baseline_parallel"))
        shutil.rmtree(tmp / "cache" / "work", ignore_errors=True)
        times["all_serial"].append(cqreport_build(
            tmp / "serial", *every, "--jobs", "1", label="all_serial", cache=tmp / "cache"))
        shutil.rmtree(tmp / "cache" / "work", ignore_errors=True)
        times["all_parallel"].append(cqreport_build(
            tmp / "parallel", *every, "--jobs", "2", label="all_parallel", cache=tmp / "cache"))
    N_REPORTS["baseline"] = len(list((tmp / "b-serial").glob("*/*/report.pdf")))
    return len(list((tmp / "parallel").glob("*/*/report.pdf")))


def time_suite() -> tuple[float, str]:
    """``make test``, as a developer runs it: its seconds and its last line (pass or fail)."""
    t0 = time.perf_counter()
    proc = subprocess.run(["make", "test"], cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    last = (proc.stdout.strip().splitlines() or [""])[-1]
    return seconds, f"exit {proc.returncode}: {last}"


LABELS = {
    "one_quarter": "cqreport build, one quarter, empty work cache",
    "one_quarter_cached": "cqreport build --force, one quarter, cached",
    "one_quarter_cold": "cqreport build --cold, one quarter (papermill)",
    "plain_chain": "papermill → nbconvert → weasyprint",
    "unchanged": "cqreport build, nothing changed",
    "baseline_serial": "--all, --jobs 1, baseline",
    "baseline_parallel": "--all, --jobs 2, baseline",
    "all_serial": "cqreport build --all, --jobs 1, empty cache",
    "all_parallel": "cqreport build --all, --jobs 2, empty cache",
    "preview_first": "preview: start to first page served",
    "preview_data": "preview: data saved → new page served",
    "preview_template": "preview: template saved → new page served",
    "make_test": "make test",
}


def ratios_of(med: dict[str, float]) -> dict[str, float]:
    """Each figure of the table as its ratio (or its seconds, for latencies)."""
    out = {"one_quarter_vs_chain": med["one_quarter"] / med["plain_chain"],
           "one_quarter_cached_vs_chain": med["one_quarter_cached"] / med["plain_chain"],
           "one_quarter_cold_vs_chain": med["one_quarter_cold"] / med["plain_chain"],
           "unchanged_vs_chain": med["unchanged"] / med["plain_chain"]}
    if "all_parallel" in med and "baseline_serial" in med:
        # per report: the baseline builds the quarters of its own data, this code today's
        now, then = N_REPORTS.get("now", 1), N_REPORTS.get("baseline", 1)
        out["parallel_vs_baseline_serial"] = (med["all_parallel"] / now) / (med["baseline_serial"] / then)
    if "preview_data" in med:
        out["preview_data_s"] = med["preview_data"]
        out["preview_template_s"] = med["preview_template"]
    if "make_test" in med:
        out["make_test_s"] = med["make_test"]
    return out


def report(quarter: str, loads: list[str], times: dict[str, list[float]], n_reports: int,
           profiles: dict[str, dict[str, float]], preview_steps: dict[str, float]) -> dict[str, float]:
    """Print the figures, where the time goes, and the table against its targets."""
    med = {k: median(v) for k, v in times.items() if v}
    print(f"cqreport bench: quarter {quarter}, lang zh, HTML + PDF; medians of wall-clock seconds")
    print("machine: " + " → ".join(loads))
    for k, label in LABELS.items():
        if k in med:
            runs = ", ".join(f"{x:.2f}" for x in times[k])
            extra = (f" ({N_REPORTS.get('baseline', '?')} reports, its own data)" if k.startswith("baseline")
                     else f" ({n_reports} reports)" if k.startswith("all_") else "")
            print(f"  {label + extra:<52} {med[k]:7.2f} s   [{runs}]")
    for k in ("baseline_serial", "baseline_parallel", "all_serial", "all_parallel"):
        if k in CPU:
            cores = [c / w for c, w in zip(CPU[k], times[k], strict=True)]
            print(f"  {LABELS[k]:<52} CPU {median(CPU[k]):6.1f} s, {median(cores):.2f} cores busy")
    for name, steps in profiles.items():
        print(f"  where {name} goes (last run): "
              + ", ".join(f"{k} {v:.2f}" for k, v in steps.items() if v >= 0.05))
    if preview_steps:
        print("  last preview build, seconds by step: "
              + ", ".join(f"{k} {v:.2f}" for k, v in preview_steps.items() if v >= 0.05))
    ratios = ratios_of(med)
    print("the table (target):")
    for k, v in ratios.items():
        verdict = "ok" if v <= TARGETS[k] else "MISSED"
        unit = " s" if k.endswith("_s") else "  "
        print(f"  {k:<30} {v:7.3f}{unit} (≤ {TARGETS[k]})  {verdict}")
    return ratios


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Time cqreport build and preview against the plain chain.")
    ap.add_argument("--repeat", type=int, default=3, help="runs of the one-quarter timings")
    ap.add_argument("--batch-repeat", type=int, default=1, help="runs of the --all timings")
    ap.add_argument("--skip-batch", action="store_true", help="skip the --all timings")
    ap.add_argument("--skip-suite", action="store_true", help="skip timing make test")
    ap.add_argument("--baseline", default=BASELINE, help="commit whose --jobs 1 is the batch baseline "
                    "('' to skip)")
    ap.add_argument("--preview-repeat", type=int, default=5, help="saves timed in the preview (0: skip)")
    ap.add_argument("--json", type=Path, help="also write the figures to this file")
    args = ap.parse_args(argv)

    quarter = latest_quarter()
    loads = [load()]
    times: dict[str, list[float]] = {k: [] for k in LABELS}
    profiles: dict[str, dict[str, float]] = {}
    preview_steps: dict[str, float] = {}
    n_reports = 0
    with tempfile.TemporaryDirectory(prefix="cqreport-bench-") as tmp:
        tmp = Path(tmp)
        time_one_quarter(tmp, quarter, args.repeat, times, profiles)
        loads.append(load())
        if not args.skip_batch:
            n_reports = N_REPORTS["now"] = time_batch(tmp, args.baseline, args.batch_repeat, times)
            loads.append(load())
        if args.preview_repeat:
            pv = preview_latency(tmp, args.preview_repeat)
            preview_steps = pv.pop("preview_last_timings", [{}])[0]
            times.update(pv)
            loads.append(load())
    suite = ""
    if not args.skip_suite:
        seconds, suite = time_suite()
        times["make_test"].append(seconds)
        loads.append(load())
    ratios = report(quarter, loads, times, n_reports, profiles, preview_steps)
    if suite:
        print(f"make test: {suite}")
    if args.json:
        args.json.write_text(json.dumps({"quarter": quarter, "times": times, "ratios": ratios,
                                         "targets": TARGETS, "load": loads, "profiles": profiles},
                                        indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
