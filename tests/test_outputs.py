"""cqreport extract never replaces a file by something it isn't, and never hangs on what it reads.

Issue 20: ``--out data/observations.csv`` replaced the curated file with the candidates
(324 rows → 41, exit 0); ``--out`` equal to the release overwrote the release; a FIFO
hung the command and /dev/zero ended in a MemoryError traceback.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cqreport.errors import ExtractError
from cqreport.extract import extract_file
from cqreport.extract.outputs import REVIEW_MARK, output_paths
from cqreport.extract.reading import MAX_RELEASE_BYTES
from cqreport.extract.review import write_review

RELEASE = "000_b8a2839b917f43b3.txt"


@pytest.fixture
def release(tmp_path, sources_dir) -> Path:
    f = tmp_path / "release.txt"
    f.write_bytes((Path(sources_dir) / RELEASE).read_bytes())
    return f


@pytest.fixture
def texts(tmp_path, sources_dir) -> Path:
    """A writable copy of the source texts: the guard is tried on it, never on the real ones."""
    target = tmp_path / "sources"
    target.mkdir()
    for f in Path(sources_dir).glob("*.txt"):
        shutil.copyfile(f, target / f.name)
    return target


def _limited_memory():
    # even the code before the fix fails fast (MemoryError), instead of eating the machine
    resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))


def cqreport(*args, timeout=60):
    return subprocess.run([sys.executable, "-m", "cqreport", *map(str, args)], capture_output=True,
                          text=True, timeout=timeout, preexec_fn=_limited_memory)


def snapshot(*folders: Path) -> dict[Path, bytes]:
    return {f: f.read_bytes() for d in folders for f in sorted(d.rglob("*")) if f.is_file()}


def test_out_onto_the_curated_observations_is_refused_and_the_file_kept(min_data, texts, release):
    before = snapshot(min_data)
    out = cqreport("extract", release, "--data", min_data, "--sources", texts,
                   "--out", min_data / "observations.csv")
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert "data folder" in out.stderr and "--append" in out.stderr
    assert snapshot(min_data) == before


@pytest.mark.parametrize("name", ["observations.csv", "notes.csv", "sub/new.csv"])
def test_nothing_under_the_data_folder_even_with_force(min_data, texts, release, name):
    (min_data / "sub").mkdir()
    before = snapshot(min_data)
    with pytest.raises(ExtractError, match="in the data folder"):
        extract_file(release, out=min_data / name, data_dir=min_data, sources_dir=texts, force=True)
    assert snapshot(min_data) == before


def test_nothing_in_the_sources_folder(min_data, texts, release):
    before = snapshot(texts)
    with pytest.raises(ExtractError, match="in the sources folder"):
        extract_file(release, out=texts / "candidates.csv", data_dir=min_data, sources_dir=texts,
                     force=True)
    assert snapshot(texts) == before


def test_a_link_into_the_data_folder_is_judged_by_where_it_leads(min_data, texts, release, tmp_path):
    link = tmp_path / "candidates.csv"
    link.symlink_to(min_data / "observations.csv")
    before = snapshot(min_data)
    with pytest.raises(ExtractError, match="in the data folder"):
        extract_file(release, out=link, data_dir=min_data, sources_dir=texts, force=True)
    assert snapshot(min_data) == before and link.is_symlink()


def test_out_equal_to_the_release_is_refused(min_data, texts, release):
    kept = release.read_bytes()
    out = cqreport("extract", release, "--data", min_data, "--sources", texts, "--out", release)
    assert out.returncode == 1 and "is the release being read" in out.stderr
    with pytest.raises(ExtractError, match="is the release being read"):
        extract_file(release, out=release, data_dir=min_data, sources_dir=texts, force=True)
    assert release.read_bytes() == kept


def test_a_companion_file_that_is_the_release_is_refused(min_data, texts, tmp_path):
    # --out r.csv also writes r.review.html: here that is the release itself
    release = tmp_path / "r.review.html"
    release.write_text("截至3月末，全市人民币贷款余额达6.54万亿元。", encoding="utf-8")
    with pytest.raises(ExtractError, match="is the release being read"):
        extract_file(release, out=tmp_path / "r.csv", data_dir=min_data, sources_dir=texts)


def test_a_file_that_is_not_a_candidates_file_needs_force(min_data, texts, release, tmp_path):
    mine = tmp_path / "budget.csv"
    mine.write_text("item,amount\nrent,1200\n", encoding="utf-8")
    with pytest.raises(ExtractError, match=r"not a candidates file cqreport wrote.*--force"):
        extract_file(release, out=mine, data_dir=min_data, sources_dir=texts)
    assert mine.read_text(encoding="utf-8") == "item,amount\nrent,1200\n"
    extract_file(release, out=mine, data_dir=min_data, sources_dir=texts, force=True)
    assert "metric_id" in mine.read_text(encoding="utf-8-sig")


@pytest.mark.parametrize("kind", ["metrics", "review"])
def test_a_foreign_companion_file_needs_force(min_data, texts, release, tmp_path, kind):
    out = tmp_path / "c.csv"
    companion = output_paths(out)[kind]
    companion.write_text("mine\n", encoding="utf-8")
    with pytest.raises(ExtractError, match=f"{companion.name} exists"):
        extract_file(release, out=out, data_dir=min_data, sources_dir=texts)
    assert companion.read_text(encoding="utf-8") == "mine\n" and not out.exists()


def test_an_earlier_unreviewed_extraction_may_be_replaced(min_data, texts, release, tmp_path):
    out = tmp_path / "c.csv"
    extract_file(release, out=out, data_dir=min_data, sources_dir=texts)
    write_review(out, release, min_data)
    assert REVIEW_MARK in output_paths(out)["review"].read_text(encoding="utf-8")
    again = extract_file(release, out=out, data_dir=min_data, sources_dir=texts)
    assert again.candidates


def test_review_choices_in_the_candidates_file_are_not_overwritten(min_data, texts, release, tmp_path):
    out = tmp_path / "c.csv"
    extract_file(release, out=out, data_dir=min_data, sources_dir=texts)
    lines = out.read_text(encoding="utf-8-sig").splitlines()
    lines[1] += "accepted"                    # status is the last column
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ExtractError, match=r"review choices \(1 row"):
        extract_file(release, out=out, data_dir=min_data, sources_dir=texts)
    assert "accepted" in out.read_text(encoding="utf-8")


# ------------------------------------------------------------------ what is read


def test_a_fifo_is_refused_at_once(tmp_path):
    fifo = tmp_path / "release.txt"
    os.mkfifo(fifo)
    for args in (["extract", fifo], ["extract", "--score", fifo, tmp_path]):
        out = cqreport(*args, timeout=60)        # before the fix: waited for a writer for ever
        assert out.returncode == 1 and "FIFO" in out.stderr and "Traceback" not in out.stderr


def test_a_device_is_refused_without_reading_it():
    out = cqreport("extract", "/dev/zero", timeout=60)   # before the fix: a MemoryError traceback
    assert out.returncode == 1 and "device" in out.stderr and "Traceback" not in out.stderr


def test_a_huge_file_is_refused_by_its_size(tmp_path, release):
    big = tmp_path / "big.txt"
    text = release.read_bytes()
    with big.open("wb") as fh:
        for _ in range(MAX_RELEASE_BYTES // len(text) + 1):
            fh.write(text)
    out = cqreport("extract", big, timeout=120)
    assert out.returncode == 1 and "MB" in out.stderr and "Traceback" not in out.stderr
