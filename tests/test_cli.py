"""The cqreport command, run as a user runs it."""

import subprocess
import sys

from .test_validate import set_cell


def cqreport(*args, env=None):
    return subprocess.run([sys.executable, "-m", "cqreport", *args], capture_output=True, text=True, env=env)


def test_validate_good_data_exits_0(min_data, sources_dir):
    r = cqreport("validate", str(min_data), "--sources", str(sources_dir))
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("ok: 5 metrics, 2 entities, 3 sources, 8 observations")


def test_validate_bad_data_exits_1_with_every_problem(min_data, sources_dir):
    set_cell(min_data / "observations.csv", 0, "value", "6.45")
    set_cell(min_data / "observations.csv", 2, "period_end", "2026-3-31")
    r = cqreport("validate", str(min_data), "--sources", str(sources_dir))
    assert r.returncode == 1
    assert "2 problem(s)" in r.stdout
    assert "row 2, column 'value': found 6.45 not in the quote" in r.stdout
    assert "row 4, column 'period_end': found '2026-3-31'" in r.stdout


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
    assert r.stderr.startswith("error: 1 problem(s) in the data") and "Traceback" not in r.stderr
