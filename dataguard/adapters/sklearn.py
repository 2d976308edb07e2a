"""dataguard's fitted transforms as scikit-learn estimators.

:class:`DataguardTransformer` profiles ``X`` in ``fit``, plans the fixes its findings call for
and fits them (:func:`dataguard.fit`); ``transform`` applies the fitted
:class:`~dataguard.TransformPipeline` and returns a float array. It follows the estimator
contract (``clone``, ``get_params``, ``set_output``, ``parametrize_with_checks``) and works
in a :class:`~sklearn.pipeline.Pipeline` or a :class:`~sklearn.compose.ColumnTransformer`.
``TransformPipeline.to_sklearn()`` wraps a pipeline fitted elsewhere
(:meth:`DataguardTransformer.from_pipeline`).

Which input goes where:

* a pandas or polars DataFrame, or an Arrow table: columns by name; text, boolean, dates and
  numbers all work, as in :func:`dataguard.fit`;
* a numpy array or other array-like: numbers only, columns by position, named ``x0, x1, ...``
  in the fitted pipeline and in :meth:`~DataguardTransformer.get_feature_names_out`.

The target belongs to the model, not to ``X``. To scale a regression target as dataguard does,
use :class:`DataguardTargetTransformer` in a
:class:`~sklearn.compose.TransformedTargetRegressor`, or the functions of a pipeline fitted
with a target::

    pipe = dataguard.fit(df, target="price")
    TransformedTargetRegressor(
        regressor=Ridge(),
        func=pipe.transform_target,
        inverse_func=pipe.inverse_transform_target,
    )
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from dataguard._config import ProjectConfig
from dataguard.errors import MissingDependencyError
from dataguard.io._frames import frame_to_table
from dataguard.transforms._api import fit as _fit_transforms
from dataguard.transforms._pipeline import TransformPipeline
from dataguard.transforms._spec import output_names

try:
    from sklearn.base import BaseEstimator, TransformerMixin  # type: ignore[import-untyped]
    from sklearn.utils.validation import (  # type: ignore[import-untyped]
        _check_feature_names_in,
        check_array,
        check_is_fitted,
        validate_data,
    )
except ImportError as exc:  # pragma: no cover - scikit-learn is an optional extra
    raise MissingDependencyError(
        "DataguardTransformer needs scikit-learn, which is not installed; "
        "install it with: pip install 'dataguard[sklearn]'"
    ) from exc

__all__ = ["DataguardTargetTransformer", "DataguardTransformer"]

_DTYPES = ("float64", "float32")
#: The name a target is profiled under by :class:`DataguardTargetTransformer`.
_TARGET = "y"


class DataguardTransformer(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Profile ``X``, fit the fixes its findings call for, and apply them.

    ``fit`` runs :func:`dataguard.fit` on ``X`` (with an empty project configuration, so a
    ``[tool.dataguard]`` table in the working folder does not change the estimator);
    ``transform`` returns the fitted pipeline's outputs: infinities and missing values
    imputed, skewed columns logged, heavy tails clipped, angles as sin/cos, categories
    one-hot encoded, everything scaled (see ``docs/transforms.md``).

    Parameters
    ----------
    skew : {"log", "yeo-johnson", "none"}, default="log"
        The fix for strongly skewed columns (DG113).
    plan : dict, optional
        Column -> steps overriding the planned ones, as for :func:`dataguard.fit`
        (``{"heading": [{"op": "cyclic", "period": 360}]}``, ``{"id": "drop"}``). With array
        input the columns are named ``x0, x1, ...``.
    thresholds : dict or Thresholds, optional
        Rule threshold overrides (``{"scale_high": 50}``).
    select, ignore : list of str, optional
        Rule codes or prefixes to run / skip while profiling (``ignore=["DG113"]`` leaves
        skewed columns unlogged).
    target : str, optional
        Profile ``y`` as the target column of this name: the target rules run, and
        ``pipeline_`` also holds the target's scaling or classes
        (``pipeline_.transform_target``). ``transform`` never reads or returns it. When
        None (the default), ``y`` is ignored.
    dtype : {"float64", "float32"}, default="float64"
        The dtype of ``transform``'s output; float32 saturates at the float32 range.

    Attributes
    ----------
    pipeline_ : TransformPipeline
        The fitted pipeline.
    artifact_ : dict
        Its JSON artifact (``pipeline_.to_dict()``); ``TransformPipeline(artifact_)``
        rebuilds it.
    n_features_in_ : int
        Number of columns seen in ``fit``.
    feature_names_in_ : ndarray of str
        Column names seen in ``fit``; only defined when they were all strings.

    See Also
    --------
    dataguard.fit : the same fit, returning the pipeline.
    DataguardTargetTransformer : dataguard's target scaling for ``TransformedTargetRegressor``.

    Notes
    -----
    ``transform`` checks its input as scikit-learn does: a frame must have the columns seen
    in ``fit``, in the same order; an array the same number of columns. A transformer from
    :meth:`from_pipeline` reads frames by name instead (extra columns are ignored), as the
    pipeline does.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from sklearn.linear_model import Ridge
    >>> from sklearn.pipeline import make_pipeline
    >>> from dataguard.adapters.sklearn import DataguardTransformer
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"income": rng.lognormal(10, 1, 300),
    ...                   "city": rng.choice(["oslo", "rome"], 300)})
    >>> y = np.log(X["income"]) + (X["city"] == "rome")
    >>> dg = DataguardTransformer().fit(X)
    >>> list(dg.get_feature_names_out())
    ['income', 'city=rome', 'city=oslo']
    >>> [step["op"] for step in dg.pipeline_.steps("income")]
    ['nonfinite', 'impute', 'log1p', 'standardize']
    >>> model = make_pipeline(DataguardTransformer(), Ridge(alpha=1e-3)).fit(X, y)
    >>> bool(model.score(X, y) > 0.99)
    True
    """

    def __init__(
        self,
        *,
        skew: str = "log",
        plan: Mapping[str, Any] | None = None,
        thresholds: Any = None,
        select: Iterable[str] | None = None,
        ignore: Iterable[str] | None = None,
        target: str | None = None,
        dtype: str = "float64",
    ) -> None:
        self.skew = skew
        self.plan = plan
        self.thresholds = thresholds
        self.select = select
        self.ignore = ignore
        self.target = target
        self.dtype = dtype

    # -- fitting -------------------------------------------------------------------------
    def fit(self, X: Any, y: Any = None) -> DataguardTransformer:
        """Profile ``X``, plan the fixes and fit them.

        Parameters
        ----------
        X : DataFrame, Arrow table or array-like of shape (n_samples, n_features)
            The training inputs. NaN and infinities are allowed (they are imputed).
        y : array-like of shape (n_samples,), optional
            Ignored unless ``target`` is set; then profiled as that target column.

        Returns
        -------
        self : DataguardTransformer
        """
        _check_dtype(self.dtype)
        table = self._table(X, reset=True)
        if table.num_rows == 0 or table.num_columns == 0:
            raise ValueError(
                f"{type(self).__name__}: X has {table.num_rows} rows and "
                f"{table.num_columns} columns; fitting needs at least one of each"
            )
        self._names = list(table.column_names)
        if self.target is not None:
            table = _with_target(table, self.target, y)
        self.pipeline_ = _fit_transforms(
            table,
            target=self.target,
            skew=self.skew,
            plan=self.plan,
            thresholds=self.thresholds,
            select=self.select,
            ignore=self.ignore,
            config=ProjectConfig(),
        )
        self.artifact_ = self.pipeline_.to_dict()
        self._by_name = False
        return self

    @classmethod
    def from_pipeline(cls, pipeline: TransformPipeline) -> DataguardTransformer:
        """A fitted transformer that applies an existing pipeline.

        Its inputs are the pipeline's input columns: ``n_features_in_`` counts them and
        ``feature_names_in_`` names them. Frames are read by name (extra columns, such as
        the target, are ignored); arrays by position, in ``pipeline.input_columns`` order.
        Its parameters are the defaults: ``clone`` gives an unfitted default transformer,
        and refitting it does not reproduce ``pipeline``.

        Parameters
        ----------
        pipeline : TransformPipeline
            From :func:`dataguard.fit` or :func:`dataguard.load_transforms`.

        Returns
        -------
        DataguardTransformer

        Examples
        --------
        >>> import pandas as pd, dataguard
        >>> df = pd.DataFrame({"a": [1.0, 2.0, 4.0, 8.0], "y": [0.0, 1.0, 0.0, 1.0]})
        >>> pipe = dataguard.fit(df, target="y")
        >>> sk = pipe.to_sklearn()
        >>> sk.n_features_in_, list(sk.get_feature_names_out())
        (1, ['a'])
        >>> bool((sk.transform(df) == pipe.transform_array(df)).all())
        True
        """
        if not isinstance(pipeline, TransformPipeline):
            raise TypeError(
                f"{cls.__name__}.from_pipeline: expected a TransformPipeline, "
                f"got {type(pipeline).__name__}"
            )
        est = cls()
        names = pipeline.input_columns
        est.pipeline_ = pipeline
        est.artifact_ = pipeline.to_dict()
        est.n_features_in_ = len(names)
        est.feature_names_in_ = np.asarray(names, dtype=object)
        est._names = list(names)
        est._by_name = True
        return est

    # -- applying ------------------------------------------------------------------------
    def transform(self, X: Any) -> npt.NDArray[np.floating[Any]]:
        """Apply the fitted pipeline.

        Parameters
        ----------
        X : DataFrame, Arrow table or array-like of shape (n_samples, n_features)
            The same columns as in ``fit``.

        Returns
        -------
        ndarray of shape (n_samples, n_outputs)
            float64, or float32 with ``dtype="float32"``; ``get_feature_names_out()`` names
            the columns.
        """
        check_is_fitted(self, "pipeline_")
        _check_dtype(self.dtype)
        if self._by_name and _frame_kind(X) is not None:
            X = self._select_inputs(frame_to_table(_as_table_like(X)))
        table = self._table(X, reset=False)
        return self.pipeline_.transform_array(table, dtype=np.dtype(self.dtype))

    def get_feature_names_out(self, input_features: Any = None) -> npt.NDArray[np.object_]:
        """The output column names, in ``transform``'s column order.

        Parameters
        ----------
        input_features : array-like of str, optional
            Input column names; if given they must equal ``feature_names_in_`` (when
            defined) and number ``n_features_in_``. A transformer fitted on an array names
            its outputs after them instead of ``x0, x1, ...``.

        Returns
        -------
        ndarray of str objects
        """
        check_is_fitted(self, "pipeline_")
        names = _check_feature_names_in(self, input_features)
        rename = dict(zip(self._names, (str(n) for n in names), strict=True))
        if all(old == new for old, new in rename.items()):
            return np.asarray(self.pipeline_.output_columns, dtype=object)
        levels = {i["name"]: i.get("levels", []) for i in self.pipeline_.inputs}
        out: list[str] = []
        for c in self.pipeline_.columns:
            renamed = {**c, "name": rename.get(c["name"], c["name"])}
            out += output_names(renamed, levels.get(c["name"], []))
        return np.asarray(out, dtype=object)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # imputed; infinities become missing first
        tags.transformer_tags.preserves_dtype = [self.dtype] if self.dtype in _DTYPES else []
        return tags

    # -- input handling ------------------------------------------------------------------
    def _table(self, X: Any, *, reset: bool) -> pa.Table:
        """``X`` as an Arrow table with the fitted column names; sets or checks
        ``n_features_in_`` and ``feature_names_in_`` as scikit-learn does."""
        kind = _frame_kind(X)
        if kind is not None:
            X = _as_table_like(X)
            validate_data(self, X, reset=reset, skip_check_array=True)
            table = frame_to_table(X)
            named = kind != "pandas" or all(isinstance(c, str) for c in X.columns)
            if not named or getattr(self, "feature_names_in_", None) is None:
                # no names to match (scikit-learn has warned if only one side has them)
                table = table.rename_columns(self._positional_names(table.num_columns, reset))
            return table
        arr = validate_data(
            self,
            X,
            reset=reset,
            accept_sparse=False,
            dtype="numeric",
            ensure_all_finite=False,
            ensure_min_samples=1 if reset else 0,
        )
        names = self._positional_names(arr.shape[1], reset)
        return pa.table({n: np.ascontiguousarray(arr[:, j]) for j, n in enumerate(names)})

    def _positional_names(self, n: int, reset: bool) -> list[str]:
        if reset:
            return [f"x{j}" for j in range(n)]
        return list(self._names)

    def _select_inputs(self, table: pa.Table) -> pa.Table:
        """The pipeline's input columns of ``table``, by name, in the fitted order."""
        missing = [c for c in self._names if c not in table.column_names]
        if missing:
            raise ValueError(
                f"{type(self).__name__}: X has no column {missing[0]!r}; the pipeline reads "
                f"{', '.join(map(repr, self._names))}, X has "
                f"{', '.join(map(repr, table.column_names[:20]))}"
            )
        return table.select(self._names)


class DataguardTargetTransformer(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Scale a regression target as :func:`dataguard.fit` does, for a
    :class:`~sklearn.compose.TransformedTargetRegressor`.

    ``fit`` profiles the target values as a regression target (the target rules DG117-DG119
    run; their findings are in ``pipeline_.to_dict()["findings"]``) and learns its scaling,
    ``(y - mean) / std``, which ``inverse_transform`` undoes.

    Attributes
    ----------
    pipeline_ : TransformPipeline
        The fitted pipeline (no input columns; its target is named ``"y"``).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.compose import TransformedTargetRegressor
    >>> from sklearn.linear_model import LinearRegression
    >>> from dataguard.adapters.sklearn import DataguardTargetTransformer
    >>> X = np.arange(40.0).reshape(-1, 1)
    >>> y = 1e5 + 3e3 * X[:, 0]
    >>> model = TransformedTargetRegressor(
    ...     regressor=LinearRegression(), transformer=DataguardTargetTransformer()).fit(X, y)
    >>> float(np.round(model.predict([[50.0]])[0]))
    250000.0
    """

    def fit(self, X: Any, y: Any = None) -> DataguardTargetTransformer:
        """Learn the target's scaling.

        Parameters
        ----------
        X : array-like of shape (n_samples,) or (n_samples, 1)
            The regression target (numbers; NaN is not allowed). ``TransformedTargetRegressor``
            passes it as one column.
        y : None
            Ignored.

        Returns
        -------
        self : DataguardTargetTransformer
        """
        values = self._values(X)
        table = pa.table({_TARGET: values})
        self.pipeline_ = _fit_transforms(
            table, target=_TARGET, task="regression", config=ProjectConfig()
        )
        return self

    def transform(self, X: Any) -> npt.NDArray[np.float64]:
        """The scaled target, in the shape of ``X``."""
        check_is_fitted(self, "pipeline_")
        out = self.pipeline_.transform_target(self._values(X))
        return out.reshape(np.shape(X))

    def inverse_transform(self, X: Any) -> npt.NDArray[np.float64]:
        """The target in its own units from scaled values, in the shape of ``X``."""
        check_is_fitted(self, "pipeline_")
        out = self.pipeline_.inverse_transform_target(self._values(X))
        return out.reshape(np.shape(X))

    def _values(self, y: Any) -> npt.NDArray[np.float64]:
        arr = check_array(y, ensure_2d=False, dtype=np.float64, input_name="y", estimator=self)
        if arr.ndim == 2 and arr.shape[1] == 1:
            arr = arr[:, 0]
        if arr.ndim != 1:
            raise ValueError(
                f"{type(self).__name__}: expected one target column, got shape {arr.shape}; "
                "scale each target with its own transformer"
            )
        return arr  # type: ignore[no-any-return]


def _check_dtype(dtype: Any) -> None:
    if dtype not in _DTYPES:
        raise ValueError(
            f"DataguardTransformer: dtype must be one of {', '.join(map(repr, _DTYPES))}, "
            f"got {dtype!r}"
        )


def _frame_kind(X: Any) -> str | None:
    """The library of a frame read by name ("pandas", "polars", "arrow"); None for arrays."""
    if isinstance(X, (pa.Table, pa.RecordBatch)):
        return "arrow"
    cls = type(X)
    if cls.__name__ == "DataFrame":
        for lib in ("pandas", "polars"):
            if cls.__module__.startswith(lib):
                return lib
    return None


def _as_table_like(X: Any) -> Any:
    """An Arrow record batch becomes a table (scikit-learn reads a table's names)."""
    return pa.Table.from_batches([X]) if isinstance(X, pa.RecordBatch) else X


def _with_target(table: pa.Table, target: str, y: Any) -> pa.Table:
    """``table`` with ``y`` appended as the column ``target``."""
    if not isinstance(target, str):
        raise ValueError(f"DataguardTransformer: target must be a column name, got {target!r}")
    if y is None:
        raise ValueError(
            f"DataguardTransformer: target={target!r} profiles y as the target, but y is None; "
            "pass y to fit, or leave target unset"
        )
    if target in table.column_names:
        raise ValueError(
            f"DataguardTransformer: X already has a column {target!r}; y is added under the "
            "target name, so choose another or drop the column from X"
        )
    values = y.to_numpy() if hasattr(y, "to_numpy") else np.asarray(y)
    if values.ndim == 2 and values.shape[1] == 1:
        values = values[:, 0]
    if values.ndim != 1 or len(values) != table.num_rows:
        raise ValueError(
            f"DataguardTransformer: y must be one column of {table.num_rows} values (the rows "
            f"of X), got shape {values.shape}"
        )
    return table.append_column(target, pa.array(values, from_pandas=True))
