"""What the checker works with: device, batches, loss, task facts and the optimizer.

Everything the user passes is resolved here once, into a :class:`Setup`; the checks read
only the Setup and never the raw arguments.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from dataguard.errors import ConfigError, InputError

__all__ = ["MAX_BATCHES", "LossInfo", "Setup", "resolve"]

#: At most this many batches are taken from an iterable (a DataLoader).
MAX_BATCHES = 8


_LOSS_NAMES: dict[str, Callable[[], nn.Module]] = {
    "mse": nn.MSELoss,
    "l2": nn.MSELoss,
    "l1": nn.L1Loss,
    "mae": nn.L1Loss,
    "huber": nn.HuberLoss,
    "smooth-l1": nn.SmoothL1Loss,
    "smooth_l1": nn.SmoothL1Loss,
    "ce": nn.CrossEntropyLoss,
    "cross-entropy": nn.CrossEntropyLoss,
    "cross_entropy": nn.CrossEntropyLoss,
    "nll": nn.NLLLoss,
    "bce": nn.BCELoss,
    "bce-logits": nn.BCEWithLogitsLoss,
    "bce_logits": nn.BCEWithLogitsLoss,
    "bce_with_logits": nn.BCEWithLogitsLoss,
}

_LOSS_KINDS: tuple[tuple[Any, str], ...] = (
    ((nn.MSELoss, nn.L1Loss, nn.HuberLoss, nn.SmoothL1Loss), "regression"),
    (nn.CrossEntropyLoss, "ce"),
    (nn.NLLLoss, "nll"),
    (nn.BCELoss, "bce"),
    (nn.BCEWithLogitsLoss, "bce_logits"),
)

_FUNCTIONAL_KINDS = {
    F.mse_loss: "regression",
    F.l1_loss: "regression",
    F.huber_loss: "regression",
    F.smooth_l1_loss: "regression",
    F.cross_entropy: "ce",
    F.nll_loss: "nll",
    F.binary_cross_entropy: "bce",
    F.binary_cross_entropy_with_logits: "bce_logits",
}

_OPTIMIZERS = {
    name.lower(): cls
    for name, cls in vars(torch.optim).items()
    if isinstance(cls, type)
    and issubclass(cls, torch.optim.Optimizer)
    and cls is not torch.optim.Optimizer
}


@dataclass(frozen=True)
class LossInfo:
    """The loss function and what kind of input it expects."""

    fn: Callable[[Any, Any], torch.Tensor]
    name: str
    kind: str  # regression | ce | nll | bce | bce_logits | custom

    def __call__(self, output: Any, targets: torch.Tensor) -> torch.Tensor:
        """The mean loss: a custom loss gets the model's whole output (a tuple, a dict), a
        known one its first tensor (``"logits"`` first in a dict)."""
        value = self.fn(output if self.kind == "custom" else first_tensor(output), targets)
        if not isinstance(value, torch.Tensor):
            raise TypeError(f"the loss returned {type(value).__name__}, not a tensor")
        return value.mean() if value.ndim > 0 else value

    @property
    def label_smoothing(self) -> float:
        return float(getattr(self.fn, "label_smoothing", 0.0) or 0.0)


@dataclass
class Setup:
    """Resolved arguments of one ``check_model`` call."""

    device: torch.device
    batches: list[tuple[Any, torch.Tensor]]
    loss: LossInfo
    task: str | None
    task_declared: bool  # given, or from the profile (not guessed from the loss or targets)
    n_classes: int | None
    class_priors: list[float] | None
    target_range: tuple[float, float] | None
    range_declared: bool  # target_range is the profile's, not the fed targets'
    optimizer_cls: type[torch.optim.Optimizer]
    optimizer_kwargs: dict[str, Any]
    lr: float | None
    batch_size: int | None
    n_train: int | None
    clip: float | None
    amp: torch.dtype | None
    facts: dict[str, Any] = field(default_factory=dict)
    #: batches of one row left out because batch norm cannot train on them (indices as given)
    tiny_batches: list[int] = field(default_factory=list)
    #: an optimizer instance's view of the model: trainable parameters it does not hold
    #: (None: no instance given), and whether it holds none of the model's parameters
    optimizer_missing: list[str] | None = None
    optimizer_foreign: bool = False

    @property
    def optimizer_name(self) -> str:
        return self.optimizer_cls.__name__

    def make_optimizer(
        self, params: Iterable[torch.nn.Parameter], lr: float
    ) -> torch.optim.Optimizer:
        """A fresh optimizer of the configured class and settings, at ``lr``."""
        cls: Any = self.optimizer_cls  # every torch.optim class takes lr; the base class does not
        opt: torch.optim.Optimizer = cls(params, lr=lr, **self.optimizer_kwargs)
        return opt

    @property
    def weight_decay(self) -> float:
        wd = self.optimizer_kwargs.get("weight_decay")
        if wd is None:
            try:
                import inspect

                wd = inspect.signature(self.optimizer_cls).parameters["weight_decay"].default
            except (KeyError, TypeError, ValueError):
                wd = 0.0
        return float(wd or 0.0)


def resolve(
    model: nn.Module,
    batch: Any,
    *,
    loss_fn: Any,
    task: str | None,
    profile: Any,
    optimizer: Any,
    optimizer_kwargs: Mapping[str, Any] | None,
    lr: float | None,
    batch_size: int | None,
    n_train: int | None,
    clip_grad_norm: float | None,
    amp: str | None,
    device: str | torch.device,
) -> Setup:
    """Check and resolve the arguments (InputError / ConfigError on bad ones)."""
    if not isinstance(model, nn.Module):
        raise InputError(
            f"check_model: model must be a torch.nn.Module, got {type(model).__name__}"
        )
    dev = _device(model, device)
    pairs, loader_facts = _pairs(batch)
    pairs = [(_to(x, dev), _to(y, dev)) for x, y in pairs]
    tiny = _tiny_batches(model, pairs)
    pairs = [p for i, p in enumerate(pairs) if i not in tiny]
    loss = _loss(loss_fn)
    opt_cls, opt_kwargs, opt_lr = _optimizer(optimizer, optimizer_kwargs)
    missing, foreign = _optimizer_holds(optimizer, model)
    if lr is None:
        lr = opt_lr
    if lr is not None and not (isinstance(lr, (int, float)) and math.isfinite(lr) and lr > 0):
        raise ConfigError(f"check_model: lr must be a positive number, got {lr!r}")
    if clip_grad_norm is not None and not clip_grad_norm > 0:
        raise ConfigError(f"check_model: clip_grad_norm must be positive, got {clip_grad_norm!r}")
    facts = _profile_facts(profile)
    targets = torch.cat([y.reshape(y.shape[0], -1).float() for _, y in pairs]) if pairs else None
    declared_task = task is not None or bool(facts.get("task"))
    task = _task(task, facts, loss, pairs)
    n_classes = facts.get("n_classes")
    priors = facts.get("class_priors")
    target_range = _target_range(facts, targets) if task == "regression" else None
    if batch_size is None:
        batch_size = loader_facts.get("batch_size") or int(pairs[0][1].shape[0])
    if n_train is None:
        n_train = loader_facts.get("n_train") or facts.get("n_rows")
    amp_dtype = _amp(amp)
    out_facts = {
        "loss": loss.name,
        "loss_kind": loss.kind,
        "optimizer": opt_cls.__name__,
        "optimizer_kwargs": dict(opt_kwargs),
        "lr": lr,
        "batch_size": batch_size,
        "n_train": n_train,
        "clip_grad_norm": clip_grad_norm,
        "amp": amp,
        "n_batches": len(pairs),
        "batch_rows": [int(y.shape[0]) for _, y in pairs],
        "profile_facts": {k: v for k, v in facts.items() if k != "source"},
    }
    return Setup(
        device=dev,
        batches=pairs,
        loss=loss,
        task=task,
        task_declared=declared_task,
        n_classes=int(n_classes) if n_classes is not None else None,
        class_priors=[float(p) for p in priors] if priors is not None else None,
        target_range=target_range,
        range_declared=target_range is not None and target_range != _seen_range(targets),
        optimizer_cls=opt_cls,
        optimizer_kwargs=opt_kwargs,
        lr=float(lr) if lr is not None else None,
        batch_size=int(batch_size) if batch_size is not None else None,
        n_train=int(n_train) if n_train is not None else None,
        clip=float(clip_grad_norm) if clip_grad_norm is not None else None,
        amp=amp_dtype,
        facts=out_facts,
        tiny_batches=tiny,
        optimizer_missing=missing,
        optimizer_foreign=foreign,
    )


# -- pieces -------------------------------------------------------------------------------


def _device(model: nn.Module, device: str | torch.device) -> torch.device:
    where = {p.device for p in model.parameters()} | {b.device for b in model.buffers()}
    if str(device) == "auto":
        on = [d for d in where if d.type != "cpu"]
        if on:
            return on[0]
        return torch.device("cuda") if torch.cuda.is_available() else torch.device("cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ConfigError(f"check_model: device {device!r} is not a torch device ({exc})") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"check_model: device {device!r} asked for, but CUDA is not available")
    return dev


def _tiny_batches(model: nn.Module, pairs: list[tuple[Any, torch.Tensor]]) -> list[int]:
    """One-row batches, which batch norm cannot train on (kept when they are all there is)."""
    if not any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.modules()):
        return []
    tiny = [i for i, (_, y) in enumerate(pairs) if int(y.shape[0]) < 2]
    return tiny if len(tiny) < len(pairs) else []


def _optimizer_holds(optimizer: Any, model: nn.Module) -> tuple[list[str] | None, bool]:
    """For an optimizer instance: the model's trainable parameters it does not hold, and
    whether it holds none of them (built for another model instance)."""
    if not isinstance(optimizer, torch.optim.Optimizer):
        return None, False
    held = {id(p) for group in optimizer.param_groups for p in group["params"]}
    trainable = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    missing = [n for n, p in trainable if id(p) not in held]
    return missing, bool(trainable) and len(missing) == len(trainable)


def _is_target(y: Any) -> bool:
    return isinstance(y, torch.Tensor)


def _pairs(batch: Any) -> tuple[list[tuple[Any, torch.Tensor]], dict[str, Any]]:
    """One (inputs, targets) pair, or up to MAX_BATCHES of them from an iterable."""
    facts: dict[str, Any] = {}
    if isinstance(batch, (tuple, list)) and len(batch) == 2 and _is_target(batch[1]):
        pairs = [(batch[0], batch[1])]
    else:
        if isinstance(batch, torch.utils.data.DataLoader):
            facts["batch_size"] = batch.batch_size
            with contextlib.suppress(TypeError):  # an IterableDataset has no length
                facts["n_train"] = len(batch.dataset)  # type: ignore[arg-type]
        try:
            iterator = iter(batch)
        except TypeError:
            raise InputError(
                "check_model: batch must be an (inputs, targets) pair or an iterable of them, "
                f"got {type(batch).__name__}"
            ) from None
        pairs = []
        for item in iterator:
            if not (isinstance(item, (tuple, list)) and len(item) == 2 and _is_target(item[1])):
                raise InputError(
                    "check_model: each batch must be an (inputs, targets) pair with a tensor of "
                    f"targets, got {type(item).__name__}"
                )
            pairs.append((item[0], item[1]))
            if len(pairs) >= MAX_BATCHES:
                break
    if not pairs:
        raise InputError("check_model: batch is empty: no (inputs, targets) pair to check with")
    for i, (x, y) in enumerate(pairs):
        if y.ndim == 0 or y.shape[0] == 0:
            raise InputError(
                f"check_model: batch {i}: targets must have a batch dimension, got shape "
                f"{tuple(y.shape)}"
            )
        if not _tensors(x):
            raise InputError(
                f"check_model: batch {i}: inputs must be a tensor, a tuple/list or a dict of "
                f"tensors, got {type(x).__name__}"
            )
    return pairs, facts


def _tensors(x: Any) -> list[torch.Tensor]:
    if isinstance(x, torch.Tensor):
        return [x]
    if isinstance(x, Mapping):
        return [v for v in x.values() if isinstance(v, torch.Tensor)]
    if isinstance(x, (tuple, list)):
        return [t for v in x for t in _tensors(v)]
    return []


def input_tensors(x: Any) -> list[tuple[str, torch.Tensor]]:
    """The tensors in an inputs structure, with a readable name each."""
    if isinstance(x, torch.Tensor):
        return [("input", x)]
    if isinstance(x, Mapping):
        return [(str(k), v) for k, v in x.items() if isinstance(v, torch.Tensor)]
    if isinstance(x, (tuple, list)):
        return [(f"input[{i}]", v) for i, v in enumerate(x) if isinstance(v, torch.Tensor)]
    return []


def _to(x: Any, dev: torch.device) -> Any:
    if isinstance(x, torch.Tensor):
        return x.to(dev)
    if isinstance(x, Mapping):
        return {k: _to(v, dev) for k, v in x.items()}
    if isinstance(x, tuple):
        return tuple(_to(v, dev) for v in x)
    if isinstance(x, list):
        return [_to(v, dev) for v in x]
    return x


#: Keys of a dict output that name the prediction, tried in order before the first tensor.
OUTPUT_KEYS = ("logits", "output", "outputs", "out", "pred", "prediction", "y_hat")


def first_tensor(out: Any) -> torch.Tensor | None:
    """The prediction in a model's output: itself, the first item of a tuple/list, the
    ``logits`` (or similar) entry of a dict, else its first tensor value."""
    if isinstance(out, torch.Tensor):
        return out
    if isinstance(out, (tuple, list)) and out:
        return first_tensor(out[0])
    if isinstance(out, Mapping) and out:
        for key in OUTPUT_KEYS:
            if isinstance(out.get(key), torch.Tensor):
                return out[key]  # type: ignore[no-any-return]
        for value in out.values():
            found = first_tensor(value)
            if found is not None:
                return found
    return None


def call_model(model: nn.Module, x: Any) -> Any:
    """tensor -> ``model(x)``; tuple/list -> ``model(*x)``; dict -> ``model(**x)`` when every
    key names a parameter of ``forward`` (``input_ids=``, ``attention_mask=``, as Hugging
    Face models take them), else ``model(x)`` (a dict of columns, as TransformModule takes)."""
    if isinstance(x, (tuple, list)):
        return model(*x)
    if isinstance(x, Mapping) and x and _keyword_inputs(model, tuple(x)):
        return model(**x)
    return model(x)


def _keyword_inputs(model: nn.Module, keys: tuple[Any, ...]) -> bool:
    import inspect

    try:
        params = inspect.signature(model.forward).parameters
    except (TypeError, ValueError):
        return False
    named = {n for n, p in params.items() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    return all(isinstance(k, str) and k in named for k in keys) and len(keys) <= len(named)


def subset(x: Any, idx: torch.Tensor) -> Any:
    """Rows ``idx`` of every tensor in an inputs structure."""
    if isinstance(x, torch.Tensor):
        return x.index_select(0, idx.to(x.device))
    if isinstance(x, Mapping):
        return {k: subset(v, idx) for k, v in x.items()}
    if isinstance(x, tuple):
        return tuple(subset(v, idx) for v in x)
    if isinstance(x, list):
        return [subset(v, idx) for v in x]
    return x


def concat(parts: list[Any]) -> Any:
    """Concatenate inputs structures along the batch dimension."""
    first = parts[0]
    if isinstance(first, torch.Tensor):
        return torch.cat(parts)
    if isinstance(first, Mapping):
        return {k: concat([p[k] for p in parts]) for k in first}
    if isinstance(first, (tuple, list)):
        joined = [concat([p[i] for p in parts]) for i in range(len(first))]
        return tuple(joined) if isinstance(first, tuple) else joined
    raise TypeError(f"cannot concatenate {type(first).__name__}")


def _loss(loss_fn: Any) -> LossInfo:
    if loss_fn is None:
        raise ConfigError("check_model: loss_fn is required (a loss module, function or name)")
    if isinstance(loss_fn, str):
        key = loss_fn.strip().lower()
        if key not in _LOSS_NAMES:
            raise ConfigError(
                f"check_model: loss {loss_fn!r} is not known; one of: "
                f"{', '.join(sorted(_LOSS_NAMES))}"
            )
        loss_fn = _LOSS_NAMES[key]()
    if isinstance(loss_fn, type) and issubclass(loss_fn, nn.Module):
        loss_fn = loss_fn()
    if isinstance(loss_fn, nn.Module):
        for types, kind in _LOSS_KINDS:
            if isinstance(loss_fn, types):
                return LossInfo(loss_fn, type(loss_fn).__name__, kind)
        return LossInfo(loss_fn, type(loss_fn).__name__, "custom")
    if callable(loss_fn):
        kind = _FUNCTIONAL_KINDS.get(loss_fn, "custom")
        return LossInfo(loss_fn, getattr(loss_fn, "__name__", type(loss_fn).__name__), kind)
    raise ConfigError(
        f"check_model: loss_fn must be callable or a name, got {type(loss_fn).__name__}"
    )


def _optimizer(
    optimizer: Any, kwargs: Mapping[str, Any] | None
) -> tuple[type[torch.optim.Optimizer], dict[str, Any], float | None]:
    kw = dict(kwargs or {})
    lr = kw.pop("lr", None)
    if optimizer is None:
        return torch.optim.Adam, kw, lr
    if isinstance(optimizer, str):
        key = optimizer.strip().lower()
        if key not in _OPTIMIZERS:
            raise ConfigError(
                f"check_model: optimizer {optimizer!r} is not a torch.optim class; one of: "
                f"{', '.join(sorted(_OPTIMIZERS))}"
            )
        return _OPTIMIZERS[key], kw, lr
    if isinstance(optimizer, type) and issubclass(optimizer, torch.optim.Optimizer):
        return optimizer, kw, lr
    if isinstance(optimizer, torch.optim.Optimizer):
        import inspect

        accepted = set(inspect.signature(type(optimizer)).parameters)
        defaults = {
            k: v
            for k, v in optimizer.defaults.items()
            if k in accepted and k not in ("lr", "params")
        }
        lr = lr if lr is not None else optimizer.defaults.get("lr")
        return type(optimizer), {**defaults, **kw}, lr
    raise ConfigError(
        "check_model: optimizer must be a torch.optim class, an instance or a name like 'adam', "
        f"got {type(optimizer).__name__}"
    )


def _amp(amp: str | None) -> torch.dtype | None:
    if amp is None:
        return None
    table = {
        "float16": torch.float16,
        "fp16": torch.float16,
        "half": torch.float16,
        "bfloat16": torch.bfloat16,
        "bf16": torch.bfloat16,
    }
    key = str(amp).strip().lower().replace("torch.", "")
    if key not in table:
        raise ConfigError(f"check_model: amp must be 'float16' or 'bfloat16', got {amp!r}")
    return table[key]


def _profile_facts(profile: Any) -> dict[str, Any]:
    """task, n_classes, class_priors, target_range, n_rows from a profile report, a
    contract or a fitted transforms artifact (anything else: ConfigError)."""
    if profile is None:
        return {}
    from dataguard.contract import Contract
    from dataguard.report import ProfileReport
    from dataguard.transforms import TransformPipeline

    if isinstance(profile, TransformPipeline):
        return _pipeline_facts(profile)
    if isinstance(profile, ProfileReport):
        return _report_facts(profile)
    if isinstance(profile, Contract):
        return _contract_facts(profile)
    raise ConfigError(
        "check_model: profile must be a ProfileReport, a Contract or a TransformPipeline, got "
        f"{type(profile).__name__}"
    )


def _pipeline_facts(pipe: Any) -> dict[str, Any]:
    f = dict(pipe.facts)
    out: dict[str, Any] = {"source": "transforms", "task": f.get("task")}
    for key in ("n_classes", "class_priors", "n_rows"):
        if f.get(key) is not None:
            out[key] = f[key]
    if f.get("target_scaled_range") is not None:  # the model learns the scaled target
        out["target_range"] = [float(v) for v in f["target_scaled_range"]]
    return out


def _report_facts(report: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"source": "profile", "n_rows": report.profile.n_rows}
    if not report.targets:
        return out
    name = report.targets[0]
    c = report.columns[name]
    out["task"] = report.tasks.get(name, "regression")
    if out["task"] == "classification":
        counts = dict(c.values or c.top or {})
        total = sum(counts.values()) or 1
        out["n_classes"] = len(counts)
        labels = sorted(counts, key=lambda v: (str(type(v)), v))  # the order of the codes
        out["class_priors"] = [counts[v] / total for v in labels]
    elif c.min is not None and c.max is not None:
        out["target_range"] = [float(c.min), float(c.max)]
    return out


def _contract_facts(contract: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"source": "contract"}
    targets = contract.targets()
    if not targets:
        return out
    col = contract.columns[targets[0]]
    if col.levels is not None and (col.dtype is None or "float" not in col.dtype):
        out["task"] = "classification"
        out["n_classes"] = len(col.levels)
    elif col.range is not None and col.range.min is not None and col.range.max is not None:
        out["task"] = "regression"
        out["target_range"] = [float(col.range.min), float(col.range.max)]
    return out


def _task(
    task: str | None,
    facts: Mapping[str, Any],
    loss: LossInfo,
    pairs: list[tuple[Any, torch.Tensor]],
) -> str | None:
    if task is not None:
        key = task.strip().lower()
        if key not in ("regression", "classification", "binary", "multilabel"):
            raise ConfigError(
                f"check_model: task {task!r} is not one of regression, classification, binary, "
                "multilabel"
            )
        return key
    if facts.get("task"):
        t = str(facts["task"])
        if (
            t == "classification"
            and loss.kind in ("bce", "bce_logits")
            and facts.get("n_classes", 2) <= 2
        ):
            return "binary"
        return t
    y = pairs[0][1]
    if loss.kind in ("ce", "nll"):
        return "classification"
    if loss.kind in ("bce", "bce_logits"):
        return "multilabel" if y.ndim == 2 and y.shape[1] > 1 else "binary"
    if loss.kind == "regression":
        return "regression"
    if not torch.is_floating_point(y):
        return "classification"
    return None


def _seen_range(targets: torch.Tensor | None) -> tuple[float, float] | None:
    if targets is None or not targets.numel():
        return None
    finite = targets[torch.isfinite(targets)]
    if not finite.numel():
        return None
    return (float(finite.min()), float(finite.max()))


def _target_range(
    facts: Mapping[str, Any], targets: torch.Tensor | None
) -> tuple[float, float] | None:
    """The profile's target range when the fed targets look like a sample of it (inside it,
    spanning at least a quarter of it); else the range of the fed targets: the model learns
    what it is fed, and a profile of the raw column says nothing about rescaled targets."""
    seen = _seen_range(targets)
    declared = facts.get("target_range")
    if declared is not None and seen is not None:
        lo, hi = float(declared[0]), float(declared[1])
        slack = 1e-6 * max(1.0, abs(lo), abs(hi))
        inside = seen[0] >= lo - slack and seen[1] <= hi + slack
        if inside and (seen[1] - seen[0]) >= 0.25 * (hi - lo):
            return (lo, hi)
    return seen
