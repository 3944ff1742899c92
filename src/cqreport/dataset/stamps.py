"""Sealed stamps: small JSON records kept in the cache that only this user can have written.

The cache folder is a convenience that anyone sharing it, or any program, can write;
a validation stamp in it tells the next command that every quote was checked, and the
report's appendix repeats that. So each stamp is sealed with the one keyed seal,
:func:`cqreport.core.files.seal` (HMAC-SHA256 under a per-user secret that the cache
does not hold: :func:`cqreport.core.paths.key_file`, 32 random bytes created on first
use, mode 0600, outside the cache; the build's work cache is sealed with the same key).
A stamp written without the key, copied from elsewhere, edited or cut short does not
verify and is ignored: the work it stood for is done again.

The key is refused (and nothing is stamped or trusted) when it is not a regular file of
this user's, when others can read it, or when it lies inside the cache folder
(:func:`cqreport.core.files.seal_key`).

Public API: :func:`write_stamp` and :func:`read_stamp`. ``dataset.validate`` keeps its
validation results with them; other layers may keep their own records the same way.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..core.files import atomic_write_text, seal, seal_ok

_SEAL = "seal"
_PURPOSE = "cqreport-stamp"


def _blob(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()


def write_stamp(path: Path, payload: dict[str, Any]) -> bool:
    """Seal payload (a JSON object) and write it to path atomically.

    Returns:
        False when nothing was written (no usable key, or the cache cannot be written):
        that only costs time.
    """
    mark = seal(_blob(payload), _PURPOSE)
    if mark is None:
        return False
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, json.dumps({**payload, _SEAL: mark}, ensure_ascii=False))
    except OSError:
        return False
    return True


def read_stamp(path: Path) -> dict[str, Any] | None:
    """The payload of the stamp at path if its seal verifies under this user's key, else None."""
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(saved, dict) or not isinstance(saved.get(_SEAL), str):
        return None
    payload = {k: v for k, v in saved.items() if k != _SEAL}
    return payload if seal_ok(_blob(payload), _PURPOSE, saved[_SEAL]) else None
