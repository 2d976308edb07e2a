"""Leave everything as it was: global torch state, RNG states, the user's model, hooks.

The checker works on deep copies of the model, so the user's parameters, buffers, gradients
and flags are never touched; :class:`ModelSnapshot` still records them and restores any
difference (a user hook with side effects, a copy that shares a tensor), and
:class:`GlobalState` restores what a check or the user's ``train_step`` may change
process-wide: grad mode, intra-op threads, default dtype, flush-denormal, anomaly mode,
deterministic algorithms, the CPU and CUDA RNG states and the numpy and ``random`` generators.
:class:`Hooks` collects every handle the checker registers and removes them all.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import torch
from torch import nn

__all__ = ["GlobalState", "Hooks", "ModelSnapshot", "flush_denormal_enabled", "guarded"]


def flush_denormal_enabled() -> bool:
    """Whether torch flushes denormals (torch has a setter only; this reads the effect)."""
    return bool((torch.tensor([1e-310], dtype=torch.float64) * 1.0).item() == 0.0)


class GlobalState:
    """Process-wide torch, numpy and ``random`` state, captured and restored."""

    def __init__(self) -> None:
        self.grad = torch.is_grad_enabled()
        self.threads = torch.get_num_threads()
        self.dtype = torch.get_default_dtype()
        self.flush = flush_denormal_enabled()
        self.anomaly = torch.is_anomaly_enabled()
        self.deterministic = torch.are_deterministic_algorithms_enabled()
        self.warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
        self.seed = torch.initial_seed()
        self.cpu_rng = torch.get_rng_state()
        self.cuda_rng = (
            torch.cuda.get_rng_state_all()
            if torch.cuda.is_available() and torch.cuda.is_initialized()
            else None
        )
        self.np_rng = np.random.get_state()  # noqa: NPY002 - the legacy global generator is the state to keep
        self.py_rng = random.getstate()

    def restore(self) -> None:
        torch.set_grad_enabled(self.grad)
        if torch.get_num_threads() != self.threads:
            torch.set_num_threads(self.threads)
        torch.set_default_dtype(self.dtype)
        if flush_denormal_enabled() != self.flush:
            torch.set_flush_denormal(self.flush)
        torch.set_anomaly_enabled(self.anomaly)
        if torch.are_deterministic_algorithms_enabled() != self.deterministic or (
            torch.is_deterministic_algorithms_warn_only_enabled() != self.warn_only
        ):
            torch.use_deterministic_algorithms(self.deterministic, warn_only=self.warn_only)
        torch.set_rng_state(self.cpu_rng)
        if self.cuda_rng is not None:
            torch.cuda.set_rng_state_all(self.cuda_rng)
        elif torch.cuda.is_available() and torch.cuda.is_initialized():
            # CUDA started during the check: put its generators where lazy initialization
            # would have put them (seeded with the process seed)
            torch.cuda.manual_seed_all(self.seed)
        np.random.set_state(self.np_rng)  # noqa: NPY002
        random.setstate(self.py_rng)


class ModelSnapshot:
    """The user's parameters, buffers, gradients, ``requires_grad`` and ``training`` flags."""

    def __init__(self, model: nn.Module) -> None:
        self.model = model
        self.training = {name: m.training for name, m in model.named_modules()}
        self.params: dict[str, tuple[torch.Tensor, torch.Tensor | None, bool]] = {}
        for name, p in model.named_parameters(remove_duplicate=False):
            grad = None if p.grad is None else p.grad.detach().clone()
            self.params[name] = (p.detach().clone(), grad, p.requires_grad)
        self.buffers = {
            name: b.detach().clone() for name, b in model.named_buffers(remove_duplicate=False)
        }

    def restore(self) -> None:
        """Put back anything that differs (normally nothing does)."""
        modules = dict(self.model.named_modules())
        for name, flag in self.training.items():
            if name in modules and modules[name].training != flag:
                modules[name].training = flag
        with torch.no_grad():
            for name, p in self.model.named_parameters(remove_duplicate=False):
                if name not in self.params:
                    continue
                value, grad, requires = self.params[name]
                if not _same(p.detach(), value):
                    p.copy_(value)
                if grad is None:
                    if p.grad is not None:
                        p.grad = None
                elif p.grad is None or not _same(p.grad, grad):
                    p.grad = grad.clone()
                if p.requires_grad != requires:
                    p.requires_grad_(requires)
            for name, b in self.model.named_buffers(remove_duplicate=False):
                if name in self.buffers and not _same(b, self.buffers[name]):
                    b.copy_(self.buffers[name])


def _same(a: torch.Tensor, b: torch.Tensor) -> bool:
    return a.shape == b.shape and a.dtype == b.dtype and bool(torch.equal(a, b))


class Hooks:
    """Every hook handle the checker registers; :meth:`remove` removes them all."""

    def __init__(self) -> None:
        self._handles: list[Any] = []

    def add(self, handle: Any) -> None:
        self._handles.append(handle)

    def remove(self) -> None:
        while self._handles:
            handle = self._handles.pop()
            try:
                handle.remove()
            except Exception:  # a handle whose module is gone; nothing left to remove
                continue

    def __enter__(self) -> Hooks:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


def seed(value: int, device: torch.device) -> None:
    """Seed the generators a check draws from: the CPU one, and the device's when it is a
    GPU (not ``torch.manual_seed``, which would also queue seeds for every CUDA device);
    :class:`GlobalState` restores them."""
    torch.default_generator.manual_seed(value)
    if device.type == "cuda":
        torch.cuda.manual_seed(value)


@contextmanager
def guarded(model: nn.Module) -> Iterator[None]:
    """Run the checker; restore the global state and the user's model whatever happens."""
    state = GlobalState()
    snapshot = ModelSnapshot(model)
    try:
        yield
    finally:
        snapshot.restore()
        state.restore()
