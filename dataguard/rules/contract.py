"""Codes of the contract layer: split drift and leakage (``dataguard compare``) and contract
violations (``dataguard validate``). They are emitted by those commands, not by the profile's
rule runner, so they are catalogued here (:data:`CONTRACT_CODES`) rather than in ``RULES``;
``dataguard explain`` and docs/rules.md cover both.
"""

from __future__ import annotations

from dataguard.findings import Severity
from dataguard.rules._context import RuleSpec

__all__ = ["CONTRACT_CODES"]

_W, _E = Severity.WARNING, Severity.ERROR

DG121 = RuleSpec(
    "DG121", "split-drift", "drift", _W, (2,),
    "train vs validation/new data shift, as effect sizes (not p-values)",
)  # fmt: skip
DG122 = RuleSpec(
    "DG122", "split-leakage", "drift", _E, (2,),
    "rows (or entities) shared between splits; same inputs with conflicting labels",
)  # fmt: skip
DG301 = RuleSpec("DG301", "missing-column", "contract", _E, (2,), "a required column is absent")
DG302 = RuleSpec(
    "DG302", "dtype", "contract", _E, (2,), "a column's type differs from the contract"
)
DG303 = RuleSpec(
    "DG303", "out-of-range", "contract", _E, (2,),
    "values outside the declared range (count, share, example rows)",
)  # fmt: skip
DG304 = RuleSpec(
    "DG304", "nulls", "contract", _E, (2,),
    "nulls/NaN beyond the allowed share (NaN counts as null, as in pandera and GX)",
)  # fmt: skip
DG305 = RuleSpec(
    "DG305", "unknown-level", "contract", _W, (2,), "categories outside the declared levels"
)  # fmt: skip
DG306 = RuleSpec(
    "DG306", "not-unique", "contract", _E, (2,), "duplicates in a column declared unique"
)  # fmt: skip
DG307 = RuleSpec("DG307", "row-count", "contract", _E, (2,), "row count outside bounds")
DG308 = RuleSpec(
    "DG308", "drift", "drift", _W, (2,),
    "distribution shift against the reference statistics, as effect sizes",
)  # fmt: skip
DG309 = RuleSpec(
    "DG309", "transform-health", "contract", _W, (1,),
    "the fitted transforms misbehave on the new data (e.g. |z| > 50)",
)  # fmt: skip

#: Every contract-layer code, by code, in order.
CONTRACT_CODES: dict[str, RuleSpec] = {
    s.code: s for s in (DG121, DG122, DG301, DG302, DG303, DG304, DG305, DG306, DG307, DG308, DG309)
}
