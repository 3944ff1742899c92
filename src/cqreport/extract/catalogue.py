"""What the curated data already knows: metric names, entity names, the source registry.

The extractor reads these to guess a figure's metric and entity and to find a
release's source id and date. Nothing here is required: without a data
folder every guess is ``unknown`` / ``chongqing`` and the dates come from the
command line or the release's header.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from ..core.files import sha256_file
from ..core.places import PLACE_TYPES
from ..core.vocab import UNITS

_PAREN = re.compile(r"[（(][^）)]*[）)]")
_EN_STOP = {"the", "of", "and", "in", "by", "to", "a", "an", "for", "on", "at", "via", "with",
            "all", "total", "number", "value", "amount", "its", "from", "under", "as"}


def _read_csv(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        return []
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _bigrams(text: str) -> set[str]:
    t = re.sub(r"[\s“”\"'，,、（）()·]", "", text)
    return {t[i:i + 2] for i in range(len(t) - 1)}


def _words(text: str) -> set[str]:
    out = set()
    for w in re.findall(r"[a-z]+", text.lower()):
        if w in _EN_STOP or len(w) < 3:
            continue
        for suffix in ("ing", "ed", "s"):
            if w.endswith(suffix) and len(w) - len(suffix) >= 4:
                w = w[: -len(suffix)]
                break
        out.add(w)
    return out


@dataclass
class MetricInfo:
    """A metric as the guesser sees it."""

    metric_id: str
    name_zh: str
    name_en: str
    units: list[str]
    base_unit: str
    period_type: str
    zh_grams: set[str] = field(default_factory=set)
    en_words: set[str] = field(default_factory=set)


@dataclass
class Guess:
    """A best guess and how sure it is (0..1)."""

    value: str
    score: float
    note: str = ""


class Catalogue:
    """Metrics, entities and sources of a data folder (any may be missing)."""

    def __init__(self, data_dir: Path | None):
        self.data_dir = data_dir
        d = data_dir or Path("/nonexistent")
        self.metrics: list[MetricInfo] = []
        self.metric_rows: dict[str, dict[str, str]] = {}
        for r in _read_csv(d / "metrics.csv"):
            self.metric_rows[r["metric_id"]] = r
            name_zh = _PAREN.sub("", r.get("name_zh", ""))
            self.metrics.append(MetricInfo(
                r["metric_id"], name_zh, r.get("name_en", ""),
                [u.strip() for u in r.get("units", "").split("|") if u.strip()],
                r.get("base_unit", ""), r.get("period_type", ""),
                _bigrams(name_zh), _words(_PAREN.sub("", r.get("name_en", "")))))
        self.entities = _read_csv(d / "entities.csv")
        self.sources = _read_csv(d / "sources.csv")

    def metric(self, metric_id: str) -> MetricInfo | None:
        """The metric with this id, if the catalogue has it."""
        return next((m for m in self.metrics if m.metric_id == metric_id), None)

    def rank_metrics(self, unit: str, context: str, lang: str, clause: str = ""
                     ) -> list[tuple[float, str]]:
        """Every metric whose unit fits, scored by how much of its name the words hold.

        Words of the figure's own clause count twice as much as the rest of the
        sentence; a unit of the right kind but another scale counts 0.85.

        Returns:
            (score 0..1, metric id), best first.
        """
        return [(sc, m.metric_id) for sc, m in self._scored(unit, context, lang, clause)]

    def _scored(self, unit: str, context: str, lang: str, clause: str
                ) -> list[tuple[float, MetricInfo]]:
        u = UNITS.get(unit)
        scored: list[tuple[float, MetricInfo]] = []
        ctx_grams = _bigrams(context) if lang == "zh" else set()
        ctx_words = _words(context) if lang == "en" else set()
        near_grams = _bigrams(clause) if lang == "zh" else set()
        near_words = _words(clause) if lang == "en" else set()
        for m in self.metrics:
            if unit in m.units:
                fit = 1.0
            elif u is not None and u.base == m.base_unit and any(
                    UNITS.get(x) is not None and UNITS[x].lang == u.lang for x in m.units):
                fit = 0.85
            else:
                continue
            if lang == "zh":
                if not m.zh_grams:
                    continue
                overlap = (len(m.zh_grams & ctx_grams) + len(m.zh_grams & near_grams)) \
                    / (2 * len(m.zh_grams))
            else:
                if not m.en_words:
                    continue
                overlap = (len(m.en_words & ctx_words) + len(m.en_words & near_words)) \
                    / (2 * len(m.en_words))
            scored.append((round(overlap * fit, 4), m))
        scored.sort(key=lambda t: -t[0])
        return scored

    def guess_metric(self, unit: str, context: str, lang: str, clause: str = "") -> Guess:
        """Best metric for a figure with this unit, from the words around it.

        A metric is only named when its name overlaps the context well and
        clearly better than the runner-up; otherwise the guess is ``unknown``.
        """
        scored = self._scored(unit, context, lang, clause)
        if not scored or scored[0][0] < 0.6:
            return Guess("unknown", 0.0, "no metric name matches the words before the figure")
        best, runner = scored[0], (scored[1][0] if len(scored) > 1 else 0.0)
        if best[0] - runner < 0.1:
            close = ", ".join(m.metric_id for s, m in scored[:3] if best[0] - s < 0.1)
            return Guess("unknown", 0.0, f"several metrics fit equally: {close}")
        return Guess(best[1].metric_id, best[0])

    def guess_entity(self, clause: str, lang: str) -> Guess:
        """The entity a clause opens with (问界品牌…, 赛力斯在…), else the municipality.

        An entity named later in the clause is usually an object (投资赛力斯等企业), so
        only the opening words count.
        """
        head = re.sub(r"^[\s“\"]*(?:其中|同时|另外|此外|据|该|在|由|the\s+|The\s+)?", "", clause)
        best, length = None, 0
        for e in self.entities:
            if e.get("entity_type") in (*PLACE_TYPES, "route"):
                # places are read by core.places; a route is the way goods went
                # (西部陆海新通道3种方式共运输…), named as often as the medium as the subject
                continue
            name = _PAREN.sub("", e.get("name_zh" if lang == "zh" else "name_en", "")).strip()
            if len(name) >= 2 and head.startswith(name) and len(name) > length:
                best, length = e["entity_id"], len(name)
        if best:
            return Guess(best, 0.6, "entity named at the start of the clause")
        return Guess("chongqing", 0.8)

    def source_for(self, path: Path | None, source_id: str | None = None) -> dict[str, str] | None:
        """The registry row of a release: by id if given, else by file name or sha256."""
        if source_id:
            return next((s for s in self.sources if s.get("source_id") == source_id), None)
        if path is None:
            return None
        by_name = next((s for s in self.sources if s.get("file") == path.name), None)
        if by_name:
            return by_name
        try:
            digest = sha256_file(path)
        except OSError:
            return None
        return next((s for s in self.sources if s.get("sha256") == digest), None)


def parse_date(text: str) -> date | None:
    """An ISO date, or None.

    >>> parse_date("2026-05-09"), parse_date("soon")
    (datetime.date(2026, 5, 9), None)
    """
    m = re.fullmatch(r"\s*(\d{4})-(\d{2})-(\d{2})\s*", text or "")
    if not m:
        return None
    try:
        return date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None
