"""Score the extractor against a hand-made gold set (see tests/gold/README.md)."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from ..core import paths
from ..errors import ExtractError
from .catalogue import Catalogue, parse_date
from .reading import read_release, read_text_file
from .rows import build_candidates

GOLD_COLUMNS = ["file", "lang", "split", "release_date", "value", "unit", "qualifier", "yoy_pct",
                "yoy_diff", "period_start", "period_end", "quote"]


@dataclass
class Item:
    """One figure, gold or predicted, reduced to what is scored."""

    file: str
    value: float
    unit: str
    qualifier: str
    yoy: tuple[str, str]
    period: tuple[str, str]
    pos: int
    quote: str = ""
    metric: str = ""
    entity: str = ""
    confidence: float = 0.0
    status: str = ""


@dataclass
class GroupScore:
    """Scores of one (split, language) group."""

    split: str
    lang: str
    gold: int = 0
    predicted: int = 0
    matched: int = 0
    qualifier_ok: int = 0
    yoy_ok: int = 0
    period_ok: int = 0
    labelled: int = 0
    named: int = 0
    named_ok: int = 0
    sure: int = 0
    sure_ok: int = 0
    region_errors: int = 0
    unknown: int = 0
    rejected: int = 0
    entity_errors: int = 0
    entity_unknown: int = 0

    @staticmethod
    def _ratio(a: int, b: int) -> float | None:
        return a / b if b else None

    @property
    def recall(self) -> float | None:
        return self._ratio(self.matched, self.gold)

    @property
    def precision(self) -> float | None:
        return self._ratio(self.matched, self.predicted)

    @property
    def qualifier_acc(self) -> float | None:
        return self._ratio(self.qualifier_ok, self.matched)

    @property
    def yoy_acc(self) -> float | None:
        return self._ratio(self.yoy_ok, self.matched)

    @property
    def period_acc(self) -> float | None:
        return self._ratio(self.period_ok, self.matched)

    @property
    def metric_acc(self) -> float | None:
        """Among matched proposals naming a catalogue metric, the share that is right."""
        return self._ratio(self.named_ok, self.named)

    @property
    def unknown_share(self) -> float | None:
        """Among matched figures, the share whose proposal names no metric at all (neither a
        catalogue metric nor a proposed new one) and is not proposed for rejection (a
        conversion in brackets): the ones the analyst labels by hand."""
        return self._ratio(self.unknown, self.matched)

    @property
    def sure_acc(self) -> float | None:
        """Among those proposals at confidence >= 0.9, the share that is right."""
        return self._ratio(self.sure_ok, self.sure)


@dataclass
class ScoreReport:
    """All groups, plus what went wrong, for reading."""

    groups: list[GroupScore]
    missed: list[Item] = field(default_factory=list)
    spurious: list[Item] = field(default_factory=list)
    mismatched: list[tuple[str, Item, Item]] = field(default_factory=list)

    def table(self) -> str:
        """The scores as a plain-text table."""
        def f(v: float | None) -> str:
            return "   -" if v is None else f"{v:.2f}"
        def n(a: int, b: int) -> str:
            return f"{a}/{b}"
        width = max([8, *(len(g.split) for g in self.groups)])
        lines = [f"{'split':<{width}}  lang  gold  pred  match  recall  precision  qualifier  yoy   "
                 "period  metric  (right/named)  metric@0.9  (right/sure)  unknown  entity  "
                 "(wrong/unknown)  region",
                 f"{'-' * width}  ----  ----  ----  -----  ------  ---------  ---------  ----  ------"
                 "  ------  -------------  ----------  ------------  -------  ------  "
                 "---------------  ------"]
        for g in self.groups:
            lab = (f"  {f(g.metric_acc):>6}  {n(g.named_ok, g.named):>13}  {f(g.sure_acc):>10}"
                   f"  {n(g.sure_ok, g.sure):>12}  {f(g.unknown_share):>7}  {g.entity_errors:>6}"
                   f"  {n(g.entity_errors, g.entity_unknown):>15}  {g.region_errors:>6}") \
                if g.labelled else "       -  (gold has no metric_id)"
            lines.append(f"{g.split:<{width}}  {g.lang:<4}  {g.gold:>4}  {g.predicted:>4}  {g.matched:>5}"
                         f"  {f(g.recall):>6}  {f(g.precision):>9}  {f(g.qualifier_acc):>9}"
                         f"  {f(g.yoy_acc):>4}  {f(g.period_acc):>6}" + lab)
        lines += ["", "metric: among matched figures whose proposal names a catalogue metric, the "
                  "share right; metric@0.9: the same at confidence >= 0.9; unknown: the share of "
                  "matched figures proposed with no metric at all (neither a catalogue metric nor "
                  "a proposed new one), conversions proposed for rejection left out; "
                  "entity: matched figures given a wrong entity (unknown is "
                  "not wrong: it is counted apart); region: figures of another region, the country "
                  "or the corridor as a whole labelled chongqing (targets on held-out texts: metric "
                  ">= 0.90, metric@0.9 >= 0.95, unknown <= 0.30, period >= 0.90, entity 0)."]
        return "\n".join(lines)

    def details(self) -> str:
        """Every miss, spurious figure and attribute mismatch, one per line."""
        out = []
        for it in self.missed:
            out.append(f"missed    {it.file}: {it.value:g} {it.unit}  «{it.quote}»")
        for it in self.spurious:
            out.append(f"spurious  {it.file}: {it.value:g} {it.unit}  «{it.quote}»")
        for what, g, p in self.mismatched:
            gv = {"qualifier": g.qualifier, "yoy": g.yoy, "period": g.period, "metric": g.metric,
                  "entity": g.entity}[what]
            pv = {"qualifier": p.qualifier, "yoy": p.yoy, "period": p.period,
                  "metric": f"{p.metric} @{p.confidence:.2f}", "entity": p.entity}[what]
            out.append(f"{what:<9} {g.file}: {g.value:g} {g.unit}: gold {gv} found {pv}")
        return "\n".join(out)


def _num_key(text: str) -> str:
    if not text.strip():
        return ""
    return f"{float(text):.6g}"


def read_gold(path: Path) -> list[dict[str, str]]:
    """Read a gold CSV, refusing one without the scored columns."""
    raw = read_text_file(Path(path), "the gold set")   # never blocks on a FIFO or drains a device
    try:
        reader = csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline=""))
        rows = list(reader)
        header = reader.fieldnames or []
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ExtractError(f"{path}: cannot read the gold set ({exc}); expected a UTF-8 CSV") from exc
    missing = [c for c in GOLD_COLUMNS if c not in header]
    if missing:
        raise ExtractError(f"{path}, row 1: found columns {header}; expected also "
                           f"{', '.join(missing)} (see tests/gold/README.md)")
    for i, r in enumerate(rows, start=2):
        for col in ("value", "yoy_pct", "yoy_diff"):
            try:
                _num_key(r[col])
            except ValueError as exc:
                raise ExtractError(f"{path}, row {i}, column '{col}': found {r[col]!r}; "
                                   "expected a number") from exc
        if parse_date(r["release_date"]) is None:
            raise ExtractError(f"{path}, row {i}, column 'release_date': found "
                               f"{r['release_date']!r}; expected an ISO date")
    return rows


def gold_text(text_dir: Path, file: str) -> Path | None:
    """Where a gold row's text is: as listed, relative to the sources folder (a peer text is
    ``peers/<name>``: the shared folder is read-only, so nothing moves when it is registered)."""
    p = Path(text_dir) / file
    return p if p.is_file() else None


def score_gold(gold_path: str | Path, text_dir: str | Path, data_dir: Path | None = None
               ) -> ScoreReport:
    """Run the extractor on every file of a gold set and compare.

    Figures are paired on (value, unit), nearest in the text first; qualifier,
    YoY (yoy_pct and yoy_diff) and period (start and end) are then compared on
    the pairs.
    """
    gold_path, text_dir = Path(gold_path), Path(text_dir)
    rows = read_gold(gold_path)
    catalogue = Catalogue(paths.data_dir(data_dir))
    by_file: dict[str, list[dict[str, str]]] = defaultdict(list)
    for r in rows:
        by_file[r["file"]].append(r)
    groups: dict[tuple[str, str], GroupScore] = {}
    report = ScoreReport([])
    for file, grows in by_file.items():
        path = gold_text(text_dir, file)
        if path is None:
            raise ExtractError(f"{gold_path}: file {file!r} not found in {text_dir}")
        release = read_release(path, lang=grows[0]["lang"])
        rdate = parse_date(grows[0]["release_date"])
        key = (grows[0]["split"], grows[0]["lang"])
        g = groups.setdefault(key, GroupScore(*key))
        gold = []
        for r in grows:
            pos = release.original.find(r["quote"])
            gold.append(Item(file, float(r["value"]), r["unit"], r["qualifier"],
                             (_num_key(r["yoy_pct"]), _num_key(r["yoy_diff"])),
                             (r["period_start"], r["period_end"]), max(pos, 0), r["quote"],
                             r.get("metric_id") or "", r.get("entity_id") or ""))
        pred = []
        for c in build_candidates(release, rdate, catalogue):
            w = c.row
            pred.append(Item(file, float(w["value"]), w["unit"], w["qualifier"],
                             (_num_key(w["yoy_pct"]), _num_key(w["yoy_diff"])),
                             (w["period_start"], w["period_end"]), c.quote_start, w["quote"],
                             w["metric_id"], w["entity_id"], c.confidence, c.status))
        g.gold += len(gold)
        g.predicted += len(pred)
        for gi, pi in _pair(gold, pred):
            gd, pr = gold[gi], pred[pi]
            g.matched += 1
            for what, ok in (("qualifier", gd.qualifier == pr.qualifier),
                             ("yoy", gd.yoy == pr.yoy), ("period", gd.period == pr.period)):
                if ok:
                    setattr(g, f"{what}_ok", getattr(g, f"{what}_ok") + 1)
                else:
                    report.mismatched.append((what, gd, pr))
            if gd.metric:
                g.labelled += 1
                _score_labels(g, gd, pr, catalogue, report)
        paired = _pair(gold, pred)
        report.missed += [gold[i] for i in range(len(gold)) if i not in {a for a, _ in paired}]
        report.spurious += [pred[i] for i in range(len(pred)) if i not in {b for _, b in paired}]
    order = {"tuned": 0, "heldout": 1}  # then heldout2, heldout3… and heldout_peers by name
    report.groups = sorted(groups.values(), key=lambda x: (order.get(x.split, 2), x.split, x.lang))
    return report


# Entities that are not Chongqing's own figures: the country, the corridor as a whole, and any
# region the gold set names with other_region.
NOT_CHONGQING = {"china", "land_sea_corridor", "other_region"}


def _score_labels(g: GroupScore, gd: Item, pr: Item, catalogue: Catalogue,
                  report: ScoreReport) -> None:
    """Metric and entity of one matched pair; a proposed new metric is not a catalogue name."""
    if catalogue.metric(pr.metric) is not None:
        g.named += 1
        ok = pr.metric == gd.metric
        g.named_ok += ok
        if pr.confidence >= 0.9:
            g.sure += 1
            g.sure_ok += ok
        if not ok:
            report.mismatched.append(("metric", gd, pr))
    elif gd.metric != "unknown" and catalogue.metric(gd.metric) is not None:
        report.mismatched.append(("metric", gd, pr))
    g.rejected += pr.status == "rejected"
    g.unknown += pr.metric == "unknown" and pr.status != "rejected"
    if pr.entity == "unknown":
        g.entity_unknown += 1
    elif not (pr.entity == gd.entity or (gd.entity == "other_region" and pr.entity not in
                                         ("chongqing", "china", "land_sea_corridor"))):
        g.entity_errors += 1
        report.mismatched.append(("entity", gd, pr))
    if gd.entity in NOT_CHONGQING and pr.entity == "chongqing":
        g.region_errors += 1


def _pair(gold: list[Item], pred: list[Item]) -> list[tuple[int, int]]:
    """Pair gold and predicted items with equal (value, unit), closest positions first."""
    cands = []
    for i, gd in enumerate(gold):
        for j, pr in enumerate(pred):
            if gd.unit == pr.unit and abs(gd.value - pr.value) <= 1e-9 * max(1.0, abs(gd.value)):
                cands.append((abs(gd.pos - pr.pos), i, j))
    cands.sort()
    used_g, used_p, pairs = set(), set(), []
    for _, i, j in cands:
        if i not in used_g and j not in used_p:
            used_g.add(i)
            used_p.add(j)
            pairs.append((i, j))
    return pairs
