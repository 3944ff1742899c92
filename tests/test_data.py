"""Integrity of the shipped data, checked independently of the library's own validator."""

import hashlib
import re
from pathlib import Path

import pandas as pd
import pytest
from frictionless import Package

from cqreport.analysis.derive import crosschecks
from cqreport.core.numbers import find_numbers
from cqreport.dataset.validate import quote_fragments

from .conftest import REAL_DATA

CORE = ("000_b8a2839b917f43b3.txt", "003_2fe010bab30cc1bb.txt")


def read(name: str) -> pd.DataFrame:
    return pd.read_csv(REAL_DATA / f"{name}.csv", dtype=str, keep_default_na=False)


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_frictionless_validates_the_package_as_an_outside_tool_would():
    report = Package(str(REAL_DATA / "datapackage.json")).validate()
    errors = [f"{e.type}: {e.note}" for task in report.tasks for e in task.errors]
    assert report.valid, errors


def test_every_source_hash_matches(sources_dir: Path):
    for s in read("sources").itertuples():
        assert hashlib.sha256((sources_dir / s.file).read_bytes()).hexdigest() == s.sha256, s.file


def test_every_source_text_is_registered(sources_dir: Path):
    """Every text of the sources folder is registered; a registered peers text is cited where it
    waits (peers/<name>: the shared folder is read-only), and nothing else is registered."""
    files = {p.name for p in sources_dir.glob("*.txt")}
    registered = set(read("sources")["file"])
    assert files <= registered
    waiting = {f"peers/{p.name}" for p in sources_dir.glob("peers/*.txt")}
    assert registered - files <= waiting


def test_every_quote_occurs_in_its_source_text(sources_dir: Path):
    files = dict(zip(read("sources")["source_id"], read("sources")["file"], strict=True))
    texts = {sid: squash((sources_dir / f).read_text(encoding="utf-8")) for sid, f in files.items()}
    missing = [(o.Index + 2, part) for o in read("observations").itertuples()
               for part in quote_fragments(o.quote) if squash(part) not in texts[o.source_id]]
    assert not missing


def test_every_value_occurs_in_its_quote():
    absent = []
    for o in read("observations").itertuples():
        values = {m.value for m in find_numbers(o.quote)}
        if not any(abs(float(o.value) - v) < 1e-9 for v in values):
            absent.append((o.Index + 2, o.value, o.quote))
    assert not absent


def test_quotes_are_short_citations_not_copied_prose():
    # one clause or sentence: English needs about twice the characters of Chinese
    # (Italian like English, Japanese like Chinese)
    limit = {"zh": 100, "en": 220, "it": 220, "ja": 100}
    lang = dict(zip(read("sources")["source_id"], read("sources")["language"], strict=True))
    long = [(o.Index + 2, part) for o in read("observations").itertuples()
            for part in quote_fragments(o.quote) if len(part) > limit[lang[o.source_id]]]
    assert not long


def test_coverage_of_sources_metrics_and_themes():
    obs, metrics, sources = read("observations"), read("metrics"), read("sources")
    assert len(obs) > 60
    # A registered text may yield no theme figure (an excerpt cut off before its figures); it must
    # then be named, with the reason, in data/README.md, so a silently unused source still fails.
    readme = (REAL_DATA / "README.md").read_text(encoding="utf-8")
    unused = set(sources["source_id"]) - set(obs["source_id"])
    assert not {s for s in unused if f"`{s}`" not in readme}, "a registered source contributes no figure"
    from cqreport.analysis.derive import RATIOS  # derived-only metrics: the library computes them
    assert set(metrics["metric_id"]) - set(RATIOS) == set(obs["metric_id"]), "a metric has no observation"
    core_ids = set(sources[sources["file"].isin(CORE)]["source_id"])
    assert (obs["source_id"].isin(core_ids)).sum() >= 40
    topics = set(metrics.set_index("metric_id").loc[obs["metric_id"], "topic"])
    assert {"credit", "cross_border", "auto", "corridor"} <= topics


def test_the_machine_summary_is_marked_as_such():
    s = read("sources").set_index("file")
    assert s.loc["2026-01-23_reportify-en-pboc-cq-2025-summary.txt", "reliability"] == "machine_summary"


def test_values_in_base_units_are_computed_not_typed():
    header = (REAL_DATA / "observations.csv").read_text(encoding="utf-8").splitlines()[0]
    assert "value_base" not in header and "yuan" not in header


@pytest.mark.parametrize("table", ["metrics", "entities", "sources", "observations"])
def test_files_are_plain_utf8_without_bom(table):
    raw = (REAL_DATA / f"{table}.csv").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")
    raw.decode("utf-8")


def test_the_real_data_loads_and_has_quarters(real_ds):
    qs = [str(q) for q in real_ds.quarters()]
    assert qs[-1] == "2026Q1"
    assert {"2025Q1", "2025Q4"} <= set(qs)


def test_cross_checks_on_the_real_data_agree_or_are_explained(real_ds):
    # The PBoC computes national growth on a comparable basis, so a year-earlier figure as first
    # published may not be what the later growth implies: such a row's note names that figure.
    checks = crosschecks(real_ds)
    assert checks, "expected at least the Q1 2025 loan balance cross-check"
    def written(oid):
        o = real_ds.observation(oid)
        return f"{float(o['value']):.{int(o['decimals'])}f}"

    unexplained = [c.note for c in checks if not c.agrees
                   and written(c.reported_id) not in real_ds.observation(c.implied_by)["note"]]
    assert unexplained == []
