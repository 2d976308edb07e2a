"""One instrumented forward (and backward) pass: what the model computes, op by op.

The model is observed, not parsed: a :class:`~torch.overrides.TorchFunctionMode` sees every
torch function and tensor method ``forward`` calls, as modules or as functional calls
(``nn.ReLU`` and ``torch.relu`` alike), and module pre/post hooks name the module each call
happens in. Each call becomes an :class:`Op` linked to the ops that produced its tensor
arguments, so the checks can walk the computation: the output's range back through its last
bounded operation (DG201/DG202), depth and skip connections (DG209), the narrowest width
information passes through (DG210), operations that cut the gradient path (DG208).

Statistics (activation mean/std, dead units, saturation, input and output RMS of weighted
layers) are computed on the device as 0-d tensors while the pass runs, and moved to the host
together at the end (:meth:`Recorder.finish`): one transfer, not one per layer.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn
from torch.overrides import TorchFunctionMode

from dataguard.model_check._guard import Hooks
from dataguard.model_check._setup import first_tensor

__all__ = ["INF", "Op", "Recorder", "observe", "out_range"]

INF = math.inf
#: The width of the model's inputs in :func:`_cap` (their own width is not the model's fault).
UNLIMITED = 1 << 40

#: Ops whose output is a relabelled view or copy of one input (range and width carry over).
IDENTITY = frozenset(
    {"view", "view_as", "reshape", "reshape_as", "squeeze", "unsqueeze", "squeeze_",
     "unsqueeze_", "flatten", "unflatten", "contiguous", "clone", "to", "float", "double", "half",
     "bfloat16", "type", "type_as", "permute", "transpose", "t", "movedim", "expand",
     "expand_as", "getitem", "select", "narrow", "repeat", "split", "chunk", "unbind", "dropout",
     "alpha_dropout", "feature_alpha_dropout", "dropout1d", "dropout2d", "dropout3d", "mean",
     "identity", "detach_copy"}
)  # fmt: skip
#: Activation functions (rows of the layer table; dead units for the ReLU family).
ACTIVATIONS = frozenset(
    {"relu", "relu_", "relu6", "leaky_relu", "leaky_relu_", "prelu", "rrelu", "elu", "elu_",
     "selu", "selu_", "celu", "gelu", "silu", "mish", "softplus", "sigmoid", "sigmoid_", "tanh",
     "tanh_", "hardtanh", "hardtanh_", "hardsigmoid", "hardswish", "softsign", "logsigmoid",
     "tanhshrink", "threshold", "glu"}
)  # fmt: skip
RELU_FAMILY = frozenset({"relu", "relu_", "relu6", "threshold"})
SATURATING = frozenset(
    {"tanh", "tanh_", "sigmoid", "sigmoid_", "hardtanh", "hardtanh_", "softsign", "hardsigmoid"}
)
NORMS = frozenset(
    {"batch_norm", "layer_norm", "group_norm", "instance_norm", "rms_norm", "local_response_norm",
     "normalize", "weight_norm"}
)  # fmt: skip
WEIGHTED = frozenset(
    {"linear", "bilinear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
     "conv_transpose3d", "embedding", "embedding_bag", "multi_head_attention_forward", "lstm",
     "gru", "rnn_tanh", "rnn_relu", "matmul", "mm", "bmm", "addmm", "einsum"}
)  # fmt: skip
ADDS = frozenset({"add", "add_", "iadd", "radd", "sub", "sub_", "rsub"})
#: Ops with zero derivative almost everywhere.
ZERO_DERIVATIVE = frozenset(
    {"round", "round_", "floor", "floor_", "ceil", "ceil_", "sign", "sgn", "trunc", "trunc_",
     "fix", "heaviside"}
)  # fmt: skip
#: Calls that are bookkeeping, not computation.
_SKIP_NAMES = frozenset(
    {"dim", "size", "numel", "__get__", "_set_grad_enabled", "is_floating_point", "stride",
     "storage_offset", "data_ptr", "is_contiguous"}
)  # fmt: skip


@dataclass(eq=False)
class Op:
    """One call observed in ``forward``."""

    index: int
    name: str
    module: str
    module_type: str
    parents: list[Op | None]
    leaves: list[str]  # per tensor argument: "op", "input", "param", "buffer" or "const"
    params: list[str]
    scalars: dict[str, Any]
    out_shape: list[int] | None
    out_float: bool
    requires_grad_in: bool
    requires_grad_out: bool
    grad_enabled: bool = True
    depth: int = 0
    cap: int = 0
    skip: bool = False
    stats: dict[str, Any] = field(default_factory=dict)
    out: Any = None

    @property
    def weighted(self) -> bool:
        return bool(self.params) and (
            self.name in WEIGHTED or self.scalars.get("matrix_param", False)
        )

    @property
    def where(self) -> str:
        """``round() in module 'quant' (Quantizer)`` style text."""
        if self.module:
            return f"{self.name}() in module '{self.module}' ({self.module_type})"
        return f"{self.name}() in {self.module_type}.forward"


#: Python operator methods, as the torch function they stand for.
_DUNDER = {
    "iadd": "add_", "radd": "add", "isub": "sub_", "rsub": "rsub", "imul": "mul_", "rmul": "mul",
    "truediv": "div", "itruediv": "div_", "rtruediv": "rdiv", "getitem": "getitem",
    "matmul": "matmul", "rmatmul": "matmul", "neg": "neg", "pow": "pow", "rpow": "rpow",
    "abs": "abs", "round": "round", "floordiv": "floor_divide",
}  # fmt: skip


def _canonical(func: Any) -> str:
    name = getattr(func, "__name__", "") or ""
    if name == "__get__":
        owner = getattr(func, "__self__", None)
        return str(getattr(owner, "__name__", "get"))
    if name.startswith("__") and name.endswith("__"):
        core = name[2:-2]
        return _DUNDER.get(core, core)
    return name


def _flat(obj: Any) -> Iterator[Any]:
    if isinstance(obj, (list, tuple)):
        for v in obj:
            yield from _flat(v)
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from _flat(v)
    else:
        yield obj


class Recorder(TorchFunctionMode):
    """Records every torch call in the model's ``forward`` as an :class:`Op`."""

    def __init__(self, model: nn.Module, inputs: list[torch.Tensor], *, keep: bool = True) -> None:
        super().__init__()
        self.ops: list[Op] = []
        self.producer: dict[int, Op] = {}
        self.inputs = {id(t) for t in inputs}
        self.params = {id(p): n for n, p in model.named_parameters()}
        self.buffers = {id(b) for b in model.buffers()}
        self.keep = keep
        self.stack: list[tuple[str, nn.Module]] = [("", model)]
        self.active = True
        self.modules_run: set[str] = set()
        self.root_type = type(model).__name__

    # -- module stack, from hooks ----------------------------------------------------------
    def enter(self, name: str, module: nn.Module) -> None:
        self.stack.append((name, module))
        self.modules_run.add(name)

    def leave(self) -> None:
        if len(self.stack) > 1:
            self.stack.pop()

    # -- the mode ----------------------------------------------------------------------------
    def __torch_function__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        if not self.active:
            return out
        name = _canonical(func)
        if name in _SKIP_NAMES or name.startswith("_"):
            return out
        with contextlib.suppress(Exception):  # observing must never break the user's forward
            self._record(name, args, kwargs, out)
        return out

    def _record(self, name: str, args: Any, kwargs: Any, out: Any) -> None:
        tensors = [a for a in _flat((args, kwargs)) if isinstance(a, torch.Tensor)]
        outs = [o for o in _flat(out) if isinstance(o, torch.Tensor)]
        if not outs:
            return
        parents, leaves, params, matrix_param = self._classify(tensors)
        mod_name, mod = self.stack[-1]
        first = outs[0]
        scalars = _scalars(name, args, kwargs)
        scalars["matrix_param"] = matrix_param
        op = Op(
            index=len(self.ops),
            name=name,
            module=mod_name,
            module_type=type(mod).__name__,
            parents=parents,
            leaves=leaves,
            params=params,
            scalars=scalars,
            out_shape=list(first.shape),
            out_float=first.is_floating_point(),
            requires_grad_in=any(t.requires_grad for t in tensors),
            requires_grad_out=any(o.requires_grad for o in outs),
            grad_enabled=torch.is_grad_enabled(),
        )
        float_parents = [
            (p, t) for p, t in zip(parents, tensors, strict=True) if t.is_floating_point()
        ]
        depths = [p.depth for p, _ in float_parents if p is not None]
        op.depth = max(depths, default=0) + (1 if op.weighted else 0)
        op.cap = _cap(op, float_parents, leaves, tensors, first)
        if name in ADDS or name == "cat":
            op.skip = _is_skip(float_parents, leaves, tensors)
        if first.is_floating_point():
            self._stats(op, name, tensors, first, scalars)
        if self.keep:
            op.out = out
        self.ops.append(op)
        for o in outs:
            self.producer[id(o)] = op

    def _classify(
        self, tensors: list[torch.Tensor]
    ) -> tuple[list[Op | None], list[str], list[str], bool]:
        """Producer op (or None) and leaf kind of each tensor argument, the parameters among
        them, and whether one of those is a matrix."""
        parents: list[Op | None] = []
        leaves: list[str] = []
        params: list[str] = []
        matrix_param = False
        for t in tensors:
            op = self.producer.get(id(t))
            parents.append(op)
            if op is not None:
                leaves.append("op")
            elif id(t) in self.params:
                leaves.append("param")
                params.append(self.params[id(t)])
                matrix_param = matrix_param or t.ndim >= 2
            elif id(t) in self.inputs:
                leaves.append("input")
            elif id(t) in self.buffers:
                leaves.append("buffer")
            else:
                leaves.append("const")
        return parents, leaves, params, matrix_param

    def _stats(
        self,
        op: Op,
        name: str,
        tensors: list[torch.Tensor],
        out: torch.Tensor,
        scalars: dict[str, Any],
    ) -> None:
        with torch.no_grad():
            o = out.detach()
            if o.numel() == 0:
                return
            of = o.float()
            op.stats["absmax"] = of.abs().amax()  # float16 overflow (amp), on every op
            if op.weighted or name in ACTIVATIONS or name in NORMS:
                op.stats["mean"] = of.mean()
                op.stats["std"] = of.std(unbiased=False) if of.numel() > 1 else of.new_zeros(())
                op.stats["rms"] = of.square().mean().sqrt()
            if op.weighted:
                op.stats["sig"] = _signal(of)
                if tensors and tensors[0].is_floating_point():
                    op.stats["in_rms"] = tensors[0].detach().float().square().mean().sqrt()
                    op.stats["in_sig"] = _signal(tensors[0].detach().float())
            relu6 = name in ("hardtanh", "hardtanh_") and scalars.get("min") == 0.0
            if (name in RELU_FAMILY or relu6) and o.ndim >= 2:
                axis = (
                    1
                    if (o.ndim == 4 or o.ndim == 5 or (o.ndim == 3 and _conv_ancestor(op)))
                    else o.ndim - 1
                )
                dims = [d for d in range(o.ndim) if d != axis]
                alive = (o > 0).amax(dim=dims) if dims else (o > 0)
                op.stats["dead"] = 1.0 - alive.float().mean()
                op.stats["units"] = torch.tensor(float(alive.numel()), device=o.device)
            if name in SATURATING:
                lo, hi = {
                    "sigmoid": (0.0, 1.0),
                    "sigmoid_": (0.0, 1.0),
                    "hardsigmoid": (0.0, 1.0),
                }.get(name, (scalars.get("min", -1.0), scalars.get("max", 1.0)))
                span = hi - lo
                sat = of >= hi - 0.01 * span
                if lo != 0.0 or name not in ("hardtanh", "hardtanh_"):
                    sat |= of <= lo + 0.01 * span  # ReLU6's zeros are ReLU's, not saturation
                op.stats["saturated"] = sat.float().mean()
            if (
                name
                in (
                    "clamp",
                    "clamp_",
                    "clip",
                    "clip_",
                    "hardtanh",
                    "hardtanh_",
                    "relu",
                    "relu_",
                    "relu6",
                )
                and tensors
            ):
                x = tensors[0].detach()
                lo = scalars.get("min")
                hi = scalars.get("max")
                if name.startswith("relu"):
                    lo, hi = 0.0, (6.0 if name == "relu6" else None)
                inside = torch.ones_like(x, dtype=torch.bool)
                if isinstance(lo, (int, float)):
                    inside &= x > lo
                if isinstance(hi, (int, float)):
                    inside &= x < hi
                op.stats["inside"] = inside.float().mean()

    def finish(self) -> None:
        """Move every statistic to the host in one transfer."""
        keys: list[tuple[Op, str]] = []
        values: list[torch.Tensor] = []
        for op in self.ops:
            for k, v in op.stats.items():
                if isinstance(v, torch.Tensor):
                    keys.append((op, k))
                    values.append(v.detach().float().reshape(()))
        if values:
            by_device: dict[torch.device, list[int]] = {}
            for i, v in enumerate(values):
                by_device.setdefault(v.device, []).append(i)
            host = [0.0] * len(values)
            for _, idx in by_device.items():
                got = torch.stack([values[i] for i in idx]).cpu().tolist()
                for i, g in zip(idx, got, strict=True):
                    host[i] = g
            for (op, k), v in zip(keys, host, strict=True):
                op.stats[k] = v

    def release(self) -> None:
        """Drop the references to intermediate tensors."""
        self.producer.clear()
        for op in self.ops:
            op.out = None


def _is_skip(
    float_parents: list[tuple[Op | None, torch.Tensor]],
    leaves: list[str],
    tensors: list[torch.Tensor],
) -> bool:
    """An add or cat joins paths of different depth: a skip (residual) connection."""
    with_info = [p for p, _ in float_parents if p is not None and p.cap > 0]
    if len(with_info) >= 2 and len({p.depth for p in with_info}) > 1:
        return True
    direct = any(
        kind == "input" and t.is_floating_point() for t, kind in zip(tensors, leaves, strict=True)
    )
    return bool(with_info) and direct and max(p.depth for p in with_info) > 0


def _signal(t: torch.Tensor) -> torch.Tensor:
    """How much a tensor varies from sample to sample: the RMS over units of the standard
    deviation over the batch (a constant bias adds nothing)."""
    if t.ndim == 0 or t.shape[0] < 2:
        return t.new_zeros(())
    flat = t.reshape(t.shape[0], -1)
    return flat.var(dim=0, unbiased=False).mean().sqrt()


def _conv_ancestor(op: Op) -> bool:
    seen = 0
    stack = [p for p in op.parents if p is not None]
    while stack and seen < 50:
        p = stack.pop()
        seen += 1
        if p.name.startswith("conv"):
            return True
        if p.weighted:
            return False
        stack.extend(q for q in p.parents if q is not None)
    return False


def _number(v: Any) -> float | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, torch.Tensor) and v.numel() == 1 and not v.requires_grad:
        return float(v.detach().reshape(()).item())
    return None


def _scalars(name: str, args: Any, kwargs: Any) -> dict[str, Any]:
    """The non-tensor arguments the checks need (bounds, operands, dropout p)."""
    a = list(args)
    s: dict[str, Any] = {}
    if name in ("clamp", "clamp_", "clip", "clip_"):
        lo = kwargs.get("min", a[1] if len(a) > 1 else None)
        hi = kwargs.get("max", a[2] if len(a) > 2 else None)
        s["min"], s["max"] = _number(lo), _number(hi)
        s["tensor_bounds"] = isinstance(lo, torch.Tensor) or isinstance(hi, torch.Tensor)
    elif name in ("hardtanh", "hardtanh_"):
        s["min"] = _number(kwargs.get("min_val", a[1] if len(a) > 1 else -1.0))
        s["max"] = _number(kwargs.get("max_val", a[2] if len(a) > 2 else 1.0))
    elif name in (
        "mul",
        "mul_",
        "div",
        "div_",
        "add",
        "add_",
        "sub",
        "sub_",
        "rsub",
        "rdiv",
        "true_divide",
        "multiply",
        "divide",
    ):
        numbers = [_number(v) for v in a[:2]]
        tensors = [isinstance(v, torch.Tensor) and v.numel() > 1 for v in a[:2]]
        s["operand"] = next(
            (n for n, t in zip(numbers, tensors, strict=False) if n is not None and not t), None
        )
        alpha = kwargs.get("alpha")
        if alpha is not None:
            s["alpha"] = _number(alpha)
    elif name in (
        "dropout",
        "alpha_dropout",
        "feature_alpha_dropout",
        "dropout1d",
        "dropout2d",
        "dropout3d",
    ):
        p = kwargs.get("p", a[1] if len(a) > 1 else 0.5)
        training = kwargs.get("training", a[2] if len(a) > 2 else True)
        s["p"], s["training"] = _number(p), bool(training)
    elif name == "batch_norm":
        training = kwargs.get("training", a[5] if len(a) > 5 else False)
        s["training"] = bool(training)
    elif name in ("softplus",):
        s["beta"] = _number(kwargs.get("beta", a[1] if len(a) > 1 else 1.0))
    elif name in ("elu", "elu_", "celu"):
        s["alpha"] = _number(kwargs.get("alpha", a[1] if len(a) > 1 else 1.0))
    elif name in ("pow",):
        s["exponent"] = _number(a[1] if len(a) > 1 else kwargs.get("exponent"))
    elif name in ("leaky_relu", "leaky_relu_"):
        s["slope"] = _number(kwargs.get("negative_slope", a[1] if len(a) > 1 else 0.01))
    elif name in ("softmax", "log_softmax"):
        s["dim"] = kwargs.get("dim", a[1] if len(a) > 1 else None)
    return s


def _per_sample(t: torch.Tensor) -> int:
    return int(t[0].numel()) if t.ndim >= 1 and t.shape[0] > 0 else int(t.numel())


def _cap(
    op: Op,
    float_parents: list[tuple[Op | None, torch.Tensor]],
    leaves: list[str],
    tensors: list[torch.Tensor],
    out: torch.Tensor,
) -> int:
    """The narrowest width (numbers per sample) the information from the inputs has passed
    through: the model's inputs are unlimited, parameters, buffers and constants carry no
    information (0); an op passes at most its own width, elementwise combinations the wider of
    their operands, ``cat`` the sum.
    """
    own = _per_sample(out)
    caps = []
    float_kinds = [k for k, t in zip(leaves, tensors, strict=True) if t.is_floating_point()]
    for (p, _), kind in zip(float_parents, float_kinds, strict=True):
        if p is not None:
            caps.append(p.cap)
        elif kind in ("input", "const"):
            # a tensor made inside forward (a packed sequence through torch._VF, a mask)
            # may carry the input's information: never a bottleneck by itself
            caps.append(UNLIMITED)
    if any(
        kind == "input" and not t.is_floating_point()
        for t, kind in zip(tensors, leaves, strict=True)
    ):
        caps.append(UNLIMITED)  # token ids carry information too
    for t, kind in zip(tensors, leaves, strict=True):
        if kind == "op" and not t.is_floating_point():
            caps.append(_per_sample(t))
    if not caps:
        return 0
    if op.name == "cat":
        return min(own, sum(caps))
    return min(own, max(caps))


def out_range(
    op: Op | None, memo: dict[int, tuple[float, float, Op | None]] | None = None
) -> tuple[float, float, Op | None]:
    """Interval the op's output is confined to, whatever the input, and the op nearest the
    output that bounds it (``None``: unbounded, or bounded by nothing recognised)."""
    if memo is None:
        memo = {}
    if op is None:
        return (-INF, INF, None)
    if op.index in memo:
        return memo[op.index]
    memo[op.index] = (-INF, INF, None)  # cycles cannot happen; guards recursion on bad graphs
    result = _range(op, memo)
    memo[op.index] = result
    return result


def _first_range(
    op: Op, memo: dict[int, tuple[float, float, Op | None]]
) -> tuple[float, float, Op | None]:
    for p, kind in zip(op.parents, op.leaves, strict=True):
        if kind in ("op", "input"):
            return out_range(p, memo)
    return (-INF, INF, None)


def _sigmoid(v: float) -> float:
    if v == INF:
        return 1.0
    if v == -INF:
        return 0.0
    return 1.0 / (1.0 + math.exp(-max(min(v, 700.0), -700.0)))


def _softplus(v: float) -> float:
    return v if v > 30 else math.log1p(math.exp(v))


def _exp(v: float) -> float:
    return math.exp(min(v, 700.0)) if v != INF else INF


#: Monotone non-decreasing functions: the image of [lo, hi] is [f(lo), f(hi)].
_MONOTONE: dict[str, Any] = {
    "relu": lambda v: max(v, 0.0),
    "relu_": lambda v: max(v, 0.0),
    "relu6": lambda v: min(max(v, 0.0), 6.0),
    "sigmoid": _sigmoid,
    "sigmoid_": _sigmoid,
    "tanh": math.tanh,
    "tanh_": math.tanh,
    "softsign": lambda v: v / (1 + abs(v)) if abs(v) != INF else math.copysign(1.0, v),
    "hardsigmoid": lambda v: min(max(v / 6 + 0.5, 0.0), 1.0),
    "exp": _exp,
    "exp_": _exp,
    "softplus": _softplus,
    "logsigmoid": lambda v: -_softplus(-v),
}
#: Functions whose image is a fixed interval whatever the input (approximate minima).
_FIXED = {
    "softmax": (0.0, 1.0), "log_softmax": (-INF, 0.0), "abs": (0.0, INF), "square": (0.0, INF),
    "sqrt": (0.0, INF), "gelu": (-0.17, INF), "silu": (-0.2785, INF), "mish": (-0.309, INF),
    "hardswish": (-0.375, INF), "selu": (-1.7581, INF),
}  # fmt: skip
_CLAMPS = frozenset({"clamp", "clamp_", "clip", "clip_", "hardtanh", "hardtanh_"})
_ARITH = frozenset(
    {"mul", "mul_", "multiply", "div", "div_", "true_divide", "divide", "add", "add_", "sub",
     "sub_", "rsub"}
)  # fmt: skip

Range = tuple[float, float, "Op | None"]


def _range(op: Op, memo: dict[int, Range]) -> Range:
    name = op.name
    lo, hi, by = _first_range(op, memo)
    if name in IDENTITY:
        return (lo, hi, by)
    if name in _MONOTONE:
        f = _MONOTONE[name]
        return (f(lo), f(hi), op)
    if name in _FIXED:
        return (*_FIXED[name], op)
    if name in ("elu", "elu_", "celu"):
        alpha = op.scalars.get("alpha") or 1.0
        return (max(-alpha, min(lo, 0.0)) if lo < 0 else lo, hi, op)
    if name in _CLAMPS:
        if op.scalars.get("tensor_bounds"):
            return (-INF, INF, None)
        cmin, cmax = op.scalars.get("min"), op.scalars.get("max")
        nlo = max(lo, cmin) if cmin is not None else lo
        nhi = min(hi, cmax) if cmax is not None else hi
        return (nlo, nhi, op)
    if name == "neg":
        return (-hi, -lo, by)
    if name in _ARITH:
        return _arith(op, lo, hi, by, memo)
    return (-INF, INF, None)


def _scale(lo: float, hi: float, c: float) -> tuple[float, float]:
    if c == 0:
        return (0.0, 0.0)
    a, b = lo * c, hi * c
    return (min(a, b), max(a, b))


def _arith(op: Op, lo: float, hi: float, by: Op | None, memo: dict[int, Range]) -> Range:
    """Interval arithmetic with a scalar operand (or the sum of two bounded tensors)."""
    name = op.name
    c = op.scalars.get("operand")
    tensors = [p for p, k in zip(op.parents, op.leaves, strict=True) if k in ("op", "input")]
    if c is not None and len(tensors) <= 1 and by is not None:
        if name.startswith("mul") or name == "multiply":
            return (*_scale(lo, hi, c), by)
        if name.startswith("div") or name in ("true_divide", "divide"):
            return (*_scale(lo, hi, 1.0 / c), by) if c != 0 else (-INF, INF, None)
        if name.startswith("add"):
            shift = c * (op.scalars.get("alpha") or 1.0)
            return (lo + shift, hi + shift, by)
        if name.startswith("sub"):
            return (lo - c, hi - c, by)
        if name == "rsub":
            return (c - hi, c - lo, by)
    if len(tensors) == 2 and name.startswith("add"):
        r1, r2 = out_range(tensors[0], memo), out_range(tensors[1], memo)
        if r1[2] is not None and r2[2] is not None:
            return (r1[0] + r2[0], r1[1] + r2[1], r1[2])
    return (-INF, INF, None)


def head_chain(op: Op | None) -> list[Op]:
    """The ops from the output back to (and including) the first non-identity op."""
    chain: list[Op] = []
    while op is not None:
        chain.append(op)
        if op.name not in IDENTITY:
            break
        nxt = [p for p, k in zip(op.parents, op.leaves, strict=True) if k == "op"]
        op = nxt[0] if nxt else None
    return chain


def ancestors_params(op: Op) -> set[str]:
    """Parameters used anywhere upstream of ``op`` (including by it)."""
    out: set[str] = set()
    seen: set[int] = set()
    stack = [op]
    while stack:
        cur = stack.pop()
        if cur.index in seen:
            continue
        seen.add(cur.index)
        out.update(cur.params)
        stack.extend(p for p in cur.parents if p is not None)
    return out


@dataclass
class Observation:
    """What one instrumented forward/backward pass saw."""

    recorder: Recorder
    output: Any
    output_op: Op | None
    ops: list[Op]


def observe(
    model: nn.Module, x: Any, inputs: list[torch.Tensor], call: Any, *, keep: bool = True
) -> Observation:
    """Run ``call(model, x)`` under the recorder, with module hooks naming each op's module.
    Every hook is removed before this returns or raises."""
    rec = Recorder(model, inputs, keep=keep)
    with Hooks() as hooks:
        for name, module in model.named_modules():
            if not name:
                continue
            hooks.add(module.register_forward_pre_hook(lambda m, a, _n=name: rec.enter(_n, m)))
            hooks.add(module.register_forward_hook(lambda m, a, o: rec.leave(), always_call=True))
        with rec:
            output = call(model, x)
    head = first_tensor(output)
    output_op = rec.producer.get(id(head)) if head is not None else None
    rec.active = False
    return Observation(rec, output, output_op, rec.ops)
