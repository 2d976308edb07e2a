"""TransformModule: the torch path computes what the numpy reference path computes.

One pipeline is fitted through ``dataguard.fit(..., plan=...)`` with every step of the
transform vocabulary (scalers, clip, the three power transforms, cyclic, sentinel and
imputation, the four decoders, local frames against a root, a text key and a numeric key,
one-hot and ordinal codes with categorical imputation). It is applied to its training rows
and to rows it never saw: unseen categories and keys, NaN, inf, sentinels, outliers.
"""

from __future__ import annotations

import inspect
import time
from typing import Any

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")

import dataguard  # noqa: E402
from dataguard.adapters import torch as torch_adapter  # noqa: E402
from dataguard.adapters.torch import TorchOps, TransformModule, encode_batch  # noqa: E402
from dataguard.errors import ConfigError, InputError  # noqa: E402
from dataguard.transforms import NumpyOps, TransformPipeline  # noqa: E402

N = 1500
ACTORS = {"a": 100.0, "b": -50.0, "c": 10.0, "d": 400.0}
F32_MAX = float(np.finfo(np.float32).max)

PLAN: dict[str, Any] = {
    "std_col": ["standardize"],
    "heavy": ["clip", "robust_scale"],
    "skewed": ["log1p", "standardize"],
    "signed": ["signed_log", "standardize"],
    "yj": ["yeo_johnson", "standardize"],
    "angle": [{"op": "cyclic", "period": 360.0, "offset": 0.0}],
    "mm": ["minmax"],
    "sent": [{"op": "sentinel", "values": [-999.0]}, "impute", "standardize"],
    "with_inf": ["nonfinite", "impute", "standardize"],
    "hhmm": ["hhmm", "standardize"],
    "hms": ["hhmmss", "standardize"],
    "date": ["yyyymmdd", "standardize"],
    "ym": ["yyyymm", "standardize"],
    "color": [
        {"op": "impute", "value": "red", "strategy": "constant", "indicator": False},
        "one_hot",
    ],
    "city": ["ordinal"],
    "hand_x": [{"op": "local_frame", "reference": "root", "root": "hip_x"}, "standardize"],
    "hand_lon": [
        {"op": "local_frame", "reference": "root", "root": "hip_lon", "period": 360.0},
        "standardize",
    ],
    "pos": [{"op": "local_frame", "reference": "entity", "key": "actor"}, "standardize"],
    "temp": [{"op": "local_frame", "reference": "entity", "key": "station"}, "standardize"],
    "big": ["standardize"],
}
#: Steps the fitted pipeline must hold (by column) and stages its program must run.
STEPS = {
    "standardize",
    "robust_scale",
    "clip",
    "log1p",
    "signed_log",
    "yeo_johnson",
    "cyclic",
    "minmax",
    "sentinel",
    "nonfinite",
    "impute",
    "hhmm",
    "hhmmss",
    "yyyymmdd",
    "yyyymm",
    "local_frame",
    "one_hot",
    "ordinal",
}
STAGES = {"indicator", "cat_impute", "frame_root", "frame_table", "affine", "output"}


def _frame(seed: int, n: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    hip_x = rng.normal(0, 50, n)
    lon = rng.uniform(-180, 180, n)
    actor = rng.choice(list(ACTORS), n)
    station = rng.integers(0, 5, n)
    color = rng.choice(["red", "green", "blue"], n).astype(object)
    color[rng.random(n) < 0.1] = None
    return pd.DataFrame(
        {
            "std_col": rng.normal(5, 2, n),
            "heavy": np.where(rng.random(n) < 0.02, rng.normal(0, 1e4, n), rng.standard_t(3, n)),
            "skewed": rng.lognormal(0, 2, n),
            "signed": rng.standard_t(1.5, n) * 100,
            "yj": rng.lognormal(1, 1, n) - 2,
            "angle": rng.uniform(0, 360, n),
            "mm": rng.uniform(-3, 7, n),
            "sent": np.where(rng.random(n) < 0.1, -999.0, rng.normal(10, 3, n)),
            "with_inf": np.where(rng.random(n) < 0.05, np.inf, rng.normal(0, 1, n)),
            "hhmm": (rng.integers(0, 24, n) * 100 + rng.integers(0, 60, n)).astype(float),
            "hms": (
                rng.integers(0, 24, n) * 10000
                + rng.integers(0, 60, n) * 100
                + rng.integers(0, 60, n)
            ).astype(float),
            "date": (
                rng.integers(1900, 2100, n) * 10000
                + rng.integers(1, 13, n) * 100
                + rng.integers(1, 29, n)
            ).astype(float),
            "ym": (rng.integers(1990, 2030, n) * 100 + rng.integers(1, 13, n)).astype(float),
            "color": color,
            "city": rng.choice([f"c{i}" for i in range(150)], n),
            "hip_x": hip_x,
            "hand_x": hip_x + rng.normal(0, 5, n),
            "hip_lon": lon,
            "hand_lon": (lon + rng.normal(0, 3, n) + 180.0) % 360.0 - 180.0,
            "actor": actor,
            "pos": np.array([ACTORS[a] for a in actor]) + rng.normal(0, 3, n),
            "station": station.astype(float),
            "temp": station * 10.0 + rng.normal(0, 1, n),
            "big": 1e9 + rng.normal(0, 1, n),
            "y": rng.normal(1000, 50, n),
        }
    )


def _unseen(n: int = 64) -> pd.DataFrame:
    """Rows the pipeline never saw: new categories and keys, NaN, inf, sentinels, outliers."""
    df = _frame(7, n)
    df.loc[0:7, "color"] = ["purple", None, "red", "green", "blue", "teal", None, "red"]
    df.loc[0:3, "city"] = ["nowhere", "c1", "elsewhere", "c149"]
    df.loc[0:3, "actor"] = ["zz", "a", "yy", "d"]
    df.loc[0:3, "station"] = [7.0, np.nan, -1.0, 2.5]
    df.loc[0:2, "sent"] = [-999.0, np.nan, np.inf]
    df.loc[0:2, "with_inf"] = [np.inf, -np.inf, np.nan]
    df.loc[0:2, "heavy"] = [1e12, -1e12, np.nan]
    df.loc[0:2, "skewed"] = [-5.0, 0.0, 1e300]
    df.loc[0:2, "yj"] = [-1e6, 1e6, np.nan]
    df.loc[0:2, "signed"] = [-1e300, 1e300, np.nan]
    df.loc[0:2, "mm"] = [-1e3, 1e3, np.nan]
    df.loc[0:2, "angle"] = [-720.5, 1e7, np.nan]
    df.loc[0:2, "hand_lon"] = [179.0, -179.0, np.nan]
    df.loc[0:2, "hip_lon"] = [-179.0, 179.0, 0.0]
    df.loc[0:2, "big"] = [1e9 + 1e6, 0.0, np.nan]
    return df


@pytest.fixture(scope="module")
def train() -> pd.DataFrame:
    return _frame(0, N)


@pytest.fixture(scope="module")
def pipe(train: pd.DataFrame) -> TransformPipeline:
    return dataguard.fit(train, target="y", plan=PLAN)


@pytest.fixture(params=["train", "unseen"])
def rows(request: pytest.FixtureRequest, train: pd.DataFrame) -> pd.DataFrame:
    return train if request.param == "train" else _unseen()


def _reference(pipe: TransformPipeline, df: pd.DataFrame) -> np.ndarray[Any, Any]:
    return pipe.apply_encoded(pipe.encode(df))


# -- the pipeline under test covers the vocabulary -----------------------------------------
def test_pipeline_exercises_every_step(pipe: TransformPipeline) -> None:
    ops = {s["op"] for c in pipe.columns for s in c["steps"]}
    assert ops >= STEPS, f"steps not fitted: {sorted(STEPS - ops)}"
    stages = {st.op for st in pipe.program.stages}
    assert stages >= STAGES, f"stages not compiled: {sorted(STAGES - stages)}"
    frames = [st.extra for st in pipe.program.stages if st.op in ("frame_root", "frame_table")]
    assert {f.get("key_kind") for f in frames} >= {"numeric", "categorical", None}
    assert any(f.get("wrap") for f in frames), "no wrapped (periodic) local frame"


# -- parity with the numpy reference path --------------------------------------------------
def test_float64_output_matches_numpy(pipe: TransformPipeline, rows: pd.DataFrame) -> None:
    module = TransformModule(pipe, dtype=torch.float64)
    out = module(encode_batch(pipe, rows))
    assert out.dtype == torch.float64
    assert tuple(out.shape) == (len(rows), len(pipe.output_columns))
    np.testing.assert_allclose(
        out.numpy(), _reference(pipe, rows), rtol=1e-6, atol=1e-9, equal_nan=True
    )


def test_float32_output_matches_numpy(pipe: TransformPipeline, rows: pd.DataFrame) -> None:
    out = pipe.to_torch()(encode_batch(pipe, rows))
    assert out.dtype == torch.float32
    ref = np.clip(_reference(pipe, rows), -F32_MAX, F32_MAX)  # saturating, as documented
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-5, atol=1e-6, equal_nan=True)
    # within one float32 ulp of the numpy path's own float32 cast
    np.testing.assert_allclose(out.numpy(), pipe.transform_array(rows, np.float32), rtol=1.2e-7)


def test_unseen_rows_are_finite_where_the_reference_is(pipe: TransformPipeline) -> None:
    df = _unseen()
    ref = _reference(pipe, df)
    out = pipe.to_torch()(encode_batch(pipe, df)).numpy()
    np.testing.assert_array_equal(np.isfinite(out), np.isfinite(ref))
    # color: imputed with "red", which covers null and unseen codes alike
    hot = [j for j, c in enumerate(pipe.output_columns) if c.startswith("color=")]
    red = pipe.output_columns.index("color=red")
    for i in (0, 1, 5, 6):  # purple, None, teal, None
        assert out[i, hot].sum() == 1.0 and out[i, red] == 1.0
    # city: ordinal without imputation; unseen names get the code k = number of levels
    city = pipe.output_columns.index("city")
    k = len(next(i["levels"] for i in pipe.inputs if i["name"] == "city"))
    assert out[[0, 2], city].tolist() == [k, k]


def test_offsets_near_1e9_keep_their_digits(pipe: TransformPipeline, train: pd.DataFrame) -> None:
    module = TransformModule(pipe, dtype=torch.float64)
    j = pipe.output_columns.index("big")
    out = module(encode_batch(pipe, train))[:, j].numpy()
    expected = (train["big"].to_numpy() - train["big"].mean()) / train["big"].std(ddof=0)
    np.testing.assert_allclose(out, expected, atol=1e-6)
    assert abs(out.std() - 1.0) < 1e-6


def test_any_real_input_dtype_is_cast_to_float64(pipe: TransformPipeline) -> None:
    df = _frame(3, 20)
    df["station"] = df["station"].round()
    inputs = encode_batch(pipe, df)
    ref = pipe.to_torch()(inputs)
    as_ints = {**inputs, "station": inputs["station"].to(torch.int32)}
    as_ints["city"] = inputs["city"].to(torch.int16)
    torch.testing.assert_close(pipe.to_torch()(as_ints), ref, rtol=0, atol=0)


def test_float32_output_saturates_instead_of_overflowing(pipe: TransformPipeline) -> None:
    df = _frame(4, 3)
    df["signed"] = [1e300, -1e300, 0.0]  # signed_log tames it: finite and small
    df["big"] = [1e308, -1e308, 1e9]  # standardized: ~1e308 in float64
    out = pipe.to_torch()(encode_batch(pipe, df))
    j = pipe.output_columns.index("big")
    assert out[:, j].tolist()[:2] == [F32_MAX, -F32_MAX]
    assert bool(torch.isfinite(out).all())
    half = pipe.to_torch().half()(encode_batch(pipe, df))
    assert half.dtype == torch.float16
    assert half[:, j].tolist()[:2] == [65504.0, -65504.0]


def test_single_row_batch_equals_its_row_of_a_full_batch(pipe: TransformPipeline) -> None:
    df = _unseen(16)
    module = TransformModule(pipe, dtype=torch.float64)
    full = module(encode_batch(pipe, df))
    for i in (0, 1, 5):
        one = module(encode_batch(pipe, df.iloc[[i]]))
        assert tuple(one.shape) == (1, full.shape[1])
        torch.testing.assert_close(one[0], full[i], rtol=0, atol=0, equal_nan=True)


def test_module_without_numeric_inputs() -> None:
    df = pd.DataFrame({"c": ["a", "b", "c", "a"] * 10, "y": np.arange(40.0)})
    pipe = dataguard.fit(df, target="y")
    assert pipe.program.numeric_inputs == []
    out = TransformModule(pipe, dtype=torch.float64)(encode_batch(pipe, df))
    np.testing.assert_array_equal(out.numpy(), _reference(pipe, df))


# -- buffers, devices, dtypes --------------------------------------------------------------
def test_state_dict_carries_every_parameter(pipe: TransformPipeline) -> None:
    module = pipe.to_torch()
    state = module.state_dict()
    for key, value in pipe.program.arrays.items():
        name = f"prog_{key}"
        assert name.isidentifier()
        assert name in state, f"array {key!r} is not in the state dict"
        np.testing.assert_array_equal(state[name].numpy(), value)
        assert state[name].dtype in (torch.float64, torch.int64)
    assert float(state["target_center"]) == pipe.target["scale"]["center"]
    fresh = TransformModule(pipe)
    for t in fresh.buffers():
        t.zero_()
    fresh.load_state_dict(state)
    df = _unseen(8)
    torch.testing.assert_close(
        fresh(encode_batch(pipe, df)), module(encode_batch(pipe, df)), equal_nan=True
    )


def test_to_dtype_sets_the_output_dtype_and_keeps_float64_parameters(
    pipe: TransformPipeline,
) -> None:
    module = pipe.to_torch().to(torch.float64)
    assert module.dtype == torch.float64
    assert module.prog_perm.dtype == torch.int64
    assert {b.dtype for b in module.buffers()} == {torch.float64, torch.int64}
    module = module.to("cpu", torch.float32)
    assert module.dtype == torch.float32
    assert module.float().dtype == torch.float32
    assert module.double().dtype == torch.float64
    assert {b.dtype for b in module.buffers()} == {torch.float64, torch.int64}
    with pytest.raises(ConfigError, match="floating"):
        TransformModule(pipe, dtype=torch.int64)


def test_to_device_moves_every_buffer(pipe: TransformPipeline) -> None:
    module = pipe.to_torch().to("cpu")
    assert module.device == torch.device("cpu")
    meta = module.to("meta")
    assert meta is module
    assert all(b.is_meta for b in module.buffers())
    assert module.device.type == "meta"
    out = module(encode_batch(pipe, _frame(5, 10), device="meta"))
    assert out.is_meta and tuple(out.shape) == (10, len(pipe.output_columns))
    with pytest.raises(InputError, match="move the batch"):
        module(encode_batch(pipe, _frame(5, 10)))


# -- input errors --------------------------------------------------------------------------
def test_missing_column_is_named(pipe: TransformPipeline) -> None:
    inputs = encode_batch(pipe, _frame(5, 4))
    del inputs["hhmm"]
    with pytest.raises(InputError, match="'hhmm' is missing"):
        pipe.to_torch()(inputs)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t["std_col"][:3], "'std_col' has 3 rows, 'heavy' has 4"),
        (lambda t: t["std_col"][:, None], "expected a 1-D tensor"),
    ],
)
def test_bad_shapes_are_named(pipe: TransformPipeline, change: Any, message: str) -> None:
    inputs = encode_batch(pipe, _frame(5, 4))
    inputs["std_col"] = change(inputs)
    with pytest.raises(InputError, match=message):
        pipe.to_torch()(inputs)


def test_float_category_codes_are_rejected(pipe: TransformPipeline) -> None:
    inputs = encode_batch(pipe, _frame(5, 4))
    inputs["city"] = inputs["city"].to(torch.float32)
    with pytest.raises(InputError, match="'city': expected integer category codes"):
        pipe.to_torch()(inputs)


# -- target --------------------------------------------------------------------------------
def test_regression_target_round_trips(pipe: TransformPipeline, train: pd.DataFrame) -> None:
    module = pipe.to_torch()
    y = torch.from_numpy(train["y"].to_numpy().copy())
    scaled = module.transform_target(y)
    assert scaled.dtype == torch.float64
    np.testing.assert_allclose(scaled.numpy(), pipe.transform_target(train["y"]), rtol=1e-12)
    back = module.inverse(scaled)
    assert back.dtype == torch.float64
    torch.testing.assert_close(back, y, rtol=1e-9, atol=0)
    as32 = module.inverse(scaled.float())
    assert as32.dtype == torch.float32
    torch.testing.assert_close(as32, y.float(), rtol=1e-6, atol=0)
    assert module.transform_target(torch.tensor([1000])).dtype == torch.float32


def test_classification_target_passes_class_indices() -> None:
    df = pd.DataFrame({"x": np.linspace(0, 1, 60), "label": ["cat", "dog", "eel"] * 20})
    module = dataguard.fit(df, target="label").to_torch()
    idx = torch.tensor([0, 2, 1])
    assert module.transform_target(idx) is idx
    assert module.inverse(idx) is idx


def test_target_methods_need_a_target() -> None:
    df = pd.DataFrame({"x": np.linspace(0, 1, 60)})
    module = dataguard.fit(df).to_torch()
    with pytest.raises(ConfigError, match="without a target"):
        module.inverse(torch.zeros(3))
    with pytest.raises(ConfigError, match="without a target"):
        module.transform_target(torch.zeros(3))


# -- API surface ---------------------------------------------------------------------------
def test_to_torch_builds_the_module(pipe: TransformPipeline) -> None:
    module = pipe.to_torch()
    assert isinstance(module, TransformModule)
    assert module.input_columns == pipe.input_columns
    assert module.output_columns == pipe.output_columns
    assert module.numeric_inputs == pipe.program.numeric_inputs
    assert module.categorical_inputs == pipe.program.categorical_inputs
    assert module.target_column == "y" and module.task == "regression"
    assert f"{len(pipe.input_columns)} inputs -> " in repr(module)


def test_parquet_dataset_is_re_exported() -> None:
    from dataguard.adapters._torch_data import ParquetDataset

    assert torch_adapter.ParquetDataset is ParquetDataset
    assert sorted(torch_adapter.__all__) == torch_adapter.__all__


def test_no_torchscript() -> None:
    """Eager and ``torch.compile`` only: TorchScript is deprecated."""
    assert "torch.jit" not in inspect.getsource(torch_adapter)


# -- TorchOps against NumpyOps -------------------------------------------------------------
_X = np.array(
    [[-2.5, 0.0, 3.0], [np.nan, np.inf, -np.inf], [1e300, -1e-300, 7.25], [-0.0, 359.9, -720.0]]
)
_V = np.array([0.5, 360.0, -1.0])


@pytest.mark.parametrize(
    "call",
    [
        lambda o, x, v: o.where(x > 0, x, float("nan")),
        lambda o, x, v: o.where(x > 0, 1.0, 0.0),
        lambda o, x, v: o.where(x > 0, v, x),
        lambda o, x, v: o.isnan(x),
        lambda o, x, v: o.isfinite(x),
        lambda o, x, v: o.log1p(o.maximum(x, 0.0)),
        lambda o, x, v: o.expm1(o.minimum(x, 700.0)),
        lambda o, x, v: o.sin(o.fmod(x, v)),
        lambda o, x, v: o.cos(o.fmod(x, v)),
        lambda o, x, v: o.floor(x / 100.0),
        lambda o, x, v: o.sign(x) * o.log1p(o.abs(x)),
        lambda o, x, v: o.maximum(x, v),
        lambda o, x, v: o.minimum(x, v),
        lambda o, x, v: o.clip(x, -v, v),
        lambda o, x, v: o.any_last(x[:, :, None] == v),
        lambda o, x, v: o.to_float(x > v),
        lambda o, x, v: o.cat([x, x[:, :1]], 4),
        lambda o, x, v: o.cat([], 4),
        lambda o, x, v: o.clamp_index(o.searchsorted(v[[2, 0, 1]], x[:, 1]), 2),
    ],
)
def test_torch_ops_match_numpy_ops(call: Any) -> None:
    with np.errstate(all="ignore"):
        expected = call(NumpyOps, _X.copy(), _V.copy())
    got = call(TorchOps("cpu"), torch.from_numpy(_X.copy()), torch.from_numpy(_V.copy()))
    assert got.shape == expected.shape
    assert got.numpy().dtype == np.asarray(expected).dtype
    # equal up to the last bit of the platform's libm (expm1, sin, ...)
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-15, atol=0)


# -- torch.compile -------------------------------------------------------------------------
@pytest.mark.slow
# inductor itself (not this module) still touches torch.jit.script_method while compiling
@pytest.mark.filterwarnings("ignore:`torch.jit.script_method` is deprecated:DeprecationWarning")
def test_compiled_fullgraph_matches_eager(pipe: TransformPipeline) -> None:
    """One graph, no breaks: the compiled module equals the eager one (~60 s on CPU)."""
    module = TransformModule(pipe, dtype=torch.float64)
    inputs = encode_batch(pipe, _unseen())
    compiled = torch.compile(module, fullgraph=True, dynamic=False)
    start = time.perf_counter()
    out = compiled(inputs)
    print(f"compile + first call: {time.perf_counter() - start:.1f} s")
    eager = module(inputs)
    torch.testing.assert_close(out, eager, rtol=1e-9, atol=1e-12, equal_nan=True)
    np.testing.assert_allclose(
        out.numpy(), _reference(pipe, _unseen()), rtol=1e-6, atol=1e-9, equal_nan=True
    )
    del inputs["hhmm"]  # without fullgraph, dynamo falls back to eager to raise
    with pytest.raises(InputError, match="'hhmm' is missing"):
        torch.compile(module)(inputs)
