"""``dataguard.fit``: profile, plan from the findings, fit, and return the pipeline."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from dataguard._api import profile
from dataguard._config import ProjectConfig
from dataguard.errors import ConfigError
from dataguard.io import open_source
from dataguard.profile import ColumnProfile
from dataguard.profile._arrow import from_numpy
from dataguard.report import ProfileReport
from dataguard.rules import Thresholds
from dataguard.transforms._fit import FLOAT16_MAX, _level, fit_plan
from dataguard.transforms._pipeline import TransformPipeline, build_artifact
from dataguard.transforms._plan import plan_columns

__all__ = ["fit"]

#: Rows of the profile's sample the output facts (mean, std, min, max) are measured on.
_FACT_ROWS = 1 << 15


def fit(
    data: Any,
    *,
    target: str | None = None,
    task: str = "auto",
    columns: Sequence[str] | None = None,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
    thresholds: Mapping[str, Any] | Thresholds | None = None,
    config: ProjectConfig | None = None,
    order_by: str | None = None,
    group_by: str | None = None,
    skew: str = "log",
    plan: Mapping[str, Any] | None = None,
    workers: int | None = None,
    progress: Callable[[int, int | None], None] | None = None,
    contract: Any = None,
) -> TransformPipeline:
    """Plan transforms from the profile's findings, fit them, return the pipeline.

    Parameters
    ----------
    data : path or frame
        What :func:`dataguard.profile` reads.
    target : str, optional
        The target column: scaled (regression, exact inverse) or label-encoded
        (classification); its facts (range, class priors and weights) go in the artifact.
    task, columns, select, ignore, thresholds, config, order_by, group_by, workers, progress
        As for :func:`dataguard.profile`.
    skew : {"log", "yeo-johnson", "none"}
        The fix for strongly skewed columns (DG113).
    plan : dict, optional
        Column -> steps overriding the planned ones: ``"drop"``, or a list of step names
        or dicts (``[{"op": "cyclic", "period": 360, "offset": 0}]``); parameters left out
        are fitted.
    contract : Contract or path, optional
        Fit the contract's plan: its declared roles, periods, sentinels and encodings, and its
        ``transforms.plan`` (``plan=`` overrides both); the profile uses its declarations.

    Returns
    -------
    TransformPipeline

    Examples
    --------
    >>> import pandas as pd, dataguard
    >>> df = pd.DataFrame({"heading_deg": [(37 * i) % 360 for i in range(400)],
    ...                    "y": [float(i % 7) for i in range(400)]})
    >>> dataguard.fit(df, target="y", plan={"heading_deg": [
    ...     {"op": "cyclic", "period": 360.0, "offset": 0.0}]}).output_columns
    ['heading_deg__sin', 'heading_deg__cos']
    """
    if target is not None and not isinstance(target, str):
        raise ConfigError("fit: target must be one column name")
    declared: dict[str, Any] = {}
    if contract is not None:
        from dataguard._api import _as_contract
        from dataguard.contract._apply import contract_plan

        contract = _as_contract(contract)
        declared = contract_plan(contract)
    report = profile(
        data,
        target=target,
        task=task,
        columns=columns,
        select=select,
        ignore=ignore,
        thresholds=thresholds,
        config=config,
        order_by=order_by,
        group_by=group_by,
        workers=workers,
        progress=progress,
        contract=contract,
    )
    if declared:  # a contract may name columns this data lacks (reported as DG301)
        usable = {k: v for k, v in declared.items() if k in report.columns}
        plan = {**{k: v for k, v in usable.items() if k not in report.targets}, **dict(plan or {})}
    return fit_report(report, data, skew=skew, plan=plan)


def fit_report(
    report: ProfileReport,
    data: Any,
    *,
    skew: str = "log",
    plan: Mapping[str, Any] | None = None,
) -> TransformPipeline:
    """Fit from an existing profile report of ``data``."""
    plans = plan_columns(report, skew=skew, plan=plan)
    source = open_source(data, columns=list(report.columns))
    inputs, cols, notes = fit_plan(report, plans, source)
    tgt, facts = _target(report)
    facts["n_rows"] = report.profile.n_rows
    facts["embeddings"] = _embeddings(inputs, cols)
    art = build_artifact(inputs, cols, tgt, facts, notes, report.findings, report.profile.source)
    pipe = TransformPipeline(art)
    _output_facts(pipe, report)
    return pipe


def _embeddings(
    inputs: Sequence[Mapping[str, Any]], columns: Sequence[Mapping[str, Any]]
) -> dict[str, int]:
    """Ordinal outputs (integer codes for ``nn.Embedding``) -> rows their table needs
    (the levels plus one for null and unseen values)."""
    levels = {i["name"]: len(i.get("levels", [])) for i in inputs}
    return {
        c["name"]: levels[c["name"]] + 1
        for c in columns
        if c["kind"] == "categorical" and not any(s["op"] == "one_hot" for s in c["steps"])
    }


def _target(report: ProfileReport) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    if not report.targets:
        return None, {"task": None}
    name = report.targets[0]
    c: ColumnProfile = report.columns[name]
    task = report.tasks.get(name, "regression")
    if task == "classification":
        counts = dict(c.values or c.top or {})
        numeric = c.kind == "numeric"
        labels = sorted(counts, key=float if numeric else str)
        total = sum(counts.values()) or 1
        classes = [_level(v) for v in labels]
        priors = [counts[v] / total for v in labels]
        weights = [total / (len(labels) * counts[v]) for v in labels]
        facts = {
            "task": task,
            "n_classes": len(labels),
            "classes": classes,
            "class_priors": priors,
            "class_weights": weights,
        }
        return {"name": name, "task": task, "classes": classes}, facts
    if c.kind != "numeric" or c.mean is None:
        raise ConfigError(f"fit: target {name!r} is {c.dtype} ({c.kind}); regression needs numbers")
    std = float(c.std or 0.0)
    scale = std if std > 1e-12 * max(1.0, abs(c.mean)) else 1.0
    lo, hi = float(c.min), float(c.max)
    facts = {
        "task": "regression",
        "target_range": [lo, hi],
        "target_mean": c.mean,
        "target_std": std,
        "target_scaled_range": [(lo - c.mean) / scale, (hi - c.mean) / scale],
        "target_scaled_mean": 0.0,
        "target_scaled_std": std / scale,
    }
    return {
        "name": name,
        "task": "regression",
        "scale": {"op": "standardize", "center": float(c.mean), "scale": scale},
    }, facts


def _output_facts(pipe: TransformPipeline, report: ProfileReport) -> None:
    """Mean, std, min and max of every output on the row sample (in ``facts``); warn when
    an output exceeds the float16 range."""
    sample = report.profile.sample
    if not sample.num_rows or not pipe.output_columns:
        return
    if sample.num_rows > _FACT_ROWS:  # every k-th sampled row: still a uniform sample
        step = -(-sample.num_rows // _FACT_ROWS)
        sample = sample.take(from_numpy(np.arange(0, sample.num_rows, step, dtype=np.int64)))
    out = pipe.apply_encoded(pipe.encode(sample))
    stats = {}
    for j, name in enumerate(pipe.output_columns):
        x = out[:, j]
        x = x[np.isfinite(x)]
        if x.size:
            stats[name] = {
                "mean": float(x.mean()),
                "std": float(x.std()),
                "min": float(x.min()),
                "max": float(x.max()),
            }
    pipe.facts["outputs"] = stats
    pipe._artifact["facts"] = pipe.facts
    big = {n: max(abs(s["min"]), abs(s["max"])) for n, s in stats.items()}
    over = {n: v for n, v in big.items() if v > FLOAT16_MAX}
    if over:
        shown = ", ".join(f"{n!r} (max |x| {v:.3g})" for n, v in list(over.items())[:5])
        warnings.warn(
            f"transforms: outputs exceed the float16 range ({FLOAT16_MAX:g}) on the fitting "
            f"sample: {shown}; float16 mixed-precision training will overflow them",
            UserWarning,
            stacklevel=3,
        )
