"""The figure the finders produce, before it becomes a candidate row."""

from __future__ import annotations

from dataclasses import dataclass, field

from .timespans import Span


@dataclass
class FoundFigure:
    """One figure found in a release.

    Attributes:
        value: The number as written (6.54 for 6.54万亿元).
        unit: The unit label as in the vocabulary (万亿元, billion yuan, %).
        qualifier: The bounding word in the data's vocabulary ('' when exact).
        start: Offset where the figure begins (its qualifier included).
        end: Offset just past its unit (or suffix qualifier).
        num_start: Offset of the number itself.
        text: The number as written.
        role: "level" (a figure of its own), "growth" (a YoY or national comparison of
            another figure) or "prior" (the earlier value in 从X…至Y).
        in_parens: True for a conversion in brackets right after another figure.
        implied_unit: True when the counter was not written (600亿 read as 亿元).
        yoy_pct, yoy_wording, yoy_diff, vs_national_pp, streak_months, prior_value, prior_label:
            As in the observations table.
        prior_start: Offset where the earlier value's phrase opens (由2022年的…), or -1.
        period: The period phrase the figure was dated by, if any.
        period_how: "sentence", "paragraph" or "release" (no period stated).
        item: In a list read 分别 / respectively (手机、汽车出口额分别为A、B), the words this
            figure goes with (汽车出口额); '' otherwise. ``list_start``: where its list begins.
        notes: Remarks for the reviewer.
    """

    value: float
    unit: str
    qualifier: str
    start: int
    end: int
    num_start: int
    text: str
    role: str = "level"
    in_parens: bool = False
    implied_unit: bool = False
    yoy_pct: float | None = None
    yoy_wording: str = ""
    yoy_diff: float | None = None
    vs_national_pp: float | None = None
    streak_months: int | None = None
    prior_value: float | None = None
    prior_label: str = ""
    prior_start: int = -1
    period: Span | None = None
    period_how: str = "release"
    growth_end: int = 0
    item: str = ""
    list_start: int = -1
    notes: list[str] = field(default_factory=list)
