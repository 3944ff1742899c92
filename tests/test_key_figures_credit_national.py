"""Credit and national-comparison history: key figures checked by hand against the source texts.

Each row was read in the source text itself (not generated from the data): metric, entity,
period start and end, source, value, unit, qualifier, YoY %, other columns, value in base units.
"""

import math

import pytest

C, N = "chongqing", "china"
KEY = [
    # metric, entity, start, end, source, value, unit, qualifier, yoy, extra, base value
    ("loan_balance_rmb", N, None, "2025-06-30", "mirror664493_national_loan_direction_2025q2", 268.56, "万亿元", "",
     7.1, {}, 2.6856e14),
    ("new_loans_rmb", N, "2025-01-01", "2025-03-31", "hnssghyxh_national_loans_2025q1", 9.78, "万亿元", "", None, {},
     9.78e12),
    ("new_loans_rmb", N, "2025-01-01", "2025-06-30", "mirror664493_national_loan_direction_2025q2", 12.92, "万亿元", "",
     None, {}, 1.292e13),
    ("tsf_stock", N, None, "2025-03-31", "xqexn_national_afre_stock_2025_03", 422.96, "trillion yuan", "", 8.4, {},
     4.2296e14),
    ("afre_rmb_loans_stock", N, None, "2025-09-30", "udfspace_national_finstats_2025q3", 267.03, "trillion yuan", "",
     6.4, {}, 2.6703e14),
    ("loan_balance_all", N, None, "2024-12-31", "craxpro_national_loans_2024", 259.58, "trillion yuan", "", 7.2, {},
     2.5958e14),
    ("loan_balance_rmb", N, None, "2024-12-31", "craxpro_national_loans_2024", 255.68, "trillion yuan", "", 7.6, {},
     2.5568e14),
    ("tsf_increment", N, "2023-01-01", "2023-12-31", "craxpro_national_loans_2024", 35.59, "trillion yuan", "", None,
     {}, 3.559e13),
    ("loan_balance_all", N, None, "2024-03-31", "vteamgroup_national_finstats_2024q1", 251.81, "万亿元", "", 9.2, {},
     2.5181e14),
    ("new_loans_rmb", N, "2023-01-01", "2023-09-30", "guoyinggangguan_national_finstats_2023q3", 19.75, "万亿元", "",
     None, {"yoy_diff": 1.58}, 1.975e13),
    ("loan_balance_all", N, None, "2022-12-31", "szonline_national_finstats_2022", 219.1, "万亿元", "", 10.4, {},
     2.191e14),
    ("tsf_stock", N, None, "2022-06-30", "qqjjsj_national_afre_stock_2022_monthly", 334.28, "万亿元", "", 10.8, {},
     3.3428e14),
    ("tsf_increment", N, "2022-01-01", "2022-09-30", "tushare_national_tsf_monthly_2021_2023", 278070, "亿元", "", None,
     {}, 2.7807e13),
    ("tsf_increment", N, "2022-01-01", "2022-09-30", "wodirj_national_tsf_2022q3", 27.77, "万亿元", "", None,
     {"yoy_diff": 3.01}, 2.777e13),
    ("loan_balance_rmb", N, None, "2020-03-31", "ttnews_national_finstats_2020q1", 160.21, "万亿元", "", 12.7, {},
     1.6021e14),
    ("tsf_increment", N, "2018-01-01", "2018-12-31", "govcn_en_national_loans_2018", 19.26, "trillion yuan", "", None,
     {"yoy_diff": -3.14}, 1.926e13),
    ("loan_balance_all", C, None, "2024-04-30", "hualong_cq_loan_direction_2024_04", 57672.4, "亿元", "", 7.3, {},
     5.76724e12),
    ("loan_balance_all", C, None, "2014-09-30", "chinanews_cq_crossborder_loans_2014q3", 20178.5, "亿元", "", None, {},
     2.01785e12),
    ("loan_balance_all", C, None, "2020-11-30", "ichongqing_en_cq_loans_2020_11", 4157.9, "billion yuan", "", 12.8, {},
     4.1579e12),
    ("loan_balance_banking_sector", C, None, "2022-07-31", "llnet_en_cq_banking_2022_07", 4.99, "trillion yuan", "",
     None, {}, 4.99e12),
    ("crossborder_rmb_settlement", C, "2014-01-01", "2014-09-30", "chinanews_cq_crossborder_loans_2014q3", 1120, "亿元",
     "", 110, {"yoy_wording": "times"}, 1.12e11),
    ("crossborder_rmb_settlement", C, "2021-01-01", "2021-06-30", "chinanews_cq_crossborder_rmb_2021h1", 800, "亿元",
     "突破", None, {}, 8.0e10),
    ("crossborder_rmb_settlement_belt_road", C, "2017-01-01", "2017-12-31", "forum_cq_belt_road_rmb_2017", 186.3,
     "亿元", "", 3.3, {}, 1.863e10),
]


def find(ds, metric, entity, end, source):
    o = ds.observations
    hit = o[(o.metric_id == metric) & (o.entity_id == entity) & (o.period_end == end) & (o.source_id == source)]
    assert len(hit) == 1, f"{metric}/{entity}/{end}/{source}: {len(hit)} rows"
    return hit.iloc[0]


@pytest.mark.parametrize(("metric", "entity", "start", "end", "source", "value", "unit", "qualifier", "yoy", "extra",
                          "base"), KEY, ids=[f"{k[0]}@{k[1]}/{k[3]}/{k[4]}" for k in KEY])
def test_key_figure(real_ds, metric, entity, start, end, source, value, unit, qualifier, yoy, extra, base):
    o = find(real_ds, metric, entity, end, source)
    assert (o["value"], o["unit"], o["qualifier"]) == (value, unit, qualifier)
    assert (o["period_start"] in ("", None) or o["period_start"] != o["period_start"]) if start is None \
        else o["period_start"] == start
    assert (math.isnan(o["yoy_pct"]) if yoy is None else o["yoy_pct"] == yoy)
    for col, expected in extra.items():
        assert o[col] == expected, col
    assert o["value_base"] == pytest.approx(base, rel=1e-12)


def test_national_figures_are_never_filed_as_chongqing(real_ds):
    o = real_ds.observations
    national_sources = {s for s in o.source_id if "national" in s}
    assert national_sources, "no national source in the data"
    assert set(o[o.source_id.isin(national_sources)].entity_id) == {N}


def test_afre_loans_are_not_the_rmb_loan_balance(real_ds):
    # end-March 2025: RMB loans to the real economy grew 7.2%, an AFRE component; the RMB loan balance
    # grew 7.4% (a text that says "outstanding yuan loans"): the AFRE figure never stands for it
    o = find(real_ds, "afre_rmb_loans_stock", N, "2025-03-31", "xqexn_national_afre_stock_2025_03")
    assert o["yoy_pct"] == 7.2
    rmb = real_ds.observations.query("metric_id == 'loan_balance_rmb' and entity_id == @N")
    assert 7.2 not in set(rmb.loc[rmb.period_end == "2025-03-31", "yoy_pct"])
    assert "2025-06-30" in set(rmb.period_end)


def test_the_better_graded_source_is_preferred_for_the_same_figure(real_ds):
    press = find(real_ds, "new_loans_rmb", N, "2024-12-31", "peoplecn_en_national_loans_2024")
    forum = find(real_ds, "new_loans_rmb", N, "2024-12-31", "craxpro_national_loans_2024")
    assert press["value"] == forum["value"] == 18.09
    # the figure is used from a press source (another press report may be the one), never the forum's
    o = real_ds.observations
    used = o[(o["figure"] == press["figure"]) & o["preferred"]]
    assert not bool(forum["preferred"]) and list(used["reliability"]) == ["press"]


def test_the_combined_region_figure_is_cautioned_and_not_chongqing(real_ds):
    o = find(real_ds, "loan_balance_unstated", "chengdu_chongqing_circle", "2024-06-30",
             "wcifit_en_chengdu_chongqing_loans")
    assert o["value"] == 17.7 and o["caution"]
    assert not bool(o["preferred"])
