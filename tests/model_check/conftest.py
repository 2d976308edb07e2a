"""Model-check tests run torch single-threaded: under ``pytest -n 2`` on two cores, two
workers with two OpenMP threads each oversubscribe the CPU and a 5 ms training step takes
300 ms (measured). Without torch (the pandas-2 environment) the folder is not collected."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

try:
    import torch
except ImportError:  # pragma: no cover - exercised in the environment without the extra
    torch = None  # type: ignore[assignment]
    collect_ignore_glob = ["test_*.py", "_zoo.py"]


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    if torch is None:  # pragma: no cover
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
