"""The numbers audit: it passes on the real data and catches every planted mistake."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from cqreport.analysis.quarter import quarter_data
from cqreport.core import paths
from cqreport.errors import AuditError
from cqreport.report.audit import (
    audit_html,
    audit_ledger,
    audit_pdf,
    audit_text,
    check,
    html_to_text,
    mask_dates,
    normalize_text,
    read_figures,
)
from cqreport.report.narrative import write_narrative


@pytest.fixture(scope="module")
def q1_2026(real_ds):
    return {lang: write_narrative(quarter_data(real_ds, "2026Q1"), lang) for lang in ("zh", "en")}


@pytest.fixture(scope="module")
def q1_2025(real_ds):
    return {lang: write_narrative(quarter_data(real_ds, "2025Q1"), lang) for lang in ("zh", "en")}


def failing(narrative, html, ds):
    """Audit a tampered HTML; return the error text (the test fails if it passes)."""
    with pytest.raises(AuditError) as err:
        check(narrative, html=html, dataset=ds)
    return str(err.value)


# ------------------------------------------------------------------ real data passes
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_audit_passes_on_every_quarter(real_ds, lang):
    assert real_ds.quarters()
    for q in real_ds.quarters():
        n = write_narrative(quarter_data(real_ds, q), lang)
        report = check(n, dataset=real_ds)
        assert report.ok
        # every number read is one the report wrote, each exactly once (the evidence has its own)
        assert report.numbers_read["html"] == len(n.for_document("report").ledger) > 0, q


def test_audit_reloads_the_data_when_none_is_given(q1_2026):
    report = check(q1_2026["zh"])
    assert report.ok and report.ledger_entries == len(q1_2026["zh"].ledger)


# ------------------------------------------------------------------ planted mistakes
def templates_with(tmp_path: Path, lang: str, old: str, new: str) -> Path:
    target = tmp_path / "templates"
    shutil.copytree(paths.TEMPLATES_DIR, target)
    f = target / f"narrative_{lang}.j2"
    text = f.read_text(encoding="utf-8")
    assert old in text
    f.write_text(text.replace(old, new, 1), encoding="utf-8")
    return target


@pytest.mark.parametrize(("lang", "old", "new", "expect"), [
    # a number typed into a template by hand
    ("zh", "<h2>{{ TOPIC_NAMES[v.topic] }}</h2>",
     "<h2>{{ TOPIC_NAMES[v.topic] }}</h2><p>贷款增速预计保持在7.5%左右。</p>", "7.5%"),
    ("en", "<h2>{{ TOPIC_NAMES[v.topic] }}</h2>",
     "<h2>{{ TOPIC_NAMES[v.topic] }}</h2><p>Loan growth should hold near 7.5%.</p>", "7.5%"),
    # the same, in Chinese numerals and English words: 连续十三个月 must not slip past
    ("zh", "增速{{ sf.streak }}高于全国平均水平{% endif %}",
     "增速{{ sf.streak }}高于全国平均水平（即连续十三个月）{% endif %}", "十三个月"),
    ("en", "with growth above the national average {{ sf.streak }}{% endif %}",
     "with growth above the national average {{ sf.streak }} (thirteen months){% endif %}",
     "thirteen months"),
    ("zh", "<h2>核心要点</h2>", "<h2>核心要点（共五条）</h2>", "五"),
])
def test_hand_typed_number_in_a_template_is_caught(tmp_path, real_ds, lang, old, new, expect):
    tdir = templates_with(tmp_path, lang, old, new)
    n = write_narrative(quarter_data(real_ds, "2026Q1"), lang, templates_dir=tdir)
    msg = failing(n, n.html, real_ds)
    assert expect in msg


@pytest.mark.parametrize(("lang", "good", "bad"), [
    ("zh", "6.54万亿元", "6.45万亿元"),
    ("en", "RMB 6.54 trillion", "RMB 6.45 trillion"),
    ("zh", "同比增长6.8%", "同比增长8.6%"),
    ("en", "up 6.8% year on year", "down 6.8% year on year"),   # a sign flipped
    ("zh", "850.5亿元", "805.5亿元"),
])
def test_value_changed_after_formatting_is_caught(q1_2026, real_ds, lang, good, bad):
    n = q1_2026[lang]
    html = n.html.replace(good, bad, 1)
    assert html != n.html
    msg = failing(n, html, real_ds)
    assert bad.split()[-1].rstrip("year") in msg or bad in msg
    # the message says where the number stands
    assert "html" in msg and "…" in msg


def test_value_changed_in_the_ledger_is_caught(q1_2026, real_ds):
    n = q1_2026["zh"]
    i = next(i for i, e in enumerate(n.ledger) if e.text == "6.54万亿元")
    # the recorded value no longer matches the text
    tampered = dataclasses.replace(n, ledger=[*n.ledger[:i], dataclasses.replace(
        n.ledger[i], value=6.45), *n.ledger[i + 1:]])
    assert any(f.kind == "ledger" for f in audit_ledger(tampered, real_ds))
    # text and value changed together: the data disagrees
    tampered = dataclasses.replace(n, ledger=[*n.ledger[:i], dataclasses.replace(
        n.ledger[i], value=6.45, text="6.45万亿元"), *n.ledger[i + 1:]])
    found = audit_ledger(tampered, real_ds)
    assert any(f.kind == "data" and "6.45万亿元" in str(f) for f in found)


@pytest.mark.parametrize(("lang", "good", "bad"), [
    ("zh", "6.54万亿元", "6.54亿元"),
    ("zh", "约2300亿元", "约2300万亿元"),
    ("en", "RMB 6.54 trillion", "RMB 6.54 billion"),
])
def test_wan_yi_mixed_up_with_yi_is_caught(q1_2026, real_ds, lang, good, bad):
    n = q1_2026[lang]
    msg = failing(n, n.html.replace(good, bad, 1), real_ds)
    assert bad in msg


@pytest.mark.parametrize(("lang", "good", "bad"), [
    ("zh", "约2300亿元", "2300亿元"),
    ("zh", "超168亿元", "168亿元"),
    ("zh", "近200家", "200家"),
    ("en", "about RMB 230 billion", "RMB 230 billion"),
    ("en", "over RMB 16.8 billion", "RMB 16.8 billion"),
])
def test_dropped_qualifier_is_caught(q1_2026, real_ds, lang, good, bad):
    n = q1_2026[lang]
    assert good in n.html
    msg = failing(n, n.html.replace(good, bad, 1), real_ds)
    assert bad.split()[-1] in msg


@pytest.mark.parametrize(("lang", "good", "bad"), [
    ("zh", "高于全国0.5个百分点", "高于全国0.5%"),
    ("en", "0.5 percentage points above", "0.5% above"),
])
def test_percent_written_for_percentage_points_is_caught(q1_2025, real_ds, lang, good, bad):
    # cqcb 2025-04-23: 同比增长7.9%，高于全国0.5个百分点
    n = q1_2025[lang]
    assert good in n.html
    msg = failing(n, n.html.replace(good, bad, 1), real_ds)
    assert "0.5%" in msg and "percent" in msg


def test_footnote_mark_without_entry_is_caught(q1_2026, real_ds):
    n = q1_2026["zh"]
    html = n.html.replace("[1]</a>", "[999]</a>", 1)
    assert any(f.kind == "ref" for f in audit_html(html, n))


def test_dropped_sentence_is_caught_as_missing(q1_2026):
    n = q1_2026["zh"]
    html = n.html.replace(n.section_html("cross_border"), "")
    found = audit_html(html, n)
    assert any(f.kind == "missing" for f in found)
    assert not audit_html(html, n, complete=False)  # a partial page is allowed when said so


def test_verbatim_list_cannot_whitelist_invented_text(q1_2026, real_ds):
    n = q1_2026["zh"]
    tampered = dataclasses.replace(n, verbatim=[*n.verbatim, "贷款增速达7.5%"])
    assert any(f.kind == "verbatim" for f in audit_ledger(tampered, real_ds))


def test_a_sentence_repeating_a_quote_is_still_read(q1_2026):
    # the quote is set aside only where it stands as a quote, not in running text
    n = q1_2026["zh"]
    quote = "截至3月末，全市人民币贷款余额达6.54万亿元，同比增长6.8%，增速连续13个月高于全国平均水平"
    assert quote in n.verbatim
    _, figs, _ = read_figures(f"{quote}。原文：“{quote}”", n.verbatim, n.verbatim_inline)
    assert [f.text for f in figs] == ["6.54万亿元", "6.8%", "13个月"]


# ------------------------------------------------------------------ reading text
def test_dates_years_and_quarters_are_not_numbers():
    text = ("2026年一季度，3月末，5月9日，2026-05-22，2026Q1，Q1 2026，H1 2025，"
            "end-March 2026, 9 May 2026, January–November 2023, 2025年1—11月, 前10个月")
    _, figs, _ = read_figures(text)
    assert figs == []
    assert "3" not in mask_dates("截至3月末").replace("截至", "")


def test_pdf_style_line_breaks_are_joined():
    assert normalize_text("6.54\n万亿元，同比增长6.8\n%") == "6.54万亿元,同比增长6.8%"
    _, figs, _ = read_figures("贷款余额6.54\n万亿元")
    assert [f.value_base for f in figs] == [6.54e12]


def test_html_scripts_and_styles_are_not_read():
    text = html_to_text("<style>.a{width:7px}</style><p>正文</p><script>var n = 8;</script>")
    assert "7" not in text and "8" not in text and "正文" in text


def test_audit_text_names_the_number_and_its_surroundings(q1_2026):
    n = q1_2026["zh"]
    found = audit_text("全市贷款余额6.55万亿元，同比增长6.8%", n, "text", complete=False)
    (f,) = [f for f in found if f.kind == "unknown"]
    assert f.number == "6.55万亿元" and "贷款余额" in f.context
    assert "6.55万亿元" in str(f)


# ------------------------------------------------------------------ PDF
@pytest.mark.slow
def test_pdf_audit_passes_and_catches_a_mistake(tmp_path, q1_2026, real_ds):
    weasyprint = pytest.importorskip("weasyprint")
    from cqreport.report import fonts

    def render(n, body, name):
        css = fonts.css_font_face(body) + f"body {{ font-family: '{fonts.CSS_FAMILY}'; }}"
        html = f"<html><head><meta charset='utf-8'><style>{css}</style></head><body>{body}</body></html>"
        out = tmp_path / name
        weasyprint.HTML(string=html).write_pdf(str(out))
        return out

    for lang, good, bad in (("zh", "约2300亿元", "2300亿元"),
                            ("en", "about RMB 230 billion", "RMB 230 billion")):
        n = q1_2026[lang]
        pdf = render(n, n.html, f"ok_{lang}.pdf")
        assert audit_pdf(pdf, n) == []
        report = check(n, pdf=pdf, dataset=real_ds)
        assert report.numbers_read["pdf"] == len(n.ledger)
        bad_pdf = render(n, n.html.replace(good, bad, 1), f"bad_{lang}.pdf")
        with pytest.raises(AuditError, match=r"2300|230 billion"):
            check(n, pdf=bad_pdf, dataset=real_ds)


# ------------------------------------------------------------------ template wording (issue 20)


def test_a_tie_between_two_sources_is_worded_without_a_number(min_data, sources_dir):
    """Two sources of one grade and date giving one figure in different wording: the appendix
    says why the report uses one of them, and that sentence must not read as a figure (it
    said 两者…, read as an unledgered 2: every build with such a tie failed its audit)."""
    from cqreport import load_dataset

    from .test_validate import set_cell

    # the corridor centre's loans: 168亿元 at the press conference, 超168亿元 in the meeting
    # report; on one day (the press conference's date moved to the meeting's) they tie
    set_cell(min_data / "sources.csv", 0, "date", "2026-05-22")
    ds = load_dataset(min_data, sources_dir)
    for lang, words in (("zh", "来源等级与发布日期均相同"), ("en", "same grade and date")):
        n = write_narrative(quarter_data(ds, "2026Q1"), lang)
        assert words in n.appendix_html
        assert check(n, dataset=ds).ok


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_template_wording_holds_no_number_the_audit_reads(lang):
    """Every word a template writes itself (text between its tags, and its string literals)
    reads as no figure: a numeral in wording fails the audit of whichever report shows it."""
    import re

    text = (paths.TEMPLATES_DIR / f"narrative_{lang}.j2").read_text(encoding="utf-8")
    text = re.sub(r"\{#.*?#\}", " ", text, flags=re.S)
    literals = [w for w in re.findall(r'"([^"\n]*)"', " ".join(re.findall(r"\{[{%].*?[}%]\}", text, flags=re.S)))
                if not re.fullmatch(r"[a-z0-9_.]*", w)]   # names (keys, ids), not wording
    prose = re.sub(r"<[^>]*>", " ", re.sub(r"\{[{%].*?[}%]\}", " ", text, flags=re.S))
    for wording in [*literals, *prose.splitlines()]:
        assert not read_figures(wording)[1], wording
