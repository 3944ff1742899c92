"""cqreport: a reproducible quarterly report on Chongqing's finance.

The public API::

    from cqreport import load_dataset, parse_quarter, quarter_data
    ds = load_dataset()                 # validated, typed data (DataError lists all problems)
    ds.series("loan_balance_rmb")       # one series, oldest first
    ds.quarters()                       # quarters with data
    qd = quarter_data(ds, "2026Q1")     # what that quarter's report needs
    qd.figures, qd.context, qd.derived, qd.checks
"""

from .core.periods import Quarter, parse_quarter
from .errors import (
    AuditError,
    BuildError,
    CqreportError,
    DataError,
    ExtractError,
    ParameterError,
    Problem,
    QuarterError,
)

# The data API pulls in pandas and pandera (about half a second): it is imported on
# first use, so that commands that do not need it (an unchanged `cqreport build`,
# `cqreport params`) start fast.
_LAZY = {
    "Dataset": "dataset.model", "load_dataset": "dataset.model", "CrossCheck": "analysis.derive",
    "Derived": "analysis.derive", "QuarterData": "analysis.quarter", "quarter_data": "analysis.quarter",
    "check_data": "dataset.validate",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "AuditError",
    "BuildError",
    "CqreportError",
    "CrossCheck",
    "DataError",
    "Dataset",
    "Derived",
    "ExtractError",
    "ParameterError",
    "Problem",
    "Quarter",
    "QuarterData",
    "QuarterError",
    "check_data",
    "load_dataset",
    "parse_quarter",
    "quarter_data",
]
