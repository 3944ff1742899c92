"""The reports folder: only one cqreport made is written into; reports are swapped into place whole.

A folder cqreport made holds a marker file (:data:`REPORTS_MARK`, written when
the folder is made or first accepted); the checkout's own ``reports/`` is cqreport's
by definition (nothing generated is committed there). Any other folder that holds anything at all, even only an
``index.html``, a ``README.md`` or dotfiles, is refused unless ``--force``: the
index and the quarter folders cqreport writes would replace the user's files.

Each report is built in a temporary folder beside its target, named with the
builder's pid, and renamed into place only when every step passed; a later build
removes what a killed one left.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
from pathlib import Path

from ..core.files import atomic_write_text, pid_alive
from ..core.paths import project_root
from ..errors import ParameterError

REPORTS_MARK = ".cqreport-reports"
MARK_TEXT = ("cqreport reports folder: cqreport builds reports here and replaces index.html and "
             "the quarter folders. Without this file it refuses to write here.\n")
FAILED_NOTEBOOK = "report.failed.ipynb"
FAILED_HTML = "report.failed.html"


def check_reports_dir(rdir: Path, force: bool) -> None:
    """Refuse an output folder cqreport did not make (``--reports /``, a home folder, a folder
    with someone's ``index.html``) unless forced, and one that cannot be written; mark an
    accepted one as a cqreport reports folder.

    A folder is cqreport's when it does not exist yet, is empty, holds the marker, or is the
    checkout's own ``reports/``.

    Raises:
        ParameterError: Naming the folder, what was found and what is expected.
    """
    rdir = Path(rdir)
    ours = (rdir / REPORTS_MARK).is_file() or _same(rdir, project_root() / "reports")
    if rdir.is_dir() and not ours and not force:
        try:
            found = sorted(p.name for p in rdir.iterdir())
        except OSError as exc:
            raise ParameterError(f"reports folder {rdir}: cannot list it ({exc.strerror})") from None
        if found:
            raise ParameterError(
                f"reports folder {rdir} is not a cqreport reports folder (it holds "
                f"{', '.join(found[:3])}{' …' if len(found) > 3 else ''} and no {REPORTS_MARK}); "
                "expected a new or empty folder, or one cqreport made; --force writes into it anyway")
    try:
        rdir.mkdir(parents=True, exist_ok=True)
        if not (rdir / REPORTS_MARK).is_file():
            atomic_write_text(rdir / REPORTS_MARK, MARK_TEXT)
        probe = tempfile.mkdtemp(prefix=".probe-", dir=rdir)
        os.rmdir(probe)
    except OSError as exc:
        raise ParameterError(f"reports folder {rdir} cannot be written: {exc.strerror or exc}; "
                             "expected a writable folder (--reports DIR)") from None


def _same(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


def building_folder(outdir: Path, lang: str) -> Path:
    """A new temporary folder beside ``outdir`` for one report, named with this process's pid."""
    outdir.parent.mkdir(parents=True, exist_ok=True)
    # the builder's pid in the name: a later build removes the folder once that pid is gone
    tmp = Path(tempfile.mkdtemp(prefix=f".{lang}.building-{os.getpid()}-", dir=outdir.parent))
    tmp.chmod(0o755)  # mkdtemp makes it private; the report folder should not be
    return tmp


def swap_into_place(tmp: Path, outdir: Path) -> None:
    """Replace outdir by tmp; the old folder is renamed aside first, then removed."""
    old = None
    if outdir.exists():
        old = outdir.with_name(f".{outdir.name}.old-{os.getpid()}")
        shutil.rmtree(old, ignore_errors=True)
        os.replace(outdir, old)
    os.replace(tmp, outdir)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def keep_failed(tmp: Path, outdir: Path) -> list[str]:
    """Move the failed executed notebook (and page) beside the previous good report.

    Only whole files are kept: a notebook that is not complete JSON or a page cut
    short (a full disk) would mislead more than help, and is left to be removed.
    """
    kept = []
    with contextlib.suppress(OSError):
        outdir.mkdir(parents=True, exist_ok=True)
    for src, name in ((tmp / "report.ipynb", FAILED_NOTEBOOK), (tmp / "report.html", FAILED_HTML)):
        if src.is_file() and whole(src):
            with contextlib.suppress(OSError):
                os.replace(src, outdir / name)
                kept.append(str(outdir / name))
    return kept


def drop_stale_failures(outdir: Path) -> None:
    """Remove the failed files of an earlier build of a report that now built."""
    for stale in (FAILED_NOTEBOOK, FAILED_HTML):
        with contextlib.suppress(FileNotFoundError):
            (outdir / stale).unlink()


def whole(path: Path) -> bool:
    """Whether a kept file is complete: a notebook that parses, a page that ends."""
    try:
        data = path.read_bytes()
        if path.suffix == ".ipynb":
            json.loads(data)
            return True
        return data.rstrip().endswith(b"</html>")
    except (OSError, ValueError):
        return False


def clean_leftovers(reports_dir: Path) -> list[Path]:
    """Remove what killed builds left: ``.building-<pid>-*`` and ``.old-<pid>`` folders
    whose process is gone, and this user's kernel folders and PDF temp folders in
    $TMPDIR whose process is gone. Returns what was removed."""
    removed = []
    pattern = re.compile(r"\.[a-z]+\.building-(\d+)-|\.[a-z]+\.old-(\d+)$")
    candidates = [p for p in Path(reports_dir).glob("*/.*") if p.is_dir()]
    tmpdir = Path(tempfile.gettempdir())
    candidates += [p for p in tmpdir.glob("cqreport-*-*") if p.is_dir()]
    for p in candidates:
        m = pattern.match(p.name) or re.match(r"cqreport-(?:kernel|pdf)-(\d+)-", p.name)
        if not m:
            continue
        pid = int(next(g for g in m.groups() if g))
        if not pid_alive(pid):
            shutil.rmtree(p, ignore_errors=True)
            removed.append(p)
    return removed
