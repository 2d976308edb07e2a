"""Fitted transforms: the plan from findings, the fitted parameters, the artifact."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import dataguard
from dataguard.errors import ConfigError, InputError
from dataguard.transforms import NUMERIC_ORDER, TransformPipeline, load_transforms

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "data"
SCHEMA = Path(__file__).resolve().parents[2] / "schemas" / "transforms.schema.json"


def _ops(pipe: TransformPipeline, column: str) -> list[str]:
    return [s["op"] for s in pipe.steps(column)]


def _step(pipe: TransformPipeline, column: str, op: str) -> dict[str, object]:
    return next(s for s in pipe.steps(column) if s["op"] == op)


def _frame(n: int = 4000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "price": rng.lognormal(11, 1.0, n),  # skewed, thousands: log1p then standardize
            "size": rng.normal(1500, 300, n),  # large scale: standardize
            "tail": np.where(rng.random(n) < 0.01, rng.uniform(1e3, 1e4, n), rng.normal(0, 1, n)),
            "gappy": np.where(rng.random(n) < 0.2, np.nan, rng.normal(50, 5, n)),
            "flag": rng.integers(0, 2, n).astype(float),  # binary: passes unscaled
            "color": rng.choice(["red", "green", "blue"], n),
            "const": np.full(n, 3.0),
            "row_id": np.arange(n),
            "y": rng.normal(3e5, 5e4, n),
        }
    )


@pytest.fixture(scope="module")
def df() -> pd.DataFrame:
    return _frame()


@pytest.fixture(scope="module")
def pipe(df: pd.DataFrame) -> TransformPipeline:
    return dataguard.fit(df, target="y")


def test_plan_follows_the_findings(pipe: TransformPipeline) -> None:
    assert _ops(pipe, "price") == ["nonfinite", "impute", "log1p", "standardize"]
    assert _ops(pipe, "size") == ["nonfinite", "impute", "standardize"]
    assert _ops(pipe, "tail") == ["nonfinite", "impute", "clip", "robust_scale"]
    assert _ops(pipe, "flag") == ["nonfinite", "impute"]
    assert _ops(pipe, "color") == ["one_hot"]
    assert _ops(pipe, "const") == ["drop"]
    assert _ops(pipe, "row_id") == ["drop"]
    by = {c["name"]: c["because"] for c in pipe.columns}
    assert "DG113" in by["price"] and "DG108" in by["tail"] and "DG114" in by["row_id"]
    assert pipe.output_columns == [
        "price",
        "size",
        "tail",
        "gappy",
        "gappy__missing",
        "flag",
        "color=blue",
        "color=green",
        "color=red",
    ] or set(pipe.output_columns) >= {"gappy__missing", "color=red"}


def test_standardized_outputs_have_mean_0_std_1_on_the_fitting_data(
    df: pd.DataFrame, pipe: TransformPipeline
) -> None:
    out = pipe.transform(df)
    for col in ("price", "size", "gappy"):  # streaming pass, closed form, closed form + impute
        assert abs(out[col].mean()) < 1e-9
        assert abs(out[col].std(ddof=0) - 1) < 1e-9
    assert set(np.unique(out["gappy__missing"])) == {0.0, 1.0}
    assert out["gappy__missing"].mean() == pytest.approx(df["gappy"].isna().mean())
    assert np.isfinite(out.to_numpy()).all()
    tail = out["tail"]
    assert tail.max() < 20  # clipped at the far fences, then robust-scaled
    assert tail.median() == pytest.approx(0, abs=0.05)
    onehot = out[["color=blue", "color=green", "color=red"]].to_numpy()
    assert (onehot.sum(axis=1) == 1).all()


def test_target_scaling_has_an_exact_inverse(df: pd.DataFrame, pipe: TransformPipeline) -> None:
    y = df["y"].to_numpy()
    z = pipe.transform_target(y)
    assert abs(z.mean()) < 1e-9 and abs(z.std() - 1) < 1e-9
    back = pipe.inverse_transform_target(z)
    np.testing.assert_allclose(back, y, rtol=1e-15, atol=1e-9)
    facts = pipe.facts
    assert facts["task"] == "regression"
    assert facts["target_range"] == [float(y.min()), float(y.max())]
    assert facts["target_std"] == pytest.approx(y.std())
    assert set(facts["outputs"]) == set(pipe.output_columns)


def test_classification_target_facts() -> None:
    rng = np.random.default_rng(1)
    df = pd.DataFrame(
        {"x": rng.normal(size=3000), "label": rng.choice(["a", "b", "c"], 3000, p=[0.7, 0.2, 0.1])}
    )
    pipe = dataguard.fit(df, target="label")
    assert pipe.task == "classification"
    assert pipe.facts["classes"] == ["a", "b", "c"]
    assert sum(pipe.facts["class_priors"]) == pytest.approx(1)
    assert pipe.facts["class_priors"][0] == pytest.approx((df["label"] == "a").mean())
    codes = pipe.transform_target(df["label"])
    assert codes.dtype == np.int64 and set(codes) == {0, 1, 2}
    assert list(pipe.inverse_transform_target(codes[:3])) == list(df["label"][:3])
    w = np.array(pipe.facts["class_weights"])
    assert (w * np.array(pipe.facts["class_priors"])).sum() == pytest.approx(1)


def test_json_round_trip_is_exact(
    tmp_path: Path, df: pd.DataFrame, pipe: TransformPipeline
) -> None:
    path = tmp_path / "t.json"
    pipe.save(path)
    again = load_transforms(path)
    assert again.to_dict() == pipe.to_dict()
    a = pipe.transform_array(df)
    b = again.transform_array(df)
    assert np.array_equal(a, b)  # bit for bit
    assert not list(tmp_path.glob(".t.json.*"))  # no temporary file left


def test_artifact_matches_the_committed_schema(pipe: TransformPipeline) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(pipe.to_dict(), json.loads(SCHEMA.read_text()))


def test_missing_column_and_wrong_dtype_name_the_column(
    df: pd.DataFrame, pipe: TransformPipeline
) -> None:
    with pytest.raises(InputError, match="'size'"):
        pipe.transform(df.drop(columns=["size"]))
    bad = df.assign(size=df["size"].astype(str))
    with pytest.raises(InputError, match=r"column 'size': expected a numeric column"):
        pipe.transform(bad)
    with pytest.raises(InputError, match=r"column 'color': expected text"):
        pipe.transform(df.assign(color=1.5))


def test_unseen_categories_and_nulls_encode_as_no_level(
    pipe: TransformPipeline, df: pd.DataFrame
) -> None:
    new = df.head(3).assign(color=["purple", None, "red"])
    out = pipe.transform(new)
    hot = out[["color=blue", "color=green", "color=red"]].to_numpy()
    assert hot.tolist() == [[0, 0, 0], [0, 0, 0], [0, 0, 1]]


def test_a_near_constant_column_is_left_unscaled_with_a_note() -> None:
    n = 500
    df = pd.DataFrame({"x": np.linspace(0, 1, n), "tiny": 1e6 + np.zeros(n)})
    pipe = dataguard.fit(df, plan={"tiny": ["impute", "standardize"]})
    st = pipe.steps("tiny")[-1]
    assert st["op"] == "standardize" and st["scale"] == 1.0
    assert any(n["code"] == "DG103" and n["columns"] == ["tiny"] for n in pipe.notes)
    assert np.all(pipe.transform(df)["tiny"] == 0.0)


def test_plan_override_and_step_order_is_enforced() -> None:
    df = pd.DataFrame({"angle": [(13 * i) % 360 for i in range(300)], "v": np.arange(300) % 7})
    pipe = dataguard.fit(df, plan={"angle": [{"op": "cyclic", "period": 360.0, "offset": 0.0}]})
    out = pipe.transform(df)
    np.testing.assert_allclose(out["angle__sin"], np.sin(np.deg2rad(df["angle"])), atol=1e-12)
    art = pipe.to_dict()
    art["columns"][0]["steps"] = [
        {"op": "standardize", "center": 0.0, "scale": 1.0},
        {"op": "impute", "strategy": "median", "value": 0.0, "indicator": False},
    ]
    art["output_columns"] = ["angle", "v"]
    with pytest.raises(ConfigError, match="not in the fixed order"):
        TransformPipeline(art)
    with pytest.raises(ConfigError, match="plan: column 'nope'"):
        dataguard.fit(df, plan={"nope": "drop"})


def test_bad_artifacts_are_config_errors(tmp_path: Path, pipe: TransformPipeline) -> None:
    p = tmp_path / "t.json"
    p.write_text("{not json")
    with pytest.raises(ConfigError, match="not valid JSON"):
        load_transforms(p)
    art = pipe.to_dict()
    art["version"] = 99
    p.write_text(json.dumps(art))
    with pytest.raises(ConfigError, match="version 99"):
        load_transforms(p)
    art = pipe.to_dict()
    art["columns"][1]["steps"][-1]["scale"] = 0.0
    with pytest.raises(ConfigError, match="scale must be > 0"):
        TransformPipeline(art)
    with pytest.raises(InputError, match="cannot read"):
        load_transforms(tmp_path / "missing.json")


def test_decoders_sentinels_and_yeo_johnson() -> None:
    rng = np.random.default_rng(3)
    n = 2000
    hhmm = rng.integers(0, 24, n) * 100 + rng.integers(0, 60, n)
    days = pd.to_datetime("2020-01-01") + pd.to_timedelta(rng.integers(0, 900, n), unit="D")
    ymd = days.year * 10000 + days.month * 100 + days.day
    skewed = rng.lognormal(0, 1, n)
    with_sentinel = np.where(rng.random(n) < 0.05, -999.0, rng.normal(10, 2, n))
    df = pd.DataFrame({"t": hhmm, "d": ymd, "s": skewed, "w": with_sentinel})
    pipe = dataguard.fit(
        df,
        plan={
            "t": ["hhmm", {"op": "cyclic", "period": 1440.0, "offset": 0.0}],
            "d": ["yyyymmdd", "impute", "standardize"],
            "s": ["impute", "yeo_johnson", "standardize"],
            "w": [{"op": "sentinel", "values": [-999.0]}, "impute", "standardize"],
        },
    )
    out = pipe.transform(df)
    minutes = (hhmm // 100) * 60 + hhmm % 100
    np.testing.assert_allclose(out["t__sin"], np.sin(2 * np.pi * minutes / 1440), atol=1e-12)
    epoch_days = (days - pd.Timestamp("1970-01-01")).days.to_numpy().astype(float)
    st = pipe.steps("d")[-1]
    np.testing.assert_allclose(out["d"] * st["scale"] + st["center"], epoch_days, rtol=0, atol=1e-6)
    sk = pytest.importorskip("sklearn.preprocessing")
    lam_sklearn = sk.PowerTransformer(standardize=False).fit(skewed[:, None]).lambdas_[0]
    assert _step(pipe, "s", "yeo_johnson")["lambda"] == pytest.approx(lam_sklearn, abs=0.02)
    w = out["w"].to_numpy()
    assert "w__missing" in pipe.output_columns
    clean = with_sentinel[with_sentinel != -999.0]
    imp = _step(pipe, "w", "impute")["value"]
    assert imp == pytest.approx(np.median(clean), rel=0.02)  # the sentinel is not the median
    assert abs(w.mean()) < 1e-9


def test_local_frame_root_and_entity(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    n_ent, per = 40, 150
    actor = np.repeat(np.arange(n_ent), per)
    place = rng.uniform(-1e3, 1e3, n_ent)[actor]
    hip = place + rng.normal(0, 1, n_ent * per)
    hand = hip + rng.normal(0.5, 0.2, n_ent * per)
    df = pd.DataFrame({"actor": actor.astype(str), "hip_x": hip, "hand_x": hand})
    pipe = dataguard.fit(
        df,
        plan={
            "hand_x": [{"op": "local_frame", "reference": "root", "root": "hip_x"}, "standardize"],
            "hip_x": [{"op": "local_frame", "reference": "entity", "key": "actor"}, "standardize"],
            "actor": "drop",
        },
    )
    assert "actor" in pipe.input_columns and "actor" not in pipe.output_columns
    out = pipe.transform(df)
    rel = hand - hip
    np.testing.assert_allclose(out["hand_x"], (rel - rel.mean()) / rel.std(), atol=1e-9)
    frame = pipe.steps("hip_x")[0]
    means = df.groupby("actor")["hip_x"].mean()
    assert frame["keys"] == sorted(means.index)
    np.testing.assert_allclose(frame["offsets"], means[frame["keys"]].to_numpy(), rtol=1e-12)
    assert abs(out["hip_x"].mean()) < 1e-9 and abs(out["hip_x"].std(ddof=0) - 1) < 1e-9
    unseen = pipe.transform(df.head(1).assign(actor="stranger"))  # the global mean instead
    expected = (df["hip_x"].iloc[0] - frame["default"]) / pipe.steps("hip_x")[1]["scale"]
    assert unseen["hip_x"].iloc[0] == pytest.approx(expected)


def test_parquet_path_and_frame_fit_the_same(
    tmp_path: Path, df: pd.DataFrame, pipe: TransformPipeline
) -> None:
    path = tmp_path / "d.parquet"
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), path, row_group_size=1000)
    from_path = dataguard.fit(path, target="y")
    assert from_path.output_columns == pipe.output_columns
    a, b = from_path.transform_array(df), pipe.transform_array(df)
    # every fitted statistic is exact on 4,000 rows (the sample holds them all)
    np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9)


def test_house_prices_example() -> None:
    pipe = dataguard.fit(EXAMPLES / "house_prices.parquet", target="price")
    assert _ops(pipe, "row_id") == ["drop"]
    assert _ops(pipe, "zone_code") == ["one_hot"]
    assert "log1p" in _ops(pipe, "lot_size")


def test_step_order_constant_is_documented() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "transforms.md").read_text()
    order = " -> ".join(NUMERIC_ORDER)
    assert order in doc
