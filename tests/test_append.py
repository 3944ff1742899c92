"""``cqreport extract C.csv --append``: all or nothing, never a half-written or faked row.

The rows appended here are real curated rows: each test takes the last rows of a copy
of ``data/observations.csv`` out and appends them back from a candidates file, so every
figure is one the curated data already holds (traced to its source sentence).
"""

from __future__ import annotations

import contextlib
import csv
import errno
import io
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from filelock import FileLock

from cqreport.core import files as files_mod
from cqreport.extract import append as append_mod
from cqreport.extract.append import LOCK_NAME, AppendError, append_candidates, is_formula

ROOT = Path(__file__).resolve().parents[1]
REAL_DATA = ROOT / "data"
TAKEN = 12  # rows taken out of the copy and appended back


def _rows(raw: bytes) -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    return rows[0], rows[1:]


def _csv(header: list[str], rows: list[list[str]]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([header, *rows])
    return buf.getvalue()


class Setup:
    """A data copy without its last TAKEN observations, and a candidates file holding them."""

    def __init__(self, tmp: Path):
        self.data = tmp / "data"
        shutil.copytree(REAL_DATA, self.data)
        self.obs = self.data / "observations.csv"
        self.metrics = self.data / "metrics.csv"
        self.full = self.obs.read_bytes()
        header, rows = _rows(self.full)
        self.header = header
        self.kept, self.taken = rows[:-TAKEN], rows[-TAKEN:]
        self.obs.write_text(_csv(header, self.kept), encoding="utf-8")
        self.old = self.obs.read_bytes()
        self.old_metrics = self.metrics.read_bytes()
        self.cand = tmp / "cand.csv"
        self.write_candidates([[*r, "accepted"] for r in self.taken])

    def write_candidates(self, rows: list[list[str]], header: list[str] | None = None) -> None:
        self.cand.write_text(_csv(header or [*self.header, "status"], rows), encoding="utf-8-sig")

    def cell(self, i: int, col: str) -> str:
        return self.taken[i][self.header.index(col)]

    def with_cells(self, changes: dict[tuple[int, str], str]) -> None:
        rows = [[*r, "accepted"] for r in self.taken]
        for (i, col), v in changes.items():
            rows[i][self.header.index(col)] = v
        self.write_candidates(rows)


@pytest.fixture
def setup(tmp_path, sources_dir) -> Setup:
    return Setup(tmp_path)


def _leftovers(data: Path) -> list[str]:
    return sorted(p.name for p in data.glob(".*.tmp"))


def test_append_gives_exactly_the_old_bytes_plus_the_accepted_rows(setup, sources_dir):
    result = append_candidates(setup.cand, setup.data, sources_dir)
    assert result.added == TAKEN
    # the rows went back where they came from, byte for byte, and nothing else moved
    assert setup.obs.read_bytes() == setup.full
    assert setup.metrics.read_bytes() == setup.old_metrics
    assert _leftovers(setup.data) == []


def test_append_takes_only_accepted_rows(setup, sources_dir):
    statuses = ["accepted", "rejected", "", "pending"] * TAKEN
    setup.write_candidates([[*r, statuses[i]] for i, r in enumerate(setup.taken)])
    result = append_candidates(setup.cand, setup.data, sources_dir)
    want = [r for i, r in enumerate(setup.taken) if statuses[i] == "accepted"]
    assert result.added == len(want) and result.skipped == TAKEN - len(want)
    raw = setup.obs.read_bytes()
    assert raw.startswith(setup.old)
    assert _rows(raw)[1][len(setup.kept):] == want


def test_append_keeps_the_file_mode(setup, sources_dir):
    setup.obs.chmod(0o640)
    append_candidates(setup.cand, setup.data, sources_dir)
    assert setup.obs.stat().st_mode & 0o777 == 0o640


@pytest.mark.parametrize("cell", ['=HYPERLINK("http://example.invalid","x")', "+1+1", "-2+3", "@SUM(A1)",
                                  "\t=1"])
def test_append_refuses_a_formula_cell_in_a_text_field(setup, sources_dir, cell):
    setup.with_cells({(3, "note"): cell})
    with pytest.raises(AppendError) as err:
        append_candidates(setup.cand, setup.data, sources_dir)
    assert any("candidate 4:" in p and "column 'note'" in p and "formula-cell" in p
               for p in err.value.problems), err.value.problems
    assert setup.obs.read_bytes() == setup.old


def test_a_negative_number_in_a_numeric_field_is_not_a_formula():
    assert is_formula("-6.5") and is_formula("=1")
    assert not is_formula("6.5") and not is_formula("")


def test_negative_yoy_in_a_numeric_column_is_no_formula_cell(setup, sources_dir):
    setup.with_cells({(0, "yoy_pct"): "-6.5"})
    try:
        append_candidates(setup.cand, setup.data, sources_dir)
    except AppendError as exc:  # the quote check may object to the number; the formula check must not
        assert not any("formula-cell" in p for p in exc.problems), exc.problems


def test_every_problem_in_one_round_numbered_as_the_review_numbers_candidates(setup, sources_dir):
    setup.with_cells({(1, "period_end"): "2026-13-01",          # candidate 2: own-cell check
                      (4, "quote"): "=cmd|' /C calc'!A0",        # candidate 5: formula
                      (6, "source_id"): "no_such_source",        # candidate 7: only validation sees it
                      (8, "metric_id"): setup.cell(8, "metric_id") + "_x"})  # candidate 9: reference
    with pytest.raises(AppendError) as err:
        append_candidates(setup.cand, setup.data, sources_dir)
    probs = err.value.problems
    text = str(err.value)
    for n, col in ((2, "period_end"), (5, "quote"), (7, "source_id"), (9, "metric_id")):
        assert any(p.startswith(f"candidate {n}: ") and f"row {n + 1}, column '{col}'" in p
                   for p in probs), (n, col, probs)
    assert "cqreport-append-" not in text and "/tmp/cqreport" not in text
    # one message per cell: the bad date is not reported again by the whole-data validation
    assert sum("candidate 2:" in p and "period_end" in p for p in probs) == 1
    assert setup.obs.read_bytes() == setup.old


def test_problems_name_the_users_data_files_not_a_temporary_copy(setup, sources_dir):
    setup.with_cells({(6, "source_id"): "no_such_source"})
    with pytest.raises(AppendError) as err:
        append_candidates(setup.cand, setup.data, sources_dir)
    text = str(err.value)
    assert "cqreport-append-" not in text
    assert str(setup.cand) in text


def test_duplicate_messages_say_where_the_key_already_is(setup, sources_dir):
    rows = [[*setup.kept[0], "accepted"], [*setup.taken[0], "accepted"], [*setup.taken[0], "accepted"]]
    setup.write_candidates(rows)
    with pytest.raises(AppendError) as err:
        append_candidates(setup.cand, setup.data, sources_dir)
    probs = err.value.problems
    assert any(p.startswith("candidate 1:") and "already at row 2 of" in p and "observations.csv" in p
               for p in probs), probs
    assert any(p.startswith("candidate 3:") and f"already at candidate 2 (row 3) of {setup.cand}" in p
               for p in probs), probs
    assert not any("of observations.csv row" in p for p in probs)


def test_proposed_metric_rows_are_appended_in_the_same_step(tmp_path, sources_dir):
    s = Setup(tmp_path)
    mid = s.cell(TAKEN - 1, "metric_id")
    # take the metric of the last row out of the catalogue too, with every observation of it
    mheader, mrows = _rows(s.old_metrics)
    [mrow] = [r for r in mrows if r[0] == mid]
    s.metrics.write_text(_csv(mheader, [r for r in mrows if r[0] != mid]), encoding="utf-8")
    keep = [r for r in s.kept if r[0] != mid]
    s.obs.write_text(_csv(s.header, keep), encoding="utf-8")
    old_obs, old_met = s.obs.read_bytes(), s.metrics.read_bytes()
    back = [r for r in s.kept if r[0] == mid] + s.taken
    s.write_candidates([[*r, "accepted"] for r in back])
    proposed = tmp_path / "cand.metrics.csv"
    proposed.write_text(_csv([*mheader, "status"], [[*mrow, "accepted"]]), encoding="utf-8-sig")

    result = append_candidates(s.cand, s.data, sources_dir)
    assert result.metrics_added == [mid] and result.added == len(back)
    assert s.metrics.read_bytes() == old_met + _csv(mheader, [mrow]).split("\n", 1)[1].encode()
    assert s.obs.read_bytes().startswith(old_obs)
    # a kill between the two renames leaves the metric added and the observations not:
    # running the same append again completes it
    s.obs.write_bytes(old_obs)
    again = append_candidates(s.cand, s.data, sources_dir)
    assert again.added == len(back) and again.metrics_added == []


def test_an_observation_of_a_metric_not_accepted_is_refused(tmp_path, sources_dir):
    s = Setup(tmp_path)
    mid = s.cell(TAKEN - 1, "metric_id")
    mheader, mrows = _rows(s.old_metrics)
    s.metrics.write_text(_csv(mheader, [r for r in mrows if r[0] != mid]), encoding="utf-8")
    s.obs.write_text(_csv(s.header, [r for r in s.kept if r[0] != mid]), encoding="utf-8")
    old = s.obs.read_bytes(), s.metrics.read_bytes()
    [mrow] = [r for r in mrows if r[0] == mid]
    (tmp_path / "cand.metrics.csv").write_text(_csv([*mheader, "status"], [[*mrow, "rejected"]]),
                                               encoding="utf-8-sig")
    with pytest.raises(AppendError) as err:
        append_candidates(s.cand, s.data, sources_dir)
    assert any(f"candidate {TAKEN}:" in p and "metric_id" in p for p in err.value.problems)
    assert (s.obs.read_bytes(), s.metrics.read_bytes()) == old


@pytest.mark.parametrize("fail", ["write", "fsync"])
def test_a_full_disk_leaves_the_old_file_and_a_one_line_error(setup, sources_dir, monkeypatch, fail):
    def enospc(*_a, **_k):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(files_mod.os, fail, enospc)
    with pytest.raises(AppendError) as err:
        append_candidates(setup.cand, setup.data, sources_dir)
    monkeypatch.undo()
    msg = str(err.value)
    assert "\n" not in msg and "No space left on device" in msg and "nothing was appended" in msg
    assert setup.obs.read_bytes() == setup.old
    assert _leftovers(setup.data) == []


def test_a_held_lock_makes_the_append_wait_then_refuse(setup, sources_dir, monkeypatch):
    monkeypatch.setattr(append_mod, "LOCK_TIMEOUT_S", 0.3)
    with FileLock(str(setup.data / LOCK_NAME)), pytest.raises(AppendError, match="another cqreport append"):
        append_candidates(setup.cand, setup.data, sources_dir)
    assert setup.obs.read_bytes() == setup.old


def test_stale_temp_files_of_a_killed_append_are_removed(setup, sources_dir):
    stale = setup.data / ".observations.csv.999999.tmp"
    stale.write_bytes(setup.old[:100])
    append_candidates(setup.cand, setup.data, sources_dir)
    assert not stale.exists()


_CHILD = """
import sys
from cqreport.extract.append import append_candidates
cand, data, sources = sys.argv[1:4]
print("ready", flush=True)
sys.stdin.readline()
append_candidates(cand, data, sources)
print("done", flush=True)
"""


def _child(setup: Setup, sources_dir: Path, cand: Path | None = None) -> subprocess.Popen:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    p = subprocess.Popen([sys.executable, "-c", _CHILD, str(cand or setup.cand), str(setup.data),
                          str(sources_dir)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=env)
    assert p.stdout.readline().strip() == "ready", p.stderr.read()
    return p


@pytest.mark.slow
def test_two_appends_at_once_do_not_interleave(setup, sources_dir, tmp_path):
    half = TAKEN // 2
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    head = [*setup.header, "status"]
    a.write_text(_csv(head, [[*r, "accepted"] for r in setup.taken[:half]]), encoding="utf-8-sig")
    b.write_text(_csv(head, [[*r, "accepted"] for r in setup.taken[half:]]), encoding="utf-8-sig")
    procs = [_child(setup, sources_dir, c) for c in (a, b)]
    for p in procs:
        p.stdin.write("go\n")
        p.stdin.flush()
    for p in procs:
        _out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    _, rows = _rows(setup.obs.read_bytes())
    assert setup.obs.read_bytes().startswith(setup.old)
    new = rows[len(setup.kept):]
    assert new in (setup.taken, setup.taken[half:] + setup.taken[:half])


# A process that imports the library once, then forks one child per append: each kill hits a
# real process running a real append, without paying the interpreter's start-up 50 times.
_ZYGOTE = """
import os, sys
from cqreport.extract.append import append_candidates
cand, data, sources = sys.argv[1:4]
print("ready", flush=True)
for line in sys.stdin:
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            append_candidates(cand, data, sources)
        except BaseException:
            code = 1
        os._exit(code)
    print(pid, flush=True)
    _, status = os.waitpid(pid, 0)
    print("reaped", status, flush=True)
"""


class _Zygote:
    def __init__(self, setup: Setup, sources_dir: Path):
        self.proc = subprocess.Popen([sys.executable, "-c", _ZYGOTE, str(setup.cand), str(setup.data),
                                      str(sources_dir)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        assert self.proc.stdout.readline().strip() == "ready", self.proc.stderr.read()

    def start(self) -> int:
        """Fork an append; return its pid."""
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()
        return int(self.proc.stdout.readline())

    def reaped(self) -> int:
        """Wait until the append ended (or was killed); its wait status."""
        word, status = self.proc.stdout.readline().split()
        assert word == "reaped"
        return int(status)

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


@pytest.mark.slow
def test_sigkill_at_random_points_never_leaves_a_partial_file(setup, sources_dir):
    """>= 50 SIGKILLs at random moments of a running append: the file is always exactly the
    old file or the old file plus the accepted rows, and never a leftover in the index."""
    zygote = _Zygote(setup, sources_dir)
    try:
        # how long one append takes, to spread the kills over it
        t0 = time.monotonic()
        zygote.start()
        assert zygote.reaped() == 0
        span = time.monotonic() - t0
        assert setup.obs.read_bytes() == setup.full
        setup.obs.write_bytes(setup.old)

        rng = random.Random(12)
        outcomes = {"old": 0, "new": 0}
        kills = 0
        while kills < 50:
            delay = rng.uniform(0, span * 1.15)
            pid = zygote.start()
            time.sleep(delay)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            zygote.reaped()
            kills += 1
            raw = setup.obs.read_bytes()
            assert raw in (setup.old, setup.full), f"kill {kills} after {delay:.3f}s left a partial file"
            assert setup.metrics.read_bytes() == setup.old_metrics
            outcomes["old" if raw == setup.old else "new"] += 1
            if raw == setup.full:
                setup.obs.write_bytes(setup.old)
    finally:
        zygote.close()
    print(f"{kills} kills over {span:.2f}s appends: {outcomes}")
    # the kills landed both before and after the commit, so the loop tested both sides
    assert outcomes["old"] > 0
    # and the next append cleans what the killed ones left and completes
    append_candidates(setup.cand, setup.data, sources_dir)
    assert setup.obs.read_bytes() == setup.full and _leftovers(setup.data) == []


def test_cli_refuses_a_candidates_file_without_append(setup, sources_dir):
    res = subprocess.run([sys.executable, "-m", "cqreport", "extract", str(setup.cand),
                          "--data", str(setup.data)], capture_output=True, text=True, timeout=120)
    assert res.returncode == 1
    assert "is a candidates file" in res.stderr and "--append" in res.stderr
    assert "Traceback" not in res.stderr
    assert setup.obs.read_bytes() == setup.old


def test_cli_append_reports_a_full_problem_list_without_traceback(setup, sources_dir):
    setup.with_cells({(1, "period_end"): "2026-13-01", (4, "note"): "=1+1"})
    res = subprocess.run([sys.executable, "-m", "cqreport", "extract", str(setup.cand), "--append",
                          "--data", str(setup.data), "--sources", str(sources_dir)],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 1 and "Traceback" not in res.stderr
    assert "candidate 2:" in res.stderr and "candidate 5:" in res.stderr
    assert setup.obs.read_bytes() == setup.old


def test_an_append_follows_a_symlinked_observations_file(setup, sources_dir, tmp_path):
    """The link stays a link and the file it names gets the rows (issue 20)."""
    store = tmp_path / "store"
    store.mkdir()
    real = store / "observations.csv"
    setup.obs.rename(real)
    setup.obs.symlink_to(real)
    result = append_candidates(setup.cand, setup.data, sources_dir)
    assert result.added == TAKEN
    assert setup.obs.is_symlink() and setup.obs.resolve() == real.resolve()
    assert real.read_bytes() == setup.full
    assert _leftovers(setup.data) == [] and sorted(p.name for p in store.iterdir()) == ["observations.csv"]
