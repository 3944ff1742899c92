"""Table schemas, read from ``data/datapackage.json`` and turned into pandera checks.

The Frictionless descriptor is the one statement of the tables (fields, types,
constraints, keys); tools outside Python can check the CSVs with it. Here the
same descriptor drives pandera, so the two can never disagree.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from ..errors import DataError, Problem
from .load import TABLES, display_path

if TYPE_CHECKING:
    import pandera.pandas as pa

# ASCII digits only: Python's \d also matches full-width ６.５４, which float() reads but
# nothing downstream (formatting, the audit, quote matching) treats as the same text
PLAIN_NUMBER = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")
INTEGER = re.compile(r"^-?[0-9]+$")
ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
OBSERVATION_KEY = ["metric_id", "entity_id", "period_start", "period_end", "source_id"]


@dataclass(frozen=True)
class FieldSpec:
    """One column of one table, as the descriptor states it."""

    name: str
    type: str
    description: str
    required: bool
    unique: bool
    enum: tuple[str, ...] | None
    pattern: str | None
    minimum: float | None
    maximum: float | None


@dataclass(frozen=True)
class TableSpec:
    """One table of the data package."""

    name: str
    path: str
    fields: tuple[FieldSpec, ...]
    primary_key: tuple[str, ...]

    @property
    def columns(self) -> list[str]:
        """Column names in order."""
        return [f.name for f in self.fields]

    def field(self, name: str) -> FieldSpec:
        """The field called name."""
        return next(f for f in self.fields if f.name == name)


@lru_cache(maxsize=8)
def _read_descriptor(path: str, mtime_ns: int, size: int) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def _descriptor_problem(descriptor: Path, found: str) -> DataError:
    return DataError([Problem(display_path(descriptor), None, None, found,
                              "a Frictionless data package: a JSON object whose 'resources' list "
                              "each table with its name, path and schema.fields", "descriptor")])


def read_specs(descriptor: Path) -> dict[str, TableSpec]:
    """Read the table specs from a datapackage.json.

    Args:
        descriptor: Path of datapackage.json.

    Returns:
        Table name → spec, in the descriptor's order.

    Raises:
        DataError: If the file cannot be read, is not JSON (cut short, say), or does not
            describe the tables (``[]``, ``{}``, a resource without a name or fields).
    """
    try:
        st = Path(descriptor).stat()
        pkg = _read_descriptor(str(descriptor), st.st_mtime_ns, st.st_size)
    except OSError as exc:
        raise _descriptor_problem(descriptor, f"a file that cannot be read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise _descriptor_problem(descriptor, "bytes that are not UTF-8") from None
    except ValueError as exc:
        raise _descriptor_problem(descriptor, f"text that is not valid JSON ({exc}; cut short?)") from None
    if not isinstance(pkg, dict) or not isinstance(pkg.get("resources"), list) or not pkg["resources"]:
        shown = json.dumps(pkg, ensure_ascii=False)[:40]
        raise _descriptor_problem(descriptor, f"{shown} (no list of 'resources')")
    try:
        specs = _specs_of(pkg)
    except (KeyError, TypeError, AttributeError) as exc:
        raise _descriptor_problem(descriptor, f"a resource without the entry {exc}") from None
    missing = [t for t in TABLES if t not in specs]
    if missing:
        raise _descriptor_problem(descriptor, f"no resource named {', '.join(missing)}")
    return specs


def _specs_of(pkg: dict) -> dict[str, TableSpec]:
    specs = {}
    for res in pkg["resources"]:
        fields = []
        for f in res["schema"]["fields"]:
            c = f.get("constraints", {})
            fields.append(FieldSpec(
                name=f["name"], type=f["type"], description=f.get("description", ""),
                required=bool(c.get("required")), unique=bool(c.get("unique")),
                enum=tuple(c["enum"]) if "enum" in c else None, pattern=c.get("pattern"),
                minimum=c.get("minimum"), maximum=c.get("maximum"),
            ))
        pk = res["schema"].get("primaryKey", [])
        specs[res["name"]] = TableSpec(res["name"], res["path"], tuple(fields),
                                       tuple([pk] if isinstance(pk, str) else pk))
    return specs


def _is_date(s: pd.Series) -> pd.Series:
    def ok(v: str) -> bool:
        if not ISO_DATE.match(v):
            return False
        try:
            date.fromisoformat(v)
        except ValueError:
            return False
        return True
    return s.map(ok)


def _checks_for(f: FieldSpec) -> list[pa.Check]:
    """pandera checks for one field; empty cells pass unless the field is required."""
    import pandera.pandas as pa

    checks: list[pa.Check] = []

    def check(fn, expected: str) -> pa.Check:
        if f.required:
            return pa.Check(fn, error=expected)
        return pa.Check(lambda s: (s == "") | fn(s), error=expected)

    if f.required:
        checks.append(pa.Check(lambda s: s != "", error="a value (this column is required)"))
    if f.type == "number":
        checks.append(check(lambda s: s.str.match(PLAIN_NUMBER.pattern),
                            "a plain decimal number such as 57672.4 (no thousands separators, "
                            "no units, no % sign)"))
    elif f.type == "integer":
        checks.append(check(lambda s: s.str.match(INTEGER.pattern), "a whole number such as 13"))
    elif f.type == "date":
        checks.append(check(_is_date, "an ISO date YYYY-MM-DD that exists, such as 2026-03-31"))
    if f.enum is not None:
        allowed = set(f.enum)
        shown = ", ".join(v for v in f.enum) if len(f.enum) <= 20 else f"{len(f.enum)} words"
        checks.append(check(lambda s: s.isin(allowed), f"one of: {shown}"))
    if f.pattern:
        checks.append(check(lambda s: s.str.fullmatch(f.pattern),
                            f"text matching {f.pattern}"
                            + (" (lower-case snake_case id)" if "a-z" in f.pattern else "")))
    if f.minimum is not None or f.maximum is not None:
        lo = f.minimum if f.minimum is not None else float("-inf")
        hi = f.maximum if f.maximum is not None else float("inf")

        def within_bounds(s: pd.Series) -> pd.Series:
            num = pd.to_numeric(s, errors="coerce")
            return num.isna() | ((num >= lo) & (num <= hi))
        checks.append(check(within_bounds, f"a number from {f.minimum} to {f.maximum}"
                            if f.maximum is not None else f"a number ≥ {f.minimum}"))
    return checks


def pandera_schema(spec: TableSpec) -> pa.DataFrameSchema:
    """The pandera schema of a table: every column a string, checked by its field's constraints."""
    import pandera.pandas as pa  # imported when needed: loading validated data skips it

    columns = {f.name: pa.Column(str, checks=_checks_for(f), unique=f.unique, nullable=False)
               for f in spec.fields}
    unique = list(spec.primary_key) if len(spec.primary_key) > 1 else None
    if spec.name == "observations":
        unique = OBSERVATION_KEY
    return pa.DataFrameSchema(columns, strict=True, ordered=False, unique=unique,
                              report_duplicates="all", name=spec.name)


def check_schema(frame: pd.DataFrame, spec: TableSpec, where: str) -> list[Problem]:
    """Run a table's pandera schema and turn every failure into a Problem.

    Args:
        frame: The table as strings, indexed by spreadsheet row.
        spec: Its spec.
        where: File name for messages.

    Returns:
        All problems found (pandera runs lazily, so none hides another).
    """
    import pandera.pandas as pa

    try:
        pandera_schema(spec).validate(frame, lazy=True)
    except pa.errors.SchemaErrors as err:
        return _problems_from(err.failure_cases, spec, where)
    return []


def _problems_from(cases: pd.DataFrame, spec: TableSpec, where: str) -> list[Problem]:
    problems = []
    expected_cols = ", ".join(spec.columns)
    for case in cases.itertuples(index=False):
        check = str(case.check)
        found = case.failure_case
        row = None if pd.isna(case.index) else int(case.index)
        if check == "column_in_schema":
            problems.append(Problem(where, 1, str(found), f"an extra column '{found}'",
                                    f"only the columns {expected_cols}", "extra-column"))
        elif check == "column_in_dataframe":
            problems.append(Problem(where, 1, str(found), f"no column '{found}'",
                                    f"the columns {expected_cols}", "missing-column"))
        elif check == "multiple_fields_uniqueness":
            key = ", ".join(spec.primary_key if spec.name != "observations" else OBSERVATION_KEY)
            problems.append(Problem(where, row, str(case.column) if case.column else None,
                                    f"a duplicate key ({found})",
                                    f"each ({key}) at most once", "duplicate-key"))
        elif check == "field_uniqueness":
            problems.append(Problem(where, row, str(case.column), f"'{found}' again",
                                    "a value not used in another row", "duplicate-key"))
        elif check.startswith("dtype(") or check == "not_nullable":
            continue  # every cell is read as a string; these cannot fail meaningfully
        else:
            problems.append(Problem(where, row, str(case.column),
                                    "an empty cell" if found == "" else repr(found),
                                    check, "schema"))
    return problems
