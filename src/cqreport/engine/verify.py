"""The audit step: read the ledger the notebook recorded, check it and the HTML and PDF text.

The narrative the notebook wrote travels in the executed notebook as a record
(``report.record()``); :func:`read_record` reads it back. :func:`check_ledger`
checks that ledger against the data this process loaded; :func:`audit_report`
checks every number of a rendered page or PDF against the ledger. An audit
that passed is kept in the work cache under a key of exactly what it read
(:func:`audit_key`), so that an unchanged report is not read again.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import BuildError
from .cache import key_of
from .units import library_digest

#: (narrative, dataset, page or None, pdf or None, the ledger's findings) -> summary; raises AuditError
Auditor = Callable[[Any, Any, str | None, Path | None, list], dict]


def find_record(nb: Any) -> dict | None:
    """The narrative record the executed notebook showed (the output of ``report.record()``),
    or None."""
    from ..report.ledger import RECORD_MIMETYPE

    for cell in nb.cells:
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            data = out.get("data", {})
            if RECORD_MIMETYPE in data:
                return data[RECORD_MIMETYPE]
    return None


def record_of(nb: Any) -> dict:
    """The narrative record the executed notebook showed (:func:`find_record`).

    Raises:
        BuildError: If the notebook shows no record.
    """
    record = find_record(nb)
    if record is not None:
        return record
    raise BuildError("the notebook showed no narrative record (a cell `report.record()`): "
                     "the numbers audit has nothing to check the report against")


def read_record(nb: Any) -> Any:
    """The narrative the executed notebook wrote, from its record output."""
    from ..report.ledger import Narrative

    return Narrative.from_record(record_of(nb))


def check_ledger(narrative: Any, dataset: Any) -> list:
    """The ledger's own findings against the data loaded in this process."""
    from ..report import audit

    return audit.audit_ledger(narrative, dataset)


def audit_report(narrative: Any, dataset: Any, page: str | None, pdf: Path | None,
                 ledger_findings: list) -> dict:
    """Check every number in the HTML (or PDF) text against the narrative's ledger, and the
    ledger's findings against the data (computed once per report by :func:`check_ledger`).

    ``narrative`` is the document's own (``Narrative.for_document``): the report's page is
    read against the numbers the report prints, the evidence's against the evidence's.

    Raises:
        AuditError: Listing every number that does not trace back to the data.
    """
    from ..report import audit

    report = audit.audit_rendered(narrative, page=page, pdf=pdf, dataset=dataset,
                                  ledger_findings=ledger_findings)
    return {"summary": report.summary(), "numbers_read": dict(report.numbers_read),
            "ledger_entries": report.ledger_entries}


def audit_key(auditor: Auditor, where: str, text: bytes, record: dict, data: str) -> str:
    """The key of a passed audit: the auditor, what it read, the ledger, the data, the code."""
    name = f"{getattr(auditor, '__module__', '')}.{getattr(auditor, '__qualname__', repr(auditor))}"
    return key_of("audit", name, where, text, record, data, library_digest())
