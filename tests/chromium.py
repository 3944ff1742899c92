"""Headless Chromium for the browser tests: Debian's own package, driven by Python playwright.

Never a downloaded browser build: playwright is pointed at /usr/bin/chromium. When it is
missing and the tests run as root (CI, ./run), it is apt-installed once.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]


def ensure_chromium() -> Path:
    """The system Chromium, apt-installed when missing and we are root; else the test is skipped."""
    if not CHROMIUM.exists() and os.geteuid() == 0 and shutil.which("apt-get"):
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True, check=False)
        subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium",
                        "fonts-noto-cjk"], env=env, capture_output=True, check=False)
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (apt-get install chromium)")
    return CHROMIUM


def launch(p):
    """A headless browser from a playwright instance."""
    return p.chromium.launch(executable_path=str(ensure_chromium()), args=FLAGS, headless=True)
