"""A corpus of model setups for ``dataguard.model_check.check_model``.

Each :class:`Setup` builds the keyword arguments of one ``check_model`` call (model, batch,
loss, optimizer, learning rate, batch and dataset size, optionally the user's training step).
Three kinds:

* ``HEALTHY``: ordinary, well-configured models on standardized real data; the checker must
  raise nothing above info.
* ``UNUSUAL``: legitimate but less common choices (other activations, zero-initialized output
  layers, tiny batches, probability heads with their matching loss, ...). They train (the
  tests show it with a plain loop) and the checker must stay at or below info.
* ``BROKEN``: one mistake each, taken from the seed article ("My Neural Network isn't working!
  What should I do?", reasons 1-11). ``expect`` is the code it must raise (at ``severity`` or
  above); ``allowed`` lists every other code it may legitimately also raise at warning or
  error, with the reason.

Data comes from scikit-learn's bundled datasets (diabetes, digits, wine, breast cancer; no
network). Every ``build()`` seeds torch itself, so two builds give identical models.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")
datasets = pytest.importorskip("sklearn.datasets")

from torch import nn  # noqa: E402
from torch.nn import functional as F  # noqa: E402

from dataguard.findings import Severity  # noqa: E402

__all__ = [
    "BROKEN",
    "HEALTHY",
    "UNUSUAL",
    "Setup",
    "as_batches",
    "call_model",
    "fit",
    "resolve_loss",
]

Kwargs = dict[str, Any]
Pair = tuple[Any, Any]


@dataclass(frozen=True)
class Setup:
    """One ``check_model`` setup: ``build()`` returns its keyword arguments.

    ``expect``/``also_expect``/``severity``/``allowed`` concern broken variants; ``steps`` and
    ``min_drop`` the plain training loop that shows a healthy or unusual setup trains (the
    loss on its batches falls by at least ``min_drop`` of its initial value in ``steps``
    steps). ``ignore_warnings`` are warning filters the call needs (a variant whose mistake
    makes torch itself warn); ``skip`` returns a reason to skip, or None.
    """

    name: str
    description: str
    build: Callable[[], Kwargs]
    expect: str | None = None
    also_expect: tuple[str, ...] = ()
    severity: Severity = Severity.WARNING
    allowed: dict[str, str] = field(default_factory=dict)
    steps: int = 100
    min_drop: float = 0.8
    ignore_warnings: tuple[str, ...] = ()
    skip: Callable[[], str | None] | None = None

    def __str__(self) -> str:
        return self.name


HEALTHY: list[Setup] = []
UNUSUAL: list[Setup] = []
BROKEN: list[Setup] = []

_I, _W, _E = Severity.INFO, Severity.WARNING, Severity.ERROR


Build = Callable[[], Kwargs]


def _register(
    target: list[Setup], name: str, description: str, **kw: Any
) -> Callable[[Build], Build]:
    def deco(build: Build) -> Build:
        target.append(Setup(name, " ".join(description.split()), build, **kw))
        return build

    return deco


def healthy(name: str, description: str, **kw: Any) -> Callable[[Build], Build]:
    return _register(HEALTHY, name, description, **kw)


def unusual(name: str, description: str, **kw: Any) -> Callable[[Build], Build]:
    return _register(UNUSUAL, name, description, **kw)


def broken(name: str, description: str, **kw: Any) -> Callable[[Build], Build]:
    return _register(BROKEN, name, description, **kw)


# ---------------------------------------------------------------------------------------------
# Data: scikit-learn's bundled datasets, as float32 tensors.
# ---------------------------------------------------------------------------------------------


def _standardize(a: np.ndarray) -> np.ndarray:
    mean = a.mean(axis=0)
    std = a.std(axis=0)
    out: np.ndarray = (a - mean) / np.where(std > 0, std, 1.0)
    return out


@functools.cache
def _raw(name: str) -> tuple[np.ndarray, np.ndarray]:
    loaders: dict[str, Callable[[], Any]] = {
        "diabetes": lambda: datasets.load_diabetes(scaled=False),
        "digits": datasets.load_digits,
        "wine": datasets.load_wine,
        "breast_cancer": datasets.load_breast_cancer,
    }
    bunch = loaders[name]()
    return np.asarray(bunch.data, dtype=np.float64), np.asarray(bunch.target)


N_TRAIN = {"diabetes": 442, "digits": 1797, "wine": 178, "breast_cancer": 569}


def _rows(name: str, k: int) -> np.ndarray:
    """The first ``k`` rows of a fixed shuffle (classes mixed, same rows every build)."""
    return np.random.default_rng(0).permutation(N_TRAIN[name])[:k]


def _f32(a: np.ndarray) -> Any:
    return torch.as_tensor(np.ascontiguousarray(a), dtype=torch.float32)


def diabetes(k: int = 64, *, raw_x: bool = False, raw_y: bool = False) -> tuple[Any, Any]:
    """Diabetes regression: x (k, 10), y (k, 1); standardized unless raw."""
    x, y = _raw("diabetes")
    x = x if raw_x else _standardize(x)
    y = y if raw_y else _standardize(y)
    idx = _rows("diabetes", k)
    return _f32(x[idx]), _f32(y[idx, None])


def diabetes_y01(k: int = 64) -> tuple[Any, Any]:
    """Diabetes with min-max scaled targets in [0, 1]."""
    x, y = _raw("diabetes")
    y01 = (y - y.min()) / (y.max() - y.min())
    idx = _rows("diabetes", k)
    return _f32(_standardize(x)[idx]), _f32(y01[idx, None])


def digits(k: int = 128, *, pixels: str = "std") -> tuple[Any, Any]:
    """Digits (8x8, 10 classes): x (k, 64); ``pixels`` "std" (one global mean/std), "255"."""
    x, y = _raw("digits")
    if pixels == "std":
        x = (x / 16.0 - (x / 16.0).mean()) / (x / 16.0).std()
    elif pixels == "255":
        x = x * (255.0 / 16.0)
    idx = _rows("digits", k)
    return _f32(x[idx]), torch.as_tensor(y[idx], dtype=torch.long)


def tabular(name: str, k: int = 128, *, raw: bool = False) -> tuple[Any, Any]:
    """Wine (13 features, 3 classes) or breast cancer (30 features, 2 classes)."""
    x, y = _raw(name)
    idx = _rows(name, k)
    return _f32(x[idx] if raw else _standardize(x)[idx]), torch.as_tensor(y[idx], dtype=torch.long)


def binary(k: int = 128) -> tuple[Any, Any]:
    """Breast cancer with float (k, 1) targets for BCE."""
    x, y = tabular("breast_cancer", k)
    return x, y.float()[:, None]


# ---------------------------------------------------------------------------------------------
# Models
# ---------------------------------------------------------------------------------------------


def mlp(
    sizes: Sequence[int],
    act: Callable[[], Any] = nn.ReLU,
    *,
    head: Any = None,
    bias: bool = True,
    batch_norm: bool = False,
    dropout: float = 0.0,
) -> Any:
    """Linear layers with ``act`` between them (not after the last); ``head`` appended."""
    layers: list[Any] = []
    n = len(sizes) - 1
    for i, (a, b) in enumerate(itertools.pairwise(sizes)):
        layers.append(nn.Linear(a, b, bias=bias))
        if i < n - 1:
            if batch_norm:
                layers.append(nn.BatchNorm1d(b))
            layers.append(act())
            if dropout:
                layers.append(nn.Dropout(dropout))
    if head is not None:
        layers.append(head)
    return nn.Sequential(*layers)


def linears(model: Any) -> list[Any]:
    return [m for m in model.modules() if isinstance(m, nn.Linear)]


class Residual(nn.Module):
    """``x + fc2(relu(fc1(norm(x))))``; ``zero_last`` zeroes fc2 (Fixup / "ReZero" style)."""

    def __init__(self, width: int, *, norm: bool = True, zero_last: bool = False) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(width) if norm else nn.Identity()
        self.fc1 = nn.Linear(width, width)
        self.fc2 = nn.Linear(width, width)
        if zero_last:
            nn.init.zeros_(self.fc2.weight)
            nn.init.zeros_(self.fc2.bias)

    def forward(self, x: Any) -> Any:
        return x + self.fc2(F.relu(self.fc1(self.norm(x))))


class ResMLP(nn.Module):
    def __init__(
        self, n_in: int, width: int, depth: int, n_out: int, *, norm: bool, zero_last: bool
    ) -> None:
        super().__init__()
        self.stem = nn.Linear(n_in, width)
        blocks = [Residual(width, norm=norm, zero_last=zero_last) for _ in range(depth)]
        self.blocks = nn.Sequential(*blocks)
        self.norm = nn.LayerNorm(width) if norm else nn.Identity()
        self.head = nn.Linear(width, n_out)

    def forward(self, x: Any) -> Any:
        return self.head(self.norm(self.blocks(self.stem(x))))


class DigitsCNN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1),
            nn.BatchNorm2d(16),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1),
            nn.BatchNorm2d(32),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.head = nn.Linear(32 * 2 * 2, 10)

    def forward(self, x: Any) -> Any:
        return self.head(self.features(x).flatten(1))


class RowTransformer(nn.Module):
    """Digits as a sequence of 8 rows of 8 pixels: ``model(rows, padding_mask)``."""

    def __init__(self, d_model: int = 32) -> None:
        super().__init__()
        self.embed = nn.Linear(8, d_model)
        self.pos = nn.Parameter(torch.randn(1, 8, d_model) * 0.02)
        layer = nn.TransformerEncoderLayer(
            d_model, nhead=4, dim_feedforward=64, dropout=0.1, batch_first=True
        )
        self.encoder = nn.TransformerEncoder(layer, num_layers=2, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, 10)

    def forward(self, rows: Any, padding_mask: Any) -> Any:
        h = self.encoder(self.embed(rows) + self.pos, src_key_padding_mask=padding_mask)
        return self.head(self.norm(h.mean(dim=1)))


class DictMLP(nn.Module):
    """Takes ``{"features": x}``: exercises dict inputs (``model(batch_dict)``)."""

    def __init__(self, n_in: int, width: int, n_out: int, act: Callable[[], Any]) -> None:
        super().__init__()
        self.net = mlp([n_in, width, width, n_out], act)

    def forward(self, inputs: dict[str, Any]) -> Any:
        return self.net(inputs["features"])


class WithFrozenEmbedding(nn.Module):
    """An MLP that also holds a frozen, unused embedding table (e.g. left from an experiment)."""

    def __init__(self) -> None:
        super().__init__()
        self.vocab = nn.Embedding(50, 16)
        self.vocab.weight.requires_grad_(False)
        self.net = mlp([13, 64, 64, 3])

    def forward(self, x: Any) -> Any:
        return self.net(x)


class ClampHead(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.net = mlp([10, 64, 64, 1])

    def forward(self, x: Any) -> Any:
        return torch.clamp(self.net(x), 0.0, 1.0)


class RoundedHidden(nn.Module):
    """Hidden features quantized to quarter steps with ``torch.round``."""

    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(10, 64)
        self.fc2 = nn.Linear(64, 64)
        self.head = nn.Linear(64, 1)

    def forward(self, x: Any) -> Any:
        h = F.relu(self.fc1(x))
        h = torch.round(h * 4.0) / 4.0
        return self.head(F.relu(self.fc2(h)))


class DetachedHidden(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(10, 64)
        self.fc2 = nn.Linear(64, 64)
        self.head = nn.Linear(64, 1)

    def forward(self, x: Any) -> Any:
        h = F.relu(self.fc1(x)).detach()
        return self.head(F.relu(self.fc2(h)))


class ArgmaxBins(nn.Module):
    """Regression as "bin centre of the argmax bin + a learned offset"."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(10, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU())
        self.bins = nn.Linear(64, 10)
        self.offset = nn.Linear(64, 1)
        self.register_buffer("centers", torch.linspace(-2.0, 2.0, 10))

    def forward(self, x: Any) -> Any:
        h = self.body(x)
        idx = self.bins(h).argmax(dim=1)
        centers: Any = self.centers
        return centers[idx].unsqueeze(1) + self.offset(h)


class AlwaysOnDropout(nn.Module):
    """``F.dropout(h, 0.5)``: ``training`` defaults to True, so it stays on in ``eval()``."""

    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(64, 128)
        self.fc2 = nn.Linear(128, 128)
        self.head = nn.Linear(128, 10)

    def forward(self, x: Any) -> Any:
        h = F.dropout(F.relu(self.fc1(x)), 0.5)
        h = F.dropout(F.relu(self.fc2(h)), 0.5)
        return self.head(h)


class ScaledBeforeNorm(nn.Module):
    """Hidden features multiplied by 1e5 before a LayerNorm: harmless in float32 (the norm
    divides the scale out), but 1e5 overflows float16 (max 65504) under autocast."""

    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(10, 64)
        self.norm = nn.LayerNorm(64)
        self.head = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1))

    def forward(self, x: Any) -> Any:
        return self.head(F.relu(self.norm(self.fc1(x) * 1e5)))


# ---------------------------------------------------------------------------------------------
# Helpers the tests share: the loss and optimizer a setup names, and a plain training loop.
# ---------------------------------------------------------------------------------------------

_LOSSES: dict[str, Callable[[], Any]] = {
    "mse": nn.MSELoss,
    "l1": nn.L1Loss,
    "huber": nn.HuberLoss,
    "ce": nn.CrossEntropyLoss,
    "nll": nn.NLLLoss,
    "bce": nn.BCELoss,
    "bce-logits": nn.BCEWithLogitsLoss,
}
_OPTIMIZERS: dict[str, Any] = {
    "sgd": torch.optim.SGD,
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "rmsprop": torch.optim.RMSprop,
}


def resolve_loss(loss_fn: Any) -> Callable[[Any, Any], Any]:
    if isinstance(loss_fn, str):
        return _LOSSES[loss_fn]()  # type: ignore[no-any-return]
    return loss_fn  # type: ignore[no-any-return]


def make_optimizer(kw: Kwargs, model: Any) -> Any:
    opt = kw.get("optimizer") or "adam"
    cls = _OPTIMIZERS[opt] if isinstance(opt, str) else opt
    extra = dict(kw.get("optimizer_kwargs") or {})
    return cls(model.parameters(), lr=kw.get("lr") or 1e-3, **extra)


def as_batches(batch: Any) -> list[Pair]:
    if isinstance(batch, tuple) and len(batch) == 2:
        return [batch]
    return [tuple(b) for b in batch]


def call_model(model: Any, inputs: Any) -> Any:
    if isinstance(inputs, (tuple, list)):
        return model(*inputs)
    return model(inputs)


def _mean_loss(model: Any, loss: Callable[[Any, Any], Any], batches: Iterable[Pair]) -> float:
    was_training = model.training
    model.eval()
    with torch.no_grad():
        values = [float(loss(call_model(model, x), y)) for x, y in batches]
    model.train(was_training)
    return float(np.mean(values))


def fit(kw: Kwargs, steps: int) -> tuple[float, float]:
    """Train ``kw["model"]`` with its optimizer and loss for ``steps`` steps over its batches
    (cycled, no clipping, no custom step); the mean loss over them before and after (eval)."""
    torch.manual_seed(1)
    model = kw["model"]
    loss = resolve_loss(kw["loss_fn"])
    batches = as_batches(kw["batch"])
    opt = make_optimizer(kw, model)
    before = _mean_loss(model, loss, batches)
    model.train()
    for i in range(steps):
        x, y = batches[i % len(batches)]
        opt.zero_grad()
        value: Any = loss(call_model(model, x), y)
        value.backward()
        opt.step()
    return before, _mean_loss(model, loss, batches)


def _seed() -> None:
    torch.manual_seed(0)


# ---------------------------------------------------------------------------------------------
# HEALTHY
# ---------------------------------------------------------------------------------------------


@healthy(
    "mlp_diabetes",
    """3x256 ReLU MLP, default PyTorch init, on standardized diabetes regression (inputs and
    target z-scored, seed reason 1), no output activation (reason 7), MSE, Adam lr 1e-3,
    batch 64 of 442 rows.""",
    steps=100,
    min_drop=0.9,
)
def _h_mlp_diabetes() -> Kwargs:
    _seed()
    return {
        "model": mlp([10, 256, 256, 256, 1]),
        "batch": diabetes(64),
        "loss_fn": nn.MSELoss(),
        "optimizer": torch.optim.Adam,
        "lr": 1e-3,
        "batch_size": 64,
        "n_train": 442,
    }


@healthy(
    "cnn_digits_batchnorm",
    """Small CNN (two conv + BatchNorm + ReLU + max-pool blocks) on the 8x8 digits, pixels
    standardized, CrossEntropyLoss on raw logits, SGD lr 0.05 momentum 0.9, batch 64; the
    batches come from a DataLoader.""",
    steps=100,
    min_drop=0.9,
)
def _h_cnn_digits() -> Kwargs:
    _seed()
    x, y = digits(128)
    data = torch.utils.data.TensorDataset(x.view(-1, 1, 8, 8), y)
    return {
        "model": DigitsCNN(),
        "batch": torch.utils.data.DataLoader(data, batch_size=64, shuffle=False),
        "loss_fn": nn.CrossEntropyLoss(),
        "optimizer": torch.optim.SGD,
        "optimizer_kwargs": {"momentum": 0.9},
        "lr": 0.05,
        "batch_size": 64,
        "n_train": 1797,
    }


@healthy(
    "transformer_digits_rows",
    """2-layer nn.TransformerEncoder (batch_first, post-norm LayerNorm, d_model 32, 4 heads,
    dropout 0.1) reading each digit as a sequence of 8 rows of 8 standardized pixels, mean
    pooled, LayerNorm, linear head; inputs are a (rows, padding_mask) tuple -> model(*x);
    loss "ce", optimizer "adam" lr 1e-3 (names).""",
    steps=100,
    min_drop=0.7,
)
def _h_transformer() -> Kwargs:
    _seed()
    x, y = digits(128)
    mask = torch.zeros(128, 8, dtype=torch.bool)
    return {
        "model": RowTransformer(32),
        "batch": ((x.view(-1, 8, 8), mask), y),
        "loss_fn": "ce",
        "optimizer": "adam",
        "lr": 1e-3,
        "batch_size": 64,
        "n_train": 1797,
    }


@healthy(
    "resmlp20_wine",
    """20 pre-LayerNorm residual blocks (x + f(x)), width 64, on standardized wine (3
    classes): deep but with the residuals and normalization the seed's reason 10 says deep
    nets rely on; CE, Adam lr 1e-3, batch 16 of 178.""",
    steps=100,
    min_drop=0.9,
)
def _h_resmlp() -> Kwargs:
    _seed()
    return {
        "model": ResMLP(13, 64, 20, 3, norm=True, zero_last=False),
        "batch": tabular("wine", 128),
        "loss_fn": nn.CrossEntropyLoss(),
        "optimizer": torch.optim.Adam,
        "lr": 1e-3,
        "batch_size": 16,
        "n_train": 178,
    }


@healthy(
    "class_weights_wine",
    """MLP 13-64-64-3 on standardized wine with inverse-frequency class weights in
    CrossEntropyLoss(weight=...), Adam lr 1e-3, batch 16.""",
    steps=100,
    min_drop=0.9,
)
def _h_class_weights() -> Kwargs:
    _seed()
    x, y = tabular("wine", 128)
    counts = torch.bincount(y, minlength=3).float()
    weight = counts.sum() / (3 * counts)
    return {
        "model": mlp([13, 64, 64, 3]),
        "batch": (x, y),
        "loss_fn": nn.CrossEntropyLoss(weight=weight),
        "optimizer": torch.optim.Adam,
        "lr": 1e-3,
        "batch_size": 16,
        "n_train": 178,
    }


@healthy(
    "bce_logits_breast_cancer",
    """Binary breast cancer (standardized 30 features) with one logit and BCEWithLogitsLoss
    (the seed's reason 7: no activation before a loss that applies it); inputs are a dict
    {"features": x} -> model(x); Adam lr 1e-3, batch 32 of 569.""",
    steps=100,
    min_drop=0.9,
)
def _h_bce_logits() -> Kwargs:
    _seed()
    x, y = binary(128)
    return {
        "model": DictMLP(30, 64, 1, nn.ReLU),
        "batch": ({"features": x}, y),
        "loss_fn": nn.BCEWithLogitsLoss(),
        "optimizer": torch.optim.Adam,
        "lr": 1e-3,
        "batch_size": 32,
        "n_train": 569,
    }


@healthy(
    "dropout_weight_decay_digits",
    """MLP 64-256-256-10 with dropout 0.2 after each hidden layer and AdamW weight decay
    1e-2 (the seed's reason 4: "add dropout or some form of noise"), standardized digits,
    loss "ce", optimizer "adamw" by name, lr 1e-3, batch 64.""",
    steps=100,
    min_drop=0.9,
)
def _h_dropout_wd() -> Kwargs:
    _seed()
    return {
        "model": mlp([64, 256, 256, 10], dropout=0.2),
        "batch": digits(128),
        "loss_fn": "ce",
        "optimizer": "adamw",
        "optimizer_kwargs": {"weight_decay": 1e-2},
        "lr": 1e-3,
        "batch_size": 64,
        "n_train": 1797,
    }


def _good_step(model: Any, optimizer: Any, batch: Pair) -> Any:
    x, y = batch
    model.train()
    optimizer.zero_grad()
    loss: Any = F.mse_loss(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.detach()


@healthy(
    "train_step_diabetes",
    """MLP 10-128-128-1 (ReLU) with dropout 0.1 on standardized diabetes, with the user's own
    correct train_step (train mode, zero_grad, forward, MSE, backward, step), Adam lr 1e-3,
    batch 64.""",
    steps=100,
    min_drop=0.7,
)
def _h_train_step() -> Kwargs:
    _seed()
    return {
        "model": mlp([10, 128, 128, 1], dropout=0.1),
        "batch": diabetes(64),
        "loss_fn": "mse",
        "optimizer": torch.optim.Adam,
        "lr": 1e-3,
        "batch_size": 64,
        "n_train": 442,
        "train_step": _good_step,
    }


# ---------------------------------------------------------------------------------------------
# UNUSUAL BUT TRAINS
# ---------------------------------------------------------------------------------------------


@unusual(
    "leaky_relu_diabetes",
    """LeakyReLU(0.01) MLP on standardized diabetes regression; the seed (reason 8) suggests
    "leaky ReLU or ELUs" against dead units.""",
    steps=100,
    min_drop=0.8,
)
def _u_leaky() -> Kwargs:
    _seed()
    return {
        "model": mlp([10, 128, 128, 1], lambda: nn.LeakyReLU(0.01)),
        "batch": diabetes(64),
        "loss_fn": nn.MSELoss(),
        "optimizer": torch.optim.Adam,
        "lr": 1e-3,
        "batch_size": 64,
        "n_train": 442,
    }


@unusual(
    "gelu_wine",
    "GELU MLP 13-128-128-3 on standardized wine, CE, Adam lr 1e-3, batch 16.",
    steps=100,
    min_drop=0.9,
)
def _u_gelu() -> Kwargs:
    _seed()
    return {
        "model": mlp([13, 128, 128, 3], nn.GELU),
        "batch": tabular("wine", 128),
        "loss_fn": nn.CrossEntropyLoss(),
        "optimizer": torch.optim.Adam,
        "lr": 1e-3,
        "batch_size": 16,
        "n_train": 178,
    }


@unusual(
    "silu_digits",
    "SiLU (swish) MLP 64-128-128-10 on standardized digits, CE, Adam lr 1e-3, batch 64.",
    steps=100,
    min_drop=0.9,
)
def _u_silu() -> Kwargs:
    _seed()
    return {
        "model": mlp([64, 128, 128, 10], nn.SiLU),
        "batch": digits(128),
        "loss_fn": nn.CrossEntropyLoss(),
        "optimizer": torch.optim.Adam,
        "lr": 1e-3,
        "batch_size": 64,
        "n_train": 1797,
    }


@unusual(
    "elu_breast_cancer",
    """ELU MLP 30-64-64-1 on standardized breast cancer with BCEWithLogitsLoss (ELU is the
    seed's other suggestion against dead ReLUs), Adam lr 1e-3, batch 32.""",
    steps=100,
    min_drop=0.9,
)
def _u_elu() -> Kwargs:
    _seed()
    return {
        "model": mlp([30, 64, 64, 1], nn.ELU),
        "batch": binary(128),
        "loss_fn": "bce-logits",
        "optimizer": torch.optim.Adam,
        "lr": 1e-3,
        "batch_size": 32,
        "n_train": 569,
    }


@unusual(
    "tanh_xavier_wine",
    """Tanh MLP 13-64-64-3 with Xavier (Glorot) uniform weights and zero biases: one of the
    seed's recommended inits ("he", "xavier", "lecun") for the activation it was derived
    for. CE, Adam lr 1e-3.""",
    steps=100,
    min_drop=0.9,
)
def _u_tanh_xavier() -> Kwargs:
    _seed()
    model = mlp([13, 64, 64, 3], nn.Tanh)
    for lin in linears(model):
        nn.init.xavier_uniform_(lin.weight, gain=nn.init.calculate_gain("tanh"))
        nn.init.zeros_(lin.bias)
    return {
        "model": model,
        "batch": tabular("wine", 128),
        "loss_fn": nn.CrossEntropyLoss(),
        "optimizer": torch.optim.Adam,
        "lr": 1e-3,
        "batch_size": 16,
        "n_train": 178,
    }


@unusual(
    "sigmoid_head_bce_probabilities",
    """Sigmoid output with nn.BCELoss on probabilities, binary breast cancer: the seed's
    reason 7, "if the output is a probability in 0-1, a sigmoid on the last layer is
    probably right" (fine as long as the loss expects probabilities).""",
    steps=100,
    min_drop=0.9,
)
def _u_sigmoid_bce() -> Kwargs:
    _seed()
    return {
        "model": mlp([30, 64, 64, 1], head=nn.Sigmoid()),
        "batch": binary(128),
        "loss_fn": nn.BCELoss(),
        "optimizer": torch.optim.Adam,
        "lr": 1e-3,
        "batch_size": 32,
        "n_train": 569,
    }


@unusual(
    "log_softmax_nll_digits",
    """LogSoftmax output with NLLLoss ("nll" by name) on digits: equivalent to CE on logits.""",
    steps=100,
    min_drop=0.9,
)
def _u_log_softmax() -> Kwargs:
    _seed()
    return {
        "model": mlp([64, 128, 128, 10], head=nn.LogSoftmax(dim=1)),
        "batch": digits(128),
        "loss_fn": "nll",
        "optimizer": torch.optim.Adam,
        "lr": 1e-3,
        "batch_size": 64,
        "n_train": 1797,
    }


@unusual(
    "zero_init_output_layer",
    """MLP 10-128-128-1 on diabetes with the output layer (weight and bias) zero-initialized:
    common practice (predict the mean at start); hidden layers get gradient from the first
    update on. The seed's reason 9 warns against setting the weights to zero, but only the
    last layer here, which breaks no symmetry.""",
    steps=100,
    min_drop=0.7,
)
def _u_zero_out() -> Kwargs:
    _seed()
    model = mlp([10, 128, 128, 1])
    nn.init.zeros_(model[-1].weight)
    nn.init.zeros_(model[-1].bias)
    return {
        "model": model,
        "batch": diabetes(64),
        "loss_fn": nn.MSELoss(),
        "optimizer": torch.optim.Adam,
        "lr": 1e-3,
        "batch_size": 64,
        "n_train": 442,
    }


@unusual(
    "fixup_residual_zero_branches",
    """8 residual blocks without normalization whose last layer is zero-initialized
    (Fixup/SkipInit style: each block starts as the identity), diabetes regression, Adam
    lr 1e-3.""",
    steps=100,
    min_drop=0.9,
)
def _u_fixup() -> Kwargs:
    _seed()
    return {
        "model": ResMLP(10, 64, 8, 1, norm=False, zero_last=True),
        "batch": diabetes(64),
        "loss_fn": nn.MSELoss(),
        "optimizer": torch.optim.Adam,
        "lr": 1e-3,
        "batch_size": 64,
        "n_train": 442,
    }


@unusual(
    "no_bias_digits",
    """MLP 64-128-128-10 with every Linear built with bias=False, standardized digits
    (zero-mean inputs, so the missing biases cost little).""",
    steps=100,
    min_drop=0.9,
)
def _u_no_bias() -> Kwargs:
    _seed()
    return {
        "model": mlp([64, 128, 128, 10], bias=False),
        "batch": digits(128),
        "loss_fn": nn.CrossEntropyLoss(),
        "optimizer": torch.optim.Adam,
        "lr": 1e-3,
        "batch_size": 64,
        "n_train": 1797,
    }


@unusual(
    "deep_batchnorm_mlp10",
    """10 Linear layers (width 64) with BatchNorm1d + ReLU between them, on standardized wine:
    deeper than the seed's "start with 3 to 8 layers", but normalized, so it trains.""",
    steps=100,
    min_drop=0.9,
)
def _u_deep_bn() -> Kwargs:
    _seed()
    return {
        "model": mlp([13, *[64] * 9, 3], batch_norm=True),
        "batch": tabular("wine", 128),
        "loss_fn": nn.CrossEntropyLoss(),
        "optimizer": torch.optim.Adam,
        "lr": 1e-3,
        "batch_size": 16,
        "n_train": 178,
    }


@unusual(
    "tiny_batches_4",
    """Batch size 4 (seed reason 5: "start with a very small batch size such as 16, 8, or even
    1"): the batch is a list of 16 (x, y) pairs of 4 diabetes rows; SGD lr 0.01.""",
    steps=300,
    min_drop=0.5,
)
def _u_tiny_batches() -> Kwargs:
    _seed()
    x, y = diabetes(64)
    return {
        "model": mlp([10, 64, 64, 1]),
        "batch": [(x[i : i + 4], y[i : i + 4]) for i in range(0, 64, 4)],
        "loss_fn": nn.MSELoss(),
        "optimizer": torch.optim.SGD,
        "lr": 0.01,
        "batch_size": 4,
        "n_train": 442,
    }


@unusual(
    "sgd_plain_lr0.1",
    """Plain SGD (no momentum) at lr 0.1 on standardized diabetes, MLP 10-64-64-1: a high but
    stable LR for standardized data.""",
    steps=100,
    min_drop=0.7,
)
def _u_sgd_plain() -> Kwargs:
    _seed()
    return {
        "model": mlp([10, 64, 64, 1]),
        "batch": diabetes(64),
        "loss_fn": nn.MSELoss(),
        "optimizer": "sgd",
        "lr": 0.1,
        "batch_size": 64,
        "n_train": 442,
    }


@unusual(
    "label_smoothing_digits",
    """CrossEntropyLoss(label_smoothing=0.1) on digits: the floor of the loss is ~0.5, not 0.""",
    steps=100,
    min_drop=0.6,
)
def _u_label_smoothing() -> Kwargs:
    _seed()
    return {
        "model": mlp([64, 128, 128, 10]),
        "batch": digits(128),
        "loss_fn": nn.CrossEntropyLoss(label_smoothing=0.1),
        "optimizer": torch.optim.Adam,
        "lr": 1e-3,
        "batch_size": 64,
        "n_train": 1797,
    }


@unusual(
    "huber_diabetes",
    """Huber loss ("huber" by name) on standardized diabetes regression.""",
    steps=100,
    min_drop=0.8,
)
def _u_huber() -> Kwargs:
    _seed()
    return {
        "model": mlp([10, 128, 128, 1]),
        "batch": diabetes(64),
        "loss_fn": "huber",
        "optimizer": torch.optim.Adam,
        "lr": 1e-3,
        "batch_size": 64,
        "n_train": 442,
    }


@unusual(
    "l1_functional_diabetes",
    """L1 loss given as the functional torch.nn.functional.l1_loss, diabetes regression.""",
    steps=100,
    min_drop=0.6,
)
def _u_l1() -> Kwargs:
    _seed()
    return {
        "model": mlp([10, 128, 128, 1]),
        "batch": diabetes(64),
        "loss_fn": F.l1_loss,
        "optimizer": torch.optim.Adam,
        "lr": 1e-3,
        "batch_size": 64,
        "n_train": 442,
    }


@unusual(
    "sigmoid_head_minmax_targets",
    """Sigmoid output with MSE on diabetes targets min-max scaled to [0, 1] (the seed's
    min-max normalization, reason 1): the head's range covers the targets (reason 7: "if the
    output only makes sense in some range, use a matching final activation").""",
    steps=100,
    min_drop=0.8,
)
def _u_sigmoid_minmax() -> Kwargs:
    _seed()
    return {
        "model": mlp([10, 128, 128, 1], head=nn.Sigmoid()),
        "batch": diabetes_y01(64),
        "loss_fn": nn.MSELoss(),
        "optimizer": torch.optim.Adam,
        "lr": 1e-3,
        "batch_size": 64,
        "n_train": 442,
    }


@unusual(
    "frozen_unused_embedding",
    """An MLP on wine that also holds an nn.Embedding with requires_grad=False that forward
    never uses: frozen parameters are not "parameters that get no gradient".""",
    steps=100,
    min_drop=0.9,
)
def _u_frozen() -> Kwargs:
    _seed()
    return {
        "model": WithFrozenEmbedding(),
        "batch": tabular("wine", 128),
        "loss_fn": nn.CrossEntropyLoss(),
        "optimizer": torch.optim.Adam,
        "lr": 1e-3,
        "batch_size": 16,
        "n_train": 178,
    }


@unusual(
    "weight_decay_only_breast_cancer",
    """No dropout, only SGD weight decay 5e-4 (momentum 0.9, lr 0.01) as regularization, on
    breast cancer with BCEWithLogitsLoss: "no regularization at all" is at most info.""",
    steps=100,
    min_drop=0.7,
)
def _u_weight_decay() -> Kwargs:
    _seed()
    return {
        "model": mlp([30, 64, 64, 1]),
        "batch": binary(128),
        "loss_fn": nn.BCEWithLogitsLoss(),
        "optimizer": torch.optim.SGD,
        "optimizer_kwargs": {"momentum": 0.9, "weight_decay": 5e-4},
        "lr": 0.01,
        "batch_size": 32,
        "n_train": 569,
    }


# ---------------------------------------------------------------------------------------------
# BROKEN (one seed mistake each)
# ---------------------------------------------------------------------------------------------

_CANNOT_FIT_HEAD = "the head cannot reach part of the targets, so the loss on one batch plateaus"


def _regression(model: Any, **extra: Any) -> Kwargs:
    kw: Kwargs = {
        "model": model,
        "batch": diabetes(64),
        "loss_fn": nn.MSELoss(),
        "optimizer": torch.optim.Adam,
        "lr": 1e-3,
        "batch_size": 64,
        "n_train": 442,
    }
    kw.update(extra)
    return kw


def _digits_cls(model: Any, **extra: Any) -> Kwargs:
    kw: Kwargs = {
        "model": model,
        "batch": digits(128),
        "loss_fn": nn.CrossEntropyLoss(),
        "optimizer": torch.optim.Adam,
        "lr": 1e-3,
        "batch_size": 64,
        "n_train": 1797,
    }
    kw.update(extra)
    return kw


def _binary(model: Any, loss_fn: Any, **extra: Any) -> Kwargs:
    kw: Kwargs = {
        "model": model,
        "batch": binary(128),
        "loss_fn": loss_fn,
        "optimizer": torch.optim.Adam,
        "lr": 1e-3,
        "batch_size": 32,
        "n_train": 569,
    }
    kw.update(extra)
    return kw


# --- reason 7: final activation ---------------------------------------------------------------


@broken(
    "relu_head_negative_targets",
    """Seed reason 7: "the most common mistake is a ReLU on the final layer, so the network can
    only output positive values" - here on standardized diabetes targets, half negative.""",
    expect="DG201",
    severity=_E,
    allowed={"DG215": _CANNOT_FIT_HEAD + " (every negative target stays at error >= |y|)"},
)
def _b_relu_head() -> Kwargs:
    _seed()
    return _regression(mlp([10, 64, 64, 1], head=nn.ReLU()))


@broken(
    "sigmoid_head_standardized_targets",
    """Seed reason 7: a final activation must match the range of the (normalized) targets; a
    sigmoid head (0, 1) on standardized targets (about -2..3).""",
    expect="DG201",
    severity=_E,
    allowed={"DG215": _CANNOT_FIT_HEAD},
)
def _b_sigmoid_head() -> Kwargs:
    _seed()
    return _regression(mlp([10, 64, 64, 1], head=nn.Sigmoid()))


@broken(
    "tanh_head_targets_pm3",
    """Seed reason 7: "you might want a tanh on the last layer since it outputs -1..1, but the
    gradient near +-1 becomes tiny" - and here the targets span [-3, 3], beyond its range.""",
    expect="DG201",
    severity=_E,
    allowed={
        "DG215": _CANNOT_FIT_HEAD,
        "DG207": "the saturated tanh head passes almost no gradient to the layers below",
    },
)
def _b_tanh_head() -> Kwargs:
    _seed()
    x, y01 = diabetes_y01(64)
    return _regression(mlp([10, 64, 64, 1], head=nn.Tanh()), batch=(x, y01 * 6.0 - 3.0))


@broken(
    "functional_clamp_head",
    """Seed reason 7: clipping the output as the final activation - "no error means no gradient
    for values beyond the clip, which can make the network untrainable"; a torch.clamp(out,
    0, 1) inside forward on standardized targets (functional call, not a module).""",
    expect="DG201",
    severity=_E,
    allowed={
        "DG208": "the clamp passes zero gradient for every output outside [0, 1] (seed reason 8)",
        "DG215": _CANNOT_FIT_HEAD,
    },
)
def _b_clamp_head() -> Kwargs:
    _seed()
    return _regression(ClampHead())


@broken(
    "softmax_before_cross_entropy",
    """Seed reason 7, wrong final activation: nn.Softmax before nn.CrossEntropyLoss, which
    applies log-softmax itself (a double softmax; gradients shrink, the loss floors ~1.46).""",
    expect="DG202",
    severity=_E,
    allowed={
        "DG215": "softmax outputs in [0, 1] as logits: the CE of one batch cannot fall below ~1.46",
        "DG207": "the double softmax shrinks every gradient (vanishing)",
    },
)
def _b_softmax_ce() -> Kwargs:
    _seed()
    return _digits_cls(mlp([64, 128, 128, 10], head=nn.Softmax(dim=1)))


@broken(
    "sigmoid_before_bce_with_logits",
    """Seed reason 7: a sigmoid head in front of BCEWithLogitsLoss, which applies the sigmoid
    itself: the outputs are squashed twice.""",
    expect="DG202",
    severity=_E,
    allowed={
        "DG215": "sigmoid(sigmoid(z)) stays in (0.5, 0.73): the BCE cannot fall below ~0.31",
        "DG207": "the double sigmoid shrinks every gradient (vanishing)",
    },
)
def _b_sigmoid_bcelogits() -> Kwargs:
    _seed()
    return _binary(mlp([30, 64, 64, 1], head=nn.Sigmoid()), nn.BCEWithLogitsLoss())


@broken(
    "bce_on_unbounded_outputs",
    """Seed reason 7: nn.BCELoss (expects probabilities) fed a plain Linear output (unbounded;
    torch raises "all elements of input should be between 0 and 1").""",
    expect="DG202",
    severity=_E,
)
def _b_bce_unbounded() -> Kwargs:
    _seed()
    return _binary(mlp([30, 64, 64, 1]), nn.BCELoss())


@broken(
    "mse_on_class_indices",
    """Wrong loss for the task (seed reasons 2 and 7): the 10 digit classes (task declared as
    classification) regressed as a number 0..9 with one output unit and MSE.""",
    expect="DG202",
    severity=_E,
    allowed={
        "DG203": "class indices 0..9 are unscaled regression targets (mean 4.5) vs outputs ~0",
        "DG210": "one output unit for a 10-class task",
    },
)
def _b_mse_classes() -> Kwargs:
    _seed()
    x, y = digits(128)
    return _digits_cls(
        mlp([64, 128, 128, 1]), batch=(x, y.float()[:, None]), loss_fn="mse", task="classification"
    )


@broken(
    "output_width_5_for_10_classes",
    """Seed reason 7/11: the output layer has 5 units for the 10 digit classes with
    CrossEntropyLoss (torch raises "Target 9 is out of bounds").""",
    expect="DG202",
    severity=_E,
    allowed={"DG210": "the 5-unit output is narrower than the 10 classes"},
)
def _b_width5() -> Kwargs:
    _seed()
    return _digits_cls(mlp([64, 128, 128, 5]))


@broken(
    "cross_entropy_single_output",
    """CrossEntropyLoss on a single output unit for a binary task (targets as (n, 1) float
    probabilities): softmax over one logit is always 1, so the loss is identically 0 and
    nothing is learned (seed reason 2: "a falling error does not mean it learns").""",
    expect="DG202",
    severity=_E,
    allowed={
        "DG208": "log-softmax over one logit is constant: every gradient is exactly zero",
        "DG207": "all gradient norms are zero",
        "DG203": "loss at init is 0, far from the ln 2 baseline",
        "DG210": "one output unit for a 2-class softmax",
        "DG215": "the loss cannot move (it is identically 0)",
    },
)
def _b_ce_single() -> Kwargs:
    _seed()
    return _binary(mlp([30, 64, 64, 1]), nn.CrossEntropyLoss())


@broken(
    "cross_entropy_single_output_index_targets",
    """The same single-unit head with CrossEntropyLoss and class-index targets 0/1 (torch
    raises "Target 1 is out of bounds").""",
    expect="DG202",
    severity=_E,
    allowed={"DG210": "one output unit for a 2-class softmax"},
)
def _b_ce_single_index() -> Kwargs:
    _seed()
    x, y = tabular("breast_cancer", 128)
    return _binary(mlp([30, 64, 64, 1]), nn.CrossEntropyLoss(), batch=(x, y))


# --- reason 9: initialization -----------------------------------------------------------------

_DEAD_ZERO = "every hidden pre-activation is exactly 0, so no ReLU unit is ever above 0"


@broken(
    "all_zero_init",
    """Seed reason 9: "setting the weights to zero" - every weight and bias of a ReLU MLP
    initialized to 0.""",
    expect="DG204",
    severity=_E,
    allowed={
        "DG205": "activations are identically 0: the variance collapses",
        "DG206": _DEAD_ZERO,
        "DG207": "only the output bias gets a non-zero gradient (vanishing)",
        "DG208": "every weight gets exactly zero gradient",
        "DG215": "only the output bias can learn: the loss cannot fall below Var(y)",
    },
)
def _b_zero_init() -> Kwargs:
    _seed()
    model = mlp([10, 64, 64, 1])
    for p in model.parameters():
        nn.init.zeros_(p)
    return _regression(model)


@broken(
    "constant_init_0.5",
    """Seed reason 9 ("using your own custom random initialization usually does not work"):
    nn.init.constant_(p, 0.5) on every weight and bias: all units of a layer are identical
    (symmetric) and the activations explode.""",
    expect="DG204",
    severity=_E,
    allowed={
        "DG203": "outputs at init are ~1e4 vs standardized targets",
        "DG205": "activation variance grows ~16x per layer (0.5 x width 32)",
        "DG207": "gradients are huge (exploding)",
        "DG206": "identical units are all dead or all alive together",
        "DG213": "the exploded loss diverges at any LR of the range test",
        "DG215": "identical units cannot fit one batch",
    },
)
def _b_constant_init() -> Kwargs:
    _seed()
    model = mlp([10, 32, 32, 1])
    for p in model.parameters():
        nn.init.constant_(p, 0.5)
    return _regression(model)


@broken(
    "tiny_std_init_tanh12",
    """Seed reason 9: "small random numbers" - normal(0, 0.01) weights on a 12-layer tanh
    stack (width 64): activations collapse to ~0 layer by layer.""",
    expect="DG205",
    allowed={
        "DG209": "12 plain tanh layers without normalization or residuals (seed reason 10)",
        "DG207": "gradients of the early layers vanish (0.01 x 8 per layer)",
        "DG208": "the early layers' gradients underflow to ~0",
        "DG215": "the vanished signal cannot fit one batch in the test's budget",
    },
)
def _b_tiny_std() -> Kwargs:
    _seed()
    model = mlp([64, *[64] * 11, 10], nn.Tanh)
    for lin in linears(model):
        nn.init.normal_(lin.weight, std=0.01)
        nn.init.zeros_(lin.bias)
    return _digits_cls(model)


@broken(
    "std1_init_relu6_256",
    """Seed reason 9: normal(0, 1.0) weights on a 6-layer ReLU MLP 256 wide (He would be
    sqrt(2/256) = 0.088): activations grow ~11x per layer.""",
    expect="DG205",
    allowed={
        "DG203": "outputs at init are ~1e6 vs standardized targets",
        "DG207": "gradients explode with the activations",
        "DG213": "the exploded loss diverges at any LR of the range test",
        "DG215": "the exploded model cannot fit one batch at a sane LR",
    },
)
def _b_std1() -> Kwargs:
    _seed()
    model = mlp([10, 256, 256, 256, 256, 256, 1])
    for lin in linears(model):
        nn.init.normal_(lin.weight, std=1.0)
    return _regression(model)


# --- reason 8: bad gradients ------------------------------------------------------------------


@broken(
    "bias_minus10_dead_relu",
    """Seed reason 8, "dead neurons": hidden biases initialized to -10 put every ReLU
    pre-activation far below 0 on every input, so no gradient flows through them.""",
    expect="DG206",
    allowed={
        "DG205": "the activations after the dead layers are 0: the variance collapses",
        "DG207": "no gradient reaches the hidden layers (vanishing)",
        "DG208": "the hidden layers get exactly zero gradient",
        "DG215": "only the output bias can learn",
        "DG204": "the hidden biases are constant (-10)",
    },
)
def _b_dead_relu() -> Kwargs:
    _seed()
    model = mlp([10, 64, 64, 1])
    for lin in linears(model)[:-1]:
        nn.init.constant_(lin.bias, -10.0)
    return _regression(model)


@broken(
    "round_in_forward",
    """Seed reason 8: "any operation with zero gradient, such as clipping, rounding, or taking
    the max/min" - hidden features quantized with torch.round in forward, so the first layer
    gets no gradient.""",
    expect="DG208",
    severity=_E,
    allowed={"DG207": "the first layer's gradient norm is 0 (vanishing)"},
)
def _b_round() -> Kwargs:
    _seed()
    return _regression(RoundedHidden())


@broken(
    "detach_hidden",
    """Seed reason 8, a cut gradient path: a hidden activation .detach()-ed in forward, so the
    first layer never learns.""",
    expect="DG208",
    severity=_E,
    allowed={"DG207": "the first layer's gradient norm is 0 (vanishing)"},
)
def _b_detach() -> Kwargs:
    _seed()
    return _regression(DetachedHidden())


@broken(
    "argmax_bins_output",
    """Seed reason 8 ("taking the max"): regression as bin centre of argmax(bin logits) plus
    an offset; argmax has no gradient, so the bin layer never learns.""",
    expect="DG208",
    severity=_E,
    allowed={"DG207": "the bin layer's gradient norm is 0 (vanishing)"},
)
def _b_argmax() -> Kwargs:
    _seed()
    return _regression(ArgmaxBins())


# --- reason 10: too deep, reason 11: width ----------------------------------------------------


@broken(
    "deep_plain_tanh16",
    """Seed reason 10: "start with a network of 3 to 8 layers" - a plain 16-layer tanh MLP
    (width 64, default init), no normalization or residuals.""",
    expect="DG209",
    allowed={
        "DG205": "with PyTorch's default init (gain ~0.58) tanh activations shrink every layer",
        "DG207": "gradients of the first layers vanish through 16 tanh layers",
        "DG215": "on 32 rows Adam 1e-3 stalls at the class-prior loss (2.32 -> 1.94 in 300 "
        "steps, measured): the vanished signal cannot fit one small batch",
    },
)
def _b_deep_tanh() -> Kwargs:
    _seed()
    return _digits_cls(mlp([64, *[64] * 15, 10], nn.Tanh))


@broken(
    "bottleneck_2_units_10_classes",
    """Seed reason 11: "with too few neurons it may not be able to represent the task"; for
    classification use 5-10x the number of classes - a 2-unit layer for 10 classes.""",
    expect="DG210",
    allowed={
        "DG206": "the 2-d post-ReLU code lies in one quadrant: the 256 units after it whose "
        "weights and bias are negative there never fire (measured 37%)"
    },
)
def _b_bottleneck() -> Kwargs:
    _seed()
    return _digits_cls(mlp([64, 256, 2, 256, 10]))


# --- reason 4: regularization -----------------------------------------------------------------


@broken(
    "dropout_p0.9",
    """Seed reason 4: "a high probability such as 0.75 or 0.9" is the KEEP probability; given
    to nn.Dropout(p=0.9) it drops 90% of the units.""",
    expect="DG211",
    allowed={"DG215": "with 90% of the units dropped the train-mode loss of one batch stays high"},
)
def _b_dropout09() -> Kwargs:
    _seed()
    return _digits_cls(mlp([64, 256, 256, 10], dropout=0.9))


@broken(
    "functional_dropout_always_on",
    """Seed reason 4: "remember to turn it off during prediction" - F.dropout(h, 0.5) in
    forward keeps the default training=True, so dropout stays on in eval().""",
    expect="DG211",
)
def _b_functional_dropout() -> Kwargs:
    _seed()
    return _digits_cls(AlwaysOnDropout())


# --- reason 5: batch size ---------------------------------------------------------------------


@broken(
    "half_dataset_batch",
    """Seed reason 5: "using too large a batch size ... reduces the randomness"; batch_size
    221 on 442 rows, 2 updates per epoch.""",
    expect="DG212",
)
def _b_big_batch() -> Kwargs:
    _seed()
    return _regression(mlp([10, 128, 128, 1]), batch=diabetes(221), batch_size=221, n_train=442)


# --- reason 6: learning rate ------------------------------------------------------------------


@broken(
    "lr_high_masked_by_clipping",
    """Seed reason 6: "most people new to deep learning set the learning rate too high and
    account for it with gradient clipping" - SGD lr 10 on MSE with clip_grad_norm=1.0.""",
    expect="DG214",
    also_expect=("DG213",),
    allowed={"DG213": "the configured LR is above the (unclipped) divergence LR"},
)
def _b_lr_clip() -> Kwargs:
    _seed()
    return _regression(mlp([10, 64, 64, 1]), optimizer="sgd", lr=10.0, clip_grad_norm=1.0)


@broken(
    "lr_far_too_high",
    """Seed reason 6: "find the largest LR that does not explode the error; use one order of
    magnitude lower" - SGD at lr 5 on MSE, no clipping, explodes.""",
    expect="DG213",
    severity=_E,
    allowed={"DG215": "if the one-batch fit runs at the configured LR it diverges too"},
)
def _b_lr_high() -> Kwargs:
    _seed()
    return _regression(mlp([10, 64, 64, 1]), optimizer=torch.optim.SGD, lr=5.0)


# --- reason 1: normalization ------------------------------------------------------------------

_RAW_INPUT_EFFECTS = {
    "DG203": "huge inputs give huge outputs at init (CE far above ln C, MSE far above Var(y))",
    "DG205": "activation variance is set by the unscaled inputs, far above 1",
    "DG207": "first-layer gradients scale with the raw inputs (out of proportion)",
    "DG213": "the divergence LR drops with the input scale",
    "DG206": "every row sits far from the origin on the same side of many units' hyperplanes: "
    "a large share of the first ReLUs never fire (measured ~30-50%)",
}


@broken(
    "raw_pixel_inputs_0_255",
    """Seed reason 1: "forgot to normalize your data" - digits fed as raw 0..255 pixel
    values ("you could simply divide by 128 and subtract 1").""",
    expect="DG216",
    allowed=dict(_RAW_INPUT_EFFECTS),
)
def _b_raw_pixels() -> Kwargs:
    _seed()
    return _digits_cls(mlp([64, 128, 128, 10]), batch=digits(128, pixels="255"))


@broken(
    "raw_wine_features",
    """Seed reason 1: raw wine features (proline ~300..1700, hue ~0.5..1.7): "a large-scale
    input feature dominates the network".""",
    expect="DG216",
    allowed=dict(_RAW_INPUT_EFFECTS),
)
def _b_raw_wine() -> Kwargs:
    _seed()
    return {
        "model": mlp([13, 64, 64, 3]),
        "batch": tabular("wine", 128, raw=True),
        "loss_fn": nn.CrossEntropyLoss(),
        "optimizer": torch.optim.Adam,
        "lr": 1e-3,
        "batch_size": 16,
        "n_train": 178,
    }


@broken(
    "raw_diabetes_features",
    """Seed reason 1: the un-standardized diabetes features (age ~20-80, cholesterol ~100-300,
    sex 1/2) with a standardized target.""",
    expect="DG216",
    allowed=dict(_RAW_INPUT_EFFECTS),
)
def _b_raw_diabetes() -> Kwargs:
    _seed()
    return _regression(mlp([10, 64, 64, 1]), batch=diabetes(64, raw_x=True))


@broken(
    "raw_pixel_targets_mse",
    """Seed reason 1: "an untrained network outputs values roughly in -1..1; if you expect
    it to output 0..255 (an RGB image as bytes) ... the error will be huge" - reconstruct
    the digits' raw 0..255 pixels from standardized inputs with MSE.""",
    expect="DG203",
    allowed={
        "DG207": "the huge error gives huge gradients (seed: 'very large gradients')",
        "DG213": "the divergence LR drops with the target scale",
        "DG215": "the first steps only shift the output scale; one batch may not fit in budget",
    },
)
def _b_raw_targets() -> Kwargs:
    _seed()
    x, _ = digits(128)
    pixels, _ = digits(128, pixels="255")
    return _regression(mlp([64, 128, 64]), batch=(x, pixels), batch_size=64, n_train=1797)


# --- reason 2: the user's training step -------------------------------------------------------


def _step_no_zero_grad(model: Any, optimizer: Any, batch: Pair) -> Any:
    x, y = batch
    loss: Any = F.mse_loss(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.detach()


def _step_eval_mode(model: Any, optimizer: Any, batch: Pair) -> Any:
    x, y = batch
    model.eval()  # copied from the validation loop
    optimizer.zero_grad()
    loss: Any = F.cross_entropy(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.detach()


def _step_no_optimizer_step(model: Any, optimizer: Any, batch: Pair) -> Any:
    x, y = batch
    optimizer.zero_grad()
    loss: Any = F.mse_loss(model(x), y)
    loss.backward()
    return loss.detach()


def _step_under_no_grad(model: Any, optimizer: Any, batch: Pair) -> Any:
    x, y = batch
    optimizer.zero_grad()
    with torch.no_grad():  # copied from the evaluation code
        loss = F.mse_loss(model(x), y)
    optimizer.step()
    return loss


def _step_rmsle(model: Any, optimizer: Any, batch: Pair) -> Any:
    x, y = batch
    optimizer.zero_grad()
    loss: Any = ((torch.log1p(model(x)) - torch.log1p(y)) ** 2).mean()  # y < -1 exists: NaN
    loss.backward()
    optimizer.step()
    return loss.detach()


def _step_partial_optimizer(model: Any, optimizer: Any, batch: Pair) -> Any:
    x, y = batch
    head_opt = torch.optim.Adam(model[-1].parameters(), lr=1e-3)  # only the head, rebuilt
    head_opt.zero_grad()
    loss: Any = F.mse_loss(model(x), y)
    loss.backward()
    head_opt.step()
    return loss.detach()


@broken(
    "step_without_zero_grad",
    """Seed reason 2 ("check your training code"): a train_step that never zeroes the
    gradients, so they accumulate over steps.""",
    expect="DG217",
    severity=_E,
)
def _b_no_zero_grad() -> Kwargs:
    _seed()
    return _regression(mlp([10, 64, 64, 1]), train_step=_step_no_zero_grad)


@broken(
    "step_in_eval_mode",
    """Seed reason 4 ("turn regularization off during prediction", and on while training): a
    train_step that calls model.eval() (copied from validation), so dropout and BatchNorm run
    in inference mode during training.""",
    expect="DG217",
    severity=_E,
)
def _b_eval_mode() -> Kwargs:
    _seed()
    model = mlp([64, 128, 128, 10], batch_norm=True, dropout=0.2)
    return _digits_cls(model, train_step=_step_eval_mode)


@broken(
    "step_without_optimizer_step",
    "Seed reason 2: a train_step that never calls optimizer.step(); nothing is updated.",
    expect="DG217",
    severity=_E,
)
def _b_no_step() -> Kwargs:
    _seed()
    return _regression(mlp([10, 64, 64, 1]), train_step=_step_no_optimizer_step)


@broken(
    "step_loss_under_no_grad",
    """Seed reason 2: a train_step that computes the loss under torch.no_grad() (and so never
    back-propagates); the parameters never change.""",
    expect="DG217",
    severity=_E,
)
def _b_no_grad_step() -> Kwargs:
    _seed()
    return _regression(mlp([10, 64, 64, 1]), train_step=_step_under_no_grad)


@broken(
    "step_loss_nan",
    """Seed reason 2 / 1: a hand-written RMSLE (log1p of outputs and targets) on standardized
    targets, some below -1: the loss the train_step returns is NaN.""",
    expect="DG217",
    severity=_E,
    allowed={"DG207": "the NaN loss gives NaN gradients"},
)
def _b_nan_step() -> Kwargs:
    _seed()
    return _regression(mlp([10, 64, 64, 1]), train_step=_step_rmsle)


@broken(
    "step_partial_optimizer",
    """Seed reason 2: a train_step that builds its own optimizer on the head's parameters
    only (each call), so the hidden layers never change and their gradients accumulate.""",
    expect="DG217",
    severity=_E,
)
def _b_partial_opt() -> Kwargs:
    _seed()
    return _regression(mlp([10, 64, 64, 1]), train_step=_step_partial_optimizer)


# --- mixed precision, and reason 2's silent failures ------------------------------------------


def _no_cpu_float16_autocast() -> str | None:
    try:
        with torch.autocast("cpu", dtype=torch.float16):
            out = nn.Linear(2, 2)(torch.ones(1, 2))
    except (RuntimeError, ValueError) as exc:  # pragma: no cover - depends on the build
        return f"CPU float16 autocast is not supported here: {exc}"
    if out.dtype != torch.float16:  # pragma: no cover
        return f"CPU float16 autocast ran the Linear in {out.dtype}"
    return None


@broken(
    "amp_float16_overflow",
    """Seed reason 8, bad gradients: hidden features scaled by 1e5 before a LayerNorm - fine
    in float32, but 1e5 > 65504 (float16 max) overflows to inf under amp="float16", and
    the loss and gradients turn NaN.""",
    expect="DG207",
    allowed={
        "DG205": "the pre-norm activations are ~1e5 (the scale the variant is built on)",
        "DG217": "the loss under float16 autocast is NaN",
    },
    skip=_no_cpu_float16_autocast,
)
def _b_amp() -> Kwargs:
    _seed()
    return _regression(ScaledBeforeNorm(), amp="float16")


@broken(
    "target_shape_broadcast",
    """Seed reason 2 ("a falling error does not mean the network learns anything useful"):
    targets of shape (n,) against outputs (n, 1); MSELoss broadcasts to (n, n) and the best
    the model can do is predict the mean, so it cannot fit even one batch.""",
    expect="DG215",
    severity=_E,
    allowed={"DG202": "the loss broadcasts outputs (n, 1) against targets (n,)"},
    ignore_warnings=("ignore:Using a target size:UserWarning",),
)
def _b_broadcast() -> Kwargs:
    _seed()
    x, y = diabetes(64)
    return _regression(mlp([10, 128, 128, 1]), batch=(x, y[:, 0]))


class NoGradHidden(nn.Module):
    """The first layer computed under torch.no_grad() inside forward."""

    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(10, 64)
        self.fc2 = nn.Linear(64, 1)

    def forward(self, x: Any) -> Any:
        with torch.no_grad():
            h = self.fc1(x)
        return self.fc2(torch.relu(h))


@broken(
    "no_grad_in_forward",
    """Seed reason 8, a cut gradient path: part of forward wrapped in torch.no_grad() (left
    over from an inference helper), so the first layer never learns.""",
    expect="DG208",
    severity=_E,
    allowed={
        "DG207": "the first layer's gradient is absent (vanishing)",
        "DG215": "with the first layer frozen at its init only the head learns: 32 rows stall "
        "just short of the 90% fall",
    },
)
def _b_no_grad() -> Kwargs:
    _seed()
    return _regression(NoGradHidden())


@broken(
    "log_softmax_over_batch",
    """Seed reason 7, the wrong final activation: nn.LogSoftmax(dim=0) before NLLLoss
    normalizes each class over the samples of the batch instead of each sample over the
    classes.""",
    expect="DG202",
    severity=_E,
    allowed={
        "DG203": "the loss at init is far above ln C: the scores are normalized over 128 rows",
        "DG215": "the model cannot fit a batch whose rows compete with one another",
    },
)
def _b_log_softmax_dim0() -> Kwargs:
    _seed()
    return _digits_cls(mlp([64, 128, 10], head=nn.LogSoftmax(dim=0)), loss_fn=nn.NLLLoss())


@broken(
    "cross_entropy_float_labels",
    """Seed reason 7 (the output and loss must agree on what the targets are): class labels
    passed as floats of shape (n,), which CrossEntropyLoss cannot read as class indices.""",
    expect="DG202",
    severity=_E,
)
def _b_ce_float_labels() -> Kwargs:
    _seed()
    x, y = digits(128)
    return _digits_cls(mlp([64, 128, 10]), batch=(x, y.float()))


@broken(
    "sgd_clip_far_below_gradient",
    """Seed reason 6: clipping "makes the overall training speed slower and the effect of
    changing the learning rate unpredictable" - SGD with clip_grad_norm=1e-3 while gradient
    norms are ~1: every step is cut ~1000x.""",
    expect="DG214",
    allowed={"DG215": "the configured SGD is not what DG215 tries first; may not fit in time"},
)
def _b_clip_tiny() -> Kwargs:
    _seed()
    return _regression(
        mlp([10, 128, 128, 1]), optimizer=torch.optim.SGD, lr=0.01, clip_grad_norm=1e-3
    )
