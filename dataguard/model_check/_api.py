"""``dataguard.check_model``: the public entry point of the model checker.

Flow: resolve the arguments (:mod:`._setup`), copy the model onto the device, observe one
forward/backward pass (:mod:`._observe`), run the static checks on what was seen
(:mod:`._checks`), then train fresh copies for the dynamic ones (:mod:`._dynamics`). All of it
runs inside :func:`._guard.guarded`, which restores the global torch state and the user's
model, whatever happens.
"""

from __future__ import annotations

import copy
import math
import time
import warnings
from collections.abc import Callable, Iterable
from typing import Any

import torch
from torch import nn

from dataguard.errors import ConfigError, DataguardError, InputError
from dataguard.findings import Finding
from dataguard.model_check import _dynamics as dyn
from dataguard.model_check._checks import (
    Facts,
    check_loss_pairing,
    check_optimizer_params,
    layer_table,
    static_checks,
)
from dataguard.model_check._guard import guarded, seed
from dataguard.model_check._observe import observe
from dataguard.model_check._report import LRRangeTest, ModelReport
from dataguard.model_check._setup import (
    Setup,
    call_model,
    first_tensor,
    input_tensors,
    resolve,
)
from dataguard.rules.model import MODEL_CODES

__all__ = ["check_model"]

#: Checks that train copies of the model; ``checks="static"`` leaves them out.
DYNAMIC = frozenset({"DG213", "DG214", "DG215", "DG217"})
#: Below this many parameters the checker runs torch on one CPU thread: the steps are
#: dominated by per-op overhead, and two OpenMP threads on a busy two-core machine made a
#: 5 ms step take 300 ms (measured). The thread count is restored afterwards.
SMALL_MODEL = 2_000_000
#: DG211: two eval-mode forwards of one batch differing by more than this (relative to the
#: outputs' magnitude) make the model random in evaluation.
EVAL_TOLERANCE = 1e-4


def check_model(
    model: nn.Module,
    batch: Any,
    *,
    loss_fn: Any,
    task: str | None = None,
    profile: Any = None,
    optimizer: Any = None,
    optimizer_kwargs: dict[str, Any] | None = None,
    lr: float | None = None,
    batch_size: int | None = None,
    n_train: int | None = None,
    clip_grad_norm: float | None = None,
    train_step: Callable[..., Any] | None = None,
    amp: str | None = None,
    checks: str | Iterable[str] = "default",
    device: str = "auto",
) -> ModelReport:
    """Diagnose a PyTorch model, with its loss, optimizer and data, before training.

    Parameters
    ----------
    model : nn.Module
        The model as it will be trained. It is never modified: every check runs on copies.
    batch : (inputs, targets) or an iterable of them (a DataLoader: its first 8 batches)
        ``inputs`` a tensor or dict (``model(inputs)``) or a tuple/list (``model(*inputs)``).
    loss_fn : loss module, ``torch.nn.functional`` loss, callable or name
        ``"mse"``, ``"l1"``, ``"huber"``, ``"smooth-l1"``, ``"ce"``, ``"nll"``, ``"bce"``,
        ``"bce-logits"``.
    task : "regression", "classification", "binary" or "multilabel", optional
        Else taken from ``profile``, the loss or the targets.
    profile : ProfileReport, Contract or TransformPipeline, optional
        Task, number of classes, class priors and target range come from it.
    optimizer : torch.optim class, instance or name (default Adam); ``optimizer_kwargs``
        its settings (momentum, weight decay...). ``lr`` the learning rate to judge.
    batch_size, n_train : int, optional
        Training batch size and rows (DG212); from a DataLoader or the profile otherwise.
    clip_grad_norm : float, optional
        The max norm training clips gradients at (DG214).
    train_step : callable(model, optimizer, batch) -> loss, optional
        The user's training step, run 5 times on a copy (DG217).
    amp : "float16" or "bfloat16", optional
        Repeat forward/backward under autocast (DG207).
    checks : "default", "static" or an iterable of codes
        ``"static"`` skips the checks that train copies (DG213-DG215, DG217).
    device : "auto", "cpu", "cuda", ...
        ``"auto"``: where the model lives, else CUDA when available, else the CPU.

    Returns
    -------
    ModelReport
        Findings, the per-layer table, the LR range test and the facts used.

    Examples
    --------
    >>> import torch
    >>> from torch import nn
    >>> from dataguard.model_check import check_model
    >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
    <torch._C.Generator object at ...>
    >>> x = torch.randn(128, 4)
    >>> y = x @ torch.tensor([[1.0], [-2.0], [0.5], [0.0]])
    >>> y = (y - y.mean()) / y.std()
    >>> net = nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Linear(32, 1), nn.ReLU())
    >>> report = check_model(net, (x, y), loss_fn="mse", lr=1e-3, checks="static")
    >>> [f.code for f in report.at_or_above("warning")]
    ['DG201']
    """
    t0 = time.perf_counter()
    codes = _codes(checks)
    timings: dict[str, float] = {}
    findings: list[Finding] = []
    skipped: dict[str, str] = {}
    with guarded(model), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        setup = resolve(
            model,
            batch,
            loss_fn=loss_fn,
            task=task,
            profile=profile,
            optimizer=optimizer,
            optimizer_kwargs=optimizer_kwargs,
            lr=lr,
            batch_size=batch_size,
            n_train=n_train,
            clip_grad_norm=clip_grad_norm,
            amp=amp,
            device=device,
        )
        base = _copy(model, setup.device)
        if setup.device.type == "cpu" and sum(p.numel() for p in base.parameters()) < SMALL_MODEL:
            torch.set_num_threads(1)  # restored by guarded()

        def fresh() -> nn.Module:
            return copy.deepcopy(base)

        mark = time.perf_counter()
        fx = _observe_pass(fresh, setup, codes)
        timings["observe"] = time.perf_counter() - mark
        if "DG202" in codes:
            findings.extend(check_loss_pairing(fx))
        if fx.loss_ok:
            mark = time.perf_counter()
            _backward(fx)
            timings["backward"] = time.perf_counter() - mark
        else:
            skipped.update(
                {
                    c: "the loss cannot be computed on these outputs (DG202)"
                    for c in ("DG203", "DG207", "DG208")
                    if c in codes
                }
            )
        if "DG211" in codes:
            _eval_pass(fresh, fx)
        static = set(codes) - DYNAMIC
        if not fx.loss_ok:
            static -= {"DG203", "DG204", "DG207", "DG208"}
            skipped.update({c: "the loss cannot be computed on these outputs (DG202)"
                            for c in ("DG204",) if c in codes})  # fmt: skip
        findings.extend(static_checks(fx, static))
        if "DG217" in codes:
            findings.extend(check_optimizer_params(fx))
        layers = layer_table(fx)
        _explain_skips(setup, codes, skipped, train_step)
        test: LRRangeTest | None = None
        if fx.loss_ok and codes & DYNAMIC:
            test = _dynamic(fresh, setup, fx, codes, train_step, findings, timings, skipped)
        elif codes & DYNAMIC:
            skipped.update(
                {c: "the loss cannot be computed on these outputs (DG202)" for c in codes & DYNAMIC}
            )
        if setup.amp is not None and fx.loss_ok and "DG207" in codes:
            max_abs = max((op.stats.get("absmax", 0.0) for op in fx.obs.ops), default=0.0)
            findings.extend(
                _phase("autocast pass", timings, lambda: dyn.amp_check(fresh, setup, max_abs))
            )
        fx.obs.recorder.release()
    findings.sort(key=lambda f: (-int(f.severity), f.code))
    facts = dict(setup.facts)
    facts["warnings"] = sorted({f"{w.category.__name__}: {w.message}" for w in caught})[:20]
    facts.update(
        model=type(model).__name__,
        parameters=sum(p.numel() for p in model.parameters()),
        trainable_parameters=sum(p.numel() for p in model.parameters() if p.requires_grad),
        n_classes=setup.n_classes,
        target_range=list(setup.target_range) if setup.target_range else None,
        loss_at_init=fx.loss0,
        **fx.baseline,
    )
    return ModelReport(
        findings=findings,
        layers=layers,
        lr_test=test,
        task=setup.task,
        device=str(setup.device),
        facts=facts,
        checks=sorted(c for c in codes if c not in skipped),
        skipped=dict(sorted(skipped.items())),
        elapsed_s=time.perf_counter() - t0,
        timings=timings,
    )


def _codes(checks: str | Iterable[str]) -> set[str]:
    if isinstance(checks, str):
        key = checks.strip().lower()
        if key in ("default", "all"):
            return set(MODEL_CODES)
        if key == "static":
            return set(MODEL_CODES) - DYNAMIC
        checks = [c for c in checks.replace(",", " ").split() if c]
    chosen = {str(c).strip().upper() for c in checks}
    unknown = sorted(chosen - set(MODEL_CODES))
    if unknown:
        raise ConfigError(
            f"check_model: checks {unknown} are not model-check codes (DG201-DG217), 'default' or "
            "'static'"
        )
    return chosen


def _copy(model: nn.Module, device: torch.device) -> nn.Module:
    try:
        work = copy.deepcopy(model)
    except Exception as exc:
        raise InputError(
            f"check_model: the model cannot be copied (copy.deepcopy raised {type(exc).__name__}: "
            f"{exc}); the checker works on copies so that your model is never changed"
        ) from None
    work = work.to(device)
    for p in work.parameters():
        p.grad = None
    return work


def _observe_pass(fresh: Callable[[], nn.Module], setup: Setup, codes: set[str]) -> Facts:
    work = fresh().train()
    for m in work.modules():
        if isinstance(m, nn.modules.dropout._DropoutNd):
            m.eval()
    x, y = setup.batches[0]
    try:
        obs = observe(work, x, [t for _, t in input_tensors(x)], call_model)
    except Exception as exc:
        raise InputError(
            f"check_model: the model's forward raised {type(exc).__name__} on the batch (inputs "
            f"{_shapes(x)}): {exc}"
        ) from None
    obs.recorder.finish()
    all_y = torch.cat([t.detach().reshape(-1).float() for _, t in setup.batches])
    return Facts(
        setup=setup,
        model=work,
        obs=obs,
        output=first_tensor(obs.output),
        targets_raw=y,
        all_targets=all_y,
        inputs=x,
    )


def _shapes(x: Any) -> str:
    return ", ".join(
        f"{name} {list(t.shape)} {str(t.dtype).replace('torch.', '')}"
        for name, t in input_tensors(x)
    )


def _backward(fx: Facts) -> None:
    """Loss at initialization, its baselines, and one backward pass on the observed graph."""
    s, out, y = fx.setup, fx.output, fx.targets_raw
    if out is None:
        return
    try:
        loss = s.loss(fx.obs.output, y)
    except Exception as exc:
        raise InputError(
            f"check_model: loss_fn(outputs, targets) raised {type(exc).__name__} (outputs "
            f"{list(out.shape)}, targets {list(y.shape)} {str(y.dtype).replace('torch.', '')}): "
            f"{exc}"
        ) from None
    fx.loss0 = float(loss.detach())
    fx.baseline = _baselines(fx, out.detach(), y)
    params = dict(fx.model.named_parameters())
    if loss.requires_grad and math.isfinite(fx.loss0):
        loss.backward()
    elif not loss.requires_grad and out.requires_grad:
        fx.loss_detached = True
    _gradient_facts(fx, params)


def _gradient_facts(fx: Facts, params: dict[str, nn.Parameter]) -> None:
    """Norms, finiteness and row symmetry of every gradient, reduced on the device and moved
    to the host in one transfer."""
    names = [n for n, p in params.items() if p.requires_grad]
    if not names:
        return
    rows = []
    for n in names:
        p = params[n]
        w = p.detach().float()
        g = p.grad.detach().float() if p.grad is not None else None
        if g is None:
            rows.append(
                torch.stack([w.norm(), w.new_tensor(-1.0), w.new_tensor(1.0), w.new_tensor(1.0)])
            )
            continue
        gn = g.norm()
        symmetric = w.new_tensor(1.0)
        if p.ndim >= 2 and p.shape[0] >= 2:
            r = g.reshape(g.shape[0], -1)
            spread = (r - r[0:1]).abs().amax()
            symmetric = (
                spread <= 1e-12 + 1e-5 * r[0:1].abs().amax() + 1e-6 * gn / math.sqrt(r.shape[0])
            ).float()
        rows.append(torch.stack([w.norm(), gn, torch.isfinite(g).all().float(), symmetric]))
    host = torch.stack([r.to(rows[0].device) for r in rows]).cpu().tolist()
    for n, (wn, gn, finite, symmetric) in zip(names, host, strict=True):
        if gn < 0:  # no gradient at all
            fx.grads[n] = (0.0, wn, True, False)
            fx.grad_symmetric[n] = True
            continue
        if not finite:
            fx.nonfinite_grads.append(n)
        fx.grads[n] = (gn, wn, False, gn == 0.0)
        fx.grad_symmetric[n] = bool(symmetric)


def _baselines(fx: Facts, out: torch.Tensor, y: torch.Tensor) -> dict[str, float]:
    """The loss of the best constant predictions (and of uniform ones, for classes)."""
    s = fx.setup
    kind = s.loss.kind
    fn = s.loss.fn

    def value(pred: torch.Tensor) -> float | None:
        try:
            v = fn(pred, y)
            return float((v.mean() if v.ndim > 0 else v).detach())
        except Exception:
            return None

    with torch.no_grad():
        if kind == "regression" and y.is_floating_point():
            yy = y.reshape(out.shape) if y.numel() == out.numel() else y
            cols = yy.reshape(yy.shape[0], -1) if yy.ndim > 1 else yy.reshape(-1, 1)
            means = cols.mean(0)
            medians = cols.median(0).values
            cands = [
                value(m.reshape(1, -1).expand(out.shape[0], -1).reshape(out.shape).to(out.dtype))
                for m in (means, medians)
                if m.numel() * out.shape[0] == out.numel()
            ]
            found = [c for c in cands if c is not None]
            return {"baseline_loss": min(found)} if found else {}
        if kind in ("ce", "nll") and out.ndim >= 2:
            c = int(out.shape[1])
            if not y.is_floating_point():
                counts = torch.bincount(fx.all_targets.long().clamp(0, c - 1), minlength=c).float()
                priors = counts / counts.sum()
            else:
                priors = y.float().reshape(y.shape[0], c, -1).mean((0, 2))
            if s.class_priors is not None and len(s.class_priors) == c:
                priors = torch.tensor(s.class_priors, device=out.device)
            logp = priors.clamp_min(1e-6).log().to(out.dtype)
            shape = [1, c] + [1] * (out.ndim - 2)
            uniform = value(
                torch.full_like(out, -math.log(c)) if kind == "nll" else torch.zeros_like(out)
            )
            prior = value(logp.reshape(shape).expand_as(out))
            return {
                k: v for k, v in (("uniform_loss", uniform), ("prior_loss", prior)) if v is not None
            }
        if kind in ("bce", "bce_logits") and out.shape == y.shape:
            p = y.float().mean().clamp(1e-6, 1 - 1e-6)
            if kind == "bce_logits":
                uniform = value(torch.zeros_like(out))
                prior = value(torch.full_like(out, float(torch.logit(p))))
            else:
                uniform = value(torch.full_like(out, 0.5))
                prior = value(torch.full_like(out, float(p)))
            return {
                k: v for k, v in (("uniform_loss", uniform), ("prior_loss", prior)) if v is not None
            }
    return {}


def _eval_pass(fresh: Callable[[], nn.Module], fx: Facts) -> None:
    """Observe forward in eval mode (DG211: dropout or batch statistics left on) and compare
    two eval forwards of the same batch."""
    work = fresh().eval()
    x, _ = fx.setup.batches[0]
    seed(6000, fx.setup.device)
    with torch.no_grad():
        try:
            fx.eval_obs = observe(work, x, [t for _, t in input_tensors(x)], call_model, keep=False)
            fx.eval_obs.recorder.finish()
            # two plain forwards, run the same way (an observed one may take another kernel)
            a = first_tensor(call_model(work, x))
            b = first_tensor(call_model(work, x))
        except Exception:
            fx.eval_obs = None
            return
    if a is not None and b is not None and a.shape == b.shape and a.is_floating_point():
        diff = (a.float() - b.float()).abs()
        diff = diff[torch.isfinite(diff)]
        scale = float(a.float().abs().max()) if a.numel() else 0.0
        worst = float(diff.max()) if diff.numel() else 0.0
        # nondeterministic GPU kernels differ in the last bits; noise differs for real
        fx.eval_stochastic = worst if worst > EVAL_TOLERANCE * max(scale, 1.0) else 0.0


def _explain_skips(setup: Setup, codes: set[str], skipped: dict[str, str], train_step: Any) -> None:
    if "DG212" in codes and not (setup.batch_size and setup.n_train):
        skipped["DG212"] = "needs batch_size and n_train (or a DataLoader, or a profile)"
    if "DG214" in codes and (setup.clip is None or setup.lr is None):
        skipped["DG214"] = "needs clip_grad_norm and lr"
    if "DG217" in codes and train_step is None:
        skipped["DG217"] = "needs train_step" + (
            " (the optimizer instance's parameters were checked)"
            if setup.optimizer_missing is not None
            else ""
        )
    if "DG201" in codes and setup.task != "regression":
        skipped["DG201"] = "regression targets only (classification heads are checked by DG202)"


def _phase(name: str, timings: dict[str, float], run: Callable[[], Any]) -> Any:
    """Run one dynamic check; the model or loss failing inside it is an InputError that
    says which check was running (the global state is restored by ``guarded``)."""
    mark = time.perf_counter()
    try:
        return run()
    except DataguardError:
        raise
    except Exception as exc:
        raise InputError(
            f"check_model: the model or the loss raised {type(exc).__name__} during the {name} "
            f"(training a copy): {exc}"
        ) from None
    finally:
        timings[name.replace(" ", "_")] = time.perf_counter() - mark


def _dynamic(
    fresh: Callable[[], nn.Module],
    setup: Setup,
    fx: Facts,
    codes: set[str],
    train_step: Callable[..., Any] | None,
    findings: list[Finding],
    timings: dict[str, float],
    skipped: dict[str, str],
) -> LRRangeTest | None:
    test: LRRangeTest | None = None
    if codes & {"DG213", "DG214", "DG215"}:
        test = _phase("lr range test", timings, lambda: dyn.lr_range_test(fresh, setup))
        if "DG213" in codes and test is not None:
            findings.extend(dyn.lr_findings(test, setup))
    if "DG214" in codes and "DG214" not in skipped:
        findings.extend(_phase("clipping", timings, lambda: dyn.clipping_check(fresh, setup, test)))
    if "DG215" in codes:
        findings.extend(_phase("overfit", timings, lambda: dyn.overfit_check(fresh, setup, test)))
    if "DG217" in codes and train_step is not None:
        lr = setup.lr or (
            test.suggested_lr if test and test.suggested_lr else dyn.default_lr(setup)
        )
        # train_step's own exceptions are DG217 findings; only the checker's calls raise here
        findings.extend(
            _phase(
                "train step", timings, lambda: dyn.train_step_check(fresh, setup, train_step, lr)
            )
        )
    return test
