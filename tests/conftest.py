"""Shared fixtures: the real data, a small data folder built from real source sentences, the sources."""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
from pathlib import Path

import pytest

from cqreport import load_dataset
from cqreport.core import paths

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
REAL_DATA = ROOT / "data"
#: The catalogue the extractor's tests read (metrics, entities, sources of data/ as of issue 19):
#: the gold set's labels are typed against it, so a curator adding or renaming a metric in
#: data/ changes no extractor score and breaks no extractor test.
CATALOGUE = FIXTURES / "catalogue"


def shared_dir(tmp_path_factory) -> Path:
    """A folder all pytest-xdist workers of this run see."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session", autouse=True)
def _private_cache(tmp_path_factory):
    """Each test run keeps its validation stamps, work cache and sealing key to itself, never
    in the user's ~/.cache or ~/.config; its xdist workers share them, as the processes of one
    user do (a report built by one worker fills the cache another reads)."""
    root = shared_dir(tmp_path_factory)
    os.environ["CQREPORT_CACHE"] = str(root / "cache")
    os.environ["CQREPORT_KEY_FILE"] = str(root / "key" / "stamp.key")


@pytest.fixture(scope="session")
def sources_dir() -> Path:
    """The source texts. Missing sources fail the run: the data tests are worthless without them."""
    found = paths.sources_dir()
    if found is None:
        if os.environ.get("CQREPORT_ALLOW_NO_SOURCES"):
            pytest.skip("source texts not present (CQREPORT_ALLOW_NO_SOURCES set)")
        pytest.fail("../shared/sources not found beside the checkout; set CQREPORT_SOURCES")
    return found


def data_copy(tmp_path: Path, fixture: str) -> Path:
    """A writable data folder: the real descriptor and the CSVs of ``tests/fixtures/<fixture>``."""
    target = tmp_path / "data"
    target.mkdir()
    shutil.copy(REAL_DATA / "datapackage.json", target)
    for f in (FIXTURES / fixture).glob("*.csv"):
        shutil.copy(f, target)
    return target


@pytest.fixture
def min_data(tmp_path: Path) -> Path:
    """A writable data folder: the real descriptor and a few rows quoting real sources."""
    return data_copy(tmp_path, "data_min")


@pytest.fixture
def def_data(tmp_path: Path) -> Path:
    """A writable data folder of real rows whose definitions are stated or inferred (issue 17):
    the Chongqing loan path of 2025-26, its national comparator and a few scope cases."""
    return data_copy(tmp_path, "data_definitions")


@pytest.fixture
def peers_data(tmp_path: Path) -> Path:
    """A writable data folder of the real loan rows of Chongqing, the peer provinces and the
    nation since 2022 (issue 22), with the rows they cite as evidence."""
    return data_copy(tmp_path, "data_peers")


@pytest.fixture(scope="session")
def real_ds(sources_dir):
    """The shipped data, validated against the source texts."""
    return load_dataset(REAL_DATA, sources_dir)


@contextlib.contextmanager
def run_lock(path: Path):
    """One xdist worker at a time inside (the others wait): for fixtures built once per run."""
    with open(path, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def explore_executed(tmp_path_factory):
    """notebooks/explore_data.ipynb run once per test run with its defaults (papermill, the
    cqreport kernel), shared by every test and xdist worker that reads its outputs."""
    import nbformat

    out = shared_dir(tmp_path_factory) / "explore_data.executed.ipynb"
    part = out.with_name("explore_data.part.ipynb")
    with run_lock(out.with_suffix(".lock")):
        if not out.exists():
            import papermill

            papermill.execute_notebook(str(ROOT / "notebooks" / "explore_data.ipynb"), str(part),
                                       kernel_name="cqreport", execution_timeout=300,
                                       progress_bar=False, cwd=str(ROOT))
            part.replace(out)
    return nbformat.read(out, as_version=4)


@pytest.fixture(scope="session")
def narrative_of(real_ds):
    """The narrative of a quarter in a language, of the shipped data: written once per test
    process, and given to each caller as its own copy (a test may change what it gets)."""
    import copy

    from cqreport.analysis.quarter import quarter_data
    from cqreport.report.narrative import write_narrative

    written: dict = {}

    def get(quarter, lang: str):
        key = (str(quarter), lang)
        if key not in written:
            written[key] = write_narrative(quarter_data(real_ds, quarter), lang)
        return copy.deepcopy(written[key])

    return get
