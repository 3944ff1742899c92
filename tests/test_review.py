"""The review page: every candidate in its sentence, reviewed in a real browser, appended.

The release is the corridor meeting text (003) the curated data already holds; one curated
row is taken out of a data copy so that the review and the append can bring it back.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cqreport.extract.append import append_candidates
from cqreport.extract.review import build_review_html, looks_like_candidates, sentence_around, write_review

from .chromium import launch
from .edits import take_out

ROOT = Path(__file__).resolve().parents[1]
REAL_DATA = ROOT / "data"
RELEASE = "003_2fe010bab30cc1bb.txt"
TAKEN = ("alliance_outlets", "corridor_2026_meeting")


def _read(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        r = csv.DictReader(fh)
        return list(r.fieldnames), list(r)


def _write(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=header)
        w.writeheader()
        w.writerows(rows)


@pytest.fixture
def data_copy(tmp_path) -> tuple[Path, dict[str, str]]:
    """A data copy without the 服务网点超3000家 row, and that row."""
    data = tmp_path / "data"
    shutil.copytree(REAL_DATA, data)
    return data, take_out(data, *TAKEN)


def _extract(tmp_path: Path, data: Path, sources_dir: Path) -> Path:
    out = tmp_path / "c.csv"
    res = subprocess.run([sys.executable, "-m", "cqreport", "extract", str(sources_dir / RELEASE),
                          "--out", str(out), "--data", str(data)], capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 0, res.stderr
    assert "c.review.html" in res.stderr and "c.reviewed.csv --append" in res.stderr
    return out


def _payload(page_html: str) -> dict:
    m = re.search(r'<script id="review-data" type="application/json">(.*?)</script>', page_html, re.S)
    return json.loads(m.group(1))


# --- without a browser ------------------------------------------------------------------

def test_extract_writes_a_self_contained_review_page(tmp_path, data_copy, sources_dir):
    data, _ = data_copy
    out = _extract(tmp_path, data, sources_dir)
    page = (tmp_path / "c.review.html").read_text(encoding="utf-8")
    # nothing loaded from anywhere: no external script, style, image or font
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "@import" not in page and "url(http" not in page
    _, rows = _read(out)
    data_ = _payload(page)
    assert len(data_["candidates"]) == len(rows) > 0
    text = (sources_dir / RELEASE).read_text(encoding="utf-8")
    for c in data_["candidates"]:
        ctx = c["context"]
        assert ctx["found"] and ctx["quote"] == text[int(c["row"]["quote_start"]):int(c["row"]["quote_end"])]
        assert (ctx["before"] + ctx["quote"] + ctx["after"]) in text


def test_markup_in_a_release_cannot_close_the_data_script(tmp_path, data_copy):
    data, _ = data_copy
    rel = tmp_path / "hostile.txt"
    rel.write_text("date: 2026-04-20\n\n</script><script>window.pwned=1</script>"
                   "\n截至3月末，全市人民币贷款余额达6.54万亿元，同比增长6.8%"
                   "<img src=x onerror=\"window.pwned=2\">。\n",
                   encoding="utf-8")
    out = tmp_path / "h.csv"
    from cqreport.extract import extract_file

    extract_file(rel, out=out, data_dir=data, source_id="cq_2026q1_presser")
    page = build_review_html(out, rel, data)
    body = page.split('<script id="review-data"', 1)[1].split("</script>", 1)[0]
    assert "<script>window.pwned" not in body and "<img" not in page.split("<body>", 1)[1].split("<script", 1)[0]
    assert any("6.54" in c["context"]["quote"] for c in _payload(page)["candidates"])


def test_sentence_around_stops_at_sentence_ends():
    t = "Loans rose 5%. Outstanding RMB loans were 6.54 trillion yuan at end-March. Next."
    i = t.index("6.54")
    s, e = sentence_around(t, i, i + 4)
    assert t[s:e] == "Outstanding RMB loans were 6.54 trillion yuan at end-March."


def test_a_candidates_file_is_recognised(tmp_path, data_copy, sources_dir):
    data, _ = data_copy
    out = _extract(tmp_path, data, sources_dir)
    assert looks_like_candidates(out)
    assert not looks_like_candidates(sources_dir / RELEASE)


def test_write_review_replaces_the_page_atomically(tmp_path, data_copy, sources_dir):
    data, _ = data_copy
    out = _extract(tmp_path, data, sources_dir)
    page = write_review(out, sources_dir / RELEASE, data)
    assert page.name == "c.review.html" and not list(tmp_path.glob(".*.tmp"))


# --- in a real browser ------------------------------------------------------------------

@pytest.mark.slow
def test_review_in_chromium_then_append(tmp_path, data_copy, sources_dir):
    """An analyst opens the page offline, accepts the corrected 3000 家 candidate, rejects
    another, downloads the reviewed CSV and appends it: the curated row is back."""
    sync_api = pytest.importorskip("playwright.sync_api")
    data, removed = data_copy
    out = _extract(tmp_path, data, sources_dir)
    header, rows = _read(out)
    # the columns the extractor helper is adding: suggestions and reason, rendered when present
    if "suggestions" not in header:
        header.insert(header.index("confidence") + 1, "suggestions")
        header.insert(header.index("suggestions") + 1, "reason")
        for r in rows:
            r["suggestions"], r["reason"] = "", ""
    target = next(i for i, r in enumerate(rows) if (r["value"], r["unit"]) == ("3000", "家"))
    rows[target]["suggestions"] = f"{removed['metric_id']}:0.62|alliance_members:0.21"
    rows[target]["reason"] = "test: two catalogue names fit"
    _write(out, header, rows)
    page_path = write_review(out, sources_dir / RELEASE, data)

    requests = []
    with sync_api.sync_playwright() as p:
        browser = launch(p)
        ctx = browser.new_context(accept_downloads=True)
        page = ctx.new_page()
        page.on("request", lambda r: requests.append(r.url))
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(page_path.as_uri())
        page.wait_for_selector("body[data-ready='1']")
        cards = page.locator("#cards .card")
        assert cards.count() == len(rows)
        card = page.locator(f"#cand-{target + 1}")
        # the figure in its sentence, highlighted
        assert card.locator("mark").inner_text() == rows[target]["quote"]
        assert card.locator("mark b").inner_text() == "3000"
        assert rows[target]["confidence"] in card.inner_text()
        assert "two catalogue names fit" in card.inner_text()
        # a suggestion fills the metric; the analyst corrects entity and label, then accepts
        card.locator(f"button[data-metric='{removed['metric_id']}']").click()
        assert card.locator("input[data-col='metric_id']").input_value() == removed["metric_id"]
        card.locator("input[data-col='entity_id']").fill(removed["entity_id"])
        card.locator("input[data-col='period_label']").fill(removed["period_label"])
        card.locator("button[data-status='accepted']").click()
        other = page.locator("#cand-1")
        other.locator("button[data-status='rejected']").click()
        assert "1 accepted · 1 rejected" in page.locator("#counts").inner_text()
        # the filter finds a candidate by its text
        page.fill("#filter", "服务网点")
        assert page.locator("#cards .card:not(.hidden)").count() >= 1
        assert page.locator("#cards .card.hidden").count() >= 1
        page.fill("#filter", "")
        # choices survive a reload (kept in the browser until downloaded)
        page.reload()
        page.wait_for_selector("body[data-ready='1']")
        assert "1 accepted · 1 rejected" in page.locator("#counts").inner_text()
        with page.expect_download() as dl:
            page.click("#download")
        reviewed = tmp_path / dl.value.suggested_filename
        dl.value.save_as(reviewed)
        page.screenshot(path=str(tmp_path / "review.png"), full_page=False)
        browser.close()
    assert errors == []
    assert reviewed.name == "c.reviewed.csv"
    # offline: the page itself and the Blob of the download, nothing else
    assert all(u.startswith(("file:", "blob:", "data:")) for u in requests), requests

    rheader, rrows = _read(reviewed)
    assert rheader == header
    assert [r["status"] for r in rrows].count("accepted") == 1
    assert rrows[0]["status"] == "rejected"
    acc = rrows[target]
    assert (acc["metric_id"], acc["entity_id"], acc["period_label"]) == \
        (removed["metric_id"], removed["entity_id"], removed["period_label"])
    before = (data / "observations.csv").read_bytes()
    res = subprocess.run([sys.executable, "-m", "cqreport", "extract", str(reviewed), "--append",
                          "--data", str(data), "--sources", str(sources_dir)],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    after = (data / "observations.csv").read_bytes()
    assert after.startswith(before)
    [added] = list(csv.DictReader(io.StringIO(after[len(before):].decode()), fieldnames=list(removed)))
    for col in ("metric_id", "entity_id", "period_end", "value", "unit", "qualifier", "source_id", "quote"):
        assert added[col] == removed[col], col


@pytest.mark.slow
def test_release_markup_does_not_run_in_the_page(tmp_path, data_copy):
    sync_api = pytest.importorskip("playwright.sync_api")
    data, _ = data_copy
    rel = tmp_path / "hostile.txt"
    rel.write_text("date: 2026-04-20\n\n<script>window.pwned=1</script>\n截至3月末，全市人民币贷款余额达"
                   "6.54万亿元，同比增长6.8%<img src=x onerror=\"window.pwned=2\">。\n", encoding="utf-8")
    from cqreport.extract import extract_file

    out = tmp_path / "h.csv"
    extract_file(rel, out=out, data_dir=data, source_id="cq_2026q1_presser")
    page_path = write_review(out, rel, data)
    with sync_api.sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page()
        page.goto(page_path.as_uri())
        page.wait_for_selector("body[data-ready='1']")
        assert page.evaluate("window.pwned") is None
        assert page.locator("#cards img").count() == 0
        assert "<img src=x" in page.locator("#cards").inner_text()
        browser.close()


def test_append_takes_the_reviewed_metrics_file_beside_it(tmp_path, data_copy, sources_dir):
    """The page downloads C.reviewed.metrics.csv beside C.reviewed.csv: the append finds it."""
    from cqreport.extract.append import metrics_path_for

    assert metrics_path_for(tmp_path / "c.reviewed.csv").name == "c.reviewed.metrics.csv"
    data, _ = data_copy
    out = _extract(tmp_path, data, sources_dir)
    result = append_candidates(out, data, sources_dir)  # nothing accepted yet
    assert result.added == 0
