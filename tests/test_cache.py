"""The work cache: units keyed by exactly their inputs, entries that cannot be planted."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cqreport.analysis.quarter import quarter_data
from cqreport.dataset.model import load_dataset
from cqreport.engine import units
from cqreport.engine.cache import WorkCache, key_of

from .edits import change_figure

ROOT = Path(__file__).resolve().parents[1]
KEY = key_of("chart", "some inputs")


def _entry(cache: WorkCache, kind: str, key: str) -> Path:
    return cache.root / kind / key[:2] / key


def test_an_entry_comes_back_as_stored(tmp_path):
    cache = WorkCache(tmp_path)
    cache.put("chart", KEY, b"outputs")
    assert cache.get("chart", KEY) == b"outputs"
    assert cache.stats() == {"hits": {"chart": 1}, "misses": {}}


@pytest.mark.parametrize("tamper", ["edit", "cut", "planted", "unkeyed", "moved", "other key file"])
def test_an_entry_that_does_not_verify_is_never_used_and_removed(tmp_path, monkeypatch, tamper):
    cache = WorkCache(tmp_path / "cache")
    cache.put("audit", KEY, b'{"summary": "audit passed"}')
    entry = _entry(cache, "audit", KEY)
    seal, _, data = entry.read_bytes().partition(b"\n")
    if tamper == "edit":
        entry.write_bytes(seal + b"\n" + data.replace(b"passed", b"passed!"))
    elif tamper == "cut":
        entry.write_bytes(seal + b"\n" + data[:10])
    elif tamper == "planted":  # someone who can write the cache, not read the key
        entry.write_bytes(b"0" * 64 + b"\n" + b'{"summary": "audit passed", "forged": true}')
    elif tamper == "unkeyed":
        from cqreport.core.files import sha256_bytes

        entry.write_bytes(sha256_bytes(data).encode() + b"\n" + data)
    elif tamper == "moved":  # a good entry of another unit put under this key
        other = key_of("audit", "other")
        cache.put("audit", other, b'{"summary": "audit failed"}')
        shutil.copy(_entry(cache, "audit", other), entry)
    else:  # another user's cache, sealed with their key
        monkeypatch.setenv("CQREPORT_KEY_FILE", str(tmp_path / "another.key"))
    assert cache.get("audit", KEY) is None
    assert not entry.exists()
    assert cache.stats()["misses"] == {"audit": 1}


def test_a_disabled_cache_reads_and_writes_nothing(tmp_path):
    cold = WorkCache(tmp_path, enabled=False)
    cold.put("pdf", KEY, b"%PDF")
    assert cold.get("pdf", KEY) is None and not any(tmp_path.iterdir())


def test_a_kind_keeps_its_most_recently_used_entries(tmp_path, monkeypatch):
    from cqreport.engine import cache as cache_mod

    monkeypatch.setitem(cache_mod.KEEP, "pdf", 3)
    cache = WorkCache(tmp_path)
    keys = [key_of("pdf", i) for i in range(5)]
    for k in keys:
        cache.put("pdf", k, b"x")
    assert sum(cache.get("pdf", k) is not None for k in keys) == 3
    assert cache.get("pdf", keys[-1]) == b"x"


def test_a_chart_cell_is_known_by_its_shape():
    assert units.chart_topic('charts.topic_charts(qd, "auto", params.lang)') == "auto"
    for other in ("charts.setup();", "HTML(report.section_html('auto'))",
                  "x = charts.topic_charts(qd, 'auto', params.lang)",
                  "charts.topic_charts(qd, topic, params.lang)", "def ("):
        assert units.chart_topic(other) is None


def test_a_data_edit_changes_only_the_keys_of_the_charts_it_touches(tmp_path, sources_dir):
    """What an edit re-runs: a changed credit figure re-draws the credit charts, no other."""
    data, sources = tmp_path / "data", tmp_path / "sources"
    shutil.copytree(ROOT / "data", data)
    shutil.copytree(sources_dir, sources)

    def keys() -> dict[str, str]:
        ds = load_dataset(data, sources)
        qd = quarter_data(ds, "2026Q1")
        return {t: units.chart_key(qd, t, "zh", f"charts.topic_charts(qd, {t!r}, params.lang)", [])
                for t in ("credit", "cross_border", "auto", "corridor")}

    before = keys()
    change_figure(data, sources, "cq_2026q1_presser", "6.54万亿元", "6.53万亿元")
    after = keys()
    assert before["credit"] != after["credit"]
    assert {t: k for t, k in before.items() if t != "credit"} == \
        {t: k for t, k in after.items() if t != "credit"}
    # and the language, the cell's code and the code before it are inputs too
    ds = load_dataset(data, sources)
    qd = quarter_data(ds, "2026Q1")
    cell = "charts.topic_charts(qd, 'auto', params.lang)"
    base = units.chart_key(qd, "auto", "zh", cell, [])
    assert base != units.chart_key(qd, "auto", "en", cell, [])
    assert base != units.chart_key(qd, "auto", "zh", cell, ["charts.setup(dpi=300)"])
