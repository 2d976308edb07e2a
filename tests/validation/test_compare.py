"""``dataguard compare`` (DG121 split drift, DG122 leakage) and ``dataguard check-contract``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from typer.testing import CliRunner

import dataguard
from dataguard.cli import app
from dataguard.errors import FindingsError, InputError
from dataguard.findings import Severity
from dataguard.validation._compare import CompareReport, compare

runner = CliRunner()


def _data(n: int, seed: int = 0) -> pd.DataFrame:
    """Mixed columns: smooth, heavy-tailed, tied integer codes, rare flags, text levels."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "x": rng.normal(10.0, 2.0, n),
            "price": rng.lognormal(0.0, 2.0, n),
            "code": rng.integers(0, 3, n),
            "visits": rng.poisson(0.3, n),
            "flag": rng.random(n) < 0.05,
            "city": rng.choice(["a", "b", "c", "d"], n, p=[0.5, 0.3, 0.15, 0.05]),
            "y": rng.integers(0, 2, n),
        }
    )


def _halves(df: pd.DataFrame, seed: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    perm = np.random.default_rng(seed).permutation(len(df))
    half = len(df) // 2
    return df.iloc[perm[:half]], df.iloc[perm[half:]]


def _codes(report: CompareReport) -> list[str]:
    return [f.code for f in report.findings]


# -- DG121 split drift ------------------------------------------------------------------------
@pytest.mark.parametrize("n", [500, 200_000])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_two_random_halves_of_one_dataset_do_not_drift(n: int, seed: int) -> None:
    a, b = _halves(_data(n, seed), seed + 10)
    for ref, other in ((a, b), (b, a)):
        report = compare(ref, other)
        assert "DG121" not in _codes(report), [f.message for f in report.findings]
        assert set(report.drift) == {"x", "price", "code", "visits", "flag", "city", "y"}
        for col, d in report.drift.items():  # every measure well inside its limit
            assert d["measures"], col
            assert all(v < d["limits"][k] for k, v in d["measures"].items()), (col, d)


@pytest.mark.parametrize("swap", [False, True], ids=["ref-vs-shifted", "shifted-vs-ref"])
def test_a_real_numeric_shift_fires_both_ways(swap: bool) -> None:
    a, b = _halves(_data(2000))
    b = b.assign(x=b["x"] + 2.0)  # one standard deviation
    ref, other = (b, a) if swap else (a, b)
    report = compare(ref, other)
    drift = [f for f in report.findings if f.code == "DG121"]
    assert [f.columns for f in drift] == [("x",)]
    f = drift[0]
    assert f.severity is Severity.WARNING
    assert report.ok  # drift is a warning: ok, but exit 1 under --fail-on warning
    assert report.exit_code("warning") == 1
    assert set(f.evidence["measures"]) == {"psi", "ks", "mean_z"}
    assert set(f.evidence["drifted"]) <= set(f.evidence["limits"])
    assert f.evidence["measures"]["mean_z"] == pytest.approx(1.0, abs=0.15)
    assert not any("p_value" in k or "pvalue" in k for k in f.evidence["measures"])
    assert f.message.startswith("Column 'x': ")
    assert "limit" in f.message
    assert f.message.endswith("(DG121)")


def test_a_change_of_category_shares_fires_js() -> None:
    a, b = _halves(_data(4000))
    rng = np.random.default_rng(5)
    b = b.assign(city=rng.choice(["a", "b", "c", "d"], len(b), p=[0.1, 0.2, 0.3, 0.4]))
    report = compare(a, b)
    f = next(f for f in report.findings if f.code == "DG121")
    assert f.columns == ("city",)
    assert f.evidence["kind"] == "categorical"
    assert "js" in f.evidence["drifted"]


def test_a_spread_change_at_large_n_fires_ks_not_mean() -> None:
    rng = np.random.default_rng(7)
    a = pd.DataFrame({"x": rng.normal(0, 1, 100_000)})
    b = pd.DataFrame({"x": rng.normal(0, 2.5, 100_000)})
    f = compare(a, b).findings[0]
    assert f.code == "DG121"
    assert "ks" in f.evidence["drifted"]
    assert "mean_z" not in f.evidence["drifted"]


def test_one_extreme_value_in_small_heavy_tailed_halves_does_not_fire() -> None:
    rng = np.random.default_rng(3)
    x = rng.lognormal(0.0, 1.0, 400)
    x[250] = 1e6  # lands in the other half
    df = pd.DataFrame({"x": x})
    assert "DG121" not in _codes(compare(df.iloc[:200], df.iloc[200:]))


def test_key_identifiers_and_temporal_columns_are_not_compared_for_drift() -> None:
    n = 600
    rng = np.random.default_rng(2)
    df = pd.DataFrame(
        {
            "uid": [f"u{i}" for i in range(n)],
            "when": pd.date_range("2024-01-01", periods=n, freq="h"),
            "x": rng.normal(size=n),
        }
    )
    report = compare(df.iloc[:300], df.iloc[300:], key="uid")
    assert list(report.drift) == ["x"]
    assert set(report.skipped) == {"uid", "when"}
    assert "key" in report.skipped["uid"]


# -- DG122 leakage ----------------------------------------------------------------------------
def test_shared_rows_are_counted_with_example_rows_from_each_side() -> None:
    a, b = _halves(_data(1000))
    a, b = a.reset_index(drop=True), b.reset_index(drop=True)
    for col in a.columns:
        b.loc[[4, 9, 30], col] = a.loc[[100, 7, 250], col].to_numpy()
    report = compare(a, b)
    f = next(f for f in report.findings if f.code == "DG122")
    assert f.severity is Severity.ERROR
    assert not report.ok
    assert f.evidence["other_rows"] == 3
    assert f.evidence["reference_rows"] == 3
    assert f.evidence["examples"][:3] == [
        {"reference_row": 100, "other_row": 4},
        {"reference_row": 7, "other_row": 9},
        {"reference_row": 250, "other_row": 30},
    ]
    assert f.message.startswith("Splits: 3 rows of <pandas frame> (0.6%) also appear in ")
    assert "e.g. row 4 = reference row 100" in f.message


def test_rows_match_by_value_across_file_formats_and_types(tmp_path: Path) -> None:
    """1 == 1.0, -0.0 == 0.0, null == NaN; parquet dictionary text == CSV text."""
    ref = pa.table(
        {
            "n": pa.array([1, 2, 3], pa.int64()),
            "z": [0.0, 1.5, 2.5],
            "m": [None, 1.0, 2.0],
            "s": pa.array(["p", "q", "r"]).dictionary_encode(),
        }
    )
    pq.write_table(ref, tmp_path / "ref.parquet")
    (tmp_path / "other.csv").write_text("n,z,m,s\n1.0,-0.0,,p\n5.0,1.5,1.0,q\n")
    report = compare(tmp_path / "ref.parquet", tmp_path / "other.csv")
    assert report.leakage["rows"]["other_rows"] == 1
    assert report.leakage["rows"]["examples"] == [{"reference_row": 0, "other_row": 0}]


def test_no_shared_rows_is_silent() -> None:
    a, b = _halves(_data(1000))
    report = compare(a, b)
    assert report.leakage["rows"]["other_rows"] == 0
    assert report.ok
    assert report.exit_code() == 0


def test_entities_present_in_both_splits() -> None:
    rng = np.random.default_rng(4)
    a = pd.DataFrame({"patient": [f"p{i % 50}" for i in range(400)], "x": rng.normal(size=400)})
    b = pd.DataFrame(
        {"patient": [f"p{45 + i % 20}" for i in range(200)], "x": rng.normal(size=200)}
    )
    report = compare(a, b, key="patient")
    f = next(f for f in report.findings if f.columns == ("patient",))
    assert f.code == "DG122"
    assert f.evidence["shared"] == 5  # p45 .. p49
    assert f.evidence["other_entities"] == 20
    assert sorted(f.evidence["examples"]) == ["p45", "p46", "p47", "p48", "p49"]
    assert f.fix == {"action": "split-by-entity", "key": "patient"}
    assert "5 of the 20 entities" in f.message


def test_disjoint_entities_are_silent_with_numeric_keys_of_different_types() -> None:
    a = pa.table({"id": pa.array(range(100), pa.int32()), "x": np.arange(100.0)})
    b = pa.table({"id": pa.array(range(100, 150), pa.int64()), "x": np.arange(50.0) + 0.5})
    report = compare(a, b, key="id")
    assert report.leakage["entities"]["shared"] == 0
    assert "DG122" not in _codes(report)


def test_conflicting_labels_across_and_within_splits() -> None:
    a = pd.DataFrame({"u": [1.0, 2.0, 3.0, 3.0, 4.0], "v": list("abccd"), "y": [0, 1, 0, 1, 1]})
    b = pd.DataFrame({"u": [1.0, 2.0, 5.0, 5.0], "v": list("abee"), "y": [1, 1, 0, 1]})
    report = compare(a, b, target="y")
    f = next(f for f in report.findings if f.columns == ("y",))
    ev = f.evidence
    # (1, a): y=0 in the reference, 1 in the other; (3, c) twice in the reference with 0
    # and 1; (5, e) twice in the other; (2, b): y=1 on both sides, not a conflict.
    assert ev["across_groups"] == 1
    assert ev["within_reference_groups"] == 1
    assert ev["within_other_groups"] == 1
    assert ev["groups"] == 3
    assert ev["rows"] == 6
    first = ev["examples"][0]  # across the splits first
    assert first == {
        "reference_rows": [0],
        "reference_labels": [0],
        "other_rows": [0],
        "other_labels": [1],
    }
    assert "1 across the splits, 1 within" in f.message
    # (2, b) with y=1 on both sides is a shared row, not a conflict
    assert report.leakage["rows"]["other_rows"] == 1


def test_the_key_is_not_an_input_and_missing_labels_do_not_conflict() -> None:
    a = pd.DataFrame({"id": [1, 2], "u": [0.5, 0.7], "y": [1.0, None]})
    b = pd.DataFrame({"id": [3, 4], "u": [0.5, 0.7], "y": [0.0, 1.0]})
    labels = compare(a, b, key="id", target="y").leakage["labels"]
    assert labels["across_groups"] == 1  # u=0.5: 1 vs 0, whatever the id; u=0.7: one label
    assert labels["groups"] == 1


def test_unknown_key_target_or_column_and_no_common_column_are_input_errors() -> None:
    a = pd.DataFrame({"x": [1.0, 2.0]})
    with pytest.raises(InputError, match="key column 'id' not found"):
        compare(a, a, key="id")
    with pytest.raises(InputError, match="target column 'y' not found"):
        compare(a, a, target="y")
    with pytest.raises(InputError, match="no column 'z'"):
        compare(a, a, columns=["z"])
    with pytest.raises(InputError, match="no column in common"):
        compare(a, pd.DataFrame({"w": [1.0]}))


def test_columns_restricts_drift_and_row_hashes() -> None:
    a, b = _halves(_data(1000))
    b = b.assign(x=b["x"] + 5.0)
    report = compare(a, b, columns=["code"])
    assert report.columns == ["code"]
    assert "DG121" not in _codes(report)
    assert report.leakage["rows"]["other_rows"] > 0  # code alone repeats, of course


def test_report_api_mirrors_profile_report() -> None:
    a = pd.DataFrame({"x": np.arange(50.0)})
    report = compare(a, a.iloc[:5])
    assert not report.ok
    with pytest.raises(FindingsError, match="1 finding"):
        report.raise_if_failed()
    doc = json.loads(json.dumps(report.to_dict(), allow_nan=False))
    assert doc["schema_version"] == "1.0"
    assert doc["summary"]["error"] == 1  # the shared rows; x 0..4 also drifted (a warning)
    assert doc["reference"]["n_rows"] == 50
    assert doc["other"]["n_rows"] == 5
    assert doc["drift"]["x"]["kind"] == "numeric"


# -- the compare command ----------------------------------------------------------------------
def _write(df: pd.DataFrame, path: Path) -> Path:
    df.to_parquet(path, index=False)
    return path


def test_compare_cli_exit_codes(tmp_path: Path) -> None:
    a, b = _halves(_data(1000))
    ref = _write(a, tmp_path / "train.parquet")
    ok = _write(b, tmp_path / "valid.parquet")
    drifted = _write(b.assign(x=b["x"] + 3.0), tmp_path / "drifted.parquet")
    leaky = _write(pd.concat([b, a.iloc[:10]]), tmp_path / "leaky.parquet")

    result = runner.invoke(app, ["compare", str(ref), str(ok)])
    assert result.exit_code == 0, result.output
    assert "No drift, no leakage." in result.stdout
    assert runner.invoke(app, ["compare", str(ref), str(drifted)]).exit_code == 0  # warning
    result = runner.invoke(app, ["compare", str(ref), str(drifted), "--fail-on", "warning"])
    assert result.exit_code == 1
    assert "DG121" in result.stdout
    assert runner.invoke(app, ["compare", str(ref), str(leaky)]).exit_code == 1


def test_compare_cli_json_output_file(tmp_path: Path) -> None:
    a = pd.DataFrame({"id": [1, 2, 3], "x": [0.1, 0.2, 0.3], "y": [0, 1, 0]})
    b = pd.DataFrame({"id": [3, 4], "x": [0.3, 0.5], "y": [1, 1]})
    out = tmp_path / "r.json"
    result = runner.invoke(
        app,
        [
            "compare",
            str(_write(a, tmp_path / "a.parquet")),
            str(_write(b, tmp_path / "b.parquet")),
            "--key",
            "id",
            "--target",
            "y",
            "-f",
            "json",
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 1
    assert result.stdout == ""
    doc = json.loads(out.read_text())
    assert doc["key"] == "id"
    assert doc["target"] == "y"
    assert doc["leakage"]["entities"]["shared"] == 1
    assert {tuple(f["columns"]) for f in doc["findings"]} == {("id",), ("y",)}  # x=0.3: 0 vs 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["{ref}", "{missing}"], "missing.parquet: no such file or directory"),
        (["{ref}", "{ref}", "--key", "nope"], "key column 'nope' not found"),
        (["{ref}", "{ref}", "--target", "nope"], "target column 'nope' not found"),
        (["{ref}", "{ref}", "-o", "{nofolder}"], "does not exist"),
    ],
)
def test_compare_cli_errors_are_one_line_exit_2(
    tmp_path: Path, args: list[str], message: str
) -> None:
    paths = {
        "ref": str(_write(_data(100), tmp_path / "ref.parquet")),
        "missing": str(tmp_path / "missing.parquet"),
        "nofolder": str(tmp_path / "no" / "r.txt"),
    }
    result = runner.invoke(app, ["compare", *(a.format(**paths) for a in args)])
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("dataguard: error: ")
    assert message in lines[0]
    assert not (tmp_path / "no").exists()


# -- dataguard check-contract -----------------------------------------------------------------
@pytest.fixture(scope="module")
def train(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("contract")
    rng = np.random.default_rng(0)
    n = 400
    df = pd.DataFrame(
        {
            "age": rng.integers(18, 90, n),
            "income": rng.lognormal(10, 0.5, n),
            "city": rng.choice(["north", "south", "east"], n),
            "y": rng.normal(size=n),
        }
    )
    path = folder / "train.parquet"
    df.to_parquet(path, index=False)
    return path


def _contract(train: Path, folder: Path, edit: dict[str, object] | None = None) -> Path:
    contract = dataguard.infer(train, target="y")
    data = contract.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
    data = {"dataguard": 1, **data}
    for dotted, value in (edit or {}).items():
        *parents, last = dotted.split(".")
        node = data
        for p in parents:
            node = node.setdefault(p, {})
        node[last] = value
    path = folder / "train.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def _check(*paths: Path | str, fmt: str = "text") -> tuple[int, list[str], str]:
    result = runner.invoke(app, ["check-contract", *map(str, paths), "--format", fmt])
    return result.exit_code, result.stdout.splitlines(), result.stderr


def test_check_contract_passes_an_inferred_contract(train: Path, tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    dataguard.infer(train, target="y").save(path)
    code, out, err = _check(path)
    assert (code, out, err) == (0, [], "")


def test_check_contract_reports_malformed_yaml_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("dataguard: 1\ncolumns:\n  age:\n    range: {min: 0, max: 9\n")
    code, out, _ = _check(path)
    assert code == 1
    assert len(out) == 1
    assert out[0].startswith(f"{path}: line ")
    assert "not valid YAML" in out[0]


def test_check_contract_reports_an_unknown_key_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "typo.yaml"
    path.write_text("dataguard: 1\ncolumns:\n  age:\n    dtype: int64\n    nulable: false\n")
    code, out, _ = _check(path)
    assert code == 1
    assert out == [f"{path}: line 5: columns.age.nulable: unknown key"]


def test_check_contract_reports_a_range_that_excludes_the_reference(
    train: Path, tmp_path: Path
) -> None:
    path = _contract(train, tmp_path, {"columns.age.range": {"min": 60, "max": 70}})
    code, out, _ = _check(path)
    assert code == 1
    assert len(out) == 3  # min, max and the mean clause of the range
    assert all(line.startswith(f"{path}: line ") for line in out)
    assert any(
        "columns.age.range: min 60 is above the reference's smallest value" in x for x in out
    )
    assert any("columns.age.range: max 70 is below the reference's largest value" in x for x in out)
    assert any("columns.age.reference.mean: the reference mean" in x for x in out)
    assert any("is below the min 60 of the 'range' clause" in x for x in out)
    line = next(i for i, t in enumerate(path.read_text().splitlines(), 1) if "range:" in t)
    assert out[0].startswith(f"{path}: line {line}: ")


def test_check_contract_reports_mean_std_and_levels_against_the_reference(
    train: Path, tmp_path: Path
) -> None:
    path = _contract(
        train,
        tmp_path,
        {
            "columns.income.mean": {"min": 1e9},
            "columns.y.std": {"max": 0.1},
            "columns.city.levels": ["north", "south"],
        },
    )
    code, out, _ = _check(path)
    assert code == 1
    text = "\n".join(out)
    assert "columns.income.reference.mean: the reference mean" in text
    assert "below the min 1e+09 of the 'mean' clause" in text
    assert "columns.y.reference.std: the reference std" in text
    assert "columns.city.levels: the reference has levels 'east'" in text


def test_check_contract_checks_the_fitted_artifact(train: Path, tmp_path: Path) -> None:
    missing = _contract(train, tmp_path, {"transforms.artifact": "fitted.json"})
    code, out, _ = _check(missing)
    assert code == 1
    assert len(out) == 1
    assert "transforms.artifact: 'fitted.json' does not exist" in out[0]

    dataguard.fit(train, target="y").save(tmp_path / "fitted.json")
    assert _check(missing)[0] == 0  # relative to the contract's folder

    narrow = tmp_path / "narrow"
    narrow.mkdir()
    dataguard.fit(train, target="y").save(narrow / "fitted.json")
    path = _contract(train, narrow, {"transforms.artifact": "fitted.json"})
    data = yaml.safe_load(path.read_text())
    del data["columns"]["income"]
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    code, out, _ = _check(path)
    assert code == 1
    assert len(out) == 1
    assert "transforms.artifact: 'fitted.json' reads 'income'" in out[0]
    assert "does not declare" in out[0]

    (narrow / "fitted.json").write_text("{not json")
    code, out, _ = _check(path)
    assert code == 1
    assert "does not load" in out[0]


def test_check_contract_skips_yaml_that_is_not_a_contract(tmp_path: Path) -> None:
    other = tmp_path / "ci.yaml"
    other.write_text("on: [push]\njobs: {build: {runs-on: ubuntu-latest}}\n")
    broken = tmp_path / "broken.yaml"
    broken.write_text("key: [unclosed\n")
    assert _check(other, broken) == (0, [], "")


def test_check_contract_checks_every_file_and_names_each(train: Path, tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    dataguard.infer(train).save(good)
    bad = tmp_path / "bad.yaml"
    bad.write_text("dataguard: 2\n")
    code, out, err = _check(good, bad)
    assert code == 1
    assert out == [f"{bad}: line 1: dataguard: Input should be 1, got 2"]
    assert "1 of 2 contract(s) with problems" in err


def test_check_contract_unreadable_file_is_exit_2(tmp_path: Path) -> None:
    code, out, err = _check(tmp_path / "nope.yaml")
    assert code == 2
    assert out == []
    assert f"dataguard: error: {tmp_path / 'nope.yaml'}: cannot read contract" in err


def test_check_contract_github_annotations(tmp_path: Path) -> None:
    path = tmp_path / "typo.yaml"
    path.write_text("dataguard: 1\nname: x\nsorce: y\n")
    code, out, _ = _check(path, fmt="github")
    assert code == 1
    assert out == [f"::error file={path},line=3,title=dataguard check-contract::sorce: unknown key"]
