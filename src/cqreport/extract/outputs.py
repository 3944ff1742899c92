"""Where ``cqreport extract --out C.csv`` may write, checked before anything is written.

``--out C.csv`` writes the candidates ``C.csv``, the proposed catalogue rows ``C.metrics.csv``,
the review page ``C.review.html`` and, when there are some, the proposed places
``C.entities.csv`` and the release's drafted registry row ``C.source.csv``. None of them may
replace:

* a file in the data folder or the sources folder (curated files reach the data only
  through ``--append``, which validates and appends), or the release being read, nor
  anything a link there leads to: never, not even with ``--force``;
* an existing file that is not that kind of file as cqreport writes it (a spreadsheet, a
  report, a reviewed CSV of other columns), or a candidates file whose ``status`` column
  already holds review choices: unless ``--force``.

Re-running an extraction over its own earlier, unreviewed output is fine.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from ..core import paths
from ..errors import ExtractError
from .append import side_path_for
from .review import looks_like_candidates, review_path_for

# what the first bytes of a review page cqreport wrote hold: its embedded data block
REVIEW_MARK = '<script id="review-data" type="application/json">'
_HEAD_BYTES = 1 << 16


def output_paths(out: str | Path) -> dict[str, Path]:
    """The files ``--out`` writes, by kind."""
    p = Path(out)
    return {"candidates": p, **{side: side_path_for(p, side) for side in SIDE_FILES},
            "review": review_path_for(p)}


def _under(path: Path, folder: Path | None) -> bool:
    return folder is not None and folder.is_dir() and path.is_relative_to(folder.resolve())


def _head(path: Path, size: int = _HEAD_BYTES) -> str:
    with path.open("rb") as fh:
        return fh.read(size).decode("utf-8-sig", errors="replace")


def _status_count(path: Path) -> int:
    """How many rows of a candidates file carry a review choice in ``status``."""
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as fh:
        return sum(1 for row in csv.DictReader(fh) if (row.get("status") or "").strip())


#: The side files beside the candidates, and the columns that tell one cqreport wrote.
SIDE_FILES: dict[str, set[str]] = {"metrics": {"metric_id", "units", "base_unit"},
                                   "entities": {"entity_id", "entity_type"}, "source": {"source_id", "file"}}


def _is_side_file(path: Path, kind: str) -> bool:
    header = next(csv.reader(io.StringIO(_head(path).split("\n", 1)[0])), [])
    return "status" in header and SIDE_FILES[kind] <= set(header)


def _foreign(kind: str, path: Path) -> str | None:
    """Why an existing file must not be replaced without --force, or None if it may be."""
    if not path.is_file():
        return "it is not a regular file"
    try:
        if kind == "candidates":
            if not looks_like_candidates(path):
                return "it is not a candidates file cqreport wrote"
            reviewed = _status_count(path)
            if reviewed:
                return (f"it holds review choices ({reviewed} row(s) with a status), which "
                        "would be lost")
        elif kind in SIDE_FILES and not _is_side_file(path, kind):
            return f"it is not a file of proposed {kind} rows cqreport wrote"
        elif kind == "review" and REVIEW_MARK not in _head(path):
            return "it is not a review page cqreport wrote"
    except (OSError, csv.Error) as exc:
        return f"it cannot be read to tell ({exc})"
    return None


def check_outputs(out: str | Path, release: str | Path, data_dir: str | Path | None = None,
                  sources_dir: str | Path | None = None, force: bool = False) -> None:
    """Refuse an ``--out`` whose files would replace something they are not (see module doc).

    Raises:
        ExtractError: Naming the file, what it is and what to do instead.
    """
    data = paths.data_dir(data_dir)
    sources = paths.sources_dir(sources_dir)
    rel = Path(release).resolve()
    for kind, target in output_paths(out).items():
        real = target.resolve()   # a link is judged by where the write would land too
        also = "" if kind == "candidates" else f" (--out {out} also writes {target.name})"
        if real == rel:
            raise ExtractError(f"--out {out}: {target} is the release being read{also}; "
                               "choose another name, e.g. --out candidates.csv")
        for folder, what in ((data, "data"), (sources, "sources")):
            if _under(real, folder) or _under(target.absolute(), folder):
                raise ExtractError(
                    f"--out {out}: {target} is in the {what} folder {folder}{also}; candidates go "
                    "elsewhere (e.g. --out candidates.csv) and reach the data only through "
                    "cqreport extract C.reviewed.csv --append")
        if force or not (target.exists() or target.is_symlink()):
            continue
        why = _foreign(kind, target)
        if why is not None:
            raise ExtractError(f"--out {out}: {target} exists and {why}{also}; choose another "
                               "name, or pass --force to replace it")
