"""Wording an analyst would sign: no tags, the right verbs, the right meanings, no repetition."""

from __future__ import annotations

import re

import pytest

from cqreport.analysis.quarter import quarter_data
from cqreport.report.audit import html_to_text, normalize_text
from cqreport.report.narrative import write_narrative


@pytest.fixture(scope="module")
def texts(real_ds):
    out = {}
    for q in ("2025Q2", "2025Q4", "2026Q1"):
        for lang in ("zh", "en"):
            n = write_narrative(quarter_data(real_ds, q), lang)
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
    assert "累计按便利化流程办理跨境人民币业务的优质企业161家" in zh
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
        if lang != "zh":
            continue
        for name, text in frags.items():
            for sentence in text.split("。"):
                hits = re.findall(r"截至\d{4}年\d+月\d+日发布时", sentence)
                assert len(hits) <= 1, (q, name, sentence)
