"""Black box: ``check_model`` leaves the user's model, tensors and torch's global state as
they were - also when the check fails half-way (a loss, a training step or a forward that
raises).

Compared before and after: parameters and buffers (``torch.equal``), ``requires_grad``,
``.grad`` (pre-populated on some parameters), every module's ``training`` flag, device and
dtype, the hooks on every module and parameter, the batch tensors, the torch / numpy /
Python RNG states, grad mode, default dtype, flush-denormal, autocast, anomaly mode,
deterministic algorithms, thread count and the torch-function mode stack.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402
from torch.nn import functional as F  # noqa: E402

from dataguard.errors import DataguardError  # noqa: E402
from dataguard.model_check import ModelReport, check_model  # noqa: E402

_HOOK_DICTS = (
    "_forward_hooks",
    "_forward_pre_hooks",
    "_backward_hooks",
    "_backward_pre_hooks",
    "_forward_hooks_with_kwargs",
    "_forward_pre_hooks_with_kwargs",
    "_state_dict_hooks",
    "_load_state_dict_pre_hooks",
)
_TENSOR_HOOKS = ("_backward_hooks", "_post_accumulate_grad_hooks")
_GLOBAL_HOOKS = (
    "_global_forward_hooks",
    "_global_forward_pre_hooks",
    "_global_backward_hooks",
    "_global_backward_pre_hooks",
    "_global_module_registration_hooks",
    "_global_parameter_registration_hooks",
    "_global_buffer_registration_hooks",
)


class Probe(nn.Module):
    """BatchNorm (running buffers), dropout, a frozen layer, a user hook."""

    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(10, 32)
        self.bn = nn.BatchNorm1d(32)
        self.drop = nn.Dropout(0.2)
        self.fc2 = nn.Linear(32, 32)
        self.frozen = nn.Linear(32, 32)
        self.frozen.requires_grad_(False)
        self.head = nn.Linear(32, 1)

    def forward(self, x: Any) -> Any:
        h = self.drop(F.relu(self.bn(self.fc1(x))))
        return self.head(F.relu(self.fc2(h)) + 0.1 * self.frozen(h))


class FailsOnSecondForward(Probe):
    """Raises on the second forward call, counted on the class (a copy cannot reset it)."""

    calls = 0

    def forward(self, x: Any) -> Any:
        type(self).calls += 1
        if type(self).calls >= 2:
            raise RuntimeError("forward failed on call 2 (test)")
        return super().forward(x)


def _user_hook(module: Any, args: Any, output: Any) -> None:
    return None


def _make(
    mode: str = "train", *, cls: type[Probe] = Probe, dtype: Any = torch.float32
) -> tuple[Any, tuple[Any, Any]]:
    torch.manual_seed(0)
    model = cls().to(dtype)
    if mode == "train":
        model.train()
    elif mode == "eval":
        model.eval()
    else:  # mixed: train mode with BatchNorm frozen in eval
        model.train()
        model.bn.eval()
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(64, 10, generator=gen, dtype=dtype)
    y = (x[:, :1] - x[:, 1:2] + 0.1 * torch.randn(64, 1, generator=gen, dtype=dtype)).to(dtype)
    # Gradients the user had before calling: some set, some None.
    model.fc1.weight.grad = torch.randn(model.fc1.weight.shape, generator=gen, dtype=dtype)
    model.head.bias.grad = torch.ones_like(model.head.bias)
    model.fc2.register_forward_hook(_user_hook)
    return model, (x, y)


def _flush_denormal_on() -> bool:
    return bool((torch.tensor([1e-310], dtype=torch.float64) * 1.0).item() == 0.0)


def _function_mode_depth() -> int:
    length = getattr(torch._C, "_len_torch_function_stack", None)
    return int(length()) if length is not None else 0


def _hooks(obj: Any, names: tuple[str, ...]) -> dict[str, list[Any]]:
    out = {}
    for name in names:
        hooks = getattr(obj, name, None)
        out[name] = list(hooks.values()) if hooks is not None else []
    return out


@dataclass
class Snapshot:
    tensors: dict[str, Any]
    grads: dict[str, Any]
    flags: dict[str, Any]
    hooks: dict[str, Any]
    rng: dict[str, Any]


def _snapshot(model: Any, batch: tuple[Any, Any]) -> Snapshot:
    tensors = {f"param {n}": p.detach().clone() for n, p in model.named_parameters()}
    tensors.update({f"buffer {n}": b.detach().clone() for n, b in model.named_buffers()})
    tensors.update({"batch x": batch[0].clone(), "batch y": batch[1].clone()})
    grads = {
        n: (None if p.grad is None else p.grad.detach().clone())
        for n, p in model.named_parameters()
    }
    flags: dict[str, Any] = {
        f"training {n or '<root>'}": m.training for n, m in model.named_modules()
    }
    for n, p in model.named_parameters():
        flags[f"requires_grad {n}"] = p.requires_grad
        flags[f"device/dtype {n}"] = (p.device, p.dtype)
    for n, b in model.named_buffers():
        flags[f"device/dtype buffer {n}"] = (b.device, b.dtype)
    flags.update(
        {
            "grad_enabled": torch.is_grad_enabled(),
            "inference_mode": torch.is_inference_mode_enabled(),
            "default_dtype": torch.get_default_dtype(),
            "flush_denormal": _flush_denormal_on(),
            "autocast_cpu": torch.is_autocast_enabled("cpu"),
            "anomaly": torch.is_anomaly_enabled(),
            "deterministic": torch.are_deterministic_algorithms_enabled(),
            "num_threads": torch.get_num_threads(),
            "function_mode_depth": _function_mode_depth(),
            "batch x requires_grad": batch[0].requires_grad,
        }
    )
    hooks = {f"module {n or '<root>'}": _hooks(m, _HOOK_DICTS) for n, m in model.named_modules()}
    hooks.update({f"param {n}": _hooks(p, _TENSOR_HOOKS) for n, p in model.named_parameters()})
    hooks["global"] = _hooks(nn.modules.module, _GLOBAL_HOOKS)
    rng = {
        "torch": torch.get_rng_state().clone(),
        "numpy": np.random.get_state(),  # noqa: NPY002 - the global state
        "python": random.getstate(),
    }
    return Snapshot(tensors, grads, flags, hooks, rng)


def _same_numpy_state(a: Any, b: Any) -> bool:
    return bool(a[0] == b[0] and np.array_equal(a[1], b[1]) and tuple(a[2:]) == tuple(b[2:]))


def _differences(before: Snapshot, after: Snapshot) -> list[str]:
    diffs = []
    for key, value in before.tensors.items():
        other = after.tensors.get(key)
        if other is None or other.dtype != value.dtype or not torch.equal(value, other):
            diffs.append(f"{key} changed")
    for key, grad in before.grads.items():
        other = after.grads.get(key)
        if (grad is None) != (other is None) or (grad is not None and not torch.equal(grad, other)):
            diffs.append(f".grad of {key} changed ({'None' if grad is None else 'set'} before)")
    diffs += [
        f"{k}: {v!r} -> {after.flags.get(k)!r}"
        for k, v in before.flags.items()
        if after.flags.get(k) != v
    ]
    if set(after.flags) != set(before.flags):
        diffs.append(f"modules/parameters differ: {set(after.flags) ^ set(before.flags)}")
    diffs += [f"hooks of {k} changed" for k, v in before.hooks.items() if after.hooks.get(k) != v]
    if not torch.equal(before.rng["torch"], after.rng["torch"]):
        diffs.append("torch RNG state changed")
    if not _same_numpy_state(before.rng["numpy"], after.rng["numpy"]):
        diffs.append("numpy RNG state changed")
    if before.rng["python"] != after.rng["python"]:
        diffs.append("python RNG state changed")
    return diffs


def _seed_everything() -> None:
    torch.manual_seed(123)
    np.random.seed(5)  # noqa: NPY002 - the global state is what is checked
    random.seed(7)


def _good_step(model: Any, optimizer: Any, batch: tuple[Any, Any]) -> Any:
    x, y = batch
    model.train()
    optimizer.zero_grad()
    loss: Any = F.mse_loss(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.detach()


def _run_and_compare(model: Any, batch: tuple[Any, Any], **kw: Any) -> ModelReport | None:
    """Run check_model; a DataguardError counts as an answer. Assert nothing changed."""
    _seed_everything()
    before = _snapshot(model, batch)
    report: ModelReport | None = None
    try:
        report = check_model(model, batch, **kw)
    finally:
        after = _snapshot(model, batch)
        diffs = _differences(before, after)
        assert not diffs, "check_model left changes behind:\n  " + "\n  ".join(diffs)
    return report


# --- successful checks ------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["train", "eval", "mixed"])
def test_full_check_leaves_model_and_globals_untouched(mode: str) -> None:
    model, batch = _make(mode)
    report = _run_and_compare(
        model, batch, loss_fn=nn.MSELoss(), optimizer="adam", lr=1e-3, batch_size=64, n_train=442
    )
    assert isinstance(report, ModelReport)


def test_train_step_clipping_and_amp_leave_everything_untouched() -> None:
    model, batch = _make("eval")
    report = _run_and_compare(
        model,
        batch,
        loss_fn="mse",
        optimizer=torch.optim.SGD,
        optimizer_kwargs={"momentum": 0.9},
        lr=0.01,
        clip_grad_norm=1.0,
        train_step=_good_step,
        amp="bfloat16",
    )
    assert isinstance(report, ModelReport)


def test_static_check_leaves_everything_untouched() -> None:
    model, batch = _make("train")
    report = _run_and_compare(model, batch, loss_fn=F.mse_loss, checks="static")
    assert isinstance(report, ModelReport)


def test_float64_model_keeps_its_dtype() -> None:
    model, batch = _make("train", dtype=torch.float64)
    report = _run_and_compare(model, batch, loss_fn=nn.MSELoss(), lr=1e-3)
    assert isinstance(report, ModelReport)
    assert all(p.dtype == torch.float64 for p in model.parameters())


def test_flush_denormal_setting_is_restored() -> None:
    if not torch.set_flush_denormal(True):
        pytest.skip("this CPU cannot flush denormals")
    try:
        assert _flush_denormal_on()
        model, batch = _make("train")
        _run_and_compare(model, batch, loss_fn=nn.MSELoss(), lr=1e-3)
        assert _flush_denormal_on()
    finally:
        torch.set_flush_denormal(False)


# --- checks that fail half-way ----------------------------------------------------------------


class _LossFailsOnThirdCall:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, out: Any, target: Any) -> Any:
        self.calls += 1
        if self.calls >= 3:
            raise RuntimeError("loss failed on call 3 (test)")
        return F.mse_loss(out, target)


def _step_raises(model: Any, optimizer: Any, batch: tuple[Any, Any]) -> Any:
    x, y = batch
    optimizer.zero_grad()
    loss: Any = F.mse_loss(model(x), y)
    loss.backward()
    raise ValueError("train_step failed after backward (test)")


def _failing_cases() -> dict[str, Callable[[], tuple[Any, tuple[Any, Any], dict[str, Any]]]]:
    def loss_raises() -> tuple[Any, tuple[Any, Any], dict[str, Any]]:
        model, batch = _make("train")
        return model, batch, {"loss_fn": _LossFailsOnThirdCall(), "lr": 1e-3}

    def step_raises() -> tuple[Any, tuple[Any, Any], dict[str, Any]]:
        model, batch = _make("eval")
        return model, batch, {"loss_fn": nn.MSELoss(), "lr": 1e-3, "train_step": _step_raises}

    def forward_raises() -> tuple[Any, tuple[Any, Any], dict[str, Any]]:
        FailsOnSecondForward.calls = 0
        model, batch = _make("train", cls=FailsOnSecondForward)
        return model, batch, {"loss_fn": nn.MSELoss(), "lr": 1e-3}

    return {
        "loss_raises": loss_raises,
        "step_raises": step_raises,
        "forward_raises": forward_raises,
    }


@pytest.mark.parametrize("case", sorted(_failing_cases()))
def test_failed_check_restores_everything(case: str) -> None:
    model, batch, kw = _failing_cases()[case]()
    try:
        report = _run_and_compare(model, batch, **kw)  # state is compared even if it raises
    except DataguardError:
        return  # an answer
    except Exception as exc:
        pytest.fail(
            f"{case}: state was restored, but check_model let {type(exc).__name__}: {exc} "
            "escape instead of a DataguardError or a finding"
        )
    assert report is not None and report.findings, (
        f"{case}: check_model neither raised a DataguardError nor reported a finding"
    )
