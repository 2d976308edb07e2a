"""dataguard: catch the data mistakes that stop neural networks from converging.

>>> import dataguard
>>> sorted(dataguard.__all__)[:3]
['CompareReport', 'ConfigError', 'Contract']
"""

from dataguard._api import profile
from dataguard._version import __version__
from dataguard.contract import Contract, infer, load_contract
from dataguard.errors import (
    ConfigError,
    DataguardError,
    FindingsError,
    InputError,
    MissingDependencyError,
)
from dataguard.findings import Finding, Severity
from dataguard.report import ProfileReport
from dataguard.rules import RULES, Thresholds
from dataguard.transforms import TransformPipeline, fit, load_transforms
from dataguard.validation import CompareReport, ValidationReport, compare, validate

__all__ = [
    "RULES",
    "CompareReport",
    "ConfigError",
    "Contract",
    "DataguardError",
    "Finding",
    "FindingsError",
    "InputError",
    "MissingDependencyError",
    "ProfileReport",
    "Severity",
    "Thresholds",
    "TransformPipeline",
    "ValidationReport",
    "__version__",
    "compare",
    "fit",
    "infer",
    "load_contract",
    "load_transforms",
    "profile",
    "validate",
]
