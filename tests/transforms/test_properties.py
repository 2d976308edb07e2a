"""Property tests over random frames: finite in, finite out; numpy, scikit-learn and torch
agree; the JSON round trip is exact."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dataguard
from dataguard.transforms import TransformPipeline

#: Step chains a numeric column can get (None: the plan from the findings).
CHAINS: list[Any] = [
    None,
    ["impute", "standardize"],
    ["impute", "robust_scale"],
    ["impute", "minmax"],
    ["impute", "log1p", "standardize"],
    ["impute", "signed_log", "clip", "standardize"],
    ["impute", "yeo_johnson", "standardize"],
    ["impute", "yeo_johnson", "clip", "robust_scale"],
    ["impute", {"op": "cyclic", "period": 360.0, "offset": 0.0}],
    ["hhmm", "impute", {"op": "cyclic", "period": 1440.0, "offset": 0.0}],
    ["yyyymmdd", "impute", "standardize"],
    [{"op": "sentinel", "values": [-999.0, 0.0]}, "impute", "standardize"],
    ["nonfinite", "impute"],
]
LEVELS = ["a", "b", "c", "d"]
SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,
)


def _magnitudes(draw: st.DrawFn, n: int, big: bool) -> np.ndarray:
    """n finite values: an offset (up to 1e9, or 1e300 when big) plus a spread."""
    top = 300 if big else 9
    offset = draw(
        st.sampled_from([0.0, 1.0, -50.0, 1e9, -1e9, 10.0 ** draw(st.integers(-300, top))])
    )
    spread = 10.0 ** draw(st.integers(-12 if not big else -300, top))
    kind = draw(st.sampled_from(["normal", "constant", "lognormal", "ints"]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    if kind == "constant":
        x = np.full(n, offset)
    elif kind == "lognormal":
        x = offset + spread * rng.lognormal(0, 2, n)
    elif kind == "ints":
        x = np.round(offset + rng.integers(0, 3000, n).astype(float))
    else:
        x = offset + spread * rng.normal(size=n)
    x[~np.isfinite(x)] = offset
    return x


@st.composite
def fitted(draw: st.DrawFn, big: bool = True) -> tuple[TransformPipeline, pd.DataFrame]:
    """A pipeline fitted on a random frame, and a random frame to apply it to."""
    n_num = draw(st.integers(1, 4))
    n_fit = draw(st.integers(1, 80))
    n_new = draw(st.integers(1, 12))
    plan: dict[str, Any] = {}
    fit_cols: dict[str, Any] = {}
    new_cols: dict[str, Any] = {}
    for j in range(n_num):
        name = f"x{j}"
        fit_cols[name] = _magnitudes(draw, n_fit, big)
        new_cols[name] = _magnitudes(draw, n_new, big)
        chain = draw(st.sampled_from(CHAINS))
        if chain is not None:
            plan[name] = chain
    if draw(st.booleans()):
        rng = np.random.default_rng(draw(st.integers(0, 1000)))
        fit_cols["cat"] = rng.choice(LEVELS[:3], n_fit)
        new_cols["cat"] = rng.choice([*LEVELS, "unseen"], n_new)  # unseen levels at apply time
        plan["cat"] = [draw(st.sampled_from(["one_hot", "ordinal"]))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # float16-range warnings are expected here
        pipe = dataguard.fit(pd.DataFrame(fit_cols), plan=plan)
    return pipe, pd.DataFrame(new_cols)


@SETTINGS
@given(fitted())
def test_finite_in_finite_out(case: tuple[TransformPipeline, pd.DataFrame]) -> None:
    pipe, new = case
    out = pipe.transform_array(new)
    assert out.shape == (len(new), len(pipe.output_columns))
    assert np.isfinite(out).all(), pipe.columns
    out32 = pipe.transform_array(new, dtype=np.float32)
    assert np.isfinite(out32).all()
    for i in range(min(len(new), 3)):  # single-row batches give the same rows
        np.testing.assert_array_equal(pipe.transform_array(new.iloc[[i]]), out[[i]])


@SETTINGS
@given(fitted())
def test_json_round_trip_is_exact(case: tuple[TransformPipeline, pd.DataFrame]) -> None:
    pipe, new = case
    again = TransformPipeline(pipe.to_dict())
    assert np.array_equal(again.transform_array(new), pipe.transform_array(new))


def _close(a: np.ndarray, b: np.ndarray, dtype: str) -> None:
    if dtype == "float64":
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-9)
    else:
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@SETTINGS
@given(fitted(big=False))
def test_sklearn_path_agrees(case: tuple[TransformPipeline, pd.DataFrame]) -> None:
    pytest.importorskip("sklearn")
    pipe, new = case
    est = pipe.to_sklearn()
    _close(est.transform(new), pipe.transform_array(new), "float64")


@SETTINGS
@given(fitted(big=False), st.sampled_from(["float64", "float32"]))
def test_torch_path_agrees(case: tuple[TransformPipeline, pd.DataFrame], dtype: str) -> None:
    torch = pytest.importorskip("torch")
    pipe, new = case
    from dataguard.adapters.torch import encode_batch

    module = pipe.to_torch().to(getattr(torch, dtype))
    inputs = encode_batch(pipe, new)
    got = module(inputs).numpy()
    want = pipe.transform_array(new, dtype=np.dtype(dtype))
    assert got.dtype == np.dtype(dtype)
    _close(got, want, dtype)


@SETTINGS
@given(fitted(big=True))
def test_torch_is_finite_on_huge_inputs(case: tuple[TransformPipeline, pd.DataFrame]) -> None:
    torch = pytest.importorskip("torch")
    pipe, new = case
    from dataguard.adapters.torch import encode_batch

    inputs = encode_batch(pipe, new)
    assert torch.isfinite(pipe.to_torch()(inputs)).all()
