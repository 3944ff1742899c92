"""The review page that can do the whole job (issue 19) and survives any text (issue 20), driven
in headless Chromium: live checks in --append's own words, a missed figure added by selecting
its words, a quote edited and checked as typed, a group accepted, the source row drafted from the
release's header, a figure's history and its doubt; storage keyed to the candidates file.

Releases are real texts of ../shared/sources; the data is a copy of data/ (each test's own).
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from cqreport.extract import extract_file
from cqreport.extract.review import build_review_html, write_review
from cqreport.extract.serve import ReviewServer

from .chromium import launch
from .edits import take_out, unregister

ROOT = Path(__file__).resolve().parents[1]
REAL_DATA = ROOT / "data"
CORRIDOR = "003_2fe010bab30cc1bb.txt"  # registered; the data holds its figures
TAKEN = ("alliance_outlets", "corridor_2026_meeting")  # 服务网点超3000家, taken out of the copy
DOUBTED = "2025-04-28_ichongqing-en-crossborder-q1-2025.txt"  # repeats the doubted $110 billion
NEW_RELEASE = "peers/2025-07-21_tsbk-guangdong-pbocgd-2025H1.txt"  # registered: the test takes it out of its copy
NEW_SOURCE = "tsbk_guangdong_2025h1"


def _read(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        r = csv.DictReader(fh)
        return list(r.fieldnames), list(r)


@pytest.fixture
def data(tmp_path) -> Path:
    d = tmp_path / "data"
    shutil.copytree(REAL_DATA, d)
    return d


def _take_out(data: Path) -> dict[str, str]:
    return take_out(data, *TAKEN)


class _Served:
    """A review server on a free port, in a thread, for one test."""

    def __init__(self, cands: Path, release: Path, data: Path, sources: Path):
        self.server = ReviewServer(cands, release, data, sources, 0)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> ReviewServer:
        self.thread.start()
        return self.server

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def _page(p, url: str):
    browser = launch(p)
    ctx = browser.new_context(accept_downloads=True, viewport={"width": 1300, "height": 1600})
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    page.wait_for_selector("body[data-ready='1']")
    return browser, page, errors


def _checked(page) -> None:
    page.wait_for_timeout(450)  # the page waits 350 ms after the last change before it asks
    page.wait_for_selector("body[data-checked='1']", timeout=120_000)


def _save(page, button: str, folder: Path) -> Path:
    with page.expect_download() as dl:
        page.click(button)
    target = folder / dl.value.suggested_filename
    dl.value.save_as(target)
    return target


def _append(reviewed: Path, data: Path, sources: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cqreport", "extract", str(reviewed), "--append",
                           "--data", str(data), "--sources", str(sources)],
                          capture_output=True, text=True, timeout=300)  # the server's working folder


def _problems(stderr: str) -> list[str]:
    return [line.strip()[2:] for line in stderr.splitlines() if line.strip().startswith("- ")]


# --- issue 20: any text, storage per candidates file, no formula cells --------------------

def test_the_page_survives_comment_and_script_markup_in_any_text(tmp_path, data):
    rel = tmp_path / "rel<!--v2.txt"
    rel.write_text("date: 2026-04-20\n\n<!-- 注释 --></script>截至3月末，全市人民币贷款余额达6.54万亿元。\n",
                   encoding="utf-8")
    out = tmp_path / "c<!--.csv"
    extract_file(rel, out=out, data_dir=data)
    page = build_review_html(out, rel, data)
    body = re.search(r'<script id="review-data" type="application/json">(.*?)</script>', page, re.S)[1]
    assert "<" not in body and json.loads(body)["release"] == "rel<!--v2.txt"
    sync_api = pytest.importorskip("playwright.sync_api")
    path = write_review(out, rel, data)
    with sync_api.sync_playwright() as p:
        browser, pg, errors = _page(p, path.as_uri())
        assert pg.locator("#cards .card").count() == 1
        assert "<!-- 注释 -->" in pg.locator("#release").inner_text()
        browser.close()
    assert errors == []


def test_choices_belong_to_the_exact_candidates_file(tmp_path, data, sources_dir):
    sync_api = pytest.importorskip("playwright.sync_api")
    rel = tmp_path / "release.txt"
    text = (sources_dir / CORRIDOR).read_text(encoding="utf-8")
    rel.write_text(text, encoding="utf-8")
    out = tmp_path / "c.csv"
    extract_file(rel, out=out, data_dir=data)
    page = write_review(out, rel, data)
    with sync_api.sync_playwright() as p:
        browser, pg, _ = _page(p, page.as_uri())
        pg.locator("#cand-1 button[data-status='rejected']").click()
        pg.reload()
        pg.wait_for_selector("body[data-ready='1']")
        assert "rejected" in pg.locator("#cand-1").get_attribute("class")  # kept for this file
        # a new extraction under the same names (the release edited) starts clean
        rel.write_text(text.replace("3000家", "3100家"), encoding="utf-8")
        extract_file(rel, out=out, data_dir=data)
        write_review(out, rel, data)
        pg.reload()
        pg.wait_for_selector("body[data-ready='1']")
        assert "rejected" not in pg.locator("#cand-1").get_attribute("class")
        browser.close()


def test_no_candidates_cell_starts_like_a_formula(tmp_path, data):
    rel = tmp_path / "r.txt"
    rel.write_text("date: 2026-04-20\n\n@全市人民币贷款余额达6.54万亿元。\n-一季度全市社会融资规模新增约2300亿元。\n"
                   "+跨境人民币结算量=1200亿元。\n", encoding="utf-8")
    out = tmp_path / "c.csv"
    ex = extract_file(rel, out=out, data_dir=data)
    assert len(ex.candidates) == 3
    _, rows = _read(out)
    original = rel.read_text(encoding="utf-8")
    for r in rows:
        for col, cell in r.items():
            assert not (cell and cell[0] in "=+-@" and not re.fullmatch(r"-?\d+(?:\.\d+)?", cell)), (col, cell)
        assert original[int(r["quote_start"]):int(r["quote_end"])] == r["quote"]  # still verbatim


# --- issue 19: the page does the whole job ------------------------------------------------

@pytest.mark.slow
def test_live_checks_say_what_append_says(tmp_path, data, sources_dir):
    """Edits are checked by the append's own code as they are made; the list the page shows
    is the list --append prints for the downloaded file."""
    sync_api = pytest.importorskip("playwright.sync_api")
    removed = _take_out(data)
    out = tmp_path / "c.csv"
    extract_file(sources_dir / CORRIDOR, out=out, data_dir=data)
    _, rows = _read(out)
    n = 1 + next(i for i, r in enumerate(rows) if (r["value"], r["unit"]) == ("3000", "家"))
    with _Served(out, sources_dir / CORRIDOR, data, sources_dir) as srv, sync_api.sync_playwright() as p:
        browser, pg, errors = _page(p, srv.url)
        _checked(pg)
        card = pg.locator(f"#cand-{n}")
        for col in ("metric_id", "entity_id", "period_label"):
            card.locator(f"[data-col='{col}']").fill(removed[col])
        # a quote the release does not hold: marked as typed, and named by the check
        card.locator("[data-col='quote']").fill("服务网点超3000家啦")
        assert "bad" in card.locator("[data-col='quote']").get_attribute("class")
        assert card.locator(".quote-missing").count() == 1
        card.locator("[data-col='unit']").fill("万家")
        card.locator("button[data-status='accepted']").click()
        _checked(pg)
        shown = pg.locator("#problems li").all_inner_texts()
        assert any("column 'quote'" in s and "quote-not-in-source" in s for s in shown), shown
        assert any("column 'unit'" in s for s in shown), shown
        assert all(s.startswith(f"candidate {n}:") for s in shown)
        assert card.locator(".warn").inner_text().count(f"candidate {n}:") == len(shown)
        reviewed = _save(pg, "#download", tmp_path)
        res = _append(reviewed, data, sources_dir)
        assert res.returncode == 1 and _problems(res.stderr) == shown
        # corrected: nothing to say, and the append takes it
        card.locator("[data-col='quote']").fill(removed["quote"])
        assert "bad" not in (card.locator("[data-col='quote']").get_attribute("class") or "")
        card.locator("[data-col='unit']").fill(removed["unit"])
        _checked(pg)
        assert pg.locator("#problems li").count() == 0
        reviewed = _save(pg, "#download", tmp_path)
        browser.close()
    assert errors == []
    res = _append(reviewed, data, sources_dir)
    assert res.returncode == 0, res.stderr
    _, after = _read(data / "observations.csv")
    assert after[-1]["quote"] == removed["quote"] and after[-1]["metric_id"] == removed["metric_id"]


@pytest.mark.slow
def test_a_missed_figure_is_added_by_selecting_its_words(tmp_path, data, sources_dir):
    sync_api = pytest.importorskip("playwright.sync_api")
    removed = _take_out(data)
    out = tmp_path / "c.csv"
    ex = extract_file(sources_dir / CORRIDOR, out=out, data_dir=data)
    with out.open(encoding="utf-8-sig", newline="") as fh:  # as if the extractor had missed it
        rows = list(csv.DictReader(fh))
    header = list(rows[0])
    rows = [r for r in rows if (r["value"], r["unit"]) != ("3000", "家")]
    with out.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=header)
        w.writeheader()
        w.writerows(rows)
    page = write_review(out, sources_dir / CORRIDOR, data)
    text = (sources_dir / CORRIDOR).read_text(encoding="utf-8")
    start = text.index(removed["quote"])
    with sync_api.sync_playwright() as p:
        browser, pg, errors = _page(p, page.as_uri())
        before = pg.locator("#cards .card").count()
        pg.evaluate("""([s, e]) => {
            const node = document.getElementById('release').firstChild;
            const r = document.createRange(); r.setStart(node, s); r.setEnd(node, e);
            const sel = window.getSelection(); sel.removeAllRanges(); sel.addRange(r);
            document.dispatchEvent(new Event('selectionchange'));
        }""", [start, start + len(removed["quote"])])
        pg.click("#add-figure")
        assert pg.locator("#cards .card").count() == before + 1
        card = pg.locator("#cards .card").last
        assert card.locator("[data-col='quote']").input_value() == removed["quote"]
        assert card.locator("[data-col='value']").input_value() == removed["value"]
        assert card.locator("[data-col='unit']").input_value() == removed["unit"]
        for col in ("metric_id", "entity_id", "period_end", "period_label", "qualifier"):
            card.locator(f"[data-col='{col}']").fill(removed[col])
        pg.reload()  # the added figure is kept with the other choices
        pg.wait_for_selector("body[data-ready='1']")
        assert pg.locator("#cards .card").count() == before + 1
        reviewed = _save(pg, "#download", tmp_path)
        browser.close()
    assert errors == [] and len(ex.candidates) == len(rows) + 1
    res = _append(reviewed, data, sources_dir)
    assert res.returncode == 0, res.stderr
    _, after = _read(data / "observations.csv")
    for col in ("metric_id", "entity_id", "period_end", "value", "unit", "qualifier", "quote"):
        assert after[-1][col] == removed[col], col


@pytest.mark.slow
def test_a_group_is_accepted_at_once(tmp_path, data, sources_dir):
    sync_api = pytest.importorskip("playwright.sync_api")
    out = tmp_path / "c.csv"
    ex = extract_file(sources_dir / "000_b8a2839b917f43b3.txt", out=out, data_dir=data)
    page = write_review(out, sources_dir / "000_b8a2839b917f43b3.txt", data)
    payload = json.loads(re.search(r'application/json">(.*?)</script>', page.read_text(encoding="utf-8"),
                                   re.S)[1])
    sections = {c["n"]: c["section"] for c in payload["candidates"]}
    sec = max(set(sections.values()), key=lambda s: sum(
        1 for c in ex.candidates if sections[ex.candidates.index(c) + 1] == s and c.confidence >= 0.9))
    want = {i + 1 for i, c in enumerate(ex.candidates) if sections[i + 1] == sec and c.confidence >= 0.9
            and c.row["metric_id"] != "unknown"}
    assert want
    with sync_api.sync_playwright() as p:
        browser, pg, _ = _page(p, page.as_uri())
        pg.select_option("#group-section", str(sec))
        pg.fill("#group-min", "0.9")
        pg.click("#accept-group")
        got = {int(x.get_attribute("data-n")) for x in pg.locator("#cards .card.accepted").all()}
        browser.close()
    assert got == want


@pytest.mark.slow
def test_a_new_release_is_registered_from_its_drafted_source_row(tmp_path, data, sources_dir):
    """The release is not in sources.csv: the page drafts its row from the header; the analyst
    fills the labels in the other language, accepts it and a figure, and one append adds both."""
    sync_api = pytest.importorskip("playwright.sync_api")
    sources = tmp_path / "sources"
    shutil.copytree(sources_dir, sources)
    unregister(data, NEW_SOURCE)
    rel = sources / NEW_RELEASE
    out = tmp_path / "c.csv"
    extract_file(rel, out=out, data_dir=data, sources_dir=sources)
    _, rows = _read(out)
    loans = 1 + next(i for i, r in enumerate(rows) if r["value"] == "29.6")
    with _Served(out, rel, data, sources) as srv, sync_api.sync_playwright() as p:
        browser, pg, errors = _page(p, srv.url)
        src = pg.locator("#source .card")
        assert src.locator("[data-col='url']").input_value() == "https://www.tsbk.net/news/ZOLO0Dw2o9.html"
        assert src.locator("[data-col='date']").input_value() == "2025-07-21"
        assert src.locator("[data-col='file']").input_value() == NEW_RELEASE
        assert src.locator("[data-col='title_zh']").input_value() == "广东贷款增速三连升!支撑经济回升向好"
        assert src.locator("[data-col='title_en']").input_value() == ""
        pg.locator(f"#cand-{loans} button[data-status='accepted']").click()
        src.locator("button[data-status='accepted']").click()
        _checked(pg)
        shown = pg.locator("#problems li").all_inner_texts()
        assert any("source row 1:" in s and "title_en" in s for s in shown), shown
        for col, value in (("title_en", "Guangdong's loan growth rises for a third month"),
                           ("publisher", "太平洋时报（转载）"), ("publisher_zh", "太平洋时报（转载）"),
                           ("publisher_en", "Taiping Times (repost)")):
            src.locator(f"[data-col='{col}']").fill(value)
        _checked(pg)
        assert pg.locator("#problems li").all_inner_texts() == []
        reviewed = _save(pg, "#download", tmp_path)
        _save(pg, "#download-source", tmp_path)
        browser.close()
    assert errors == []
    res = _append(reviewed, data, sources)
    assert res.returncode == 0, res.stderr
    assert "added 1 source(s) to sources.csv: tsbk_guangdong_pbocgd_2025h1" in res.stdout
    _, srcs = _read(data / "sources.csv")
    assert srcs[-1]["file"] == NEW_RELEASE and srcs[-1]["title_en"].startswith("Guangdong")
    _, obs = _read(data / "observations.csv")
    assert (obs[-1]["value"], obs[-1]["entity_id"], obs[-1]["source_id"]) == \
        ("29.6", "guangdong", "tsbk_guangdong_pbocgd_2025h1")


@pytest.mark.slow
def test_a_repeat_of_a_doubted_figure_keeps_the_doubt(tmp_path, data, sources_dir):
    """A mirror of the English release repeats "$110 billion", which the curated data doubts:
    the extraction says the release is a mirror, the page shows the curated row and its
    caution, the candidate carries the doubt, and dropping it needs a reason (validation
    checks it, so --append and the page do too)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    _, obs = _read(data / "observations.csv")
    [doubted] = [r for r in obs if r["value"] == "110" and r["caution"]]
    sources = tmp_path / "sources"
    shutil.copytree(sources_dir, sources)
    text = (sources / DOUBTED).read_text(encoding="utf-8")
    mirror = sources / "2025-04-29_mirror-ichongqing-crossborder-q1-2025.txt"
    mirror.write_text(text.replace("source: ", "source: https://mirror.example.org/ (repost of) ", 1),
                      encoding="utf-8")
    out = tmp_path / "c.csv"
    ex = extract_file(mirror, out=out, data_dir=data, sources_dir=sources)
    assert any("mirror or repost" in w for w in ex.warnings), ex.warnings
    _, rows = _read(out)
    n = 1 + next(i for i, r in enumerate(rows) if r["value"] == "110")
    # the doubt is inherited in both languages; what the reviewer should know is in the reason
    assert (rows[n - 1]["caution"], rows[n - 1]["caution_zh"]) == (doubted["caution"], doubted["caution_zh"])
    assert "repeats the doubted figure of row" in rows[n - 1]["reason"]
    assert rows[n - 1]["note"] == ""
    with _Served(out, mirror, data, sources) as srv, sync_api.sync_playwright() as p:
        browser, pg, errors = _page(p, srv.url)
        card = pg.locator(f"#cand-{n}")
        assert doubted["caution"][:40] in card.locator(".history").inner_text()
        src = pg.locator("#source .card")
        for col, value in (("title_zh", "重庆优质企业跨境贸易结算1100亿美元（镜像）"),
                           ("title_en", "Chongqing Records $110 Billion in Cross-Border Trade Settlement (mirror)"),
                           ("publisher", "mirror.example.org"), ("publisher_zh", "镜像站 mirror.example.org"),
                           ("publisher_en", "mirror.example.org (repost)")):
            src.locator(f"[data-col='{col}']").fill(value)
        src.locator("button[data-status='accepted']").click()
        for col in ("metric_id", "entity_id", "period_start", "period_end", "qualifier", "period_label"):
            card.locator(f"[data-col='{col}']").fill(doubted[col])
        card.locator("button[data-status='accepted']").click()
        _checked(pg)
        assert pg.locator("#problems li").all_inner_texts() == []  # the doubt is kept
        card.locator("[data-col='caution']").fill("")
        card.locator("[data-col='caution_zh']").fill("")
        _checked(pg)
        shown = pg.locator("#problems li").all_inner_texts()
        assert len(shown) == 1 and f"candidate {n}:" in shown[0] and "doubt-dropped" in shown[0], shown
        card.locator("[data-col='note']").fill("caution cleared: a second outlet gives the same figure")
        card.locator("[data-col='note_zh']").fill("存疑已解除：另一家媒体给出相同数字")
        _checked(pg)
        assert pg.locator("#problems li").all_inner_texts() == []
        browser.close()
    assert errors == []


def test_the_review_server_answers_its_own_page_only(tmp_path, data, sources_dir):
    """Bound to 127.0.0.1, it refuses another Host (DNS rebinding) and a check without the
    page's token (another page posting to it), and takes a bounded body."""
    import http.client

    out = tmp_path / "c.csv"
    extract_file(sources_dir / CORRIDOR, out=out, data_dir=data)
    with _Served(out, sources_dir / CORRIDOR, data, sources_dir) as srv:
        port = srv.server_address[1]

        def ask(method: str, path: str, host: str, body: bytes = b"", headers: dict | None = None):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            conn.request(method, path, body=body, headers={"Host": host, **(headers or {})})
            res = conn.getresponse()
            return res.status, res.read()

        assert ask("GET", "/", "evil.example:80")[0] == 421
        status, page = ask("GET", "/", f"localhost:{port}")
        assert status == 200 and srv.token.encode() in page
        body = json.dumps({"header": ["status"], "rows": [], "sides": {}}).encode()
        json_type = {"Content-Type": "application/json"}
        assert ask("POST", "/check", f"127.0.0.1:{port}", body, json_type)[0] == 403
        token = {"X-Review-Token": srv.token, **json_type}
        status, answer = ask("POST", "/check", f"127.0.0.1:{port}", body, token)
        assert status == 200 and "problems" in json.loads(answer)
        assert ask("POST", "/check", f"127.0.0.1:{port}", b"{", token)[0] == 400


def test_review_refuses_a_file_that_is_no_candidates_file(tmp_path):
    res = subprocess.run([sys.executable, "-m", "cqreport", "review", str(REAL_DATA / "metrics.csv"),
                          str(REAL_DATA / "metrics.csv"), "--no-browser"], capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 1 and res.stderr.startswith("error: ") and "not a candidates file" in res.stderr
