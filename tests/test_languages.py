"""One report in two languages (issue 21): the same figures, footnotes and charts; no internal id
and no fragment of the other language in either report; the evidence in a document of its own."""

from __future__ import annotations

import re

import pytest

from cqreport import quarter_data
from cqreport.report import charts
from cqreport.report.audit import check, html_to_text, normalize_text
from cqreport.report.narrative import write_narrative


@pytest.fixture(scope="module")
def both(real_ds):
    return {q: {lang: write_narrative(quarter_data(real_ds, q), lang) for lang in ("zh", "en")}
            for q in real_ds.quarters()}


def test_both_languages_have_the_same_footnotes_and_figures(both):
    for q, n in both.items():
        assert [r.ref_id for r in n["zh"].references] == [r.ref_id for r in n["en"].references], q
        figures = {lang: {(e.source_ref, e.field) for e in n[lang].ledger if e.field != "rank"} for lang in n}
        assert figures["zh"] == figures["en"], (q, figures["zh"] ^ figures["en"])


def test_both_languages_draw_the_same_charts(real_ds):
    charts.setup()
    for q in real_ds.quarters()[-3:]:
        qd = quarter_data(real_ds, q)
        names = {lang: [c.name for t in ("credit", "cross_border", "auto", "corridor")
                        for c in charts.topic_charts(qd, t, lang)] for lang in ("zh", "en")}
        assert names["zh"] == names["en"], q


def test_no_internal_id_and_no_other_language_in_the_reports(both, real_ds):
    ids = set(real_ds.sources.index) | set(real_ds.metrics.index) | set(real_ds.entities.index)
    names = " ".join(real_ds.sources[c].str.cat(sep=" ") for c in ("publisher_zh", "title_zh"))
    for q, n in both.items():
        for lang, nar in n.items():
            text = normalize_text(html_to_text(nar.html))
            assert not [i for i in ids if "_" in i and i in text], (q, lang)
            if lang == "en":
                assert not re.search(r"[\u4e00-\u9fff]", text), (q, re.findall(r".{12}[\u4e00-\u9fff]+", text)[:3])
            else:
                # Latin words only as the names the data gives them (iChongqing, Reportify)
                stray = {w for w in re.findall(r"[A-Za-z]{4,}", text) if w not in names}
                assert not stray, (q, stray)


def test_the_evidence_is_a_document_of_its_own(both, real_ds):
    n = both[real_ds.quarters()[-1]]
    for lang, nar in n.items():
        report, evidence = normalize_text(html_to_text(nar.html)), normalize_text(html_to_text(nar.evidence_html))
        # the quotes and methods are in the evidence, the report keeps a short note per footnote
        quote_word = "原文:" if lang == "zh" else "Quote"
        assert quote_word in evidence and len(report) < len(evidence) * 1.5
        cited = {int(m) for m in re.findall(r'href="#ref-(\d+)"', nar.html)}   # the report's footnotes
        assert cited and all(f'href="evidence.html#ref-{k}"' in nar.appendix_html for k in cited)
        assert all(f'id="ref-{k}"' in nar.appendix_html for k in cited)   # every footnote mark lands
        assert all(f'id="ref-{r.n}"' in nar.evidence_html for r in nar.references)
        assert check(nar, dataset=real_ds).ok
        assert check(nar, html=nar.evidence_html, dataset=real_ds, document="evidence").ok
