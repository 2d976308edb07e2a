"""The report's JSON: valid against schemas/model-check-report.schema.json, round-trips through
json with inf/nan as text, and carries the per-layer table and the LR range test."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from torch import nn

from dataguard.model_check import check_model

ROOT = Path(__file__).resolve().parents[2]


def _report(checks: str = "default") -> dict[str, object]:
    torch.manual_seed(0)
    x = torch.randn(96, 6)
    y = (x @ torch.randn(6, 1)).tanh()
    net = nn.Sequential(nn.Linear(6, 32), nn.ReLU(), nn.Linear(32, 1), nn.ReLU())
    report = check_model(
        net, (x, y), loss_fn="mse", lr=1e-3, batch_size=32, n_train=96, checks=checks
    )
    doc = json.loads(report.to_json())
    assert doc == report.to_dict()
    return doc


@pytest.mark.parametrize("checks", ["default", "static"])
def test_report_validates_against_the_committed_schema(checks: str) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((ROOT / "schemas" / "model-check-report.schema.json").read_text())
    doc = _report(checks)
    jsonschema.validate(doc, schema)
    assert "DG201" in {f["code"] for f in doc["findings"]}
    kinds = [row["kind"] for row in doc["layers"]]
    assert kinds[:2] == ["Linear", "ReLU"]
    first = doc["layers"][0]
    assert first["fan_in"] == 6 and set(first["expected_std"]) == {"he", "xavier", "lecun"}
    if checks == "default":
        assert doc["lr_test"]["repeats"] >= 3 and len(doc["lr_test"]["losses"]) == 3
    else:
        assert doc["lr_test"] is None
        assert {"DG213", "DG215"}.isdisjoint(doc["checks"])


def test_dict_inputs_go_by_keyword_when_forward_names_them() -> None:
    class Tokens(nn.Module):  # Hugging Face style: forward(input_ids, attention_mask)
        def __init__(self) -> None:
            super().__init__()
            self.emb = nn.Embedding(50, 16)
            self.head = nn.Linear(16, 3)

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            h = self.emb(input_ids) * attention_mask.unsqueeze(-1)
            return self.head(h.sum(1) / attention_mask.sum(1, keepdim=True))

    class Columns(nn.Module):  # a dict of columns, taken whole
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(2, 3)

        def forward(self, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
            return self.fc(torch.stack([inputs["a"], inputs["b"]], 1))

    torch.manual_seed(0)
    ids = torch.randint(0, 50, (64, 7))
    mask = torch.ones(64, 7)
    y = torch.randint(0, 3, (64,))
    tokens = {"input_ids": ids, "attention_mask": mask}
    report = check_model(Tokens(), (tokens, y), loss_fn="ce", lr=1e-3, checks="static")
    assert report.facts["loss_at_init"] is not None
    columns = {"a": torch.randn(64), "b": torch.randn(64)}
    report = check_model(Columns(), (columns, y), loss_fn="ce", lr=1e-3, checks="static")
    assert report.facts["loss_at_init"] is not None
