"""The public surface: a sorted, explicit __all__, and rule codes documented."""

from __future__ import annotations

import re
from pathlib import Path

import dataguard
from dataguard.rules import RULES
from dataguard.rules.contract import CONTRACT_CODES
from dataguard.rules.model import MODEL_CODES

ROOT = Path(__file__).resolve().parents[1]


def test_all_is_sorted_and_complete() -> None:
    public = {n for n in vars(dataguard) if not n.startswith("_")}
    modules = {n for n in public if type(getattr(dataguard, n)).__name__ == "module"}

    # isort-style order, as ruff's RUF022 keeps it: CONSTANTS, then Classes, then functions
    def key(name: str) -> tuple[int, str]:
        return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)

    assert sorted(dataguard.__all__, key=key) == list(dataguard.__all__)
    lazy = set(dataguard._LAZY)  # need an extra; imported on first access
    assert (public - modules) | lazy == set(dataguard.__all__) - {"__version__"}


def test_every_rule_code_has_exactly_one_docs_section() -> None:
    text = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    headings = re.findall(r"^## (DG\d{3}) ([a-z0-9-]+)", text, flags=re.MULTILINE)
    specs = {c: spec for c, (spec, _) in RULES.items()} | CONTRACT_CODES | MODEL_CODES
    assert [c for c, _ in headings] == sorted(specs)
    assert {c: s for c, s in headings} == {c: spec.slug for c, spec in specs.items()}


def test_rule_specs_are_consistent() -> None:
    for code, (spec, check) in RULES.items():
        assert spec.code == code
        assert callable(check)
        assert set(spec.reason) <= set(range(1, 12))
