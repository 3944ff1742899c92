"""Files: the one sha256 helper family and the one atomic write.

Every fingerprint in cqreport (source-text hashes, data hashes, validation
stamps, build inputs, output hashes in manifests) is computed here, and every
file cqreport writes in place goes through :func:`atomic_write_text` so that a
crash or a full disk never leaves a half-written file where a good one stood.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path


def sha256_bytes(data: bytes) -> str:
    """Hex sha256 of bytes.

    >>> sha256_bytes(b"")[:12]
    'e3b0c44298fc'
    """
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: str | os.PathLike) -> str:
    """Hex sha256 of a file's bytes (what ``sha256sum`` prints)."""
    return sha256_bytes(Path(path).read_bytes())


def hash_files(files: Iterable[str | os.PathLike], root: Path | None = None) -> str:
    """sha256 over the name (relative to root, else folder/name) and bytes of each file, in
    sorted order; a missing file counts as such, so adding or removing one changes the hash."""
    h = hashlib.sha256()
    for f in sorted(Path(x) for x in files):
        name = str(f.relative_to(root)) if root is not None else f"{f.parent.name}/{f.name}"
        h.update(name.encode() + b"\0" + (f.read_bytes() if f.is_file() else b"<missing>") + b"\0")
    return h.hexdigest()


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write a file so that readers see the old content or the new, never a part.

    The bytes go to a temporary file beside the target, are flushed to disk, and
    the temporary file replaces the target in one rename. On any error the
    temporary file is removed and the target is left as it was.
    """
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """:func:`atomic_write_bytes` for UTF-8 text."""
    atomic_write_bytes(path, text.encode("utf-8"))
