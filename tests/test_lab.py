"""``make lab`` and the explore notebook: working copies keep the committed notebooks clean.

The browser test starts ``make lab`` on a private working-copy folder, opens both notebooks
in JupyterLab in headless Debian Chromium, runs every cell, edits a parameter, saves, and
checks that ``notebooks/*.ipynb`` and ``cqreport params`` are exactly as committed.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import warnings
from pathlib import Path

import nbformat
import pytest

import cqreport
from cqreport.report import explore

from .chromium import launch

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def _make_n_lab(user: str | None = None) -> str:
    cmd = ["make", "-n", "-s", "lab"]
    if user:
        cmd = ["su", user, "-s", "/bin/sh", "-c", f"cd {ROOT} && make -n -s lab"]
    res = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    return next(line for line in res.stdout.splitlines() if "jupyter lab" in line)


def test_make_lab_binds_to_localhost_and_opens_working_copies():
    line = _make_n_lab()
    assert "--ServerApp.ip=127.0.0.1" in line and "--ServerApp.root_dir=reports/lab" in line
    assert ("--allow-root" in line) == (os.geteuid() == 0)


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("su"), reason="needs root to try another user")
def test_make_lab_as_a_normal_user_does_not_pass_allow_root():
    if subprocess.run(["su", "nobody", "-s", "/bin/sh", "-c", f"test -r {ROOT}/Makefile"]).returncode:
        pytest.skip("the checkout is not readable by nobody")
    line = _make_n_lab("nobody")
    assert "--allow-root" not in line and "--ServerApp.ip=127.0.0.1" in line


# --- the explore helpers ---------------------------------------------------------------

@pytest.fixture(scope="module")
def ds():
    return cqreport.load_dataset()


def _csv(name: str) -> list[dict[str, str]]:
    with (ROOT / "data" / f"{name}.csv").open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def test_observations_table_shows_values_as_curated(ds):
    table = explore.observations_table(ds)
    rows = _csv("observations")
    assert len(table) == len(rows)
    for col in ("value", "yoy_pct", "prior_value", "unit", "qualifier", "period_end"):
        assert list(table[col]) == [r[col] for r in rows], col
    text = table.to_csv()
    assert not re.search(r"\bnan\b", text.lower())
    assert set(table["preferred"]) <= {"yes", ""} and "yes" in set(table["preferred"])


def test_catalogue_table_holds_every_metric(ds):
    table = explore.catalogue_table(ds)
    assert list(table["metric_id"]) == [r["metric_id"] for r in _csv("metrics")]
    counts = ds.observations.groupby("metric_id").size()
    assert all(table.loc[i, "observations"] == str(int(counts.get(m, 0)))
               for i, m in enumerate(table["metric_id"]))


def test_lines_join_only_consecutive_periods_of_one_frequency(ds):
    joined = 0
    for m, e in dict.fromkeys(zip(ds.observations["metric_id"], ds.observations["entity_id"], strict=True)):
        pts = explore.series_points(ds, m, e)
        for a, b in explore.segments(pts):
            joined += 1
            assert a.freq == b.freq and a.end < b.end and explore.consecutive(a, b)
        # never a flow joined to a flow of another length (an H1 to a full year)
        flows = {p.freq for p in pts if p.freq.endswith("-month flow")}
        assert all(a.freq in flows for a, _ in explore.segments(pts) if a.freq.endswith("flow"))
    assert joined > 0  # the real data has consecutive periods, so the rule is exercised


@pytest.mark.slow
def test_every_series_is_drawn_without_warnings(ds):
    from matplotlib.collections import PathCollection

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for topic in explore.topics(ds):
            fig = explore.series_figure(ds, topic, "zh")
            keys = {(m, e) for m, e, t, p in zip(ds.observations["metric_id"], ds.observations["entity_id"],
                                                  ds.observations["topic"], ds.observations["preferred"],
                                                  strict=True) if t == topic and p}
            panels = [ax for ax in fig.axes if ax.get_visible() and ax.get_title()]
            assert len(panels) == len(keys)
            points = sum(len(c.get_offsets()) for ax in panels for c in ax.collections
                         if isinstance(c, PathCollection))
            want = sum(len(ds.series(m, e)) for m, e in keys)
            assert points == want  # every observation is a marker, none hidden in a line
            lines = sum(len(ax.lines) for ax in panels)
            assert lines == sum(len(explore.segments(explore.series_points(ds, m, e))) for m, e in keys)
            fig.savefig(os.devnull, format="png")


@pytest.mark.slow
def test_explore_notebook_runs_clean(explore_executed):
    nb = explore_executed
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "stream" and o.name == "stderr"]
    assert not [o for o in outputs if o.output_type == "error"]
    html = "\n".join(str(o.get("data", {}).get("text/html", "")) for o in outputs)
    for m in _csv("metrics"):
        assert m["metric_id"] in html
    assert "cdn." not in html and "https://" not in html.split("<script", 1)[0]
    assert sum("image/png" in o.get("data", {}) for o in outputs) >= 4


# --- JupyterLab in a real browser ----------------------------------------------------------

def _digest(paths: list[Path]) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _params() -> str:
    return subprocess.run([sys.executable, "-m", "cqreport", "params"], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, check=True).stdout


def _wait_server(port: int, token: str, proc: subprocess.Popen, timeout: float = 120) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise AssertionError(f"make lab exited: {proc.stderr.read()[-2000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status?token={token}", timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise AssertionError("JupyterLab did not start")


_KERNEL_IDLE = """() => { const w = window.jupyterapp.shell.currentWidget;
  const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  return !!k && k.status === 'idle'
    && ![...document.querySelectorAll('.jp-InputPrompt')].some(e => e.textContent.includes('*')); }"""


def _run_notebook_in_lab(page, port: int, token: str, name: str, timeout_ms: int) -> None:
    page.goto(f"http://127.0.0.1:{port}/lab/tree/{name}?token={token}")
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell.currentWidget "
                           "&& window.jupyterapp.shell.currentWidget.context", timeout=120_000)
    page.wait_for_function(_KERNEL_IDLE, timeout=120_000)
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    # done when every code cell has its execution count and the kernel is idle again
    page.wait_for_function("""() => { const nb = window.jupyterapp.shell.currentWidget.content;
        const code = nb.widgets.filter(w => w.model.type === 'code');
        return code.length > 0 && code.every(w => w.model.executionCount !== null); }""",
                           timeout=timeout_ms, polling=1000)
    page.wait_for_function(_KERNEL_IDLE, timeout=60_000, polling=500)
    # the analyst edits the parameters cell, as the user did, then the notebook is saved
    page.evaluate("""() => { const nb = window.jupyterapp.shell.currentWidget.content;
        const cells = nb.model.cells;
        for (let i = 0; i < cells.length; i++) { const c = cells.get(i);
          if (c.type === 'code') {
            c.sharedModel.setSource(c.sharedModel.getSource() + '\\nlang = "zh"  # edited'); break; } } }""")
    page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")


@pytest.mark.slow
@pytest.mark.lab
def test_notebooks_in_jupyterlab_leave_the_committed_files_clean(tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    before = _digest(NOTEBOOKS)
    params_before = _params()
    git_before = subprocess.run(["git", "status", "--porcelain", "notebooks"], cwd=ROOT, capture_output=True,
                                text=True).stdout
    lab = tmp_path / "lab"
    port, token = _free_port(), "cqreport-test"
    args = (f"--no-browser --port={port} --IdentityProvider.token={token} "
            "--LabApp.expose_app_in_browser=True --ServerApp.open_browser=False")
    proc = subprocess.Popen(["make", "-s", "lab", f"LAB_DIR={lab}", f"LAB_ARGS={args}"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            env=dict(os.environ, JUPYTER_CONFIG_DIR=str(tmp_path / "jcfg"),
                                     JUPYTER_RUNTIME_DIR=str(tmp_path / "jrt")))
    shots = Path(os.environ.get("CQREPORT_SCREENSHOTS", tmp_path))
    try:
        _wait_server(port, token, proc)
        assert sorted(p.name for p in lab.glob("*.ipynb")) == [p.name for p in NOTEBOOKS]
        with sync_api.sync_playwright() as p:
            browser = launch(p)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            for nb in NOTEBOOKS:
                _run_notebook_in_lab(page, port, token, nb.name, timeout_ms=420_000)
                saved = lab / nb.name
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline:
                    work = nbformat.read(saved, as_version=4)
                    if any(c.get("outputs") for c in work.cells if c.cell_type == "code") \
                            and '# edited' in work.cells[[c.cell_type for c in work.cells].index("code")].source:
                        break
                    time.sleep(1)
                else:
                    raise AssertionError(f"{nb.name}: the working copy was not saved with its outputs")
                if nb.name == "explore_data.ipynb":
                    page.screenshot(path=str(shots / "lab_explore_top.png"))
                    page.evaluate("() => { const n = window.jupyterapp.shell.currentWidget.content;"
                                  " n.activeCellIndex = n.widgets.length - 5; n.scrollToItem(n.activeCellIndex); }")
                    time.sleep(1.5)
                    page.screenshot(path=str(shots / "lab_explore_series.png"))
                    page.evaluate("() => { const n = window.jupyterapp.shell.currentWidget.content;"
                                  " n.activeCellIndex = 7; n.scrollToItem(7); }")
                    time.sleep(1.5)
                    page.screenshot(path=str(shots / "lab_explore_catalogue.png"))
                    # the outputs hold no error and the itables search box is there
                    assert page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"
                                        ).count() == 0
            browser.close()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
    assert _digest(NOTEBOOKS) == before
    assert _params() == params_before
    git_after = subprocess.run(["git", "status", "--porcelain", "notebooks"], cwd=ROOT, capture_output=True,
                               text=True).stdout
    assert git_after == git_before
    print(json.dumps({"screenshots": str(shots)}))
