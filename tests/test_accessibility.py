"""The report as a reader with assistive technology gets it (issue 21, "Accessible and archival").

- The PDF is tagged PDF/UA-1 (WeasyPrint's ``pdf_variant``), with the page's language and title,
  and passes page's PDF/UA-1 validator (``page-validation`` on PyPI: Rust, no JVM, veraPDF's
  corpus as its gate); the same validator refuses the untagged PDF the build used to print.
- The HTML, report and evidence, passes axe-core in Debian's Chromium with no serious or critical
  violation; axe finds them on the same page once the page loses its alt texts and language.
- Every chart has a text alternative in the report's language, from its data (what is drawn,
  the span, the latest value, the direction), the same in the HTML's ``<img alt>`` and the
  PDF's /Alt, and links to its data table in the evidence document.

The reports are the session's real builds (``real_reports`` of tests/test_build.py: the latest
quarter and an earlier one, zh and en), read back; nothing here builds a report again.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import page as pdf_validator
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import sync_playwright
from pypdf import PdfReader

from cqreport.analysis.quarter import quarter_data
from cqreport.core.phrases import period_phrase
from cqreport.core.vocab import report_topics, word
from cqreport.engine import export, verify
from cqreport.report.chartdata import topic_chart_data
from cqreport.report.charts import latest_text, series_label

from .chromium import launch
from .test_build import real_reports, report_quarters  # noqa: F401  (the session's built reports)

pytestmark = pytest.mark.slow

LANGS = ("zh", "en")
HTML_LANG = {"zh": "zh-CN", "en": "en"}
#: axe-core's impacts that fail the report (WCAG 2 A/AA errors a reader cannot get around)
BLOCKING = ("serious", "critical")
CJK = re.compile(r"[\u4e00-\u9fff]")


def _reports(real_reports: Path, quarters: list[str]):  # noqa: F811
    return [(q, lang, real_reports / q / lang) for q in quarters for lang in LANGS]


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = launch(p)
        yield b
        b.close()


def _evidence_page(folder: Path, lang: str, tmp: Path) -> Path:
    """The evidence document beside the report; until the build writes it, the evidence the
    notebook recorded, in the report's own page shell (export_html, as the build would)."""
    built = folder / "evidence.html"
    if built.is_file():
        return built
    record = verify.read_record(nbformat.read(folder / "report.ipynb", as_version=4))
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(outputs=[
        nbformat.v4.new_output("display_data", data={"text/html": record.evidence_html})])])
    tmp.mkdir(parents=True, exist_ok=True)
    out = tmp / "evidence.html"
    out.write_text(export.export_html(nb, lang), encoding="utf-8")
    return out


def _axe(browser, path: Path, mutate: str = "") -> list[dict]:
    page = browser.new_page()
    try:
        page.goto(path.as_uri())
        if mutate:
            page.evaluate(mutate)
        return Axe().run(page).response["violations"]
    finally:
        page.close()


def _blocking(violations: list[dict]) -> list[str]:
    return [f"{v['impact']} {v['id']} ({len(v['nodes'])}): {v['help']}; first: {v['nodes'][0]['html'][:120]}"
            for v in violations if v["impact"] in BLOCKING]


# ------------------------------------------------------------------------- HTML: axe-core


def test_html_report_and_evidence_pass_axe_core(real_reports, report_quarters, browser, tmp_path):  # noqa: F811
    found = {}
    for q, lang, d in _reports(real_reports, report_quarters):
        for doc in (d / "report.html", _evidence_page(d, lang, tmp_path / q / lang)):
            violations = _axe(browser, doc)
            assert not _blocking(violations), (q, lang, doc.name, _blocking(violations))
            found[(q, lang, doc.name)] = [v["id"] for v in violations]
    assert len(found) == 4 * len(report_quarters)


def test_axe_core_finds_a_page_without_alt_texts_and_language(real_reports, report_quarters, browser):  # noqa: F811
    """The check above can fail: the same real page, its charts' alt texts and <html lang>
    taken away and its captions faded, fails it."""
    d = real_reports / report_quarters[0] / "zh"
    broken = ("document.documentElement.removeAttribute('lang');"
              "document.querySelectorAll('figure.cq-chart img').forEach(i => i.removeAttribute('alt'));"
              "document.querySelectorAll('figcaption').forEach(c => c.style.color = '#c8c8c8');")
    ids = {v["id"] for v in _axe(browser, d / "report.html", broken) if v["impact"] in BLOCKING}
    assert {"image-alt", "html-has-lang", "color-contrast"} <= ids, ids


# ------------------------------------------------------------------------- PDF: PDF/UA-1


def _struct_figures(reader: PdfReader) -> list[str]:
    """The /Alt of every /Figure of the PDF's structure tree, in reading order."""
    out: list[str] = []

    def walk(node) -> None:
        node = node.get_object()
        if isinstance(node, list):
            for kid in node:
                walk(kid)
        elif hasattr(node, "get"):
            if node.get("/S") == "/Figure":
                out.append(str(node.get("/Alt", "")))
            if "/K" in node:
                walk(node["/K"])

    walk(reader.trailer["/Root"]["/StructTreeRoot"])
    return out


def test_pdf_is_tagged_pdf_ua_1_with_language_and_title(real_reports, report_quarters, browser):  # noqa: F811
    for q, lang, d in _reports(real_reports, report_quarters):
        result = pdf_validator.validate_pdf(d / "report.pdf", profile="ua1")
        assert result.is_compliant, (q, lang, [(f.rule_id, f.message) for f in result.failures])
        reader = PdfReader(d / "report.pdf")
        page = browser.new_page()
        page.goto((d / "report.html").as_uri())
        title = page.title()
        page.close()
        assert reader.trailer["/Root"]["/Lang"] == HTML_LANG[lang]
        assert reader.metadata.title == title and (CJK.search(title) is not None) == (lang == "zh")


def test_pdf_ua_validator_refuses_the_untagged_pdf(real_reports, report_quarters, tmp_path):  # noqa: F811
    """The check above can fail: the same page printed as the build printed it before (no
    pdf_variant) is refused, for want of a structure tree."""
    import weasyprint

    d = real_reports / report_quarters[0] / "en"
    untagged = tmp_path / "untagged.pdf"
    weasyprint.HTML(filename=str(d / "report.html"), base_url=str(d)).write_pdf(str(untagged))
    result = pdf_validator.validate_pdf(untagged, profile="ua1")
    assert not result.is_compliant
    assert "PDFUA1-STRUCT-TREE-ROOT-001" in {f.rule_id for f in result.failures}


# ------------------------------------------------------------------------- charts in words


def _charts_in_page(browser, path: Path) -> list[dict]:
    page = browser.new_page()
    try:
        page.goto(path.as_uri())
        return page.eval_on_selector_all("figure.cq-chart", """figs => figs.map(f => ({
            id: f.id, alt: f.querySelector('img').getAttribute('alt'),
            table: (f.querySelector('a.cq-table-link') || {}).getAttribute?.('href') || ''}))""")
    finally:
        page.close()


def _charted(qd) -> list:
    """Every chart the report draws, in page order: each section's, then the peers section's."""
    from cqreport.report.peers import peers_chart_data

    peers = peers_chart_data(qd)
    return [cd for t in report_topics() for cd in topic_chart_data(qd, t)] + ([peers] if peers else [])


def _expected_parts(qd, cd, lang: str) -> list[str]:
    """What the text alternative must say of each series, worked out from the chart's rows: its
    name, first and latest period, latest value, and the direction against the point before."""
    mixed = len({s.entity_id for s in cd.series() if not s.comparator}) > 1
    parts = []
    for s in cd.series():
        when = [period_phrase(r["start"], r["end"], lang, period_type=r["period_type"])
                for _, r in s.rows.iloc[[0, -1]].iterrows()]
        parts += [series_label(qd, s, lang, mixed=mixed), when[-1], latest_text(s, lang)[1]]
        values = s.values()
        if len(values) >= 2:
            move = "up" if values[-1] > values[-2] else "down" if values[-1] < values[-2] else "flat"
            parts += [when[0], word("charts", f"alt_{move}", lang)]
    return parts


def test_every_chart_has_a_text_alternative_from_its_data_in_html_and_pdf(
        real_reports, report_quarters, real_ds, browser):  # noqa: F811
    for q, lang, d in _reports(real_reports, report_quarters):
        qd = quarter_data(real_ds, q)
        drawn = {cd.name.replace("_", "-"): cd for cd in _charted(qd)}
        shown = _charts_in_page(browser, d / "report.html")
        assert [c["id"] for c in shown] == [f"chart-{n}" for n in drawn], (q, lang)
        for c in shown:
            alt = c["alt"]
            assert alt.startswith("图：" if lang == "zh" else "Chart: "), alt
            # in the report's language: no Chinese in the English one
            assert lang == "zh" or not CJK.search(alt), alt
            missing = [p for p in _expected_parts(qd, drawn[c["id"].removeprefix("chart-")], lang) if p not in alt]
            assert not missing, (q, lang, c["id"], missing, alt)
        # the PDF's figures carry the same words, in the same order
        assert _struct_figures(PdfReader(d / "report.pdf")) == [c["alt"] for c in shown], (q, lang)


def test_every_chart_links_to_its_data_table(real_reports, report_quarters, real_ds, browser, tmp_path):  # noqa: F811
    for q, lang, d in _reports(real_reports, report_quarters):
        qd = quarter_data(real_ds, q)
        points = {cd.name: sum(len(s.rows) for s in cd.series()) for cd in _charted(qd)}
        shown = _charts_in_page(browser, d / "report.html")
        evidence = _evidence_page(d, lang, tmp_path / q / lang)
        page = browser.new_page()
        page.goto(evidence.as_uri())
        for c in shown:
            name = c["id"].removeprefix("chart-").replace("-", "_")
            assert c["table"] == f"evidence.html#chart-data-{name}", (q, lang, c)
            rows = page.locator(f"table#chart-data-{name} tbody tr").count()
            assert rows == points[name], (q, lang, name, rows)
        page.close()
        # the PDF keeps the link (on paper the CSV download is hidden)
        uris = {a.get_object().get("/A", {}).get("/URI") for p in PdfReader(d / "report.pdf").pages
                for a in p.get("/Annots", []) or []}
        # (relative, as in the page: the evidence is published beside the report)
        assert all(c["table"] in {str(u) for u in uris if u} for c in shown), (q, lang)
