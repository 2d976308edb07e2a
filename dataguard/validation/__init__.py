"""Validation of new data against a contract, and comparison of splits.

>>> from dataguard.validation import ValidationReport, validate
>>> callable(validate), ValidationReport.__name__
(True, 'ValidationReport')
"""

from dataguard.validation._compare import CompareReport, compare
from dataguard.validation._report import ValidationReport
from dataguard.validation._validate import VALIDATE_CODES, dtype_family, validate

__all__ = [
    "VALIDATE_CODES",
    "CompareReport",
    "ValidationReport",
    "compare",
    "dtype_family",
    "validate",
]
