"""dataguard: catch the data and model mistakes that stop neural networks from converging.

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
    "ModelReport",
    "ProfileReport",
    "Severity",
    "Thresholds",
    "TransformPipeline",
    "ValidationReport",
    "__version__",
    "check_model",
    "compare",
    "fit",
    "infer",
    "load_contract",
    "load_transforms",
    "profile",
    "validate",
]

#: Public names that need an optional extra, imported on first use (``dataguard.check_model``
#: needs torch; ``import dataguard`` must not).
_LAZY = {"check_model": "dataguard.model_check", "ModelReport": "dataguard.model_check"}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'dataguard' has no attribute {name!r}")
