"""False-alarm tests on real data: the datasets that ship inside scikit-learn (no download).

Each dataset is profiled raw, with its target, and every warning that fires is listed with
the reason it is right. Then its features are standardized with numpy ((x - mean) / std,
constant columns left out) and nothing above info may fire except where stated.

Findings table (warnings and errors; infos in the tests):

=============  ===========================================  ===============================
dataset        raw                                          features standardized
=============  ===========================================  ===============================
iris           none                                         none
wine           DG101 magnesium, proline; DG102              none
breast_cancer  DG101 x6 (areas, perimeters, worst           none
               texture); DG102; DG113 area error
diabetes       DG117 target (25..346)                       DG117 target (target untouched)
digits         DG103 three all-zero pixels                  none
linnerud       DG101 Jumps, Situps; DG117 x3 targets        DG117 x3 targets
=============  ===========================================  ===============================
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ._helpers import above_info, codes, findings_of, run

datasets = pytest.importorskip("sklearn.datasets")


def load(name: str, **kwargs: object) -> tuple[pd.DataFrame, list[str]]:
    """The dataset as one frame (features and target columns) and its target names."""
    bunch = getattr(datasets, f"load_{name}")(as_frame=True, **kwargs)
    targets = list(bunch.target.columns) if bunch.target.ndim == 2 else [bunch.target.name]
    return bunch.frame.copy(), targets


def standardized(frame: pd.DataFrame, targets: list[str]) -> pd.DataFrame:
    """Features as (x - mean) / std in numpy; constant features left out; targets as they are."""
    features = [c for c in frame.columns if c not in targets]
    x = frame[features].to_numpy(dtype=np.float64)
    std = x.std(axis=0)
    keep = std > 0
    z = (x[:, keep] - x[:, keep].mean(axis=0)) / std[keep]
    out = pd.DataFrame(z, columns=[f for f, k in zip(features, keep, strict=True) if k])
    for t in targets:
        out[t] = frame[t].to_numpy()
    return out


def warnings_by_code(report) -> dict[str, set[tuple[str, ...]]]:  # type: ignore[no-untyped-def]
    out: dict[str, set[tuple[str, ...]]] = {}
    for code, columns in above_info(report):
        out.setdefault(code, set()).add(columns)
    return out


def info_codes(report) -> set[str]:  # type: ignore[no-untyped-def]
    return {f.code for f in report.findings if f.severity == 0}


# --- iris -----------------------------------------------------------------------------------


def test_iris_raw() -> None:
    frame, targets = load("iris")
    report = run(frame, target=targets)
    assert report.tasks == {"target": "classification"}
    # Four lengths in cm, medians 1.3..5.8, spreads 0.3..2.6: unit enough, no warning.
    assert above_info(report) == []
    # Info: iris holds one exact duplicate row (features and label), a known quirk.
    assert info_codes(report) == {"DG120"}
    assert findings_of(report, "DG120")[0].evidence["duplicate_rows"] == 1


def test_iris_standardized() -> None:
    frame, targets = load("iris")
    report = run(standardized(frame, targets), target=targets)
    assert above_info(report) == []
    assert info_codes(report) <= {"DG120"}  # the duplicate row stays a duplicate


# --- wine -----------------------------------------------------------------------------------


def test_wine_raw() -> None:
    frame, targets = load("wine")
    report = run(frame, target=targets)
    found = warnings_by_code(report)
    # Magnesium (mg/l, median 98) and proline (mg/l, median 672, spread 360) are far from
    # unit scale; the other 11 chemistry features are of order 0.1..20.
    assert found.pop("DG101") == {("magnesium",), ("proline",)}
    # Proline's spread is ~2,900x that of nonflavanoid phenols (0.126): one learning rate
    # cannot suit both.
    assert found.pop("DG102") == {("proline", "nonflavanoid_phenols")}
    ratio = findings_of(report, "DG102")[0].evidence["ratio"]
    assert 2000 < ratio < 4000
    assert found == {}
    # Classes 0..2 (59/71/48 rows): no target finding.
    assert not codes(report, "target")


def test_wine_standardized() -> None:
    frame, targets = load("wine")
    report = run(standardized(frame, targets), target=targets)
    assert above_info(report) == []
    assert info_codes(report) == set()


# --- breast cancer --------------------------------------------------------------------------


def test_breast_cancer_raw() -> None:
    frame, targets = load("breast_cancer")
    report = run(frame, target=targets)
    found = warnings_by_code(report)
    # Areas (px², medians 24..690), perimeters (px, 86..98) and worst texture (median 25):
    # not unit scale; the other 24 features are below the limit of 20.
    assert found.pop("DG101") == {
        ("area error",),
        ("mean area",),
        ("mean perimeter",),
        ("worst area",),
        ("worst perimeter",),
        ("worst texture",),
    }
    # Worst area spreads ~420, fractal dimension error ~0.0017: 2.5e5x apart.
    assert found.pop("DG102") == {("worst area", "fractal dimension error")}
    # Area error: skewness 5.4 with q99 at 180 against a median of 25 (its max is 542);
    # log-normal-looking, and log1p is the standard treatment for it.
    assert found.pop("DG113") == {("area error",)}
    skew = findings_of(report, "DG113")[0].evidence
    assert skew["skewness"] > 5
    assert skew["tail_ratio"] > 8
    assert found == {}
    # 212 malignant / 357 benign (ratio 0.59): no imbalance finding.
    assert not codes(report, "target")


def test_breast_cancer_standardized() -> None:
    frame, targets = load("breast_cancer")
    report = run(standardized(frame, targets), target=targets)
    # Standardizing keeps area error's skew, but DG113 judges non-negative magnitudes only
    # and no value is far enough out for DG108 (max robust z < 50).
    assert above_info(report) == []
    assert info_codes(report) == set()


# --- diabetes -------------------------------------------------------------------------------


def test_diabetes_features_are_unit_norm_and_raise_no_dg101() -> None:
    """sklearn documents the features as mean-centred and scaled so that each column's sum
    of squares is 1 (std * sqrt(n_samples)): already scaled, so no DG101 may fire."""
    frame, targets = load("diabetes")
    features = [c for c in frame.columns if c not in targets]
    norms = np.linalg.norm(frame[features].to_numpy(), axis=0)
    assert np.allclose(norms, 1.0, atol=1e-6)  # the premise, checked
    report = run(frame, target=targets)
    assert report.tasks == {"target": "regression"}
    assert not codes(report) & {"DG101", "DG102", "DG103", "DG104", "DG105"}
    found = warnings_by_code(report)
    # The target is a disease progression score 25..346 (median 140): an untrained
    # network outputs about +-1, so DG117 is right.
    assert found.pop("DG117") == {("target",)}
    f = findings_of(report, "DG117")[0]
    assert (f.evidence["min"], f.evidence["max"]) == (25.0, 346.0)
    assert found == {}
    assert info_codes(report) == set()


def test_diabetes_standardized() -> None:
    frame, targets = load("diabetes")
    report = run(standardized(frame, targets), target=targets)
    # The target is not a feature: still 25..346, DG117 still right.
    assert above_info(report) == [("DG117", ("target",))]
    frame["target"] = (frame["target"] - frame["target"].mean()) / frame["target"].std(ddof=0)
    report = run(standardized(frame, targets), target=targets)
    assert above_info(report) == []


def test_diabetes_unscaled_version() -> None:
    """``scaled=False``: the original units. Seven features sit far from unit scale."""
    frame, targets = load("diabetes", scaled=False)
    report = run(frame, target=targets)
    found = warnings_by_code(report)
    # Age (years, median 50), BMI (median 25.7), blood pressure (93), serum measurements
    # s1 (186), s2 (113), s3 (48), s6 (91). Not sex (binary 1/2), s4 (median 4), s5
    # (a log, median 4.6).
    assert found.pop("DG101") == {(c,) for c in ("age", "bmi", "bp", "s1", "s2", "s3", "s6")}
    assert found.pop("DG117") == {("target",)}
    assert found == {}


# --- digits ---------------------------------------------------------------------------------


def test_digits_raw() -> None:
    frame, targets = load("digits")
    report = run(frame, target=targets)
    found = warnings_by_code(report)
    # Three border pixels are 0 in every image: constant inputs, drop them.
    assert found.pop("DG103") == {("pixel_0_0",), ("pixel_4_0",), ("pixel_4_7",)}
    # Nothing else: pixels 0..16 stay below the DG101 limit, and the mostly-zero pixels
    # (e.g. pixel_0_7, skewness 9.9) are not DG113: a log does not fix a mass at zero
    # plus a bounded rest (regression: DG113 used to fire on 14 pixel columns).
    assert found == {}
    assert not codes(report) & {"DG113", "DG108", "DG101"}
    # Infos, each right: pixel_7_0 is non-zero in 1 of 1,797 images (DG103 dominant value);
    # pixel_6_0 has levels {0, 1, 3, 8} (DG115, hedged: "if they are categories"); 7 images
    # repeat another exactly, and the three constant pixels are identical columns (DG120).
    assert info_codes(report) == {"DG103", "DG115", "DG120"}
    dominant = [f for f in findings_of(report, "DG103") if f.severity == 0]
    assert [f.columns for f in dominant] == [("pixel_7_0",)]
    assert dominant[0].evidence["dominant_share"] == pytest.approx(1796 / 1797)
    assert findings_of(report, "DG120", "pixel_0_0")[0].columns == (
        "pixel_0_0",
        "pixel_4_0",
        "pixel_4_7",
    )
    assert report.tasks == {"target": "classification"}
    assert not codes(report, "target")  # classes 0..9, ~180 images each


def test_digits_standardized() -> None:
    frame, targets = load("digits")
    data = standardized(frame, targets)
    assert data.shape[1] == 65 - 3  # the three constant pixels left out
    report = run(data, target=targets)
    assert above_info(report) == []
    # Info: pixel_7_0 is still one non-zero value in 1,797 (it lands at z = 42).
    assert [(f.code, f.columns) for f in report.findings] == [("DG103", ("pixel_7_0",))]


# --- linnerud -------------------------------------------------------------------------------


def test_linnerud_targets_are_regression_targets() -> None:
    """Regression: 20 rows of body weight, waist and pulse (whole numbers, 9..16 levels)
    were taken for class labels (DG119 "labels are stored as double") because any integer
    measurement has few levels on 20 rows. Labels repeat; these do not."""
    frame, targets = load("linnerud")
    report = run(frame, target=targets)
    assert report.tasks == dict.fromkeys(targets, "regression")
    found = warnings_by_code(report)
    # Weight 138..247 lb, waist 31..46 in, pulse 46..74 bpm: far from unit scale.
    assert found.pop("DG117") == {("Weight",), ("Waist",), ("Pulse",)}
    # Jumps (median 50) and sit-ups (median 120) are counts far from unit scale; chins
    # (median 11.5, spread 4) is below the limit.
    assert found.pop("DG101") == {("Jumps",), ("Situps",)}
    assert found == {}
    # Regression: 17 distinct jump counts in 20 rows are not integer codes (DG115).
    assert info_codes(report) == set()


def test_linnerud_standardized() -> None:
    frame, targets = load("linnerud")
    report = run(standardized(frame, targets), target=targets)
    assert {code for code, _ in above_info(report)} == {"DG117"}  # targets not standardized
