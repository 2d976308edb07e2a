"""Rule documentation: the sections of ``docs/rules.md`` (shipped as package data)."""

from __future__ import annotations

import re
from importlib import resources

__all__ = ["rule_doc", "rule_docs"]

_HEADING = re.compile(r"^## (DG\d{3})\b.*$", re.MULTILINE)


def rule_docs() -> dict[str, str]:
    """Every ``## DGnnn`` section of rules.md, by code."""
    text = resources.files("dataguard").joinpath("_data/rules.md").read_text(encoding="utf-8")
    marks = list(_HEADING.finditer(text))
    out = {}
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        out[m.group(1)] = text[m.start() : end].strip()
    return out


def rule_doc(code: str) -> str:
    """The documentation of one rule code.

    >>> rule_doc("DG107").splitlines()[0]
    '## DG107 non-finite'
    """
    return rule_docs()[code]
