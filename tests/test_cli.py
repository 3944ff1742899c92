"""The cqreport command, run as a user runs it."""

import subprocess
import sys

import pytest

from .test_validate import set_cell


def cqreport(*args, env=None):
    return subprocess.run([sys.executable, "-m", "cqreport", *args], capture_output=True, text=True, env=env)


def test_validate_good_data_exits_0(min_data, sources_dir):
    r = cqreport("validate", "--data", str(min_data), "--sources", str(sources_dir))
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("ok: 5 metrics, 2 entities, 3 sources, 8 observations")


def test_validate_bad_data_exits_1_with_every_problem(min_data, sources_dir):
    set_cell(min_data / "observations.csv", 0, "value", "6.45")
    set_cell(min_data / "observations.csv", 2, "period_end", "2026-3-31")
    r = cqreport("validate", "--data", str(min_data), "--sources", str(sources_dir))
    assert r.returncode == 1
    # the third: the end-March 2025 balance inferred as RMB from this one no longer fits its growth
    assert "3 problem(s)" in r.stdout
    assert "row 2, column 'value': found 6.45 not in the quote" in r.stdout
    assert "row 4, column 'period_end': found '2026-3-31'" in r.stdout
    assert "row 3, column 'evidence_kind'" in r.stdout


def test_quarters_lists_what_each_quarter_has(min_data, sources_dir):
    r = cqreport("quarters", "--data", str(min_data), "--sources", str(sources_dir))
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[1].split()[:4] == ["2025Q1", "2025-04-22", "3", "0"]
    assert lines[2].split()[:4] == ["2026Q1", "2026-05-22", "3", "1"]


def test_quarters_on_bad_data_is_an_error_not_a_traceback(min_data, sources_dir):
    set_cell(min_data / "observations.csv", 0, "value", "6.45")
    r = cqreport("quarters", "--data", str(min_data), "--sources", str(sources_dir))
    assert r.returncode == 1
    assert r.stderr.startswith("error: 2 problem(s) in the data") and "Traceback" not in r.stderr


# ------------------------------------------------------------ every user error: one line, exit 1
BAD_INPUT = {
    "unknown language": [
        ("build", "--lang", "fr"),
        ("series", "loan_balance_rmb", "--lang", "fr"),
        ("extract", "{release}", "--lang", "fr"),
    ],
    "unknown topic": [("quarters", "--quarter", "2026Q1", "--topic", "weather")],
    "unknown quarter": [
        ("build", "--quarter", "2026Q5"),
        ("build", "--quarter", "2024Q2"),
        ("quarters", "--quarter", "26Q1"),
    ],
    "unknown metric": [("series", "loan_balance"), ("series", "loan_balance_rmb", "--entity", "mars")],
    "missing folder": [
        ("validate", "--data", "/nonexistent/data"),
        ("quarters", "--sources", "/nonexistent/sources"),
        ("extract", "{release}", "--data", "/nonexistent/data"),
    ],
    "unknown option": [("quarters", "--bogus"), ("params", "--notebook", "/nonexistent.ipynb")],
}
CASES = [(kind, args) for kind, cmds in BAD_INPUT.items() for args in cmds]


@pytest.mark.parametrize(("kind", "args"), CASES, ids=[f"{k}:{a[0]}:{a[-1]}" for k, a in CASES])
def test_user_errors_are_one_line_and_exit_1(kind, args, tmp_path, sources_dir):
    release = sources_dir / "2025-04-23_cqcb-q1-2025-finance-presser.txt"
    r = cqreport(*[a.format(release=release) for a in args])
    assert r.returncode == 1, (r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr
    assert "Traceback" not in r.stderr + r.stdout
    word = {"unknown language": "fr", "unknown topic": "weather", "unknown metric": "unknown",
            "missing folder": "/nonexistent", "unknown quarter": "quarter"}.get(kind)
    if word:
        assert word in lines[0], lines[0]


def test_series_lists_a_series_oldest_first(min_data, sources_dir):
    r = cqreport("series", "loan_balance_rmb", "--data", str(min_data), "--sources", str(sources_dir))
    assert r.returncode == 0, r.stderr
    rows = r.stdout.splitlines()[1:]
    assert [row.split()[:2] for row in rows] == [["2025年3月末", "6.12万亿元"], ["2026年3月末", "6.54万亿元"]]
