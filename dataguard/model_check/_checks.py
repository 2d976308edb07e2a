"""The checks that read one observed forward/backward pass (no training).

Each function takes the :class:`Facts` of the pass and returns findings; thresholds are
module constants, documented with their reason in docs/model_check.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from dataguard.findings import Finding, Severity
from dataguard.model_check._observe import (
    INF,
    NORMS,
    RELU_FAMILY,
    SATURATING,
    ZERO_DERIVATIVE,
    Observation,
    Op,
    ancestors_params,
    head_chain,
    out_range,
)
from dataguard.model_check._report import LayerStats, finding, num
from dataguard.model_check._setup import Setup, input_tensors

__all__ = ["Facts", "layer_table", "static_checks"]

_I, _W, _E = Severity.INFO, Severity.WARNING, Severity.ERROR

# -- thresholds (docs/model_check.md explains each) -----------------------------------------
#: DG201: share of targets outside the head's range that makes it an error (else warning).
OUTSIDE_ERROR_SHARE = 0.01
#: DG202: integer targets with a regression loss and at most this many distinct values, with
#: no task declared, look like class labels (a warning); else they are counts (info).
CLASS_LIKE_LEVELS = 20
#: DG201 (info): share of regression targets on a tanh/sigmoid asymptote (a sigmoid decoder
#: on images with black backgrounds trains fine; reaching the bound takes large weights).
ASYMPTOTE_SHARE = 0.05
#: DG203: target magnitude (RMS) above which, and above this multiple of the outputs' RMS
#: at initialization, the network first spends its steps learning the output scale.
TARGET_SCALE = 10.0
#: DG203: loss at init over the best constant prediction's loss, for regression.
LOSS_RATIO = 10.0
#: DG203: a classifier's loss at init above CE_INIT_FACTOR x the uniform loss (ln C, ln 2)
#: + CE_INIT_MARGIN is confidently wrong (default inits land within ~0.1 of ln C).
CE_INIT_FACTOR, CE_INIT_MARGIN = 3.0, 0.5
#: DG203 (info): predicting the priors beats uniform predictions by this share of the uniform
#: loss, and by at least this many nats: initialize the output bias to the log priors.
PRIOR_GAIN_SHARE, PRIOR_GAIN_MIN = 0.25, 0.1
#: DG205: activation RMS shrinking below / growing above this factor of the RMS where the
#: stack starts (the data, or the last normalization) is a collapse / an explosion.
COLLAPSE, EXPLODE = 1e-3, 1e3
#: DG205: share of a hidden tanh/sigmoid layer's outputs within 1% of an asymptote.
SATURATED_SHARE = 0.5
#: DG206: share of a ReLU layer's units never active on the batch, and the least batch.
DEAD_SHARE, DEAD_MIN_ROWS = 0.25, 16
#: DG207: ratio of the largest to the smallest relative gradient (|g|/|w|) across layers.
GRAD_SPREAD = 1e4
#: DG209: weighted layers on the longest path of a plain stack.
MAX_PLAIN_DEPTH = 8
#: DG210: parameters per training row above which the model is far oversized (info).
PARAMS_PER_ROW = 1000.0
#: DG211: dropout probability (of dropping) from which the net can hardly fit.
STRONG_DROPOUT = 0.75
#: DG212: fewest updates per epoch before a batch is too large, and the smallest batch judged.
MIN_UPDATES, MIN_JUDGED_BATCH = 4.0, 16
#: DG212 (info): batch norm estimates its statistics from the batch; below this many rows
#: they are mostly noise.
BN_MIN_BATCH = 8
#: DG216: a fed feature is not normalized when its RMS exceeds INPUT_RMS and its largest
#: |value| INPUT_MAX_FACTOR x that (a 0/1 or count-like feature near unit scale passes), or
#: when its mean is over INPUT_OFFSET_Z standard deviations and INPUT_OFFSET_MIN from 0.
INPUT_RMS, INPUT_MAX_FACTOR = 4.0, 2.0
INPUT_OFFSET_Z, INPUT_OFFSET_MIN = 4.0, 2.0
#: DG216: a fed feature whose RMS is below this (and not constant) is tiny (info).
INPUT_TINY = 1e-2
#: DG216: spread of feature scales (largest / smallest RMS) that is a disparity.
INPUT_DISPARITY = 1e3


@dataclass
class Facts:
    """One observed pass and what was computed around it."""

    setup: Setup
    model: nn.Module
    obs: Observation
    output: torch.Tensor | None
    targets_raw: torch.Tensor  # the observed batch's targets, as fed
    all_targets: torch.Tensor  # every batch's targets, float, flattened
    inputs: Any
    loss0: float | None = None
    baseline: dict[str, float] = field(default_factory=dict)
    grads: dict[str, tuple[float, float, bool, bool]] = field(default_factory=dict)
    # name -> (grad norm, weight norm, grad is None, grad all zero)
    grad_symmetric: dict[str, bool] = field(default_factory=dict)
    loss_ok: bool = True
    loss_detached: bool = False  # the model's output carries a gradient, the loss does not
    eval_obs: Observation | None = None
    eval_stochastic: float | None = None
    nonfinite_grads: list[str] = field(default_factory=list)

    @property
    def head(self) -> list[Op]:
        return head_chain(self.obs.output_op)

    @property
    def weighted(self) -> list[Op]:
        return [op for op in self.obs.ops if op.weighted]


# -- DG201 ------------------------------------------------------------------------------------


def check_final_activation(fx: Facts) -> list[Finding]:
    s = fx.setup
    if s.task != "regression" or s.loss.kind not in ("regression", "custom"):
        return []
    lo, hi, by = out_range(fx.obs.output_op)
    if by is None:
        return []
    y = fx.all_targets[torch.isfinite(fx.all_targets)]
    if y.numel() == 0:
        return []
    span = max(hi - lo, 1.0) if math.isfinite(hi - lo) else 1.0
    tol = 1e-6 * span
    below = float((y < lo - tol).float().mean())
    above = float((y > hi + tol).float().mean())
    ymin, ymax = float(y.min()), float(y.max())
    declared = s.target_range if s.range_declared else None
    share = below + above
    beyond = declared is not None and (declared[0] < lo - tol or declared[1] > hi + tol)
    rng = f"[{num(lo)}, {num(hi)}]"
    out: list[Finding] = []
    evidence = {
        "output_low": lo,
        "output_high": hi,
        "bounded_by": by.name,
        "module": by.module,
        "share_below": below,
        "share_above": above,
        "target_min": ymin,
        "target_max": ymax,
        "target_range": list(declared) if declared else None,
    }
    if share > 0 or beyond:
        # the whole training set (the profile's range) beyond the head is an error too
        sev = _E if share >= OUTSIDE_ERROR_SHARE or beyond else _W
        where = (
            f"{share:.1%} of the targets lie outside (targets {num(ymin)} to {num(ymax)})"
            if share > 0
            else f"the training targets range over [{num(declared[0])}, {num(declared[1])}]"  # type: ignore[index]
        )
        out.append(
            finding(
                "DG201",
                f"Output: {by.where} confines it to {rng}, but {where}; the model can never fit "
                "them: remove the final activation (a regression head needs none) or rescale "
                "the targets into its range",
                evidence,
                severity=sev,
                fix={"final_activation": None},
            )
        )
        return out
    if by.name in SATURATING and s.loss.kind == "regression":
        width = hi - lo
        at = float(((y <= lo + 0.01 * width) | (y >= hi - 0.01 * width)).float().mean())
        if at >= ASYMPTOTE_SHARE:
            evidence["share_at_asymptote"] = at
            out.append(
                finding(
                    "DG201",
                    f"Output: {by.where} only approaches {rng}, and {at:.0%} of the targets sit "
                    "on those bounds: the head's gradient vanishes there and the weights grow to "
                    "reach them; use no final activation, or targets strictly inside the range",
                    evidence,
                    severity=_I,
                )
            )
    return out


# -- DG202 ------------------------------------------------------------------------------------


def _probs_like(out: torch.Tensor) -> tuple[bool, bool]:
    """(all in [0, 1], rows sum to 1 along dim 1)"""
    if out.numel() == 0 or not out.is_floating_point():
        return False, False
    o = out.detach().float()
    unit = bool(((o >= 0) & (o <= 1)).all())
    rows = bool(
        o.ndim >= 2
        and o.shape[1] > 1
        and torch.allclose(o.sum(1), torch.ones_like(o.sum(1)), atol=1e-4)
    )
    return unit, unit and rows


def _log_probs_like(out: torch.Tensor) -> bool:
    o = out.detach().float()
    if o.ndim < 2 or o.shape[1] < 2 or bool((o > 1e-6).any()):
        return False
    return bool(torch.allclose(torch.logsumexp(o, 1), torch.zeros_like(o[:, 0]), atol=1e-3))


@dataclass
class _Pairing:
    """What DG202 looks at: the outputs, the targets, the head and the loss."""

    fx: Facts
    out: torch.Tensor
    y: torch.Tensor
    head: str | None
    where: str
    lo: float
    hi: float
    bounded: bool
    found: list[Finding] = field(default_factory=list)

    def bad(self, msg: str, sev: Severity = _E, stop: bool = False, **extra: Any) -> None:
        s = self.fx.setup
        ev = {
            "loss": s.loss.name,
            "output_shape": list(self.out.shape),
            "target_shape": list(self.y.shape),
            "head": self.head,
            **extra,
        }
        self.found.append(finding("DG202", msg, ev, severity=sev))
        if stop:
            self.fx.loss_ok = False


def check_loss_pairing(fx: Facts) -> list[Finding]:
    """DG202; sets ``fx.loss_ok`` False when computing the loss would crash or mislead."""
    if fx.output is None:
        return []
    head = fx.head
    first = head[-1] if head else None
    lo, hi, by = out_range(fx.obs.output_op)
    pr = _Pairing(
        fx,
        fx.output,
        fx.targets_raw,
        first.name if first is not None else None,
        first.where if first is not None else "the model",
        lo,
        hi,
        by is not None,
    )
    kind = fx.setup.loss.kind
    if kind in ("ce", "nll"):
        if _class_targets(pr):
            _class_head(pr) if kind == "ce" else _nll_head(pr)
    elif kind in ("bce", "bce_logits"):
        _binary(pr)
    elif kind == "regression":
        _regression(pr)
    return pr.found


def _class_shapes(pr: _Pairing) -> bool:
    """Classes on the last dim of a sequence output, or float class indices: the loss
    would crash or mislead."""
    name, out, y = pr.fx.setup.loss.name, pr.out, pr.y
    last = out.ndim >= 3 and y.ndim == out.ndim - 1 and list(y.shape) == list(out.shape[:-1])
    if last and list(y.shape) != [out.shape[0], *out.shape[2:]]:
        pr.bad(
            f"{name}: outputs {list(out.shape)} put the classes last, but {name} wants them "
            f"on dim 1 ([batch, classes, ...]); the targets {list(y.shape)} match "
            "outputs[..., class]: pass outputs.permute(0, -1, *range(1, outputs.ndim - 1)) "
            "or flatten both to [N, classes] and [N]",
            stop=True,
        )
        return False
    if y.is_floating_point() and y.ndim == out.ndim - 1:
        pr.bad(
            f"{name}: targets are {str(y.dtype).replace('torch.', '')} of shape "
            f"{list(y.shape)}: class indices must be integers (torch.long), or give class "
            f"probabilities of the outputs' shape {list(out.shape)}",
            stop=True,
        )
        return False
    return True


def _class_targets(pr: _Pairing) -> bool:
    """Output width against the labels; False when the loss cannot run."""
    s, out, y = pr.fx.setup, pr.out, pr.y
    name = s.loss.name
    if out.ndim < 2:
        pr.bad(
            f"{name}: outputs of shape {list(out.shape)} have no class dimension; it needs "
            "[batch, classes] logits",
            stop=True,
        )
        return False
    width = int(out.shape[1])
    if width == 1 and out.ndim >= 3 and y.ndim == 1:
        pr.bad(
            f"{name}: outputs {list(out.shape)} keep a length-1 dim 1 (a one-step sequence), so "
            f"{name} reads 1 class and {out.shape[2]} positions; drop it "
            "(outputs.squeeze(1) or outputs[:, -1]) to get [batch, classes]",
            stop=True,
        )
        return False
    if width == 1:
        pr.bad(
            f"{name}: the model has 1 output unit: softmax over one logit is always 1, the loss "
            "is constant 0 and no gradient flows; give the head one unit per class, or use "
            "BCEWithLogitsLoss for a binary task",
            stop=True,
            n_outputs=1,
        )
        return False
    if not _class_shapes(pr):
        return False
    if y.is_floating_point():  # probabilities per class (soft labels)
        return True
    ignore = getattr(s.loss.fn, "ignore_index", -100)
    valid = y[y != ignore]
    ymax = int(valid.max()) if valid.numel() else 0
    ymin = int(valid.min()) if valid.numel() else 0
    needed = max(ymax + 1, s.n_classes or 0)
    extra: dict[str, Any] = {"n_outputs": width, "n_classes": needed, "max_label": ymax}
    if ymin < 0:
        pr.bad(f"{name}: targets include label {ymin}; class indices must be 0..C-1", stop=True)
        return False
    if needed > width:
        pr.bad(
            f"{name}: the head has {width} outputs but the task has {needed} classes (largest "
            f"label {ymax}); labels >= {width} crash or corrupt the loss: make the last layer "
            f"{needed} units wide",
            stop=True,
            **extra,
        )
        return False
    if s.n_classes is not None and width > s.n_classes:
        pr.bad(
            f"{name}: the head has {width} outputs for {s.n_classes} classes; the extra logits "
            "are never a target (harmless, but check the class count)",
            _I,
            **extra,
        )
    return True


def _over_batch(pr: _Pairing) -> bool:
    """A softmax / log_softmax head normalizing over the batch (dim 0)."""
    head = pr.fx.head[-1] if pr.fx.head else None
    if head is None or head.name not in ("softmax", "log_softmax"):
        return False
    dim = head.scalars.get("dim")
    ndim = len(head.out_shape or [])
    if not isinstance(dim, int) or dim not in (0, -ndim):
        return False
    pr.bad(
        f"{head.where} normalizes over dim 0, the batch: each class's scores are normalized "
        "across the samples instead of each sample's across the classes; use dim=1 (or -1)",
        dim=dim,
    )
    return True


def _class_head(pr: _Pairing) -> None:
    if _over_batch(pr):
        return
    _, rows = _probs_like(pr.out)
    if pr.head == "softmax" or (pr.head != "log_softmax" and rows):
        pr.bad(
            f"CrossEntropyLoss is fed probabilities: the outputs come from {pr.where} and sum to "
            "1; CrossEntropyLoss applies log_softmax itself, so the softmax twice squashes the "
            "gradients: return the raw logits"
        )
    elif pr.head == "log_softmax":
        pr.bad(
            "CrossEntropyLoss is fed log-probabilities (log_softmax in the model): harmless, "
            "since log_softmax is idempotent, but redundant; return logits, or pair log_softmax "
            "with NLLLoss",
            _I,
        )
    elif pr.bounded and math.isfinite(pr.hi - pr.lo):
        pr.bad(
            f"CrossEntropyLoss is fed logits confined to [{num(pr.lo)}, {num(pr.hi)}] by "
            f"{pr.where}: bounded logits cap the confidence the model can express; return "
            "unbounded logits from a Linear layer",
            bounded_low=pr.lo,
            bounded_high=pr.hi,
        )


def _nll_head(pr: _Pairing) -> None:
    if _over_batch(pr):
        return
    _, rows = _probs_like(pr.out)
    if pr.head == "log_softmax" or _log_probs_like(pr.out):
        return
    if pr.head == "softmax" or rows:
        pr.bad(
            f"NLLLoss is fed probabilities (from {pr.where}), not log-probabilities: use "
            "log_softmax, or CrossEntropyLoss on the logits"
        )
    else:
        pr.bad(
            "NLLLoss is fed raw scores: it takes -output[target], which falls without bound as "
            "the scores grow, so training diverges; add log_softmax, or use CrossEntropyLoss on "
            "the logits"
        )


def _binary(pr: _Pairing) -> None:
    name, out, y = pr.fx.setup.loss.name, pr.out, pr.y
    if out.shape != y.shape:
        pr.bad(
            f"{name}: outputs {list(out.shape)} and targets {list(y.shape)} differ in shape; "
            "reshape one to the other",
            stop=True,
        )
        return
    if not y.is_floating_point():
        pr.bad(
            f"{name}: targets are {str(y.dtype).replace('torch.', '')}; binary cross-entropy "
            "needs float targets (y.float())",
            stop=True,
        )
        return
    yf = y.float()
    if bool(((yf < 0) | (yf > 1)).any()):
        pr.bad(
            f"{name}: targets must be probabilities in [0, 1], found {num(float(yf.min()))} to "
            f"{num(float(yf.max()))}",
            stop=True,
        )
        return
    unit, _ = _probs_like(out)
    in_unit = pr.bounded and pr.lo >= 0 and pr.hi <= 1
    if pr.fx.setup.loss.kind == "bce" and not in_unit and not unit:
        pr.bad(
            "BCELoss needs probabilities in [0, 1], but the outputs are unbounded (observed "
            f"{num(float(out.min()))} to {num(float(out.max()))}): use BCEWithLogitsLoss on "
            "the raw outputs (numerically stable)",
            stop=True,
        )
    elif pr.fx.setup.loss.kind == "bce_logits" and in_unit:
        pr.bad(
            f"BCEWithLogitsLoss is fed probabilities from {pr.where}: it applies the sigmoid "
            "itself, so outputs end up in (0.5, 0.73) and the loss cannot fall; return the raw "
            "logits"
        )


def _regression(pr: _Pairing) -> None:
    s, out, y = pr.fx.setup, pr.out, pr.y
    name = s.loss.name
    if s.task == "classification":
        pr.bad(
            f"{name} on class labels: a regression loss treats class k as the number k (class 9 "
            "is 'near' class 8); use CrossEntropyLoss with one output per class",
            stop=not y.is_floating_point(),
        )
        return
    if not y.is_floating_point():
        levels = int(torch.unique(y).numel())
        looks_like_classes = not s.task_declared and levels <= CLASS_LIKE_LEVELS
        pr.bad(
            f"{name} on {str(y.dtype).replace('torch.', '')} targets ({levels} distinct values)"
            + (
                ": these look like class labels, and a regression loss treats class k as the "
                "number k; use CrossEntropyLoss with one output per class, or declare "
                "task='regression' if they are counts"
                if looks_like_classes
                else ": cast them with y.float() (integer targets can fail in other losses and "
                "mixed precision)"
            ),
            _W if looks_like_classes else _I,
            levels=levels,
        )
    if out.shape != y.shape:
        try:
            b = torch.broadcast_shapes(out.shape, y.shape)
        except RuntimeError:
            pr.bad(
                f"{name}: outputs {list(out.shape)} and targets {list(y.shape)} do not broadcast",
                stop=True,
            )
            return
        if list(b) != list(out.shape) or list(b) != list(y.shape):
            pr.bad(
                f"{name}: outputs {list(out.shape)} and targets {list(y.shape)} broadcast to "
                f"{list(b)}: every output is compared with every target; reshape the targets to "
                "the outputs' shape (e.g. y.view(-1, 1))"
            )
    if pr.bounded and pr.head in ("softmax", "log_softmax"):
        pr.bad(
            f"{name} on outputs from {pr.where}: a regression loss on a probability distribution; "
            "use CrossEntropyLoss for classes, no final activation for values"
        )


# -- DG203 ------------------------------------------------------------------------------------


def check_output_scale(fx: Facts) -> list[Finding]:
    s, out = fx.setup, fx.output
    if out is None or fx.loss0 is None or not fx.loss_ok:
        return []
    kind, y = s.loss.kind, fx.targets_raw
    l0 = fx.loss0
    ev: dict[str, Any] = {"loss_at_init": l0, **fx.baseline}
    if not math.isfinite(l0):
        return []
    if kind == "regression":
        o = out.detach().float()
        yf = y.detach().float()
        y_rms = float(yf.square().mean().sqrt())
        o_rms = float(o.square().mean().sqrt())
        ev.update(
            target_mean=float(yf.mean()),
            target_std=float(yf.std(unbiased=False)),
            target_rms=y_rms,
            output_mean=float(o.mean()),
            output_std=float(o.std(unbiased=False)),
            output_rms=o_rms,
        )
        base = fx.baseline.get("baseline_loss")
        if y_rms > TARGET_SCALE and y_rms > TARGET_SCALE * max(o_rms, 1e-12):
            return [
                finding(
                    "DG203",
                    f"Targets have magnitude {num(y_rms)} (mean {num(ev['target_mean'])}, std "
                    f"{num(ev['target_std'])}) but the outputs at initialization are about "
                    f"{num(o_rms)}: the first epochs go to learning the output scale, with huge "
                    "gradients; standardize the target (dataguard fit does, and inverts it) or "
                    f"set the output bias to {num(ev['target_mean'])}",
                    ev,
                    fix={"target": "standardize"},
                )
            ]
        if base is not None and base > 0 and l0 > LOSS_RATIO * base:
            return [
                finding(
                    "DG203",
                    f"Loss at initialization is {num(l0)}, {num(l0 / base)}x the {num(base)} of "
                    f"always predicting the target mean: the initial outputs (RMS {num(o_rms)}) "
                    f"are far off the targets (RMS {num(y_rms)}); scale down the last layer's "
                    "initialization or set its bias to the target mean",
                    ev,
                )
            ]
        return []
    if kind in ("ce", "nll", "bce_logits", "bce"):
        uniform = fx.baseline.get("uniform_loss")
        prior = fx.baseline.get("prior_loss")
        if uniform is None:
            return []
        out_f: list[Finding] = []
        if l0 > CE_INIT_FACTOR * uniform + CE_INIT_MARGIN:
            out_f.append(
                finding(
                    "DG203",
                    f"Loss at initialization is {num(l0)}, against {num(uniform)} for uniform "
                    f"predictions{' (ln C)' if kind in ('ce', 'nll') else ' (ln 2)'}: the initial "
                    "logits are confidently wrong; scale down the last layer's initialization",
                    ev,
                )
            )
        elif prior is not None and uniform - prior > max(
            PRIOR_GAIN_SHARE * uniform, PRIOR_GAIN_MIN
        ):
            out_f.append(
                finding(
                    "DG203",
                    f"Classes are imbalanced: predicting the class priors gives loss {num(prior)}, "
                    f"uniform predictions {num(uniform)}; initializing the output bias to the log "
                    "priors starts training there instead of spending the first steps on it",
                    ev,
                    severity=_I,
                    fix={"output_bias": "log_priors"},
                )
            )
        return out_f
    return []


# -- DG204 ------------------------------------------------------------------------------------


def _rows_identical(t: torch.Tensor) -> bool:
    r = t.detach().reshape(t.shape[0], -1)
    if r.shape[0] < 2:
        return False
    return bool((r == r[0:1]).all())


def check_degenerate_init(fx: Facts) -> list[Finding]:
    params = dict(fx.model.named_parameters())
    stuck: list[str] = []
    loose: list[tuple[str, str]] = []
    for op in fx.weighted:
        for name in op.params:
            p = params.get(name)
            if p is None or p.ndim < 2 or not p.requires_grad or p.shape[0] < 2:
                continue
            w = p.detach()
            if bool((w == 0).all()):
                what = "all zero"
            elif bool((w == w.reshape(-1)[0]).all()):
                what = f"constant {num(float(w.reshape(-1)[0]))}"
            elif _rows_identical(w):
                what = "identical for every output unit"
            else:
                continue
            if fx.grad_symmetric.get(name, True):
                stuck.append(f"{name} ({what})")
            else:
                loose.append((name, what))
    out: list[Finding] = []
    if stuck:
        out.append(
            finding(
                "DG204",
                f"Weights {', '.join(stuck[:4])}{' ...' if len(stuck) > 4 else ''}: every unit of "
                "the layer starts identical and its gradient is identical too, so the units stay "
                "copies of one another forever; use the default (He/Xavier/LeCun) random "
                "initialization",
                {"parameters": stuck},
                fix={"init": "kaiming_normal"},
            )
        )
    if loose:
        names = ", ".join(f"{n} ({w})" for n, w in loose[:4])
        out.append(
            finding(
                "DG204",
                f"Weights {names} start degenerate, but their gradient differs per unit, so "
                "training breaks the symmetry (zero-initialized output or residual layers are a "
                "common choice)",
                {"parameters": [n for n, _ in loose]},
                severity=_I,
            )
        )
    return out


# -- DG205 ------------------------------------------------------------------------------------


def _signal_extremes(fx: Facts) -> tuple[tuple[float, Op | None], tuple[float, Op | None], str]:
    """The smallest and largest sample-to-sample variation entering a weighted layer,
    relative to where the stack starts (the data, or the output of the last normalization)."""
    ref: float | None = None
    ref_where = "the input"
    lowest: tuple[float, Op | None] = (INF, None)
    highest: tuple[float, Op | None] = (0.0, None)
    for op in fx.obs.ops:
        if op.name in NORMS:
            ref = None
            continue
        if not op.weighted:
            continue
        value, out_sig = op.stats.get("in_sig"), op.stats.get("sig")
        if ref is None:
            base = value if value is not None and value > 0 else out_sig
            if base is not None and base > 0 and math.isfinite(base):
                ref, ref_where = base, op.module or op.name
            continue
        if value is None or not math.isfinite(value) or value == 0:
            continue  # exactly no signal: zero weights or dead units (DG204, DG206)
        ratio = value / ref
        if ratio < lowest[0]:
            lowest = (ratio, op)
        if ratio > highest[0]:
            highest = (ratio, op)
    return lowest, highest, ref_where


def check_init_variance(fx: Facts) -> list[Finding]:
    head_ops = {op.index for op in fx.head}
    lowest, highest, ref_where = _signal_extremes(fx)
    out: list[Finding] = []
    weights = _weight_ratios(fx)
    if lowest[1] is not None and lowest[0] < COLLAPSE:
        op = lowest[1]
        out.append(
            finding(
                "DG205",
                f"Activations collapse: at layer '{op.module or op.name}' they vary "
                f"{num(lowest[0])}x as much across samples as at '{ref_where}'; the signal (and "
                "the gradient) vanish with depth. Weight std x sqrt(fan_in) is "
                f"{num(min(weights.values()) if weights else float('nan'))} at the smallest (He "
                "init gives 1.41, LeCun/Xavier about 1); use He (ReLU) or Xavier/LeCun (tanh) "
                "initialization, or add normalization",
                {"rms_ratio": lowest[0], "layer": op.module, "weight_ratios": weights},
                fix={"init": "kaiming_normal"},
            )
        )
    if highest[1] is not None and highest[0] > EXPLODE:
        op = highest[1]
        out.append(
            finding(
                "DG205",
                f"Activations explode: at layer '{op.module or op.name}' they vary "
                f"{num(highest[0])}x as much across samples as at '{ref_where}'. Weight std x "
                f"sqrt(fan_in) reaches {num(max(weights.values()) if weights else float('nan'))} "
                "(He init gives 1.41); use He or Xavier/LeCun initialization",
                {"rms_ratio": highest[0], "layer": op.module, "weight_ratios": weights},
                fix={"init": "kaiming_normal"},
            )
        )
    for op in fx.obs.ops:
        sat = op.stats.get("saturated")
        if (
            op.name in SATURATING
            and op.index not in head_ops
            and sat is not None
            and sat >= SATURATED_SHARE
        ):
            out.append(
                finding(
                    "DG205",
                    f"Layer '{op.module or op.name}' ({op.name}): {sat:.0%} of its outputs sit "
                    "within 1% of an asymptote, where the gradient is ~0; its inputs are too "
                    "large (unnormalized inputs or too large initial weights)",
                    {"saturated_share": sat, "layer": op.module},
                )
            )
            break
    return out


def _weight_ratios(fx: Facts) -> dict[str, float]:
    params = dict(fx.model.named_parameters())
    out: dict[str, float] = {}
    for op in fx.weighted:
        for name in op.params:
            p = params.get(name)
            if p is None or p.ndim < 2:
                continue
            fan_in, _ = nn.init._calculate_fan_in_and_fan_out(p)
            std = float(p.detach().float().std())
            out[name] = std * math.sqrt(fan_in)
    return out


# -- DG206 ------------------------------------------------------------------------------------


def check_dead_units(fx: Facts) -> list[Finding]:
    rows = int(fx.targets_raw.shape[0])
    if rows < DEAD_MIN_ROWS:
        return []
    head_ops = {op.index for op in fx.head}
    out = []
    for op in fx.obs.ops:
        dead = op.stats.get("dead")
        units = op.stats.get("units", 0)
        if (
            op.name in RELU_FAMILY
            and op.index not in head_ops
            and dead is not None
            and units >= 4
            and dead >= DEAD_SHARE
        ):
            out.append(
                finding(
                    "DG206",
                    f"Layer '{op.module or op.name}' ({op.name}): {dead:.0%} of its {int(units)} "
                    f"units are never active on {rows} rows: they pass no gradient and never "
                    "recover; check the bias initialization and the input scale, or use "
                    "LeakyReLU/ELU",
                    {"dead_share": dead, "units": int(units), "rows": rows, "layer": op.module},
                    fix={"activation": "leaky_relu"},
                )
            )
    return out


# -- DG207 (one pass) ---------------------------------------------------------------------------


def check_gradients(fx: Facts) -> list[Finding]:
    out: list[Finding] = []
    if fx.loss0 is not None and not math.isfinite(fx.loss0):
        out.append(
            finding(
                "DG207",
                f"Loss at initialization is {fx.loss0}: NaN/inf reaches the loss before any "
                "update; check the inputs for NaN/inf and the loss for log(0)",
                {"loss_at_init": fx.loss0},
                severity=_E,
            )
        )
        return out
    if fx.nonfinite_grads:
        out.append(
            finding(
                "DG207",
                f"Gradients of {', '.join(fx.nonfinite_grads[:4])} contain NaN/inf at "
                "initialization",
                {"parameters": fx.nonfinite_grads},
                severity=_E,
            )
        )
        return out
    rel: list[tuple[float, str]] = []
    params = dict(fx.model.named_parameters())
    for op in fx.weighted:
        if op.name in ("embedding", "embedding_bag"):
            continue
        for name in op.params:
            p = params.get(name)
            g = fx.grads.get(name)
            if p is None or g is None or p.ndim < 2:
                continue
            gn, wn, none, zero = g
            if none or zero or wn <= 0:
                continue
            rel.append((gn / wn, name))
    if len(rel) >= 2:
        lo, hi = min(rel), max(rel)
        spread = hi[0] / lo[0]
        if spread > GRAD_SPREAD:
            out.append(
                finding(
                    "DG207",
                    f"Gradients are out of proportion: relative gradient |g|/|w| is {num(hi[0])} "
                    f"at {hi[1]} but {num(lo[0])} at {lo[1]} ({num(spread)}x apart): one part of "
                    "the net learns while the other is frozen (vanishing/exploding gradients); "
                    "fix the initialization, add normalization or residual connections",
                    {
                        "spread": spread,
                        "largest": hi[1],
                        "smallest": lo[1],
                        "relative_gradients": {n: v for v, n in rel},
                    },
                )
            )
    return out


# -- DG208 ------------------------------------------------------------------------------------


def _behind_zero_weights(fx: Facts, params: dict[str, nn.Parameter]) -> set[str]:
    """Parameters upstream of an all-zero parameter that itself gets a gradient: a
    zero-initialized output layer, residual branch (Fixup), norm scale (zero_init_residual)
    or scalar gate (ReZero). The first step makes it nonzero and the gradient flows."""
    zero_but_learning = {
        n
        for n, p in params.items()
        if p.requires_grad
        and not bool(p.detach().any())
        and n in fx.grads
        and not fx.grads[n][2]
        and not fx.grads[n][3]
    }
    behind: set[str] = set()
    for op in fx.obs.ops:
        if zero_but_learning.intersection(op.params):
            for parent in op.parents:
                if parent is not None:
                    behind |= ancestors_params(parent)
    return behind


def _cut_ops(fx: Facts) -> list[tuple[Op, str]]:
    """Ops, in forward order, that take a gradient-carrying input and pass none on (and why)."""
    suspects: list[tuple[Op, str]] = []
    for op in fx.obs.ops:
        if not op.requires_grad_in:
            continue
        if not op.requires_grad_out:
            why = (
                "it runs under torch.no_grad() (or inference_mode), so its result carries no "
                "gradient"
                if not op.grad_enabled
                else "its result carries no gradient"
            )
            suspects.append((op, why))
        elif op.name in ZERO_DERIVATIVE:
            suspects.append((op, "its derivative is zero almost everywhere"))
        elif op.stats.get("inside") == 0.0:
            suspects.append((op, "every input lies outside its range, so its gradient is 0"))
    return suspects


def _loss_detached(zero: set[str]) -> list[Finding]:
    names = sorted(zero)
    return [
        finding(
            "DG208",
            f"No parameter gets a gradient: the model's output carries one, but the loss does "
            f"not ({len(names)} parameter tensors cut off); loss_fn rebuilds the loss outside "
            "autograd (.item(), numpy, torch.tensor(...)) or detaches it; compute it with torch "
            "operations on the output tensor",
            {"parameters": names[:50], "loss_detached": True},
        )
    ]


def check_zero_gradient(fx: Facts) -> list[Finding]:
    params = dict(fx.model.named_parameters())
    trainable = {n for n, p in params.items() if p.requires_grad}
    zero = {n for n, g in fx.grads.items() if n in trainable and (g[2] or g[3])}
    # upstream of an all-zero weight (a zero-initialized output or residual branch) the
    # gradient is zero only until the first step updates that weight: not a cut path
    zero -= _behind_zero_weights(fx, params)
    if not zero:
        return []
    if fx.loss_detached:
        return _loss_detached(zero)
    used = {n for op in fx.obs.ops for n in op.params}
    suspects = _cut_ops(fx)
    out: list[Finding] = []
    explained: set[str] = set()
    for op, why in suspects:
        cut = (ancestors_params(op) & zero) - explained
        if not cut:
            continue
        explained |= cut
        n_values = sum(params[n].numel() for n in cut)
        names = sorted(cut)
        out.append(
            finding(
                "DG208",
                f"{len(names)} parameter tensor(s) ({n_values:,} values: "
                f"{', '.join(names[:4])}{' ...' if len(names) > 4 else ''}) get no gradient: the "
                f"path to the loss is cut by {op.where}, and {why}; keep it out of the loss path "
                "(use a differentiable surrogate, or apply it only at inference)",
                {"parameters": names, "op": op.name, "module": op.module, "values": n_values},
            )
        )
    rest = zero - explained
    unused = sorted(n for n in rest if n not in used)
    # a bias or norm scale alone with a zero gradient is normal: a bias feeding a batch norm
    # has an exactly-zero gradient in exact arithmetic; a cut path zeroes the weights too
    other = sorted(n for n in rest - set(unused) if params[n].ndim >= 2)
    if other:
        out.append(
            finding(
                "DG208",
                f"{len(other)} parameter tensor(s) ({', '.join(other[:4])}) get no gradient on "
                "this batch although forward uses them; something between them and the loss has "
                "zero derivative",
                {"parameters": other},
            )
        )
    if unused:
        out.append(
            finding(
                "DG208",
                f"{len(unused)} parameter tensor(s) "
                f"({', '.join(unused[:4])}{' ...' if len(unused) > 4 else ''}) are never used by "
                "forward on this batch, so they never train (harmless if intended)",
                {"parameters": unused},
                severity=_I,
            )
        )
    return out


# -- DG209 / DG210 ------------------------------------------------------------------------------


def check_depth(fx: Facts) -> list[Finding]:
    ops = fx.obs.ops
    depth = max((op.depth for op in ops), default=0)
    norms = any(op.name in NORMS for op in ops)
    skips = any(op.skip for op in ops)
    if depth > MAX_PLAIN_DEPTH and not norms and not skips:
        return [
            finding(
                "DG209",
                f"The model is a plain stack {depth} weighted layers deep, with no normalization "
                "and no residual connection: deep plain stacks are hard to train, and a first "
                f"model should have 3-{MAX_PLAIN_DEPTH} layers; start shallower, or add "
                "normalization and skip connections",
                {
                    "depth": depth,
                    "normalization": norms,
                    "residual": skips,
                    "max_plain_depth": MAX_PLAIN_DEPTH,
                },
            )
        ]
    return []


def _needed_width(fx: Facts) -> int | None:
    """How many numbers per sample the output must be able to vary in: the classes for a
    classifier (dim 1 of its logits), the outputs per sample for a regression -- except a
    reconstruction (targets shaped like an input: an autoencoder's bottleneck is the point)."""
    s, out = fx.setup, fx.output
    if out is None or out.ndim < 1 or out.shape[0] == 0:
        return None
    if s.loss.kind in ("ce", "nll"):
        return s.n_classes or (int(out.shape[1]) if out.ndim >= 2 else None)
    y = fx.targets_raw
    if any(t.shape == y.shape for _, t in input_tensors(fx.inputs)):
        return None
    return int(out[0].numel())


def check_width(fx: Facts) -> list[Finding]:
    s, op = fx.setup, fx.obs.output_op
    out: list[Finding] = []
    needed = _needed_width(fx)
    where: str | None = None
    if op is not None and needed and 0 < op.cap < needed:  # located, or it is no finding
        narrow = [o for o in fx.weighted if o.out_shape and _width(o) == op.cap]
        where = (narrow[-1].module or narrow[-1].name) if narrow else None
    if op is not None and needed and 0 < op.cap < needed and where is not None:
        out.append(
            finding(
                "DG210",
                f"A bottleneck of {op.cap} units (at '{where}') is narrower than the {needed} "
                "outputs the task needs: the network cannot represent them; make hidden "
                "layers wider than the output (5-10x the classes is a good start)",
                {"bottleneck": op.cap, "needed": needed, "layer": where},
            )
        )
    n_params = sum(p.numel() for p in fx.model.parameters() if p.requires_grad)
    if s.n_train and n_params > PARAMS_PER_ROW * s.n_train:
        out.append(
            finding(
                "DG210",
                f"The model has {n_params:,} trainable parameters for {s.n_train:,} training rows "
                f"({n_params / s.n_train:,.0f} per row): far oversized; it trains slower and "
                "memorizes; try narrower layers first",
                {"parameters": n_params, "n_train": s.n_train},
                severity=_I,
            )
        )
    return out


# -- DG211 ------------------------------------------------------------------------------------


def _width(op: Op) -> int:
    shape = op.out_shape or []
    n = 1
    for d in shape[1:]:
        n *= d
    return n


_DROPOUT_MODULES = frozenset(
    {"Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout"}
)


def _dropouts(fx: Facts) -> list[tuple[str, float]]:
    """Every dropout with p > 0: modules, and functional calls active in training."""
    ps = [
        (name, float(m.p))
        for name, m in fx.model.named_modules()
        if isinstance(m, nn.modules.dropout._DropoutNd) and m.p > 0
    ]
    for op in fx.obs.ops:
        functional = op.module_type not in _DROPOUT_MODULES
        active = op.scalars.get("p") and op.scalars.get("training", True)
        if op.name.endswith("dropout") and functional and active:
            ps.append((f"{op.module or 'forward'}:{op.name}", float(op.scalars["p"])))
    return ps


def _eval_mode(fx: Facts) -> list[Finding]:
    """Dropout or batch statistics still on after ``model.eval()``; random eval outputs."""
    out: list[Finding] = []
    ops = fx.eval_obs.ops if fx.eval_obs is not None else []
    drop = next(
        (
            op
            for op in ops
            if op.name.endswith("dropout")
            and op.scalars.get("training")
            and (op.scalars.get("p") or 0) > 0
        ),
        None,
    )
    if drop is not None:
        out.append(
            finding(
                "DG211",
                f"Dropout stays on in evaluation: {drop.where} runs with training=True after "
                "model.eval() (F.dropout defaults to training=True); pass "
                "training=self.training, or use nn.Dropout",
                {"op": drop.name, "module": drop.module, "p": drop.scalars.get("p")},
                severity=_W,
            )
        )
    norm = next((op for op in ops if op.name == "batch_norm" and op.scalars.get("training")), None)
    if norm is not None:
        out.append(
            finding(
                "DG211",
                f"Batch norm uses batch statistics in evaluation: {norm.where} runs with "
                "training=True after model.eval(), so predictions depend on the batch; let the "
                "module follow model.eval()",
                {"op": norm.name, "module": norm.module},
                severity=_W,
            )
        )
    if not out and fx.eval_stochastic is not None and fx.eval_stochastic > 0:
        out.append(
            finding(
                "DG211",
                "The model is random in evaluation: two forwards of the same batch after "
                f"model.eval() differ (max |difference| {num(fx.eval_stochastic)}): fine for a "
                "sampler (a VAE drawing z), a bug if noise should stop at model.eval()",
                {"max_difference": fx.eval_stochastic},
                severity=_I,
            )
        )
    return out


def check_regularization(fx: Facts) -> list[Finding]:
    s = fx.setup
    out: list[Finding] = []
    ps = _dropouts(fx)
    strong = [(n, p) for n, p in ps if p >= STRONG_DROPOUT]
    if strong:
        n, p = max(strong, key=lambda t: t[1])
        out.append(
            finding(
                "DG211",
                f"Dropout '{n}' drops {p:.0%} of the units (p={p:g} is the probability to DROP in "
                f"PyTorch, keeping {1 - p:.0%}): the net can hardly fit; the 0.75-0.9 often "
                "quoted is a keep probability: use p=0.1-0.5",
                {"dropout": dict(strong)},
                severity=_W,
                fix={"dropout_p": round(1 - p, 2)},
            )
        )
    out.extend(_eval_mode(fx))
    if not ps and s.weight_decay == 0 and s.loss.label_smoothing == 0:
        out.append(
            finding(
                "DG211",
                "No regularization: no dropout, no weight decay, no label smoothing; some noise "
                "(dropout 0.1-0.5, weight decay, augmentation) smooths the loss landscape and "
                "often speeds convergence",
                {"dropout": [], "weight_decay": 0.0},
                severity=_I,
            )
        )
    return out


# -- DG212 ------------------------------------------------------------------------------------


def _batch_order(fx: Facts) -> list[Finding]:
    """Batches of a classification loader sorted by class (``shuffle=False`` on sorted data):
    each batch sees a few classes, and the model chases one class after another."""
    s = fx.setup
    ys = [y for _, y in s.batches]
    if len(ys) < 2 or s.loss.kind not in ("ce", "nll") or any(y.is_floating_point() for y in ys):
        return []
    labels = torch.cat([y.reshape(-1) for y in ys])
    classes = int(torch.unique(labels).numel())
    per_batch = [int(torch.unique(y).numel()) for y in ys]
    steps = labels[1:] - labels[:-1]
    monotone = bool((steps >= 0).all()) or bool((steps <= 0).all())
    if classes < 2 or not monotone or max(per_batch) >= classes:
        return []
    return [
        finding(
            "DG212",
            f"The batches come sorted by class: over {len(ys)} batches the labels never go "
            f"back, and each batch holds {min(per_batch)}-{max(per_batch)} of the {classes} "
            "classes seen; every step pulls the model toward the current class and away from "
            "the others (and class priors read from these batches are wrong); shuffle the "
            "training data (DataLoader(..., shuffle=True))",
            {"batches": len(ys), "classes": classes, "classes_per_batch": per_batch},
        )
    ]


def check_batch_size(fx: Facts) -> list[Finding]:
    s = fx.setup
    found = _batch_order(fx)
    if s.tiny_batches:
        found.append(
            finding(
                "DG212",
                f"Batch {s.tiny_batches[0]} holds 1 row and the model has batch norm, which "
                "cannot normalize one row in training (it raises): the last batch of each epoch "
                "will crash or skew it; use DataLoader(..., drop_last=True). The checks left it "
                "out",
                {"one_row_batches": s.tiny_batches},
            )
        )
    return found + _batch_size(fx)


def _batch_size(fx: Facts) -> list[Finding]:
    s = fx.setup
    norms = [
        n for n, m in fx.model.named_modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)
    ]
    if s.batch_size and s.batch_size < BN_MIN_BATCH and norms:
        return [
            finding(
                "DG212",
                f"Batch size {s.batch_size} with batch norm ('{norms[0]}'"
                f"{f' and {len(norms) - 1} more' if len(norms) > 1 else ''}): the batch statistics "
                f"of {s.batch_size} rows are mostly noise (and 1 row fails); use batches of "
                f"{BN_MIN_BATCH}+ or GroupNorm/LayerNorm",
                {"batch_size": s.batch_size, "batch_norm": norms[:10]},
                severity=Severity.INFO,
            )
        ]
    if not s.batch_size or not s.n_train:
        return []
    updates = s.n_train / s.batch_size
    if s.batch_size > MIN_JUDGED_BATCH and updates < MIN_UPDATES:
        return [
            finding(
                "DG212",
                f"Batch size {s.batch_size} on {s.n_train:,} training rows gives {updates:.1f} "
                "updates per epoch: too few, low-noise steps that generalize worse; start small "
                f"(16-64, at most {max(16, s.n_train // 20)} here) and raise it only for speed",
                {"batch_size": s.batch_size, "n_train": s.n_train, "updates_per_epoch": updates},
                fix={"batch_size": max(16, min(64, s.n_train // 20))},
            )
        ]
    return []


# -- DG216 ------------------------------------------------------------------------------------


def _feature_axis(t: torch.Tensor, conv_first: bool) -> int:
    if t.ndim in (4, 5):
        return 1
    if t.ndim == 3:
        return 1 if conv_first else 2
    return t.ndim - 1


def check_input_scale(fx: Facts) -> list[Finding]:
    conv_first = next((op.name.startswith("conv") for op in fx.weighted), False)
    out: list[Finding] = []
    for label, t in input_tensors(fx.inputs):
        if not t.is_floating_point() or t.ndim < 2 or t.shape[0] < 2:
            continue
        axis = _feature_axis(t, conv_first)
        x = t.detach().float().movedim(axis, -1).reshape(-1, t.shape[axis])
        finite = torch.isfinite(x)
        x = torch.where(finite, x, torch.zeros_like(x))
        n = finite.float().sum(0).clamp_min(1)
        mean = x.sum(0) / n
        var = ((x - mean).square() * finite).sum(0) / n
        std = var.sqrt()
        rms = (mean.square() + var).sqrt()
        absmax = x.abs().amax(0)
        stats = torch.stack([mean, std, rms, absmax]).cpu()
        mean_l, std_l, rms_l, max_l = (stats[i].tolist() for i in range(4))
        k = len(mean_l)
        big = [
            i for i in range(k) if rms_l[i] > INPUT_RMS and max_l[i] > INPUT_MAX_FACTOR * INPUT_RMS
        ]
        offset = [
            i
            for i in range(k)
            if i not in big
            and std_l[i] > 0
            and abs(mean_l[i]) > INPUT_OFFSET_Z * std_l[i]
            and abs(mean_l[i]) > INPUT_OFFSET_MIN
        ]
        varying = [i for i in range(k) if std_l[i] > 0]
        tiny = [i for i in varying if rms_l[i] < INPUT_TINY]
        name = "channel" if (t.ndim >= 4 or (t.ndim == 3 and conv_first)) else "feature"
        if big or offset:
            idx = big + offset
            worst = max(idx, key=lambda i: rms_l[i])
            out.append(
                finding(
                    "DG216",
                    f"{label}: {len(idx)} of {k} {name}s are not normalized (e.g. {name} {worst}: "
                    f"mean {num(mean_l[worst])}, std {num(std_l[worst])}, max |x| "
                    f"{num(max_l[worst])}); networks assume inputs with mean ~0 and std ~1; "
                    "standardize them (dataguard fit writes the transform)",
                    {
                        "input": label,
                        "unnormalized": idx[:50],
                        "count": len(idx),
                        "n_features": k,
                        "worst": {
                            "index": worst,
                            "mean": mean_l[worst],
                            "std": std_l[worst],
                            "max_abs": max_l[worst],
                        },
                    },
                    fix={"transform": "standardize"},
                )
            )
            continue
        if len(varying) >= 2:
            scales = [rms_l[i] for i in varying if rms_l[i] > 0]
            if scales and max(scales) / min(scales) > INPUT_DISPARITY:
                out.append(
                    finding(
                        "DG216",
                        f"{label}: {name} scales differ {num(max(scales) / min(scales))}x (RMS "
                        f"{num(min(scales))} to {num(max(scales))}): the small ones are drowned "
                        "out; standardize each feature",
                        {"input": label, "min_rms": min(scales), "max_rms": max(scales)},
                        fix={"transform": "standardize"},
                    )
                )
                continue
        if tiny and len(tiny) == len(varying):
            out.append(
                finding(
                    "DG216",
                    f"{label}: every {name} is tiny (RMS below {INPUT_TINY:g}); rescale to unit "
                    "scale",
                    {"input": label, "tiny": tiny[:50]},
                    severity=_I,
                )
            )
    return out


# -- the layer table --------------------------------------------------------------------------


def layer_table(fx: Facts) -> list[LayerStats]:
    params = dict(fx.model.named_parameters())
    rows: list[LayerStats] = []
    counts: dict[str, int] = {}
    for op in fx.obs.ops:
        if not (
            op.weighted
            or op.name in NORMS
            or op.stats.get("dead") is not None
            or op.name in SATURATING
            or op.name
            in (
                "gelu",
                "silu",
                "elu",
                "leaky_relu",
                "softmax",
                "log_softmax",
                "softplus",
                "mish",
                "selu",
            )
        ):
            continue
        leafish = op.module and op.module_type not in ("Sequential", "ModuleList")
        base = op.module if leafish else (op.module or "forward")
        key = f"{base}:{op.name}"
        counts[key] = counts.get(key, 0) + 1
        name = (
            base
            if _owns(op)
            else f"{base}:{op.name}" + (f"#{counts[key]}" if counts[key] > 1 else "")
        )
        row = LayerStats(
            name=name,
            kind=op.module_type if _owns(op) else op.name,
            shape=op.out_shape,
            act_mean=op.stats.get("mean"),
            act_std=op.stats.get("std"),
            dead_fraction=op.stats.get("dead"),
            saturated_fraction=op.stats.get("saturated"),
        )
        weight = next((params[n] for n in op.params if n in params and params[n].ndim >= 2), None)
        wname = next((n for n in op.params if n in params and params[n].ndim >= 2), None)
        if weight is not None and wname is not None:
            fan_in, fan_out = nn.init._calculate_fan_in_and_fan_out(weight)
            std = float(weight.detach().float().std()) if weight.numel() > 1 else 0.0
            g = fx.grads.get(wname)
            row.grad_norm = g[0] if g is not None and not g[2] else None
            row.weight_norm = g[1] if g is not None else None
            row.weight_std = std
            row.fan_in, row.fan_out = int(fan_in), int(fan_out)
            row.weight_ratio = std * math.sqrt(fan_in)
            row.expected_std = {
                "he": math.sqrt(2.0 / fan_in),
                "xavier": math.sqrt(2.0 / (fan_in + fan_out)),
                "lecun": math.sqrt(1.0 / fan_in),
            }
        rows.append(row)
    return rows


#: Functions whose module class is not their name, normalized.
_OP_MODULE = {"multi_head_attention_forward": "multiheadattention"}


def _plain(name: str) -> str:
    """``Conv2d`` / ``conv2d`` -> ``conv``, ``BatchNorm1d`` / ``batch_norm`` -> ``batchnorm``."""
    for cut in ("_", "1d", "2d", "3d"):
        name = name.replace(cut, "")
    return name.lower()


def _owns(op: Op) -> bool:
    """The op is the whole work of its (leaf) module, e.g. Linear -> linear."""
    return bool(op.module) and _plain(op.module_type) == _OP_MODULE.get(op.name, _plain(op.name))


def check_optimizer_params(fx: Facts) -> list[Finding]:
    """DG217 without a training step: an optimizer instance that does not hold the model's
    parameters (built for an earlier model instance, or before a new head was attached)."""
    s = fx.setup
    if s.optimizer_missing is None or not s.optimizer_missing:
        return []
    if s.optimizer_foreign:
        return [
            finding(
                "DG217",
                "The optimizer holds none of this model's parameters: it was built for another "
                "model instance (the model was re-created, copied or moved by re-instantiation "
                "after the optimizer); optimizer.step() will never change this model; build the "
                "optimizer from the final model's parameters",
                {"missing": s.optimizer_missing[:50], "n_missing": len(s.optimizer_missing)},
            )
        ]
    names = ", ".join(s.optimizer_missing[:4]) + (" ..." if len(s.optimizer_missing) > 4 else "")
    return [
        finding(
            "DG217",
            f"The optimizer does not hold {len(s.optimizer_missing)} trainable parameter "
            f"tensor(s) ({names}): they will never be updated (a layer replaced or added after "
            "the optimizer was built); build the optimizer after the final model, or freeze them "
            "with requires_grad_(False) if that is the intent",
            {"missing": s.optimizer_missing[:50], "n_missing": len(s.optimizer_missing)},
            severity=_W,
        )
    ]


STATIC_CHECKS = {
    "DG201": check_final_activation,
    "DG203": check_output_scale,
    "DG204": check_degenerate_init,
    "DG205": check_init_variance,
    "DG206": check_dead_units,
    "DG207": check_gradients,
    "DG208": check_zero_gradient,
    "DG209": check_depth,
    "DG210": check_width,
    "DG211": check_regularization,
    "DG212": check_batch_size,
    "DG216": check_input_scale,
}


def static_checks(fx: Facts, codes: set[str]) -> list[Finding]:
    """Every static check in ``codes`` (DG202 runs earlier, before the loss)."""
    out: list[Finding] = []
    for code, check in STATIC_CHECKS.items():
        if code in codes:
            out.extend(check(fx))
    return out
