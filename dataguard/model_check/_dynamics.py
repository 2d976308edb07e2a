"""The checks that train a copy of the model for a few steps.

DG213 (LR range test), DG214 (clipping at the configured LR), DG215 (overfit one small
batch), DG217 (the user's own training step) and the autocast pass of DG207. Each starts from
a fresh copy of the model as it was given; the user's model is never stepped.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from dataguard.findings import Finding, Severity
from dataguard.model_check._guard import Hooks, seed
from dataguard.model_check._report import LRRangeTest, finding, num
from dataguard.model_check._setup import Setup, call_model, concat, first_tensor, subset

__all__ = [
    "amp_check",
    "clipping_check",
    "lr_findings",
    "lr_range_test",
    "overfit_check",
    "train_step_check",
]

_I, _W, _E = Severity.INFO, Severity.WARNING, Severity.ERROR

# -- thresholds (docs/model_check.md) ----------------------------------------------------------
#: DG213: the sweep, its steps per repeat and its repeats.
LR_MIN, LR_MAX, LR_STEPS, LR_REPEATS = 1e-7, 10.0, 60, 3
#: DG213: smoothing of the loss (EMA) and the rise over the best loss that counts as
#: divergence; also divergence: back above the starting loss after falling below LR_LOST of it
#: (a ReLU net "killed" by a too-large step returns to a constant output, not to infinity).
LR_SMOOTH, LR_RISE, LR_LOST = 0.5, 4.0, 0.7
#: DG213: rows of the fixed set the loss is measured on after each step; and how far the loss
#: must fall for the LR of its lowest point to count (a flat curve's minimum is noise).
LR_EVAL_ROWS, LR_FELL = 512, 0.9
#: DG213: steps before divergence is judged (the smoothed loss needs a few points), and the
#: divergence LR at or below which the loss explodes whatever the LR (a data or loss problem).
LR_WARMUP_STEPS, LR_EXPLODES_EARLY = 3, LR_MIN * 100
#: DG213: configured LR this far below the cautious suggestion: info, then warning; and the
#: extra factor for adaptive optimizers (Adam-like).
LR_LOW_INFO, LR_LOW_WARN, ADAPTIVE_LENIENCY = 100.0, 1000.0, 10.0
#: DG214: steps at the configured LR, and the share of clipped steps that counts as most;
#: clipping that often is a warning when the LR is within CLIP_NEAR_DIVERGENCE of divergence.
CLIP_STEPS, CLIP_SHARE, CLIP_NEAR_DIVERGENCE = 25, 0.5, 10.0
#: DG214: a median gradient norm this many times the clip norm makes clipping the real LR
#: of a non-adaptive optimizer (Adam-like ones divide the scale out, so it matters little).
CLIP_EXTREME = 100.0
ADAPTIVE = frozenset(
    {"Adam", "AdamW", "Adamax", "NAdam", "RAdam", "Adagrad", "Adadelta", "RMSprop", "SparseAdam",
     "Adafactor"}
)  # fmt: skip
#: DG215: rows of the small batch, most steps per LR tried, the loss fall asked for, and the
#: fall below which it is an error rather than a warning.
OVERFIT_ROWS, OVERFIT_STEPS, OVERFIT_FALL, OVERFIT_ERROR_FALL = 32, 300, 0.9, 0.5
#: DG215: wall-clock bound per LR tried; LRs within a factor e^OVERFIT_SAME_LR of one already
#: tried are not tried again.
OVERFIT_SECONDS, OVERFIT_SAME_LR = 20.0, 0.5
#: DG215: at most this many (optimizer, LR) tries; Adam's LRs are tried after the
#: configured optimizer's (the check is about the model and loss, not the optimizer).
OVERFIT_TRIES, OVERFIT_ADAM_LRS = 3, (1e-3, 1e-2)
#: DG215: with a custom loss the floor is unknown (a VAE's KL term keeps it far above 0), so
#: only a loss that falls less than this share of the way to 0 is reported (as an error).
OVERFIT_CUSTOM_FALL = 0.25
#: DG217: calls of the user's train_step.
STEP_CALLS = 5
#: float16's largest finite value.
FP16_MAX = 65504.0


def _loss(setup: Setup, model: nn.Module, x: Any, y: torch.Tensor) -> torch.Tensor:
    return setup.loss(call_model(model, x), y)


def default_lr(setup: Setup) -> float:
    name = setup.optimizer_name.lower()
    return 1e-2 if name in ("sgd", "asgd") else (1.0 if name in ("adadelta", "lbfgs") else 1e-3)


def _batch_for(
    setup: Setup, step: int, repeat: int, gen: torch.Generator
) -> tuple[Any, torch.Tensor]:
    batches = setup.batches
    if len(batches) > 1:
        return batches[(step + repeat) % len(batches)]
    x, y = batches[0]
    n = int(y.shape[0])
    if n < 8:
        return x, y
    k = max(4, (3 * n) // 4)
    idx = torch.randperm(n, generator=gen)[:k].to(y.device)
    return subset(x, idx), y.index_select(0, idx)


# -- DG213 ------------------------------------------------------------------------------------


def lr_range_test(
    fresh: Callable[[], nn.Module],
    setup: Setup,
    *,
    repeats: int = LR_REPEATS,
    steps: int = LR_STEPS,
) -> LRRangeTest:
    """Exponential sweep from LR_MIN to LR_MAX, ``steps`` steps, repeated; no clipping.

    Each step trains on a batch (repeats start at different batches, or draw different
    sub-batches of a single one) and then measures the loss on a fixed evaluation set (every
    batch given, up to LR_EVAL_ROWS rows), so a small or noisy batch does not fake a
    divergence.
    """
    t0 = time.perf_counter()
    lrs = [LR_MIN * (LR_MAX / LR_MIN) ** (i / (steps - 1)) for i in range(steps)]
    evaluation = _evaluation_set(setup)
    curves: list[list[float]] = []
    divergences: list[float | None] = []
    minima: list[float | None] = []
    for r in range(repeats):
        curve, diverged, at_min = _sweep(fresh, setup, lrs, r, evaluation)
        curves.append(curve)
        divergences.append(diverged)
        minima.append(at_min)
    found = sorted(d for d in divergences if d is not None)
    median = _median(found) if len(found) * 2 > repeats else None
    caps = [_cap(d, m) for d, m in zip(divergences, minima, strict=True)]
    usable = [c for c in caps if c is not None]
    return LRRangeTest(
        optimizer=setup.optimizer_name,
        lrs=lrs,
        losses=curves,
        divergence_lrs=divergences,
        divergence_lr=median,
        suggested_lr=_median(sorted(usable)) / 10 if len(usable) * 2 > repeats else None,
        spread=found[-1] / found[0] if len(found) >= 2 else None,
        steps=steps,
        repeats=repeats,
        min_loss_lrs=minima,
        cautious_lr=min(usable) / 10 if len(usable) == repeats else None,
        elapsed_s=time.perf_counter() - t0,
    )


def _median(values: list[float]) -> float:
    n = len(values)
    return values[n // 2] if n % 2 else math.sqrt(values[n // 2 - 1] * values[n // 2])


def _cap(divergence: float | None, at_min: float | None) -> float | None:
    """The largest LR one repeat supports: its divergence LR, or the LR of its lowest loss
    when that comes first (a plateau at a high LR is no progress either). A lowest loss in
    the sweep's top decade, with no divergence, says nothing (the loss still falls at 10)."""
    if divergence is None:
        return at_min if at_min is not None and at_min < LR_MAX / 10 else None
    return divergence if at_min is None else min(divergence, at_min)


def _evaluation_set(setup: Setup) -> tuple[Any, torch.Tensor] | None:
    xs, ys, rows = [], [], 0
    for x, y in setup.batches:
        xs.append(x)
        ys.append(y)
        rows += int(y.shape[0])
        if rows >= LR_EVAL_ROWS:
            break
    try:
        return concat(xs), torch.cat(ys)
    except (RuntimeError, TypeError, ValueError):  # ragged batches: evaluate on the batch
        return None


def _sweep(
    fresh: Callable[[], nn.Module],
    setup: Setup,
    lrs: list[float],
    repeat: int,
    evaluation: tuple[Any, torch.Tensor] | None,
) -> tuple[list[float], float | None, float | None]:
    """One repeat: (smoothed losses, divergence LR, LR of the lowest loss if it fell)."""
    seed(1000 + repeat, setup.device)
    gen = torch.Generator().manual_seed(2000 + repeat)
    model = fresh().train()
    opt = setup.make_optimizer(model.parameters(), lrs[0])
    smooth, best, first, at_best = 0.0, math.inf, math.nan, lrs[0]
    curve: list[float] = []
    for i, lr in enumerate(lrs):
        for group in opt.param_groups:
            group["lr"] = lr
        x, y = _batch_for(setup, i, repeat, gen)
        opt.zero_grad(set_to_none=True)
        loss = _loss(setup, model, x, y)
        if not torch.isfinite(loss.detach()):
            return curve, lr, None
        loss.backward()
        opt.step()
        if evaluation is not None:
            with torch.no_grad():
                value = float(_loss(setup, model, *evaluation).detach())
        else:
            value = float(loss.detach())
        if not math.isfinite(value):
            return curve, lr, None
        smooth = LR_SMOOTH * smooth + (1 - LR_SMOOTH) * value
        s = smooth / (1 - LR_SMOOTH ** (i + 1))
        curve.append(s)
        first = s if i == 0 else first
        if s < best:
            best, at_best = s, lr
        if i >= LR_WARMUP_STEPS and _diverged(s, best, first):
            return curve, lr, at_best if _fell(first, best, 1 - LR_FELL) else None
    return curve, None, at_best if _fell(first, best, 1 - LR_FELL) else None


def _fell(first: float, best: float, share: float) -> bool:
    """The loss fell by ``share`` of its starting magnitude (losses may be negative: a
    Gaussian NLL, a log-likelihood)."""
    return first - best >= share * max(abs(first), 1e-12)


def _diverged(s: float, best: float, first: float) -> bool:
    """The loss exploded: it rose above its best by LR_RISE - 1 times the larger of the best
    loss's magnitude and the fall so far (for a positive loss that has not fallen, the classic
    "4 x the best"); or all progress was lost: back above the start after falling by
    1 - LR_LOST (dead units, a constant output)."""
    scale = max(abs(best), first - best)
    return s - best > (LR_RISE - 1) * scale or (_fell(first, best, 1 - LR_LOST) and s > first)


def _divergence_text(div: float | None) -> str:
    return f"divergence at {num(div)}" if div is not None else f"no divergence up to {LR_MAX:g}"


def lr_findings(test: LRRangeTest, setup: Setup) -> list[Finding]:
    lr, div, sug = setup.lr, test.divergence_lr, test.suggested_lr
    found = [d for d in test.divergence_lrs if d is not None]
    ev = {
        "lr": lr,
        "divergence_lr": div,
        "suggested_lr": sug,
        "divergence_lrs": test.divergence_lrs,
        "spread": test.spread,
        "optimizer": test.optimizer,
    }
    noisy = f" (repeats spread {test.spread:.1f}x)" if test.spread and test.spread > 10 else ""
    if div is not None and div <= LR_EXPLODES_EARLY:
        return [
            finding(
                "DG213",
                f"The loss explodes even at learning rate {num(div)} in the range test{noisy}: the "
                "problem is not the learning rate; look for unnormalized data or targets, "
                "NaN/inf inputs, or a loss that is unbounded below",
                ev,
                severity=_W,
            )
        ]
    if lr is None:
        if sug is None:
            return []
        return [
            finding(
                "DG213",
                f"No learning rate given; the range test ({test.optimizer}: "
                f"{_divergence_text(div)}{noisy}) suggests starting at about {num(sug)}",
                ev,
                severity=_I,
                fix={"lr": sug},
            )
        ]
    if div is not None and lr > div:
        return [
            finding(
                "DG213",
                f"Learning rate {num(lr)} is above the divergence LR {num(div)} of the range test "
                f"({test.optimizer}, {test.repeats} repeats{noisy}): the loss will explode; use "
                f"about {num(sug)}",
                ev,
                severity=_E,
                fix={"lr": sug},
            )
        ]
    if found and lr > min(found):
        return [
            finding(
                "DG213",
                f"Learning rate {num(lr)} is above the divergence LR of "
                f"{sum(d < lr for d in found)} of {test.repeats} range-test repeats (lowest "
                f"{num(min(found))}; median {num(div)}): it is near the edge of divergence; "
                f"about {num(sug)} is safer",
                ev,
                severity=_I,
                fix={"lr": sug},
            )
        ]
    # "too low" is judged against the most cautious repeat, so a noisy sweep never calls a
    # sound LR slow
    low = test.cautious_lr
    # an adaptive optimizer normalizes its steps, and its range test tops out far above the
    # LRs that generalize (Adam's 1e-3 is sound where the test survives 1): 10x more lenient
    lenient = ADAPTIVE_LENIENCY if _adaptive(setup) else 1.0
    if low is not None and lr < low / (LR_LOW_INFO * lenient):
        sev = _W if lr < low / (LR_LOW_WARN * lenient) else _I
        return [
            finding(
                "DG213",
                f"Learning rate {num(lr)} is {num(low / lr)}x below {num(low)}, the most cautious "
                f"range-test repeat's suggestion (median suggestion {num(sug)}, "
                f"{_divergence_text(div)}{noisy}): training will crawl; try about {num(low)}",
                ev,
                severity=sev,
                fix={"lr": sug},
            )
        ]
    return []


# -- DG214 ------------------------------------------------------------------------------------


def clipping_check(
    fresh: Callable[[], nn.Module], setup: Setup, test: LRRangeTest | None
) -> list[Finding]:
    if setup.clip is None or setup.lr is None:
        return []
    norms = _clip_norms(fresh, setup, setup.clip, setup.lr)
    if not norms:
        return []
    clip, lr = setup.clip, setup.lr
    clipped = sum(n > clip for n in norms) / len(norms)
    median = sorted(norms)[len(norms) // 2]
    div = test.divergence_lr if test else None
    ev = {"clip": clip, "lr": lr, "share_clipped": clipped, "steps": len(norms),
          "median_norm": median, "divergence_lr": div}  # fmt: skip
    if clipped < CLIP_SHARE:
        return []
    active = f"Gradient clipping at {num(clip)} is active on {clipped:.0%} of {len(norms)} steps"
    if div is not None and lr > div / CLIP_NEAR_DIVERGENCE:
        return [
            finding(
                "DG214",
                f"{active} at LR {num(lr)} (median gradient norm {num(median)}), and that LR is "
                f"within 10x of (or above) the divergence LR {num(div)}: clipping is hiding a "
                "too-high learning rate; lower the LR and clip rarely, if at all",
                ev,
                severity=_W,
            )
        ]
    if median > CLIP_EXTREME * clip and not _adaptive(setup):
        return [
            finding(
                "DG214",
                f"{active} and shrinks every one: the median gradient norm is {num(median)}, "
                f"{num(median / clip)}x the clip, so {setup.optimizer_name} moves as if the LR "
                f"were {num(lr * clip / median)} instead of {num(lr)}; training will crawl: "
                "raise the clip norm (or drop clipping) and tune the LR itself",
                ev,
                severity=_W,
            )
        ]
    return [
        finding(
            "DG214",
            f"{active} (median gradient norm {num(median)}): every step is shortened, which "
            "acts as a lower LR; fine if intended",
            ev,
            severity=_I,
        )
    ]


def _clip_norms(
    fresh: Callable[[], nn.Module], setup: Setup, clip: float, lr: float
) -> list[float]:
    """Total gradient norms before clipping, over CLIP_STEPS steps of training as configured."""
    seed(3000, setup.device)
    gen = torch.Generator().manual_seed(3001)
    model = fresh().train()
    opt = setup.make_optimizer(model.parameters(), lr)
    norms: list[float] = []
    params = [p for p in model.parameters() if p.requires_grad]
    for i in range(CLIP_STEPS):
        x, y = _batch_for(setup, i, 0, gen)
        opt.zero_grad(set_to_none=True)
        loss = _loss(setup, model, x, y)
        if not torch.isfinite(loss.detach()):
            break
        loss.backward()
        norms.append(float(torch.nn.utils.clip_grad_norm_(params, clip)))
        opt.step()
    return norms


def _adaptive(setup: Setup) -> bool:
    return setup.optimizer_name in ADAPTIVE


# -- DG215 ------------------------------------------------------------------------------------


def _floor(setup: Setup, y: torch.Tensor, out: torch.Tensor | None) -> float:
    """The lowest loss a perfect fit can reach: 0, except where the targets are themselves
    uncertain -- label smoothing, class probabilities (mixup) or BCE targets strictly between
    0 and 1 (pixels, soft labels) -- whose floor is the targets' entropy."""
    kind = setup.loss.kind
    with torch.no_grad():
        if kind in ("bce", "bce_logits") and y.is_floating_point():
            p = y.float().clamp(0.0, 1.0)
            h = -(torch.xlogy(p, p) + torch.xlogy(1 - p, 1 - p))
            return float(h.mean())
        if kind == "ce" and out is not None and out.ndim >= 2:
            c = int(out.shape[1])
            eps = setup.loss.label_smoothing
            if y.is_floating_point() and y.shape == out.shape:  # class probabilities
                q = y.float() * (1 - eps) + eps / c
                return float(-(torch.xlogy(q, q)).sum(1).mean())
            if eps > 0:
                hi, lo = 1 - eps + eps / c, eps / c
                return float(-(hi * math.log(hi) + (c - 1) * lo * math.log(lo)))
    return 0.0


@dataclass
class OverfitResult:
    ok: bool
    start: float
    best: float
    floor: float
    steps: int
    lr: float
    fall: float
    optimizer: str


def overfit_check(
    fresh: Callable[[], nn.Module], setup: Setup, test: LRRangeTest | None
) -> list[Finding]:
    x, y = setup.batches[0]
    n = int(y.shape[0])
    k = min(OVERFIT_ROWS, n)
    idx = torch.arange(k, device=y.device)
    xs, ys = subset(x, idx), y.index_select(0, idx)
    results: list[OverfitResult] = []
    for make, lr in _overfit_attempts(setup, test):
        res = _overfit(fresh, setup, xs, ys, make, lr)
        results.append(res)
        if res.ok:
            return []
    if not results:
        return []
    best = max(results, key=lambda r: r.fall)
    custom = setup.loss.kind == "custom"
    if custom and best.fall >= OVERFIT_CUSTOM_FALL:
        return []  # a custom loss's floor is unknown (a VAE's KL term): only a stuck loss counts
    ev = {
        "rows": k,
        "start_loss": best.start,
        "best_loss": best.best,
        "floor": best.floor,
        "fall": best.fall,
        "steps": best.steps,
        "lr": best.lr,
        "optimizer": best.optimizer,
        "tried": [f"{r.optimizer} lr {r.lr:.3g}" for r in results],
    }
    sev = _E if best.fall < OVERFIT_ERROR_FALL or custom else _W
    return [
        finding(
            "DG215",
            f"The model cannot overfit one batch of {k} rows: in {best.steps} steps (dropout off, "
            f"{best.optimizer} at LR {num(best.lr)}, best of {len(results)} tries) the loss "
            f"went from {num(best.start)} to {num(best.best)}, a "
            f"{best.fall:.0%} fall against the {OVERFIT_FALL:.0%} any working setup reaches; "
            "something blocks learning (a broken loss or head, cut gradients, labels that do not "
            "match the inputs, or far too little capacity)",
            ev,
            severity=sev,
        )
    ]


Maker = Callable[[Any, float], torch.optim.Optimizer]


def _overfit_attempts(setup: Setup, test: LRRangeTest | None) -> list[tuple[Maker, float]]:
    """What to memorize the batch with: the configured optimizer at the range test's
    suggestion and at the configured LR (when below divergence), then Adam at 1e-3 and 1e-2 --
    the question is whether the model and loss can fit at all, not whether this optimizer
    is tuned (DG213 judges the LR)."""
    attempts: list[tuple[Maker, float, str]] = []
    ceiling = test.divergence_lr if test is not None and test.divergence_lr else math.inf
    for lr in (test.suggested_lr if test else None, setup.lr, default_lr(setup)):
        if lr is None or lr >= ceiling:
            continue
        if all(n != setup.optimizer_name or abs(math.log(lr / c)) > OVERFIT_SAME_LR
               for _, c, n in attempts):  # fmt: skip
            attempts.append((setup.make_optimizer, lr, setup.optimizer_name))
    plain_adam = setup.optimizer_name == "Adam" and not setup.optimizer_kwargs
    for lr in OVERFIT_ADAM_LRS:
        if not any(
            n == "Adam" and plain_adam and abs(math.log(lr / c)) <= OVERFIT_SAME_LR
            for _, c, n in attempts
        ):
            attempts.append((lambda p, lr: torch.optim.Adam(p, lr=lr), lr, "Adam"))
    return [(m, lr) for m, lr, _ in attempts[:OVERFIT_TRIES]]


def _overfit(
    fresh: Callable[[], nn.Module],
    setup: Setup,
    x: Any,
    y: torch.Tensor,
    make: Maker,
    lr: float,
) -> OverfitResult:
    seed(4000, setup.device)
    model = fresh().train()
    for m in model.modules():
        if isinstance(m, nn.modules.dropout._DropoutNd):
            m.eval()
    opt = make(model.parameters(), lr)
    name = type(opt).__name__
    start = best = math.nan
    floor = 0.0
    steps = 0
    deadline = time.perf_counter() + OVERFIT_SECONDS
    for step in range(OVERFIT_STEPS + 1):
        opt.zero_grad(set_to_none=True)
        raw = call_model(model, x)
        out = first_tensor(raw)
        loss = setup.loss(raw, y)
        value = float(loss.detach())
        steps = step
        if step == 0:
            start = best = value
            floor = _floor(setup, y, out)
        if not math.isfinite(value):
            break
        best = min(best, value)
        gap = start - floor
        if gap <= 1e-12 * max(1.0, abs(start)) or best <= floor + (1 - OVERFIT_FALL) * gap:
            return OverfitResult(True, start, best, floor, step, lr, 1.0, name)
        if step == OVERFIT_STEPS or time.perf_counter() > deadline:
            break
        loss.backward()
        opt.step()
    gap = start - floor
    fall = (start - best) / gap if math.isfinite(best) and gap > 0 else 0.0
    return OverfitResult(False, start, best, floor, steps, lr, fall, name)


# -- DG217 ------------------------------------------------------------------------------------


def train_step_check(
    fresh: Callable[[], nn.Module], setup: Setup, train_step: Callable[..., Any], lr: float
) -> list[Finding]:
    seed(5000, setup.device)
    model = fresh()
    opt = setup.make_optimizer(model.parameters(), lr)
    params = {n: p for n, p in model.named_parameters() if p.requires_grad}
    start = {n: p.detach().clone() for n, p in params.items()}
    fresh_grads: dict[str, torch.Tensor] = {}
    modes: list[bool] = []
    accumulated = 0
    checked = 0
    losses: list[float | None] = []
    has_train_modules = any(
        isinstance(m, (nn.modules.dropout._DropoutNd, nn.modules.batchnorm._BatchNorm))
        for m in model.modules()
    )
    found: list[Finding] = []
    with Hooks() as hooks:
        for n, p in params.items():

            def keep(g: torch.Tensor, _n: str = n) -> None:
                prev = fresh_grads.get(_n)
                fresh_grads[_n] = g.detach().clone() if prev is None else prev + g.detach()

            hooks.add(p.register_hook(keep))
        hooks.add(model.register_forward_pre_hook(lambda m, a: modes.append(m.training)))
        for call in range(STEP_CALLS):
            batch = setup.batches[call % len(setup.batches)]
            before = {
                n: (None if p.grad is None else p.grad.detach().clone()) for n, p in params.items()
            }
            fresh_grads.clear()
            try:
                result = train_step(model, opt, batch)
            except Exception as exc:  # the user's code raised: a finding, not a crash
                found.append(
                    finding(
                        "DG217",
                        f"train_step raised {type(exc).__name__} on call {call + 1}: {exc}",
                        {"call": call + 1, "exception": type(exc).__name__, "text": str(exc)[:500]},
                    )
                )
                return found
            losses.append(_value(result))
            acc, chk = _accumulation(params, before, fresh_grads)
            accumulated += acc
            checked += chk
    ev: dict[str, Any] = {"calls": STEP_CALLS, "losses": losses, "lr": lr}
    bad_loss = [i + 1 for i, v in enumerate(losses) if v is not None and not math.isfinite(v)]
    if bad_loss:
        found.append(
            finding(
                "DG217",
                f"train_step returned a NaN/inf loss on call {bad_loss[0]} of {STEP_CALLS} "
                f"(losses: {', '.join(num(v) for v in losses)})",
                ev,
            )
        )
    if checked and accumulated == checked:
        found.append(
            finding(
                "DG217",
                f"Gradients accumulate across steps: on each of {checked} calls the gradient "
                "after train_step was the previous one plus the new one; zero_grad() is never "
                "called, so every update uses the sum of all past gradients; call "
                "optimizer.zero_grad() before loss.backward()",
                {**ev, "accumulated_calls": accumulated},
            )
        )
    elif accumulated:
        found.append(
            finding(
                "DG217",
                f"Gradients accumulated across {accumulated} of {checked} calls of train_step "
                "(gradient accumulation, if intended)",
                {**ev, "accumulated_calls": accumulated},
                severity=_I,
            )
        )
    if modes and not any(modes):
        sev = _E if has_train_modules else _I
        found.append(
            finding(
                "DG217",
                "train_step runs the model in eval mode: model.train() is never called"
                + (
                    ", so dropout is off and batch norm uses its running statistics while training"
                    if has_train_modules
                    else " (no dropout or batch norm here, so nothing changes)"
                )
                + "; call model.train() at the start of each epoch",
                {**ev, "forward_training_flags": modes},
                severity=sev,
            )
        )
    if not modes:
        found.append(finding("DG217", "train_step never calls the model's forward", ev))
    unchanged = sorted(n for n, p in params.items() if torch.equal(p.detach(), start[n]))
    if unchanged and not any(math.isfinite(v) is False for v in losses if v is not None):
        everything = len(unchanged) == len(params)
        what = (
            "no parameter changed: the step never updates the model (no optimizer.step(), no "
            "backward, or the loss computed under torch.no_grad())"
            if everything
            else f"{len(unchanged)} of {len(params)} parameter tensors never changed "
            f"({', '.join(unchanged[:4])}{' ...' if len(unchanged) > 4 else ''}): the optimizer "
            "the step uses does not hold them, or no gradient reaches them"
        )
        found.append(
            finding(
                "DG217",
                f"After {STEP_CALLS} calls of train_step, {what}",
                {**ev, "unchanged": unchanged[:50], "n_unchanged": len(unchanged)},
            )
        )
    return found


def _value(result: Any) -> float | None:
    if isinstance(result, torch.Tensor) and result.numel() == 1:
        return float(result.detach())
    if isinstance(result, (int, float)):
        return float(result)
    if isinstance(result, (tuple, list)) and result:
        return _value(result[0])
    return None


def _accumulation(
    params: dict[str, nn.Parameter],
    before: dict[str, torch.Tensor | None],
    fresh: dict[str, torch.Tensor],
) -> tuple[int, int]:
    """(1, 1) when the grads after the call are the previous grads plus the new ones, (0, 1)
    when they are the new ones (or were cleared), (0, 0) when this call cannot tell."""
    prev_total = 0.0
    acc_err = fresh_err = 0.0
    for n, p in params.items():
        g0, g1, new = before[n], p.grad, fresh.get(n)
        if g0 is None or new is None or g1 is None:
            continue
        g0n = float(g0.float().norm())
        if g0n == 0:
            continue
        prev_total += g0n
        acc_err += float((g1 - (g0 + new)).float().norm())
        fresh_err += float((g1 - new).float().norm())
    if prev_total == 0:
        return 0, 0
    return (1, 1) if acc_err < fresh_err else (0, 1)


# -- DG207 under autocast ----------------------------------------------------------------------


def amp_check(fresh: Callable[[], nn.Module], setup: Setup, max_abs: float | None) -> list[Finding]:
    dtype = setup.amp
    if dtype is None:
        return []
    label = "float16" if dtype == torch.float16 else "bfloat16"
    out: list[Finding] = []
    if dtype == torch.float16 and max_abs is not None and max_abs > FP16_MAX:
        out.append(
            finding(
                "DG207",
                f"Activations reach {num(max_abs)} in float32, beyond float16's largest value "
                f"{FP16_MAX:g}: under float16 autocast they overflow to inf; normalize the inputs "
                "or use bfloat16",
                {"amp": label, "max_abs_activation": max_abs},
                severity=_E,
            )
        )
    model = fresh().train()
    x, y = setup.batches[0]
    try:
        with torch.autocast(device_type=setup.device.type, dtype=dtype):
            loss = _loss(setup, model, x, y)
        loss.float().backward()
    except RuntimeError as exc:
        out.append(
            finding(
                "DG207",
                f"Autocast {label} is not supported here: {exc}",
                {"amp": label},
                severity=_I,
            )
        )
        return out
    bad = [
        n
        for n, p in model.named_parameters()
        if p.grad is not None and not bool(torch.isfinite(p.grad).all())
    ]
    value = float(loss.detach().float())
    if (not math.isfinite(value) or bad) and not out:
        out.append(
            finding(
                "DG207",
                f"Under {label} autocast the loss is {num(value)} and {len(bad)} gradient "
                f"tensor(s) hold NaN/inf ({', '.join(bad[:4])}): training in {label} fails; "
                + (
                    "use a GradScaler and keep activations within float16's range, or use bfloat16"
                    if dtype == torch.float16
                    else "keep the loss in float32"
                ),
                {"amp": label, "loss": value, "nonfinite_grads": bad},
                severity=_E,
            )
        )
    return out
