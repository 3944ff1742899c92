"""Render every built report to PNG, to look at what a reader sees.

HTML pages are shot with headless Chromium, PDF pages are rasterised with
pdftoppm. Both come from Debian packages, installed with apt-get when missing.

Usage:
    python bench/screenshots.py [--reports reports] [--out reports/screenshots]
                                [--pages 3] [--only 2026Q1/zh]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars",
)


def ensure_tools() -> tuple[str, str]:
    """Paths of chromium and pdftoppm, installing the Debian packages if needed."""
    need = []
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        need.append("chromium")
    if not shutil.which("pdftoppm"):
        need.append("poppler-utils")
    if need:
        sudo = [] if os.geteuid() == 0 else ["sudo"]
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        print(f"installing {' '.join(need)} with apt-get", file=sys.stderr)
        subprocess.run([*sudo, "apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run([*sudo, "apt-get", "install", "-y", "-qq", "--no-install-recommends", *need],
                       check=True, env=env)
        chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium or not shutil.which("pdftoppm"):
        raise SystemExit("chromium or pdftoppm still missing after apt-get")
    return chromium, shutil.which("pdftoppm")


def shoot_html(chromium: str, page: Path, target: Path, height: int = 4000) -> None:
    """Screenshot an HTML file with headless Chromium, in a fresh profile."""
    with tempfile.TemporaryDirectory(prefix="cqreport-chromium-") as profile:
        cmd = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
               f"--screenshot={target}", f"--window-size=1280,{height}", page.resolve().as_uri()]
        subprocess.run(cmd, check=True, capture_output=True, timeout=120)


def rasterise_pdf(pdftoppm: str, pdf: Path, prefix: Path, pages: int) -> None:
    """The first pages of a PDF as PNG files prefix-1.png, prefix-2.png…"""
    subprocess.run([pdftoppm, "-png", "-r", "80", "-f", "1", "-l", str(pages), str(pdf),
                    str(prefix)], check=True, timeout=120)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reports", type=Path, default=Path("reports"))
    ap.add_argument("--out", type=Path, default=None, help="default: <reports>/screenshots")
    ap.add_argument("--pages", type=int, default=3, help="PDF pages per report")
    ap.add_argument("--only", action="append", default=[], help="quarter/lang, repeatable")
    args = ap.parse_args(argv)
    out = args.out or args.reports / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    chromium, pdftoppm = ensure_tools()
    reports = sorted(p.parent for p in args.reports.glob("*/*/report.html"))
    if args.only:
        reports = [r for r in reports if f"{r.parent.name}/{r.name}" in args.only]
    if not reports:
        print(f"no built report under {args.reports}: run `cqreport build` first", file=sys.stderr)
        return 1
    for r in reports:
        slug = f"{r.parent.name}-{r.name}"
        shoot_html(chromium, r / "report.html", out / f"{slug}-html.png")
        print(out / f"{slug}-html.png")
        if (r / "report.pdf").is_file():
            rasterise_pdf(pdftoppm, r / "report.pdf", out / f"{slug}-pdf", args.pages)
            for png in sorted(out.glob(f"{slug}-pdf-*.png")):
                print(png)
    if (args.reports / "index.html").is_file():
        shoot_html(chromium, args.reports / "index.html", out / "index-html.png", height=900)
        print(out / "index-html.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
