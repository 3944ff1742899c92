"""What a written narrative is: its HTML fragments, its ledger of numbers and its references.

``Narrative`` is the result of :func:`cqreport.report.narrative.write_narrative`;
``LedgerEntry`` records one number as written (value, unit, qualifier, the
observation or derived figure it came from); ``to_record``/``from_record``
carry the ledger from the notebook to the build under ``RECORD_MIMETYPE``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from ..core.periods import Quarter, parse_quarter
from ..core.vocab import report_topics

# the notebook hands its narrative's record to the build under this media type
RECORD_MIMETYPE = "application/vnd.cqreport.report.narrative+json"


# ============================================================================ results
#: The documents of one report: the report itself and its evidence companion.
DOCUMENTS = ("report", "evidence")


@dataclass(frozen=True)
class LedgerEntry:
    """One number as written in the narrative.

    Attributes:
        n: Position in the ledger (0-based).
        text: The figure as written (同比增长6.8%, about RMB 230 billion).
        value: The number as written, signed (-0.2 for 同比下降0.2%).
        unit: The unit as written (万亿元, trillion yuan, %, 个百分点, 个月, rank).
        qualifier: The qualifier word written ('' if none).
        bound: exact, approx, lower or upper: what the written text claims.
        source_ref: obs_id or derived_id it came from.
        kind: "observation" or "derived".
        field: Which field of the observation (value, yoy_pct, yoy_diff, vs_national_pp,
            streak_months, rank, prior_value) or "value" for a derived figure.
        decimals: Decimals it was rounded to (may be negative: 430 from 433.8 is -1).
        where: The fragment it stands in (key_points, credit, appendix…).
        ref: Footnote number of its appendix entry (0 when none).
    """

    n: int
    text: str
    value: float
    unit: str
    qualifier: str
    bound: str
    source_ref: str
    kind: str
    field: str
    decimals: int
    where: str
    ref: int


@dataclass(frozen=True)
class Reference:
    """An appendix entry a footnote mark points to."""

    n: int
    ref_id: str
    kind: str  # observation | derived


@dataclass
class Narrative:
    """A quarter's narrative in one language.

    Attributes:
        quarter: The report's quarter.
        lang: "zh" or "en".
        title_html: Title block: quarter, data cut-off, sources cited.
        key_points_html: 核心要点 / Key points, 3 to 5 bullets.
        headline_table_html: The quarter's headline figures with YoY, qualifiers and refs.
        sections: Topic -> section HTML (heading and paragraphs).
        peers_html: 与全国及周边省份比较 / Chongqing among its peers ('' when the quarter has no
            peer data): the table, the figures apart, the releases' own gaps, the coverage grid.
        changes_html: What changed since the previous quarter's report (new, revised, removed).
        appendix_html: 资料来源 / Sources: a short note per footnote (publisher, date, title, link).
        evidence_html: The companion document (evidence.html): every footnote's source, quote,
            inputs and method, variants and revision notes, every chart point, the doubted
            figures. Its ledger entries stand ``where="evidence"``.
        ledger: Every number written in the fragments above.
        verbatim: Every string from the data that the fragments contain (quotes, titles…).
        verbatim_inline: Those of them used inside sentences (names); the others stand
            between delimiters (“…”, 《…》, （…）).
        references: The appendix entries, in footnote order.
        data_dir: The data folder the figures came from.
        data_hash: The data's content hash at writing time.
        as_of: The date the report stands as of (its cut-off unless rebuilt ``--as-of``);
            the audit recomputes derived figures and judgements from the data as of then.
    """

    quarter: Quarter
    lang: str
    title_html: str
    key_points_html: str
    headline_table_html: str
    sections: dict[str, str]
    changes_html: str
    appendix_html: str
    ledger: list[LedgerEntry]
    verbatim: list[str]
    references: list[Reference]
    verbatim_inline: list[str] = field(default_factory=list)
    evidence_html: str = ""
    peers_html: str = ""
    data_dir: Path | None = None
    data_hash: str = ""
    as_of: date | None = None

    def section_html(self, topic: str) -> str:
        """The section of one theme: credit, cross_border, auto or corridor.

        Raises:
            KeyError: For an unknown topic.
        """
        if topic not in self.sections:
            raise KeyError(f"unknown topic {topic!r}; expected one of {', '.join(report_topics())}")
        return self.sections[topic]

    @property
    def fragments(self) -> dict[str, str]:
        """Every fragment by name, in reading order."""
        return {"title": self.title_html, "key_points": self.key_points_html,
                "headline_table": self.headline_table_html,
                **{t: self.sections[t] for t in report_topics()},
                **({"peers": self.peers_html} if self.peers_html else {}),   # only with peer data
                "changes": self.changes_html,
                "appendix": self.appendix_html}

    @property
    def html(self) -> str:
        """The report's fragments in reading order, as one HTML string (not the evidence)."""
        return "\n".join(self.fragments.values())

    def for_document(self, document: str) -> Narrative:
        """The narrative as one document reads it: ``report`` (every fragment but the evidence)
        or ``evidence`` (the companion): the same references and verbatim text, the ledger of
        the numbers that document prints, so each is audited against its own."""
        if document not in DOCUMENTS:
            raise ValueError(f"unknown document {document!r}; expected one of {', '.join(DOCUMENTS)}")
        keep = [e for e in self.ledger if (e.where == "evidence") == (document == "evidence")]
        return dataclasses.replace(self, ledger=keep)

    def _repr_html_(self) -> str:
        return self.html

    def to_record(self) -> dict[str, Any]:
        """What the numbers audit needs, as plain JSON: quarter, language, ledger, references,
        verbatim text and the data the figures came from (the HTML is in the report itself)."""
        return {"quarter": str(self.quarter), "lang": self.lang,
                "ledger": [asdict(e) for e in self.ledger],
                "references": [asdict(r) for r in self.references],
                "verbatim": list(self.verbatim), "verbatim_inline": list(self.verbatim_inline),
                "evidence_html": self.evidence_html,
                "data_dir": str(self.data_dir) if self.data_dir else None, "data_hash": self.data_hash,
                "as_of": self.as_of.isoformat() if self.as_of else None}

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Narrative:
        """A narrative rebuilt from :meth:`to_record`, without its HTML fragments."""
        return cls(quarter=parse_quarter(record["quarter"]), lang=record["lang"], title_html="",
                   key_points_html="", headline_table_html="", sections=dict.fromkeys(report_topics(), ""),
                   changes_html="", appendix_html="", ledger=[LedgerEntry(**e) for e in record["ledger"]],
                   verbatim=list(record["verbatim"]),
                   references=[Reference(**r) for r in record["references"]],
                   verbatim_inline=list(record["verbatim_inline"]),
                   evidence_html=record.get("evidence_html", ""),
                   data_dir=Path(record["data_dir"]) if record.get("data_dir") else None,
                   data_hash=record.get("data_hash", ""),
                   as_of=date.fromisoformat(record["as_of"]) if record.get("as_of") else None)

    def record(self) -> NarrativeRecord:
        """The record as a notebook output: a one-line summary to read, the JSON for the build."""
        return NarrativeRecord(self.to_record())


class NarrativeRecord:
    """Displays as a one-line summary; carries the record under ``RECORD_MIMETYPE``.

    The report build reads it from the executed notebook, so that the audit checks the
    ledger of the narrative the notebook actually wrote.
    """

    def __init__(self, record: dict[str, Any]):
        self.data = record

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        summary = (f"narrative record {self.data['quarter']}/{self.data['lang']}: "
                   f"{len(self.data['ledger'])} numbers, {len(self.data['references'])} references")
        return {RECORD_MIMETYPE: self.data, "text/plain": summary}
