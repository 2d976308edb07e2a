"""The Python entry point: ``dataguard.profile``."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from dataguard._config import ProjectConfig, load_config
from dataguard.engines import profile_source, run_passes
from dataguard.errors import ConfigError, InputError
from dataguard.io import open_source
from dataguard.report import ProfileReport
from dataguard.rules import (
    RuleContext,
    Thresholds,
    infer_task,
    plan_passes,
    run_rules,
    select_codes,
)

__all__ = ["profile"]

_TASKS = ("auto", "regression", "classification")


def profile(
    data: Any,
    *,
    target: str | Sequence[str] | None = None,
    task: str = "auto",
    columns: Sequence[str] | None = None,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
    thresholds: Mapping[str, Any] | Thresholds | None = None,
    config: ProjectConfig | None = None,
    order_by: str | None = None,
    group_by: str | None = None,
    workers: int | None = None,
    progress: Callable[[int, int | None], None] | None = None,
    contract: Any = None,
) -> ProfileReport:
    """Profile a training set and report what will hurt gradient training.

    Parameters
    ----------
    data : path or frame
        A parquet file/directory, CSV, Arrow IPC/Feather file, or a pandas, polars or Arrow
        table.
    target : str or list of str, optional
        Target column(s): target rules (DG117-DG119) apply to them, input rules to the rest.
    task : {"auto", "regression", "classification"}
        The task of every target; "auto" infers it per target.
    columns : list of str, optional
        Profile only these columns (targets are added).
    select, ignore : list of str, optional
        Rule codes or prefixes to run / skip. Either one given replaces both of the
        ``[tool.dataguard]`` settings; neither given: the project's, else all rules.
    thresholds : dict or Thresholds, optional
        Threshold overrides (default: ``[tool.dataguard.thresholds]``, then the defaults).
    config : ProjectConfig, optional
        Project settings; read from the nearest ``pyproject.toml`` when omitted.
    order_by : str, optional
        Column giving the order of rows within each sequence (time, frame); enables the
        sequence checks (wrap jumps of cyclic values) and checks that rows are in order.
    group_by : str, optional
        Column identifying the entity or sequence each row belongs to.
    workers : int, optional
        Processes for the local engine (default: automatic).
    progress : callable, optional
        Called with the rows of each profiled batch and the total rows (None if unknown).
    contract : Contract or path, optional
        Use its declarations (targets, order and entity key, periods, sentinels, ignores)
        instead of guessing them, and report where the data contradicts them
        (docs/contract.md).

    Returns
    -------
    ProfileReport
        ``.findings``, ``.columns``, ``.to_dict()``, ``.raise_if_failed()``.

    Examples
    --------
    >>> import pandas as pd
    >>> import dataguard
    >>> df = pd.DataFrame({"price": [900.0 + 100 * i for i in range(40)],
    ...                    "y": [0, 1] * 20})
    >>> report = dataguard.profile(df, target="y")
    >>> [f.code for f in report.findings]
    ['DG101']
    """
    if task not in _TASKS:
        raise ConfigError(f"task {task!r} is not one of: {', '.join(_TASKS)}")
    if contract is not None:
        from dataguard.contract._apply import profile_options

        contract = _as_contract(contract)
        declared = profile_options(contract)
        target = target if target is not None else declared["target"]
        order_by = order_by or declared["order_by"]
        group_by = group_by or declared["group_by"]
    cfg = config if config is not None else load_config()
    targets = (target,) if isinstance(target, str) else tuple(target or ())
    t = (
        thresholds
        if isinstance(thresholds, Thresholds)
        else Thresholds().replace(**{**cfg.thresholds, **dict(thresholds or {})})
    )
    if select is None and ignore is None:  # explicit arguments replace the project's pair
        select, ignore = cfg.select, cfg.ignore
    codes = select_codes(select, ignore)
    keys = tuple(k for k in (order_by, group_by) if k is not None)
    if columns is not None:
        columns = list(dict.fromkeys([*columns, *targets, *keys]))
    start = time.perf_counter()
    source = open_source(data, columns=columns)
    for role, names in (("target", targets), ("--order-by/--group-by", keys)):
        missing = [c for c in names if c not in source.schema.names]
        if missing:
            raise InputError(
                f"{source.name}: {role} column {missing[0]!r} not found; columns are: "
                f"{', '.join(source.schema.names[:20])}"
            )
    prof = profile_source(source, workers=workers, progress=progress)
    prof.passes = run_passes(source, plan_passes(prof, t, order_by, group_by, codes))
    tasks = {n: (task if task != "auto" else infer_task(prof.columns[n], t)) for n in targets}
    ctx = RuleContext(prof, t, targets, tasks, order_by, group_by)
    findings = run_rules(ctx, codes)
    if contract is not None:
        from dataguard.contract._apply import apply_to_findings

        findings = apply_to_findings(findings, contract, prof)
    return ProfileReport(
        prof, findings, targets, tasks, codes, t.to_dict(), time.perf_counter() - start
    )


def _as_contract(contract: Any) -> Any:
    """A Contract from a Contract or a path to its YAML."""
    from dataguard.contract import Contract, load_contract

    return contract if isinstance(contract, Contract) else load_contract(contract)
