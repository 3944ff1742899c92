"""Wording an analyst would sign: no tags, the right verbs, the right meanings, no repetition."""

from __future__ import annotations

import re
from datetime import date

import pytest

from cqreport.analysis.quarter import quarter_data
from cqreport.report.audit import html_to_text, normalize_text
from cqreport.report.narrative import write_narrative


@pytest.fixture(scope="module")
def texts(narrative_of):
    out = {}
    for q in ("2025Q2", "2025Q4", "2026Q1"):
        for lang in ("zh", "en"):
            n = narrative_of(q, lang)
            out[q, lang] = {k: normalize_text(html_to_text(v)) for k, v in n.fragments.items()}
    return out


def test_no_bracketed_tags_and_no_tsf(texts):
    for (q, lang), frags in texts.items():
        body = " ".join(frags.values())
        assert "最新可得，非本季度" not in body and "not this quarter" not in body, (q, lang)
        if lang == "en":
            assert not re.search(r"\bTSF\b", body), q


def test_more_or_less_growth_only_for_increments(texts):
    zh = texts["2026Q1", "zh"]["auto"]
    # 汽车出口额 is a level: 530.3 − 431.3 亿元 is 同比增加, never 多增
    assert "推算同比增加约99亿元" in zh
    assert not re.search(r"多增约?99", zh)


def test_meanings_kept(texts):
    zh = " ".join(texts["2025Q2", "zh"].values())
    assert "经重庆银行" not in zh and "通过重庆的银行机构" in zh
    # a cumulative count keeps its 累计 and sits in the section's table of minor counts
    assert "累计按便利化流程办理跨境人民币业务的优质企业截至2024年末161家" in zh
    en = " ".join(texts["2026Q1", "en"].values())
    assert "Seres local sourcing rate in Shapingba" in en
    assert "facilitation pilot in Chongqing came to RMB 85.05" not in en


def test_curator_notes_stay_out_of_the_chinese_report(texts):
    for q in ("2025Q2", "2025Q4", "2026Q1"):
        appendix = texts[q, "zh"]["appendix"]
        assert "整理说明" not in appendix
        # the source's own English period words ("原文:in the first half of 2025") are gone
        assert not re.search(r"原文:[A-Za-z]", appendix), q


def test_a_release_date_is_not_repeated_sentence_after_sentence(texts):
    for (q, lang), frags in texts.items():
        for name, text in frags.items():
            if name == "appendix":
                continue
            # the prose says whose release an undated figure comes from, never 截至…发布时
            assert not re.search(r"截至\d{4}年\d+月\d+日发布时", text), (q, name)
            # and names one release at most once per paragraph-sized fragment of prose
            pattern = r"据(\d{4}年\d+月\d+日)发布的资料" if lang == "zh" else r"According to a release of ([^,]+),"
            dates = re.findall(pattern, text)
            assert len(dates) == len(set(dates)), (q, lang, name, dates)


def _narratives(real_ds, q, **kw):
    return {lang: write_narrative(quarter_data(real_ds, q, **kw), lang) for lang in ("zh", "en")}


def test_minor_counts_sit_in_a_table_not_in_the_prose(real_ds):
    from cqreport.core.vocab import MINOR_COUNT_BASES, UNITS

    seen = 0
    for q in ("2025Q2", "2025Q4", "2026Q1"):
        for lang, n in _narratives(real_ds, q).items():
            refs = {r.n: r for r in n.references}
            for topic, html in n.sections.items():
                tables = re.findall(r'<table class="cq-minor">.*?</table>', html, flags=re.S)
                prose = re.sub(r'<table class="cq-minor">.*?</table>', "", html, flags=re.S)
                for m in re.finditer(r'href="#ref-(\d+)"', prose):
                    r = refs[int(m.group(1))]
                    if r.kind != "observation":
                        continue
                    row = real_ds.observation(r.ref_id)
                    if real_ds.metrics.loc[row["metric_id"], "topic"] != topic:
                        continue   # another theme's figure used as an input (a share's whole)
                    minor = (int(real_ds.metrics.loc[row["metric_id"], "priority"]) >= 3
                             or UNITS[row["unit"]].base in MINOR_COUNT_BASES)
                    assert not minor, (q, lang, topic, r.ref_id)
                seen += sum(t.count("<tr>") - 1 for t in tables)
    assert seen >= 20   # the tables are there, one row per minor figure


def test_a_restated_figure_gets_a_revision_note_with_the_reason(real_ds):
    n = _narratives(real_ds, "2026Q1")
    zh, en = (normalize_text(html_to_text(n[x].evidence_html)) for x in ("zh", "en"))
    # 2024 auto export value: 431.3亿元 (iChongqing) against 431.1亿元 in a later mirror
    assert re.search(r"修订说明:其后《[^》]+》\(2025年2月17日,转载或镜像\)记为431\.1亿元\(2024年\),与上列数值不同;"
                     r"本报告采用上列数值,因其来源等级较高", zh)
    assert "Revision note: a later source" in en and "gives RMB 43.11 billion (2024)" in en
    # the service centre's loans: 168亿元 on 9 May, restated as 超168亿元 on 22 May
    assert re.search(r"修订说明:此前《[^》]+》\(2026年5月9日,主流媒体\)记为168亿元", zh)
    assert "因其发布较晚" in zh
    # the same figure from another source is a confirmation, not a revision
    assert re.search(r"另见《[^》]+》\(2026年1月27日,转载或镜像\)同样记为61\.4万辆", zh)


def test_a_report_as_it_stood_has_no_revision_from_after_its_cut_off(real_ds):
    # as of 10 May 2026 the 22 May restatement (超168亿元) had not been published
    n = _narratives(real_ds, "2026Q1", as_of=date(2026, 5, 10))
    zh = normalize_text(html_to_text(n["zh"].html))
    assert "超168亿元" not in zh and "168亿元" in zh
    assert "2026年5月22日" not in zh
    assert not re.search(r"修订说明:其后《[^》]+》\(2026年5月(1[1-9]|2\d|3[01])日", zh)


def _paragraphs(html: str) -> list[str]:
    return [normalize_text(html_to_text(p)) for p in re.findall(r"<p[ >].*?</p>", html, flags=re.S)]


def test_the_appendix_writes_values_in_the_report_language(real_ds):
    checked = 0
    for q in ("2025Q2", "2025Q4", "2026Q1"):
        n = _narratives(real_ds, q)
        for p in _paragraphs(n["zh"].evidence_html):
            if p.startswith(("输入", "另见", "修订说明")):
                plain = re.sub(r"《[^》]*》|“[^”]*”", "", p)   # titles and quotes stay as published
                assert not re.search(r"[A-Za-z]{3,}", plain), (q, p)
                checked += 1
        for p in _paragraphs(n["en"].evidence_html):
            if p.startswith(("Inputs", "Revision note", "Also in")):
                plain = re.sub(r"“[^”]*”", "", p)
                assert not re.search(r"[\u4e00-\u9fff]", plain), (q, p)
                checked += 1
    assert checked >= 40


def test_the_summary_judges_the_quarter_and_the_table_has_one_row_per_series(real_ds):
    n = _narratives(real_ds, "2025Q4")
    for lang, nar in n.items():
        kp = normalize_text(html_to_text(nar.key_points_html))
        # no stale context as a key point: end-March 2025 is three quarters before Q4 2025
        assert "2025年3月末" not in kp and "end-March 2025" not in kp, lang
        rows = re.findall(r"<tr[^>]*><td>(.*?)</td><td>(.*?)</td>", nar.headline_table_html)
        names = [html_to_text(a) for a, _ in rows]
        assert len(names) == len(set(names)), (lang, names)   # not 2025 and January–November 2025
        assert not any("2021" in html_to_text(b) for _, b in rows), lang   # no five-year total
    zh = normalize_text(html_to_text(n["zh"].key_points_html))
    # a level without its own growth rate carries the one another source published, with its grade,
    # not one derived from another definition's rounded base (the old 推算同比增长约6.5%)
    assert "6.39万亿元[1],同比增长7.2%[2](机器摘要,可靠性较低)" in zh and "约6.5%" not in zh
    # the superseded January–November output is not repeated once the full year is out
    assert "2025年1—11月" not in normalize_text(html_to_text(n["zh"].sections["auto"]))


def test_sources_are_named_in_the_report_language(real_ds):
    for q in ("2025Q2", "2025Q4", "2026Q1"):
        n = _narratives(real_ds, q)
        zh = re.search(r'<ul class="cq-sources">(.*?)</ul>', n["zh"].evidence_html, flags=re.S).group(1)
        en = re.search(r'<ul class="cq-sources">(.*?)</ul>', n["en"].evidence_html, flags=re.S).group(1)
        # no curator English in the zh list, no Chinese in the en list
        assert "title not in stored text" not in zh and "spam mirror" not in zh, q
        assert not re.search(r"[\u4e00-\u9fff]", html_to_text(en)), q
        # a translated title says so
        assert "（标题为译文）" in zh and "(title translated)" in en, q
