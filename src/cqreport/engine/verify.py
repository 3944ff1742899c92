"""Audit a built report: read the ledger the notebook recorded and check the HTML and PDF text."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import BuildError
from ..report.params import (
    ReportParams,
)

# (dataset, params, page or None, pdf or None) -> summary; raises AuditError
Auditor = Callable[[Any, ReportParams, str | None, Path | None], dict]


def read_record(nb) -> Any:
    """The narrative the executed notebook wrote, from its record output.

    Raises:
        BuildError: If the notebook shows no record (the cell ``report.record()``).
    """
    from ..report.ledger import RECORD_MIMETYPE, Narrative

    for cell in nb.cells:
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            data = out.get("data", {})
            if RECORD_MIMETYPE in data:
                return Narrative.from_record(data[RECORD_MIMETYPE])
    raise BuildError("the notebook showed no narrative record (a cell `report.record()`): "
                     "the numbers audit has nothing to check the report against")


def prepare_audit(dataset: Any, params: ReportParams, nb: Any = None) -> Any:
    """Check the ledger of the narrative the notebook wrote against the data.

    Args:
        dataset: The data, loaded and validated in this process.
        params: The report's parameters.
        nb: The executed notebook; when given, its narrative record is read and
            checked, and kept for :func:`audit_report`.

    Returns:
        The narrative and the ledger findings.

    Raises:
        BuildError: If no notebook's record was read for this report.
    """
    from ..report import audit

    key = (id(dataset), params.quarter, params.lang)
    if nb is not None:
        nar = read_record(nb)
        _NARRATIVES[key] = (nar, audit.audit_ledger(nar, dataset))
    if key not in _NARRATIVES:
        raise BuildError(f"no narrative record read for {params.slug}")
    return _NARRATIVES[key]


def audit_report(dataset: Any, params: ReportParams, page: str | None,
                 pdf: Path | None) -> dict:
    """Check every number in the HTML (and PDF) text against the narrative's ledger,
    and the ledger against the data.

    The ledger is the one the notebook's narrative recorded as it wrote
    (:func:`prepare_audit`); it is checked against the data loaded here, and the
    rendered text against it.

    Raises:
        AuditError: Listing every number that does not trace back to the data.
    """
    from ..report import audit

    nar, ledger_findings = prepare_audit(dataset, params)
    report = audit.audit_rendered(nar.for_document("report"), page=page, pdf=pdf, dataset=dataset,
                                  ledger_findings=ledger_findings)
    return {"summary": report.summary(), "numbers_read": dict(report.numbers_read),
            "ledger_entries": report.ledger_entries}


_NARRATIVES: dict[tuple[int, str, str], Any] = {}
