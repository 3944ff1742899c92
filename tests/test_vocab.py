"""Units and qualifiers: the vocabulary everything else converts with."""

import ast
import math
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cqreport.core.vocab import BASE_UNITS, QUALIFIERS, UNITS, scale_of, to_base


@pytest.mark.parametrize(("value", "unit", "expected", "base"), [
    (6.54, "万亿元", 6.54e12, "yuan"),
    (850.5, "亿元", 8.505e10, "yuan"),
    (30, "万元", 3e5, "yuan"),
    (682.7, "亿美元", 6.827e10, "usd"),
    (61.4, "万辆", 6.14e5, "vehicles"),
    (103, "万标箱", 1.03e6, "teu"),
    (9879, "列", 9879, "trains"),
    (3.13, "万班", 3.13e4, "train_trips"),
    (15, "家", 15, "entities"),
    (43.13, "billion yuan", 4.313e10, "yuan"),
    (6.25, "trillion yuan", 6.25e12, "yuan"),
    (110, "billion USD", 1.1e11, "usd"),
    (334000, "units", 334000, "vehicles"),
])
def test_to_base_converts_each_scale_and_counter(value, unit, expected, base):
    assert math.isclose(to_base(value, unit), expected, rel_tol=1e-12)
    assert UNITS[unit].base == base


def test_every_unit_measures_a_known_base_unit():
    assert {u.base for u in UNITS.values()} <= set(BASE_UNITS)


def test_unknown_unit_is_refused():
    with pytest.raises(KeyError):
        to_base(1, "万亿美金")


@pytest.mark.parametrize(("unit", "parts"), [
    ("万亿元", ("万亿", "元")), ("亿美元", ("亿", "美元")), ("万标箱", ("万", "标箱")),
    ("列", ("", "列")), ("billion USD", ("billion", "USD")), ("percent", ("", "percent")),
])
def test_scale_of_splits_scale_from_counter(unit, parts):
    assert scale_of(unit) == parts


@pytest.mark.parametrize(("word", "bound"), [
    ("约", "approx"), ("近", "upper"), ("超", "lower"), ("超过", "lower"), ("逾", "lower"),
    ("突破", "lower"), ("余", "lower"), ("多", "lower"), ("以上", "lower"),
    ("about", "approx"), ("nearly", "upper"), ("more than", "lower"),
])
def test_qualifier_bounds(word, bound):
    assert QUALIFIERS[word].bound == bound


@given(st.floats(min_value=0, max_value=1e6, allow_nan=False), st.sampled_from(sorted(UNITS)))
def test_normalization_is_linear_and_invertible(value, unit):
    base = to_base(value, unit)
    assert math.isclose(base / UNITS[unit].factor, value, rel_tol=1e-12, abs_tol=1e-12)
    assert math.isclose(to_base(2 * value, unit), 2 * base, rel_tol=1e-12, abs_tol=1e-9)


@given(st.sampled_from(["万亿", "亿", "万"]), st.sampled_from(["元", "美元", "辆", "标箱", "班", "家"]),
       st.floats(min_value=0.01, max_value=9999, allow_nan=False))
def test_chinese_scales_multiply_as_written(scale, counter, value):
    factor = {"万亿": 1e12, "亿": 1e8, "万": 1e4}[scale]
    assert math.isclose(to_base(value, scale + counter), value * factor, rel_tol=1e-12)


def test_datapackage_enums_follow_the_vocabulary():
    import json

    from .conftest import REAL_DATA

    fields = {f["name"]: f for r in json.loads((REAL_DATA / "datapackage.json").read_text())["resources"]
              for f in r["schema"]["fields"]}
    assert set(fields["qualifier"]["constraints"]["enum"]) == set(QUALIFIERS)
    assert set(fields["base_unit"]["constraints"]["enum"]) == set(BASE_UNITS)


# ------------------------------------------------------------------ one home for every list
from cqreport.core import vocab  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "cqreport"
HOME = SRC / "core" / "vocab.py"


# How many members of a list a literal must spell out to count as a copy. Small subsets are
# conditions (`base in ("percent", "pp")`, `q in ("余", "多")`) or synonym pairs
# (("exceeded", "exceeding")), not copies; the base units are 25, the qualifiers 16.
MIN_HITS = {"bounds": 3, "base units": 12, "qualifiers": 3, "months": 3, "month abbreviations": 3}


def _vocabulary_lists() -> dict[str, set[str]]:
    g = vocab.glossary()
    return {
        "report languages": set(vocab.REPORT_LANGS),
        "topics": set(vocab.topics()),
        "reliability grades": set(vocab.reliability_grades()),
        "months": set(g["months"]["en"]),
        "month abbreviations": set(g["months"]["en_abbr"]),
        "Chinese scales": {s for s in vocab.SCALES_ZH if s},
        "English scales": {s for s in vocab.SCALES_EN if s},
        "qualifiers": set(vocab.QUALIFIERS),
        "bounds": set(vocab.BOUND_WORDS),
        "base units": set(vocab.BASE_UNITS),
    }


def _literal_strings(node: ast.AST) -> list[str] | None:
    """The strings of a literal tuple, list, set or dict's keys; None if it holds anything else."""
    elts = node.keys if isinstance(node, ast.Dict) else getattr(node, "elts", None)
    if elts is None or len(elts) < 2:
        return None
    if not all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in elts):
        return None
    return [e.value for e in elts]


def find_copies(files, lists, root=SRC) -> list[str]:
    """Literal collections outside core/vocab.py that spell out a vocabulary list (or part of one)."""
    found = []
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, (ast.Tuple, ast.List, ast.Set, ast.Dict)):
                continue
            strings = _literal_strings(node)
            if not strings:
                continue
            if isinstance(node, ast.Dict) and not all(isinstance(v, ast.Constant) for v in node.values):
                continue   # a dispatch table (topic -> functions) uses names, it does not define them
            for name, words in lists.items():
                hits = set(strings) & words
                if len(hits) >= MIN_HITS.get(name, 2) and set(strings) <= words | {""}:
                    found.append(f"{path.relative_to(root)}:{node.lineno}: a copy of the {name} {sorted(hits)}")
    return found


def test_no_module_defines_its_own_copy_of_a_vocabulary_list():
    files = [p for p in SRC.rglob("*.py") if p != HOME]
    assert not find_copies(files, _vocabulary_lists())


def test_the_copy_check_finds_a_copy(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text('LANGS = ("zh", "en")\nfor t in ("credit", "auto"):\n    pass\n'
                   'S = {"万亿": 1e12, "亿": 1e8}\nOK = ("zh", "other")\n', encoding="utf-8")
    found = find_copies([bad], _vocabulary_lists(), root=tmp_path)
    assert [f.split(": ")[1].split(" [")[0] for f in found] == [
        "a copy of the report languages", "a copy of the topics", "a copy of the Chinese scales"]


def test_every_glossary_entry_has_both_languages_and_is_used():
    g = vocab.glossary()
    code = "\n".join(p.read_text(encoding="utf-8") for p in SRC.rglob("*") if p.suffix in (".py", ".j2"))
    for section in ("topics", "reliability", "charts"):
        for key, entry in g[section].items():
            assert entry.get("zh") and entry.get("en"), (section, key)
    # every chart word is drawn somewhere; every topic and grade is an enum of the data package
    # a chart's caption is looked up by its catalogue name (metrics.chart): <name>_caption
    import pandas as pd

    chart_names = set(pd.read_csv(ROOT / "data" / "metrics.csv")["chart"].dropna())
    assert chart_names and all(f"{c}_caption" in g["charts"] for c in chart_names)
    unused = [k for k in g["charts"] if f'"{k}"' not in code
              and not (k.endswith("_caption") and k.removesuffix("_caption") in chart_names)]
    assert not unused
    assert set(g["topics"]) == set(vocab.topics())
    assert set(g["reliability"]) == set(vocab.reliability_grades())


@pytest.fixture
def data_in_use():
    """Put the vocabulary back on the shipped data after the test."""
    yield
    vocab.use_data(ROOT / "data")


def test_the_vocabulary_reads_the_data_in_use_not_the_checkout(min_data, sources_dir, data_in_use):
    """--data DIR with its own descriptor: its enums are the vocabulary's (issue 18)."""
    import json

    from cqreport.dataset.model import load_dataset

    pkg = json.loads((min_data / "datapackage.json").read_text(encoding="utf-8"))
    sources = next(r for r in pkg["resources"] if r["name"] == "sources")
    field = next(f for f in sources["schema"]["fields"] if f["name"] == "reliability")
    field["constraints"]["enum"].append("hearsay")
    (min_data / "datapackage.json").write_text(json.dumps(pkg, ensure_ascii=False), encoding="utf-8")
    assert "hearsay" not in vocab.reliability_grades()
    load_dataset(min_data, sources_dir)
    assert vocab.reliability_grades()[-1] == "hearsay"
    assert vocab.descriptor_in_use() == (min_data / "datapackage.json").resolve()
    # and a command given --data reads it before it does anything else
    from click.testing import CliRunner

    from cqreport.cli import cli

    vocab.use_data(ROOT / "data")
    CliRunner().invoke(cli, ["quarters", "--data", str(min_data), "--sources", str(sources_dir)])
    assert vocab.reliability_grades()[-1] == "hearsay"
