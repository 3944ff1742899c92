"""Sealed stamps: small JSON records kept in the cache that only this user can have written.

The cache folder is a convenience that anyone sharing it, or any program, can write;
a validation stamp in it tells the next command that every quote was checked, and the
report's appendix repeats that. So each stamp is sealed with HMAC-SHA256 under a
per-user secret that the cache does not hold (:func:`cqreport.core.paths.key_file`:
32 random bytes from :mod:`secrets`, created on first use, mode 0600, outside the
cache). A stamp written without the key, copied from elsewhere, edited or cut short
does not verify and is ignored: the work it stood for is done again.

The key is refused (and nothing is stamped or trusted) when it is not a regular file of
this user's, when others can read it, or when it lies inside the cache folder.

Public API: :func:`write_stamp` and :func:`read_stamp`. ``dataset.validate`` keeps its
validation results with them; other layers may keep their own records the same way.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import os
import secrets
import stat
import tempfile
from hashlib import sha256
from pathlib import Path
from typing import Any

from ..core import paths
from ..core.files import atomic_write_text

KEY_BYTES = 32
_SEAL = "seal"


def _load_key(path: Path) -> bytes | None:
    """The key in path, or None if it is absent or cannot be trusted (see module doc)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fh.fileno())
        if (not stat.S_ISREG(st.st_mode) or st.st_uid != os.getuid()
                or st.st_mode & (stat.S_IRWXG | stat.S_IRWXO)):
            return None
        text = fh.read(2 * KEY_BYTES + 1)
    try:
        key = bytes.fromhex(text.decode("ascii"))
    except ValueError:
        return None
    return key if len(key) == KEY_BYTES else None


def _create_key(path: Path) -> None:
    """Write a new key beside path and link it into place: a reader never sees a part of one,
    and of two processes creating it at once, one key wins and both use it."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".stamp.", dir=path.parent)   # mode 0600
    try:
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(secrets.token_hex(KEY_BYTES))
            fh.flush()
            os.fsync(fh.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def stamp_key() -> bytes | None:
    """This user's stamp key, created on first use; None when there is none to trust."""
    path = paths.key_file()
    try:
        if path.resolve().is_relative_to(paths.cache_dir().resolve()):
            return None   # a key the cache holds protects nothing
        key = _load_key(path)
        if key is None and not path.exists() and not path.is_symlink():
            _create_key(path)
            key = _load_key(path)
    except OSError:
        return None   # a read-only home: nothing is remembered, everything is checked
    return key


def _seal(key: bytes, payload: dict[str, Any]) -> str:
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()
    return hmac.new(key, b"cqreport-stamp\0" + blob, sha256).hexdigest()


def write_stamp(path: Path, payload: dict[str, Any]) -> bool:
    """Seal payload (a JSON object) and write it to path atomically.

    Returns:
        False when nothing was written (no usable key, or the cache cannot be written):
        that only costs time.
    """
    key = stamp_key()
    if key is None:
        return False
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, json.dumps({**payload, _SEAL: _seal(key, payload)},
                                           ensure_ascii=False))
    except OSError:
        return False
    return True


def read_stamp(path: Path) -> dict[str, Any] | None:
    """The payload of the stamp at path if its seal verifies under this user's key, else None."""
    key = stamp_key()
    if key is None:
        return None
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(saved, dict) or not isinstance(saved.get(_SEAL), str):
        return None
    payload = {k: v for k, v in saved.items() if k != _SEAL}
    return payload if hmac.compare_digest(saved[_SEAL], _seal(key, payload)) else None
