"""Fitted transforms on real datasets (scikit-learn's bundled ones): every output finite,
standardized columns at mean 0 and std 1, nothing planned that the data does not need."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import dataguard
from dataguard._config import ProjectConfig

datasets = pytest.importorskip("sklearn.datasets")

LOADERS = ["load_iris", "load_wine", "load_breast_cancer", "load_diabetes", "load_digits"]


@pytest.mark.parametrize("loader", LOADERS)
def test_real_dataset_fits_and_transforms_cleanly(loader: str) -> None:
    bunch = getattr(datasets, loader)(as_frame=True)
    df: pd.DataFrame = bunch.frame
    target = bunch.target.name if hasattr(bunch.target, "name") else "target"
    pipe = dataguard.fit(df, target=target, config=ProjectConfig())
    out = pipe.transform(df)
    assert np.isfinite(out.to_numpy()).all()
    for c in pipe.columns:
        ops = [s["op"] for s in c["steps"]]
        if ops[-1:] == ["standardize"] and ops[:-1] == ["nonfinite", "impute"]:
            x = out[c["name"]]
            assert abs(x.mean()) < 1e-9 and abs(x.std(ddof=0) - 1) < 1e-9, c["name"]
    assert not pipe.notes  # no column left unscaled on healthy data
    # no missing values in these datasets: no indicator columns
    assert not [o for o in pipe.output_columns if o.endswith("__missing")]
    y = pipe.transform_target(df[target])
    if pipe.task == "regression":
        np.testing.assert_allclose(pipe.inverse_transform_target(y), df[target], rtol=1e-12)
    else:
        assert sorted(set(y.tolist())) == list(range(pipe.facts["n_classes"]))
