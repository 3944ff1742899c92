"""Shared fixtures: the real data, a small data folder built from real source sentences, the sources."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from cqreport import load_dataset
from cqreport.core import paths

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
REAL_DATA = ROOT / "data"


@pytest.fixture(scope="session", autouse=True)
def _private_cache(tmp_path_factory):
    """Each test run keeps its validation stamps, and the key that seals them, to itself: never
    in the user's ~/.cache or ~/.config."""
    os.environ["CQREPORT_CACHE"] = str(tmp_path_factory.mktemp("cache"))
    os.environ["CQREPORT_KEY_FILE"] = str(tmp_path_factory.mktemp("key") / "stamp.key")


@pytest.fixture(scope="session")
def sources_dir() -> Path:
    """The source texts. Missing sources fail the run: the data tests are worthless without them."""
    found = paths.sources_dir()
    if found is None:
        if os.environ.get("CQREPORT_ALLOW_NO_SOURCES"):
            pytest.skip("source texts not present (CQREPORT_ALLOW_NO_SOURCES set)")
        pytest.fail("../shared/sources not found beside the checkout; set CQREPORT_SOURCES")
    return found


@pytest.fixture
def min_data(tmp_path: Path) -> Path:
    """A writable data folder: the real descriptor and a few rows quoting real sources."""
    target = tmp_path / "data"
    target.mkdir()
    shutil.copy(REAL_DATA / "datapackage.json", target)
    for f in (FIXTURES / "data_min").glob("*.csv"):
        shutil.copy(f, target)
    return target


@pytest.fixture(scope="session")
def real_ds(sources_dir):
    """The shipped data, validated against the source texts."""
    return load_dataset(REAL_DATA, sources_dir)
