"""The build: papermill + nbconvert + WeasyPrint in one process, manifest, cache, failures.

The real notebook is built once per test session, for two quarters in both
languages (``real_reports``); the tests then read the HTML and the PDF back.
Mechanics (cache, failures, glyph check, parallel batch) use the small fixture
notebook in tests/fixtures/notebooks/.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from pypdf import PdfReader

from cqreport.analysis.quarter import quarter_data
from cqreport.core.periods import parse_quarter
from cqreport.core.vocab import Lang
from cqreport.engine import export, folders, index, kernel, plan, verify
from cqreport.engine import inputs as build_inputs
from cqreport.engine import pipeline as build_mod
from cqreport.errors import AuditError, BuildError, ParameterError
from cqreport.report.audit import html_to_text, pdf_to_text
from cqreport.report.narrative import write_narrative
from cqreport.report.params import ReportParams

from .conftest import run_lock, shared_dir

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
MINI = ROOT / "tests" / "fixtures" / "notebooks" / "mini_report.ipynb"
A4 = (595.28, 841.89)  # points
# Any attribute or CSS that would make a browser fetch something over the network.
FETCH_RE = re.compile(r"""(?:\bsrc\s*=\s*["']?\s*https?:|url\(\s*["']?\s*(?:https?:)?//|"""
                      r"""<link\b[^>]*href\s*=\s*["']?\s*https?:|@import)""", re.I)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _squash(text: str) -> str:
    """Text without whitespace: PDF extraction breaks lines anywhere."""
    return re.sub(r"\s+", "", text)


# ------------------------------------------------------------------ the real reports


@pytest.fixture(scope="session")
def report_quarters(real_ds) -> list[str]:
    """The latest quarter and the one before it that has a credit figure."""
    qs = [str(q) for q in real_ds.quarters()]
    earlier = [q for q in qs[:-1] if (quarter_data(real_ds, q).figures["topic"] == "credit").any()]
    return [qs[-1], earlier[-1]]


@pytest.fixture(scope="session")
def real_reports(tmp_path_factory, report_quarters):
    """Reports of two quarters, zh and en, built once per run (shared by xdist workers)."""
    root = shared_dir(tmp_path_factory) / "real-reports"
    root.mkdir(exist_ok=True)
    done = root / "summary.json"
    with run_lock(root.parent / "real-reports.lock"):
        if not done.exists():
            summary = build_mod.build(report_quarters, lang="all", reports_dir=root / "reports",
                                      data_dir=DATA, jobs=2, progress=False)
            done.write_text(json.dumps({
                "ok": summary.ok, "line": summary.line(),
                "results": [vars(r) for r in summary.results]}), encoding="utf-8")
    summary = json.loads(done.read_text(encoding="utf-8"))
    assert summary["ok"], summary
    return root / "reports"


@pytest.fixture(scope="session")
def narratives(narrative_of, report_quarters):
    return {(q, lang): narrative_of(q, lang)
            for q in report_quarters for lang in ("zh", "en")}


def _key_sentences(nar) -> list[str]:
    """The key points and the first sentence of each section, as a reader sees them."""
    text = html_to_text(nar.key_points_html)
    points = [p.strip() for p in text.splitlines() if len(p.strip()) > 8]
    for topic in ("credit", "cross_border", "auto", "corridor"):
        body = html_to_text(nar.section_html(topic))
        paras = [p.strip() for p in body.splitlines() if len(p.strip()) > 20]
        if paras:
            points.append(re.split(r"(?<=[。.])", paras[0])[0])
    return points


@pytest.mark.slow
def test_layout_of_every_report(real_reports, report_quarters):
    for q in report_quarters:
        for lang in ("zh", "en"):
            d = real_reports / q / lang
            assert sorted(p.name for p in d.iterdir()) == [
                "evidence.html", "evidence.pdf", "manifest.json", "report.html", "report.ipynb",
                "report.pdf"]
    assert not list(real_reports.glob("*/.*building*")), "temporary folders left behind"


@pytest.mark.slow
def test_html_holds_the_narrative_and_charts(real_reports, narratives):
    for (q, lang), nar in narratives.items():
        page = (real_reports / q / lang / "report.html").read_text(encoding="utf-8")
        text = _squash(html_to_text(page))
        sentences = _key_sentences(nar)
        assert len(sentences) >= 4
        for s in sentences:
            assert _squash(s) in text, (q, lang, s)
        assert _squash(html_to_text(nar.title_html).strip().splitlines()[1]) in text
        assert f'lang="{"zh-CN" if lang == "zh" else "en"}"' in page
        figures = re.findall(r'<figure class="cq-chart"[^>]*><img [^>]*src="data:image/png;base64,'
                             r'([A-Za-z0-9+/=]+)"', page)
        assert len(figures) >= 2
        assert all(base64.b64decode(f)[:4] == b"\x89PNG" for f in figures)


@pytest.mark.slow
def test_each_section_draws_exactly_the_charts_its_data_allows(real_reports, report_quarters, real_ds):
    """A section shows a chart for each series with enough points (chartdata's rules), and
    no chart where its data has too few: which sections those are is the data's business."""
    from cqreport.core.vocab import report_topics
    from cqreport.report.chartdata import topic_chart_data

    drawn = 0
    for q in report_quarters:
        qd = quarter_data(real_ds, q)
        page = (real_reports / q / "zh" / "report.html").read_text(encoding="utf-8")
        for topic in report_topics():
            start = page.index(f"cq-section cq-{topic}")
            nxt = [page.find("cq-section cq-", start + 10), page.find("cq-appendix", start)]
            end = min(i for i in nxt if i > 0)
            expected = len(topic_chart_data(qd, topic))
            assert page[start:end].count('<figure class="cq-chart"') == expected, (q, topic)
            drawn += expected
    assert drawn > 0


@pytest.mark.slow
def test_html_hides_code_and_fetches_nothing(real_reports, report_quarters):
    nb_code = [c.source for c in nbformat.read(ROOT / "notebooks" / "quarterly_report.ipynb", 4).cells
               if c.cell_type == "code"]
    for q in report_quarters:
        for lang in ("zh", "en"):
            page = (real_reports / q / lang / "report.html").read_text(encoding="utf-8")
            assert not FETCH_RE.search(page), FETCH_RE.search(page).group(0)
            assert "<script" not in page.lower()
            assert "@font-face" in page and "data:font/" in page
            text = html_to_text(page)
            for src in nb_code:
                for line in src.splitlines():
                    if len(line) > 12 and not line.startswith("#"):
                        assert line not in text, f"code shown: {line}"
            assert "jp-InputArea" not in page
            assert "@page" in page and "A4" in page


@pytest.mark.slow
def test_pdf_is_a4_with_embedded_fonts_and_real_text(real_reports, narratives):
    for (q, lang), nar in narratives.items():
        pdf = real_reports / q / lang / "report.pdf"
        reader = PdfReader(str(pdf))
        assert len(reader.pages) >= 2
        for page in reader.pages:
            w, h = float(page.mediabox.width), float(page.mediabox.height)
            assert abs(w - A4[0]) < 1 and abs(h - A4[1]) < 1
        fonts = []
        for page in reader.pages:
            for f in (page["/Resources"].get("/Font") or {}).values():
                f = f.get_object()
                desc = f.get("/FontDescriptor")
                if desc is None and "/DescendantFonts" in f:
                    desc = f["/DescendantFonts"][0].get_object().get("/FontDescriptor")
                desc = desc.get_object()
                fonts.append((str(desc.get("/FontName")),
                              any(k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3"))))
        assert fonts and all(embedded for _, embedded in fonts), fonts
        text = _squash(pdf_to_text(pdf))
        for s in _key_sentences(nar):
            assert _squash(s) in text, (q, lang, s)
        if lang == "zh":
            assert len(re.findall(r"[\u4e00-\u9fff]", text)) > 500


@pytest.mark.slow
def test_manifest_records_the_inputs(real_reports, report_quarters):
    m = json.loads((real_reports / report_quarters[0] / "en" / "manifest.json").read_text())
    assert m["parameters"] == {"quarter": report_quarters[0], "lang": "en",
                               "data_dir": str(DATA.resolve())}
    assert m["inputs"]["data_sha256"] == build_inputs.data_hash(DATA)
    assert m["inputs"]["notebook_sha256"] == _sha(ROOT / "notebooks" / "quarterly_report.ipynb")
    assert m["packages"]["papermill"] and m["packages"]["weasyprint"]
    assert {"execute", "html", "evidence_html", "pdf_report", "pdf_evidence", "audit_report_html",
            "audit_report_pdf", "audit_evidence_html", "audit_evidence_pdf", "total"} <= set(m["timings_s"])
    # the report and its evidence, each audited in both formats against its own numbers
    assert set(m["audit"]) == {"report.html", "report.pdf", "evidence.html", "evidence.pdf"}
    for name, found in m["audit"].items():
        fmt = name.split(".")[1]
        assert "passed" in found["summary"]
        assert found["numbers_read"][fmt] > 20
    assert {"report.html", "report.pdf", "evidence.html", "evidence.pdf"} <= set(m["outputs"])
    for name, meta in m["outputs"].items():
        assert meta["sha256"] == _sha(real_reports / report_quarters[0] / "en" / name)
    rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    if rev.returncode == 0:
        assert m["git_revision"].startswith(rev.stdout.strip())


@pytest.mark.slow
def test_executed_notebook_got_string_parameters(real_reports, report_quarters):
    nb = nbformat.read(real_reports / report_quarters[1] / "zh" / "report.ipynb", 4)
    injected = next(c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", []))
    assert f'quarter = "{report_quarters[1]}"' in injected.source
    assert not [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
                if o.output_type == "error"]
    for path in real_reports.glob("*/*/report.ipynb"):  # nothing printed, nothing warned
        streams = [o.text for c in nbformat.read(path, 4).cells if c.cell_type == "code"
                   for o in c.outputs if o.output_type == "stream"]
        assert streams == [], (path, streams)


@pytest.mark.slow
def test_index_links_every_report(real_reports, report_quarters):
    page = (real_reports / "index.html").read_text(encoding="utf-8")
    links = set(re.findall(r'href="([^"]+/(?:report|evidence)\.(?:html|pdf))"', page))
    expected = {f"{q}/{lang}/{doc}.{ext}" for q in report_quarters for lang in ("zh", "en")
                for doc in ("report", "evidence") for ext in ("html", "pdf")}
    assert links == expected
    assert not FETCH_RE.search(page)


@pytest.mark.slow
def test_every_evidence_link_of_the_report_resolves(real_reports, report_quarters, narratives):
    """Each footnote of the report links to evidence.html#ref-n, and the evidence the build
    wrote beside it has that id; its PDF is the same evidence, with the quotes."""
    for q in report_quarters:
        for lang in ("zh", "en"):
            folder = real_reports / q / lang
            report = (folder / "report.html").read_text(encoding="utf-8")
            evidence = (folder / "evidence.html").read_text(encoding="utf-8")
            links = set(re.findall(r'href="evidence\.html#([^"]+)"', report))
            ids = set(re.findall(r'\bid="([^"]+)"', evidence))
            assert len(links) >= 10, (q, lang, len(links))
            assert links <= ids, (q, lang, sorted(links - ids))
            # a whole page in the report's frame, not the bare fragment
            assert evidence.startswith("<!DOCTYPE html>") and "data:font/" in evidence
            assert f'lang="{"zh-CN" if lang == "zh" else "en"}"' in evidence
            nar = narratives[(q, lang)]
            assert html_to_text(nar.evidence_html) in html_to_text(evidence)
            pdf_text = _squash(pdf_to_text(folder / "evidence.pdf"))
            assert _squash(html_to_text(nar.evidence_html))[:200] in pdf_text
            # the PDF's footnotes link to the evidence published beside it, not to the folder
            # the report was printed in
            uris = [a["/A"]["/URI"] for page in PdfReader(folder / "report.pdf").pages
                    for a in (x.get_object() for x in page.get("/Annots", []))
                    if "/A" in a and "/URI" in a["/A"]]
            to_evidence = [str(u) for u in uris if "evidence" in u]
            assert to_evidence and all(re.fullmatch(r"evidence\.html#[\w-]+", u) for u in to_evidence), uris
            assert {u.split("#", 1)[1] for u in to_evidence} <= ids


# ------------------------------------------------------------------ mechanics (fixture notebook)


def _mini(reports: Path, **kw):
    kw.setdefault("audit", False)
    kw.setdefault("progress", False)
    kw.setdefault("jobs", 1)
    kw.setdefault("echo", lambda s: None)
    kw.setdefault("notebook", MINI)
    quarter = kw.pop("quarter", None)
    return build_mod.build([quarter] if quarter else None, data_dir=DATA, reports_dir=reports, **kw)


@pytest.fixture(scope="module")
def mini_built(tmp_path_factory, real_ds):
    """The fixture notebook built for the latest quarter, zh and en, in parallel."""
    reports = tmp_path_factory.mktemp("mini") / "reports"
    summary = _mini(reports, lang="all", jobs=2)
    assert summary.ok, [r.message for r in summary.results]
    return reports, str(real_ds.latest_quarter()), summary


@pytest.mark.slow
def test_parallel_batch_builds_both_languages(mini_built):
    reports, q, summary = mini_built
    assert sorted((r.lang, r.status) for r in summary.results) == [("en", "built"), ("zh", "built")]
    page = (reports / q / "zh" / "report.html").read_text(encoding="utf-8")
    assert f"测试报告 {q}" in html_to_text(page)
    assert "重庆金融运行平稳" in _squash(pdf_to_text(reports / q / "zh" / "report.pdf"))
    assert "语言 en" in html_to_text((reports / q / "en" / "report.html").read_text())
    assert "cells tagged" not in page


@pytest.mark.slow
def test_serial_batch_reuses_a_clean_kernel(mini_built):
    # Both languages run one after the other in one kernel; the fixture notebook fails
    # if a name from the previous report survived, and counts must restart at one.
    reports, q, _ = mini_built
    summary = _mini(reports, lang="all", jobs=1, force=True)
    assert [r.status for r in summary.results] == ["built", "built"], summary.results
    for lang in ("zh", "en"):
        nb = nbformat.read(reports / q / lang / "report.ipynb", 4)
        counts = [c.execution_count for c in nb.cells if c.cell_type == "code"]
        assert counts == list(range(1, len(counts) + 1))


@pytest.mark.slow
def test_unchanged_inputs_are_skipped_and_force_rebuilds(mini_built):
    reports, q, _ = mini_built
    before = _sha(reports / q / "zh" / "report.ipynb")
    again = _mini(reports, quarter=q, lang="zh")
    assert [r.status for r in again.results] == ["skipped"]
    assert _sha(reports / q / "zh" / "report.ipynb") == before
    forced = _mini(reports, quarter=q, lang="zh", force=True)
    assert [r.status for r in forced.results] == ["built"]


@pytest.mark.slow
def test_changed_data_is_rebuilt(mini_built, tmp_path):
    reports, q, _ = mini_built
    inputs = build_inputs.collect_inputs(MINI, DATA, kernel.KERNEL_NAME, plan.FORMATS)
    params = ReportParams(parse_quarter(q), Lang.ZH, DATA.resolve())
    assert build_inputs.is_current(reports / q / "zh", inputs.key(params), plan.FORMATS)
    changed = build_inputs.Inputs(**{**vars(inputs), "data": "0" * 64})
    assert not build_inputs.is_current(reports / q / "zh", changed.key(params), plan.FORMATS)


@pytest.mark.slow
def test_cell_error_fails_and_keeps_the_previous_report(mini_built):
    reports, q, _ = mini_built
    out = reports / q / "en"
    good = {p.name: _sha(p) for p in out.iterdir()}
    summary = _mini(reports, quarter=q, lang="en", params={"fail": "error"})
    assert not summary.ok
    (res,) = summary.results
    assert res.status == "failed" and "RuntimeError" in res.message
    assert "report.failed.ipynb" in res.message
    failed = nbformat.read(out / "report.failed.ipynb", 4)
    assert any(o.output_type == "error" for c in failed.cells if c.cell_type == "code"
               for o in c.outputs)
    assert {p.name: _sha(p) for p in out.iterdir() if p.name in good} == good


def _with_evidence(reports: Path, name: str, evidence: str) -> Path:
    """The fixture notebook with a footnote linking to the evidence and a narrative record
    whose evidence is ``evidence`` (as the real notebook's record carries it)."""
    nb = nbformat.read(MINI, 4)
    nb.cells.append(nbformat.v4.new_code_cell(
        'HTML(\'<p>脚注<a href="evidence.html#ref-1">[1]</a></p>\')'))
    nb.cells.append(nbformat.v4.new_code_cell(
        "from cqreport.report.ledger import NarrativeRecord\n"
        "NarrativeRecord({'quarter': quarter, 'lang': lang, 'ledger': [], 'references': [],"
        " 'verbatim': [], 'verbatim_inline': [],"
        f" 'evidence_html': f{evidence!r}}})", metadata={"tags": ["remove-from-report"]}))
    path = reports.parent / name
    nbformat.write(nb, path)
    return path


@pytest.mark.slow
def test_the_evidence_is_written_with_the_report_and_a_failed_build_keeps_the_old_pair(tmp_path):
    reports = tmp_path / "reports"
    reports.mkdir()
    notebook = _with_evidence(reports, "mini_evidence.ipynb",
                              '<h1>证据附件 {quarter}</h1><div id="ref-1"><p>来源：测试原文。</p></div>')
    first = _mini(reports, lang="zh", notebook=notebook)
    assert first.ok, [r.message for r in first.results]
    out = Path(first.results[0].outdir)
    evidence = (out / "evidence.html").read_text(encoding="utf-8")
    assert 'id="ref-1"' in evidence and "来源：测试原文。" in html_to_text(evidence)
    assert "证据附件" in _squash(pdf_to_text(out / "evidence.pdf"))
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["outputs"]["evidence.pdf"]["sha256"] == _sha(out / "evidence.pdf")
    pair = {n: _sha(out / n) for n in ("report.html", "report.pdf", "evidence.html", "evidence.pdf")}
    # a failed build changes neither document
    failed = _mini(reports, lang="zh", notebook=notebook, params={"fail": "error"})
    assert not failed.ok
    assert {n: _sha(out / n) for n in pair} == pair
    # a report that links to an evidence the notebook did not write is not published
    bare = _with_evidence(reports, "mini_no_evidence.ipynb", "")
    broken = _mini(reports, lang="zh", notebook=bare, force=True)
    assert not broken.ok and "holds no evidence" in broken.results[0].message
    assert {n: _sha(out / n) for n in pair} == pair


@pytest.mark.slow
def test_missing_glyph_fails_the_build(mini_built):
    reports, q, _ = mini_built
    summary = _mini(reports, quarter=q, lang="zh", params={"fail": "glyph"})
    (res,) = summary.results
    assert res.status == "failed" and "missing glyphs" in res.message


@pytest.mark.slow
def test_failed_audit_fails_the_build(mini_built):
    reports, q, _ = mini_built
    out = reports / q / "zh"
    good = _sha(out / "report.pdf")

    def strict_audit(narrative, dataset, page, pdf, ledger):
        raise AuditError("number 42 not in the ledger")

    # the fixture notebook with a record of an empty narrative, so that the audit runs
    nb = nbformat.read(MINI, 4)
    nb.cells.append(nbformat.v4.new_code_cell(
        "from cqreport.report.ledger import NarrativeRecord\n"
        "NarrativeRecord({'quarter': quarter, 'lang': lang, 'ledger': [], 'references': [],"
        " 'verbatim': [], 'verbatim_inline': []})", metadata={"tags": ["remove-from-report"]}))
    recorded = reports.parent / "mini_recorded.ipynb"
    nbformat.write(nb, recorded)
    summary = _mini(reports, quarter=q, lang="zh", force=True, audit=True, auditor=strict_audit,
                    notebook=recorded)
    (res,) = summary.results
    assert res.status == "failed" and "42 not in the ledger" in res.message
    assert _sha(out / "report.pdf") == good
    assert (out / "report.failed.html").is_file()


@pytest.mark.slow
def test_cli_exit_code_is_non_zero_on_a_failed_report(mini_built):
    reports, q, _ = mini_built
    exe = Path(sys.executable).with_name("cqreport")
    proc = subprocess.run([str(exe), "build", "--quarter", q, "--lang", "en", "--notebook",
                           str(MINI), "-p", "fail=error", "--reports", str(reports),
                           "--no-progress"], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 1
    assert "1 failed" in proc.stdout and "FAILED" in proc.stderr


# ------------------------------------------------------------------ units


def test_data_hash_follows_the_csv_content(tmp_path):
    for f in DATA.iterdir():
        if f.suffix in (".csv", ".json"):
            (tmp_path / f.name).write_bytes(f.read_bytes())
    before = build_inputs.data_hash(tmp_path)
    assert before == build_inputs.data_hash(DATA)
    with open(tmp_path / "observations.csv", "a", encoding="utf-8") as fh:
        fh.write("\n")
    assert build_inputs.data_hash(tmp_path) != before


def test_formats_are_checked():
    assert plan.parse_formats("pdf,html,pdf") == ("pdf", "html")
    with pytest.raises(ParameterError):
        plan.parse_formats("html,docx")


def test_export_copy_drops_stderr_notes_and_parameters():
    nb = nbformat.v4.new_notebook()
    c1 = nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["parameters"]})
    c2 = nbformat.v4.new_markdown_cell("note", metadata={"tags": [export.REMOVE_TAG]})
    c3 = nbformat.v4.new_code_cell("y")
    c3.outputs = [nbformat.v4.new_output("stream", name="stderr", text="warn"),
                  nbformat.v4.new_output("stream", name="stdout", text="keep")]
    nb.cells = [c1, c2, c3]
    out = export._notebook_for_export(nb)
    assert len(out.cells) == 1
    assert [o.name for o in out.cells[0].outputs] == ["stdout"]
    assert len(nb.cells) == 3  # the executed notebook itself is untouched


def test_glyph_warning_is_detected():
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("plot")
    cell.outputs = [nbformat.v4.new_output(
        "stream", name="stderr",
        text="UserWarning: Glyph 37325 (\\N{CJK UNIFIED IDEOGRAPH-91CD}) missing from font(s) DejaVu Sans.")]
    nb.cells = [cell]
    with pytest.raises(BuildError, match="missing glyphs"):
        kernel.check_glyphs(nb)
    cell.outputs[0].text = "UserWarning: something else"
    kernel.check_glyphs(nb)


def test_index_lists_manifests(tmp_path):
    for q, lang in (("2025Q4", "zh"), ("2026Q1", "en"), ("2026Q1", "zh")):
        d = tmp_path / q / lang
        d.mkdir(parents=True)
        (d / "report.html").write_text("<p></p>")
        (d / "manifest.json").write_text(json.dumps({"built_at": "now"}))
    (tmp_path / "2026Q1" / "en" / folders.FAILED_NOTEBOOK).write_text("{}")
    page = index.write_index(tmp_path).read_text(encoding="utf-8")
    order = [page.index(f"{x}/report.html") for x in ("2026Q1/zh", "2026Q1/en", "2025Q4/zh")]
    assert order == sorted(order)
    assert "last build failed" in page
    assert "data:font/" in page  # its Chinese shows on a machine without CJK fonts
    assert "report.pdf" not in page


def test_pdf_failure_in_the_printing_process_is_reported(tmp_path, monkeypatch):
    def broken(page, target):
        raise ValueError("no room on the page")

    monkeypatch.setattr(export, "export_pdf", broken)
    wait = export.start_pdf("<p>x</p>", tmp_path / "report.pdf")
    with pytest.raises(BuildError, match="no room on the page"):
        wait()
    assert not (tmp_path / "report.pdf").exists()


def test_pdf_is_printed_by_start_pdf(tmp_path):
    wait = export.start_pdf("<p>重庆</p>", tmp_path / "report.pdf")
    wait()
    assert (tmp_path / "report.pdf").read_bytes()[:5] == b"%PDF-"


@pytest.mark.slow
def test_a_notebook_without_its_narrative_record_fails_the_audit(mini_built):
    # the fixture notebook writes no narrative, so it shows no record: with the audit on,
    # the build must fail, say why, and keep the previous report
    reports, q, _ = mini_built
    out = reports / q / "zh"
    good = _sha(out / "report.html")
    summary = _mini(reports, quarter=q, lang="zh", force=True, audit=True)
    (res,) = summary.results
    assert res.status == "failed" and "no narrative record" in res.message
    assert _sha(out / "report.html") == good


def test_the_record_read_from_a_notebook_is_the_narrative_written(real_ds):
    import json

    import nbformat


    nar = write_narrative(quarter_data(real_ds, "2025Q4"), "en")
    bundle = nar.record()._repr_mimebundle_()
    cell = nbformat.v4.new_code_cell("report.record()")
    # as the notebook file stores it: through JSON
    cell.outputs = [nbformat.v4.new_output("display_data", data=json.loads(json.dumps(bundle)))]
    nb = nbformat.v4.new_notebook(cells=[cell])
    back = verify.read_record(nb)
    assert (back.ledger, back.references, back.verbatim) == (nar.ledger, nar.references, nar.verbatim)
    assert str(back.quarter) == "2025Q4" and back.lang == "en"
    assert "2025Q4/en" in bundle["text/plain"]


# ------------------------------------------------------------------ warm and cached builds change nothing


def _what_a_reader_gets(folder: Path) -> dict:
    """A report's narrative text, its ledger (the record) and its chart images, from the
    executed notebook: everything but timings and the like."""
    nb = nbformat.read(folder / "report.ipynb", 4)
    text, charts = [], []
    for cell in nb.cells:
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            html = out.get("data", {}).get("text/html", "")
            charts += re.findall(r'src="data:image/png;base64,([^"]+)"', html)
            text.append(export.visible_text(re.sub(r"<img\b[^>]*>", "", html)))
    from cqreport.report.ledger import RECORD_MIMETYPE

    record = next(out["data"][RECORD_MIMETYPE] for cell in nb.cells if cell.cell_type == "code"
                  for out in cell.get("outputs", []) if RECORD_MIMETYPE in out.get("data", {}))
    # the verbatim strings are a set, listed in an order that follows the process's string
    # hashing (PYTHONHASHSEED), so two cold builds differ in it too: compared as a set
    record = {**record, "verbatim": sorted(record["verbatim"]),
              "verbatim_inline": sorted(record["verbatim_inline"])}
    page = (folder / "report.html").read_text(encoding="utf-8")
    return {"text": text, "page_text": html_to_text(page), "record": record,
            "charts": [hashlib.sha256(base64.b64decode(c)).hexdigest() for c in charts]}


@pytest.mark.slow
def test_a_warm_cached_batch_equals_a_cold_one_byte_for_byte(real_reports, report_quarters, tmp_path):
    """Every report of a batch built warm with its work cached, then cold (papermill's own
    engine, a fresh kernel each, nothing cached): the same HTML and PDF of the report and of
    its evidence, byte for byte."""
    # real_reports was built warm in two workers and filled the work cache this run shares;
    # the batch again, in one kernel (the second report runs where the first ran), all cached
    batch = report_quarters[:1]
    cached = build_mod.build(batch, lang="all", reports_dir=tmp_path / "cached", data_dir=DATA,
                             jobs=1, progress=False)
    cold = build_mod.build(batch, lang="all", reports_dir=tmp_path / "cold", data_dir=DATA,
                           jobs=2, progress=False, cold=True)
    assert cached.ok and cold.ok, [r.message for r in cached.results + cold.results]
    reports = sorted(p.parent.relative_to(tmp_path / "cached")
                     for p in (tmp_path / "cached").glob("*/*/manifest.json"))
    assert len(reports) == 2 * len(batch)
    for rel in reports:
        warm_m, cached_m, cold_m = (json.loads((root / rel / "manifest.json").read_text())
                                    for root in (real_reports, tmp_path / "cached", tmp_path / "cold"))
        # the cached build took every unit from the cache; the cold one took nothing
        assert cached_m["work_cache"]["misses"] == {}, (rel, cached_m["work_cache"])
        # this report's own units: four chart cells, the two PDFs (report and evidence), the
        # audits of both pages and both PDFs
        assert cached_m["work_cache"]["hits"] == {"chart": 4, "pdf": 2, "audit": 4}
        assert cold_m["executor"] == "papermill" and cold_m["work_cache"] == {"hits": {}, "misses": {}}
        for name in ("report.html", "report.pdf", "evidence.html", "evidence.pdf"):
            warm, hot, fresh = (_sha(root / rel / name)
                                for root in (real_reports, tmp_path / "cached", tmp_path / "cold"))
            assert warm == hot == fresh, f"{rel}/{name}: warm, cached and cold builds differ"
        assert _what_a_reader_gets(tmp_path / "cached" / rel) == _what_a_reader_gets(tmp_path / "cold" / rel)
        assert warm_m["audit"] == cached_m["audit"] == cold_m["audit"]
    assert [json.loads((tmp_path / "cached" / r / "manifest.json").read_text())["kernel_run"]
            for r in reports] in ([1, 2], [2, 1])  # one of them ran in a kernel that had run the other


def test_the_skip_check_imports_neither_pandas_nor_papermill_and_hashes_the_data_files():
    code = ("import sys; from pathlib import Path; from cqreport.engine import pipeline, inputs\n"
            f"i = inputs.collect_inputs(Path({str(ROOT / 'notebooks' / 'quarterly_report.ipynb')!r}),"
            f" Path({str(DATA)!r}), 'cqreport', ('html', 'pdf'))\n"
            "print(i.data, 'pandas' in sys.modules, 'papermill' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    digest, pandas, papermill = out.stdout.split()
    assert (pandas, papermill) == ("False", "False")
    from cqreport.core.files import hash_files
    from cqreport.dataset.load import data_files

    assert digest == hash_files(data_files(DATA), DATA)  # the files dataset.load names


@pytest.mark.parametrize("name", ["core/glossary.toml", "core/terms.toml", "report/templates/narrative_zh.j2"])
def test_a_wording_file_of_the_package_is_an_input_of_the_build(tmp_path, monkeypatch, name):
    """The glossary and the terms shape what a report says: editing one must rebuild (it did not:
    the package's fingerprint skipped .toml files, so a caption changed in the glossary left the
    old report 'unchanged')."""
    import shutil

    from cqreport.core import paths

    copy = tmp_path / "cqreport"
    shutil.copytree(paths.PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(paths, "PACKAGE_DIR", copy)
    before = build_inputs.code_hash()
    with open(copy / name, "a", encoding="utf-8") as f:
        f.write("\n# an edit\n")
    assert build_inputs.code_hash() != before
