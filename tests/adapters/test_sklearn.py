"""DataguardTransformer: the scikit-learn estimator contract, and agreement with dataguard.fit.

The same fitted pipeline must give the same numbers whichever way it is reached:
``dataguard.fit(df).transform_array(df)``, ``DataguardTransformer().fit(df).transform(df)``,
``pipe.to_sklearn().transform(df)``, and inside a Pipeline or a ColumnTransformer.
"""

from __future__ import annotations

import pickle
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

pytest.importorskip("sklearn")

from sklearn.base import clone
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LinearRegression, Ridge
from sklearn.pipeline import Pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

import dataguard
from dataguard._config import ProjectConfig
from dataguard.adapters.sklearn import (
    DataguardTargetTransformer,
    DataguardTransformer,
)
from dataguard.transforms import TransformPipeline

N = 300


def _frame(n: int = N, seed: int = 0) -> pd.DataFrame:
    """Numbers, a skewed column, text, missing values, a constant (dropped) column, and a
    non-default index."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "a": rng.normal(5.0, 2.0, n),
            "income": rng.lognormal(10.0, 1.5, n),
            "city": rng.choice(["oslo", "rome", "lima"], n),
            "gap": np.where(rng.random(n) < 0.1, np.nan, rng.normal(size=n)),
            "const": 1.0,
        },
        index=pd.RangeIndex(1000, 1000 + n),
    )


def _reference(data: Any, **options: Any) -> TransformPipeline:
    """dataguard.fit without the project's [tool.dataguard] (the transformer ignores it)."""
    return dataguard.fit(data, config=ProjectConfig(), **options)


@pytest.fixture(scope="module")
def df() -> pd.DataFrame:
    return _frame()


# -- the estimator contract -------------------------------------------------------------------
@parametrize_with_checks(
    [DataguardTransformer(), DataguardTransformer(dtype="float32", skew="yeo-johnson")],
)
def test_sklearn_estimator_checks(estimator: Any, check: Any) -> None:
    check(estimator)


def test_clone_keeps_parameters_and_drops_the_fit(df: pd.DataFrame) -> None:
    params = {"skew": "none", "ignore": ["DG113"], "thresholds": {"scale_high": 50.0}}
    dg = DataguardTransformer(**params).fit(df)
    copy = clone(dg)
    assert copy.get_params() == dg.get_params()
    assert copy.get_params()["skew"] == "none"
    assert not hasattr(copy, "pipeline_")
    np.testing.assert_array_equal(copy.fit(df).transform(df), dg.transform(df))


def test_unfitted_transform_raises(df: pd.DataFrame) -> None:
    with pytest.raises(NotFittedError, match="DataguardTransformer"):
        DataguardTransformer().transform(df)


# -- agreement with dataguard.fit -------------------------------------------------------------
def test_transform_equals_dataguard_fit(df: pd.DataFrame) -> None:
    pipe = _reference(df)
    dg = DataguardTransformer().fit(df)
    out = dg.transform(df)
    assert out.dtype == np.float64
    assert out.shape == (N, len(pipe.output_columns))
    np.testing.assert_array_equal(out, pipe.transform_array(df))
    assert dg.artifact_["output_columns"] == pipe.output_columns
    assert list(dg.get_feature_names_out()) == pipe.output_columns
    assert "const" not in pipe.input_columns  # dropped, but still a feature seen in fit
    assert dg.n_features_in_ == 5
    assert list(dg.feature_names_in_) == list(df.columns)
    np.testing.assert_array_equal(dg.fit_transform(df), out)


def test_to_sklearn_equals_the_pipeline(df: pd.DataFrame) -> None:
    pipe = dataguard.fit(df.assign(y=df["a"] * 2.0), target="y")
    sk = pipe.to_sklearn()
    assert isinstance(sk, DataguardTransformer)
    assert sk.pipeline_ is pipe
    assert sk.n_features_in_ == len(pipe.input_columns)
    assert list(sk.feature_names_in_) == pipe.input_columns
    assert list(sk.get_feature_names_out()) == pipe.output_columns
    # read by name: the dropped column and the target are ignored, the order does not matter
    np.testing.assert_array_equal(sk.transform(df), pipe.transform_array(df))
    np.testing.assert_array_equal(sk.transform(df[df.columns[::-1]]), pipe.transform_array(df))
    numeric = df[["a", "income", "gap"]]
    num_pipe = _reference(numeric)
    with pytest.warns(UserWarning, match="X does not have valid feature names"):
        by_position = num_pipe.to_sklearn().transform(numeric.to_numpy())
    np.testing.assert_array_equal(by_position, num_pipe.transform_array(numeric))


def test_to_sklearn_names_a_missing_column(df: pd.DataFrame) -> None:
    sk = _reference(df).to_sklearn()
    with pytest.raises(ValueError, match="X has no column 'income'; the pipeline reads 'a', "):
        sk.transform(df.drop(columns="income"))


def test_from_pipeline_rejects_other_objects() -> None:
    with pytest.raises(TypeError, match="expected a TransformPipeline, got dict"):
        DataguardTransformer.from_pipeline({"format": "dataguard-transforms"})  # type: ignore[arg-type]


def test_artifact_rebuilds_the_pipeline(df: pd.DataFrame) -> None:
    dg = DataguardTransformer().fit(df)
    again = TransformPipeline(dg.artifact_)
    np.testing.assert_array_equal(again.transform_array(df), dg.transform(df))


def test_pickle_round_trip(df: pd.DataFrame) -> None:
    dg = DataguardTransformer().fit(df)
    back = pickle.loads(pickle.dumps(dg))
    np.testing.assert_array_equal(back.transform(df), dg.transform(df))


@pytest.mark.parametrize("to_frame", ["polars", "arrow"], ids=["polars", "arrow"])
def test_polars_and_arrow_frames_match_pandas(df: pd.DataFrame, to_frame: str) -> None:
    if to_frame == "polars":
        pl = pytest.importorskip("polars")
        other: Any = pl.from_pandas(df)
    else:
        other = pa.Table.from_pandas(df, preserve_index=False)
    dg = DataguardTransformer().fit(other)
    assert list(dg.feature_names_in_) == list(df.columns)
    np.testing.assert_array_equal(dg.transform(other), DataguardTransformer().fit_transform(df))


# -- scikit-learn composition -----------------------------------------------------------------
def test_in_a_pipeline(df: pd.DataFrame) -> None:
    y = 2.0 * df["a"] + np.log(df["income"]) + (df["city"] == "rome")
    model = Pipeline([("dg", DataguardTransformer()), ("model", Ridge(alpha=1e-6))]).fit(df, y)
    assert model.score(df, y) > 0.999  # the log of income makes the target linear
    by_hand = Ridge(alpha=1e-6).fit(_reference(df).transform_array(df), y)
    np.testing.assert_allclose(
        model.predict(df), by_hand.predict(_reference(df).transform_array(df))
    )


def test_in_a_column_transformer(df: pd.DataFrame) -> None:
    ct = ColumnTransformer([("dg", DataguardTransformer(), ["a", "income"])], remainder="drop").fit(
        df
    )
    np.testing.assert_array_equal(
        ct.transform(df), _reference(df[["a", "income"]]).transform_array(df)
    )
    assert list(ct.get_feature_names_out()) == ["dg__a", "dg__income"]


def test_set_output_pandas_keeps_names_and_index(df: pd.DataFrame) -> None:
    dg = DataguardTransformer().set_output(transform="pandas").fit(df)
    out = dg.transform(df)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == list(dg.get_feature_names_out())
    pd.testing.assert_index_equal(out.index, df.index)
    np.testing.assert_array_equal(out.to_numpy(), _reference(df).transform_array(df))


# -- array input ------------------------------------------------------------------------------
def test_numpy_input_is_named_by_position(df: pd.DataFrame) -> None:
    X = df[["a", "income", "gap"]].to_numpy()
    dg = DataguardTransformer().fit(X)
    assert dg.n_features_in_ == 3
    assert not hasattr(dg, "feature_names_in_")
    assert list(dg.get_feature_names_out()) == ["x0", "x1", "x2", "x2__missing"]
    assert list(dg.get_feature_names_out(["a", "inc", "gap"])) == [
        "a",
        "inc",
        "gap",
        "gap__missing",
    ]
    table = pa.table({"x0": X[:, 0], "x1": X[:, 1], "x2": X[:, 2]})
    np.testing.assert_array_equal(dg.transform(X), _reference(table).transform_array(table))
    np.testing.assert_array_equal(dg.transform(X.tolist()), dg.transform(X))
    assert dg.transform(X[:0]).shape == (0, 4)


def test_wrong_column_count_names_expected_and_got(df: pd.DataFrame) -> None:
    X = df[["a", "income", "gap"]].to_numpy()
    dg = DataguardTransformer().fit(X)
    with pytest.raises(
        ValueError, match="X has 2 features, but DataguardTransformer is expecting 3"
    ):
        dg.transform(X[:, :2])


def test_missing_column_is_named(df: pd.DataFrame) -> None:
    dg = DataguardTransformer().fit(df)
    with pytest.raises(ValueError, match="seen at fit time, yet now missing:\n- income"):
        dg.transform(df.drop(columns="income"))


def test_text_in_an_array_is_refused() -> None:
    X = np.array([["a", "b"], ["c", "d"]], dtype=object)
    with pytest.raises(ValueError, match="could not convert string to float"):
        DataguardTransformer().fit(X)


# -- parameters -------------------------------------------------------------------------------
def test_options_reach_dataguard_fit(df: pd.DataFrame) -> None:
    ops = [s["op"] for s in DataguardTransformer().fit(df).pipeline_.steps("income")]
    assert ops == ["nonfinite", "impute", "log1p", "standardize"]
    for dg in (DataguardTransformer(skew="none"), DataguardTransformer(ignore=["DG113"])):
        ops = [s["op"] for s in dg.fit(df).pipeline_.steps("income")]
        assert "log1p" not in ops
    planned = DataguardTransformer(plan={"a": "drop"}).fit(df)
    assert "a" not in planned.get_feature_names_out()
    assert planned.n_features_in_ == 5  # still read, as scikit-learn expects


def test_float32_output(df: pd.DataFrame) -> None:
    out = DataguardTransformer(dtype="float32").fit(df).transform(df)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, _reference(df).transform_array(df, dtype=np.float32))


def test_bad_dtype_is_refused_in_fit(df: pd.DataFrame) -> None:
    dg = DataguardTransformer(dtype="float16")  # __init__ only stores it
    with pytest.raises(
        ValueError, match="dtype must be one of 'float64', 'float32', got 'float16'"
    ):
        dg.fit(df)


def test_target_profiles_y(df: pd.DataFrame) -> None:
    y = 3.0 * df["a"] + 7.0
    dg = DataguardTransformer(target="price").fit(df, y)
    assert dg.pipeline_.target_column == "price"
    np.testing.assert_allclose(
        dg.pipeline_.inverse_transform_target(dg.pipeline_.transform_target(y)), y
    )
    np.testing.assert_array_equal(dg.transform(df), DataguardTransformer().fit_transform(df))
    with pytest.raises(ValueError, match="target='price' profiles y as the target, but y is None"):
        DataguardTransformer(target="price").fit(df)
    with pytest.raises(ValueError, match="X already has a column 'a'"):
        DataguardTransformer(target="a").fit(df, y)
    with pytest.raises(ValueError, match="y must be one column of 300 values"):
        DataguardTransformer(target="price").fit(df, y[:10])


# -- the target transformer -------------------------------------------------------------------
def test_target_transformer_in_transformed_target_regressor(df: pd.DataFrame) -> None:
    X = df[["a"]]
    y = 1e5 + 3e3 * df["a"].to_numpy()
    model = TransformedTargetRegressor(
        regressor=LinearRegression(), transformer=DataguardTargetTransformer()
    ).fit(X, y)
    np.testing.assert_allclose(model.predict(X), y, rtol=1e-9)
    scaled = model.transformer_.transform(y.reshape(-1, 1))
    assert abs(scaled.mean()) < 1e-9 and abs(scaled.std() - 1.0) < 1e-9
    pipe = dataguard.fit(df.assign(y=y), target="y")
    np.testing.assert_allclose(scaled[:, 0], pipe.transform_target(y))


def test_pipeline_target_functions_in_transformed_target_regressor(df: pd.DataFrame) -> None:
    y = 1e5 + 3e3 * df["a"].to_numpy()
    pipe = dataguard.fit(df.assign(y=y), target="y")
    model = TransformedTargetRegressor(
        regressor=LinearRegression(),
        func=pipe.transform_target,
        inverse_func=pipe.inverse_transform_target,
    ).fit(df[["a"]], y)
    np.testing.assert_allclose(model.predict(df[["a"]]), y, rtol=1e-9)


def test_target_transformer_keeps_shape_and_inverts() -> None:
    y = np.linspace(-5.0, 40.0, 50)
    tt = DataguardTargetTransformer().fit(y)
    assert tt.transform(y).shape == (50,)
    assert tt.transform(y.reshape(-1, 1)).shape == (50, 1)
    np.testing.assert_allclose(tt.inverse_transform(tt.transform(y)), y)


def test_target_transformer_refuses_two_columns() -> None:
    with pytest.raises(ValueError, match="expected one target column, got shape \\(10, 2\\)"):
        DataguardTargetTransformer().fit(np.ones((10, 2)))
