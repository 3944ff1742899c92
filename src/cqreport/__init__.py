"""cqreport: a reproducible quarterly report on Chongqing's finance.

The public API::

    from cqreport import load_dataset, parse_quarter
    ds = load_dataset()                 # validated, typed data (DataError lists all problems)
    ds.series("loan_balance_rmb")       # one series, oldest first
    ds.quarters()                       # quarters with data
    qd = ds.quarter("2026Q1")           # what that quarter's report needs
    qd.figures, qd.context, qd.derived, qd.checks
"""

from .dataset import Dataset, load_dataset
from .derive import CrossCheck, Derived
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
from .select import QuarterData
from .validate import check_data

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
