"""Fault injection (issue 12): every fault either a one-line error naming the file, or refused data.

Each test plants one fault that ended in a traceback, a forged figure or a lost
report on the code before this fix.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cqreport import load_dataset
from cqreport.dataset import validate
from cqreport.dataset.validate import check_data, summarize
from cqreport.engine import folders, index, inputs, kernel, pipeline
from cqreport.errors import BuildError, DataError, ParameterError, Problem

from .test_validate import set_cell

ROOT = Path(__file__).resolve().parents[1]


def cqreport(*args, env=None, cwd=None):
    return subprocess.run([sys.executable, "-m", "cqreport", *args], capture_output=True,
                          text=True, env=env, cwd=cwd)


def problems_of(data, sources, check=None):
    found = check_data(data, sources).problems
    return [p for p in found if check is None or p.check == check]


def agree(data, sources, check):
    """validate reports the fault, and the load the build uses refuses the data too."""
    assert problems_of(data, sources, check), problems_of(data, sources)
    with pytest.raises(DataError):
        load_dataset(data, sources)


# ------------------------------------------------------------------ figures that could be faked


def test_full_width_digits_are_refused_by_validate_and_build(min_data, sources_dir):
    set_cell(min_data / "observations.csv", 0, "value", "６.５４")
    agree(min_data, sources_dir, "schema")


def test_a_sign_flip_is_not_in_the_quote(min_data, sources_dir):
    set_cell(min_data / "observations.csv", 0, "value", "-6.54")
    agree(min_data, sources_dir, "number-not-in-quote")


def test_a_fall_written_in_words_may_be_negative(min_data, sources_dir):
    # the quote says 同比增长6.8%: -6.8 would be a flip; with 下降 in the quote it is the fall
    set_cell(min_data / "observations.csv", 0, "yoy_pct", "-6.8")
    assert problems_of(min_data, sources_dir, "number-not-in-quote")
    assert validate._written_in("-6.8", -6.8, validate.find_numbers("同比下降6.8%"), "同比下降6.8%")


def test_a_shrunk_flow_is_a_fall():
    # 界面新闻 (2024): Guangdong's AFRE increment 缩水了3754亿元 against 2022, in traditional script
    quote = "廣東2023年度社融規(guī)模增量為31350億元,較2022年度縮水了3754億元"
    assert validate._written_in("-3754", -3754, validate.find_numbers(quote), quote)


def test_the_value_must_have_the_decimals_of_the_quote(min_data, sources_dir):
    set_cell(min_data / "observations.csv", 0, "value", "6.540")
    agree(min_data, sources_dir, "number-not-in-quote")


@pytest.mark.parametrize("char", ["\x00", "\x1b", "\x08"])
def test_control_characters_in_any_text_field_are_refused(min_data, sources_dir, char):
    set_cell(min_data / "observations.csv", 0, "note", f"see{char}here")
    agree(min_data, sources_dir, "control-char")


def test_mathtext_in_a_chart_label_is_refused(min_data, sources_dir):
    set_cell(min_data / "metrics.csv", 0, "name_en", r"loans $\frac{1}{0}$")
    agree(min_data, sources_dir, "mathtext")


def test_one_dollar_sign_in_a_name_is_fine(min_data, sources_dir):
    set_cell(min_data / "metrics.csv", 0, "name_en", "RMB loans (US$ eq.)")
    assert not problems_of(min_data, sources_dir, "mathtext")


def _stamp_path(data, sources):
    from cqreport.core import paths

    return paths.cache_dir() / "validated" / validate.fingerprint(Path(data), Path(sources))


@pytest.mark.parametrize("content", ["", "garbage", '{"fingerprint": "x"}'])
def test_a_forged_or_corrupt_stamp_does_not_pass_bad_data(min_data, sources_dir, content):
    set_cell(min_data / "observations.csv", 0, "value", "9.99")   # quote still says 6.54
    stamp = _stamp_path(min_data, sources_dir)
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(content, encoding="utf-8")
    with pytest.raises(DataError, match=r"9\.99"):
        load_dataset(min_data, sources_dir)


def test_a_stamp_copied_from_good_data_does_not_cover_other_content(min_data, sources_dir):
    load_dataset(min_data, sources_dir)                       # leaves a good stamp
    good = json.loads(_stamp_path(min_data, sources_dir).read_text(encoding="utf-8"))
    set_cell(min_data / "observations.csv", 0, "value", "9.99")
    forged = {**good, "fingerprint": validate.fingerprint(min_data, Path(sources_dir))}
    _stamp_path(min_data, sources_dir).write_text(json.dumps(forged), encoding="utf-8")
    with pytest.raises(DataError):
        load_dataset(min_data, sources_dir)


def test_a_good_stamp_is_used_and_keeps_the_checks(min_data, sources_dir, monkeypatch):
    first = load_dataset(min_data, sources_dir)
    monkeypatch.setattr(validate, "check_data", lambda *a, **k: pytest.fail("validated again"))
    again = load_dataset(min_data, sources_dir)
    assert again.checks == first.checks and first.checks["quotes"]


# ------------------------------------------------------------------ missing source texts


def test_without_source_texts_the_dataset_says_quotes_were_not_checked(min_data, tmp_path, monkeypatch):
    monkeypatch.setenv("CQREPORT_SOURCES", str(tmp_path / "nowhere"))
    ds = load_dataset(min_data)
    assert ds.checks["quotes"] is False and ds.checks["schema"] is True
    with pytest.raises(DataError, match="no folder of source texts"):
        load_dataset(min_data, require_sources=True)


def test_build_refuses_to_run_without_source_texts(tmp_path, monkeypatch):
    monkeypatch.setenv("CQREPORT_SOURCES", str(tmp_path / "nowhere"))
    with pytest.raises(ParameterError, match="--no-source-check"):
        pipeline.build(reports_dir=tmp_path / "reports", progress=False)


def test_the_evidence_states_whether_quotes_were_checked(real_ds):
    from cqreport.analysis.quarter import quarter_data
    from cqreport.report.narrative import write_narrative

    qd = quarter_data(real_ds, str(real_ds.latest_quarter()))
    assert "every quote was checked" in write_narrative(qd, "en").evidence_html
    saved = dict(real_ds.checks)
    try:
        real_ds.checks["quotes"] = False
        assert "quotes were not checked" in write_narrative(qd, "en").evidence_html
        assert "引文未与原文核对" in write_narrative(qd, "zh").evidence_html
    finally:
        real_ds.checks.clear()
        real_ds.checks.update(saved)


# ------------------------------------------------------------------ one-line errors


@pytest.mark.parametrize("content", ['{"resources": [{"name": "metr', "[]", "{}"])
@pytest.mark.parametrize("command", ["validate", "quarters", "build"])
def test_a_broken_descriptor_is_one_line_naming_it(min_data, sources_dir, content, command, tmp_path):
    (min_data / "datapackage.json").write_text(content, encoding="utf-8")
    args = [command, "--data", str(min_data)]
    if command == "build":
        args += ["--reports", str(tmp_path / "reports"), "--no-progress"]
    out = cqreport(*args, env={**os.environ, "CQREPORT_SOURCES": str(sources_dir)})
    assert out.returncode == 1, out
    assert "Traceback" not in out.stderr + out.stdout
    assert "datapackage.json" in out.stderr + out.stdout


@pytest.mark.parametrize("command", ["validate", "quarters", "build", "preview"])
def test_a_data_folder_without_descriptor_is_named_in_one_wording(tmp_path, command):
    """One check, one message: every command that takes --data says the same thing."""
    from cqreport.core.paths import DATA_FOLDER_EXPECTED

    empty = tmp_path / "empty"
    empty.mkdir()
    args = [command, "--data", str(empty)]
    if command in ("build", "preview"):
        args += ["--reports", str(tmp_path / "reports")]
    if command == "preview":
        args += ["--no-browser", "--port", "0"]
    out = cqreport(*args)
    assert out.returncode == 1, out
    assert "Traceback" not in out.stderr + out.stdout
    assert "datapackage.json" in out.stderr + out.stdout
    assert DATA_FOLDER_EXPECTED in out.stderr + out.stdout


def test_the_notebook_parameter_data_dir_gets_the_same_message(tmp_path):
    from cqreport.core.paths import DATA_FOLDER_EXPECTED
    from cqreport.report.params import check_data_dir

    with pytest.raises(ParameterError, match=DATA_FOLDER_EXPECTED):
        check_data_dir(tmp_path)


def test_a_gb18030_source_text_is_named(min_data, sources_dir, tmp_path):
    texts = tmp_path / "sources"
    texts.mkdir()
    for f in Path(sources_dir).iterdir():
        if f.is_file():
            (texts / f.name).write_bytes(f.read_bytes())
    import csv

    with (min_data / "sources.csv").open(encoding="utf-8") as fh:
        victim = texts / next(csv.DictReader(fh))["file"]
    victim.write_bytes(victim.read_text(encoding="utf-8").encode("gb18030"))
    found = problems_of(min_data, texts, "encoding")
    assert found and victim.name in found[0].file


def test_a_big5_csv_is_called_big5(min_data, sources_dir):
    path = min_data / "entities.csv"
    text = path.read_text(encoding="utf-8").replace("重庆市", "重慶市臺灣銀行說明資料")
    path.write_bytes(text.encode("big5", errors="replace"))
    found = problems_of(min_data, sources_dir, "encoding")
    assert found and "Big5" in found[0].found and "entities.csv" in found[0].file


def test_a_long_validation_listing_is_capped_and_summarised():
    problems = [Problem("data/observations.csv", i, "value", "x", "y", "schema" if i % 2 else "quote")
                for i in range(2, 1002)]
    text = summarize(validate.CheckResult({}, problems))
    assert len(text.splitlines()) == validate.LIST_LIMIT + 2
    assert "950 more" in text and "475 schema" in text and "475 quote" in text


def test_bad_manifests_do_not_break_the_index_or_the_order(tmp_path):
    for q, body in (("2026Q1", '"x"'), ("2025Q4", '{"timings_s": {"total": "abc"}}'),
                    ("2025Q3", '{"timings_s": "abc", "built_at": 5}')):
        d = tmp_path / q / "zh"
        d.mkdir(parents=True)
        (d / "manifest.json").write_text(body, encoding="utf-8")
    assert inputs.read_manifest(tmp_path / "2026Q1" / "zh") is None
    assert inputs.manifest_seconds(inputs.read_manifest(tmp_path / "2025Q4" / "zh")) == 0.0
    page = index.write_index(tmp_path).read_text(encoding="utf-8")
    assert "2025Q4" in page and "2025Q3" in page


def test_a_leftover_build_folder_is_never_listed(tmp_path):
    left = tmp_path / "2026Q1" / ".zh.building-999999-abc"
    left.mkdir(parents=True)
    (left / "manifest.json").write_text('{"built_at": "x"}', encoding="utf-8")
    page = index.write_index(tmp_path).read_text(encoding="utf-8")
    assert "building" not in page


def test_stale_leftovers_of_dead_builds_are_removed(tmp_path):
    dead = 2 ** 22 + 12345  # above the default pid_max: no such process
    mine = tmp_path / "2026Q1" / f".zh.building-{os.getpid()}-abc"
    stale = tmp_path / "2026Q1" / f".zh.building-{dead}-abc"
    for d in (mine, stale):
        d.mkdir(parents=True)
    removed = folders.clean_leftovers(tmp_path)
    assert stale in removed and not stale.exists() and mine.exists()


def test_quarters_cache_of_the_wrong_type_is_rebuilt(tmp_path):
    def load():
        return type("D", (), {"quarters": lambda s: ["2026Q1"]})()

    for body in ("[1, 2]", '{"data_hash": "h", "quarters": "2026Q1"}', '"x"'):
        (tmp_path / "quarters.json").write_text(body, encoding="utf-8")
        assert inputs.quarters_with_data("h", tmp_path, load) == ["2026Q1"]
    (tmp_path / "dir").mkdir()
    (tmp_path / "dir" / "quarters.json").mkdir()    # a folder where the file should be
    assert inputs.quarters_with_data("h", tmp_path / "dir", load) == ["2026Q1"]


def test_corrupt_outputs_are_not_up_to_date(tmp_path):
    out = tmp_path / "2026Q1" / "zh"
    out.mkdir(parents=True)
    files = {"report.ipynb": b"{}", "report.html": b"<html>ok</html>", "report.pdf": b"%PDF-1.7 x"}
    for name, data in files.items():
        (out / name).write_bytes(data)
    from cqreport.core.files import sha256_bytes

    manifest = {"cache_key": "k", "outputs": {n: {"bytes": len(d), "sha256": sha256_bytes(d)}
                                              for n, d in files.items()}}
    (out / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert inputs.is_current(out, "k", ("html", "pdf"))
    (out / "report.html").write_bytes(b"<html>o")        # truncated
    assert not inputs.is_current(out, "k", ("html", "pdf"))
    (out / "report.html").write_bytes(files["report.html"])
    (out / "report.pdf").write_bytes(b"")                # emptied
    assert not inputs.is_current(out, "k", ("html", "pdf"))


def test_a_foreign_reports_folder_is_refused_unless_forced(tmp_path):
    (tmp_path / "etc").mkdir()
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(ParameterError, match="not a cqreport reports folder"):
        folders.check_reports_dir(tmp_path, force=False)
    folders.check_reports_dir(tmp_path, force=True)
    folders.check_reports_dir(tmp_path, force=False)  # marked as ours now


@pytest.mark.parametrize("held", [["index.html"], ["index.html", "README.md", ".git", ".DS_Store"],
                                  [".bashrc"]])
def test_a_folder_cqreport_did_not_make_is_refused_even_with_only_its_own_names(tmp_path, held):
    """Issue 20: index.html, README.md and dotfiles were taken for ours, and index.html replaced."""
    mine = tmp_path / "mine"
    mine.mkdir()
    for name in held:
        (mine / name).write_text(f"the user's {name}", encoding="utf-8")
    with pytest.raises(ParameterError, match="not a cqreport reports folder"):
        folders.check_reports_dir(mine, force=False)
    out = cqreport("build", "--reports", str(mine), "--no-progress", "--no-source-check")
    assert out.returncode == 1 and "not a cqreport reports folder" in out.stderr, out.stderr
    assert sorted(p.name for p in mine.iterdir()) == sorted(held)
    assert all((mine / n).read_text(encoding="utf-8") == f"the user's {n}" for n in held)


def test_a_new_or_empty_folder_becomes_a_reports_folder(tmp_path):
    for folder in (tmp_path / "new" / "reports", tmp_path / "empty"):
        if folder.name == "empty":
            folder.mkdir()
        folders.check_reports_dir(folder, force=False)
        assert (folder / folders.REPORTS_MARK).is_file()
        folders.check_reports_dir(folder, force=False)  # ours from now on
    # the checkout's own reports/ is cqreport's although git keeps only its README there
    assert "reports/" + folders.REPORTS_MARK not in subprocess.run(
        ["git", "ls-files", "reports"], cwd=ROOT, capture_output=True, text=True).stdout
    folders.check_reports_dir(ROOT / "reports", force=False)


def test_reports_root_is_refused_by_the_cli(sources_dir):
    out = cqreport("build", "--reports", "/", "--no-progress",
                   env={**os.environ, "CQREPORT_SOURCES": str(sources_dir)})
    assert out.returncode == 1 and "not a cqreport reports folder" in out.stderr
    assert "Traceback" not in out.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_reports_folder_is_one_line(tmp_path):
    ro = tmp_path / "reports"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        with pytest.raises(ParameterError, match="cannot be written"):
            folders.check_reports_dir(ro, force=False)
    finally:
        ro.chmod(0o755)


def test_an_unwritable_reports_folder_is_one_line(tmp_path, monkeypatch):
    def full(*a, **k):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(folders.tempfile, "mkdtemp", full)
    with pytest.raises(ParameterError, match="No space left on device"):
        folders.check_reports_dir(tmp_path / "reports", force=False)


def test_a_full_disk_during_the_index_write_is_one_line_and_leaves_no_temp(tmp_path, monkeypatch):
    import cqreport.core.files as files

    real = os.fsync

    def full(fd):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(files.os, "fsync", full)
    with pytest.raises(BuildError, match="No space left on device"):
        index.write_index(tmp_path)
    monkeypatch.setattr(files.os, "fsync", real)
    assert [p.name for p in tmp_path.iterdir()] == []


def test_only_whole_failed_files_are_kept(tmp_path):
    tmp, out = tmp_path / "tmp", tmp_path / "out"
    tmp.mkdir()
    (tmp / "report.ipynb").write_bytes(b"")                     # 0 bytes: the disk was full
    (tmp / "report.html").write_bytes(b"<html><body>cut")
    assert folders.keep_failed(tmp, out) == []
    (tmp / "report.ipynb").write_text('{"cells": []}', encoding="utf-8")
    assert folders.keep_failed(tmp, out) == [str(out / "report.failed.ipynb")]


def test_the_failing_cell_is_named_as_in_the_source_notebook(tmp_path):
    nb = {"cells": [{"cell_type": "markdown", "source": "# t"},
                    {"cell_type": "code", "source": ["quarter = ''\n"]},
                    {"cell_type": "code", "source": "x = 1\nraise ValueError('boom')"}]}
    path = tmp_path / "report.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    exc = type("PapermillExecutionError", (Exception,), {})()
    exc.ename, exc.evalue, exc.cell_index = "ValueError", "boom", 4   # 4 in the executed copy
    exc.source = "x = 1\nraise ValueError('boom')"
    msg = kernel.failure_message(exc, path)
    assert msg.startswith("cell 3 of report.ipynb (`x = 1`) raised ValueError: boom")


def test_the_cli_turns_ctrl_c_into_exit_130():
    code = ("import sys; from cqreport import cli\n"
            "def boom(**k): raise KeyboardInterrupt\n"
            "cli.cli.main = boom\ncli.main()")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 130 and out.stderr.strip() == "interrupted"


def test_an_interrupted_batch_exits_130_and_is_a_build_error():
    code = ("import sys; from cqreport import cli; from cqreport.errors import BuildInterrupted\n"
            "def stop(**k): raise BuildInterrupted('interrupted: 1 of 4 report(s) finished')\n"
            "cli.cli.main = stop\ncli.main()")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 130, out.stderr
    assert out.stderr.strip() == "error: interrupted: 1 of 4 report(s) finished"
