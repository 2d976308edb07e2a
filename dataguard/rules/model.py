"""Codes of the model checker (``dataguard.check_model``, ``dataguard check-model``).

The checker lives in :mod:`dataguard.model_check` (it needs torch); the codes are catalogued
here, torch-free, so that ``dataguard explain`` and docs/rules.md cover them without the extra.
"""

from __future__ import annotations

from dataguard.findings import Severity
from dataguard.rules._context import RuleSpec

__all__ = ["MODEL_CODES"]

_I, _W, _E = Severity.INFO, Severity.WARNING, Severity.ERROR

_SPECS = (
    RuleSpec(
        "DG201", "final-activation-range", "model_output", _E, (7,),
        "output activation cannot reach the target range (ReLU with negative targets, sigmoid "
        "outside [0,1], tanh beyond +-1, clamp/hardtanh heads)",
    ),
    RuleSpec(
        "DG202", "activation-loss-mismatch", "model_output", _E, (7,),
        "softmax/sigmoid before a loss that expects logits; wrong loss for the task",
    ),
    RuleSpec(
        "DG203", "output-scale", "model_output", _W, (1, 2),
        "initial outputs vs target scale; loss at init far from its baseline "
        "(CE vs ln C, MSE vs Var(y))",
    ),
    RuleSpec("DG204", "degenerate-init", "init", _E, (9,), "zero, constant or symmetric weights"),
    RuleSpec(
        "DG205", "init-variance", "init", _W, (9,),
        "activation variance collapsing or exploding layer by layer, vs He/Xavier/LeCun "
        "expectations",
    ),
    RuleSpec(
        "DG206", "dead-units", "gradients", _W, (8,), "ReLU units that never activate on the batch"
    ),
    RuleSpec(
        "DG207", "vanishing-exploding", "gradients", _W, (8,),
        "per-layer gradient norms out of proportion; NaN/inf gradients (error), also under "
        "fp16/bf16 autocast when asked",
    ),
    RuleSpec(
        "DG208", "zero-gradient-path", "gradients", _E, (8,),
        "parameters that get no gradient; round/argmax/detach/clamp in the loss path, named by op",
    ),
    RuleSpec(
        "DG209", "too-deep", "capacity", _W, (10,),
        "plain deep stacks without normalization/residuals for a first model",
    ),
    RuleSpec(
        "DG210", "width", "capacity", _W, (11,),
        "bottlenecks narrower than the task (classes, inputs, outputs) or far oversized",
    ),
    RuleSpec(
        "DG211", "regularization", "regularization", _I, (4,),
        "none at all (info); dropout so strong the net cannot fit, or dropout/batch-norm in "
        "training mode at evaluation (warning)",
    ),
    RuleSpec(
        "DG212", "batch-size", "batch_size", _W, (5,),
        "batch too large for the dataset (few updates per epoch)",
    ),
    RuleSpec(
        "DG213", "learning-rate", "learning_rate", _W, (6,),
        "LR range test: divergence LR, suggestion ~10x below, spread over repeats; configured "
        "LR above divergence (error)",
    ),
    RuleSpec(
        "DG214", "clipping-masks-lr", "learning_rate", _W, (6,),
        "gradient clipping active on most steps, hiding a too-high LR",
    ),
    RuleSpec(
        "DG215", "cannot-overfit", "training_loop", _E, (2,),
        "the model cannot drive the loss down on one small batch",
    ),
    RuleSpec(
        "DG216", "input-scale", "scale", _W, (1,),
        "the tensors actually fed to the model are not normalized",
    ),
    RuleSpec(
        "DG217", "training-step", "training_loop", _E, (2,),
        "the user's own training step, observed: gradients accumulating without zero_grad, eval "
        "mode while training, parameters never updated, loss turning NaN",
    ),
)  # fmt: skip

#: Every model-checker code, by code, in order.
MODEL_CODES: dict[str, RuleSpec] = {s.code: s for s in _SPECS}
