"""Checks of what each figure measures: its definition fields, stated or inferred with evidence.

A series' definition (口径) is carried by structured fields of ``metrics.csv``:
``currency`` (人民币 / 本外币…), ``compiler`` (central bank, banking regulator…),
``scope`` (the entity as a whole, a pilot, the banking sector, 不含深圳…) and, for the
measure, ``kind`` and ``period_type``. An observation may narrow a field its metric
leaves ``unstated`` (its own ``currency``, ``compiler``, ``scope`` cells). The value a
row stands for is its *effective* definition (:func:`effective`).

A definition is either stated or inferred:

* **stated**: for a series of RMB or of all-currency loans, deposits or settlement, the
  quote says so (人民币 / 本外币, 'yuan loans' / 'local and foreign currencies', the
  words of :data:`cqreport.core.vocab.DEFINITION_WORDS`);
* **inferred**: the row names the field in ``inferred`` and records the evidence:
  ``evidence_kind``, ``evidence_rows`` (obs_ids) and ``evidence`` (words). Each kind is
  checked by arithmetic on the rows it cites (:data:`EVIDENCE_CHECKS`), and each cited
  row must exist and carry the inferred value.

A stated gap to the nation (高于全国X个百分点, ``vs_national_pp``) is measured against a
national rate the release does not name. Its basis, ``gap_basis`` (the currency of that
national rate: ``rmb`` or ``all``), is recorded only as an inference of kind
``national_gap`` (growth minus the gap equals the cited national rate of that currency at
the same date, and no national rate of another currency there fits); otherwise it stays
``unstated`` (:func:`check_gap_basis`).

Each check takes the tables and returns a list of :class:`~cqreport.errors.Problem`,
like the other relation checks of :mod:`cqreport.dataset.validate`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

import pandas as pd

from ..core.numbers import decimals_of, difference_interval, interval, overlaps
from ..core.periods import shift_years
from ..core.vocab import DEFINITION_FIELDS, DEFINITION_WORDS, NATIONAL_ENTITY_TYPES, QUALIFIERS, UNITS, UNSTATED
from ..errors import Problem
from .load import Table, display_path

_WORDS = {f: {v: re.compile(p, re.I) for v, p in vals.items()} for f, vals in DEFINITION_WORDS.items()}
#: The column holding the basis of a stated gap to the nation, inferable like a definition field.
GAP_BASIS = "gap_basis"


def obs_key(o: dict | pd.Series) -> str:
    """The obs_id of a raw observation row (``metric_id@entity_id/period_end/source_id``)."""
    return f"{o['metric_id']}@{o['entity_id']}/{o['period_end']}/{o['source_id']}"


def effective(o: dict | pd.Series, metric: dict | pd.Series | None) -> dict[str, str]:
    """The definition fields a row stands for: its own cell where set, else its metric's.

    >>> effective({"currency": "", "compiler": "banking_regulator", "scope": ""},
    ...           {"currency": "unstated", "compiler": "unstated", "scope": "banking_sector"})
    {'currency': 'unstated', 'compiler': 'banking_regulator', 'scope': 'banking_sector'}
    """
    out = {}
    for f in DEFINITION_FIELDS:
        own = str(o.get(f, "") or "")
        out[f] = own or (str(metric.get(f, "") or UNSTATED) if metric is not None else UNSTATED)
    return out


def stated_values(field: str, text: str) -> set[str]:
    """The values of a definition field that a text states in words.

    >>> sorted(stated_values("currency", "全市人民币贷款余额达6.54万亿元"))
    ['rmb']
    >>> sorted(stated_values("currency", "the balance of local and foreign currency loans"))
    ['all']
    >>> stated_values("currency", "全市各项贷款余额6.25万亿元")
    set()
    """
    return {v for v, rx in _WORDS.get(field, {}).items() if rx.search(text)}


def _split(cell: str) -> list[str]:
    return [p.strip() for p in str(cell or "").split("|") if p.strip()]


class _Rows:
    """The observations and metrics as plain dicts, indexed for the checks."""

    def __init__(self, tables: dict[str, Table]):
        self.where = display_path(tables["observations"].path)
        obs = tables["observations"].frame
        self.obs = {row: o.to_dict() for row, o in obs.iterrows()}
        self.by_id = {obs_key(o): row for row, o in self.obs.items()}
        self.metrics = {m["metric_id"]: m.to_dict() for _, m in tables["metrics"].frame.iterrows()}
        ents = tables["entities"].frame if "entities" in tables and tables["entities"].ok else None
        self.entity_type = {} if ents is None else dict(zip(ents["entity_id"], ents["entity_type"],
                                                              strict=True))
        srcs = tables["sources"].frame if "sources" in tables and tables["sources"].ok else None
        self.source_date = {} if srcs is None else dict(zip(srcs["source_id"], srcs["date"], strict=True))

    def definition(self, row: int) -> dict[str, str]:
        o = self.obs[row]
        return effective(o, self.metrics.get(o["metric_id"]))

    def problem(self, row: int, column: str, found: str, expected: str, check: str) -> Problem:
        return Problem(self.where, row, column, found, expected, check)


def check_definitions(tables: dict[str, Table]) -> list[Problem]:
    """Every check of this module, on tables that passed the schema."""
    if not all(n in tables and tables[n].ok for n in ("observations", "metrics")):
        return []
    needed = {"inferred", "evidence_kind", "evidence_rows", "evidence", *DEFINITION_FIELDS}
    if not needed <= set(tables["observations"].frame.columns):
        return []
    rows = _Rows(tables)
    problems = check_metric_links(tables)
    for fn in (check_narrowing, check_stated, check_gap_basis, check_evidence):
        problems += fn(rows)
    return problems


def check_metric_links(tables: dict[str, Table]) -> list[Problem]:
    """``growth_of`` names an existing level metric, from a rate metric in percent of the same currency."""
    mf = tables["metrics"].frame
    if "growth_of" not in mf.columns:
        return []
    where = display_path(tables["metrics"].path)
    by = {m["metric_id"]: m for _, m in mf.iterrows()}
    problems = []
    for row, m in mf.iterrows():
        target = m["growth_of"]
        if not target:
            continue
        other = by.get(target)
        if other is None or other["kind"] == "rate":
            problems.append(Problem(where, row, "growth_of", f"'{target}'",
                                    "the metric_id of a level metric (not a rate) in metrics.csv",
                                    "growth-of"))
        elif m["kind"] != "rate" or m["base_unit"] != "percent":
            problems.append(Problem(where, row, "kind", f"'{m['kind']}' in {m['base_unit']}",
                                    "a rate in percent (a metric with growth_of reports growth rates)",
                                    "growth-of"))
        elif any(m[f] != other[f] for f in DEFINITION_FIELDS):
            problems.append(Problem(where, row, "growth_of", f"'{target}' with another definition",
                                    f"a level metric with the same {', '.join(DEFINITION_FIELDS)}",
                                    "growth-of"))
    return problems


def check_narrowing(rows: _Rows) -> list[Problem]:
    """A row's own definition cell may only narrow a field its metric leaves unstated."""
    problems = []
    for row, o in rows.obs.items():
        metric = rows.metrics.get(o["metric_id"])
        if metric is None:
            continue
        for f in DEFINITION_FIELDS:
            own, of_metric = o.get(f, ""), metric.get(f, UNSTATED)
            if own and of_metric not in (UNSTATED, own):
                problems.append(rows.problem(
                    row, f, f"'{own}' under {o['metric_id']} ({f} '{of_metric}')",
                    f"empty, or a metric whose {f} is '{UNSTATED}': a row narrows its metric's "
                    f"definition, it never changes it (file the row under the right metric)",
                    "definition-narrowing"))
    return problems


def check_stated(rows: _Rows) -> list[Problem]:
    """A quote never contradicts its row's definition, and states an RMB or all-currency scope
    unless the row records the inference."""
    problems = []
    for row, o in rows.obs.items():
        d = rows.definition(row)
        quote = str(o.get("quote", ""))
        inferred = set(_split(o.get("inferred", "")))
        for f, words in _WORDS.items():
            said = stated_values(f, quote)
            value = d[f]
            others = said - {value}
            if value == "na":
                continue
            if value == UNSTATED and len(said) == 1 and f not in inferred:
                problems.append(rows.problem(
                    row, f, f"'' under {o['metric_id']} ({f} '{UNSTATED}') with a quote that says "
                    f"{next(iter(said))}", f"'{next(iter(said))}' in the row's {f} cell (the row narrows "
                    "its metric's definition), or a metric of that definition", "definition-narrowable"))
            elif others and value not in said:
                problems.append(rows.problem(
                    row, "quote", f"{' / '.join(sorted(others))} words for {f} (the row's {f} is '{value}')",
                    f"a quote that does not contradict the row's {f}: file it under a metric whose {f} "
                    f"is {' or '.join(sorted(others))}", "definition-contradicted"))
            elif f == "currency" and value in words and value not in said and f not in inferred:
                problems.append(rows.problem(
                    row, "inferred", f"a quote that does not state the currency ({value}) of "
                    f"{o['metric_id']}", "the quote's words for it (人民币 / 本外币, 'yuan loans' / 'local and "
                    "foreign currencies'), or 'currency' in inferred with the evidence", "definition-unstated"))
    return problems


def check_gap_basis(rows: _Rows) -> list[Problem]:
    """The basis of a stated gap is recorded only with the gap, and ``rmb`` or ``all`` only as an
    inference of kind national_gap: no release names the national rate it compares with."""
    problems = []
    for row, o in rows.obs.items():
        basis = str(o.get(GAP_BASIS, "") or "")
        if not basis:
            continue
        inferred = GAP_BASIS in _split(o.get("inferred", ""))
        if not str(o.get("vs_national_pp", "") or ""):
            problems.append(rows.problem(
                row, GAP_BASIS, f"'{basis}' on a row without a stated gap to the nation",
                "empty, or a row whose vs_national_pp holds the gap this basis belongs to",
                "gap-basis-without-gap"))
        elif basis != UNSTATED and not inferred:
            problems.append(rows.problem(
                row, "inferred", f"gap_basis '{basis}' not recorded as an inference",
                f"'{GAP_BASIS}' in inferred, evidence_kind national_gap and the national row in "
                "evidence_rows (a release never names the national rate it compares with), or "
                f"gap_basis '{UNSTATED}'", "gap-basis-unsupported"))
        elif inferred and o.get("evidence_kind") != "national_gap":
            problems.append(rows.problem(
                row, "evidence_kind", f"'{o.get('evidence_kind', '')}' for an inferred gap_basis",
                "national_gap: the gap's basis is the national rate that growth minus the gap equals",
                "gap-basis-evidence"))
    return problems


def check_evidence(rows: _Rows) -> list[Problem]:
    """An inference names its fields, its kind, its rows and its words; the rows exist and
    carry the inferred value; the kind's arithmetic holds; no inference rests on itself."""
    problems = []
    for row, o in rows.obs.items():
        inferred = _split(o.get("inferred", ""))
        cells = {c: str(o.get(c, "") or "") for c in ("evidence_kind", "evidence_rows", "evidence")}
        if not inferred:
            for c, v in cells.items():
                if v:
                    problems.append(rows.problem(row, c, f"'{v[:40]}' with nothing inferred",
                                                 "empty, or the inferred field(s) in 'inferred'",
                                                 "evidence-without-inference"))
            continue
        missing = [c for c, v in cells.items() if not v]
        for c in missing:
            problems.append(rows.problem(row, c, "an empty cell for an inferred definition",
                                         _EXPECTED[c], "evidence-missing"))
        if missing:
            continue
        problems += _check_rows(rows, row, inferred)
    problems += _check_cycles(rows)
    return problems


_EXPECTED = {
    "evidence_kind": "how the evidence supports it (national_gap, streak, implied_base, implied_increase "
                     "or same_release)",
    "evidence_rows": "the obs_ids of the rows it rests on, | between them",
    "evidence": "the inference in words a reader can check",
}


def _inferred_value(o: dict, d: dict[str, str], field: str) -> str:
    """The value a row infers for a field: its definition's, or for gap_basis its own cell."""
    if field == GAP_BASIS:
        return str(o.get(GAP_BASIS, "") or "") or UNSTATED
    return d[field]


def _carried(d: dict[str, str], field: str) -> str:
    """What a cited row carries of an inferred field (a national row's currency, for a gap's basis)."""
    return d["currency" if field == GAP_BASIS else field]


def _check_rows(rows: _Rows, row: int, inferred: list[str]) -> list[Problem]:
    o = rows.obs[row]
    d = rows.definition(row)
    problems = []
    for f in inferred:
        value = _inferred_value(o, d, f)
        if value in (UNSTATED, "na"):
            problems.append(rows.problem(row, "inferred", f"'{f}' inferred as '{value}'",
                                         f"a {f} value the evidence establishes (the metric's or the row's)",
                                         "evidence-empty-inference"))
    cited = []
    for ref in _split(o["evidence_rows"]):
        other = rows.by_id.get(ref)
        if other is None:
            problems.append(rows.problem(row, "evidence_rows", f"'{ref}', which is no row of the data",
                                         "obs_ids of existing rows (metric_id@entity_id/period_end/source_id)",
                                         "evidence-row-missing"))
        elif other == row:
            problems.append(rows.problem(row, "evidence_rows", f"'{ref}': the row itself",
                                         "other rows", "evidence-circular"))
        else:
            cited.append(other)
            od = rows.definition(other)
            for f in inferred:
                theirs, mine = _carried(od, f), _inferred_value(o, d, f)
                if theirs != mine:
                    what = "currency" if f == GAP_BASIS else f
                    problems.append(rows.problem(
                        row, "evidence_rows", f"'{ref}' with {what} '{theirs}'",
                        f"rows whose {what} is '{mine}', the value inferred for {f}",
                        "evidence-row-definition"))
    if cited and not problems:
        check = EVIDENCE_CHECKS.get(o["evidence_kind"])
        try:
            failure = check(rows, row, cited) if check else None
        except (ValueError, KeyError):   # a malformed cell: the schema check reports it
            failure = None
        if failure:
            problems.append(rows.problem(row, "evidence_kind", failure[0], failure[1], "evidence-arithmetic"))
    return problems


def _check_cycles(rows: _Rows) -> list[Problem]:
    graph = {row: [rows.by_id[r] for r in _split(o.get("evidence_rows", "")) if r in rows.by_id]
             for row, o in rows.obs.items() if _split(o.get("inferred", ""))}
    problems, done = [], set()
    for start in graph:
        path, node, seen = [], start, set()
        while node in graph and node not in done:
            if node in seen:
                problems.append(rows.problem(start, "evidence_rows", "a chain of inferences that comes "
                                             "back to this row", "evidence that ends in stated rows",
                                             "evidence-circular"))
                break
            seen.add(node)
            path.append(node)
            nxt = [n for n in graph[node] if n in graph]
            node = nxt[0] if nxt else None
        done |= set(path)
    return problems


# ------------------------------------------------------------------- the kinds of evidence
def _num(o: dict, col: str) -> tuple[float, float, float] | None:
    """A numeric cell as (value, low, high), from how it was written and qualified."""
    text = str(o.get(col, "") or "")
    try:
        value = float(text)
    except ValueError:   # empty, or malformed (the schema check reports that)
        return None
    q = QUALIFIERS.get(str(o.get("qualifier", "") or ""))
    bound = q.bound if col == "value" and q is not None else "exact"
    lo, hi = interval(value, decimals_of(text), bound)
    return value, lo, hi


def _base(o: dict, triple: tuple[float, float, float]) -> tuple[float, float, float]:
    f = UNITS[o["unit"]].factor if o["unit"] in UNITS else 1.0
    return tuple(x * f for x in triple)  # type: ignore[return-value]


def _day(text: str) -> date:
    return date.fromisoformat(text)


def _month(text: str) -> int:
    d = _day(text)
    return d.year * 12 + d.month


Failure = tuple[str, str] | None


def _national_gap(rows: _Rows, row: int, cited: list[int]) -> Failure:
    o = rows.obs[row]
    y, pp = _num(o, "yoy_pct"), _num(o, "vs_national_pp")
    if y is None or pp is None:
        return ("a row without yoy_pct and vs_national_pp", "a row stating its growth and its gap to the nation")
    nat = [c for c in cited if rows.entity_type.get(rows.obs[c]["entity_id"]) in NATIONAL_ENTITY_TYPES
           and rows.obs[c]["period_end"] == o["period_end"] and _num(rows.obs[c], "yoy_pct")]
    if not nat:
        return ("no national row with a growth rate at the same date among evidence_rows",
                "the national row (entity of type country, same period_end) whose growth the gap implies")
    implied = difference_interval(y[1:], pp[1:])
    for c in nat:
        n = _num(rows.obs[c], "yoy_pct")
        if n and overlaps(n[1:], implied):
            return _discriminates(rows, row, c, implied)
    return (f"{y[0]:g}% − {pp[0]:g} points, which no cited national rate matches",
            "a national growth rate equal, within rounding, to growth minus the stated gap")


def _discriminates(rows: _Rows, row: int, nat_row: int, implied: tuple[float, float]) -> Failure:
    """The same gap must not also fit the nation's rate in another definition at that date."""
    o, n = rows.obs[row], rows.obs[nat_row]
    concept = rows.metrics[n["metric_id"]].get("concept") or n["metric_id"]
    mine = rows.definition(nat_row)
    for other, x in rows.obs.items():
        if other == nat_row or x["entity_id"] != n["entity_id"] or x["period_end"] != o["period_end"]:
            continue
        m = rows.metrics.get(x["metric_id"], {})
        y = _num(x, "yoy_pct")
        if (m.get("concept") or x["metric_id"]) == concept and rows.definition(other) != mine and y \
                and overlaps(y[1:], implied):
            return (f"a gap that fits {x['metric_id']} as well", "a national rate only one definition matches")
    return None


def _streak(rows: _Rows, row: int, cited: list[int]) -> Failure:
    o = rows.obs[row]
    if not o.get("streak_months"):
        return ("a row without streak_months", "a row stating a streak above the national rate")
    start = _month(o["period_end"]) - int(o["streak_months"])
    for c in cited:
        x = rows.obs[c]
        if x.get("streak_months") and _month(x["period_end"]) - int(x["streak_months"]) == start:
            return None
    return ("a streak that starts in another month than every cited row's",
            "a cited row whose streak above the national rate starts in the same month")


def _implied_base(rows: _Rows, row: int, cited: list[int]) -> Failure:
    o = rows.obs[row]
    if _num(o, "value") is None:
        return None
    mine = _base(o, _num(o, "value"))  # type: ignore[arg-type]
    for c in cited:
        x = rows.obs[c]
        g = _num(x, "yoy_pct")
        if g is None or _num(x, "value") is None or shift_years(_day(x["period_end"]), -1) != _day(o["period_end"]):
            continue
        v = _base(x, _num(x, "value"))  # type: ignore[arg-type]
        lo, hi = v[1] / (1 + g[2] / 100), v[2] / (1 + g[1] / 100)
        if mine[1] <= hi and lo <= mine[2]:
            return None
    return ("a value outside the range every cited row's growth implies a year earlier",
            "a cited row one year later whose value and growth imply this value within rounding")


def _implied_increase(rows: _Rows, row: int, cited: list[int]) -> Failure:
    o = rows.obs[row]
    if _num(o, "value") is None:
        return None
    mine = _base(o, _num(o, "value"))  # type: ignore[arg-type]
    levels = [c for c in cited if rows.obs[c]["period_end"] == o["period_end"] and not rows.obs[c]["period_start"]
              and rows.obs[c]["unit"] in UNITS and UNITS[rows.obs[c]["unit"]].base != "percent"]
    growths = [_num(rows.obs[c], "value") for c in cited if rows.obs[c]["period_end"] == o["period_end"]
               and rows.obs[c]["unit"] in ("%", "percent")]
    for c in levels:
        if _num(rows.obs[c], "value") is None:
            continue
        lv = _base(rows.obs[c], _num(rows.obs[c], "value"))  # type: ignore[arg-type]
        for g in [_num(rows.obs[c], "yoy_pct"), *growths]:
            if g is None:
                continue
            lo = lv[1] * (g[1] / 100) / (1 + g[1] / 100)
            hi = lv[2] * (g[2] / 100) / (1 + g[2] / 100)
            if mine[1] <= hi and lo <= mine[2]:
                return None
    return ("a flow outside the increase every cited level and growth imply",
            "a cited level at the flow's end and its growth that imply this increase within rounding")


def _same_release(rows: _Rows, row: int, cited: list[int]) -> Failure:
    o = rows.obs[row]
    day = rows.source_date.get(o["source_id"])
    for c in cited:
        x = rows.obs[c]
        other = rows.source_date.get(x["source_id"])
        if x["source_id"] == o["source_id"] or (day and other and abs((_day(day) - _day(other)).days) <= 1):
            return None
    return ("cited rows from other sources more than a day apart",
            "a row of the same source, or of a source dated the same day or the next (a press "
            "conference and the reports of it)")


EVIDENCE_CHECKS: dict[str, Callable[[_Rows, int, list[int]], Failure]] = {
    "national_gap": _national_gap,
    "streak": _streak,
    "implied_base": _implied_base,
    "implied_increase": _implied_increase,
    "same_release": _same_release,
}
