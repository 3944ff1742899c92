"""The report's prose, written from the curated data, with a ledger of every number in it.

:func:`write_narrative` turns a :class:`~cqreport.analysis.quarter.QuarterData` into a
:class:`Narrative`: HTML fragments (title, key points, headline table, one
section per theme, appendix) in Chinese or English. The wording lives in
``templates/narrative_<lang>.j2`` (Jinja2, one file per language, editable by a
non-programmer); the numbers come only from here and :mod:`cqreport.core.formatting`.

How the numbers get in, and why they can be trusted:

* A template never formats a number. It prints objects prepared here
  (``f.value``, ``f.yoy``, ``d.value``…); printing one writes the figure with
  :mod:`cqreport.core.formatting` and records it in the ledger: value, unit, qualifier, the
  text as written, and the ``obs_id`` or ``derived_id`` it came from.
* ``f.ref`` prints a footnote mark ``<sup class="cq-ref"><a href="#ref-3">[3]</a></sup>``
  that points to the appendix entry of the observation or derived figure.
* Text from the data (quotes, names, titles, notes, period labels) is escaped
  and listed in ``Narrative.verbatim``, so the audit can set it aside.

:mod:`cqreport.report.audit` then reads the rendered text back and checks every number
against the ledger, and every ledger entry against the data.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
import pandas as pd
from markupsafe import Markup

from ..core import paths
from ..core.formatting import is_missing
from ..core.phrases import date_text
from ..core.vocab import Lang, report_topics, unnamed_grades, words
from .facts import Fact, _Writer
from .ledger import Narrative
from .peers import peers_chart_data, peers_view

if TYPE_CHECKING:
    from ..analysis.quarter import QuarterData

MAX_KEY_POINTS = 5
MIN_KEY_POINTS = 3
MAX_CONTEXT_SENTENCES = 4


# ============================================================================ selection
def _metric_order(ds) -> dict[str, int]:
    return {m: i for i, m in enumerate(ds.metrics.index)}


def _sorted_facts(w: _Writer, frame: pd.DataFrame, *, recent_first: bool = False) -> list[Fact]:
    order = _metric_order(w.ds)
    rows = [r for _, r in frame.iterrows()]
    if recent_first:
        rows.sort(key=lambda r: (int(r["priority"]), -r["end"].toordinal(), order[r["metric_id"]]))
    else:
        rows.sort(key=lambda r: (int(r["priority"]), order[r["metric_id"]], r["entity_id"]))
    return [w.fact(r) for r in rows]  # type: ignore[misc]


def _topic_view(w: _Writer, topic: str) -> dict[str, Any]:
    qd = w.qd
    # priority-3 figures are mentioned only beside a main figure of the same release
    # a growth-only row is told with its level (its path, its pace), not as a figure of its own
    figures, context = (f[(f["topic"] == topic) & (f["growth_of"] == "")] for f in (qd.figures, qd.context))
    core_all = [f for f in _sorted_facts(w, figures) if f.priority <= 2]
    ctx_all = _sorted_facts(w, context, recent_first=True)
    main_ctx_all = [f for f in ctx_all if f.priority <= 2][:MAX_CONTEXT_SENTENCES]
    # minor counts (firms, members, events, products) go to the section's table, not its prose
    core_all = [f for f in core_all if not _superseded(f, core_all)]
    core = [f for f in core_all if not f.is_minor]
    main_ctx = [f for f in main_ctx_all if not f.is_minor]
    minor = [f for f in core_all + main_ctx_all if f.is_minor]
    listed = {f.obs_id for f in core_all + main_ctx_all}
    for f in core + main_ctx + minor:
        extra = [c for c in f.companions if c.obs_id not in listed and not c.row["growth_of"]]
        listed |= {c.obs_id for c in extra}
        minor += extra
    metrics = w.ds.metrics
    headline = [m for m in metrics.index[(metrics["topic"] == topic) & (metrics["priority"] == 1)]
                if _is_regular(w.ds, m)]
    have = {f.metric_id for f in core_all}
    missing = []
    for mid in headline:
        if mid in have:
            continue
        name = w.text(metrics.loc[mid, f"name_{w.lang}"], inline=True)
        latest = next((f for f in ctx_all if f.metric_id == mid), None)
        missing.append({"metric_id": mid, "name": name, "latest": latest})
    shown = {m["latest"].obs_id for m in missing if m["latest"] is not None}
    # the national comparison: credit growth rates of the quarter against the nation's
    growing = [f for f in core if topic == "credit" and not is_missing(f.row["yoy_pct"])]
    national = [(f, f.national) for f in growing]
    return {"topic": topic, "core": core,
            "national": [(f, n) for f, n in national if n is not None],
            "no_national": bool(growing) and all(n is None for _, n in national),
            "context": [f for f in main_ctx if f.obs_id not in shown],
            "minor": minor,
            "missing": [m for m in missing if m["latest"] is not None],
            "missing_no_data": [m["name"] for m in missing if m["latest"] is None]}


def _is_regular(ds, metric_id: str) -> bool:
    """True for a series released as quarterly figures (a core figure of some quarter)."""
    o = ds.observations
    rows = o[(o["metric_id"] == metric_id) & o["preferred"]]
    return any(ds.core_quarter(r) is not None for _, r in rows.iterrows())


def _key_points(w: _Writer) -> list[Fact]:
    """Three to five judgements about the quarter: its own figures only (an earlier figure
    appears in a key point only as the comparison of one of them), one topic after another."""
    qd = w.qd
    pools: dict[str, list[Fact]] = {}
    for topic in report_topics():
        core = _sorted_facts(w, qd.figures[(qd.figures["topic"] == topic) & (qd.figures["growth_of"] == "")])
        pools[topic] = [f for f in core if f.priority <= 2 and not f.is_minor]
    picked: list[Fact] = []
    while len(picked) < MAX_KEY_POINTS and any(pools.values()):
        for topic in pools:
            if pools[topic] and len(picked) < MAX_KEY_POINTS:
                picked.append(pools[topic].pop(0))
    if len(picked) < MIN_KEY_POINTS:
        rest = _sorted_facts(w, qd.figures[qd.figures["growth_of"] == ""])
        picked += [f for f in rest if f not in picked][:MIN_KEY_POINTS - len(picked)]
    topic_rank = {t: i for i, t in enumerate(report_topics())}
    return sorted(picked, key=lambda f: (topic_rank.get(f.topic, 9), picked.index(f)))


def _headline_rows(w: _Writer) -> list[Fact]:
    qd = w.qd
    # a growth-only row is its level's growth: it stands in the level's row, not in one of its own
    figures, context = (f[f["growth_of"] == ""] for f in (qd.figures, qd.context))
    core = [f for f in _sorted_facts(w, figures) if f.priority <= 2 and not f.is_minor]
    ctx = [f for f in _sorted_facts(w, context, recent_first=True) if f.priority == 1 and not f.is_minor]
    topic_rank = {t: i for i, t in enumerate(report_topics())}
    # a multi-year total (the 14th Five-Year Plan's) is no headline of a quarter
    rows = [f for f in _one_per_series(core + ctx) if _span(f) <= 366]
    return sorted(rows, key=lambda f: (topic_rank.get(f.topic, 9), not f.is_core))


def _span(f: Fact) -> int:
    return (f.end - f.start).days if f.start is not None else 0


def _one_per_series(facts: list[Fact]) -> list[Fact]:
    """One row per series: the latest period, and of periods ending together the shortest
    (2025 rather than January–November 2025, or 2021–2025)."""
    best: dict[tuple[str, str], Fact] = {}
    for f in facts:
        key = (f.metric_id, f.entity_id)
        b = best.get(key)
        if b is None or (f.end, -_span(f)) > (b.end, -_span(b)):
            best[key] = f
    keep = {id(f) for f in best.values()}
    return [f for f in facts if id(f) in keep]


def _superseded(f: Fact, facts: list[Fact]) -> bool:
    """True for a year-to-date flow a longer flow of the same series and start has replaced
    (January–November once the full year is out)."""
    return f.start is not None and any(
        g is not f and g.metric_id == f.metric_id and g.entity_id == f.entity_id
        and g.start == f.start and g.end > f.end for g in facts)


# ============================================================================ entry point
def _environment(templates_dir: str | Path | None) -> jinja2.Environment:
    folder = Path(templates_dir) if templates_dir else paths.TEMPLATES_DIR
    env = jinja2.Environment(
        # a folder of trial templates may hold only some of them: the shipped ones fill in
        loader=jinja2.FileSystemLoader([str(folder), str(paths.TEMPLATES_DIR)]),
        autoescape=True, undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False)
    env.filters["lower_first"] = _lower_first
    env.globals["glossary_words"] = words
    env.globals["RELIABLE_GRADES"] = unnamed_grades()
    env.filters["upper_first"] = lambda s: Markup(str(s)[:1].upper() + str(s)[1:]) \
        if isinstance(s, Markup) else str(s)[:1].upper() + str(s)[1:]
    return env


_PROPER = ("RMB", "AITO", "Land-Sea", "Seres", "Changan", "Chongqing", "Yuxinou", "SAFE",
           "Sichuan", "Jiangbei", "AFRE")


def _lower_first(s: Any) -> Any:
    text = str(s)
    first = text.split(" ", 1)[0]
    if not text or first in _PROPER or first.isupper() or any(c.isupper() for c in first[1:]):
        return s
    out = text[:1].lower() + text[1:]
    return Markup(out) if isinstance(s, Markup) else out


def _render_peers(env: jinja2.Environment, ctx: ReportContext, w: _Writer) -> str:
    """The peers section (``peers_<lang>.j2``), or '' when the quarter has no peer data."""
    view = peers_view(w)
    if view is None:
        return ""
    w.where = "peers"
    module = env.get_template(f"peers_{w.lang}.j2").make_module({"c": ctx})
    return str(module.section(ctx, view)).strip()


def write_narrative(qd: QuarterData, lang: str = "zh", *,
                    templates_dir: str | Path | None = None) -> Narrative:
    """Write the narrative of one quarter in one language.

    Args:
        qd: The quarter's data (``quarter_data(ds, "2026Q1")``).
        lang: "zh" (default) or "en".
        templates_dir: A folder holding ``narrative_<lang>.j2`` to use instead of the
            shipped templates (for editors trying a wording, and for tests).

    Returns:
        The Narrative: HTML fragments, the ledger, the verbatim strings, the references.

    Raises:
        ValueError: For an unknown language.
        jinja2.TemplateError: If the template is broken (the message names the line).
    """
    lang = Lang.parse(lang)
    w = _Writer(qd, lang)
    env = _environment(templates_dir)
    tmpl = env.get_template(f"narrative_{lang}.j2")
    ctx = ReportContext(w)
    module = tmpl.make_module({"c": ctx})

    def render(where: str, macro: str, *args: Any) -> str:
        w.where = where
        html = str(getattr(module, macro)(ctx, *args)).strip()
        return html

    key_points = render("key_points", "key_points")
    table = render("headline_table", "headline_table")
    sections = {t: render(t, "section", _topic_view(w, t)) for t in report_topics()}
    peers = _render_peers(env, ctx, w)
    changes = render("changes", "changes")
    appendix = render("appendix", "appendix")
    evidence = render("evidence", "evidence")
    title = render("title", "title")
    ds = qd.dataset
    return Narrative(
        quarter=qd.quarter, lang=lang, title_html=title, key_points_html=key_points,
        headline_table_html=table, sections=sections, changes_html=changes, appendix_html=appendix,
        evidence_html=evidence, peers_html=peers,
        ledger=list(w.ledger), verbatim=sorted(set(w.verbatim), key=lambda s: (-len(s), s)),
        references=list(w.refs), verbatim_inline=sorted(w.inline), data_dir=getattr(ds, "data_dir", None),
        data_hash=getattr(ds, "content_hash", ""), as_of=qd.as_of)


class ReportContext:
    """What a template sees as ``c``: the quarter, its facts, its references."""

    def __init__(self, w: _Writer):
        self._w = w
        self.lang = w.lang
        self.quarter = w.qd.quarter
        self.quarter_label = w.qd.quarter.label(w.lang)
        self.quarter_id = str(w.qd.quarter)

    @property
    def checks(self) -> dict[str, bool]:
        """Which validation checks the data passed (``quotes``: against the source texts)."""
        return dict(getattr(self._w.ds, "checks", None) or {})

    @property
    def cutoff(self) -> str:
        return date_text(self._w.qd.cutoff, self.lang)

    @property
    def interim(self) -> bool:
        """True when the data stops before the quarter's end: the report is an interim one
        (截至…的阶段性数据), not the quarter's (2020Q4 with a cut-off of 28 December)."""
        return self._w.qd.cutoff < self._w.qd.quarter.end

    def key_points(self) -> list[Fact]:
        return _key_points(self._w)

    def headline_rows(self) -> list[Fact]:
        return _headline_rows(self._w)

    def fact(self, metric_id: str, entity_id: str = "chongqing") -> Fact | None:
        """The quarter's figure (or latest context figure) of a metric, or None if not released."""
        return self._w.fact(self._w.qd.get(metric_id, entity_id))

    def references(self):
        """The appendix entries, growing while the appendix is written (inputs add entries)."""
        i = 0
        while i < len(self._w.refs):
            r = self._w.refs[i]
            if r.kind == "observation":
                yield r, self._w.fact_by_id(r.ref_id)
            else:
                yield r, self._w.derived_fact(self._w.derived[r.ref_id])
            i += 1

    def source_notes(self) -> list[dict[str, Any]]:
        """The report's footnotes as its Sources list prints them: one line per source, with
        every footnote that cites it (the references numbered so far), and one line per derived
        figure with its inputs' footnotes."""
        w = self._w
        lines: list[dict[str, Any]] = []
        by_source: dict[str, dict[str, Any]] = {}
        self._number_everything_the_report_draws()
        refs = list(w.refs)
        for r in refs:
            if r.kind == "observation":
                f = w.fact_by_id(r.ref_id)
                line = by_source.get(f.source_id)
                if line is None:
                    line = by_source[f.source_id] = {"kind": "observation", "fact": f, "refs": []}
                    lines.append(line)
                line["refs"].append(r.n)
            else:
                lines.append({"kind": "derived", "fact": w.derived_fact(w.derived[r.ref_id]), "refs": [r.n]})
        return lines

    def _number_everything_the_report_draws(self) -> None:
        """Number the footnotes of the charts' points and of derived figures' inputs before the
        Sources list is written, so the list names every source the report draws on (its charts
        included), each with the numbers the evidence uses."""
        w = self._w
        for t in self.chart_tables():
            for p in t["rows"]:
                p["fact"].ref  # noqa: B018 (numbers the point's footnote)
        seen = 0
        while seen < len(w.refs):   # a derived figure's inputs may themselves be derived
            r = w.refs[seen]
            seen += 1
            if r.kind != "observation":
                for i in w.derived_fact(w.derived[r.ref_id]).inputs:
                    i.ref  # noqa: B018

    def chart_tables(self) -> list[dict[str, Any]]:
        """Every chart's points, for the appendix (what the PDF reader gets instead of the
        CSV download): one table per chart, one row per point, each value ledgered."""
        from .chartdata import topic_chart_data

        w = self._w
        tables = []
        peers = peers_chart_data(w.qd)
        for topic in report_topics():
            for cd in topic_chart_data(w.qd, topic) + ([peers] if peers and topic == peers.topic else []):
                rows = [{"fact": w.fact(r), "measure": s.measure}
                        for s in cd.series() for _, r in s.rows.iterrows()]
                names = list(dict.fromkeys(str(x["fact"].name) for x in rows))
                tables.append({"name": cd.name, "topic": topic, "series": names, "rows": rows})
        return tables

    def changes(self) -> dict[str, Any]:
        """What changed since the previous quarter's report as it stood at its own cut-off
        (analysis/changes.py): every revised and removed figure, and the new ones of the
        main text (the minor ones are counted in the evidence, not listed here)."""
        from ..analysis.changes import changes_since_previous

        w = self._w
        prev_cut, _this, found = changes_since_previous(w.ds, w.qd.quarter)
        rows = []
        for ch in found:
            before = w.fact_by_id(ch.before) if ch.before else None
            after = w.fact_by_id(ch.after) if ch.after else None
            f = after or before
            if ch.kind == "new" and (f.priority > 2 or f.is_minor or f.row["growth_of"]):
                continue
            rows.append({"mark": ch.mark, "kind": ch.kind, "reason": ch.reason or ch.kind,
                         "fact": f, "before": before, "after": after})
        return {"previous": w.qd.quarter.previous().label(self.lang),
                "previous_cutoff": date_text(prev_cut, self.lang), "rows": rows}

    def cautioned(self) -> list[Fact]:
        """Figures of the quarter the curator cautioned against: listed, never used."""
        return [self._w.fact(r) for _, r in self._w.qd.cautioned.iterrows()]

    def cited_sources(self) -> list[dict[str, Any]]:
        """The sources the written fragments cite, oldest first."""
        ds, w = self._w.ds, self._w
        ids = set()
        for r in w.refs:
            if r.kind == "observation":
                ids.add(ds.observation(r.ref_id)["source_id"])
            else:
                ids |= {ds.observation(i)["source_id"] for i in w.derived[r.ref_id].inputs}
        rows = ds.sources.loc[sorted(ids)].sort_values("date")
        return [{**w.source_label(r), "date": date_text(r["date"], self.lang), "reliability": r["reliability"]}
                for _, r in rows.iterrows()]

    def reliability_note(self, fact: Fact) -> Markup:
        return self._w.text(self._w.ds.sources.loc[fact.source_id, "reliability_note"])
