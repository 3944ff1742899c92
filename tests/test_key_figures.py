"""Key figures, checked by hand against the source texts (not generated from the data).

Each row: metric, entity, period end, source, and what the text says: value, unit,
qualifier, YoY %, other reported comparisons, and the value in base units.
"""

import math

import pytest

from cqreport.analysis.derive import crosschecks

C = "chongqing"
KEY = [
    # metric, entity, end, source, value, unit, qualifier, yoy, extra, base value
    ("loan_balance_rmb", C, "2026-03-31", "cq_2026q1_presser", 6.54, "万亿元", "", 6.8, {"streak_months": 13}, 6.54e12),
    ("tsf_increment", C, "2026-03-31", "cq_2026q1_presser", 2300, "亿元", "约", None, {}, 2.3e11),
    ("bond_issuance_interbank", C, "2026-03-31", "cq_2026q1_presser", 388.6, "亿元", "", None, {}, 3.886e10),
    ("goods_trade_settlement", C, "2026-03-31", "cq_2026q1_presser", 850.5, "亿元", "", None,
     {"rank": "居中西部第一"}, 8.505e10),
    ("crossborder_trade_facilitation_settlement", C, "2026-05-09", "cq_2026q1_presser", 682.7, "亿美元", "", None, {},
     6.827e10),
    ("auto_exports_units", C, "2025-12-31", "cq_2026q1_presser", 61.4, "万辆", "", 28.7, {}, 614_000),
    ("corridor_service_centre_loans", "corridor_service_centre", "2026-05-09", "cq_2026q1_presser", 168, "亿元", "",
     None, {}, 1.68e10),
    ("corridor_service_centre_loans", "corridor_service_centre", "2026-04-15", "corridor_2026_meeting", 168, "亿元",
     "超", None, {}, 1.68e10),
    ("freight_trains_cumulative", "cq_logistics_hub_park", "2025-12-31", "cq_2026q1_presser", 3.13, "万班", "", None,
     {}, 31_300),
    ("corridor_trains_cumulative", "cq_logistics_hub_park", "2025-12-31", "cq_2026q1_presser", 9879, "列", "", None,
     {}, 9879),
    ("seres_local_sourcing_rate", "seres", "2026-05-09", "cq_2026q1_presser", 46, "%", "", None, {"prior_value": 16},
     46),
    ("alliance_members", "corridor_finance_alliance", "2026-05-22", "corridor_2026_meeting", 80, "家", "", None,
     {"prior_value": 9}, 80),
    ("corridor_logistics_loans", C, "2025-12-31", "corridor_2026_meeting", 364, "亿元", "", None, {}, 3.64e10),
    ("loan_balance_rmb", C, "2025-03-31", "cqcb_2025q1", 6.12, "万亿元", "", 7.9, {"vs_national_pp": 0.5}, 6.12e12),
    ("new_loans_rmb", C, "2025-03-31", "cqcb_2025q1", 1672, "亿元", "", 100, {"yoy_wording": "doubled"}, 1.672e11),
    ("bond_issuance_all_markets", C, "2025-03-31", "cqcb_2025q1", 745, "亿元", "超", 3.6, {}, 7.45e10),
    ("tsf_increment", C, "2025-03-31", "cqcb_2025q1", 2733.8, "亿元", "", None, {"yoy_diff": 532.3}, 2.7338e11),
    ("loan_balance_rmb", C, "2025-06-30", "huaxia_2025h1", 6.25, "万亿元", "", 8.3,
     {"vs_national_pp": 1.2, "streak_months": 4}, 6.25e12),
    ("tsf_increment", C, "2025-06-30", "ichongqing_2025h1_tsf", 415.3, "billion yuan", "", None, {"yoy_diff": 28.1},
     4.153e11),
    ("loan_balance_banking_sector", C, "2024-12-31", "cqnews_2025_14th_fyp", 6.0, "万亿元", "", 6.5, {}, 6.0e12),
    ("crossborder_rmb_settlement", C, "2024-12-31", "ifeng_2024_crossborder_rmb", 4000, "亿元", "近", 37,
     {"vs_national_pp": 15}, 4.0e11),
    ("corridor_financing_balance", C, "2025-03-31", "ichongqing_2025q1_crossborder", 640, "billion yuan", "", 14.4, {},
     6.4e11),
    ("corridor_financing_balance", C, "2025-12-31", "cbg_2025_corridor_finance", 7300, "亿元", "突破", None, {},
     7.3e11),
    ("crossborder_platform_amount", C, "2025-12-31", "netease_2025_crossborder_platform", 756, "亿美元", "突破", None,
     {}, 7.56e10),
    ("crossborder_platform_amount", C, "2025-12-31", "ichongqing_2025_yearend", 75.6, "billion USD", "", None, {},
     7.56e10),
    ("auto_export_value", C, "2025-12-31", "netease_2025_foreign_trade", 530.3, "亿元", "", 23, {}, 5.303e10),
    ("auto_export_value", C, "2024-12-31", "ichongqing_2024_customs", 43.13, "billion yuan", "", 30, {}, 4.313e10),
    ("auto_exports_units", C, "2023-11-30", "xinhua_2023_auto_exports", 334000, "units", "", 28.1, {}, 334_000),
]


def find(ds, metric, entity, end, source):
    o = ds.observations
    hit = o[(o.metric_id == metric) & (o.entity_id == entity) & (o.period_end == end) & (o.source_id == source)]
    assert len(hit) == 1, f"{metric}/{entity}/{end}/{source}: {len(hit)} rows"
    return hit.iloc[0]


def test_at_least_fifteen_key_figures_are_checked():
    assert len(KEY) >= 15


@pytest.mark.parametrize(("metric", "entity", "end", "source", "value", "unit", "qualifier", "yoy", "extra", "base"),
                         KEY, ids=[f"{k[0]}@{k[2]}/{k[3]}" for k in KEY])
def test_key_figure(real_ds, metric, entity, end, source, value, unit, qualifier, yoy, extra, base):
    o = find(real_ds, metric, entity, end, source)
    assert (o["value"], o["unit"], o["qualifier"]) == (value, unit, qualifier)
    assert (math.isnan(o["yoy_pct"]) if yoy is None else o["yoy_pct"] == yoy)
    for col, expected in extra.items():
        assert o[col] == expected, col
    assert o["value_base"] == pytest.approx(base, rel=1e-12)


def test_like_is_not_mixed_with_unlike(real_ds):
    o = real_ds.observations
    # the Q1 2026 bond figure is interbank-market only; the Q1 2025 one covers all markets
    assert find(real_ds, "bond_issuance_interbank", C, "2026-03-31", "cq_2026q1_presser")["metric_id"] != \
        find(real_ds, "bond_issuance_all_markets", C, "2025-03-31", "cqcb_2025q1")["metric_id"]
    # vehicles and yuan never share a metric
    for metric, group in o.groupby("metric_id"):
        assert group["base_unit"].nunique() == 1, metric


def test_q1_2025_balance_cross_check(real_ds):
    (check,) = [c for c in crosschecks(real_ds)
                if c.reported_id == "loan_balance_rmb@chongqing/2025-03-31/cqcb_2025q1"]
    assert check.agrees and check.low < 6.12 < check.high
