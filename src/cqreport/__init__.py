"""cqreport: a reproducible quarterly report on Chongqing's finance.

The public API::

    from cqreport import load_dataset, parse_quarter
    ds = load_dataset()                 # validated, typed data (DataError lists all problems)
    ds.series("loan_balance_rmb")       # one series, oldest first
    ds.quarters()                       # quarters with data
    qd = ds.quarter("2026Q1")           # what that quarter's report needs
    qd.figures, qd.context, qd.derived, qd.checks
"""

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
from .periods import Quarter, parse_quarter

# The data API pulls in pandas and pandera (about half a second): it is imported on
# first use, so that commands that do not need it (an unchanged `cqreport build`,
# `cqreport params`) start fast.
_LAZY = {
    "Dataset": "dataset", "load_dataset": "dataset", "CrossCheck": "derive", "Derived": "derive",
    "QuarterData": "select", "check_data": "validate",
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
]
