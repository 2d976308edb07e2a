"""What :func:`dataguard.check_model` returns: findings, a per-layer table, the LR range test."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from typing import Any

from dataguard._version import __version__
from dataguard.findings import Finding, FindingsVerdict, Severity, json_safe
from dataguard.rules.model import MODEL_CODES

__all__ = ["SCHEMA_VERSION", "LRRangeTest", "LayerStats", "ModelReport", "finding", "num"]

#: Version of the JSON document (schemas/model-check-report.schema.json).
SCHEMA_VERSION = "1.0"


def finding(
    code: str,
    message: str,
    evidence: dict[str, Any],
    *,
    severity: Severity | None = None,
    fix: dict[str, Any] | None = None,
) -> Finding:
    """A model-check finding (no columns; the code's default severity unless given)."""
    return MODEL_CODES[code].finding((), message, evidence, fix=fix, severity=severity)


def num(x: float | None) -> str:
    """A number for a message: 3 significant digits; ``none``, ``nan``, ``inf`` as words."""
    if x is None:
        return "none"
    if isinstance(x, float) and not math.isfinite(x):
        return str(x)
    return f"{x:.3g}"


@dataclass
class LayerStats:
    """One row of the per-layer table, in forward order.

    A row is a module or a functional call observed in ``forward`` (``kind`` is the module
    class, e.g. ``"Linear"``, or the function, e.g. ``"relu"``). Activation statistics are
    over the whole batch; ``dead_fraction`` is the share of units (features, or channels of
    an image) never above 0 on the batch (ReLU family only); ``saturated_fraction`` the share
    of outputs within 1% of a tanh/sigmoid asymptote. ``weight_std`` is compared with the
    standard deviations He, Xavier (Glorot) and LeCun initialization would give for the
    layer's fan-in and fan-out (``expected_std``); ``weight_ratio`` is ``weight_std`` over the
    LeCun value (PyTorch's default ``nn.Linear`` init gives 0.58, He 1.41).
    """

    name: str
    kind: str
    shape: list[int] | None = None
    act_mean: float | None = None
    act_std: float | None = None
    dead_fraction: float | None = None
    saturated_fraction: float | None = None
    grad_norm: float | None = None
    weight_norm: float | None = None
    weight_std: float | None = None
    weight_ratio: float | None = None
    expected_std: dict[str, float] | None = None
    fan_in: int | None = None
    fan_out: int | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = json_safe(asdict(self))
        return out


@dataclass
class LRRangeTest:
    """The learning-rate range test (DG213): an exponential sweep, repeated.

    ``lrs`` is the sweep grid; ``losses[r][i]`` the smoothed loss of repeat ``r`` at
    ``lrs[i]`` (shorter when the repeat stopped at divergence). ``divergence_lrs`` holds
    each repeat's divergence LR (``None``: no divergence up to the top of the sweep),
    ``divergence_lr`` their median, and ``spread`` the ratio of the largest to the smallest
    divergence LR over the repeats. ``min_loss_lrs`` holds each repeat's LR at its lowest
    loss (``None`` when the loss never fell by 10%). A repeat supports LRs up to the lower of
    its divergence LR and its lowest-loss LR (for adaptive optimizers the loss often plateaus
    at a too-high LR instead of exploding); ``suggested_lr`` is a tenth of the median of
    that over the repeats, ``cautious_lr`` a tenth of the smallest.
    """

    optimizer: str
    lrs: list[float]
    losses: list[list[float]]
    divergence_lrs: list[float | None]
    divergence_lr: float | None
    suggested_lr: float | None
    spread: float | None
    steps: int
    repeats: int
    min_loss_lrs: list[float | None] = field(default_factory=list)
    cautious_lr: float | None = None
    elapsed_s: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = json_safe(asdict(self))
        return out


@dataclass
class ModelReport(FindingsVerdict):
    """A checked model: findings, the per-layer table and the LR range test.

    ``facts`` holds what the checker used and measured (task, number of classes, loss, loss
    at initialization and its baseline, optimizer, learning rate, batch size, dataset size);
    ``checks`` the codes that ran and ``skipped`` the ones that could not, with the reason.
    """

    findings: list[Finding]
    layers: list[LayerStats] = field(default_factory=list)
    lr_test: LRRangeTest | None = None
    task: str | None = None
    device: str = "cpu"
    facts: dict[str, Any] = field(default_factory=dict)
    checks: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    elapsed_s: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)

    def _failure_prefix(self) -> str:
        return "check-model: "

    def to_dict(self) -> dict[str, Any]:
        """The JSON document (``schemas/model-check-report.schema.json``)."""
        doc: dict[str, Any] = json_safe(
            {
                "schema_version": SCHEMA_VERSION,
                "dataguard_version": __version__,
                "task": self.task,
                "device": self.device,
                "summary": self.severity_counts(),
                "findings": [f.to_dict() for f in self.findings],
                "layers": [row.to_dict() for row in self.layers],
                "lr_test": self.lr_test.to_dict() if self.lr_test is not None else None,
                "facts": self.facts,
                "checks": self.checks,
                "skipped": self.skipped,
                "elapsed_s": round(self.elapsed_s, 3),
                "timings": {k: round(v, 4) for k, v in self.timings.items()},
            }
        )
        return doc

    def to_json(self, indent: int | None = 2) -> str:
        """``to_dict`` as JSON text."""
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)
