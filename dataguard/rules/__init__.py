"""Rules: a :class:`~dataguard.profile.Profile` in, :class:`~dataguard.Finding` s out.

One module per family; :data:`RULES` (in ``_registry``) names every rule explicitly.
:func:`run_rules` applies the selected ones and orders the findings by severity.
"""

from dataguard.rules._context import RuleContext, RuleSpec
from dataguard.rules._passes import plan_passes
from dataguard.rules._registry import RULES
from dataguard.rules._run import run_rules, select_codes
from dataguard.rules._thresholds import Thresholds
from dataguard.rules.target import infer_task

__all__ = [
    "RULES",
    "RuleContext",
    "RuleSpec",
    "Thresholds",
    "infer_task",
    "plan_passes",
    "run_rules",
    "select_codes",
]
