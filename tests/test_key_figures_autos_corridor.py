"""Auto and Land-Sea Corridor history figures, checked by hand against the source texts.

Each row is what the text says (value and unit as printed, qualifier, YoY %, the
period read from its words, the entity it is about) and the value in base units;
the test finds the one row for (metric, entity, period, source) in the shipped
data and compares. A row filed under the wrong metric, entity, period or unit,
or with a wrong qualifier or growth rate, fails.
"""

import math

import pytest

C, LSC = "chongqing", "land_sea_corridor"
KEY = [
    # metric, entity, start, end, source, value, unit, qualifier, yoy, base value
    # auto output and NEV output (iChongqing / Xinhua, municipal economy and IT commission)
    ("auto_output", C, "2025-01-01", "2025-12-31", "ichongqing_2025_auto_output", 2.788, "million vehicles", "", 9.7,
     2_788_000),
    ("nev_output", C, "2025-01-01", "2025-12-31", "ichongqing_2025_auto_output", 1.296, "million units", "", 36,
     1_296_000),
    ("auto_output", C, "2023-01-01", "2023-12-31", "peoplecn_2023_nev_auto", 2.32, "million vehicles", "", None,
     2_320_000),
    ("nev_output", C, "2023-01-01", "2023-12-31", "peoplecn_2023_nev_auto", 500000, "units", "more than", 30.3,
     500_000),
    ("auto_output", C, "2024-01-01", "2024-06-30", "ichongqing_2024h1_auto_output", 1.214, "million units", "", None,
     1_214_000),
    ("nev_output", C, "2021-01-01", "2021-09-30", "ichongqing_2021q3_nev_output", 97000, "vehicles", "", 223, 97_000),
    # auto exports: vehicles and yuan are two series
    ("auto_exports_units", C, "2024-01-01", "2024-12-31", "xinhua_mirror_2024_auto_exports", 47.7, "万辆", "", 29.6,
     477_000),
    ("auto_export_value", C, "2024-01-01", "2024-12-31", "xinhua_mirror_2024_auto_exports", 431.1, "亿元", "", 30,
     4.311e10),
    ("auto_exports_units", C, "2020-01-01", "2020-05-31", "ichongqing_2020_auto_exports_jan_may", 40000, "vehicles",
     "", 24.2, 40_000),
    ("auto_export_value", C, "2024-01-01", "2024-09-30", "chinadaily_2024q3_auto_exports", 31.7, "billion yuan", "",
     34, 3.17e10),
    # Chongqing via the corridor: TEU and cargo value
    ("corridor_teu", C, "2025-01-01", "2025-12-31", "peoplecn_2025_landsea", 327700, "TEU", "", 30, 327_700),
    ("corridor_cargo_value", C, "2025-01-01", "2025-12-31", "peoplecn_2025_landsea", 58.31, "billion yuan", "over",
     25, 5.831e10),
    ("corridor_teu", C, "2021-01-01", "2021-12-31", "xblhxtd_2021_landsea", 11.2, "万标箱", "", 54, 112_000),
    ("corridor_teu", C, "2022-01-01", "2022-12-31", "peoplecn_2022_landsea", 148000, "TEU", "over", 32, 148_000),
    ("corridor_cargo_value", C, "2022-01-01", "2022-03-31", "btpafb_2022q1_landsea", 44, "亿元", "", 23.2, 4.4e9),
    ("corridor_teu_cumulative", C, "2017-09-01", "2020-11-30", "imsilkroad_2020_landsea_jan_nov", 150901, "TEU", "",
     None, 150_901),
    ("corridor_route_trips", C, "2020-01-01", "2020-10-31", "peoplecn_2020_landsea_jan_oct", 3655, "trips", "", 113,
     3_655),
    ("corridor_road_cargo_value", C, "2025-01-01", "2025-12-31", "livedoor_ja_2025_landsea_road", 170, "亿元", "超",
     None, 1.7e10),
    # the corridor as a whole: rail-sea trains (列)
    ("landsea_railsea_trains", LSC, "2022-01-01", "2022-12-31", "nbd_2023_railsea_30000_trains", 8820, "列", "", None,
     8_820),
    ("landsea_railsea_trains_cumulative", LSC, "2017-04-28", "2023-10-08", "nbd_2023_railsea_30000_trains", 3, "万列",
     "突破", None, 30_000),
]


def find(ds, metric, entity, start, end, source):
    o = ds.observations
    hit = o[(o.metric_id == metric) & (o.entity_id == entity) & (o.period_start == start)
            & (o.period_end == end) & (o.source_id == source)]
    assert len(hit) == 1, f"{metric}/{entity}/{start}..{end}/{source}: {len(hit)} rows"
    return hit.iloc[0]


@pytest.mark.parametrize(("metric", "entity", "start", "end", "source", "value", "unit", "qualifier", "yoy", "base"),
                         KEY, ids=[f"{k[0]}@{k[3]}/{k[4]}" for k in KEY])
def test_key_figure(real_ds, metric, entity, start, end, source, value, unit, qualifier, yoy, base):
    o = find(real_ds, metric, entity, start, end, source)
    assert (o["value"], o["unit"], o["qualifier"]) == (value, unit, qualifier)
    assert (math.isnan(o["yoy_pct"]) if yoy is None else o["yoy_pct"] == yoy)
    assert o["value_base"] == pytest.approx(base, rel=1e-12)


def test_corridor_wide_series_are_never_chongqings(real_ds):
    o = real_ds.observations
    wide = o[o.metric_id.str.startswith("landsea_")]
    assert len(wide) >= 20
    assert set(wide.entity_id) == {LSC}


def test_forecasts_are_kept_but_never_used(real_ds):
    o = real_ds.observations
    expected = o[o.source_id == "ichongqing_2023_auto_output_expected"]
    assert len(expected) == 2
    assert expected["caution"].str.contains("forecast", case=False).all()
    assert not expected["preferred"].any()
    # the outcome, not the forecast, is the 2023 point of the series
    s = real_ds.series("auto_output", C)
    row = s[s.period_end == "2023-12-31"]
    assert list(row.source_id) == ["peoplecn_2023_nev_auto"]


def test_annual_points_of_the_charted_series(real_ds):
    def years(metric):
        s = real_ds.series(metric, C)
        full = s[(s.period_start.str[5:] == "01-01") & (s.period_end.str[5:] == "12-31")
                 & (s.period_start.str[:4] == s.period_end.str[:4])]
        return set(full.period_end.str[:4].astype(int))

    assert {2023, 2024, 2025} <= years("auto_exports_units")
    assert {2023, 2024, 2025} <= years("auto_export_value")
    assert {2014, 2023, 2024, 2025} <= years("auto_output")
    assert {2022, 2023, 2024, 2025} <= years("nev_output")
    assert {2021, 2022, 2025} <= years("corridor_teu")
    assert {2022, 2025} <= years("corridor_cargo_value")


def test_the_same_figure_from_a_better_source_is_preferred(real_ds):
    # 2024 export value: iChongqing (press) 43.13 billion yuan, the pinyin mirror 431.1亿元
    o = real_ds.observations
    pair = o[(o.metric_id == "auto_export_value") & (o.period_start == "2024-01-01")
             & (o.period_end == "2024-12-31")]
    assert set(pair.source_id) == {"ichongqing_2024_customs", "xinhua_mirror_2024_auto_exports"}
    assert list(pair[pair.preferred].source_id) == ["ichongqing_2024_customs"]
