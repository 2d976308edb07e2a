"""``dataguard.validate``: each contract clause, on clean data and on corrupted copies."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import dataguard
from dataguard import Severity
from dataguard.contract import Contract
from dataguard.errors import ConfigError, InputError
from dataguard.validation import ValidationReport, validate

from ._helpers import N, inferred, replace, train_table, write


@pytest.fixture
def train(tmp_path: Path) -> Path:
    return write(train_table(), tmp_path / "train.parquet")


def codes(report: ValidationReport) -> set[str]:
    return {f.code for f in report.findings}


def contract(columns: dict[str, object], **extra: object) -> Contract:
    return Contract.model_validate({"dataguard": 1, "columns": columns, **extra})


# --------------------------------------------------------------------------- infer, then validate


def test_infer_then_validate_the_same_file_finds_nothing(train: Path) -> None:
    c = inferred(train)
    assert c.columns["id"].unique and c.columns["city"].levels
    report = validate(train, c)
    assert report.ok
    assert report.at_or_above(Severity.WARNING) == []
    assert report.n_rows == N


def _units(t: pa.Table) -> pa.Table:
    return replace(t, "price", t.column("price").to_numpy() * 1000)


def _new_level(t: pa.Table) -> pa.Table:
    city = np.array(t.column("city").to_pylist(), dtype=object)
    city[::20] = "Atlantis"
    return replace(t, "city", pa.array(city.tolist()))


def _nulls(t: pa.Table) -> pa.Table:
    x = t.column("x").to_numpy()
    return replace(t, "x", pa.array(x, mask=np.arange(x.size) % 50 == 7))


def _dropped(t: pa.Table) -> pa.Table:
    return t.drop_columns(["x"])


def _sentinel(t: pa.Table) -> pa.Table:
    price = t.column("price").to_numpy().copy()
    price[np.random.default_rng(9).random(price.size) < 0.03] = -999.0
    return replace(t, "price", price)


def _no_rows(t: pa.Table) -> pa.Table:
    return t.slice(0, 0)


def _repeated_key(t: pa.Table) -> pa.Table:
    ids = t.column("id").to_numpy().copy()
    ids[100] = ids[40]
    return replace(t, "id", ids)


def _dtype(t: pa.Table) -> pa.Table:
    return replace(t, "cnt", t.column("cnt").cast(pa.string()))


CORRUPTIONS: dict[str, tuple[Callable[[pa.Table], pa.Table], set[str]]] = {
    "shifted units": (_units, {"DG303", "DG308"}),
    "new category": (_new_level, {"DG305"}),
    "nulls in a non-null column": (_nulls, {"DG304"}),
    "dropped column": (_dropped, {"DG301"}),
    "sentinel -999 in 3% of rows": (_sentinel, {"DG303"}),
    "no rows": (_no_rows, {"DG307"}),
    "repeated key": (_repeated_key, {"DG306"}),
    "dtype changed": (_dtype, {"DG302"}),
}


@pytest.mark.parametrize("label", list(CORRUPTIONS))
def test_each_corruption_fails_with_its_code(train: Path, tmp_path: Path, label: str) -> None:
    corrupt, expected = CORRUPTIONS[label]
    c = inferred(train)
    bad = write(corrupt(pq.read_table(train)), tmp_path / "bad.parquet")
    report = validate(bad, c)
    assert expected <= codes(report), (label, [f.message for f in report.findings])
    assert report.exit_code("warning") == 1
    for f in report.findings:  # messages name subject, expectation and what was found
        assert f.message.endswith(f"({f.code})") and ("expected" in f.message), f.message


def test_sentinel_finding_counts_and_shows_examples(train: Path, tmp_path: Path) -> None:
    c = inferred(train)
    t = _sentinel(pq.read_table(train))
    report = validate(t, c)
    (f,) = [f for f in report.findings if f.code == "DG303"]
    price = t.column("price").to_numpy()
    bad_rows = np.flatnonzero(price == -999.0)
    assert f.evidence["count"] == bad_rows.size
    assert f.evidence["share"] == pytest.approx(bad_rows.size / N)
    assert [e["row"] for e in f.evidence["examples"]] == bad_rows[:5].tolist()
    assert {e["value"] for e in f.evidence["examples"]} == {-999.0}
    assert f"e.g. row {bad_rows[0]:,}: -999;" in f.message
    assert f.severity == Severity.ERROR


def test_shifted_units_are_out_of_range_and_drift(train: Path) -> None:
    report = validate(_units(pq.read_table(train)), inferred(train))
    drift = [f for f in report.findings if f.code == "DG308"]
    assert [f.columns for f in drift] == [("price",)]
    assert drift[0].severity == Severity.WARNING
    assert "mean_z" in drift[0].evidence["drifted"]


# --------------------------------------------------------------------------- clauses one by one


def test_nan_is_a_null_and_inf_is_out_of_range() -> None:
    c = contract({"x": {"nullable": False, "range": {"min": 0, "max": 10}}})
    t = pa.table({"x": pa.array([1.0, float("nan"), float("inf"), None, 5.0])})
    report = validate(t, c)
    by = {f.code: f for f in report.findings}
    assert by["DG304"].evidence["missing"] == 2
    assert [e["row"] for e in by["DG304"].evidence["examples"]] == [1, 3]
    assert by["DG303"].evidence["count"] == 1
    assert by["DG303"].evidence["examples"] == [{"row": 2, "value": float("inf")}]


def test_max_null_fraction() -> None:
    x = pa.array([1.0] * 90 + [None] * 10)
    assert codes(validate(pa.table({"x": x}), contract({"x": {"max_null_fraction": 0.2}}))) == set()
    report = validate(pa.table({"x": x}), contract({"x": {"max_null_fraction": 0.05}}))
    (f,) = report.findings
    assert f.code == "DG304" and "expected at most 5.00% null/NaN, found 10.00%" in f.message


def test_examples_carry_global_row_numbers_across_batches(tmp_path: Path) -> None:
    n = 150_000  # several record batches (65,536 rows each) and row groups
    x = np.zeros(n)
    x[[70_000, 140_001]] = [-5.0, -6.0]
    keys = [f"k{i}" for i in range(n)]
    keys[131_000] = "k7"
    path = tmp_path / "big.parquet"
    pq.write_table(pa.table({"x": x, "key": keys}), path, row_group_size=10_000)
    c = contract({"x": {"range": {"min": 0}}, "key": {"unique": True}})
    by = {f.code: f for f in validate(path, c).findings}
    assert by["DG303"].evidence["examples"] == [
        {"row": 70_000, "value": -5.0},
        {"row": 140_001, "value": -6.0},
    ]
    assert by["DG306"].evidence["examples"] == [{"row": 131_000, "repeats_row": 7, "value": "k7"}]
    assert "row 131,000 repeats row 7: 'k7'" in by["DG306"].message


def test_unique_by_type() -> None:
    c = contract({"i": {"unique": True}, "f": {"unique": True}, "t": {"unique": True}})
    t = pa.table(
        {
            "i": pa.array([1, 2, None, None, 3], pa.int64()),  # nulls are not repeats
            "f": pa.array([0.0, -0.0, 1.5, float("nan"), float("nan")]),  # -0.0 == 0.0
            "t": pa.array(np.array([1, 2, 3, 4, 2], dtype="datetime64[s]")),
        }
    )
    found = {f.columns[0]: f for f in validate(t, c).findings}
    assert set(found) == {"f", "t"}
    assert found["f"].evidence["examples"] == [{"row": 1, "repeats_row": 0, "value": 0.0}]
    assert found["t"].evidence["repeated"] == 1


def test_unknown_levels_text_and_numeric_codes() -> None:
    c = contract({"city": {"levels": ["a", "b"]}, "code": {"levels": [1, 2, 3]}})
    t = pa.table(
        {
            "city": pa.array(["a", "b", "zz", None, "zz", "q"]).dictionary_encode(),
            "code": pa.array([1, 2, 7, 3, None, 7], pa.int64()),
        }
    )
    found = {f.columns[0]: f for f in validate(t, c).findings}
    assert found["city"].code == "DG305" and found["city"].severity == Severity.WARNING
    assert found["city"].evidence["unknown"] == [
        {"value": "zz", "count": 2},
        {"value": "q", "count": 1},
    ]
    assert "'zz' (2), 'q' (1), e.g. row 2: 'zz'" in found["city"].message
    assert found["code"].evidence["unknown"] == [{"value": 7.0, "count": 2}]


def test_row_count_bounds() -> None:
    t = pa.table({"x": np.arange(10.0)})
    for rows, fires in (({"min": 1}, False), ({"min": 11}, True), ({"max": 9}, True)):
        report = validate(t, contract({"x": {}}, dataset={"rows": rows}))
        assert (codes(report) == {"DG307"}) is fires, rows
    (f,) = validate(t, contract({}, dataset={"rows": {"min": 20, "max": 30}})).findings
    assert f.message.startswith("Dataset: expected between 20 and 30 rows, found 10")


@pytest.mark.parametrize(
    ("declared", "actual", "ok"),
    [
        ("double", pa.int64(), True),  # integers satisfy a floating contract
        ("int64", pa.float64(), False),  # ... floats do not satisfy an integer one
        ("int64", pa.int32(), True),
        ("uint8", pa.int64(), True),
        ("string", pa.dictionary(pa.int32(), pa.string()), True),
        ("string (dictionary)", pa.large_string(), True),
        ("large_string", pa.string(), True),
        ("timestamp[us]", pa.timestamp("ns"), True),  # the unit does not matter
        ("timestamp[us]", pa.timestamp("us", tz="UTC"), False),  # a time zone does
        ("timestamp[ns, tz=UTC]", pa.timestamp("ms", tz="Europe/Paris"), True),
        ("date32[day]", pa.date64(), True),
        ("date32[day]", pa.timestamp("s"), False),
        ("decimal128(10, 2)", pa.decimal128(12, 3), True),
        ("bool", pa.bool_(), True),
        ("bool", pa.int8(), False),
        ("double", pa.string(), False),
        ("int64", pa.null(), True),  # all null: DG304's business
    ],
)
def test_dtype_families(declared: str, actual: pa.DataType, ok: bool) -> None:
    values: pa.Array
    if pa.types.is_decimal(actual):
        values = pa.array([Decimal("1.5"), Decimal("0")], actual)
    elif pa.types.is_dictionary(actual):
        values = pa.array(["a", "b"]).dictionary_encode()
    elif pa.types.is_null(actual):
        values = pa.nulls(2)
    elif pa.types.is_string(actual) or pa.types.is_large_string(actual):
        values = pa.array(["1", "2"], actual)
    else:
        values = pa.array([1, 0]).cast(actual)
    report = validate(pa.table({"v": values}), contract({"v": {"dtype": declared}}))
    assert (codes(report) == set()) is ok, [f.message for f in report.findings]
    if not ok:
        assert f"expected dtype {declared}" in report.findings[0].message


def test_a_mistyped_column_is_still_checked_for_nulls() -> None:
    c = contract({"n": {"dtype": "int64", "nullable": False, "range": {"min": 0, "max": 1}}})
    report = validate(pa.table({"n": pa.array([1.0, None, 5.0])}), c)  # pandas' int + NaN
    assert codes(report) == {"DG302", "DG304"}  # the range is not compared across families


def test_mean_and_std_clauses_are_errors_with_sample_std() -> None:
    c = contract({"x": {"mean": {"min": 2.0, "max": 3.0}, "std": {"max": 1.2}}})
    report = validate(pa.table({"x": [1.0, 2.0, 3.0, 4.0]}), c)  # std 1.29 (ddof=1), 1.12 (0)
    by = {f.evidence["clause"]: f for f in report.findings}
    assert set(by) == {"std"}
    assert by["std"].code == "DG308" and by["std"].severity == Severity.ERROR
    assert by["std"].evidence["actual"] == pytest.approx(np.std([1, 2, 3, 4], ddof=1))
    x = np.random.default_rng(1).normal(5.0, 0.5, 1000)
    x[3] = np.inf  # non-finite values do not enter the moments
    report = validate(pa.table({"x": x}), c)
    (f,) = report.findings
    assert f.evidence["clause"] == "mean" and f.evidence["n"] == 999
    assert f.message.startswith("Column 'x': expected mean in [2, 3], found 4.97")
    assert not report.ok


# --------------------------------------------------------------------------- drift


def test_one_std_shift_inside_the_range_is_a_drift_warning(train: Path) -> None:
    c = inferred(train)
    lo, hi = c.columns["x"].range.min, c.columns["x"].range.max  # type: ignore[union-attr]
    t = train_table(seed=1)
    t = replace(t, "x", np.clip(t.column("x").to_numpy() + 1.0, lo, hi))
    report = validate(t, c)
    (f,) = [f for f in report.findings if f.columns == ("x",)]  # inside its range: no DG303
    assert f.code == "DG308" and f.severity == Severity.WARNING
    assert {"psi", "ks", "mean_z"} <= set(f.evidence["drifted"])
    assert f.evidence["measures"]["mean_z"] == pytest.approx(1.0, abs=0.1)
    assert "mean shifted by 0.9" in f.message
    assert report.exit_code("error") == 0 or "DG303" in codes(report)
    assert report.exit_code("warning") == 1


@pytest.mark.parametrize("n", [200, 200_000])
def test_drift_limits_follow_the_sample_size(n: int) -> None:
    reference = dataguard.infer(train_table(n, seed=0).drop_columns(["id", "when"]))
    fresh = train_table(n, seed=1)
    assert "DG308" not in codes(validate(fresh, reference, select=["DG308"]))  # noise only
    cnt = np.random.default_rng(2).poisson(3.0, n) + 1  # a discrete column moved by one
    report = validate(replace(fresh, "cnt", cnt), reference, select=["DG308"])
    assert [f.columns for f in report.findings] == [("cnt",)]
    if n == 200_000:  # large n does not flag a tiny shift: effect sizes, not p-values
        small = replace(fresh, "x", fresh.column("x").to_numpy() + 0.05)
        assert codes(validate(small, reference, select=["DG308"])) == set()


def test_categorical_drift_uses_the_reference_shares(train: Path) -> None:
    c = inferred(train)
    rng = np.random.default_rng(3)
    t = replace(train_table(seed=4), "city", pa.array(rng.choice(["Lyon", "Lille"], N).tolist()))
    (f,) = validate(t, c, select=["DG308"]).findings
    assert f.columns == ("city",) and "js" in f.evidence["drifted"]
    custom = c.model_copy(deep=True)
    custom.columns["city"].drift = dataguard.contract.DriftTolerance(js=0.9, psi=50)
    assert validate(t, custom, select=["DG308"]).findings == []


# --------------------------------------------------------------------------- columns, codes


def test_a_contract_for_other_columns_gives_missing_columns_only(train: Path) -> None:
    other = dataguard.infer(pa.table({"a": np.arange(50.0), "b": ["u", "v"] * 25}))
    report = validate(train, other)
    assert codes(report) == {"DG301"}
    missing = [f for f in report.findings if f.severity == Severity.ERROR]
    assert sorted(f.columns for f in missing) == [("a",), ("b",)]
    (extra,) = [f for f in report.findings if f.severity == Severity.WARNING]
    assert "found 6 unexpected column(s): 'id', 'price'" in extra.message


@pytest.mark.parametrize(
    ("policy", "severity"),
    [("allow", None), ("warn", Severity.WARNING), ("forbid", Severity.ERROR)],
)
def test_extra_columns_policy(policy: str, severity: Severity | None) -> None:
    c = contract({"a": {}, "gone": {"required": False}}, dataset={"extra_columns": policy})
    report = validate(pa.table({"a": [1.0], "b": [2.0]}), c)
    assert [f.severity for f in report.findings] == ([severity] if severity else [])
    if severity:
        assert report.findings[0].columns == ("b",)


def test_select_ignore_and_column_ignores(train: Path, tmp_path: Path) -> None:
    c = inferred(train)
    bad = _sentinel(_units(pq.read_table(train)).drop_columns(["x"]))
    assert codes(validate(bad, c)) == {"DG301", "DG303", "DG308"}
    assert codes(validate(bad, c, select=["DG303"])) == {"DG303"}
    assert codes(validate(bad, c, select=["DG30"], ignore=["DG308,DG301"])) == {"DG303"}
    assert codes(validate(bad, c, ignore=["DG1"])) == {"DG301", "DG303", "DG308"}  # known codes
    c.columns["price"].ignore = ["DG303", "DG308"]
    assert codes(validate(bad, c)) == {"DG301"}
    with pytest.raises(ConfigError, match="DG999"):
        validate(bad, c, select=["DG999"])
    with pytest.raises(ConfigError, match="DG1"):
        validate(bad, c, select=["DG1"])  # a profile code is not a validate code


def test_role_ignore_columns_are_not_checked() -> None:
    c = contract({"a": {"role": "ignore", "range": {"max": 0}, "dtype": "string"}, "z": {}})
    report = validate(pa.table({"a": [5.0], "b": [1.0]}), c)
    assert [f.columns for f in report.findings] == [("z",)]


# --------------------------------------------------------------------------- errors and inputs


def test_unreadable_inputs_raise(train: Path, tmp_path: Path) -> None:
    c = inferred(train)
    with pytest.raises(InputError, match="no such file"):
        validate(tmp_path / "nope.parquet", c)
    with pytest.raises(InputError, match="cannot read contract"):
        validate(train, tmp_path / "nope.yaml")
    (tmp_path / "bad.yaml").write_text("dataguard: 1\ncolumns:\n  a: {rnage: {min: 0}}\n")
    with pytest.raises(ConfigError, match=r"line 3.*unknown key"):
        validate(train, tmp_path / "bad.yaml")


def test_pandas_polars_and_arrow_inputs_agree(train: Path) -> None:
    pl = pytest.importorskip("polars")
    c = inferred(train)
    t = _new_level(_sentinel(pq.read_table(train))).drop_columns(["when"])
    frames = {"arrow": t, "pandas": t.to_pandas(), "polars": pl.from_arrow(t)}
    seen = {
        k: [(f.code, f.columns, f.message) for f in validate(v, c).findings]
        for k, v in frames.items()
    }
    assert seen["arrow"] == seen["pandas"] == seen["polars"]
    assert {code for code, _, _ in seen["arrow"]} >= {"DG301", "DG303", "DG305"}
    assert validate(frames["pandas"], c, name="new batch").source == "new batch"


def test_no_pandas_import_on_a_file(train: Path, tmp_path: Path) -> None:
    import subprocess
    import sys

    c = inferred(train)
    c.save(tmp_path / "c.yaml")
    code = (
        "import sys; from dataguard.validation import validate; "
        f"r = validate({str(train)!r}, {str(tmp_path / 'c.yaml')!r}); "
        "assert r.ok, r.findings; print('pandas' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --------------------------------------------------------------------------- DG309


def _fitted(tmp_path: Path) -> tuple[pa.Table, Path]:
    rng = np.random.default_rng(0)
    t = pa.table({"load": rng.normal(1000.0, 200.0, 2000), "temp": rng.normal(20.0, 5.0, 2000)})
    pipe = dataguard.fit(t)
    (tmp_path / "art").mkdir()
    pipe.save(tmp_path / "art" / "transforms.json")
    c = contract({"load": {}, "temp": {}}, transforms={"artifact": "art/transforms.json"})
    c.save(tmp_path / "contract.yaml")
    return t, tmp_path / "contract.yaml"


def test_transform_health_flags_outputs_far_outside(tmp_path: Path) -> None:
    t, path = _fitted(tmp_path)  # the artifact path is relative to the contract file
    assert validate(t, path).findings == []
    far = replace(t, "load", t.column("load").to_numpy() * 20.0)  # |z| ~ 95
    report = validate(far, path)
    (f,) = report.findings
    assert f.code == "DG309" and f.columns == ("load",) and f.severity == Severity.WARNING
    out = f.evidence["outputs"]["load"]
    assert out["share"] > 0.5 and out["max_abs"] > 50
    assert "beyond |x| = 50" in f.message


def test_transform_health_on_data_the_pipeline_cannot_read(tmp_path: Path) -> None:
    t, path = _fitted(tmp_path)
    report = validate(t.drop_columns(["temp"]), path)
    assert sorted(f.code for f in report.findings) == ["DG301", "DG309"]
    text = replace(t, "temp", t.column("temp").cast(pa.string()))
    assert "DG309" in codes(validate(text, path, select=["DG309"]))


def test_constant_and_huge_columns_validate_without_warnings() -> None:
    huge = np.r_[np.full(250, 1e300), np.full(250, -1e300)]
    t = pa.table({"c": np.full(500, 5.0), "h": huge})
    c = dataguard.infer(t)
    assert validate(t, c).findings == []  # warnings are errors in the tests
    c.columns["h"].std = dataguard.contract.Range(max=1.0)
    (f,) = validate(t, c).findings
    assert f.evidence["clause"] == "std"


def test_a_malformed_reference_is_a_config_error() -> None:
    t = pa.table({"x": [1.0, 2.0]})
    bad_level = contract({"x": {"reference": {"n": 10, "quantiles": {"p10": 1.0}}}})
    with pytest.raises(ConfigError, match=r"columns\.x\.reference\.quantiles: 'p10'"):
        validate(t, bad_level)
    decreasing = contract({"x": {"reference": {"n": 10, "quantiles": {"0.1": 2.0, "0.9": 1.0}}}})
    with pytest.raises(ConfigError, match="must not decrease"):
        validate(t, decreasing)
