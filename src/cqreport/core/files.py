"""Files: the one sha256 helper family, the one keyed seal and the one atomic write.

Every fingerprint in cqreport (source-text hashes, data hashes, validation
stamps, build inputs, output hashes in manifests) is computed here, and every
file cqreport writes in place goes through :func:`atomic_write_bytes` (or
:func:`stage` and :meth:`Staged.commit`, for several files that change together)
so that a crash, a kill or a full disk never leaves a half-written file where a
good one stood.

What cqreport keeps in its cache folder and later trusts (the work cache of the
build) is sealed with :func:`seal`: a keyed hash whose key lives outside the
cache folder, so that writing into the cache cannot plant a result.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import re
import secrets
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path

from . import paths


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


# ---------------------------------------------------------------------------- the seal
KEY_BYTES = 32


def _load_key(path: Path) -> bytes | None:
    """The key in path, or None if it is absent or cannot be trusted (see :func:`seal_key`)."""
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
    fd, tmp = tempfile.mkstemp(prefix=".key.", dir=path.parent)   # mode 0600
    try:
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(secrets.token_hex(KEY_BYTES))
            fh.flush()
            os.fsync(fh.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def seal_key() -> bytes | None:
    """This user's sealing key (:func:`paths.key_file`: 32 random bytes as hex), made on first use.

    None, and nothing is sealed or trusted, when the key is not a regular file of this
    user's, when others can read it, when it is reached through a link, or when it lies
    inside the cache folder (a key the cache holds protects nothing).
    """
    path = paths.key_file()
    try:
        if path.resolve().is_relative_to(paths.cache_dir().resolve()):
            return None
        key = _load_key(path)
        if key is None and not path.exists() and not path.is_symlink():
            _create_key(path)
            key = _load_key(path)
    except OSError:
        return None   # a read-only home: nothing is remembered, everything is checked
    return key


def seal(data: bytes, purpose: str) -> str | None:
    """A keyed hash (HMAC-SHA256) of data for one purpose, with :func:`seal_key`; None without
    a usable key.

    Only someone who can read the key can make a seal that :func:`seal_ok` accepts: a file
    written into the cache folder by hand, or copied from another machine, is not trusted.
    """
    key = seal_key()
    if key is None:
        return None
    return hmac.new(key, purpose.encode() + b"\0" + data, hashlib.sha256).hexdigest()


def seal_ok(data: bytes, purpose: str, claimed: str) -> bool:
    """Whether ``claimed`` is the seal of data for that purpose (compared in constant time);
    never without a usable key."""
    good = seal(data, purpose)
    return good is not None and hmac.compare_digest(good, str(claimed))


# ---------------------------------------------------------------------------- writing
def write_target(path: str | os.PathLike) -> Path:
    """The file a write to ``path`` replaces: a symbolic link is followed to the file it names,
    so that the link stays a link and the file it points to gets the new content."""
    p = Path(path)
    return p.resolve() if p.is_symlink() else p


_TEMP = re.compile(r"\.(?P<name>.+)\.(?P<pid>[0-9]+)(?:-[0-9a-f]+)?\.tmp")


def _temp_for(target: Path) -> Path:
    # the writer's pid in the name: a later write removes it once that process is gone
    return target.with_name(f".{target.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")


class Staged:
    """New content for one file, written and flushed to disk beside it, not yet in place.

    :meth:`commit` renames it over the file (one atomic step); :meth:`discard` removes it.
    """

    def __init__(self, path: str | os.PathLike, data: bytes, mode: int | None = None):
        self.target = write_target(path)
        self.temp = _temp_for(self.target)
        if mode is None:
            with contextlib.suppress(FileNotFoundError):
                mode = self.target.stat().st_mode & 0o777  # replacing a file keeps its mode
        # a new file gets what the user's umask allows, like any file they make
        fd = os.open(self.temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        try:
            try:
                if mode is not None:
                    os.fchmod(fd, mode)
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
                os.fsync(fd)
            finally:
                os.close(fd)
        except BaseException:
            self.discard()
            raise

    def commit(self) -> None:
        """Put the new content in place: readers see the old file or the new one, never a part."""
        os.replace(self.temp, self.target)

    def discard(self) -> None:
        """Remove the staged content if it was not committed."""
        with contextlib.suppress(OSError):
            self.temp.unlink()


def stage(path: str | os.PathLike, data: bytes, mode: int | None = None) -> Staged:
    """Write data beside ``path`` (following a symbolic link) and flush it; commit it later.

    For several files that change together: stage them all, check what must still hold,
    then commit each; a failure before the commits leaves every file as it was.
    """
    return Staged(path, data, mode)


def sync_folder(folder: str | os.PathLike) -> None:
    """Make renames in a folder durable; some filesystems can't open a folder, then the OS decides."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write_bytes(path: str | os.PathLike, data: bytes, mode: int | None = None) -> Path:
    """Write a file so that readers see the old content or the new, never a part.

    The bytes go to a temporary file beside the target, are flushed to disk, and the
    temporary file replaces the target in one rename. A symbolic link is followed: the
    file it points to is replaced and the link stays. A replaced file keeps its mode (a
    new one gets ``mode``, else what the umask allows). On any error the temporary file is removed and
    the target is left as it was. Returns the file written (the link's target for a link).
    """
    staged = stage(path, data, mode)
    try:
        staged.commit()
    finally:
        staged.discard()
    sync_folder(staged.target.parent)
    return staged.target


def atomic_write_text(path: str | os.PathLike, text: str, encoding: str = "utf-8",
                      mode: int | None = None) -> Path:
    """:func:`atomic_write_bytes` for text (UTF-8 unless told otherwise)."""
    return atomic_write_bytes(path, text.encode(encoding), mode)


def remove_stale_temps(path: str | os.PathLike) -> list[Path]:
    """Remove the temporary files that killed writers of ``path`` left beside it (their process
    is gone); returns what was removed."""
    target = write_target(path)
    removed = []
    for p in target.parent.glob(f".{glob_escape(target.name)}.*.tmp"):
        m = _TEMP.fullmatch(p.name)
        if m and m["name"] == target.name and not pid_alive(int(m["pid"])):
            with contextlib.suppress(OSError):
                p.unlink()
                removed.append(p)
    return removed


def glob_escape(name: str) -> str:
    """A file name with glob's special characters taken literally.

    >>> glob_escape("a[1].csv")
    'a[[]1].csv'
    """
    return re.sub(r"([*?[])", r"[\1]", name)


def pid_alive(pid: int) -> bool:
    """Whether a process with that id exists (this process counts as alive)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
