"""Report parameters: read from the notebook, rejected before any kernel starts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cqreport.cli import cli
from cqreport.engine import pipeline as build_mod
from cqreport.errors import ParameterError, QuarterError
from cqreport.report.params import (
    PARAMETER_NAMES,
    ReportParams,
    expand_langs,
    notebook_parameters,
    parse_assignments,
    parse_lang,
    resolve_params,
    validate_params,
)

ROOT = Path(__file__).resolve().parents[1]
REPORT_NB = ROOT / "notebooks" / "quarterly_report.ipynb"
EXPLORE_NB = ROOT / "notebooks" / "explore_data.ipynb"


def _write_nb(path: Path, cells: list[dict]) -> Path:
    nb = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


def _code(src: str, tags=()) -> dict:
    return {"cell_type": "code", "source": src, "metadata": {"tags": list(tags)},
            "outputs": [], "execution_count": None}


def test_report_notebook_declares_its_parameters():
    found = notebook_parameters(REPORT_NB)
    assert list(found) == ["quarter", "lang", "data_dir", "as_of"]
    assert found["as_of"].default is None
    assert found["quarter"].default is None
    assert found["lang"].default == "zh"
    assert found["data_dir"].default is None
    assert all(p.comment for p in found.values()), "each parameter says what it is"


def test_explore_notebook_has_a_parameters_cell():
    assert "data_dir" in notebook_parameters(EXPLORE_NB)


def test_notebook_without_parameters_cell_is_an_error(tmp_path):
    nb = _write_nb(tmp_path / "x.ipynb", [_code("quarter = None")])
    with pytest.raises(ParameterError, match="no cell tagged 'parameters'"):
        notebook_parameters(nb)


def test_two_parameters_cells_are_an_error(tmp_path):
    nb = _write_nb(tmp_path / "x.ipynb", [_code("a = 1", ["parameters"]),
                                          _code("b = 2", ["parameters"])])
    with pytest.raises(ParameterError, match="2 cells tagged"):
        notebook_parameters(nb)


@pytest.mark.parametrize("src", ["x = compute()", "import os", "a, b = 1, 2"])
def test_parameters_cell_holds_only_literal_assignments(tmp_path, src):
    nb = _write_nb(tmp_path / "x.ipynb", [_code(src, ["parameters"])])
    with pytest.raises(ParameterError, match="parameters cell"):
        notebook_parameters(nb)


@pytest.mark.parametrize("bad", ["2026Q5", "26Q1", "2026", "Q1 2026", "2026Q0", ""])
def test_malformed_quarter_is_rejected(bad):
    exc = QuarterError if bad else ParameterError
    with pytest.raises(exc):
        validate_params({"quarter": bad})


def test_quarter_without_data_is_rejected_with_the_list(real_ds):
    have = [str(q) for q in real_ds.quarters()]
    missing = next(f"{y}Q{q}" for y in range(2020, 2030) for q in range(1, 5)
                   if f"{y}Q{q}" not in have)
    with pytest.raises(QuarterError) as err:
        validate_params({"quarter": missing}, quarters=have)
    assert have[-1] in str(err.value)


def test_unknown_language_and_parameter_are_rejected():
    with pytest.raises(ParameterError, match="unknown language 'fr'"):
        validate_params({"quarter": "2026Q1", "lang": "fr"})
    with pytest.raises(ParameterError, match="unknown parameter 'colour'"):
        validate_params({"quarter": "2026Q1", "colour": "red"})


def test_notebook_must_declare_the_report_parameters():
    with pytest.raises(ParameterError, match="does not declare lang"):
        validate_params({"quarter": "2026Q1"}, declared=["quarter", "data_dir"])


def test_quarter_reaches_papermill_as_a_string(real_ds):
    q = str(real_ds.quarters()[-1])
    p = validate_params({"quarter": q.lower(), "lang": "EN"}, quarters=[q])
    assert p == ReportParams(q, "en", None)
    values = p.to_papermill()
    assert values["quarter"] == q and isinstance(values["quarter"], str)


def test_data_dir_must_hold_a_descriptor(tmp_path):
    with pytest.raises(ParameterError, match=r"no datapackage\.json"):
        validate_params({"quarter": "2026Q1", "data_dir": str(tmp_path)})
    p = validate_params({"quarter": "2026Q1", "data_dir": str(ROOT / "data")})
    assert p.data_dir == str((ROOT / "data").resolve())


def test_resolve_defaults_to_the_latest_quarter(real_ds):
    p = resolve_params(real_ds)
    assert p.quarter == str(max(real_ds.quarters()))
    assert p.lang == "zh"


def test_language_helpers():
    assert parse_lang("Chinese") == "zh"
    assert expand_langs("all") == ["zh", "en"]
    assert expand_langs("en") == ["en"]
    with pytest.raises(ParameterError):
        expand_langs(",")


def test_assignments_keep_values_as_strings():
    assert parse_assignments(["fail=1", "x = 2.0 "]) == {"fail": "1", "x": "2.0"}
    with pytest.raises(ParameterError):
        parse_assignments(["=1"])


# ---------------------------------------------------------------- the command line


@pytest.fixture
def no_kernel(monkeypatch):
    """Fail the test if anything tries to start a kernel."""
    def boom(*a, **k):
        raise AssertionError("a kernel was started")
    monkeypatch.setattr(build_mod, "Kernel", boom)
    monkeypatch.setattr(build_mod, "check_kernel", boom)


@pytest.mark.parametrize("args,exc,words", [
    (["--quarter", "2026Q5"], QuarterError, "quarter number must be 1 to 4"),
    (["--quarter", "1999Q1"], QuarterError, "no report for quarter 1999Q1"),
    (["--quarter", "2026Q1", "--lang", "de"], ParameterError, "unknown language"),
    (["--quarter", "2026Q1", "-p", "colour=red"], ParameterError, "unknown parameter 'colour'"),
    (["--quarter", "2026Q1", "-p", "lang=en"], ParameterError, "--lang"),
    (["--quarter", "2026Q1", "--format", "docx"], ParameterError, "unknown format"),
])
def test_build_rejects_bad_parameters_before_any_kernel(no_kernel, tmp_path, args, exc, words):
    result = CliRunner().invoke(cli, ["build", *args, "--reports", str(tmp_path)])
    assert isinstance(result.exception, exc), result.output
    assert words in str(result.exception)


def test_bad_quarter_exits_non_zero_with_a_message(tmp_path):
    exe = Path(sys.executable).with_name("cqreport")
    proc = subprocess.run([str(exe), "build", "--quarter", "2026Q9", "--reports", str(tmp_path)],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode != 0
    assert "bad quarter '2026Q9'" in proc.stderr
    assert not any(tmp_path.glob("*/*/report.ipynb"))


def test_params_command_lists_defaults():
    result = CliRunner().invoke(cli, ["params"])
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line for line in result.output.splitlines() if line.strip()}
    assert set(lines) == set(notebook_parameters(REPORT_NB))
    assert '"zh"' in lines["lang"] and "None" in lines["quarter"]


def test_as_of_is_an_iso_date_or_nothing():
    from cqreport.report.params import check_as_of, validate_params
    assert validate_params({"quarter": "2025Q4", "as_of": "2026-02-07"},
                           declared=(*PARAMETER_NAMES, "as_of")).as_of_date.isoformat() == "2026-02-07"
    assert validate_params({"quarter": "2025Q4"}).as_of is None
    assert "as_of" not in validate_params({"quarter": "2025Q4"}).to_papermill()
    with pytest.raises(ParameterError, match=r"as_of .*expected a date like"):
        check_as_of("2026/02/07")


def test_build_passes_as_of_to_the_notebook(monkeypatch, tmp_path):
    seen = {}

    def fake_build(quarters, **kw):
        seen.update(kw)
        raise SystemExit(0)

    monkeypatch.setattr(build_mod, "build", fake_build)
    CliRunner().invoke(cli, ["build", "-q", "2025Q4", "--as-of", "2026-02-07", "--reports", str(tmp_path)])
    assert seen["extra"] == {"as_of": "2026-02-07"}
    bad = CliRunner().invoke(cli, ["build", "-q", "2025Q4", "--as-of", "Feb 2026", "--reports", str(tmp_path)])
    assert (bad.exit_code != 0 and "YYYY-MM-DD" in bad.output) or "%Y-%m-%d" in bad.output
