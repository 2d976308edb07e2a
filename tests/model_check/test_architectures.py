"""A false-alarm sweep of ``check_model`` over architectures and training setups people use.

Every case is a healthy, sensible setup: default PyTorch init unless the architecture's own
recipe says otherwise (torchvision's Kaiming convs, GPT-2's N(0, 0.02)), standard losses,
optimizers and learning rates, normalized data (scikit-learn's bundled datasets; synthetic
sequences or tokens only where the architecture needs them). Each is checked with ``lr``,
``batch_size`` and ``n_train`` given, as real code would, and must raise nothing above info.
A second test trains it with a plain loop (the user's own loss, optimizer and clipping) and
asserts the loss falls, so that "healthy" is shown, not claimed.

Where the checker raises a warning or an error on a healthy setup, or an exception, the
case is marked ``xfail(strict=True)`` with the finding and why it is a false alarm, until the
checker is fixed. The first sweep found ten (a packed BiLSTM's width, zero-initialized norm
scales and ReZero gates, ReLU6 counted as saturating, the entropy floor of soft targets for
BCE and mixup CE, sigmoid decoders on black pixels, tuple/dict outputs, a scale-30 cosine
head); all are fixed and the cases below pass unmarked.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")
datasets = pytest.importorskip("sklearn.datasets")

from torch import nn  # noqa: E402
from torch.nn import functional as F  # noqa: E402

from dataguard.findings import Severity  # noqa: E402
from dataguard.model_check import ModelReport, check_model  # noqa: E402

Kwargs = dict[str, Any]


@dataclass(frozen=True)
class Case:
    """One setup. ``build()`` returns the ``check_model`` keyword arguments; ``train_loss``
    is the loss the user's own loop computes from the full model output (default: ``loss_fn``
    on the first tensor of the output); ``steps``/``min_drop`` the plain training run that
    shows it trains; ``xfail`` the false alarm (or exception, ``raises``) the checker still
    gives; ``slow`` a ``check_model`` call over ~3 s on one busy core; ``ignore_warnings``
    filters for warnings torch itself raises in the user's own loop."""

    name: str
    build: Callable[[], Kwargs]
    train_loss: Callable[[Any, Any], Any] | None = None
    steps: int = 60
    min_drop: float = 0.5
    xfail: str | None = None
    raises: type[Exception] = AssertionError
    slow: bool = False
    ignore_warnings: tuple[str, ...] = ()

    def __str__(self) -> str:
        return self.name


CASES: list[Case] = []


def case(name: str, **kw: Any) -> Callable[[Callable[[], Kwargs]], Callable[[], Kwargs]]:
    def deco(build: Callable[[], Kwargs]) -> Callable[[], Kwargs]:
        CASES.append(Case(name, build, **kw))
        return build

    return deco


# ---------------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------------


def _standardize(a: np.ndarray) -> np.ndarray:
    std = a.std(axis=0)
    out: np.ndarray = (a - a.mean(axis=0)) / np.where(std > 0, std, 1.0)
    return out


@functools.cache
def _raw(name: str) -> tuple[np.ndarray, np.ndarray]:
    bunch = getattr(datasets, f"load_{name}")()
    return np.asarray(bunch.data, dtype=np.float64), np.asarray(bunch.target)


def _rows(n: int, k: int) -> np.ndarray:
    """The first ``k`` rows of a fixed shuffle of ``n`` (classes mixed, same every build)."""
    return np.random.default_rng(0).permutation(n)[:k]


def _f32(a: np.ndarray) -> Any:
    return torch.as_tensor(np.ascontiguousarray(a), dtype=torch.float32)


def tabular(name: str, k: int) -> tuple[Any, Any]:
    """Standardized features and int64 labels of wine, breast_cancer or iris."""
    x, y = _raw(name)
    idx = _rows(len(x), k)
    return _f32(_standardize(x)[idx]), torch.as_tensor(y[idx], dtype=torch.long)


def diabetes(k: int = 128) -> tuple[Any, Any]:
    x, y = _raw("diabetes")
    idx = _rows(len(x), k)
    return _f32(_standardize(x)[idx]), _f32(_standardize(y[:, None])[idx])


def linnerud() -> tuple[Any, Any]:
    """All 20 rows: 3 exercise features -> 3 physiological targets, both standardized."""
    x, y = _raw("linnerud")
    return _f32(_standardize(x)), _f32(_standardize(y))


def digits(k: int = 128) -> tuple[Any, Any]:
    """Digits (8x8, 10 classes), pixels standardized by one global mean/std: x (k, 64)."""
    x, y = _raw("digits")
    x = x / 16.0
    x = (x - x.mean()) / x.std()
    idx = _rows(len(x), k)
    return _f32(x[idx]), torch.as_tensor(y[idx], dtype=torch.long)


def digits01(k: int = 128) -> Any:
    """Digits pixels in [0, 1] (divided by 16), as images (k, 1, 8, 8)."""
    x, _ = _raw("digits")
    return _f32(x[_rows(len(x), k)] / 16.0).view(-1, 1, 8, 8)


def digit_attributes(y: Any) -> Any:
    """Four binary attributes of a digit label: even, >= 5, prime, has a closed loop."""
    even = y % 2 == 0
    big = y >= 5
    prime = (y == 2) | (y == 3) | (y == 5) | (y == 7)
    loop = (y == 0) | (y == 6) | (y == 8) | (y == 9) | (y == 4)
    return torch.stack([even, big, prime, loop], dim=1).float()


def waves(k: int = 128, length: int = 32) -> tuple[Any, Any]:
    """Synthetic noisy sine waves of 3 frequencies (the class) with random phase: (k, length)."""
    g = torch.Generator().manual_seed(0)
    y = torch.randint(0, 3, (k,), generator=g)
    freq = (1.0 + y.float()) * 2.0 * math.pi / 16.0
    phase = torch.rand(k, 1, generator=g) * 2.0 * math.pi
    t = torch.arange(length).float()
    x = torch.sin(freq[:, None] * t + phase) + 0.3 * torch.randn(k, length, generator=g)
    return x / x.std(), y


VOCAB = 60


def token_docs(k: int = 128, length: int = 16, n_classes: int = 4) -> tuple[Any, Any]:
    """Synthetic "documents" of int64 token ids (1..VOCAB-1, 0 is padding): half the tokens
    are drawn from a class's own 10 keywords, half from the whole vocabulary; the last few
    positions of some rows are padding."""
    g = torch.Generator().manual_seed(0)
    y = torch.randint(0, n_classes, (k,), generator=g)
    background = torch.randint(1, VOCAB, (k, length), generator=g)
    keywords = 1 + y[:, None] * 10 + torch.randint(0, 10, (k, length), generator=g)
    pick = torch.rand(k, length, generator=g) < 0.5
    ids = torch.where(pick, keywords, background)
    lengths = torch.randint(length // 2, length + 1, (k,), generator=g)
    ids[torch.arange(length)[None, :] >= lengths[:, None]] = 0
    return ids, y


def counting_sequences(k: int = 128, length: int = 16) -> tuple[Any, Any]:
    """Language-model data: each row counts up by its own stride (1, 2 or 3) modulo VOCAB from
    a random start; inputs are tokens 0..T-1, targets tokens 1..T (next-token prediction)."""
    g = torch.Generator().manual_seed(0)
    start = torch.randint(0, VOCAB, (k, 1), generator=g)
    stride = torch.randint(1, 4, (k, 1), generator=g)
    seq = (start + stride * torch.arange(length + 1)) % VOCAB
    return seq[:, :-1].contiguous(), seq[:, 1:].contiguous()


def _seed() -> None:
    torch.manual_seed(0)


# ---------------------------------------------------------------------------------------------
# Models
# ---------------------------------------------------------------------------------------------


def mlp(
    sizes: list[int], act: Callable[[], Any] = nn.ReLU, *, dropout: float = 0.0, head: Any = None
) -> Any:
    """Linear layers with ``act`` (and dropout) between them; ``head`` appended if given."""
    layers: list[Any] = []
    for i in range(len(sizes) - 2):
        layers += [nn.Linear(sizes[i], sizes[i + 1]), act()]
        if dropout:
            layers.append(nn.Dropout(dropout))
    layers.append(nn.Linear(sizes[-2], sizes[-1]))
    if head is not None:
        layers.append(head)
    return nn.Sequential(*layers)


def ln_gelu_mlp(sizes: list[int], p: float = 0.1) -> Any:
    """Linear -> LayerNorm -> GELU -> Dropout between the layers; plain linear output."""
    layers: list[Any] = []
    for i in range(len(sizes) - 2):
        layers += [nn.Linear(sizes[i], sizes[i + 1]), nn.LayerNorm(sizes[i + 1]), nn.GELU()]
        layers.append(nn.Dropout(p))
    layers.append(nn.Linear(sizes[-2], sizes[-1]))
    return nn.Sequential(*layers)


class LSTMLast(nn.Module):
    """LSTM (batch_first) over the 8 rows of a digit, classified from the last step."""

    def __init__(self, n_in: int, hidden: int, n_out: int, *, bidirectional: bool = False):
        super().__init__()
        self.rnn = nn.LSTM(n_in, hidden, batch_first=True, bidirectional=bidirectional)
        self.head = nn.Linear(hidden * (2 if bidirectional else 1), n_out)

    def forward(self, x: Any) -> Any:
        out, _ = self.rnn(x)
        return self.head(out[:, -1])


class GRUMean(nn.Module):
    """Two-layer GRU (batch_first) with dropout between layers, mean pooled over time."""

    def __init__(self, n_in: int, hidden: int, n_out: int) -> None:
        super().__init__()
        self.rnn = nn.GRU(n_in, hidden, num_layers=2, batch_first=True, dropout=0.1)
        self.head = nn.Linear(hidden, n_out)

    def forward(self, x: Any) -> Any:
        out, _ = self.rnn(x)
        return self.head(out.mean(dim=1))


class PackedLSTM(nn.Module):
    """Embedding + bidirectional LSTM over variable-length token rows with
    ``pack_padded_sequence``; the final hidden states of both directions feed the head."""

    def __init__(self, hidden: int = 32, n_out: int = 4) -> None:
        super().__init__()
        self.embed = nn.Embedding(VOCAB, 32, padding_idx=0)
        self.rnn = nn.LSTM(32, hidden, batch_first=True, bidirectional=True)
        self.head = nn.Linear(2 * hidden, n_out)

    def forward(self, ids: Any, lengths: Any) -> Any:
        packed = nn.utils.rnn.pack_padded_sequence(
            self.embed(ids), lengths.cpu(), batch_first=True, enforce_sorted=False
        )
        _, (h, _) = self.rnn(packed)
        return self.head(torch.cat([h[-2], h[-1]], dim=1))


class BiLSTMTagger(nn.Module):
    """Token tagging (NER-style): embedding, BiLSTM, per-token logits returned as
    (B, C, T) for ``nn.CrossEntropyLoss``."""

    def __init__(self, n_tags: int = 5) -> None:
        super().__init__()
        self.embed = nn.Embedding(VOCAB, 32, padding_idx=0)
        self.rnn = nn.LSTM(32, 32, batch_first=True, bidirectional=True)
        self.head = nn.Linear(64, n_tags)

    def forward(self, ids: Any) -> Any:
        out, _ = self.rnn(self.embed(ids))
        return self.head(out).transpose(1, 2)


class Conv1dNet(nn.Module):
    """Conv1d + BatchNorm1d + ReLU blocks over a 1-channel sequence, global average pooled."""

    def __init__(self, n_out: int = 3) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv1d(1, 16, 5, padding=2),
            nn.BatchNorm1d(16),
            nn.ReLU(),
            nn.MaxPool1d(2),
            nn.Conv1d(16, 32, 5, padding=2),
            nn.BatchNorm1d(32),
            nn.ReLU(),
            nn.AdaptiveAvgPool1d(1),
        )
        self.head = nn.Linear(32, n_out)

    def forward(self, x: Any) -> Any:
        return self.head(self.features(x.unsqueeze(1)).flatten(1))


class BagOfEmbeddings(nn.Module):
    """fastText-style: ``nn.EmbeddingBag(mode="mean")`` over token ids, then a linear head."""

    def __init__(self, dim: int = 32, n_out: int = 4) -> None:
        super().__init__()
        self.bag = nn.EmbeddingBag(VOCAB, dim, mode="mean", padding_idx=0)
        self.head = nn.Linear(dim, n_out)

    def forward(self, ids: Any) -> Any:
        return self.head(self.bag(ids))


class MaskedMeanEmbedding(nn.Module):
    """``nn.Embedding(padding_idx=0)``, mean over the non-padding tokens, MLP head."""

    def __init__(self, dim: int = 32, n_out: int = 4) -> None:
        super().__init__()
        self.embed = nn.Embedding(VOCAB, dim, padding_idx=0)
        self.mlp = nn.Sequential(nn.Linear(dim, 64), nn.ReLU(), nn.Linear(64, n_out))

    def forward(self, ids: Any) -> Any:
        mask = (ids != 0).unsqueeze(-1).float()
        pooled = (self.embed(ids) * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        return self.mlp(pooled)


class TextCNN(nn.Module):
    """Kim (2014) CNN for sentence classification: embedding, parallel Conv1d of widths 3/4/5,
    ReLU, max over time, dropout 0.5, linear head."""

    def __init__(self, dim: int = 32, n_out: int = 4) -> None:
        super().__init__()
        self.embed = nn.Embedding(VOCAB, dim, padding_idx=0)
        self.convs = nn.ModuleList(nn.Conv1d(dim, 32, k) for k in (3, 4, 5))
        self.drop = nn.Dropout(0.5)
        self.head = nn.Linear(3 * 32, n_out)

    def forward(self, ids: Any) -> Any:
        h = self.embed(ids).transpose(1, 2)
        pooled = [F.relu(conv(h)).amax(dim=2) for conv in self.convs]
        return self.head(self.drop(torch.cat(pooled, dim=1)))


class TextTransformer(nn.Module):
    """Token classifier with the library defaults: post-norm ``nn.TransformerEncoder`` (nested
    tensors on, so evaluation takes PyTorch's fast path) and a key padding mask."""

    def __init__(self, dim: int = 32, n_out: int = 4, length: int = 16) -> None:
        super().__init__()
        self.embed = nn.Embedding(VOCAB, dim, padding_idx=0)
        self.pos = nn.Parameter(torch.zeros(1, length, dim))
        layer = nn.TransformerEncoderLayer(dim, 4, 64, dropout=0.1, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, 2)
        self.head = nn.Linear(dim, n_out)

    def forward(self, ids: Any) -> Any:
        pad = ids == 0
        h = self.encoder(self.embed(ids) + self.pos, src_key_padding_mask=pad)
        keep = (~pad).unsqueeze(-1).float()
        return self.head((h * keep).sum(1) / keep.sum(1).clamp(min=1.0))


class TiedLM(nn.Module):
    """A tiny causal Transformer language model whose output layer shares the token
    embedding's weight (weight tying, as in GPT-2 / "Using the Output Embedding")."""

    def __init__(self, dim: int = 32, length: int = 16) -> None:
        super().__init__()
        self.tok = nn.Embedding(VOCAB, dim)
        self.pos = nn.Embedding(length, dim)
        layer = nn.TransformerEncoderLayer(
            dim, 4, 64, dropout=0.1, batch_first=True, norm_first=True
        )
        self.blocks = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(dim)
        self.out = nn.Linear(dim, VOCAB, bias=False)
        self.out.weight = self.tok.weight
        for m in self.modules():  # GPT-2 / nanoGPT init: N(0, 0.02), zero biases
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, std=0.02)
            if isinstance(m, nn.Linear) and m.bias is not None:
                nn.init.zeros_(m.bias)
        self.register_buffer("causal", nn.Transformer.generate_square_subsequent_mask(length))

    def forward(self, ids: Any) -> Any:
        t = ids.shape[1]
        h = self.tok(ids) + self.pos(torch.arange(t, device=ids.device))
        mask: Any = self.causal
        h = self.blocks(h, mask=mask[:t, :t], is_causal=True)
        return self.out(self.norm(h))


def lm_loss(logits: Any, targets: Any) -> Any:
    """Next-token cross-entropy over every position (logits (B, T, V), targets (B, T))."""
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))


class BasicBlock(nn.Module):
    """The ResNet basic block: conv-BN-ReLU-conv-BN plus the (projected) shortcut, ReLU."""

    def __init__(self, c_in: int, c_out: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        self.short = nn.Sequential()
        if stride != 1 or c_in != c_out:
            self.short = nn.Sequential(
                nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out)
            )

    def forward(self, x: Any) -> Any:
        out = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(out)) + self.short(x))


class ResNet(nn.Module):
    """A CIFAR-style ResNet for 8x8 digits: stem + 4 basic blocks (9 convolutions), global
    average pooling; Kaiming-normal convs, as torchvision's ResNet. ``zero_init_residual``
    zeroes each block's last BN gamma (torchvision's option, "Bag of Tricks")."""

    def __init__(self, width: int = 16, *, zero_init_residual: bool = False) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(1, width, 3, 1, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU()
        )
        self.layers = nn.Sequential(
            BasicBlock(width, width),
            BasicBlock(width, width),
            BasicBlock(width, 2 * width, stride=2),
            BasicBlock(2 * width, 2 * width),
        )
        self.head = nn.Linear(2 * width, 10)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        if zero_init_residual:
            for m in self.modules():
                if isinstance(m, BasicBlock):
                    nn.init.zeros_(m.bn2.weight)

    def forward(self, x: Any) -> Any:
        return self.head(F.adaptive_avg_pool2d(self.layers(self.stem(x)), 1).flatten(1))


class BNCNN(nn.Module):
    """Three conv-BN-ReLU layers and a linear head on 8x8 digits."""

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1),
            nn.BatchNorm2d(32),
            nn.ReLU(),
            nn.Conv2d(32, 32, 3, padding=1),
            nn.BatchNorm2d(32),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1),
            nn.BatchNorm2d(64),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(1),
        )
        self.head = nn.Linear(64, 10)

    def forward(self, x: Any) -> Any:
        return self.head(self.features(x).flatten(1))


class SeparableConvNet(nn.Module):
    """MobileNet-style depthwise-separable convolutions with BatchNorm and ReLU6."""

    def __init__(self) -> None:
        super().__init__()

        def sep(c_in: int, c_out: int, stride: int) -> list[Any]:
            return [
                nn.Conv2d(c_in, c_in, 3, stride, 1, groups=c_in, bias=False),
                nn.BatchNorm2d(c_in),
                nn.ReLU6(),
                nn.Conv2d(c_in, c_out, 1, bias=False),
                nn.BatchNorm2d(c_out),
                nn.ReLU6(),
            ]

        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, 1, 1, bias=False),
            nn.BatchNorm2d(16),
            nn.ReLU6(),
            *sep(16, 32, 1),
            *sep(32, 64, 2),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.Dropout(0.2),
        )
        self.head = nn.Linear(64, 10)

    def forward(self, x: Any) -> Any:
        return self.head(self.features(x))


class GroupNormCNN(nn.Module):
    """Conv + GroupNorm + SiLU blocks (batch-size independent normalization)."""

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1),
            nn.GroupNorm(8, 32),
            nn.SiLU(),
            nn.Conv2d(32, 64, 3, stride=2, padding=1),
            nn.GroupNorm(8, 64),
            nn.SiLU(),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
        )
        self.head = nn.Linear(64, 10)

    def forward(self, x: Any) -> Any:
        return self.head(self.features(x))


class LeNet(nn.Module):
    """The classic LeNet-5 shape, scaled to 8x8: tanh and average pooling."""

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 6, 3, padding=1),
            nn.Tanh(),
            nn.AvgPool2d(2),
            nn.Conv2d(6, 16, 3, padding=1),
            nn.Tanh(),
            nn.AvgPool2d(2),
            nn.Flatten(),
        )
        self.classifier = nn.Sequential(
            nn.Linear(64, 120), nn.Tanh(), nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, 10)
        )

    def forward(self, x: Any) -> Any:
        return self.classifier(self.features(x))


class TinyUNet(nn.Module):
    """A two-level U-Net (conv-BN-ReLU, max-pool, transposed conv, concatenated skip) giving
    per-pixel logits (B, C, H, W)."""

    def __init__(self, n_out: int = 3) -> None:
        super().__init__()

        def block(c_in: int, c_out: int) -> Any:
            return nn.Sequential(
                nn.Conv2d(c_in, c_out, 3, padding=1), nn.BatchNorm2d(c_out), nn.ReLU()
            )

        self.down = block(1, 16)
        self.mid = block(16, 32)
        self.up = nn.ConvTranspose2d(32, 16, 2, stride=2)
        self.dec = block(32, 16)
        self.out = nn.Conv2d(16, n_out, 1)

    def forward(self, x: Any) -> Any:
        d = self.down(x)
        m = self.mid(F.max_pool2d(d, 2))
        return self.out(self.dec(torch.cat([self.up(m), d], dim=1)))


class FrozenBackboneClassifier(nn.Module):
    """A "pretrained" conv backbone (BatchNorm), frozen (requires_grad False, eval mode), and
    a trainable linear head: the usual transfer-learning / linear-probe setup."""

    def __init__(self) -> None:
        super().__init__()
        self.backbone = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1),
            nn.BatchNorm2d(16),
            nn.ReLU(),
            nn.Conv2d(16, 32, 3, padding=1),
            nn.BatchNorm2d(32),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(2),
            nn.Flatten(),
        )
        self.head = nn.Linear(128, 10)

    def freeze(self) -> FrozenBackboneClassifier:
        for p in self.backbone.parameters():
            p.requires_grad_(False)
        self.backbone.eval()
        return self

    def train(self, mode: bool = True) -> FrozenBackboneClassifier:
        super().train(mode)
        if not any(p.requires_grad for p in self.backbone.parameters()):
            self.backbone.eval()  # frozen BN statistics stay as pretrained
        return self

    def forward(self, x: Any) -> Any:
        return self.head(self.backbone(x))


class NoGradBackbone(nn.Module):
    """Linear probe written with ``torch.no_grad()`` around a frozen feature extractor."""

    def __init__(self) -> None:
        super().__init__()
        self.backbone = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU())
        self.backbone.requires_grad_(False)
        self.head = nn.Linear(64, 10)

    def forward(self, x: Any) -> Any:
        with torch.no_grad():
            feats = self.backbone(x)
        return self.head(feats)


class RowsTransformer(nn.Module):
    """Pre-norm Transformer encoder over the 8 rows of a digit with a learned [CLS] token."""

    def __init__(self, dim: int = 32) -> None:
        super().__init__()
        self.embed = nn.Linear(8, dim)
        self.cls = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos = nn.Parameter(torch.randn(1, 9, dim) * 0.02)
        layer = nn.TransformerEncoderLayer(
            dim, 4, 4 * dim, dropout=0.1, activation="gelu", batch_first=True, norm_first=True
        )
        self.encoder = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, 10)

    def forward(self, rows: Any) -> Any:
        h = torch.cat([self.cls.expand(rows.shape[0], -1, -1), self.embed(rows)], dim=1)
        h = self.encoder(h + self.pos)
        return self.head(self.norm(h[:, 0]))


class CausalSelfAttention(nn.Module):
    """nanoGPT's hand-written attention: ``masked_fill(mask == 0, -inf)`` then softmax."""

    def __init__(self, dim: int, heads: int, length: int) -> None:
        super().__init__()
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.heads = heads
        self.register_buffer(
            "mask", torch.tril(torch.ones(length, length)).view(1, 1, length, length)
        )

    def forward(self, x: Any) -> Any:
        b, t, c = x.shape
        q, k, v = self.qkv(x).split(c, dim=2)
        q, k, v = (z.view(b, t, self.heads, c // self.heads).transpose(1, 2) for z in (q, k, v))
        att = (q @ k.transpose(-2, -1)) / math.sqrt(k.shape[-1])
        mask: Any = self.mask
        att = F.softmax(att.masked_fill(mask[:, :, :t, :t] == 0, float("-inf")), dim=-1)
        return self.proj((att @ v).transpose(1, 2).contiguous().view(b, t, c))


class NanoGPT(nn.Module):
    """Pre-norm blocks (attention + GELU MLP, residuals), GPT-2 init, and a sequence-level head
    on the last position: digits rows read top to bottom, classified at the last row."""

    def __init__(self, dim: int = 32, length: int = 8) -> None:
        super().__init__()
        self.embed = nn.Linear(8, dim)
        self.pos = nn.Parameter(torch.zeros(1, length, dim))
        self.ln1 = nn.ModuleList(nn.LayerNorm(dim) for _ in range(2))
        self.attn = nn.ModuleList(CausalSelfAttention(dim, 4, length) for _ in range(2))
        self.ln2 = nn.ModuleList(nn.LayerNorm(dim) for _ in range(2))
        self.mlp = nn.ModuleList(
            nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))
            for _ in range(2)
        )
        self.ln_f = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, 10)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, std=0.02)
                nn.init.zeros_(m.bias)

    def forward(self, rows: Any) -> Any:
        h = self.embed(rows) + self.pos
        for ln1, attn, ln2, mlp_ in zip(self.ln1, self.attn, self.ln2, self.mlp, strict=True):
            h = h + attn(ln1(h))
            h = h + mlp_(ln2(h))
        return self.head(self.ln_f(h)[:, -1])


class AttentionPool(nn.Module):
    """``nn.MultiheadAttention`` self-attention over digit rows, then a learned-query
    attention pooling (the query is a parameter), LayerNorm, head."""

    def __init__(self, dim: int = 32) -> None:
        super().__init__()
        self.embed = nn.Linear(8, dim)
        self.attn = nn.MultiheadAttention(dim, 4, batch_first=True)
        self.norm = nn.LayerNorm(dim)
        self.query = nn.Parameter(torch.randn(1, 1, dim) * 0.02)
        self.pool = nn.MultiheadAttention(dim, 4, batch_first=True)
        self.head = nn.Linear(dim, 10)

    def forward(self, rows: Any) -> Any:
        h = self.embed(rows)
        h = self.norm(h + self.attn(h, h, h, need_weights=False)[0])
        q = self.query.expand(rows.shape[0], -1, -1)
        return self.head(self.pool(q, h, h, need_weights=False)[0].squeeze(1))


class ReZeroBlock(nn.Module):
    """ReZero (Bachlechner et al. 2020): ``x + alpha * f(x)`` with a scalar ``alpha`` that
    starts at 0, so every block starts as the identity."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(width, width)
        self.fc2 = nn.Linear(width, width)
        self.alpha = nn.Parameter(torch.zeros(()))

    def forward(self, x: Any) -> Any:
        return x + self.alpha * self.fc2(F.relu(self.fc1(x)))


class ConvAutoencoder(nn.Module):
    """Conv encoder (8x8 -> 4x4) and ConvTranspose decoder back to 8x8, sigmoid output."""

    def __init__(self) -> None:
        super().__init__()
        self.encoder = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(16, 32, 3, stride=2, padding=1),
            nn.ReLU(),
        )
        self.decoder = nn.Sequential(
            nn.ConvTranspose2d(32, 16, 2, stride=2),
            nn.ReLU(),
            nn.Conv2d(16, 1, 3, padding=1),
            nn.Sigmoid(),
        )

    def forward(self, x: Any) -> Any:
        return self.decoder(self.encoder(x))


class VAE(nn.Module):
    """The pytorch/examples VAE, shrunk to 8x8 digits: returns (reconstruction in [0, 1],
    mu, logvar); the reparameterization samples in every forward, as in the example."""

    def __init__(self, latent: int = 8) -> None:
        super().__init__()
        self.fc1 = nn.Linear(64, 128)
        self.fc_mu = nn.Linear(128, latent)
        self.fc_logvar = nn.Linear(128, latent)
        self.fc3 = nn.Linear(latent, 128)
        self.fc4 = nn.Linear(128, 64)

    def forward(self, x: Any) -> Any:
        h = F.relu(self.fc1(x.view(-1, 64)))
        mu, logvar = self.fc_mu(h), self.fc_logvar(h)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        recon = torch.sigmoid(self.fc4(F.relu(self.fc3(z))))
        return recon.view_as(x), mu, logvar


def vae_loss(outputs: Any, x: Any) -> Any:
    """Reconstruction BCE plus the KL divergence, per sample (the pytorch/examples loss)."""
    recon, mu, logvar = outputs
    bce = F.binary_cross_entropy(recon, x, reduction="sum")
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return (bce + kld) / x.shape[0]


class DictOutput(nn.Module):
    """Returns ``{"logits": ..., "embedding": ...}`` (Hugging Face style)."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 32), nn.ReLU())
        self.head = nn.Linear(32, 10)

    def forward(self, x: Any) -> Any:
        emb = self.body(x)
        return {"logits": self.head(emb), "embedding": emb}


class TupleOutput(DictOutput):
    """Returns ``(logits, embedding)``."""

    def forward(self, x: Any) -> Any:
        emb = self.body(x)
        return self.head(emb), emb


class Siamese(nn.Module):
    """A shared encoder applied to two inputs, ``model(a, b)``; the logit of "same class" from
    ``|e(a) - e(b)|``."""

    def __init__(self) -> None:
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64))
        self.head = nn.Linear(64, 1)

    def forward(self, a: Any, b: Any) -> Any:
        return self.head((self.encoder(a) - self.encoder(b)).abs())


class TabularWithEmbeddings(nn.Module):
    """Numeric features plus a categorical column through an entity embedding; inputs are a
    dict ``{"num": float (B, n), "cat": int64 (B,)}``."""

    def __init__(self, n_num: int, n_cat: int, n_out: int) -> None:
        super().__init__()
        self.cat = nn.Embedding(n_cat, 4)
        self.mlp = nn.Sequential(
            nn.Linear(n_num + 4, 64),
            nn.BatchNorm1d(64),
            nn.ReLU(),
            nn.Dropout(0.1),
            nn.Linear(64, 64),
            nn.BatchNorm1d(64),
            nn.ReLU(),
            nn.Linear(64, n_out),
        )

    def forward(self, inputs: dict[str, Any]) -> Any:
        return self.mlp(torch.cat([inputs["num"], self.cat(inputs["cat"])], dim=1))


class CosineClassifier(nn.Module):
    """Normalized features against normalized class weights, times a fixed scale (NormFace /
    CosFace-style heads use 16-30, 64 for face recognition)."""

    def __init__(self, n_in: int, n_out: int, scale: float) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(n_in, 128), nn.ReLU(), nn.Linear(128, 64))
        self.weight = nn.Parameter(torch.empty(n_out, 64))
        nn.init.xavier_uniform_(self.weight)
        self.scale = scale

    def forward(self, x: Any) -> Any:
        cos = F.normalize(self.body(x), dim=1) @ F.normalize(self.weight, dim=1).t()
        return self.scale * cos


# ---------------------------------------------------------------------------------------------
# Training steps a user would pass
# ---------------------------------------------------------------------------------------------


class AccumulatingStep:
    """Gradient accumulation over 2 micro-batches: backward each call (loss / 2), step and
    zero_grad every second call, as ``if (i + 1) % accum == 0:`` loops do."""

    def __init__(self, loss_fn: Callable[[Any, Any], Any], accum: int = 2) -> None:
        self.loss_fn, self.accum, self.calls = loss_fn, accum, 0

    def __call__(self, model: Any, optimizer: Any, batch: Any) -> Any:
        x, y = batch
        model.train()
        loss = self.loss_fn(model(x), y) / self.accum
        loss.backward()
        self.calls += 1
        if self.calls % self.accum == 0:
            optimizer.step()
            optimizer.zero_grad()
        return loss.detach() * self.accum


def clipped_step(model: Any, optimizer: Any, batch: Any) -> Any:
    """The usual step with ``clip_grad_norm_(..., 1.0)`` between backward and step."""
    x, y = batch
    model.train()
    optimizer.zero_grad(set_to_none=True)
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    return loss.item()


def _finetune_step(model: Any, optimizer: Any, batch: Any) -> Any:
    x, y = batch
    model.train()
    optimizer.zero_grad()
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()


# ---------------------------------------------------------------------------------------------
# Cases: Recurrent and convolutional sequence models
# ---------------------------------------------------------------------------------------------


@case("lstm_last_step_digit_rows")
def _lstm() -> Kwargs:
    _seed()
    x, y = digits(64)
    return {
        "model": LSTMLast(8, 64, 10),
        "batch": (x.view(-1, 8, 8), y),
        "loss_fn": nn.CrossEntropyLoss(),
        "optimizer": torch.optim.Adam,
        "lr": 1e-3,
        "batch_size": 32,
        "n_train": 1797,
    }


@case("gru_mean_pool_waves", steps=200, slow=True)
def _gru() -> Kwargs:
    _seed()
    x, y = waves(64)
    return {
        "model": GRUMean(1, 32, 3),
        "batch": (x.unsqueeze(-1), y),
        "loss_fn": nn.CrossEntropyLoss(),
        "optimizer": torch.optim.Adam,
        "lr": 1e-3,
        "batch_size": 32,
        "n_train": 2000,
        "clip_grad_norm": 5.0,
    }


@case("bilstm_packed_tokens")
def _packed() -> Kwargs:
    _seed()
    ids, y = token_docs(64)
    lengths = (ids != 0).sum(1)
    return {
        "model": PackedLSTM(),
        "batch": ((ids, lengths), y),
        "loss_fn": nn.CrossEntropyLoss(),
        "optimizer": torch.optim.Adam,
        "lr": 1e-3,
        "batch_size": 32,
        "n_train": 5000,
    }


@case("bilstm_tagger_ignore_index", steps=150)
def _tagger() -> Kwargs:
    _seed()
    ids, _ = token_docs(64)
    tags = torch.div(ids - 1, 12, rounding_mode="floor").clamp(min=0)  # 5 tags by id range
    tags[ids == 0] = -100  # padding positions are ignored
    return {
        "model": BiLSTMTagger(5),
        "batch": (ids, tags),
        "loss_fn": nn.CrossEntropyLoss(ignore_index=-100),
        "optimizer": torch.optim.Adam,
        "lr": 1e-3,
        "batch_size": 32,
        "n_train": 10000,
    }


@case("conv1d_bn_waves")
def _conv1d() -> Kwargs:
    _seed()
    return {
        "model": Conv1dNet(3),
        "batch": waves(128),
        "loss_fn": nn.CrossEntropyLoss(),
        "optimizer": torch.optim.Adam,
        "lr": 1e-3,
        "batch_size": 32,
        "n_train": 2000,
    }


# ---------------------------------------------------------------------------------------------
# Cases: Token ids: bag of embeddings, text CNN, text Transformer, a weight-tied language model
# ---------------------------------------------------------------------------------------------


@case("embeddingbag_mean_tokens")
def _bag() -> Kwargs:
    _seed()
    return {
        "model": BagOfEmbeddings(),
        "batch": token_docs(128),
        "loss_fn": nn.CrossEntropyLoss(),
        "optimizer": torch.optim.Adam,
        "lr": 1e-2,
        "batch_size": 64,
        "n_train": 10000,
    }


@case("embedding_masked_mean_tokens", steps=150)
def _emb_mean() -> Kwargs:
    _seed()
    return {
        "model": MaskedMeanEmbedding(),
        "batch": token_docs(128),
        "loss_fn": "ce",
        "optimizer": "adam",
        "lr": 1e-3,
        "batch_size": 32,
        "n_train": 10000,
    }


@case("text_cnn_kim_tokens")
def _text_cnn() -> Kwargs:
    _seed()
    return {
        "model": TextCNN(),
        "batch": token_docs(64),
        "loss_fn": nn.CrossEntropyLoss(),
        "optimizer": torch.optim.Adam,
        "lr": 1e-3,
        "batch_size": 50,
        "n_train": 10000,
    }


@case(
    "text_transformer_default_encoder_padding_mask",
    slow=True,
    # evaluation (no grad) takes the nested-tensor fast path, which warns that it is a prototype
    ignore_warnings=("ignore:The PyTorch API of nested tensors:UserWarning",),
)
def _text_tf() -> Kwargs:
    _seed()
    return {
        "model": TextTransformer(),
        "batch": token_docs(64),
        "loss_fn": nn.CrossEntropyLoss(),
        "optimizer": torch.optim.AdamW,
        "lr": 5e-4,
        "batch_size": 32,
        "n_train": 10000,
    }


@case("weight_tied_causal_lm", train_loss=lm_loss, steps=100, slow=True)
def _tied() -> Kwargs:
    _seed()
    return {
        "model": TiedLM(),
        "batch": counting_sequences(64),
        "loss_fn": lm_loss,
        "optimizer": torch.optim.AdamW,
        "optimizer_kwargs": {"weight_decay": 0.01, "betas": (0.9, 0.95)},
        "lr": 1e-3,
        "batch_size": 32,
        "n_train": 10000,
        "clip_grad_norm": 1.0,
    }


# ---------------------------------------------------------------------------------------------
# Cases: Images: ResNet, BN CNN, MobileNet, GroupNorm, LeNet, U-Net, transfer learning
# ---------------------------------------------------------------------------------------------


@case("resnet9_bn_skips_adam", slow=True)
def _resnet() -> Kwargs:
    _seed()
    x, y = digits(64)
    return {
        "model": ResNet(16),
        "batch": (x.view(-1, 1, 8, 8), y),
        "loss_fn": nn.CrossEntropyLoss(),
        "optimizer": torch.optim.Adam,
        "lr": 1e-3,
        "batch_size": 64,
        "n_train": 1797,
    }


@case(
    "resnet9_sgd_recipe_zero_init_residual",
    slow=True,
)
def _resnet_sgd() -> Kwargs:
    _seed()
    x, y = digits(64)
    return {
        "model": ResNet(16, zero_init_residual=True),
        "batch": (x.view(-1, 1, 8, 8), y),
        "loss_fn": nn.CrossEntropyLoss(),
        "optimizer": torch.optim.SGD,
        "optimizer_kwargs": {"momentum": 0.9, "weight_decay": 5e-4},
        "lr": 0.1,
        "batch_size": 128,
        "n_train": 1797,
    }


@case("bn_cnn_sgd_nesterov")
def _nesterov() -> Kwargs:
    _seed()
    x, y = digits(64)
    return {
        "model": BNCNN(),
        "batch": (x.view(-1, 1, 8, 8), y),
        "loss_fn": nn.CrossEntropyLoss(),
        "optimizer": torch.optim.SGD,
        "optimizer_kwargs": {"momentum": 0.9, "nesterov": True, "weight_decay": 5e-4},
        "lr": 0.05,
        "batch_size": 64,
        "n_train": 1797,
    }


@case("label_smoothing_cnn", min_drop=0.4, slow=True)
def _smooth() -> Kwargs:
    _seed()
    x, y = digits(64)
    return {
        "model": BNCNN(),
        "batch": (x.view(-1, 1, 8, 8), y),
        "loss_fn": nn.CrossEntropyLoss(label_smoothing=0.1),
        "optimizer": torch.optim.Adam,
        "lr": 1e-3,
        "batch_size": 64,
        "n_train": 1797,
    }


@case("mobilenet_separable_relu6")
def _mobilenet() -> Kwargs:
    _seed()
    x, y = digits(64)
    return {
        "model": SeparableConvNet(),
        "batch": (x.view(-1, 1, 8, 8), y),
        "loss_fn": nn.CrossEntropyLoss(),
        "optimizer": torch.optim.RMSprop,
        "optimizer_kwargs": {"momentum": 0.9, "alpha": 0.9},
        "lr": 1e-3,
        "batch_size": 64,
        "n_train": 1797,
    }


@case("groupnorm_silu_cnn")
def _groupnorm() -> Kwargs:
    _seed()
    x, y = digits(64)
    return {
        "model": GroupNormCNN(),
        "batch": (x.view(-1, 1, 8, 8), y),
        "loss_fn": nn.CrossEntropyLoss(),
        "optimizer": torch.optim.Adam,
        "lr": 1e-3,
        "batch_size": 32,
        "n_train": 1797,
    }


@case("lenet_tanh_avgpool", steps=200, min_drop=0.3)
def _lenet() -> Kwargs:
    _seed()
    x, y = digits(128)
    return {
        "model": LeNet(),
        "batch": (x.view(-1, 1, 8, 8), y),
        "loss_fn": nn.CrossEntropyLoss(),
        "optimizer": torch.optim.SGD,
        "optimizer_kwargs": {"momentum": 0.9},
        "lr": 0.01,
        "batch_size": 32,
        "n_train": 1797,
    }


@case("unet_per_pixel_ce_segmentation", slow=True)
def _unet() -> Kwargs:
    _seed()
    x = digits01(64)
    mask = (x > 0).long() + (x >= 0.5).long()  # background, faint, strong stroke
    return {
        "model": TinyUNet(3),
        "batch": ((x - 0.3) / 0.4, mask.squeeze(1)),
        "loss_fn": nn.CrossEntropyLoss(),
        "optimizer": torch.optim.Adam,
        "lr": 1e-3,
        "batch_size": 16,
        "n_train": 1797,
    }


@case("unet_binary_mask_bce_logits")
def _unet_bin() -> Kwargs:
    _seed()
    x = digits01(64)
    return {
        "model": TinyUNet(1),
        "batch": ((x - 0.3) / 0.4, (x >= 0.5).float()),
        "loss_fn": nn.BCEWithLogitsLoss(),
        "optimizer": torch.optim.Adam,
        "lr": 1e-3,
        "batch_size": 16,
        "n_train": 1797,
    }


@case("frozen_backbone_linear_probe", steps=150, min_drop=0.3)
def _frozen() -> Kwargs:
    _seed()
    x, y = digits(128)
    x = x.view(-1, 1, 8, 8)
    model = FrozenBackboneClassifier()
    # "pretrain" briefly (20 Adam steps), then freeze the backbone and start a fresh head
    px, py = digits(512)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    for i in range(20):
        opt.zero_grad()
        F.cross_entropy(
            model(px[i * 16 : i * 16 + 64].view(-1, 1, 8, 8)), py[i * 16 : i * 16 + 64]
        ).backward()
        opt.step()
    nn.init.normal_(model.head.weight, std=0.01)
    nn.init.zeros_(model.head.bias)
    return {
        "model": model.freeze(),
        "batch": (x, y),
        "loss_fn": nn.CrossEntropyLoss(),
        "optimizer": torch.optim.Adam,
        "lr": 1e-3,
        "batch_size": 32,
        "n_train": 1797,
    }


@case("no_grad_frozen_backbone_probe", steps=300, min_drop=0.2)
def _nograd() -> Kwargs:
    _seed()
    return {
        "model": NoGradBackbone(),
        "batch": digits(128),
        "loss_fn": nn.CrossEntropyLoss(),
        "optimizer": torch.optim.Adam,
        "lr": 1e-3,
        "batch_size": 64,
        "n_train": 1797,
    }


@case("finetune_param_groups_optimizer_instance", steps=150, min_drop=0.4, slow=True)
def _finetune() -> Kwargs:
    _seed()
    x, y = digits(128)
    model = BNCNN()
    optimizer = torch.optim.AdamW(
        [
            {"params": model.features.parameters(), "lr": 1e-4},
            {"params": model.head.parameters(), "lr": 1e-3},
        ],
        weight_decay=0.01,
    )
    return {
        "model": model,
        "batch": (x.view(-1, 1, 8, 8)[:64], y[:64]),
        "loss_fn": nn.CrossEntropyLoss(),
        "optimizer": optimizer,
        "batch_size": 32,
        "n_train": 1797,
        "train_step": _finetune_step,
    }


# ---------------------------------------------------------------------------------------------
# Cases: Attention
# ---------------------------------------------------------------------------------------------


@case("transformer_prenorm_adamw_clip1", slow=True)
def _transformer() -> Kwargs:
    _seed()
    x, y = digits(64)
    return {
        "model": RowsTransformer(32),
        "batch": (x.view(-1, 8, 8), y),
        "loss_fn": nn.CrossEntropyLoss(),
        "optimizer": torch.optim.AdamW,
        "optimizer_kwargs": {"weight_decay": 0.01},
        "lr": 3e-4,
        "batch_size": 32,
        "n_train": 1797,
        "clip_grad_norm": 1.0,
        "train_step": clipped_step,
    }


@case("nanogpt_masked_fill_attention", slow=True)
def _nanogpt() -> Kwargs:
    _seed()
    x, y = digits(64)
    return {
        "model": NanoGPT(),
        "batch": (x.view(-1, 8, 8), y),
        "loss_fn": nn.CrossEntropyLoss(),
        "optimizer": torch.optim.AdamW,
        "optimizer_kwargs": {"weight_decay": 0.1, "betas": (0.9, 0.95)},
        "lr": 1e-3,
        "batch_size": 32,
        "n_train": 1797,
        "clip_grad_norm": 1.0,
    }


@case("multihead_attention_pooling")
def _mha() -> Kwargs:
    _seed()
    x, y = digits(64)
    return {
        "model": AttentionPool(),
        "batch": (x.view(-1, 8, 8), y),
        "loss_fn": nn.CrossEntropyLoss(),
        "optimizer": torch.optim.Adam,
        "lr": 1e-3,
        "batch_size": 32,
        "n_train": 1797,
    }


# ---------------------------------------------------------------------------------------------
# Cases: Reconstruction: autoencoders and a VAE (the target is the input)
# ---------------------------------------------------------------------------------------------


@case(
    "conv_autoencoder_sigmoid_bce",
    steps=150,
    min_drop=0.3,
    slow=True,
)
def _ae_bce() -> Kwargs:
    _seed()
    x = digits01(64)
    return {
        "model": ConvAutoencoder(),
        "batch": (x, x),
        "loss_fn": nn.BCELoss(),
        "optimizer": torch.optim.Adam,
        "lr": 1e-3,
        "batch_size": 32,
        "n_train": 1797,
    }


@case("conv_autoencoder_sigmoid_mse", steps=150)
def _ae_mse() -> Kwargs:
    _seed()
    x = digits01(64)
    return {
        "model": ConvAutoencoder(),
        "batch": (x, x),
        "loss_fn": nn.MSELoss(),
        "optimizer": torch.optim.Adam,
        "lr": 1e-3,
        "batch_size": 32,
        "n_train": 1797,
    }


@case(
    "vae_tuple_output_custom_loss",
    train_loss=vae_loss,
    steps=150,
    min_drop=0.3,
)
def _vae() -> Kwargs:
    _seed()
    x = digits01(128).view(-1, 64)
    return {
        "model": VAE(),
        "batch": (x, x),
        "loss_fn": vae_loss,
        "optimizer": torch.optim.Adam,
        "lr": 1e-3,
        "batch_size": 32,
        "n_train": 1797,
    }


# ---------------------------------------------------------------------------------------------
# Cases: Output and input containers
# ---------------------------------------------------------------------------------------------


@case("dict_output_logits_first")
def _dict_out() -> Kwargs:
    _seed()
    return {
        "model": DictOutput(),
        "batch": digits(128),
        "loss_fn": nn.CrossEntropyLoss(),
        "optimizer": torch.optim.Adam,
        "lr": 1e-3,
        "batch_size": 64,
        "n_train": 1797,
    }


@case("tuple_output_logits_first")
def _tuple_out() -> Kwargs:
    _seed()
    return {
        "model": TupleOutput(),
        "batch": digits(128),
        "loss_fn": nn.CrossEntropyLoss(),
        "optimizer": torch.optim.Adam,
        "lr": 1e-3,
        "batch_size": 64,
        "n_train": 1797,
    }


@case("siamese_two_inputs_bce")
def _siamese() -> Kwargs:
    _seed()
    x, y = digits(256)
    a, b = x[:128], x[128:]
    return {
        "model": Siamese(),
        "batch": ((a, b), (y[:128] == y[128:]).float()[:, None]),
        "loss_fn": nn.BCEWithLogitsLoss(pos_weight=torch.tensor([9.0])),
        "optimizer": torch.optim.Adam,
        "lr": 1e-3,
        "batch_size": 64,
        "n_train": 10000,
    }


@case("tabular_dict_inputs_entity_embedding")
def _tab_emb() -> Kwargs:
    _seed()
    x, y = tabular("wine", 128)
    # a categorical column: the alcohol feature bucketed into 5 levels
    cat = torch.bucketize(x[:, 0].contiguous(), torch.tensor([-1.0, -0.3, 0.3, 1.0]))
    return {
        "model": TabularWithEmbeddings(12, 5, 3),
        "batch": ({"num": x[:, 1:], "cat": cat}, y),
        "loss_fn": nn.CrossEntropyLoss(),
        "optimizer": torch.optim.Adam,
        "lr": 1e-3,
        "batch_size": 32,
        "n_train": 178,
    }


# ---------------------------------------------------------------------------------------------
# Cases: Losses and targets
# ---------------------------------------------------------------------------------------------


@case("multi_output_regression_linnerud", steps=300, min_drop=0.3)
def _linnerud() -> Kwargs:
    _seed()
    x, y = linnerud()
    return {
        "model": mlp([3, 32, 32, 3]),
        "batch": [(x[i : i + 5], y[i : i + 5]) for i in range(0, 20, 5)],
        "loss_fn": nn.MSELoss(),
        "optimizer": torch.optim.Adam,
        "lr": 1e-3,
        "batch_size": 5,
        "n_train": 20,
    }


@case("multilabel_bce_digit_attributes")
def _multilabel() -> Kwargs:
    _seed()
    x, y = digits(128)
    return {
        "model": mlp([64, 128, 128, 4], dropout=0.2),
        "batch": (x, digit_attributes(y)),
        "loss_fn": nn.BCEWithLogitsLoss(),
        "optimizer": torch.optim.Adam,
        "lr": 1e-3,
        "batch_size": 64,
        "n_train": 1797,
    }


@case("huber_regression_diabetes", min_drop=0.3)
def _huber() -> Kwargs:
    _seed()
    return {
        "model": mlp([10, 64, 64, 1], dropout=0.1),
        "batch": diabetes(128),
        "loss_fn": nn.HuberLoss(delta=1.0),
        "optimizer": torch.optim.AdamW,
        "lr": 1e-3,
        "batch_size": 32,
        "n_train": 442,
    }


@case("poisson_count_regression", min_drop=0.3)
def _poisson() -> Kwargs:
    _seed()
    x, _ = diabetes(128)
    g = torch.Generator().manual_seed(0)
    rate = torch.exp(0.5 + 0.4 * x[:, 2:3] + 0.3 * x[:, 8:9])  # BMI and s5 drive visits
    return {
        "model": mlp([10, 64, 64, 1]),
        "batch": (x, torch.poisson(rate, generator=g)),
        "loss_fn": nn.PoissonNLLLoss(log_input=True),
        "optimizer": torch.optim.Adam,
        "lr": 1e-3,
        "batch_size": 32,
        "n_train": 442,
    }


@case("class_weights_breast_cancer_2_logits")
def _weights() -> Kwargs:
    _seed()
    x, y = tabular("breast_cancer", 128)
    counts = torch.bincount(y, minlength=2).float()
    return {
        "model": mlp([30, 64, 64, 2]),
        "batch": (x, y),
        "loss_fn": nn.CrossEntropyLoss(weight=counts.sum() / (2 * counts)),
        "optimizer": torch.optim.Adam,
        "lr": 1e-3,
        "batch_size": 32,
        "n_train": 569,
    }


@case("binary_ce_2_logits_breast_cancer")
def _binary_ce() -> Kwargs:
    _seed()
    return {
        "model": mlp([30, 32, 2]),
        "batch": tabular("breast_cancer", 128),
        "loss_fn": F.cross_entropy,
        "optimizer": torch.optim.SGD,
        "optimizer_kwargs": {"momentum": 0.9},
        "lr": 0.01,
        "batch_size": 32,
        "n_train": 569,
    }


@case("mixup_soft_label_ce", min_drop=0.3)
def _mixup() -> Kwargs:
    _seed()
    x, y = digits(128)
    lam = torch.distributions.Beta(0.4, 0.4).sample((128, 1))
    perm = torch.randperm(128)
    onehot = F.one_hot(y, 10).float()
    return {
        "model": mlp([64, 128, 128, 10]),
        "batch": (lam * x + (1 - lam) * x[perm], lam * onehot + (1 - lam) * onehot[perm]),
        "loss_fn": nn.CrossEntropyLoss(),
        "optimizer": torch.optim.Adam,
        "lr": 1e-3,
        "batch_size": 64,
        "n_train": 1797,
    }


@case("distillation_kldiv_soft_targets", steps=100)
def _distill() -> Kwargs:
    _seed()
    x, y = digits(128)
    teacher = F.one_hot(y, 10).float() * 4.0 + 0.5 * torch.randn(128, 10)
    soft = F.softmax(teacher / 2.0, dim=1)  # temperature 2
    return {
        "model": mlp([64, 128, 10], head=nn.LogSoftmax(dim=1)),
        "batch": (x, soft),
        "loss_fn": nn.KLDivLoss(reduction="batchmean"),
        "optimizer": torch.optim.Adam,
        "lr": 1e-3,
        "batch_size": 64,
        "n_train": 1797,
    }


@case("cosine_classifier_scale16")
def _cos16() -> Kwargs:
    _seed()
    return {
        "model": CosineClassifier(64, 10, 16.0),
        "batch": digits(128),
        "loss_fn": nn.CrossEntropyLoss(),
        "optimizer": torch.optim.Adam,
        "lr": 1e-3,
        "batch_size": 64,
        "n_train": 1797,
    }


@case("cosine_classifier_scale30")
def _cos30() -> Kwargs:
    _seed()
    return {
        "model": CosineClassifier(64, 10, 30.0),
        "batch": digits(128),
        "loss_fn": nn.CrossEntropyLoss(),
        "optimizer": torch.optim.SGD,
        "optimizer_kwargs": {"momentum": 0.9, "weight_decay": 5e-4},
        "lr": 0.05,
        "batch_size": 64,
        "n_train": 1797,
    }


# ---------------------------------------------------------------------------------------------
# Cases: MLP variants, optimizers, tiny data, training steps, mixed precision
# ---------------------------------------------------------------------------------------------


@case("rezero_residual_mlp", steps=100)
def _rezero() -> Kwargs:
    _seed()
    return {
        "model": nn.Sequential(
            nn.Linear(13, 64), *[ReZeroBlock(64) for _ in range(4)], nn.Linear(64, 3)
        ),
        "batch": tabular("wine", 128),
        "loss_fn": nn.CrossEntropyLoss(),
        "optimizer": torch.optim.Adam,
        "lr": 1e-3,
        "batch_size": 16,
        "n_train": 178,
    }


@case("deep_mlp_layernorm_gelu_dropout")
def _deep_ln() -> Kwargs:
    _seed()
    return {
        "model": ln_gelu_mlp([64, *[128] * 9, 10]),
        "batch": digits(128),
        "loss_fn": nn.CrossEntropyLoss(),
        "optimizer": torch.optim.AdamW,
        "optimizer_kwargs": {"weight_decay": 0.01},
        "lr": 1e-3,
        "batch_size": 64,
        "n_train": 1797,
    }


@case("adamw_wd_cosine_peak_lr_wine")
def _adamw() -> Kwargs:
    _seed()
    return {
        "model": mlp([13, 64, 64, 3], nn.GELU, dropout=0.1),
        "batch": tabular("wine", 128),
        "loss_fn": nn.CrossEntropyLoss(),
        "optimizer": "AdamW",
        "optimizer_kwargs": {"weight_decay": 0.01, "betas": (0.9, 0.999)},
        "lr": 3e-3,
        "batch_size": 16,
        "n_train": 178,
    }


@case("mish_mlp_wine")
def _mish() -> Kwargs:
    _seed()
    return {
        "model": mlp([13, 64, 64, 3], nn.Mish),
        "batch": tabular("wine", 128),
        "loss_fn": nn.CrossEntropyLoss(),
        "optimizer": torch.optim.Adam,
        "lr": 1e-3,
        "batch_size": 16,
        "n_train": 178,
    }


@case("silu_mlp_bce_breast_cancer")
def _silu() -> Kwargs:
    _seed()
    x, y = tabular("breast_cancer", 128)
    return {
        "model": mlp([30, 64, 64, 1], nn.SiLU),
        "batch": (x, y.float()[:, None]),
        "loss_fn": nn.BCEWithLogitsLoss(),
        "optimizer": torch.optim.Adam,
        "lr": 1e-3,
        "batch_size": 32,
        "n_train": 569,
    }


@case("prelu_mlp_diabetes", min_drop=0.3)
def _prelu() -> Kwargs:
    _seed()
    return {
        "model": mlp([10, 64, 64, 1], nn.PReLU),
        "batch": diabetes(128),
        "loss_fn": nn.MSELoss(),
        "optimizer": torch.optim.Adam,
        "lr": 1e-3,
        "batch_size": 32,
        "n_train": 442,
    }


@case("weight_norm_mlp")
def _weight_norm() -> Kwargs:
    _seed()
    wn = nn.utils.parametrizations.weight_norm
    return {
        "model": nn.Sequential(
            wn(nn.Linear(13, 64)), nn.ReLU(), wn(nn.Linear(64, 64)), nn.ReLU(), nn.Linear(64, 3)
        ),
        "batch": tabular("wine", 128),
        "loss_fn": nn.CrossEntropyLoss(),
        "optimizer": torch.optim.Adam,
        "lr": 1e-3,
        "batch_size": 16,
        "n_train": 178,
    }


@case("float64_model_and_data")
def _double() -> Kwargs:
    _seed()
    x, y = diabetes(128)
    return {
        "model": mlp([10, 64, 64, 1]).double(),
        "batch": (x.double(), y.double()),
        "loss_fn": nn.MSELoss(),
        "optimizer": torch.optim.Adam,
        "lr": 1e-3,
        "batch_size": 32,
        "n_train": 442,
    }


@case("iris_150_rows_batch16_dataloader", steps=100)
def _iris() -> Kwargs:
    _seed()
    x, y = tabular("iris", 150)
    data = torch.utils.data.TensorDataset(x, y)
    return {
        "model": mlp([4, 32, 32, 3]),
        "batch": torch.utils.data.DataLoader(data, batch_size=16, shuffle=True),
        "loss_fn": nn.CrossEntropyLoss(),
        "optimizer": torch.optim.Adam,
        "lr": 1e-2,
        "batch_size": 16,
        "n_train": 150,
    }


@case("gradient_accumulation_every_2")
def _accum() -> Kwargs:
    _seed()
    x, y = digits(128)
    return {
        "model": mlp([64, 128, 128, 10], dropout=0.1),
        "batch": [(x[i : i + 32], y[i : i + 32]) for i in range(0, 128, 32)],
        "loss_fn": nn.CrossEntropyLoss(),
        "optimizer": torch.optim.Adam,
        "lr": 1e-3,
        "batch_size": 64,
        "n_train": 1797,
        "train_step": AccumulatingStep(nn.CrossEntropyLoss()),
    }


@case("amp_bfloat16_cpu_mlp")
def _amp() -> Kwargs:
    _seed()
    return {
        "model": mlp([64, 256, 256, 10], dropout=0.1),
        "batch": digits(128),
        "loss_fn": nn.CrossEntropyLoss(),
        "optimizer": torch.optim.AdamW,
        "lr": 1e-3,
        "batch_size": 64,
        "n_train": 1797,
        "amp": "bfloat16",
    }


# ---------------------------------------------------------------------------------------------
# A plain training loop, as the user would write it
# ---------------------------------------------------------------------------------------------


def _first_tensor(out: Any) -> Any:
    if isinstance(out, torch.Tensor):
        return out
    if isinstance(out, dict):
        return _first_tensor(next(iter(out.values())))
    return _first_tensor(out[0])


def _call(model: Any, x: Any) -> Any:
    return model(*x) if isinstance(x, (tuple, list)) else model(x)


def _pairs(batch: Any) -> list[tuple[Any, Any]]:
    if isinstance(batch, tuple) and len(batch) == 2 and isinstance(batch[1], torch.Tensor):
        return [batch]
    return [tuple(b) for b in batch]


def _user_loss(c: Case, kw: Kwargs) -> Callable[[Any, Any], Any]:
    if c.train_loss is not None:
        return c.train_loss
    loss_fn = kw["loss_fn"]
    if isinstance(loss_fn, str):
        loss_fn = {"ce": nn.CrossEntropyLoss(), "mse": nn.MSELoss()}[loss_fn]
    return lambda out, y: loss_fn(_first_tensor(out), y)


def _optimizer(kw: Kwargs, model: Any) -> Any:
    opt = kw.get("optimizer") or torch.optim.Adam
    if isinstance(opt, torch.optim.Optimizer):
        return opt
    if isinstance(opt, str):
        opt = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW}[opt.lower()]
    params = [p for p in model.parameters() if p.requires_grad]
    return opt(params, lr=kw["lr"], **(kw.get("optimizer_kwargs") or {}))


def _mean_loss(model: Any, loss: Callable[[Any, Any], Any], pairs: list[Any]) -> float:
    model.eval()
    torch.manual_seed(2)  # the VAE samples in eval too
    with torch.no_grad():
        value = float(np.mean([float(loss(_call(model, x), y)) for x, y in pairs]))
    model.train()
    return value


def fit(c: Case, steps: int | None = None) -> tuple[float, float]:
    """Train a fresh build with the user's loss, optimizer and clipping for ``steps`` steps,
    cycling through the batches; the mean eval loss over them before and after."""
    kw = c.build()
    torch.manual_seed(1)
    model, pairs = kw["model"], _pairs(kw["batch"])
    loss = _user_loss(c, kw)
    opt = _optimizer(kw, model)
    before = _mean_loss(model, loss, pairs)
    for i in range(steps or c.steps):
        x, y = pairs[i % len(pairs)]
        opt.zero_grad()
        value = loss(_call(model, x), y)
        value.backward()
        if kw.get("clip_grad_norm"):
            nn.utils.clip_grad_norm_(model.parameters(), kw["clip_grad_norm"])
        opt.step()
    return before, _mean_loss(model, loss, pairs)


def describe(report: ModelReport) -> str:
    lines = [
        f"  {f.code} [{f.severity.label}] {f.message} evidence={f.evidence}"
        for f in report.findings
    ]
    if report.skipped:
        lines.append(f"  skipped: {report.skipped}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------------------------


def _params(*, check: bool) -> list[Any]:
    out = []
    for c in CASES:
        marks: list[Any] = [pytest.mark.filterwarnings(w) for w in c.ignore_warnings]
        if check and c.xfail:
            marks.append(pytest.mark.xfail(strict=True, reason=c.xfail, raises=c.raises))
        if c.slow:
            marks.append(pytest.mark.slow)
        out.append(pytest.param(c, id=c.name, marks=marks))
    return out


@pytest.mark.parametrize("c", _params(check=True))
def test_healthy_architecture_raises_nothing_above_info(c: Case) -> None:
    report = check_model(**c.build())
    loud = [f for f in report.findings if f.severity > Severity.INFO]
    assert not loud, f"{c.name} raised above info:\n" + describe(report)


@pytest.mark.parametrize("c", _params(check=False))
def test_architecture_trains(c: Case) -> None:
    before, after = fit(c)
    assert after <= (1.0 - c.min_drop) * before, (
        f"{c.name}: loss {before:.4g} -> {after:.4g} in {c.steps} steps (expected a fall of "
        f"{c.min_drop:.0%})"
    )


def test_case_names_are_unique() -> None:
    names = [c.name for c in CASES]
    assert len(names) == len(set(names))
