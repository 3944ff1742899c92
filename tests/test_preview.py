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
import urllib.error
import urllib.request
from pathlib import Path

import nbformat
import pytest

from cqreport.core import paths
from cqreport.engine import preview as pv
from cqreport.engine import server as srv
from cqreport.engine import warm
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
    stmts = warm.statements(_code())
    dirty = warm.dirty_statements(stmts, {"narrative"})
    rerun = [st.source.strip() for st, d in zip(stmts, dirty, strict=True) if d]
    kept = [st.source.strip() for st, d in zip(stmts, dirty, strict=True) if not d]
    assert any("write_narrative" in s for s in rerun)
    assert any(s.startswith("HTML(report.") for s in rerun)
    assert any("topic_charts" in s for s in kept)
    assert not any("topic_charts" in s for s in rerun)
    assert not any("load_dataset" in s for s in rerun)  # the data is not read again


def test_names_flow_in_notebook_order():
    stmts = warm.statements(["a = f(x)\nb = 1", "c = a + b", "d = b", "x = 2\ne = x"])
    assert warm.dirty_statements(stmts, {"x"}) == [True, False, True, False, False, True]
    # a cell that does not parse depends on everything
    assert warm.dirty_statements(warm.statements(["a = 1", "def ("]), {"zzz"}) == [False, True]


def test_saved_files_are_classified(tmp_path):
    data, src, nb = tmp_path / "data", tmp_path / "src", tmp_path / "nb.ipynb"
    kw = {"data_dir": data, "sources_dir": src, "notebook": nb}
    assert pv.classify([data / "observations.csv"], **kw) == {warm.DATA}
    assert pv.classify([src / "x.txt"], **kw) == {warm.DATA}
    assert pv.classify([nb], **kw) == {warm.NOTEBOOK}
    assert pv.classify([paths.TEMPLATES_DIR / "narrative_zh.j2"], **kw) == {warm.TEMPLATES}
    assert pv.classify([paths.ASSETS_DIR / "report.css"], **kw) == {warm.ASSETS}
    assert pv.classify([paths.PACKAGE_DIR / "report" / "charts.py"], **kw) == {warm.LIBRARY}
    assert pv.classify([tmp_path / "elsewhere.txt"], **kw) == set()
    keep = pv.watch_filter(nb.resolve())
    assert not keep(None, str(paths.PACKAGE_DIR / "report" / "__pycache__" / "charts.cpython-311.pyc"))
    assert not keep(None, str(data / ".observations.csv.swp"))
    assert keep(None, str(data / "observations.csv"))


def test_the_error_page_shows_the_message_escaped_with_the_reload_script():
    st = srv.State(build=3, ok=False, message="observations.csv, row 2, column 'value': found '<b>'")
    page = srv.served_page(st)
    assert "row 2, column &#x27;value&#x27;: found &#x27;&lt;b&gt;&#x27;" in page
    assert srv.STATE_PATH in page and "var b=3;" in page
    ok = srv.served_page(srv.State(build=4, ok=True, pages={"report": "<html><body><p>x</p></body></html>"}))
    assert ok.index("<p>x</p>") < ok.index("<script>") < ok.index("</body>")


def test_server_binds_localhost_and_a_port_in_use_is_one_line(tmp_path):
    printer = srv.PdfPrinter(tmp_path, srv.print_with_limit)
    server = srv.make_server(srv.State, printer, 0)
    try:
        host, port = server.server_address[:2]
        assert host == "127.0.0.1"
        with pytest.raises(ParameterError, match=rf"^port {port} on 127.0.0.1 is in use; "):
            srv.make_server(srv.State, printer, port)
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
            st = json.loads(_get(base + srv.STATE_PATH.lstrip("/")))
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


def _concurrently(urls: list[str], timeout: float) -> list[tuple[int, str, bytes]]:
    """GET every URL at once; (status, content type, body) of each."""
    from concurrent.futures import ThreadPoolExecutor

    def get(url: str) -> tuple[int, str, bytes]:
        try:
            with urllib.request.urlopen(url, timeout=timeout) as r:
                return r.status, r.headers["Content-Type"], r.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.headers["Content-Type"], exc.read()

    with ThreadPoolExecutor(len(urls)) as pool:
        return list(pool.map(get, urls))


def _stop(proc) -> str:
    proc.send_signal(signal.SIGINT)  # Ctrl-C
    _, err = proc.communicate(timeout=60)
    return err


@pytest.mark.slow
def test_preview_in_a_browser_rebuilds_on_change_shows_a_bad_row_and_recovers(tmp_path, copies):
    import psutil

    data, sources = copies
    proc, base = _start(tmp_path, data, sources)
    try:
        st = _wait_build(base, 0)
        assert st["ok"], st["message"]
        page = _get(base)
        assert "6.54万亿元" in page and srv.STATE_PATH in page
        # the report's footnotes open the evidence the preview serves and wrote beside it
        evidence = _get(base + "evidence.html")
        links = set(re.findall(r'href="evidence\.html#([^"]+)"', page))
        assert links and links <= set(re.findall(r'\bid="([^"]+)"', evidence))
        written_evidence = next((tmp_path / "reports" / ".preview").glob("*/zh/evidence.html"))
        assert html_to_text_of(written_evidence.read_text(encoding="utf-8")) == html_to_text_of(evidence)
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
        assert "6.54万亿元" in written and srv.STATE_PATH not in written  # no script in the file
        assert not list((tmp_path / "reports").glob("20*"))  # reports/<Q>/ untouched
        # only 127.0.0.1 listens
        listening = [c.laddr for c in psutil.Process(proc.pid).net_connections()
                     if c.status == psutil.CONN_LISTEN]
        assert listening and all(a.ip == "127.0.0.1" for a in listening)

        # a changed value: the page in the browser reloads itself and shows it
        _reloads_in_chromium(base, lambda: change_figure(data, sources, "cq_2026q1_presser",
                                                         "6.54万亿元", "6.53万亿元"))
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

        # the PDF on request: six at once get one print, the same whole file (issue 20: six
        # prints, three cut short), within a bounded time
        t0 = time.monotonic()
        answers = _concurrently([base + "pdf"] * 6, timeout=120)
        assert time.monotonic() - t0 < 120
        pdfs = {body for code, ctype, body in answers if code == 200}
        assert len(pdfs) == 1 and all(code in (200, 503) for code, _, _ in answers), answers
        (pdf,) = pdfs
        assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
        assert all(ctype == "application/pdf" for code, ctype, _ in answers if code == 200)
        assert json.loads(_get(base + srv.STATE_PATH.lstrip("/")))["pdf_prints"] == 1
        # another site rebinding its name to 127.0.0.1 is not answered (issue 20)
        port = base.rstrip("/").rsplit(":", 1)[1]
        for host in ("evil.example", f"evil.example:{port}", "127.0.0.1:1"):
            req = urllib.request.Request(base + "pdf", headers={"Host": host})
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(req, timeout=30)
            assert refused.value.code == 421
        assert json.loads(_get(base + srv.STATE_PATH.lstrip("/")))["pdf_prints"] == 1

        # the port is taken now: a second preview says so in one line
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


def html_to_text_of(page: str) -> str:
    from cqreport.report.audit import html_to_text

    return html_to_text(re.sub(r"<script\b.*?</script>", "", page, flags=re.S))


def _reloads_in_chromium(base: str, change) -> None:
    """The served page, open in Chromium, reloads itself after ``change`` and shows the new value."""
    from playwright.sync_api import sync_playwright

    from tests.chromium import launch

    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page()
        page.goto(base)
        assert "6.54万亿元" in page.inner_text("body")
        # a footnote opens the evidence at its entry
        link = page.locator('a[href^="evidence.html#ref-"]').first
        target = link.get_attribute("href").split("#", 1)[1]
        link.click()
        page.wait_for_url(f"**/evidence.html#{target}")
        assert page.locator(f"#{target}").is_visible()
        page.goto(base)
        loads = []
        page.on("load", lambda: loads.append(time.monotonic()))
        change()
        page.wait_for_function("document.body && document.body.innerText.includes('6.53万亿元')",
                               timeout=120_000)
        assert loads  # a reload, not an edit in place
        assert "6.54万亿元" not in page.inner_text("body")
        browser.close()


# ---------------------------------------------------------------------------
# The server: one print at a time, only its own address


def _serve(printer, state):
    import threading

    server = srv.make_server(lambda: state, printer, 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def test_concurrent_pdf_requests_share_one_print_or_are_told_busy(tmp_path):
    prints = []

    def slow_print(page, target, limit):
        prints.append(page)
        time.sleep(1.0)  # a print takes a while: the others arrive meanwhile
        srv.print_with_limit(page, target, limit)

    state = srv.State(build=7, ok=True, building=False,
                      pages={"report": "<html><body><h1>重庆 preview</h1></body></html>"})
    printer = srv.PdfPrinter(tmp_path / "pdf", slow_print, waiters=3)
    server, base = _serve(printer, state)
    try:
        t0 = time.monotonic()
        answers = _concurrently([base + "pdf"] * 8, timeout=60)
        assert time.monotonic() - t0 < 30
    finally:
        server.shutdown()
        server.server_close()
    codes = sorted(code for code, _, _ in answers)
    assert codes.count(200) >= 1 and set(codes) <= {200, 503}, codes
    assert codes.count(503) >= 8 - 1 - 3           # beyond the printer and 3 waiters: busy
    bodies = {body for code, _, body in answers if code == 200}
    assert len(bodies) == 1 and len(prints) == 1    # one print, one file for everyone
    (pdf,) = bodies
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    busy = next(body for code, _, body in answers if code == 503)
    assert b"try again" in busy
    assert [p.name for p in (tmp_path / "pdf").iterdir()] == ["report-7.pdf"]  # no part file


def test_the_evidence_is_served_beside_the_report_and_printed_once(tmp_path):
    prints = []

    def counted(page, target, limit):
        prints.append(target.name)
        srv.print_with_limit(page, target, limit)

    state = srv.State(build=3, ok=True, building=False, pages={
        "report": '<html><body><p>余额<a href="evidence.html#ref-1">[1]</a></p></body></html>',
        "evidence": '<html><body><div id="ref-1">证据原文</div></body></html>'})
    printer = srv.PdfPrinter(tmp_path / "pdf", counted)
    server, base = _serve(printer, state)
    try:
        assert "证据原文" in _get(base + "evidence.html") and "证据原文" not in _get(base)
        answers = _concurrently([base + "evidence.pdf", base + "pdf"] * 3, timeout=60)
        assert [code for code, _, _ in answers] == [200] * 6
        evidence_pdf, report_pdf = answers[0][2], answers[1][2]
        assert {a[2] for a in answers[::2]} == {evidence_pdf} and {a[2] for a in answers[1::2]} == {report_pdf}
        assert "证据原文" in pdf_to_text_bytes(evidence_pdf, tmp_path)
        assert "证据原文" not in pdf_to_text_bytes(report_pdf, tmp_path)
    finally:
        server.shutdown()
        server.server_close()
    assert sorted(prints) == ["evidence-3.pdf", "report-3.pdf"]   # one print of each
    assert sorted(p.name for p in (tmp_path / "pdf").iterdir()) == ["evidence-3.pdf", "report-3.pdf"]


def pdf_to_text_bytes(data: bytes, folder) -> str:
    from cqreport.report.audit import pdf_to_text

    path = folder / "read.pdf"
    path.write_bytes(data)
    return pdf_to_text(path)


def test_a_print_that_runs_too_long_is_stopped_and_said(tmp_path):
    printer = srv.PdfPrinter(tmp_path, srv.print_with_limit, limit=0.01)
    state = srv.State(build=1, ok=True, building=False, pages={"report": "<html><body>" + "<p>重庆</p>" * 4000
                                                                     + "</body></html>"})
    with pytest.raises(srv.BuildError, match="did not print the PDF within"):
        printer.pdf(state)
    assert not list(tmp_path.glob("*.pdf")) and not list(tmp_path.glob(".*part"))


def test_only_requests_addressed_to_the_preview_are_answered(tmp_path):
    printer = srv.PdfPrinter(tmp_path, srv.print_with_limit)
    state = srv.State(build=1, ok=True, building=False, pages={"report": "<html><body>secret</body></html>"})
    server, base = _serve(printer, state)
    port = server.server_address[1]
    try:
        for host, code in ((f"127.0.0.1:{port}", 200), (f"localhost:{port}", 200),
                           ("evil.example", 421), (f"evil.example:{port}", 421),
                           (f"127.0.0.1:{port + 1}", 421), ("", 421)):
            req = urllib.request.Request(base, headers={"Host": host})
            try:
                with urllib.request.urlopen(req, timeout=10) as r:
                    got, body = r.status, r.read()
            except urllib.error.HTTPError as exc:
                got, body = exc.code, exc.read()
            assert got == code, host
            assert (b"secret" in body) == (code == 200)
    finally:
        server.shutdown()
        server.server_close()
    assert printer.prints == 0
