"""Issue 19: English periods and the traps found in real pages, each from a real sentence of
../shared/sources (the peer-region pages of ``peers/`` included; none of the held-out ones)."""

from __future__ import annotations

from datetime import date

import pytest

from cqreport.extract import read_release_text
from cqreport.extract.catalogue import Catalogue
from cqreport.extract.core import build_candidates
from cqreport.extract.en import find_en_figures

from .conftest import REAL_DATA


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return Catalogue(REAL_DATA)


def _rows(text: str, release: date, catalogue: Catalogue) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for c in build_candidates(read_release_text(text), release, catalogue):
        out.setdefault(c.row["value"], c.row | {"reason": c.reason, "confidence": c.confidence})
    return out


# --- English periods -------------------------------------------------------------------

@pytest.mark.parametrize(("text", "release", "value", "period"), [
    # 2025-01-14 people.cn: "at the end of last month" is the end of the month before the release
    ("The M0, which indicates the amount of cash in circulation, rose by 13 percent year on year "
     "to a total of 12.82 trillion yuan at the end of last month, per the data.",
     date(2025, 1, 14), "12.82", ("", "2024-12-31")),
    # 2025-04-15 Global Times via inzhejiang: end-March
    ("As of end-March, outstanding yuan loans amounted to 265.41 trillion yuan, up 7.4 percent "
     "year-on-year.", date(2025, 4, 15), "265.41", ("", "2025-03-31")),
    # 2021-11-10 iChongqing: a month without a comma after it
    ("Data show that in the first three quarters of 2021, the city's production and sales of NEVs "
     "reached 97,000 and 93,000, respectively, up 223% and 210%. In September alone, the production "
     "surged 247%.", date(2021, 11, 10), "247", ("2021-09-01", "2021-09-30")),
    # 2025-07-24 四川日报 via reportify: "As of June" without a year, a balance at June's end
    ("Interest Rate Trends - As of June, the loan balance increased by 906.2 billion yuan since the "
     "beginning of the year.", date(2025, 7, 24), "906.2", ("2025-01-01", "2025-06-30")),
])
def test_english_period_forms(catalogue, text, release, value, period):
    row = _rows(text, release, catalogue)[value]
    assert (row["period_start"], row["period_end"]) == period


def test_an_events_date_is_not_the_period_of_the_next_paragraph(catalogue):
    # 2023-01-14 people.cn: the initiative was launched in November 2015; the projects are not
    text = ("The New International Land-Sea Trade Corridor is a major outcome of the China-Singapore "
            "(Chongqing) Demonstration Initiative on Strategic Connectivity, which was launched in "
            "November 2015, covering financial services, aviation, transportation and logistics.\n\n"
            "Projects worth about 54.39 billion U.S. dollars have been inked under the initiative.")
    row = _rows(text, date(2023, 1, 14), catalogue)["54.39"]
    assert (row["period_start"], row["period_end"]) == ("", "2023-01-14")


def test_a_count_as_it_stands_is_not_the_years_flow(catalogue):
    # 2026-01-23 reportify (PBoC Chongqing 2025): "has developed" counts what stands now
    text = ("Core Viewpoint - The financial sector in Chongqing played a significant role during "
            "2025 [1]. - The Chongqing Branch has developed nearly 40 green transition financial "
            "standards and over 330 innovative green financial products [6].")
    rows = _rows(text, date(2026, 1, 23), catalogue)
    assert (rows["40"]["period_start"], rows["40"]["period_end"]) == ("", "2026-01-23")


def test_wire_scale_abbreviations():
    # 2025 asianbanking (PBoC 2024 data) and the Xinhua "trln" headline form
    text = ("Outstanding renminbi (RMB) and foreign currency loans in China rose 7.2% year-on-year "
            "(YoY) to $35.49t (RMB259.58t) as of the end-December 2024")
    got = [(f.value, f.unit) for f in find_en_figures(text)]
    assert (35.49, "trillion USD") in got and (259.58, "trillion yuan") in got
    assert [(f.value, f.unit) for f in find_en_figures("China's yuan loans grow by 16.02 trln yuan")] \
        == [(16.02, "trillion yuan")]
