"""examples/train_with_dataguard.py: the dataguard path beats raw tensors at least 5x."""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

import pytest

pytest.importorskip("torch")

SCRIPT = Path(__file__).resolve().parents[2] / "examples" / "train_with_dataguard.py"


def test_dataguard_validation_loss_is_at_least_5x_lower(capsys: pytest.CaptureFixture[str]) -> None:
    spec = importlib.util.spec_from_file_location("train_with_dataguard", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    start = time.perf_counter()
    losses = module.main([])
    elapsed = time.perf_counter() - start
    out = capsys.readouterr().out
    assert "raw tensors" in out and "dataguard" in out
    assert losses["dataguard"] * 5 <= losses["raw"], losses
    assert elapsed < 60, f"the example took {elapsed:.0f} s on the CPU, expected under 60 s"
