"""Time `cqreport extract` on a 10,000-character release (target: under 0.2 s after import).

Run: .venv/bin/python bench/bench_extract.py [SOURCES_DIR]
Prints the median and worst time of the extraction step (decode, find, date, guess, rows)
for a Chinese and an English text of 10,000 characters, after one warm-up run that loads
the character tables and the metric catalogue.
"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import date
from pathlib import Path

from cqreport.core import paths
from cqreport.extract import build_candidates, read_release_text
from cqreport.extract.catalogue import Catalogue

N_CHARS = 10_000
RUNS = 15
TARGET_S = 0.2


def sample(sources: Path, lang: str) -> str:
    """10,000 characters of real release text in one language (files repeated as needed)."""
    files = sorted(sources.glob("*.txt"))
    texts = [f.read_text(encoding="utf-8") for f in files]
    texts = [t for t in texts if (sum("\u4e00" <= c <= "\u9fff" for c in t) > len(t) / 4)
             == (lang == "zh")]
    out = ""
    while len(out) < N_CHARS:
        for t in texts:
            out += t + "\n\n"
    return out[:N_CHARS]


def main() -> None:
    sources = Path(sys.argv[1]) if len(sys.argv) > 1 else paths.sources_dir()
    if sources is None:
        sys.exit("no source texts: pass the folder of releases")
    catalogue = Catalogue(paths.data_dir())
    for lang in ("zh", "en"):
        text = sample(sources, lang)
        build_candidates(read_release_text(text, lang=lang), date(2026, 5, 9), catalogue)
        times = []
        for _ in range(RUNS):
            t0 = time.perf_counter()
            rel = read_release_text(text, lang=lang)
            cands = build_candidates(rel, date(2026, 5, 9), catalogue)
            times.append(time.perf_counter() - t0)
        med = statistics.median(times)
        print(f"{lang}: {len(text):,} chars, {len(cands)} candidates: median {med:.3f} s, "
              f"worst {max(times):.3f} s ({med / TARGET_S:.0%} of the {TARGET_S} s budget)")


if __name__ == "__main__":
    main()
