"""One root for every error cqreport raises, so callers can catch them all.

Messages are written for the person who has to fix the input: they name the
file, the row and column, what was found and what was expected.
"""

from __future__ import annotations

from dataclasses import dataclass


class CqreportError(Exception):
    """Base class of every error raised on purpose by cqreport."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one place in the data.

    Attributes:
        file: Path of the file, as the user would type it (relative where possible).
        row: Spreadsheet row number (the header is row 1), or None for whole-file problems.
        column: Column name, or None.
        found: What the file holds there, as text.
        expected: What would have been accepted.
        check: Short name of the check that failed, for grouping and tests.
    """

    file: str
    row: int | None
    column: str | None
    found: str
    expected: str
    check: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            where += f", column '{self.column}'"
        return f"{where}: found {self.found}; expected {self.expected} [{self.check}]"


class DataError(CqreportError):
    """The curated data did not pass validation. Holds every problem found, not only the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        lines = [f"{len(self.problems)} problem(s) in the data:"]
        lines += [f"  - {p}" for p in self.problems[:50]]
        if len(self.problems) > 50:  # a broken file can have 400,000; `cqreport validate` sums them up
            lines.append(f"  … and {len(self.problems) - 50} more (cqreport validate lists them by kind)")
        super().__init__("\n".join(lines))


class QuarterError(CqreportError, ValueError):
    """A quarter label could not be parsed, or names a quarter with no data."""


class ParameterError(CqreportError, ValueError):
    """A report parameter is unknown or has a bad value."""


class AuditError(CqreportError):
    """A number in a rendered report does not trace back to the data."""


class BuildError(CqreportError):
    """A report build failed; the previous good report was kept."""


class BuildInterrupted(BuildError):
    """Ctrl-C stopped a batch; unfinished reports keep their previous version. The CLI exits 130."""


class ExtractError(CqreportError):
    """A release or a candidates file could not be read or appended."""
