"""``dataguard compare``: is one split a fair judge of a model trained on another?

Seed reason 2: judge the network on data it has never seen. Two checks, two codes:

* **DG121 split drift** (warning), per common column, as effect sizes with noise-aware limits
  (:mod:`dataguard.validation._drift`): both splits are profiled (``dataguard.profile``); the
  reference's deciles (numpy quantiles of its row sample, every row up to 2^17) cut the line
  into bins, and one streaming pass over each split counts its finite values per bin and at
  the KS points (the deciles and the reference histogram's edges). Numeric: PSI over the
  decile bins (against the reference's own bin shares, which are 10% each unless values tie),
  KS distance at those points and the mean shift in standard deviations (the two splits'
  pooled, as in Cohen's d, so that one extreme value cannot fire it alone).
  Categorical: Jensen-Shannon distance and PSI over the reference's 50 most frequent levels
  plus "other", both sides counted exactly. No p-values.
* **DG122 split leakage** (error): rows present in both splits (64-bit hashes of every
  common column; floats compared by value, so ``1`` equals ``1.0`` and ``-0.0`` equals
  ``0.0``, null equals NaN), entities (``key``) present in both, and, with ``target``,
  identical inputs (every common column but the target and the key) that carry different
  labels, across the splits and within each. Hash collisions (probability ~ n^2 / 2^65)
  are ignored, as in the profile's duplicate count.

Not compared: columns absent from either split (``dataguard validate`` reports them),
temporal and nested columns (no drift measure yet; they still enter the row hashes), the
``key`` column (entities differ by design when splitting by entity), and text columns with
more than 90% distinct values (identifiers: their level shares say nothing).

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(0)
>>> df = pd.DataFrame({"x": rng.normal(size=2000), "y": rng.integers(0, 2, 2000)})
>>> report = compare(df.iloc[:1000], df.iloc[1000:])
>>> report.ok, [f.code for f in report.findings]
(True, [])
>>> shifted = df.iloc[1000:].assign(x=lambda d: d.x + 1.0)
>>> [f.code for f in compare(df.iloc[:1000], shifted).findings]
['DG121']
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from dataguard._version import __version__
from dataguard.contract._model import DriftTolerance
from dataguard.errors import InputError
from dataguard.findings import Finding, FindingsVerdict, json_safe
from dataguard.io import Source, open_source
from dataguard.profile import ColumnProfile, column_words
from dataguard.profile._accumulators import column_kind
from dataguard.profile._arrow import to_float64
from dataguard.profile._math import U64Array, splitmix64
from dataguard.report import ProfileReport
from dataguard.rules._measures import fmt
from dataguard.rules.contract import DG121, DG122
from dataguard.validation._drift import DriftResult, categorical_drift, numeric_drift, psi

__all__ = ["SCHEMA_VERSION", "CompareReport", "compare"]

#: Version of the JSON document ``CompareReport.to_dict()`` returns.
SCHEMA_VERSION = "1.0"

_DECILES = tuple(round(0.1 * i, 1) for i in range(1, 10))
#: Reference levels whose shares are compared (the rest are "other").
_TOP_LEVELS = 50
#: Text columns with more distinct values than this share of their values are identifiers.
_ID_SHARE = 0.9
#: Example rows, entities or label groups quoted in a finding's evidence.
_EXAMPLES = 5
_NULL_WORD = np.uint64(0x6A09E667F3BCC908)
_MUL = np.uint64(0x100000001B3)

_MEASURE_TEXT = {
    "psi": "PSI {v} (limit {lim})",
    "ks": "KS {v} (limit {lim})",
    "js": "JS distance {v} (limit {lim})",
    "mean_z": "mean shifted by {v} std (limit {lim})",
}


# -- the report -------------------------------------------------------------------------------
@dataclass
class CompareReport(FindingsVerdict):
    """Two splits compared: drift per column (DG121) and leakage between them (DG122).

    Mirrors :class:`~dataguard.ProfileReport`: ``ok``, ``findings``, ``at_or_above``,
    ``raise_if_failed``, ``exit_code`` and ``to_dict``.

    Examples
    --------
    >>> import pandas as pd
    >>> train = pd.DataFrame({"id": [1, 2, 3], "x": [0.1, 0.2, 0.3]})
    >>> valid = pd.DataFrame({"id": [3, 4], "x": [0.3, 0.5]})
    >>> report = compare(train, valid, key="id")
    >>> report.ok, [f.code for f in report.findings]
    (False, ['DG122', 'DG122'])
    >>> report.exit_code()
    1
    """

    reference: str
    other: str
    n_reference: int
    n_other: int
    columns: list[str]
    findings: list[Finding]
    key: str | None = None
    target: str | None = None
    drift: dict[str, dict[str, Any]] = field(default_factory=dict)
    leakage: dict[str, Any] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    elapsed_s: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """The JSON document (``schema_version`` :data:`SCHEMA_VERSION`)."""
        counts = self.severity_counts()
        doc: dict[str, Any] = json_safe(
            {
                "schema_version": SCHEMA_VERSION,
                "dataguard_version": __version__,
                "reference": {"source": self.reference, "n_rows": self.n_reference},
                "other": {"source": self.other, "n_rows": self.n_other},
                "key": self.key,
                "target": self.target,
                "columns": self.columns,
                "summary": counts,
                "findings": [f.to_dict() for f in self.findings],
                "drift": self.drift,
                "leakage": self.leakage,
                "skipped": self.skipped,
                "elapsed_s": round(self.elapsed_s, 3),
            }
        )
        return doc


# -- the entry point --------------------------------------------------------------------------
def compare(
    reference: Any,
    other: Any,
    *,
    key: str | None = None,
    target: str | None = None,
    columns: Sequence[str] | None = None,
) -> CompareReport:
    """Compare a split with the reference it is judged against: drift and leakage.

    Parameters
    ----------
    reference : path or frame
        The training split (a parquet file/directory, CSV, Arrow IPC/Feather file, or a
        pandas, polars or Arrow table).
    other : path or frame
        The validation, test or new data.
    key : str, optional
        Column naming the entity of each row: entities present in both splits are DG122.
    target : str, optional
        Label column: identical inputs with different labels are DG122.
    columns : list of str, optional
        Compare only these columns (``key`` and ``target`` are added); default: every
        column the two splits share.

    Returns
    -------
    CompareReport
        ``.findings`` (DG121 per drifted column, DG122 per kind of leakage), ``.drift``
        (measures and limits per column), ``.leakage``, ``.ok``, ``.raise_if_failed()``.

    Raises
    ------
    InputError
        A split cannot be read, or ``key``, ``target`` or a listed column is not in both.

    Examples
    --------
    >>> import pandas as pd
    >>> a = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "y": [0, 1, 0, 1]})
    >>> b = pd.DataFrame({"x": [2.0, 5.0], "y": [0, 1]})
    >>> r = compare(a, b, target="y")
    >>> [f.message.split(":")[0] for f in r.findings]
    ["Column 'y'"]
    >>> r.leakage["labels"]["across_groups"]
    1
    """
    from dataguard._api import profile
    from dataguard._config import ProjectConfig

    start = time.perf_counter()
    ref_src, oth_src = open_source(reference), open_source(other)
    common = _common_columns(ref_src, oth_src, columns, key, target)
    ref_src, oth_src = ref_src.select(common), oth_src.select(common)
    # Statistics only: no profile rules, and no project settings (they do not apply here).
    ref_prof, oth_prof = (
        profile(data, columns=common, select=[], config=ProjectConfig())
        for data in (reference, other)
    )
    plans, skipped = _plan(ref_prof, oth_prof, common, key)
    modes = _hash_modes(ref_src.schema, oth_src.schema)
    inputs = [c for c in common if c not in (key, target)]
    ref_scan = _Scan(plans, common, inputs, target, key, modes).run(ref_src)
    oth_scan = _Scan(plans, common, inputs, target, key, modes).run(oth_src)
    names = (ref_src.name, oth_src.name)

    report = CompareReport(
        reference=ref_src.name,
        other=oth_src.name,
        n_reference=ref_scan.n_rows,
        n_other=oth_scan.n_rows,
        columns=[c for c in common if c in plans],
        findings=[],
        key=key,
        target=target,
        skipped=skipped,
    )
    for name, plan in plans.items():
        result = _drift(plan, ref_scan, oth_scan, ref_prof.columns[name], oth_prof.columns[name])
        report.drift[name] = {"kind": plan.kind, **result.to_dict()}
        if result.drifted:
            report.findings.append(_drift_finding(name, plan.kind, result, names))
    _leakage(report, ref_scan, oth_scan, names, ref_prof.profile.duplicate_rows)
    report.findings.sort(key=lambda f: (-f.severity, f.code))
    report.elapsed_s = time.perf_counter() - start
    return report


def _common_columns(
    ref: Source,
    oth: Source,
    columns: Sequence[str] | None,
    key: str | None,
    target: str | None,
) -> list[str]:
    """The columns both splits have, in the reference's order (listed ones must exist)."""
    for role, name in (("key", key), ("target", target)):
        if name is None:
            continue
        for src in (ref, oth):
            if name not in src.schema.names:
                raise InputError(
                    f"{src.name}: {role} column {name!r} not found; columns are: "
                    f"{', '.join(src.schema.names[:20])}"
                )
    if columns is not None:
        wanted = list(dict.fromkeys([*columns, *(c for c in (key, target) if c is not None)]))
        for src in (ref, oth):
            missing = [c for c in wanted if c not in src.schema.names]
            if missing:
                raise InputError(
                    f"{src.name}: no column {missing[0]!r}; columns are: "
                    f"{', '.join(src.schema.names[:20])}"
                )
        return [c for c in ref.schema.names if c in wanted]
    other_names = set(oth.schema.names)
    common = [c for c in ref.schema.names if c in other_names]
    if not common:
        raise InputError(
            f"{oth.name}: no column in common with {ref.name}; expected the same columns, "
            f"got {', '.join(oth.schema.names[:10])} vs {', '.join(ref.schema.names[:10])}"
        )
    return common


# -- what to measure --------------------------------------------------------------------------
@dataclass(frozen=True)
class _Plan:
    """How one column's drift is measured: numeric bins and KS points, or levels."""

    kind: str
    edges: tuple[float, ...] = ()  # numeric: the reference's distinct deciles
    points: tuple[float, ...] = ()  # numeric: KS points (deciles and histogram edges)
    levels: tuple[str, ...] = ()  # categorical: the reference's top levels


def _plan(
    ref: ProfileReport, oth: ProfileReport, common: list[str], key: str | None
) -> tuple[dict[str, _Plan], dict[str, str]]:
    plans: dict[str, _Plan] = {}
    skipped: dict[str, str] = {}
    for name in common:
        rc, oc = ref.columns[name], oth.columns[name]
        if name == key:
            skipped[name] = "the key: entities differ by design (DG122 checks them)"
        elif rc.kind != oc.kind:
            skipped[name] = f"profiled as {rc.kind} ({rc.dtype}) vs {oc.kind} ({oc.dtype})"
        elif rc.kind not in ("numeric", "categorical"):
            skipped[name] = f"no drift measure for {rc.dtype} columns"
        elif rc.n_valid == 0 or oc.n_valid == 0:
            skipped[name] = "no valid values on one side"
        elif rc.kind == "numeric":
            plan = _numeric_plan(rc, ref.profile.sample)
            if plan is None:
                skipped[name] = "no finite values in the reference"
            else:
                plans[name] = plan
        elif rc.n_distinct is not None and rc.n_distinct > _ID_SHARE * rc.n_valid:
            skipped[name] = (
                f"identifier-like: {fmt(rc.n_distinct)} distinct of {fmt(rc.n_valid)} values"
            )
        else:
            counts = dict(rc.values or {}) or dict(rc.top or [])
            top = sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))[:_TOP_LEVELS]
            plans[name] = _Plan("categorical", levels=tuple(str(k) for k, _ in top))
    return plans, skipped


def _numeric_plan(col: ColumnProfile, sample: pa.Table) -> _Plan | None:
    deciles: list[float] = []
    if sample.num_rows and col.name in sample.column_names:
        chunks = sample.column(col.name).chunks
        x = np.concatenate([to_float64(ch) for ch in chunks]) if chunks else np.empty(0)
        x = x[np.isfinite(x)]
        if x.size:
            deciles = [float(v) for v in np.quantile(x, _DECILES)]
    if not deciles and col.quantiles:
        deciles = [float(col.q(p)) for p in _DECILES]
    if not deciles:
        return None
    edges = np.unique(np.asarray(deciles, dtype=np.float64))
    hist = (col.histogram or {}).get("edges", [])
    points = np.unique(np.concatenate([edges, np.asarray(hist, dtype=np.float64)]))
    points = points[np.isfinite(points)]
    return _Plan("numeric", edges=tuple(edges.tolist()), points=tuple(points.tolist()))


# -- hashing ----------------------------------------------------------------------------------
def _hash_modes(ref: pa.Schema, oth: pa.Schema) -> dict[str, str]:
    """How each common column becomes words so that equal values match across the splits.

    ``int``: both integer (exact 64-bit words); ``float``: both numeric otherwise (compared
    by value as float64); ``native``: the same kind of text or time; ``text``: anything
    else, by the text of each value.
    """
    modes: dict[str, str] = {}
    for f in ref:
        if f.name not in oth.names:
            continue
        a, b = _value_type(f.type), _value_type(oth.field(f.name).type)
        ka, kb = column_kind(a), column_kind(b)
        if ka == kb == "numeric":
            both_int = pa.types.is_integer(a) and pa.types.is_integer(b)
            modes[f.name] = "int" if both_int else "float"
        elif ka == kb == "categorical" or (ka == kb == "temporal" and a == b):
            modes[f.name] = "native"
        else:
            modes[f.name] = "text"
    return modes


def _value_type(t: pa.DataType) -> pa.DataType:
    return t.value_type if pa.types.is_dictionary(t) else t


def _words(array: pa.Array, mode: str) -> U64Array:
    """One uint64 word per row, equal for equal values; null (and NaN) -> one word."""
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if mode == "float":
        x = to_float64(array) + 0.0  # a copy, and -0.0 becomes 0.0
        return np.where(np.isnan(x), _NULL_WORD, x.view(np.uint64))
    if mode == "text":
        out = np.empty(len(array), dtype=np.uint64)
        for i, v in enumerate(array.to_pylist()):
            digest = hashlib.blake2b(str(v).encode(), digest_size=8).digest()
            out[i] = _NULL_WORD if v is None else int.from_bytes(digest, "little")
        return out
    if pa.types.is_dictionary(array.type) and not pa.types.is_string(array.type.value_type):
        array = array.dictionary_decode()
    return column_words(array)


def _fold(h: U64Array | None, words: U64Array) -> U64Array:
    """Fold one column's words into a running row hash (FNV-style multiply-xor)."""
    if h is None:
        return (words * _MUL) ^ _NULL_WORD
    return (h ^ words) * _MUL


# -- the streaming pass -----------------------------------------------------------------------
class _Scan:
    """One pass over a split: drift counts, row and input hashes, labels, entity keys."""

    def __init__(
        self,
        plans: dict[str, _Plan],
        columns: list[str],
        inputs: list[str],
        target: str | None,
        key: str | None,
        modes: dict[str, str],
    ) -> None:
        self.plans = plans
        self.columns = columns
        self.inputs = inputs
        self.target = target
        self.key = key
        self.modes = modes
        self.n_rows = 0
        self.bins = {n: np.zeros(len(p.edges) + 1, np.int64) for n, p in plans.items()}
        self.below = {n: np.zeros(len(p.points) + 1, np.int64) for n, p in plans.items()}
        self.levels = {n: np.zeros(len(p.levels) + 1, np.int64) for n, p in plans.items()}
        self.row_hashes: list[U64Array] = []
        self.input_hashes: list[U64Array] = []
        self.label_words: list[U64Array] = []
        self.labels: list[pa.Array] = []
        self.keys: list[pa.Array] = []

    def run(self, source: Source) -> _Scan:
        for batch in source.batches():
            self.update(batch)
        return self

    def update(self, batch: pa.RecordBatch) -> None:
        self.n_rows += batch.num_rows
        for name, plan in self.plans.items():
            array = batch.column(name)
            if plan.kind == "numeric":
                self._count_numeric(name, plan, array)
            else:
                self._count_levels(name, plan, array)
        words = {c: _words(batch.column(c), self.modes[c]) for c in self.columns}
        h: U64Array | None = None
        for c in self.columns:
            h = _fold(h, words[c])
        if h is not None:
            self.row_hashes.append(splitmix64(h))
        if self.target is not None:
            g: U64Array | None = None
            for c in self.inputs:
                g = _fold(g, words[c])
            empty = np.zeros(batch.num_rows, np.uint64)
            self.input_hashes.append(splitmix64(g) if g is not None else empty)
            self.label_words.append(words[self.target])
            self.labels.append(batch.column(self.target))
        if self.key is not None:
            self.keys.append(pc.unique(_decoded(batch.column(self.key))))

    def _count_numeric(self, name: str, plan: _Plan, array: pa.Array) -> None:
        x = to_float64(array)
        x = x[np.isfinite(x)]
        if not x.size:
            return
        edges = np.asarray(plan.edges)
        self.bins[name] += np.bincount(np.searchsorted(edges, x, "left"), minlength=edges.size + 1)
        points = np.asarray(plan.points)
        self.below[name] += np.bincount(
            np.searchsorted(points, x, "left"), minlength=points.size + 1
        )

    def _count_levels(self, name: str, plan: _Plan, array: pa.Array) -> None:
        counts = pc.value_counts(_decoded(array))
        index = {lv: i for i, lv in enumerate(plan.levels)}
        out = self.levels[name]
        for value, n in zip(
            counts.field("values").to_pylist(), counts.field("counts").to_pylist(), strict=True
        ):
            if value is not None:
                out[index.get(str(value), len(plan.levels))] += n


def _decoded(array: pa.Array) -> pa.Array:
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    return array.dictionary_decode() if pa.types.is_dictionary(array.type) else array


def _concat(parts: list[U64Array]) -> U64Array:
    return np.concatenate(parts) if parts else np.empty(0, np.uint64)


# -- drift (DG121) ----------------------------------------------------------------------------
def _drift(
    plan: _Plan, ref: _Scan, oth: _Scan, ref_col: ColumnProfile, oth_col: ColumnProfile
) -> DriftResult:
    tolerances = DriftTolerance().model_dump()
    if plan.kind == "categorical":
        ref_counts, oth_counts = ref.levels[ref_col.name], oth.levels[ref_col.name]
        n_ref = int(ref_counts.sum())
        shares = {lv: float(c) / n_ref for lv, c in zip(plan.levels, ref_counts, strict=False)}
        new = {lv: int(c) for lv, c in zip(plan.levels, oth_counts, strict=False)}
        new["\x00other"] = int(oth_counts[-1])  # any name the reference does not list
        return categorical_drift(shares if n_ref else {}, new, n_ref, tolerances)
    ref_bins, oth_bins = ref.bins[ref_col.name], oth.bins[ref_col.name]
    n_ref, m = int(ref_bins.sum()), int(oth_bins.sum())
    if not n_ref or not m:
        return DriftResult()
    ref_cdf = np.cumsum(ref.below[ref_col.name])[:-1] / n_ref
    new_cdf = np.cumsum(oth.below[ref_col.name])[:-1] / m
    result = numeric_drift(
        plan.edges,
        oth_bins,
        n_ref,
        tolerances,
        cdf_points=plan.points,
        ref_cdf=ref_cdf.tolist(),
        new_cdf=new_cdf.tolist(),
        mean_ref=_finite(ref_col.mean),
        std_ref=_pooled_std(ref_col, oth_col),
        mean_new=_finite(oth_col.mean),
    )
    # The PSI against the reference's own bin shares: 10% each unless values tie at a
    # decile (integer codes), when the ideal 10% would flag two halves of the same data.
    result.measures["psi"] = psi(ref_bins / n_ref, oth_bins / m, n_ref, m)
    return result


def _pooled_std(a: ColumnProfile, b: ColumnProfile) -> float | None:
    """The within-split standard deviation of the two splits pooled (as in Cohen's d).

    Not the reference's alone: one extreme value on the other side would then shift the
    mean by "many reference deviations" in two random halves of heavy-tailed data.
    """
    sa, sb = _finite(a.std), _finite(b.std)
    if sa is None or sb is None or not (a.n_valid + b.n_valid):
        return None
    return math.sqrt((a.n_valid * sa * sa + b.n_valid * sb * sb) / (a.n_valid + b.n_valid))


def _finite(x: float | None) -> float | None:
    return x if x is not None and math.isfinite(x) else None


def _drift_finding(name: str, kind: str, result: DriftResult, names: tuple[str, str]) -> Finding:
    parts = [
        _MEASURE_TEXT[k].format(v=f"{result.measures[k]:.3g}", lim=f"{result.limits[k]:.3g}")
        for k in result.drifted
    ]
    ref_name, oth_name = names
    return DG121.finding(
        [name],
        f"Column {name!r}: {oth_name} should be distributed like {ref_name}, but "
        f"{', '.join(parts)}; a model tuned on one split is judged on another "
        "distribution. Split again at random (or by entity and time, consistently), "
        "or reweight",
        {"kind": kind, **result.to_dict(), "tolerances": DriftTolerance().model_dump()},
    )


# -- leakage (DG122) --------------------------------------------------------------------------
def _leakage(
    report: CompareReport, ref: _Scan, oth: _Scan, names: tuple[str, str], ref_dups: int
) -> None:
    rows = _shared_rows(ref, oth)
    rows["reference_duplicate_rows"] = ref_dups
    report.leakage["rows"] = rows
    if rows["other_rows"]:
        report.findings.append(_rows_finding(rows, report.n_other, names))
    if report.key is not None:
        entities = _shared_entities(ref, oth)
        report.leakage["entities"] = entities
        if entities["shared"]:
            report.findings.append(_entities_finding(report.key, entities, names))
    if report.target is not None and ref.inputs:
        labels = _conflicting_labels(ref, oth)
        report.leakage["labels"] = labels
        if labels["groups"]:
            report.findings.append(_labels_finding(report.target, labels, names))


def _shared_rows(ref: _Scan, oth: _Scan) -> dict[str, Any]:
    """Rows of each split with an exact copy in the other, and example pairs."""
    rh, oh = _concat(ref.row_hashes), _concat(oth.row_hashes)
    in_ref = np.isin(oh, rh)
    in_oth = np.isin(rh, oh)
    examples: list[dict[str, int]] = []
    shared = np.flatnonzero(in_ref)[:_EXAMPLES]
    if shared.size:
        order = np.argsort(rh, kind="stable")
        first = order[np.searchsorted(rh[order], oh[shared], "left")]
        examples = [
            {"reference_row": int(i), "other_row": int(j)}
            for i, j in zip(first, shared, strict=True)
        ]
    return {
        "other_rows": int(in_ref.sum()),
        "reference_rows": int(in_oth.sum()),
        "examples": examples,
    }


def _rows_finding(rows: dict[str, Any], n_other: int, names: tuple[str, str]) -> Finding:
    ref_name, oth_name = names
    n = rows["other_rows"]
    ex = rows["examples"][0]
    dups = rows["reference_duplicate_rows"]
    why = (
        f" ({ref_name} repeats {fmt(dups)} of its own rows: if repeats are genuine draws, "
        "split by group of identical rows)"
        if dups
        else ""
    )
    return DG122.finding(
        [],
        f"Splits: {fmt(n)} rows of {oth_name} ({n / max(n_other, 1):.1%}) also appear in "
        f"{ref_name}, e.g. row {fmt(ex['other_row'])} = reference row "
        f"{fmt(ex['reference_row'])}; expected none, or the model is scored on rows it "
        f"trained on. Deduplicate before splitting{why}",
        rows,
        {"action": "deduplicate-then-split"},
    )


def _shared_entities(ref: _Scan, oth: _Scan) -> dict[str, Any]:
    """Entities (distinct non-null keys) present in both splits."""
    ref_keys, oth_keys = _distinct(ref.keys), _distinct(oth.keys)
    if ref_keys.type != oth_keys.type:
        try:
            oth_keys = oth_keys.cast(ref_keys.type)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            ref_keys, oth_keys = ref_keys.cast(pa.string()), oth_keys.cast(pa.string())
    shared = oth_keys.filter(pc.is_in(oth_keys, value_set=ref_keys))
    return {
        "shared": len(shared),
        "reference_entities": len(ref_keys),
        "other_entities": len(oth_keys),
        "examples": shared.slice(0, _EXAMPLES).to_pylist(),
    }


def _distinct(parts: list[pa.Array]) -> pa.Array:
    if not parts:
        return pa.array([], pa.null())
    types = {p.type for p in parts}
    if len(types) > 1:
        parts = [p.cast(pa.string()) for p in parts]
    return pc.unique(pa.chunked_array(parts).combine_chunks()).drop_null()


def _entities_finding(key: str, entities: dict[str, Any], names: tuple[str, str]) -> Finding:
    ref_name, oth_name = names
    n, total = entities["shared"], entities["other_entities"]
    shown = ", ".join(repr(v) for v in entities["examples"][:3])
    return DG122.finding(
        [key],
        f"Column {key!r}: {fmt(n)} of the {fmt(total)} entities of {oth_name} "
        f"({n / max(total, 1):.1%}) also appear in {ref_name}, e.g. {shown}; expected "
        "disjoint entities, or the model is scored on entities it memorised. Split by "
        f"entity ({key!r})",
        entities,
        {"action": "split-by-entity", "key": key},
    )


def _conflicting_labels(ref: _Scan, oth: _Scan) -> dict[str, Any]:
    """Groups of identical inputs whose rows carry more than one label.

    One sort by (input hash, side, label); rows with a missing label are left out.
    """
    h = np.concatenate([_concat(ref.input_hashes), _concat(oth.input_hashes)])
    lab = np.concatenate([_concat(ref.label_words), _concat(oth.label_words)])
    n_ref = sum(a.size for a in ref.input_hashes)
    side = np.r_[np.zeros(n_ref, np.int8), np.ones(h.size - n_ref, np.int8)]
    row = np.r_[np.arange(n_ref), np.arange(h.size - n_ref)]
    keep = lab != _NULL_WORD
    h, lab, side, row = h[keep], lab[keep], side[keep], row[keep]
    order = np.lexsort((lab, side, h))
    h, lab, side, row = h[order], lab[order], side[order], row[order]
    groups = _Groups(h, lab, side)
    within_ref = groups.n_labels[0] > 1
    within_oth = groups.n_labels[1] > 1
    both = (groups.present[0] > 0) & (groups.present[1] > 0)
    across = both & (within_ref | within_oth | (groups.first_label[0] != groups.first_label[1]))
    bad = np.flatnonzero(across | within_ref | within_oth)
    ranked = np.r_[np.flatnonzero(across), np.flatnonzero(~across & (within_ref | within_oth))]
    examples = [_label_example(g, groups, side, row, ref, oth) for g in ranked[:_EXAMPLES]]
    return {
        "groups": int(bad.size),
        "rows": int(np.isin(groups.gid, bad).sum()),
        "across_groups": int(across.sum()),
        "within_reference_groups": int(within_ref.sum()),
        "within_other_groups": int(within_oth.sum()),
        "examples": examples,
    }


class _Groups:
    """Per group of equal input hashes (rows sorted by hash, side, label): distinct labels
    and rows on each side, and each side's first label and first position."""

    def __init__(self, h: U64Array, lab: U64Array, side: npt.NDArray[np.int8]) -> None:
        n = h.size
        new_h = np.r_[True, h[1:] != h[:-1]] if n else np.empty(0, bool)
        new_s = new_h | np.r_[True, side[1:] != side[:-1]] if n else new_h
        new_l = new_s | np.r_[True, lab[1:] != lab[:-1]] if n else new_h
        self.gid = np.cumsum(new_h) - 1
        self.starts = np.flatnonzero(new_h)
        k = self.starts.size
        self.n_labels = [
            np.bincount(self.gid, weights=new_l & (side == s), minlength=k) for s in (0, 1)
        ]
        self.present = [np.bincount(self.gid, weights=side == s, minlength=k) for s in (0, 1)]
        self.first_pos: list[npt.NDArray[np.int64]] = []
        self.first_label: list[U64Array] = []
        for s in (0, 1):
            pos = np.full(k, -1, np.int64)
            seg = np.flatnonzero(new_s & (side == s))
            pos[self.gid[seg]] = seg
            self.first_pos.append(pos)
            self.first_label.append(np.where(pos >= 0, lab[np.maximum(pos, 0)], _NULL_WORD))


def _label_example(
    g: int,
    groups: _Groups,
    side: npt.NDArray[np.int8],
    row: npt.NDArray[np.int64],
    ref: _Scan,
    oth: _Scan,
) -> dict[str, Any]:
    end = groups.starts[g + 1] if g + 1 < groups.starts.size else side.size
    members = np.arange(groups.starts[g], end)
    out: dict[str, Any] = {}
    for s, scan, name in ((0, ref, "reference"), (1, oth, "other")):
        idx = row[members[side[members] == s]][:_EXAMPLES]
        if not idx.size:
            continue
        values = pa.chunked_array(scan.labels).take(pa.array(idx)).to_pylist()
        out[f"{name}_rows"] = [int(i) for i in idx]
        out[f"{name}_labels"] = values
    return out


def _labels_finding(target: str, labels: dict[str, Any], names: tuple[str, str]) -> Finding:
    ref_name, oth_name = names
    ex = labels["examples"][0]
    sides = [
        f"{name} row {ex[f'{s}_rows'][i]} has {target}={ex[f'{s}_labels'][i]!r}"
        for s, name in (("reference", ref_name), ("other", oth_name))
        if f"{s}_rows" in ex
        for i in range(min(2, len(ex[f"{s}_rows"])))
    ]
    return DG122.finding(
        [target],
        f"Column {target!r}: {fmt(labels['groups'])} groups of identical inputs carry "
        f"different labels ({fmt(labels['across_groups'])} across the splits, "
        f"{fmt(labels['within_reference_groups'])} within {ref_name}, "
        f"{fmt(labels['within_other_groups'])} within {oth_name}), e.g. "
        f"{', '.join(sides)}; expected one label per input, or the loss has a floor no "
        "model can pass. Resolve the labels, or add the feature that tells them apart",
        labels,
        {"action": "resolve-labels"},
    )
