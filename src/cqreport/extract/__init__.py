"""Candidate observations from a new release, for an analyst to review.

``extract_file`` reads a release (UTF-8, GB18030 or Big5; simplified,
traditional or English), finds every figure with its unit, qualifier,
year-on-year change and period, guesses its metric and entity from the
curated catalogue, and returns candidate rows in the observation columns.
``append_candidates`` adds the rows an analyst marked ``accepted`` to the
curated data. ``score_gold`` measures the extractor against a hand-made gold
set.

Modules: ``reading`` (decoding, script folding, paragraphs), ``zh`` and ``en``
(figures), ``timespans`` (period words), ``catalogue`` (metric, entity and
source look-ups), ``labels`` (metric, entity and reason from the words around a
figure; proposed catalogue rows), ``rows`` (from figures to rows), ``candidates``
(output: the candidates CSV and ``C.metrics.csv``), ``append`` and ``score``.
"""

from .append import AppendResult, append_candidates
from .candidates import Extraction, extract_file
from .reading import Release, read_release, read_release_text
from .rows import Candidate, build_candidates
from .score import ScoreReport, score_gold

__all__ = [
    "AppendResult",
    "Candidate",
    "Extraction",
    "Release",
    "ScoreReport",
    "append_candidates",
    "build_candidates",
    "extract_file",
    "read_release",
    "read_release_text",
    "score_gold",
]
