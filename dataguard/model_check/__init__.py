"""The PyTorch model checker (seed reasons 4-11): ``check_model(model, batch, loss_fn=...)``.

Needs the ``torch`` extra. Every check runs on a copy of the model; the user's model, its
gradients and flags, the RNG states and torch's global settings are left as they were, and
every hook the checker registers is removed, also when a check fails.
"""

from dataguard.errors import MissingDependencyError

try:
    import torch  # noqa: F401
except ImportError as exc:  # pragma: no cover - exercised without the extra
    raise MissingDependencyError(
        "dataguard.model_check needs torch: pip install 'dataguard[torch]'"
    ) from exc

from dataguard.model_check._api import check_model
from dataguard.model_check._report import LayerStats, LRRangeTest, ModelReport

__all__ = ["LRRangeTest", "LayerStats", "ModelReport", "check_model"]
