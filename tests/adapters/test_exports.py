"""Exports of a contract to pandera and Great Expectations judge like ``dataguard validate``.

The acceptance test of the exports: on a corpus of good and bad frames, the verdicts of
dataguard, the exported pandera schema (the script ``dataguard export --to pandera`` writes,
executed) and the exported Great Expectations suite (the JSON ``--to great-expectations``
writes, loaded back) agree clause by clause, for every clause type: dtype, nullability,
range, allowed set, uniqueness, row count, mean, std, required and extra columns.

A verdict is the set of violated ``(clause, column)`` pairs. Two documented rules shape the
comparison (module docstrings of ``dataguard.adapters.pandera`` and ``.great_expectations``):

* a tool is compared on the pairs its export checks (Great Expectations cannot check a text
  dtype; ``untranslated`` says so, and a test pins that);
* dataguard checks nothing else on a column of the wrong type family or on an absent column,
  so other clauses of those columns are not compared; there the tools may report a check that
  could not run (pandera's CHECK_ERROR, a Great Expectations exception), and only there.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pytest
from pandera.errors import SchemaErrors
from typer.testing import CliRunner

from dataguard.adapters._clauses import checked_clauses
from dataguard.adapters.pandera import dtype_family, to_pandera, to_pandera_script, untranslated
from dataguard.cli import app
from dataguard.contract import Contract
from dataguard.io._frames import frame_to_table
from dataguard.validation import dtype_family as arrow_family
from dataguard.validation import validate

Pair = tuple[str, str | None]  # (clause type, column; None for the dataset)

runner = CliRunner()

#: GX imports the deprecated sre_constants / sre_parse modules (its file-path data connector).
pytestmark = pytest.mark.filterwarnings(
    "ignore:module 'sre_(constants|parse)' is deprecated:DeprecationWarning"
)

CONTRACT: dict[str, Any] = {
    "dataguard": 1,
    "name": "houses",
    "dataset": {"rows": {"min": 100, "max": 1000}, "extra_columns": "forbid"},
    "columns": {
        "price": {
            "dtype": "double",
            "nullable": False,
            "range": {"min": 0, "max": 1000},
            "mean": {"min": 90, "max": 110},
            "std": {"min": 10, "max": 20},
        },
        "rooms": {
            "dtype": "int64",
            "nullable": False,
            "range": {"min": 1, "max": 10},
            "levels": [1, 2, 3, 4, 5, 6],
        },
        "city": {"dtype": "string", "nullable": False, "levels": ["Lyon", "Nice", "Paris"]},
        "id": {"dtype": "int64", "role": "key", "nullable": False, "unique": True},
        "score": {"dtype": "double", "max_null_fraction": 0.1, "range": {"min": 0, "max": 1}},
    },
}


def _base() -> pd.DataFrame:
    """300 rows: price ~ N(100, 15) in [55, 145]; 5% of score missing."""
    rng = np.random.default_rng(7)
    n = 300
    score = rng.uniform(0, 1, n)
    score[rng.choice(n, 15, replace=False)] = np.nan
    return pd.DataFrame(
        {
            "price": np.clip(rng.normal(100, 15, n), 55, 145),
            "rooms": rng.integers(1, 7, n),
            "city": rng.choice(["Lyon", "Nice", "Paris"], n),
            "id": np.arange(n),
            "score": score,
        }
    )


def _set(column: str, rows: list[int], value: Any) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def edit(df: pd.DataFrame) -> pd.DataFrame:
        df = df.copy()
        if value is None and df[column].dtype.kind in "iu":
            df[column] = df[column].astype("Int64")
        if isinstance(value, str) and df[column].dtype.kind == "f":
            df[column] = df[column].astype(object)
        df.loc[rows, column] = value
        return df

    return edit


def _scale_price(factor: float) -> Callable[[pd.DataFrame], pd.DataFrame]:
    return lambda df: df.assign(price=100 + (df["price"] - 100) * factor)


def _score_with_none(df: pd.DataFrame, dtype: str) -> pd.DataFrame:
    values = [None if np.isnan(v) else float(v) for v in df["score"]]
    return df.assign(score=pd.Series(values, dtype=dtype))


def _score_nulls_at_limit(df: pd.DataFrame) -> pd.DataFrame:
    """Exactly 10% of score missing: max_null_fraction 0.1 is inclusive."""
    score = df["score"].copy()
    score[score.notna().to_numpy().nonzero()[0][: 30 - int(score.isna().sum())]] = np.nan
    return df.assign(score=score)


def _at_bounds(df: pd.DataFrame) -> pd.DataFrame:
    """Values at the inclusive range bounds, and 100 rows (the minimum)."""
    df = df.iloc[:100].copy()
    df.loc[[0, 1], "score"] = [0.0, 1.0]
    df.loc[[2, 3], "rooms"] = [1, 6]
    return df


def _sample_std_just_above_max(df: pd.DataFrame) -> pd.DataFrame:
    """Sample std (ddof=1) 20.02 > 20, population std (ddof=0) 19.99 < 20: the three agree
    only if they use the same definition."""
    x = df["price"]
    return df.assign(price=x.mean() + (x - x.mean()) * (20.02 / x.std(ddof=1)))


@dataclass(frozen=True)
class Variant:
    name: str
    make: Callable[[pd.DataFrame], pd.DataFrame]
    violates: frozenset[Pair]


def _v(name: str, make: Callable[[pd.DataFrame], pd.DataFrame], *violates: Pair) -> Variant:
    return Variant(name, make, frozenset(violates))


CORPUS = [
    # clean frames, in the representations pandas offers
    _v("clean", lambda df: df),
    _v("clean-shuffled", lambda df: df.sample(frac=1.0, random_state=1).reset_index(drop=True)),
    _v("clean-150-rows", lambda df: df.iloc[:150]),
    _v("clean-rooms-Int64", lambda df: df.astype({"rooms": "Int64"})),
    _v("clean-rooms-int32", lambda df: df.astype({"rooms": "int32"})),
    _v("clean-price-float32", lambda df: df.astype({"price": "float32"})),
    _v("clean-price-whole-int64", lambda df: df.assign(price=df["price"].round().astype("int64"))),
    _v("clean-city-object", lambda df: df.astype({"city": object})),
    _v("clean-city-category", lambda df: df.astype({"city": "category"})),
    _v("clean-score-None-float64", lambda df: _score_with_none(df, "float64")),
    _v("clean-score-None-object", lambda df: _score_with_none(df, "object")),
    _v("clean-id-Int64", lambda df: df.astype({"id": "Int64"})),
    _v("clean-score-nulls-at-limit", _score_nulls_at_limit),
    _v("clean-at-bounds-100-rows", _at_bounds),
    # one clause violated
    _v("dtype-rooms-float", lambda df: df.astype({"rooms": "float64"}), ("dtype", "rooms")),
    _v("dtype-price-text", lambda df: df.astype({"price": str}), ("dtype", "price")),
    _v("nulls-price-NaN", _set("price", [3, 40, 41], np.nan), ("nulls", "price")),
    _v("nulls-price-None", _set("price", [3, 40, 41], None), ("nulls", "price")),
    _v("nulls-city-None", _set("city", [0, 9], None), ("nulls", "city")),
    _v("nulls-score-share", _set("score", list(range(0, 300, 3)), np.nan), ("nulls", "score")),
    _v("nulls-id-two-NA-no-repeat", _set("id", [5, 6], None), ("nulls", "id")),
    _v("range-score-high", _set("score", [11], 1.5), ("range", "score")),
    _v("levels-rooms-seven", _set("rooms", [2, 4], 7), ("levels", "rooms")),
    _v("levels-city-unknown", _set("city", [8], "Marseille"), ("levels", "city")),
    _v("unique-id-repeat", _set("id", [5], 4), ("unique", "id")),
    _v("rows-too-few", lambda df: df.iloc[:60], ("rows", None)),
    _v("mean-price-shift", lambda df: df.assign(price=df["price"] + 15), ("mean", "price")),
    _v("std-price-wide", _scale_price(1.6), ("std", "price")),
    _v("std-price-narrow", _scale_price(0.5), ("std", "price")),
    _v("std-price-ddof1-just-above", _sample_std_just_above_max, ("std", "price")),
    _v("missing-rooms", lambda df: df.drop(columns="rooms"), ("missing", "rooms")),
    _v("extra-column", lambda df: df.assign(note="x"), ("extra", None)),
    # two clauses violated
    _v(
        "range+levels-rooms-zero",
        _set("rooms", [1, 2, 3], 0),
        ("range", "rooms"),
        ("levels", "rooms"),
    ),
    _v(
        "rows+unique-stacked",
        lambda df: pd.concat([df] * 4, ignore_index=True),
        ("rows", None),
        ("unique", "id"),
    ),
    _v(
        "nulls+mean-price",
        lambda df: _set("price", [7], np.nan)(df.assign(price=df["price"] + 15)),
        ("nulls", "price"),
        ("mean", "price"),
    ),
    _v(
        "levels+nulls-city",
        lambda df: _set("city", [1], None)(_set("city", [2], "Marseille")(df)),
        ("levels", "city"),
        ("nulls", "city"),
    ),
]

CLAUSE_TYPES = {"dtype", "nulls", "range", "levels", "unique", "rows", "mean", "std"}
_DG_CODES = {
    "DG302": "dtype",
    "DG303": "range",
    "DG304": "nulls",
    "DG305": "levels",
    "DG306": "unique",
    "DG307": "rows",
}
_PANDERA_CHECKS = {
    "dtype_family_in": "dtype",
    "null_fraction_at_most": "nulls",
    "values_between": "range",
    "values_in": "levels",
    "unique_values": "unique",
    "mean_between": "mean",
    "std_between": "std",
    "rows_between": "rows",
}
_GE_TYPES = {
    "expect_column_to_exist": "missing",
    "expect_column_values_to_be_in_type_list": "dtype",
    "expect_column_values_to_not_be_null": "nulls",
    "expect_column_values_to_be_between": "range",
    "expect_column_values_to_be_in_set": "levels",
    "expect_column_values_to_be_unique": "unique",
    "expect_column_mean_to_be_between": "mean",
    "expect_column_stdev_to_be_between": "std",
    "expect_table_row_count_to_be_between": "rows",
    "expect_table_columns_to_match_set": "extra",
}


# -- the three judges ------------------------------------------------------------------------
def dataguard_verdict(frame: pd.DataFrame, contract: Contract) -> set[Pair]:
    out: set[Pair] = set()
    for f in validate(frame, contract).findings:
        column = f.columns[0] if f.columns else None
        if f.code == "DG301":
            known = [c for c in f.columns if c in contract.columns]
            out |= {("missing", c) for c in known} if known else {("extra", None)}
        elif f.code == "DG308" and f.evidence.get("clause") in ("mean", "std"):
            out.add((str(f.evidence["clause"]), column))
        elif f.code in _DG_CODES:
            out.add((_DG_CODES[f.code], column))
    return out


def dataguard_checks(contract: Contract) -> set[Pair]:
    """The pairs ``dataguard validate`` checks (all clause types of the contract)."""
    names = {"nullable": "nulls", "max_null_fraction": "nulls", "required": "missing"}
    out: set[Pair] = {("rows", None), ("extra", None)}
    for name, col in contract.columns.items():
        out |= {(names.get(k, k), name) for k in checked_clauses(col)}
    return out


def pandera_verdict(schema: pa.DataFrameSchema, frame: pd.DataFrame) -> tuple[set[Pair], set[Pair]]:
    """(failed pairs, pairs whose check could not run)."""
    try:
        schema.validate(frame, lazy=True)
    except SchemaErrors as exc:
        failed: set[Pair] = set()
        errored: set[Pair] = set()
        for err in exc.schema_errors:
            reason = err.reason_code.name
            column = err.schema.name if isinstance(err.schema, pa.Column) else None
            if reason == "COLUMN_NOT_IN_DATAFRAME":
                failed.add(("missing", str(err.failure_cases)))
            elif reason == "COLUMN_NOT_IN_SCHEMA":
                failed.add(("extra", None))
            elif reason == "SERIES_CONTAINS_NULLS":
                failed.add(("nulls", column))
            elif reason == "CHECK_ERROR":
                errored.add((_PANDERA_CHECKS[err.check.name], column))
            else:
                assert reason == "DATAFRAME_CHECK", reason
                failed.add((_PANDERA_CHECKS[err.check.name], column))
        return failed, errored
    return set(), set()


def pandera_checks(schema: pa.DataFrameSchema) -> set[Pair]:
    out: set[Pair] = {(_PANDERA_CHECKS[c.name], None) for c in schema.checks}
    out |= {("extra", None)} if schema.strict else set()
    for name, col in schema.columns.items():
        out |= {(_PANDERA_CHECKS[c.name], name) for c in col.checks}
        out |= {("nulls", name)} if not col.nullable else set()
        out |= {("missing", name)} if col.required else set()
    return out


def _raised(result: Any) -> bool:
    info = result.exception_info
    if info.get("raised_exception"):
        return True
    return any(isinstance(v, dict) and v.get("raised_exception") for v in info.values())


def ge_verdict(
    batch_definition: Any, suite: Any, frame: pd.DataFrame
) -> tuple[set[Pair], set[Pair]]:
    """(failed pairs, pairs whose expectation raised)."""
    result = batch_definition.get_batch(batch_parameters={"dataframe": frame}).validate(suite)
    failed: set[Pair] = set()
    errored: set[Pair] = set()
    for r in result.results:
        pair = (_GE_TYPES[r.expectation_config.type], r.expectation_config.kwargs.get("column"))
        if _raised(r):
            errored.add(pair)
        elif not r.success:
            mismatched = r.result.get("details", {}).get("mismatched", {})
            if pair[0] == "extra" and not mismatched.get("unexpected"):
                continue  # only absent columns: expect_column_to_exist reports them
            failed.add(pair)
    return failed, errored


def ge_checks(suite: Any) -> set[Pair]:
    return {(_GE_TYPES[e.expectation_type], getattr(e, "column", None)) for e in suite.expectations}


# -- fixtures --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def contract() -> Contract:
    return Contract.model_validate(CONTRACT)


@pytest.fixture(scope="module")
def exported_schema(contract: Contract) -> pa.DataFrameSchema:
    """The schema the exported pandera script builds."""
    scope: dict[str, Any] = {}
    exec(compile(to_pandera_script(contract), "<exported schema>", "exec"), scope)
    schema: pa.DataFrameSchema = scope["schema"]
    return schema


@pytest.fixture(scope="module")
def gx_batch_definition() -> Iterator[Any]:
    """A pandas whole-dataframe batch definition on one ephemeral GX context (slow to start)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GX_ANALYTICS_ENABLED", "False")
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        context = gx.get_context(mode="ephemeral")
        context.variables.progress_bars = ProgressBarsConfig(globally=False)
        source = context.data_sources.add_pandas("pandas")
        yield source.add_dataframe_asset("frame").add_batch_definition_whole_dataframe("whole")


@pytest.fixture(scope="module")
def exported_suite(contract: Contract, gx_batch_definition: Any) -> Any:
    """The suite of the exported JSON, loaded back."""
    from great_expectations.core import ExpectationSuite

    from dataguard.adapters.great_expectations import to_great_expectations

    doc = json.loads(json.dumps(to_great_expectations(contract).to_json_dict()))
    return ExpectationSuite(**doc)


# -- the acceptance test ---------------------------------------------------------------------
def test_corpus_covers_every_clause_type() -> None:
    assert len(CORPUS) >= 20
    assert len({v.name for v in CORPUS}) == len(CORPUS)
    violated = {clause for v in CORPUS for clause, _ in v.violates}
    assert violated >= CLAUSE_TYPES | {"missing", "extra"}
    assert sum(not v.violates for v in CORPUS) >= 10
    assert sum(len(v.violates) == 2 for v in CORPUS) >= 4


@pytest.mark.parametrize("variant", CORPUS, ids=[v.name for v in CORPUS])
def test_three_verdicts_agree_clause_by_clause(
    variant: Variant,
    contract: Contract,
    exported_schema: pa.DataFrameSchema,
    exported_suite: Any,
    gx_batch_definition: Any,
) -> None:
    frame = variant.make(_base())
    dg = dataguard_verdict(frame, contract)
    assert dg == variant.violates, "the corpus frame does not violate what it is meant to"

    # dataguard checks nothing else on a column of the wrong type or an absent one
    stopped = {c for clause, c in dg if clause in ("dtype", "missing")}

    def compared(pairs: set[Pair], checked: set[Pair]) -> set[Pair]:
        return {
            (clause, c)
            for clause, c in pairs & checked
            if c not in stopped or clause in ("dtype", "missing")
        }

    pa_failed, pa_errored = pandera_verdict(exported_schema, frame)
    ge_failed, ge_errored = ge_verdict(gx_batch_definition, exported_suite, frame)
    pa_checked, ge_checked = pandera_checks(exported_schema), ge_checks(exported_suite)

    assert compared(pa_failed, pa_checked) == compared(dg, pa_checked), "pandera disagrees"
    assert compared(ge_failed, ge_checked) == compared(dg, ge_checked), "GX disagrees"
    # checks that could not run, and failures not compared, only where dataguard stopped
    for pairs in (pa_errored, ge_errored, pa_failed - compared(pa_failed, pa_checked)):
        assert {c for _, c in pairs} <= stopped, pairs
    assert {c for _, c in ge_failed - compared(ge_failed, ge_checked)} <= stopped


def test_exports_check_every_clause_dataguard_checks(
    contract: Contract, exported_schema: pa.DataFrameSchema, exported_suite: Any
) -> None:
    """pandera checks all of them; GX all but the text dtype, which untranslated names."""
    every = dataguard_checks(contract)
    assert pandera_checks(exported_schema) == every
    assert ge_checks(exported_suite) == every - {("dtype", "city")}
    assert untranslated(contract, "pandera") == []
    assert untranslated(contract, "great_expectations") == [
        "city: dtype string (Great Expectations cannot name pandas' default str dtype in a "
        "type list)"
    ]


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")  # GX: std of inf
def test_infinity_is_the_documented_mean_std_difference(
    contract: Contract,
    exported_schema: pa.DataFrameSchema,
    exported_suite: Any,
    gx_batch_definition: Any,
) -> None:
    """dataguard and pandera take mean and std over finite values; GX over all of them."""
    frame = _set("price", [0], np.inf)(_base())
    assert dataguard_verdict(frame, contract) == {("range", "price")}
    assert pandera_verdict(exported_schema, frame) == ({("range", "price")}, set())
    failed, errored = ge_verdict(gx_batch_definition, exported_suite, frame)
    assert failed == {("range", "price"), ("mean", "price"), ("std", "price")}
    assert errored == set()


def test_null_share_at_the_limit_passes_in_all_three(gx_batch_definition: Any) -> None:
    """59 nulls in 1,000 rows against 0.059: 1 - 0.059 rounds above 941 / 1000, so a plain
    ``mostly = 1 - limit`` would fail the frame that dataguard passes."""
    from dataguard.adapters.great_expectations import to_great_expectations

    c = Contract.model_validate({"dataguard": 1, "columns": {"x": {"max_null_fraction": 0.059}}})
    x = np.arange(1000.0)
    for k, verdict in ((59, set()), (60, {("nulls", "x")})):
        x[:k] = np.nan
        frame = pd.DataFrame({"x": x})
        assert dataguard_verdict(frame, c) == verdict
        assert pandera_verdict(to_pandera(c), frame) == (verdict, set())
        assert ge_verdict(gx_batch_definition, to_great_expectations(c), frame) == (verdict, set())


def test_script_builds_the_schema_of_to_pandera(
    contract: Contract, exported_schema: pa.DataFrameSchema
) -> None:
    built = to_pandera(contract)
    assert contract.to_pandera().columns.keys() == built.columns.keys()
    assert (exported_schema.strict, exported_schema.name) == (built.strict, built.name)
    assert [c.name for c in exported_schema.checks] == [c.name for c in built.checks]
    for name, col in built.columns.items():
        other = exported_schema.columns[name]
        assert (other.nullable, other.required) == (col.nullable, col.required)
        assert [(c.name, c.error) for c in other.checks] == [(c.name, c.error) for c in col.checks]
    for variant in CORPUS:
        frame = variant.make(_base())
        assert pandera_verdict(built, frame) == pandera_verdict(exported_schema, frame)


def test_suite_survives_json(contract: Contract, exported_suite: Any) -> None:
    from dataguard.adapters.great_expectations import to_great_expectations

    suite = contract.to_great_expectations()
    assert suite == to_great_expectations(contract) == exported_suite
    assert suite.meta["dataguard"]["untranslated"] == untranslated(contract, "great_expectations")
    levels = [e for e in suite.expectations if e.expectation_type.endswith("to_be_in_set")]
    assert {e.severity.value for e in levels} == {"warning"}  # DG305 is a warning


# -- dtype families --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "series",
    [
        pd.Series([1.5, None]),
        pd.Series([1.5], dtype="Float64"),
        pd.Series([1.5], dtype="float32"),
        pd.Series([1, 2]),
        pd.Series([1, None], dtype="Int64"),
        pd.Series([1], dtype="uint8"),
        pd.Series(["a", None]),
        pd.Series(["a"], dtype=object),
        pd.Series(["a"], dtype="string[python]"),
        pd.Series(["a", "b"], dtype="category"),
        pd.Series([1, 2], dtype="category"),
        pd.Series([True, False]),
        pd.Series([True, None], dtype="boolean"),
        pd.Series([True, None], dtype=object),
        pd.Series([1, None], dtype=object),
        pd.Series([1, 2.5], dtype=object),
        pd.Series([None, None], dtype=object),
        pd.Series(pd.to_datetime(["2024-01-01"])),
        pd.Series(pd.to_datetime(["2024-01-01"]).tz_localize("UTC")),
        pd.Series(pd.to_timedelta([1], unit="s")),
        pd.Series([b"x"], dtype=object),
        pd.Series([1, 2], dtype="int64[pyarrow]"),
        pd.Series(["a"], dtype="large_string[pyarrow]"),
        pd.Series(pd.to_datetime(["2024-01-01"]).date, dtype=object),
    ],
    ids=lambda s: (
        str(s.dtype) + ("-" + type(s.dropna().iloc[0]).__name__ if s.notna().any() else "")
    ),
)
def test_pandas_family_is_the_family_of_its_arrow_type(series: pd.Series) -> None:
    arrow = frame_to_table(pd.DataFrame({"x": series})).schema.field("x").type
    assert dtype_family(series) == arrow_family(arrow)


# -- what is not translated --------------------------------------------------------------------
def test_untranslated_names_every_clause_without_counterpart() -> None:
    c = Contract.model_validate(
        {
            "dataguard": 1,
            "dataset": {"extra_columns": "warn"},
            "columns": {
                "price": {
                    "dtype": "double",
                    "reference": {"n": 10, "mean": 1.0, "std": 0.5},
                    "drift": {"psi": 0.3},
                    "semantic": {"sentinels": [-999]},
                },
                "city": {"dtype": "large_string", "levels": ["a"], "ignore": ["DG305", "DG101"]},
                "when": {"dtype": "timestamp[us, tz=UTC]", "range": {"min": 0}},
                "raw": {"role": "ignore", "nullable": False},
                "maybe": {"required": False, "unique": True},
                "blob": {"dtype": "list<item: int64>"},
            },
            "transforms": {"artifact": "t.json"},
        }
    )
    assert untranslated(c, "pandera") == [
        "dataset: extra_columns=warn (pandera has no warning level)",
        "price: semantic (sentinels)",
        "price: reference (drift statistics, DG308)",
        "price: drift (effect-size tolerances, DG308)",
        "city: levels (silenced by ignore DG305)",
        "city: ignore DG101 (silences no exported check)",
        "when: range (not checked by dataguard on a timestamp[us, tz=UTC] column)",
        "raw: role=ignore (dataguard checks nothing on it; nothing exported)",
        "blob: dtype list<item: int64> (no type family that a pandas column can be matched to)",
        "transforms: artifact (transform health, DG309)",
    ]
    ge = untranslated(c, "great_expectations")
    assert ge[0] == (
        "dataset: extra_columns=warn exactly (Great Expectations' exact column set also fails "
        "when the optional columns 'raw', 'maybe' are absent)"
    )
    assert (
        "maybe: required=false (Great Expectations fails the column's expectations when it "
        "is absent)"
    ) in ge
    assert any(line.startswith("city: dtype large_string (Great Expectations") for line in ge)
    assert any(line.startswith("when: dtype timestamp[us, tz=UTC] (Great") for line in ge)
    with pytest.raises(ValueError, match="tool 'dbt' is not known"):
        untranslated(c, "dbt")  # type: ignore[arg-type]


def test_silenced_and_inert_clauses_are_not_exported() -> None:
    c = Contract.model_validate(
        {
            "dataguard": 1,
            "columns": {
                "city": {"dtype": "string", "levels": ["a"], "ignore": ["DG305"]},
                "when": {"dtype": "timestamp[us]", "range": {"min": 0}, "mean": {"max": 1}},
                "raw": {"role": "ignore", "nullable": False, "range": {"min": 0}},
            },
        }
    )
    frame = pd.DataFrame({"city": ["zzz"], "when": pd.to_datetime(["2024-01-01"]), "raw": [None]})
    assert validate(frame, c).findings == []
    to_pandera(c).validate(frame)  # raises if any of them were exported
    assert pandera_checks(to_pandera(c)) == {
        ("missing", "city"),
        ("dtype", "city"),
        ("missing", "when"),
        ("dtype", "when"),
    }


# -- the command line -----------------------------------------------------------------------
def _write_contract(tmp_path: Path, text: str | None = None) -> Path:
    path = tmp_path / "houses.yaml"
    if text is None:
        Contract.model_validate(
            {**CONTRACT, "columns": {**CONTRACT["columns"], "note": {"role": "ignore"}}}
        ).save(path)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_cli_writes_a_pandera_script(tmp_path: Path) -> None:
    path = _write_contract(tmp_path)
    out = tmp_path / "schema.py"
    result = runner.invoke(app, ["export", str(path), "--to", "pandera", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    note = "note: role=ignore (dataguard checks nothing on it; nothing exported)"
    assert result.stderr == f"not translated: {note}\n"
    text = out.read_text(encoding="utf-8")
    assert f"- {note}" in text.split('"""')[1]  # the script's docstring
    scope: dict[str, Any] = {}
    exec(compile(text, str(out), "exec"), scope)
    assert list(scope["schema"].columns) == [*CONTRACT["columns"], "note"]
    scope["schema"].validate(_base().assign(note="x"), lazy=True)


def test_cli_writes_a_suite_as_json_to_stdout(tmp_path: Path) -> None:
    path = _write_contract(tmp_path)
    result = runner.invoke(app, ["export", str(path), "--to", "great-expectations"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["name"] == "houses"
    gaps = doc["meta"]["dataguard"]["untranslated"]
    assert gaps and result.stderr == "".join(f"not translated: {g}\n" for g in gaps)
    assert {e["type"] for e in doc["expectations"]} == set(_GE_TYPES)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda tmp: tmp / "absent.yaml", "absent.yaml: cannot read contract"),
        (
            lambda tmp: _write_contract(tmp, "dataguard: 1\ncolumns: {x: {nulable: false}}\n"),
            "line 2: columns.x.nulable: unknown key",
        ),
        (lambda tmp: _write_contract(tmp, "columns: [\n"), "not valid YAML"),
    ],
    ids=["missing-file", "unknown-key", "bad-yaml"],
)
def test_cli_bad_contract_is_one_line_and_writes_nothing(
    tmp_path: Path, make: Callable[[Path], Path], message: str
) -> None:
    out = tmp_path / "out.json"
    result = runner.invoke(
        app, ["export", str(make(tmp_path)), "--to", "great-expectations", "-o", str(out)]
    )
    assert result.exit_code == 2
    assert result.stderr.startswith("dataguard: error: ") and message in result.stderr
    assert result.stderr.count("\n") == 1
    assert not out.exists()


@pytest.mark.parametrize(
    ("target", "module", "hint"),
    [
        ("pandera", "pandera", "pip install 'dataguard[pandera]'"),
        ("great-expectations", "great_expectations", "pip install 'dataguard[ge]'"),
    ],
)
def test_cli_missing_extra_names_its_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, target: str, module: str, hint: str
) -> None:
    path = _write_contract(tmp_path)
    out = tmp_path / "out.txt"
    adapter = "dataguard.adapters." + module
    monkeypatch.delitem(sys.modules, adapter, raising=False)
    for name in [m for m in sys.modules if m == module or m.startswith(module + ".")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, module, None)  # import -> ImportError
    result = runner.invoke(app, ["export", str(path), "--to", target, "-o", str(out)])
    assert result.exit_code == 2
    assert result.stderr.startswith("dataguard: error: ") and hint in result.stderr
    assert result.stderr.count("\n") == 1
    assert not out.exists()


def test_cli_missing_output_folder(tmp_path: Path) -> None:
    path = _write_contract(tmp_path)
    out = tmp_path / "no" / "schema.py"
    result = runner.invoke(app, ["export", str(path), "--to", "pandera", "-o", str(out)])
    assert result.exit_code == 2
    assert result.stderr == f"dataguard: error: {out}: folder {out.parent} does not exist\n"


def test_cli_help_explains_the_script_choice() -> None:
    result = runner.invoke(app, ["export", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "pandera's YAML" in result.stdout and "ExpectationSuite" in result.stdout
