"""examples/make_examples.py: it runs, its datasets are small, and each raises exactly the
findings its docstring promises (together: every registered rule code)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import dataguard
from dataguard import Severity
from dataguard._config import ProjectConfig
from dataguard.rules import RULES

SCRIPT = Path(__file__).resolve().parents[1] / "examples" / "make_examples.py"

#: Per dataset: its target, and every finding as code -> the column groups it names.
EXPECTED: dict[str, tuple[str, dict[str, set[tuple[str, ...]]]]] = {
    "turbine": (
        "power_kw",
        {
            "DG101": {("camera_brightness",), ("pressure_pa",), ("rotor_rpm",)},
            "DG110": {("wind_dir_deg",), ("yaw_deg",)},
            "DG117": {("power_kw",)},
        },
    ),
    "house_prices": (
        "price",
        {
            "DG101": {
                ("garage_area",),
                ("lot_size",),
                ("sqft",),
                ("year_built",),
            },
            "DG102": {("lot_size", "bathrooms")},
            "DG106": {("garage_area",)},
            "DG113": {("lot_size",)},
            "DG114": {("row_id",)},
            "DG115": {("zone_code",)},
            "DG117": {("price",)},
        },
    ),
    "sensor_log": (
        "efficiency",
        {
            "DG101": {("gps_time_s",), ("pressure_pa",)},
            "DG102": {("gps_time_s", "strain")},
            "DG103": {("calib_ref",)},
            "DG104": {("strain",)},
            "DG105": {("gps_time_s",)},
            "DG106": {("aux_probe",)},
            "DG107": {("flow_lpm",)},
            "DG108": {("vibration_g",)},
            "DG123": {("recorded_at",)},
            "DG124": {("aux_probe",)},
        },
    ),
    "churn": (
        "churned",
        {
            "DG101": {("monthly_charges",), ("monthly_fee",), ("tenure_months",)},
            "DG106": {("payment_method",)},
            "DG114": {("customer_id",)},
            "DG116": {("city",)},
            "DG118": {("churned",)},
            "DG119": {("churned",)},
            "DG120": {(), ("monthly_charges", "monthly_fee")},
            "DG123": {("signup_date",)},
            "DG125": {("total_charges",)},
        },
    ),
    "healthy": ("label", {}),
}


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("examples") / "data"
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), str(folder)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return folder


def test_generator_writes_every_dataset_and_stays_small(data_dir: Path) -> None:
    names = sorted(p.name for p in data_dir.iterdir())
    assert names == sorted(f"{n}.parquet" for n in EXPECTED)
    assert sum(p.stat().st_size for p in data_dir.iterdir()) < 2 * 1024 * 1024
    for path in data_dir.iterdir():
        assert 2000 <= pq.read_metadata(path).num_rows <= 10_000


def test_generator_is_deterministic(data_dir: Path, tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("make_examples", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for path in module.write_all(tmp_path):
        assert pq.read_table(path).equals(pq.read_table(data_dir / path.name))


@pytest.mark.parametrize("name", list(EXPECTED))
def test_each_dataset_raises_exactly_its_findings(data_dir: Path, name: str) -> None:
    target, expected = EXPECTED[name]
    report = dataguard.profile(data_dir / f"{name}.parquet", target=target, config=ProjectConfig())
    found: dict[str, set[tuple[str, ...]]] = {}
    for f in report.findings:
        found.setdefault(f.code, set()).add(f.columns)
    assert found == expected
    if name == "healthy":
        assert [f for f in report.findings if f.severity > Severity.INFO] == []


#: Codes these examples leave to others: the representation detectors have their own
#: examples (tests/test_representation_examples.py); DG126 needs rows out of order, which no
#: example ships (tests/rules/test_cyclic.py covers it).
ELSEWHERE = {"DG109", "DG110", "DG111", "DG112", "DG126"}


def test_datasets_together_cover_every_rule() -> None:
    covered = {code for _, expected in EXPECTED.values() for code in expected}
    assert covered - ELSEWHERE == set(RULES) - ELSEWHERE


def test_key_evidence(data_dir: Path) -> None:
    """The numbers the docstring promises."""
    churn = dataguard.profile(data_dir / "churn.parquet", target="churned", config=ProjectConfig())
    (imbalance,) = [f for f in churn.findings if f.code == "DG118"]
    assert imbalance.evidence["minority"] == "yes"
    assert imbalance.evidence["minority_share"] == pytest.approx(120 / 4040, abs=0.002)
    (dups,) = [f for f in churn.findings if f.code == "DG120" and not f.columns]
    assert dups.evidence["duplicate_rows"] == 40
    sensor = dataguard.profile(
        data_dir / "sensor_log.parquet", target="efficiency", config=ProjectConfig()
    )
    (inf,) = [f for f in sensor.findings if f.code == "DG107"]
    assert inf.evidence["n_posinf"] == 3
    (spikes,) = [f for f in sensor.findings if f.code == "DG108"]
    assert spikes.evidence["beyond_fences_share"] == pytest.approx(0.001)
    house = dataguard.profile(
        data_dir / "house_prices.parquet", target="price", config=ProjectConfig()
    )
    (missing,) = [f for f in house.findings if f.code == "DG106"]
    assert missing.evidence["null_share"] == pytest.approx(0.05, abs=0.01)
    assert house.tasks == {"price": "regression"}
