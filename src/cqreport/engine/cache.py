"""The work cache: a unit of a report (a chart, the PDF, an audit) kept under a hash of its inputs.

A unit is computed from a known set of inputs: a chart from the rows it draws, the
catalogue names it prints, the drawing code and the font; the PDF from the page
and the printer; an audit from the page (or PDF), the narrative's ledger and the
data. Its key is a sha256 over exactly those (:func:`key_of`), so an edit re-runs
only the units it touches, and a forced rebuild of an unchanged report reuses them.

Entries are verified like the build's own outputs, and more: each is sealed with
:func:`cqreport.core.files.seal`, keyed by a file outside the cache folder, over
its kind, key and bytes. An entry cut short, edited, copied from another key or
planted by someone who can write the cache folder does not verify, is removed,
and the unit is computed again. Writes are atomic; a full or read-only cache only
costs time. Deleting the cache only costs time.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from pathlib import Path
from typing import Any

from ..core import paths
from ..core.files import atomic_write_bytes, seal, seal_ok, sha256_bytes

#: Entries kept per kind; the least recently used beyond it are removed.
KEEP = {"chart": 400, "pdf": 60, "audit": 400}
_KEY = re.compile(r"[0-9a-f]{64}")


def key_of(kind: str, *parts: Any) -> str:
    """The key of a unit: sha256 over its kind and inputs (JSON, keys sorted; bytes as their hash).

    >>> key_of("pdf", b"<html>", "67.0") == key_of("pdf", b"<html>", "67.0")
    True
    >>> key_of("pdf", b"<html>", "67.0") == key_of("pdf", b"<html> ", "67.0")
    False
    """
    def plain(x: Any) -> Any:
        if isinstance(x, bytes | bytearray):
            return {"sha256": sha256_bytes(bytes(x))}
        if isinstance(x, Path):
            return str(x)
        if isinstance(x, dict):
            return {str(k): plain(v) for k, v in x.items()}
        if isinstance(x, list | tuple):
            return [plain(v) for v in x]
        return x if isinstance(x, str | int | float | bool | type(None)) else str(x)

    blob = json.dumps([kind, *(plain(p) for p in parts)], sort_keys=True, ensure_ascii=False)
    return sha256_bytes(blob.encode())


class WorkCache:
    """Sealed entries by kind and key under ``<cache>/work/``; disabled, it holds nothing.

    Args:
        root: The folder (default: ``paths.cache_dir() / "work"``).
        enabled: False for a cold build: nothing is read or written.
    """

    def __init__(self, root: Path | None = None, enabled: bool = True):
        self.root = Path(root) if root is not None else paths.cache_dir() / "work"
        self.enabled = enabled
        self.hits: dict[str, int] = {}
        self.misses: dict[str, int] = {}

    def _path(self, kind: str, key: str) -> Path:
        if not _KEY.fullmatch(key) or not kind.isidentifier():
            raise ValueError(f"bad work cache key {kind}/{key}")
        return self.root / kind / key[:2] / key

    def get(self, kind: str, key: str) -> bytes | None:
        """The bytes stored for the unit, or None (absent, disabled, or not verifying)."""
        if not self.enabled:
            return None
        path = self._path(kind, key)
        try:
            raw = path.read_bytes()
        except OSError:
            self.misses[kind] = self.misses.get(kind, 0) + 1
            return None
        claimed, _, data = raw.partition(b"\n")
        if not seal_ok(self._sealed(kind, key, data), "work-cache", claimed.decode("ascii", "replace")):
            with contextlib.suppress(OSError):
                path.unlink()  # cut short, edited or planted: never trusted, computed again
            self.misses[kind] = self.misses.get(kind, 0) + 1
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # recently used: kept when the kind is pruned
        self.hits[kind] = self.hits.get(kind, 0) + 1
        return data

    def put(self, kind: str, key: str, data: bytes) -> None:
        """Store the unit's bytes, sealed; a cache that cannot be written only costs time."""
        if not self.enabled:
            return
        path = self._path(kind, key)
        mark = seal(self._sealed(kind, key, data), "work-cache")
        if mark is None:
            return  # no key to trust: nothing kept, as nothing kept could be trusted
        with contextlib.suppress(OSError):
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(path, mark.encode() + b"\n" + data, mode=0o600)
            self._prune(kind)

    def get_json(self, kind: str, key: str) -> Any:
        """:meth:`get`, parsed as JSON (None when absent or not JSON)."""
        data = self.get(kind, key)
        if data is None:
            return None
        try:
            return json.loads(data)
        except ValueError:
            return None

    def put_json(self, kind: str, key: str, value: Any) -> None:
        """:meth:`put` for a JSON value."""
        self.put(kind, key, json.dumps(value, ensure_ascii=False, sort_keys=True).encode())

    @staticmethod
    def _sealed(kind: str, key: str, data: bytes) -> bytes:
        # the kind and key are sealed with the bytes: an entry moved to another key fails
        return f"{kind}/{key}\n".encode() + data

    def _prune(self, kind: str) -> None:
        entries = [p for p in (self.root / kind).glob("*/*") if _KEY.fullmatch(p.name)]
        if len(entries) <= KEEP.get(kind, 200):
            return
        entries.sort(key=lambda p: p.stat().st_mtime)
        for p in entries[:len(entries) - KEEP.get(kind, 200)]:
            with contextlib.suppress(OSError):
                p.unlink()

    def stats(self) -> dict[str, dict[str, int]]:
        """Hits and misses by kind since :meth:`reset_stats`, for the manifest and the bench."""
        return {"hits": dict(self.hits), "misses": dict(self.misses)}

    def reset_stats(self) -> None:
        """Count from zero again (each report's manifest gives its own)."""
        self.hits.clear()
        self.misses.clear()
