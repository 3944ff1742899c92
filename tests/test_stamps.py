"""Validation stamps that writing the cache cannot forge, and that `cqreport validate` leaves."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from cqreport import DataError, load_dataset
from cqreport.core import files, paths
from cqreport.core.files import hash_files
from cqreport.dataset import stamps, validate

from .test_validate import set_cell


def _stamp_file(data: Path, sources: Path) -> Path:
    return paths.cache_dir() / "validated" / validate.fingerprint(Path(data), Path(sources))


def _contradict_the_quote(data: Path) -> None:
    set_cell(data / "observations.csv", 0, "value", "9.99")     # the quote says 6.54


def test_a_stamp_sealed_without_the_key_does_not_pass_bad_data(min_data, sources_dir):
    """Issue 20: a stamp written into the cache over data whose value contradicts its quote
    let the build publish that value. Anyone can compute an unkeyed seal; this one is what
    the code before the fix accepted."""
    _contradict_the_quote(min_data)
    body = {"fingerprint": validate.fingerprint(min_data, Path(sources_dir)),
            "tables_sha256": hash_files([min_data / f"{t}.csv" for t in validate.TABLES]),
            "checks": dict.fromkeys(validate.CHECKS, True), "notes": []}
    blob = json.dumps(body, sort_keys=True, ensure_ascii=False)
    seal = hashlib.sha256(f"cqreport-validated\0{blob}".encode()).hexdigest()
    stamp = _stamp_file(min_data, sources_dir)
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(json.dumps({**body, "seal": seal}), encoding="utf-8")
    with pytest.raises(DataError, match=r"9\.99"):
        load_dataset(min_data, sources_dir)


def test_a_stamp_sealed_with_another_key_does_not_pass_bad_data(min_data, sources_dir, tmp_path,
                                                                monkeypatch):
    load_dataset(min_data, sources_dir)            # a genuine stamp, to copy the shape from
    genuine = json.loads(_stamp_file(min_data, sources_dir).read_text(encoding="utf-8"))
    _contradict_the_quote(min_data)
    tables = {t: hashlib.sha256((min_data / f"{t}.csv").read_bytes()).hexdigest()
              for t in validate.TABLES}
    payload = {**{k: v for k, v in genuine.items() if k != "seal"}, "tables": tables,
               "fingerprint": validate.fingerprint(min_data, Path(sources_dir))}
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()
    wrong = hmac.new(os.urandom(32), b"cqreport-stamp\0" + blob, hashlib.sha256).hexdigest()
    _stamp_file(min_data, sources_dir).write_text(json.dumps({**payload, "seal": wrong}),
                                                  encoding="utf-8")
    with pytest.raises(DataError, match=r"9\.99"):
        load_dataset(min_data, sources_dir)


def test_validate_leaves_a_stamp_that_the_next_command_uses(min_data, sources_dir, monkeypatch):
    out = subprocess.run([sys.executable, "-m", "cqreport", "validate", "--data", str(min_data),
                          "--sources", str(sources_dir)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "not remembered" not in out.stderr
    monkeypatch.setattr(validate, "check_data", lambda *a, **k: pytest.fail("validated again"))
    ds = load_dataset(min_data, sources_dir)
    assert ds.checks["quotes"] and len(ds.observations) == 8


def test_the_key_is_private_and_outside_the_cache(min_data, sources_dir):
    load_dataset(min_data, sources_dir)
    key = paths.key_file()
    assert key.is_file() and stat.S_IMODE(key.stat().st_mode) == 0o600
    assert not key.resolve().is_relative_to(paths.cache_dir().resolve())
    assert len(bytes.fromhex(key.read_text(encoding="ascii"))) == files.KEY_BYTES


def _no_stamp_is_trusted(data: Path, sources: Path, monkeypatch) -> None:
    load_dataset(data, sources)
    calls = []
    real = validate.check_data
    monkeypatch.setattr(validate, "check_data", lambda *a, **k: calls.append(1) or real(*a, **k))
    # what the next process does (this one keeps the Dataset it validated itself)
    validate.read_validated(data, sources)
    assert calls, "a stamp was trusted"


def test_a_key_others_can_read_is_not_used(min_data, sources_dir, tmp_path, monkeypatch):
    key = tmp_path / "conf" / "stamp.key"
    monkeypatch.setenv("CQREPORT_KEY_FILE", str(key))
    assert files.seal_key() is not None
    key.chmod(0o644)
    assert files.seal_key() is None
    _no_stamp_is_trusted(min_data, sources_dir, monkeypatch)
    assert "not remembered" in " ".join(validate.validate_data(min_data, sources_dir).notes)


def test_a_key_inside_the_cache_or_behind_a_link_is_not_used(min_data, sources_dir, tmp_path,
                                                             monkeypatch):
    monkeypatch.setenv("CQREPORT_KEY_FILE", str(paths.cache_dir() / "stamp.key"))
    assert files.seal_key() is None
    _no_stamp_is_trusted(min_data, sources_dir, monkeypatch)
    real = tmp_path / "real.key"
    monkeypatch.setenv("CQREPORT_KEY_FILE", str(real))
    assert files.seal_key() is not None
    link = tmp_path / "link.key"
    link.symlink_to(real)
    monkeypatch.setenv("CQREPORT_KEY_FILE", str(link))
    assert files.seal_key() is None


def test_processes_creating_the_key_at_once_agree_on_one(tmp_path, monkeypatch):
    monkeypatch.setenv("CQREPORT_KEY_FILE", str(tmp_path / "k" / "stamp.key"))
    keys: list[bytes | None] = []
    threads = [threading.Thread(target=lambda: keys.append(files.seal_key())) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(keys)) == 1 and keys[0] is not None
    assert [p.name for p in (tmp_path / "k").iterdir()] == ["stamp.key"]


def test_a_stamp_round_trips_and_any_edit_breaks_it(tmp_path):
    path = tmp_path / "s" / "stamp.json"
    assert stamps.write_stamp(path, {"a": 1, "b": ["x"]})
    assert stamps.read_stamp(path) == {"a": 1, "b": ["x"]}
    saved = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps({**saved, "a": 2}), encoding="utf-8")
    assert stamps.read_stamp(path) is None
