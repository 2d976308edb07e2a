"""Validation of new data against a contract, and comparison of splits.

>>> from dataguard.validate import ValidationReport, validate
>>> callable(validate), ValidationReport.__name__
(True, 'ValidationReport')
"""

from dataguard.validate._report import ValidationReport
from dataguard.validate._validate import VALIDATE_CODES, dtype_family, validate

__all__ = ["VALIDATE_CODES", "ValidationReport", "dtype_family", "validate"]
