"""The fitted pipeline: one JSON artifact, applied in numpy, scikit-learn and torch."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from dataguard._version import __version__
from dataguard.errors import ConfigError, InputError
from dataguard.findings import Finding
from dataguard.io import write_text_atomic
from dataguard.io._frames import frame_to_table, is_frame
from dataguard.transforms._compile import compile_program
from dataguard.transforms._encode import Encoder
from dataguard.transforms._kernels import NumpyOps, Program, run_program
from dataguard.transforms._spec import check_column, check_levels, output_names

__all__ = ["FORMAT", "VERSION", "TransformPipeline", "load_transforms"]

FORMAT = "dataguard-transforms"
VERSION = 1
_F32_MAX = float(np.finfo(np.float32).max)


class TransformPipeline:
    """Fitted transforms: per input column the ordered steps, the target's scaling, and the
    dataset facts the model side needs. Build one with :func:`dataguard.fit` or
    :func:`load_transforms`.

    Examples
    --------
    >>> import pandas as pd, dataguard
    >>> df = pd.DataFrame({"size": [800.0 + 20 * i for i in range(50)],
    ...                    "price": [1e5 + 3e3 * i for i in range(50)]})
    >>> pipe = dataguard.fit(df, target="price")
    >>> pipe.output_columns
    ['size']
    >>> out = pipe.transform(df)
    >>> abs(float(out["size"].mean())) < 1e-12, round(float(out["size"].std(ddof=0)), 6)
    (True, 1.0)
    >>> y = pipe.transform_target(df["price"].to_numpy())
    >>> bool(abs(pipe.inverse_transform_target(y) - df["price"].to_numpy()).max() < 1e-6)
    True
    """

    def __init__(self, artifact: Mapping[str, Any]) -> None:
        art = _validated(artifact)
        self._artifact = art
        self.inputs: list[dict[str, Any]] = art["inputs"]
        self.columns: list[dict[str, Any]] = art["columns"]
        self.target: dict[str, Any] | None = art.get("target")
        self.facts: dict[str, Any] = art.get("facts", {})
        self.program: Program = compile_program(self.inputs, self.columns)
        self.encoder = Encoder(self.inputs)
        self._target_encoder = (
            Encoder([_target_input(self.target)]) if self.target is not None else None
        )

    # -- description ---------------------------------------------------------------------
    @property
    def input_columns(self) -> list[str]:
        """Columns the pipeline reads (features, plus keys and roots its frames use)."""
        return [i["name"] for i in self.inputs]

    @property
    def output_columns(self) -> list[str]:
        """Columns it produces, in order (the torch module's and sklearn's feature order)."""
        return list(self._artifact["output_columns"])

    @property
    def target_column(self) -> str | None:
        return self.target["name"] if self.target is not None else None

    @property
    def task(self) -> str | None:
        return self.target["task"] if self.target is not None else None

    def steps(self, column: str) -> list[dict[str, Any]]:
        """The fitted steps of one input column, in order."""
        for c in self.columns:
            if c["name"] == column:
                return [dict(s) for s in c["steps"]]
        raise KeyError(column)

    def outputs_of(self, column: str) -> list[str]:
        """The output columns one input column produces."""
        levels = {i["name"]: i.get("levels", []) for i in self.inputs}
        for c in self.columns:
            if c["name"] == column:
                return output_names(c, levels.get(column, []))
        raise KeyError(column)

    def __repr__(self) -> str:
        t = f", target={self.target_column!r}" if self.target is not None else ""
        return (
            f"TransformPipeline({len(self.inputs)} inputs -> {len(self.output_columns)} outputs{t})"
        )

    # -- numpy / Arrow reference path ----------------------------------------------------
    def encode(self, data: Any) -> dict[str, npt.NDArray[Any]]:
        """Input column -> float64 values or int64 category codes (the torch module's input)."""
        return self.encoder.encode(_table(data))

    def apply_encoded(self, inputs: Mapping[str, Any]) -> npt.NDArray[np.float64]:
        """Float64 ``[n, len(output_columns)]`` (column-major) from encoded inputs."""
        X, C = self.encoder.pack(inputs)
        return run_program(NumpyOps, self.program, self.program.arrays, X, C)  # type: ignore[no-any-return]

    def transform_array(self, data: Any, dtype: Any = np.float64) -> npt.NDArray[Any]:
        """The outputs as one 2-D numpy array; float32 saturates at the float32 range."""
        out = self.apply_encoded(self.encode(data))
        if np.dtype(dtype) == np.float64:
            return out
        return cast_saturating(out, np.dtype(dtype))

    def transform(self, data: Any) -> Any:
        """A frame of the output columns: pandas in, pandas out; otherwise an Arrow table."""
        out = self.apply_encoded(self.encode(data))
        if type(data).__module__.startswith("pandas"):
            import pandas as pd

            index = getattr(data, "index", None)
            return pd.DataFrame(out, columns=self.output_columns, index=index)
        return pa.table({n: out[:, j] for j, n in enumerate(self.output_columns)})

    # -- target --------------------------------------------------------------------------
    def encode_target(self, data: Any) -> npt.NDArray[Any]:
        """The raw target of a frame: float64 values, or int64 class indices."""
        if self.target is None or self._target_encoder is None:
            raise ConfigError("transforms: this pipeline was fitted without a target")
        table = _table(data)
        name = self.target["name"]
        enc = self._target_encoder
        col = enc.column(table, name)
        if self.target["task"] == "classification":
            codes = enc.codes(name, col)
            return codes
        return enc.numeric_values(name, col)

    def transform_target_encoded(self, y: Any) -> npt.NDArray[Any]:
        """Scale encoded target values (class indices pass unchanged)."""
        if self.target is None:
            raise ConfigError("transforms: this pipeline was fitted without a target")
        if self.target["task"] == "classification":
            return np.asarray(y, dtype=np.int64)
        s = self.target["scale"]
        return (np.asarray(y, dtype=np.float64) - s["center"]) / s["scale"]  # type: ignore[no-any-return]

    def transform_target(self, values: Any) -> npt.NDArray[Any]:
        """Scaled target from raw values (a sequence, array, Series or frame with it)."""
        if self.target is None:
            raise ConfigError("transforms: this pipeline was fitted without a target")
        if is_frame(values) and not _is_series(values):
            return self.transform_target_encoded(self.encode_target(values))
        if self.target["task"] == "classification":
            arr = pa.array(np.asarray(values).tolist())
            assert self._target_encoder is not None
            return self._target_encoder.codes(self.target["name"], arr)
        return self.transform_target_encoded(np.asarray(values, dtype=np.float64))

    def inverse_transform_target(self, values: Any) -> npt.NDArray[Any]:
        """Raw target from scaled values (regression) or labels from class indices."""
        if self.target is None:
            raise ConfigError("transforms: this pipeline was fitted without a target")
        if self.target["task"] == "classification":
            classes = np.asarray(self.target["classes"], dtype=object)
            return classes[np.asarray(values, dtype=np.int64)]
        s = self.target["scale"]
        return np.asarray(values, dtype=np.float64) * s["scale"] + s["center"]  # type: ignore[no-any-return]

    # -- adapters ------------------------------------------------------------------------
    def to_sklearn(self) -> Any:
        """A fitted scikit-learn transformer (``adapters.sklearn.DataguardTransformer``)."""
        from dataguard.adapters.sklearn import DataguardTransformer

        return DataguardTransformer.from_pipeline(self)

    def to_torch(self) -> Any:
        """A ``torch.nn.Module``: dict of encoded input tensors -> 2-D float tensor."""
        from dataguard.adapters.torch import TransformModule

        return TransformModule(self)

    # -- JSON ----------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The artifact (schemas/transforms.schema.json), JSON-ready."""
        return json.loads(json.dumps(self._artifact))  # type: ignore[no-any-return]

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the JSON artifact atomically."""
        write_text_atomic(path, json.dumps(self._artifact, indent=1, allow_nan=False) + "\n")

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> TransformPipeline:
        return load_transforms(path)

    @property
    def notes(self) -> list[dict[str, Any]]:
        """Findings raised while fitting (e.g. columns left unscaled)."""
        return list(self._artifact.get("notes", []))


def cast_saturating(out: npt.NDArray[np.float64], dtype: np.dtype[Any]) -> npt.NDArray[Any]:
    """Cast to a narrower float, finite values beyond its range becoming its max (not inf)."""
    hi = float(np.finfo(dtype).max)
    narrow = np.maximum(out, -hi)
    np.minimum(narrow, hi, out=narrow)
    return narrow.astype(dtype)


def _is_series(obj: Any) -> bool:
    return type(obj).__name__ == "Series"


def _table(data: Any) -> pa.Table | pa.RecordBatch:
    if isinstance(data, (pa.Table, pa.RecordBatch)):
        return data
    if isinstance(data, Mapping):
        return pa.table({k: np.asarray(v) for k, v in data.items()})
    if is_frame(data):
        return frame_to_table(data)
    raise InputError(
        f"transforms: expected a pandas/polars DataFrame, an Arrow table or a dict of arrays, "
        f"got {type(data).__name__}"
    )


def _target_input(target: Mapping[str, Any]) -> dict[str, Any]:
    if target["task"] == "classification":
        return {"name": target["name"], "kind": "categorical", "levels": target["classes"]}
    return {"name": target["name"], "kind": "numeric"}


def _validated(artifact: Mapping[str, Any]) -> dict[str, Any]:
    art = dict(artifact)
    if art.get("format") != FORMAT:
        raise ConfigError(f"transforms: 'format' must be {FORMAT!r}, got {art.get('format')!r}")
    if art.get("version") != VERSION:
        raise ConfigError(
            f"transforms: artifact version {art.get('version')!r} is not supported "
            f"(this dataguard reads version {VERSION})"
        )
    inputs = art.get("inputs")
    columns = art.get("columns")
    if not isinstance(inputs, list) or not isinstance(columns, list):
        raise ConfigError("transforms: 'inputs' and 'columns' must be lists")
    _check_inputs(inputs)
    kinds = {i["name"]: i["kind"] for i in inputs}
    for c in columns:
        check_column(c)
        if c["kind"] != "dropped" and kinds.get(c["name"]) != c["kind"]:
            raise ConfigError(
                f"transforms: column {c['name']!r} is {c['kind']} but its input entry is "
                f"{kinds.get(c['name'], 'missing')}"
            )
    expected = compile_program(inputs, columns).output_columns
    if art.get("output_columns") != expected:
        raise ConfigError(
            "transforms: 'output_columns' does not match the columns' steps "
            f"(expected {expected[:6]}...)"
        )
    if len(set(expected)) != len(expected):
        dup = next(o for o in expected if expected.count(o) > 1)
        raise ConfigError(f"transforms: output column {dup!r} is produced twice")
    target = art.get("target")
    if target is not None:
        _check_target(target)
    return art


def _check_inputs(inputs: list[Any]) -> None:
    names = set()
    for i in inputs:
        if not isinstance(i, Mapping) or i.get("kind") not in ("numeric", "categorical"):
            raise ConfigError(f"transforms: bad input entry {i!r:.80}")
        if i["name"] in names:
            raise ConfigError(f"transforms: input column {i['name']!r} is listed twice")
        names.add(i["name"])
        if i["kind"] == "categorical":
            check_levels(i["name"], i.get("levels"))


def _check_target(t: Mapping[str, Any]) -> None:
    if not isinstance(t, Mapping) or not isinstance(t.get("name"), str):
        raise ConfigError("transforms: 'target' needs a 'name'")
    if t.get("task") == "regression":
        s = t.get("scale")
        if not isinstance(s, Mapping) or not all(
            isinstance(s.get(k), (int, float)) and math.isfinite(s[k]) for k in ("center", "scale")
        ):
            raise ConfigError("transforms: a regression target needs scale.center and scale.scale")
        if not s["scale"] > 0:
            raise ConfigError(f"transforms: target scale must be > 0, got {s['scale']!r}")
    elif t.get("task") == "classification":
        check_levels(t["name"], t.get("classes"))
    else:
        raise ConfigError(
            f"transforms: target task {t.get('task')!r} not regression/classification"
        )


def load_transforms(path: str | os.PathLike[str]) -> TransformPipeline:
    """Read a transforms artifact written by ``dataguard fit`` or ``pipe.save``.

    Raises :class:`~dataguard.errors.InputError` for an unreadable file and
    :class:`~dataguard.errors.ConfigError` for an invalid artifact, naming what is wrong.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{p}: cannot read transforms ({exc.strerror or exc})") from None
    try:
        art = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{p}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
    if not isinstance(art, dict):
        raise ConfigError(f"{p}: expected a JSON object")
    try:
        return TransformPipeline(art)
    except ConfigError as exc:
        raise ConfigError(f"{p}: {exc}") from None


def build_artifact(
    inputs: Sequence[Mapping[str, Any]],
    columns: Sequence[Mapping[str, Any]],
    target: Mapping[str, Any] | None,
    facts: Mapping[str, Any],
    notes: Sequence[Finding],
    findings: Sequence[Finding],
    source: str,
) -> dict[str, Any]:
    """The artifact dict (JSON-safe) from fitted parts."""
    from dataguard.findings import json_safe

    outputs = compile_program(inputs, columns).output_columns
    return json_safe(  # type: ignore[no-any-return]
        {
            "format": FORMAT,
            "version": VERSION,
            "dataguard_version": __version__,
            "source": source,
            "inputs": list(inputs),
            "columns": list(columns),
            "output_columns": outputs,
            "target": dict(target) if target is not None else None,
            "facts": dict(facts),
            "notes": [n.to_dict() for n in notes],
            "findings": [
                {"code": f.code, "severity": f.severity.label, "columns": list(f.columns)}
                for f in findings
            ],
        }
    )
