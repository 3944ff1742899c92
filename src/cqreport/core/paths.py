"""Where things live: the project root, the curated data, the source texts, the reports.

Every default can be overridden by an argument, or by an environment variable
for tools that cannot pass one (CQREPORT_DATA, CQREPORT_SOURCES, CQREPORT_REPORTS).
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import ParameterError

PACKAGE_DIR = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = PACKAGE_DIR / "report" / "templates"
ASSETS_DIR = PACKAGE_DIR / "report" / "assets"
#: The data package descriptor of the checkout the package runs from.
DESCRIPTOR = PACKAGE_DIR.parent.parent / "data" / "datapackage.json"


def project_root() -> Path:
    """The checkout this package runs from.

    Found by walking up from the current directory to a folder holding
    ``data/datapackage.json``; failing that, the folder above ``src/`` of an
    editable install.
    """
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "data" / "datapackage.json").is_file():
            return folder
    return PACKAGE_DIR.parent.parent


def data_dir(path: str | os.PathLike | None = None) -> Path:
    """The curated data folder: the argument, else $CQREPORT_DATA, else <root>/data."""
    if path is not None:
        return Path(path)
    env = os.environ.get("CQREPORT_DATA")
    return Path(env) if env else project_root() / "data"


#: What a data folder must hold: every message that finds it missing says so in these words.
DATA_FOLDER_EXPECTED = "a data folder holding datapackage.json and its CSV files"


def descriptor(folder: str | os.PathLike | None = None) -> Path:
    """The data package descriptor (``datapackage.json``) of a data folder (default: :func:`data_dir`).

    The one check that a folder given as data is one: every command and the notebook's
    parameters go through it, so the message is the same everywhere.

    Raises:
        ParameterError: The folder holds no descriptor.
    """
    path = data_dir(folder) / "datapackage.json"
    if not path.is_file():
        raise ParameterError(f"data folder {path.parent} has no datapackage.json; "
                             f"expected {DATA_FOLDER_EXPECTED}")
    return path


def sources_dir(path: str | os.PathLike | None = None) -> Path | None:
    """The source texts: the argument, else $CQREPORT_SOURCES, else ../shared/sources beside the root.

    Returns None when no such folder exists, so that checks needing it are skipped.
    """
    if path is not None:
        return Path(path)
    env = os.environ.get("CQREPORT_SOURCES")
    candidate = Path(env) if env else project_root().parent / "shared" / "sources"
    return candidate if candidate.is_dir() else None


def reports_dir(path: str | os.PathLike | None = None) -> Path:
    """Where built reports go: the argument, else $CQREPORT_REPORTS, else <root>/reports."""
    if path is not None:
        return Path(path)
    env = os.environ.get("CQREPORT_REPORTS")
    return Path(env) if env else project_root() / "reports"


def cache_dir() -> Path:
    """Where cqreport keeps caches it can always rebuild: $CQREPORT_CACHE, else $XDG_CACHE_HOME/cqreport,
    else ~/.cache/cqreport. Nothing in it is needed; deleting it only costs time."""
    env = os.environ.get("CQREPORT_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "cqreport"


def key_file() -> Path:
    """This user's key for sealing what cqreport trusts from its cache (``core.files.seal``: the
    validation stamps and the build's work cache): $CQREPORT_KEY_FILE, else
    $XDG_CONFIG_HOME/cqreport/stamp.key, else ~/.config/cqreport/stamp.key.

    It is kept outside :func:`cache_dir` on purpose: whoever can write the cache folder but
    not read this file cannot make a seal the build accepts.
    """
    env = os.environ.get("CQREPORT_KEY_FILE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "cqreport" / "stamp.key"


def notebooks_dir() -> Path:
    """The notebooks folder of the checkout."""
    return project_root() / "notebooks"
