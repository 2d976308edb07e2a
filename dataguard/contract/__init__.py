"""Contracts: what later data must look like (YAML), inferred from a profiled training set.

``dataguard.infer(data)`` returns a :class:`Contract`; ``dataguard.load_contract(path)`` reads
one (YAML, safe loader); ``contract.save(path)``, ``contract.to_pandera()`` and
``contract.to_great_expectations()``. The format is docs/contract.md and
``schemas/contract.schema.json`` (generated from the models).
"""

from dataguard.contract._infer import contract_from_report, infer, normalize_dtype
from dataguard.contract._io import contract_from_text, load_contract, save_contract
from dataguard.contract._model import (
    ColumnContract,
    Contract,
    DatasetContract,
    DriftTolerance,
    Histogram,
    Range,
    Reference,
    RowCount,
    Semantic,
    TransformsRef,
)

__all__ = [
    "ColumnContract",
    "Contract",
    "DatasetContract",
    "DriftTolerance",
    "Histogram",
    "Range",
    "Reference",
    "RowCount",
    "Semantic",
    "TransformsRef",
    "contract_from_report",
    "contract_from_text",
    "infer",
    "load_contract",
    "normalize_dtype",
    "save_contract",
]
