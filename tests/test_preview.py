"""cqreport preview: what a change re-runs, the served page, and the real command on copies of the data."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from cqreport.core import paths
from cqreport.engine import preview as pv
from cqreport.errors import ParameterError

from .edits import change_figure

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "quarterly_report.ipynb"
CQREPORT = Path(sys.executable).parent / "cqreport"


# ---------------------------------------------------------------------------
# What a change re-runs


def _code(nb_path: Path = NOTEBOOK) -> list[str]:
    nb = nbformat.read(str(nb_path), as_version=4)
    return [c.source for c in nb.cells if c.cell_type == "code"]


def test_a_template_change_reruns_the_narrative_and_not_the_charts():
    stmts = pv.statements(_code())
    dirty = pv.dirty_statements(stmts, {"narrative"})
    rerun = [st.source.strip() for st, d in zip(stmts, dirty, strict=True) if d]
    kept = [st.source.strip() for st, d in zip(stmts, dirty, strict=True) if not d]
    assert any("write_narrative" in s for s in rerun)
    assert any(s.startswith("HTML(report.") for s in rerun)
    assert any("topic_charts" in s for s in kept)
    assert not any("topic_charts" in s for s in rerun)
    assert not any("load_dataset" in s for s in rerun)  # the data is not read again


def test_names_flow_in_notebook_order():
    stmts = pv.statements(["a = f(x)\nb = 1", "c = a + b", "d = b", "x = 2\ne = x"])
    assert pv.dirty_statements(stmts, {"x"}) == [True, False, True, False, False, True]
    # a cell that does not parse depends on everything
    assert pv.dirty_statements(pv.statements(["a = 1", "def ("]), {"zzz"}) == [False, True]


def test_saved_files_are_classified(tmp_path):
    data, src, nb = tmp_path / "data", tmp_path / "src", tmp_path / "nb.ipynb"
    kw = {"data_dir": data, "sources_dir": src, "notebook": nb}
    assert pv.classify([data / "observations.csv"], **kw) == {pv.DATA}
    assert pv.classify([src / "x.txt"], **kw) == {pv.DATA}
    assert pv.classify([nb], **kw) == {pv.NOTEBOOK}
    assert pv.classify([paths.TEMPLATES_DIR / "narrative_zh.j2"], **kw) == {pv.TEMPLATES}
    assert pv.classify([paths.ASSETS_DIR / "report.css"], **kw) == {pv.ASSETS}
    assert pv.classify([paths.PACKAGE_DIR / "report" / "charts.py"], **kw) == {pv.LIBRARY}
    assert pv.classify([tmp_path / "elsewhere.txt"], **kw) == set()
    keep = pv.watch_filter(nb.resolve())
    assert not keep(None, str(paths.PACKAGE_DIR / "report" / "__pycache__" / "charts.cpython-311.pyc"))
    assert not keep(None, str(data / ".observations.csv.swp"))
    assert keep(None, str(data / "observations.csv"))


def test_the_error_page_shows_the_message_escaped_with_the_reload_script():
    st = pv.State(build=3, ok=False, message="observations.csv, row 2, column 'value': found '<b>'")
    page = pv.served_page(st)
    assert "row 2, column &#x27;value&#x27;: found &#x27;&lt;b&gt;&#x27;" in page
    assert pv.STATE_PATH in page and "var b=3;" in page
    ok = pv.served_page(pv.State(build=4, ok=True, page="<html><body><p>x</p></body></html>"))
    assert ok.index("<p>x</p>") < ok.index("<script>") < ok.index("</body>")


def test_server_binds_localhost_and_a_port_in_use_is_one_line():
    preview = object.__new__(pv.Preview)  # the server only reads its state
    server = pv.make_server(preview, 0)
    try:
        host, port = server.server_address[:2]
        assert host == "127.0.0.1"
        with pytest.raises(ParameterError, match=rf"^port {port} on 127.0.0.1 is in use; "):
            pv.make_server(preview, port)
    finally:
        server.server_close()


# ---------------------------------------------------------------------------
# The real command


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as r:
        return r.read().decode("utf-8")


def _wait_build(base: str, after: int, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):  # not listening yet
            st = json.loads(_get(base + pv.STATE_PATH.lstrip("/")))
            if st["build"] > after and not st["building"]:
                return st
        time.sleep(0.1)
    raise AssertionError(f"no build after {after} within {timeout} s")


@pytest.fixture
def copies(tmp_path):
    data, sources = tmp_path / "data", tmp_path / "sources"
    shutil.copytree(ROOT / "data", data)
    shutil.copytree(paths.sources_dir(), sources)
    return data, sources


def _start(tmp_path, data, sources, port=0):
    env = dict(os.environ, CQREPORT_CACHE=str(tmp_path / "cache"), PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [str(CQREPORT), "preview", "--no-browser", "--data", str(data), "--sources", str(sources),
         "--reports", str(tmp_path / "reports"), "--port", str(port)],
        stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
    line = proc.stderr.readline()
    m = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
    assert m, line + proc.stderr.read()
    return proc, m.group(0)


def _stop(proc) -> str:
    proc.send_signal(signal.SIGINT)  # Ctrl-C
    _, err = proc.communicate(timeout=60)
    return err


@pytest.mark.slow
def test_preview_rebuilds_on_change_shows_a_bad_row_and_recovers(tmp_path, copies):
    import psutil

    data, sources = copies
    proc, base = _start(tmp_path, data, sources)
    try:
        st = _wait_build(base, 0)
        assert st["ok"], st["message"]
        page = _get(base)
        assert "6.54万亿元" in page and pv.STATE_PATH in page
        # the reader sees what `cqreport build` makes of the same files
        from cqreport.engine.pipeline import build
        from cqreport.report.audit import html_to_text

        built = build(lang="zh", formats="html", data_dir=data, reports_dir=tmp_path / "built",
                      jobs=1, progress=False)
        assert built.ok, [r.message for r in built.results]
        built_page = next((tmp_path / "built").glob("*/zh/report.html")).read_text(encoding="utf-8")
        assert html_to_text(page) == html_to_text(built_page)
        out = tmp_path / "reports" / ".preview"
        written = next(out.glob("*/zh/report.html")).read_text(encoding="utf-8")
        assert "6.54万亿元" in written and pv.STATE_PATH not in written  # no script in the file
        assert not list((tmp_path / "reports").glob("20*"))  # reports/<Q>/ untouched
        # only 127.0.0.1 listens
        listening = [c.laddr for c in psutil.Process(proc.pid).net_connections()
                     if c.status == psutil.CONN_LISTEN]
        assert listening and all(a.ip == "127.0.0.1" for a in listening)

        # a changed value: the page shows it
        change_figure(data, sources, "cq_2026q1_presser", "6.54万亿元", "6.53万亿元")
        st = _wait_build(base, st["build"])
        assert st["ok"], st["message"]
        page = _get(base)
        assert "6.53万亿元" in page and "6.54万亿元" not in page

        # a bad row: the page shows the validation message with file, row and column
        obs = data / "observations.csv"
        good = obs.read_text(encoding="utf-8")
        obs.write_text(good.replace(",6.53,万亿元,", ",6.5x,万亿元,", 1), encoding="utf-8")
        st = _wait_build(base, st["build"])
        assert not st["ok"]
        page = _get(base)
        assert "could not be built" in page and "6.53万亿元" not in page
        assert re.search(r"observations\.csv, row 2, column &#x27;value&#x27;: found &#x27;6\.5x&#x27;",
                         page), page[:2000]
        assert "Traceback" not in page
        assert "6.53万亿元" in next(out.glob("*/zh/report.html")).read_text(encoding="utf-8")

        # fixed: the report is back
        obs.write_text(good, encoding="utf-8")
        st = _wait_build(base, st["build"])
        assert st["ok"], st["message"]
        assert "6.53万亿元" in _get(base)

        # the PDF on request
        with urllib.request.urlopen(base + "pdf", timeout=120) as r:
            assert r.headers["Content-Type"] == "application/pdf"
            assert r.read(5) == b"%PDF-"

        # the port is taken now: a second preview says so in one line
        port = base.rstrip("/").rsplit(":", 1)[1]
        second = subprocess.run([str(CQREPORT), "preview", "--no-browser", "--data", str(data),
                                 "--port", port], capture_output=True, text=True, timeout=60)
        assert second.returncode == 1
        assert second.stderr.strip().splitlines() == [
            f"error: port {port} on 127.0.0.1 is in use; expected a free port "
            "(--port N, or --port 0 for any free one)"]
        kids = psutil.Process(proc.pid).children(recursive=True)
        assert kids  # the kernel
    finally:
        err = _stop(proc)
    assert proc.returncode == 0, err
    assert "Traceback" not in err and "preview: stopped" in err
    psutil.wait_procs(kids, timeout=10)
    assert not any(k.is_running() and k.status() != psutil.STATUS_ZOMBIE for k in kids)


@pytest.mark.slow
def test_the_page_reloads_itself_in_chromium(tmp_path, copies):
    from playwright.sync_api import sync_playwright

    from tests.chromium import launch

    data, sources = copies
    proc, base = _start(tmp_path, data, sources)
    try:
        st = _wait_build(base, 0)
        assert st["ok"], st["message"]
        with sync_playwright() as p:
            browser = launch(p)
            page = browser.new_page()
            page.goto(base)
            assert "6.54万亿元" in page.inner_text("body")
            loads = []
            page.on("load", lambda: loads.append(time.monotonic()))
            change_figure(data, sources, "cq_2026q1_presser", "6.54万亿元", "6.53万亿元")
            page.wait_for_function("document.body && document.body.innerText.includes('6.53万亿元')",
                                   timeout=120_000)
            assert loads  # a reload, not an edit in place
            assert "6.54万亿元" not in page.inner_text("body")
            browser.close()
    finally:
        _stop(proc)
