"""core/files.py: the one atomic writer (links followed, modes kept, nothing half-written) and the seal."""

from __future__ import annotations

import errno
import os

import pytest

from cqreport.core import files


def test_a_write_replaces_the_whole_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "a.csv"
    target.write_bytes(b"old\n")
    assert files.atomic_write_bytes(target, b"new\n") == target
    assert target.read_bytes() == b"new\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv"]


def test_a_symbolic_link_is_followed_and_stays_a_link(tmp_path):
    real = tmp_path / "store" / "observations.csv"
    real.parent.mkdir()
    real.write_bytes(b"old\n")
    link = tmp_path / "data" / "observations.csv"
    link.parent.mkdir()
    link.symlink_to(real)
    written = files.atomic_write_bytes(link, b"new\n")
    assert written == real.resolve()
    assert link.is_symlink() and real.read_bytes() == b"new\n"
    assert sorted(p.name for p in real.parent.iterdir()) == ["observations.csv"]


def test_a_replaced_file_keeps_its_mode(tmp_path):
    target = tmp_path / "a.csv"
    target.write_bytes(b"old")
    target.chmod(0o640)
    files.atomic_write_bytes(target, b"new")
    assert target.stat().st_mode & 0o777 == 0o640


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "a.csv"
    target.write_bytes(b"old")

    def enospc(*_a, **_k):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(files.os, "fsync", enospc)
    with pytest.raises(OSError, match="No space left"):
        files.atomic_write_bytes(target, b"new")
    monkeypatch.undo()
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv"]


def test_temporaries_of_dead_writers_are_removed_and_live_ones_kept(tmp_path):
    target = tmp_path / "a.csv"
    target.write_bytes(b"x")
    dead = tmp_path / ".a.csv.999999.tmp"          # the old writer's name, pid only
    dead2 = tmp_path / ".a.csv.999998-0a1b2c3d.tmp"
    live = tmp_path / f".a.csv.{os.getpid()}-deadbeef.tmp"
    other = tmp_path / ".b.csv.999999.tmp"
    for p in (dead, dead2, live, other):
        p.write_bytes(b"part")
    assert sorted(p.name for p in files.remove_stale_temps(target)) == sorted([dead.name, dead2.name])
    assert live.exists() and other.exists()


def test_a_seal_needs_the_key(tmp_path, monkeypatch):
    monkeypatch.setenv("CQREPORT_KEY_FILE", str(tmp_path / "k1"))
    good = files.seal(b"audit passed", "audit")
    assert files.seal_ok(b"audit passed", "audit", good)
    assert not files.seal_ok(b"audit failed", "audit", good)
    assert not files.seal_ok(b"audit passed", "pdf", good)
    # the unkeyed hash anyone can compute is not a seal
    assert not files.seal_ok(b"audit passed", "audit", files.sha256_bytes(b"audit\0audit passed"))
    assert (tmp_path / "k1").stat().st_mode & 0o077 == 0
    monkeypatch.setenv("CQREPORT_KEY_FILE", str(tmp_path / "k2"))   # another user, another key
    assert not files.seal_ok(b"audit passed", "audit", good)
