"""What a build depends on, and what it left: input fingerprints, the manifest, the skip check.

A report is skipped when its manifest records the same inputs (notebook, data,
parameters, code, library versions, font); that check reads no data and
imports neither pandas nor papermill.
"""

from __future__ import annotations

import contextlib
import json
import platform
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..core import paths
from ..core.files import atomic_write_text, hash_files, sha256_bytes, sha256_file
from ..report.params import ReportParams
from .units import font_digest, hash_package, versions

VERSIONED = ("cqreport", "papermill", "nbconvert", "nbclient", "ipykernel", "weasyprint",
             "matplotlib", "seaborn", "pandas", "pandera", "jinja2", "pypdf",
             "pylopdf-fonts-zh-cn")


MANIFEST = "manifest.json"


def data_hash(data_dir: Path) -> str:
    """Fingerprint of the curated data: the descriptor and the tables."""
    paths.descriptor(data_dir)
    return hash_files(_data_files(Path(data_dir)), Path(data_dir))


def _data_files(data_dir: Path) -> list[Path]:
    """The descriptor and the tables it declares: the files ``dataset.load.data_files``
    names (a test holds them equal), found without importing pandas, which
    ``dataset.load`` needs, so that the skip check and the CLI start stay light."""
    descriptor = data_dir / "datapackage.json"
    try:
        resources = json.loads(descriptor.read_text(encoding="utf-8"))["resources"]
        return [descriptor, *(data_dir / r["path"] for r in resources)]
    except (OSError, ValueError, KeyError, TypeError):  # validation says what is wrong
        from ..dataset.load import data_files

        return data_files(data_dir)


def code_hash() -> str:
    """Fingerprint of the installed cqreport package (modules, templates, assets)."""
    return hash_package((".py", ".j2", ".css", ".html", ".js", ".json", ".toml", ".txt"))


def package_versions() -> dict[str, str]:
    """Versions of the packages that shape a report, and of Python."""
    return {"python": platform.python_version(), **versions(VERSIONED)}


def git_revision(root: Path | None = None) -> str | None:
    """The checkout's commit (with ``-dirty`` if it has changes), or None outside git."""
    root = root or paths.project_root()
    try:
        rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True,
                             text=True, timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=root, capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return rev + ("-dirty" if dirty.strip() else "") if rev else None


@dataclass(frozen=True)
class Inputs:
    """Fingerprints of everything a report depends on, except its parameters."""

    notebook: str
    data: str
    code: str
    packages: dict[str, str]
    font: str
    kernel: str
    formats: tuple[str, ...]

    def key(self, params: ReportParams) -> str:
        """The cache key of one report: same key, same report."""
        blob = json.dumps({"inputs": asdict(self), "params": params.to_papermill()}, sort_keys=True)
        return sha256_bytes(blob.encode())


def collect_inputs(notebook: Path, data_dir: Path, kernel: str,
                   formats: Sequence[str]) -> Inputs:
    """Fingerprint the inputs of a build."""
    return Inputs(
        notebook=sha256_bytes(Path(notebook).read_bytes()),
        data=data_hash(data_dir),
        code=code_hash(),
        packages=package_versions(),
        font=font_digest(),
        kernel=kernel,
        formats=tuple(formats),
    )


def quarters_with_data(digest: str, cache_dir: Path | None, load: Callable[[], Any]) -> list[str]:
    """Quarters that have data, from a small cache keyed by the data hash, else from the data
    (``load`` returns the dataset)."""
    cache = cache_dir / "quarters.json" if cache_dir else None
    if cache and cache.is_file():
        with contextlib.suppress(ValueError, OSError):
            saved = json.loads(cache.read_text(encoding="utf-8"))
            # a cache of the wrong shape is ignored and rewritten, never trusted
            if (isinstance(saved, dict) and saved.get("data_hash") == digest
                    and isinstance(saved.get("quarters"), list)
                    and all(isinstance(q, str) for q in saved["quarters"])):
                return list(saved["quarters"])
    quarters = [str(q) for q in load().quarters()]
    if cache:
        with contextlib.suppress(OSError):
            cache.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(cache, json.dumps({"data_hash": digest, "quarters": quarters}))
    return quarters


def read_manifest(outdir: Path) -> dict | None:
    """The manifest of a built report, or None if it is missing or not a JSON object."""
    try:
        m = json.loads((outdir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return m if isinstance(m, dict) else None


def manifest_seconds(m: dict | None) -> float:
    """The total build time a manifest records, 0.0 when absent or not a number."""
    timings = m.get("timings_s") if isinstance(m, dict) else None
    total = timings.get("total") if isinstance(timings, dict) else None
    try:
        return float(total) if isinstance(total, int | float | str) else 0.0
    except ValueError:
        return 0.0


def is_current(outdir: Path, key: str, formats: Sequence[str]) -> bool:
    """True when the report in outdir was built from the same inputs and is complete."""
    manifest = read_manifest(outdir)
    if not manifest or manifest.get("cache_key") != key:
        return False
    needed = ["report.ipynb", *(f"report.{f}" for f in formats)]
    outputs = manifest.get("outputs")
    if not isinstance(outputs, dict):
        return False
    # a truncated or emptied output is not up to date: its bytes must be the ones built
    for n in needed:
        rec = outputs.get(n)
        f = outdir / n
        if not (isinstance(rec, dict) and f.is_file() and f.stat().st_size == rec.get("bytes")
                and sha256_file(f) == rec.get("sha256")):
            return False
    return True
