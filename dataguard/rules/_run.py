"""Apply the registered rules to a profile."""

from __future__ import annotations

from collections.abc import Iterable

from dataguard.errors import ConfigError
from dataguard.findings import Finding
from dataguard.rules._context import RuleContext
from dataguard.rules._registry import RULES

__all__ = ["run_rules", "select_codes"]


def select_codes(
    select: Iterable[str] | None = None, ignore: Iterable[str] | None = None
) -> list[str]:
    """Codes to run: ``select`` (prefixes allowed, e.g. ``DG10``) minus ``ignore``.

    >>> select_codes(["DG10"], ["DG108"])[:3]
    ['DG101', 'DG102', 'DG103']
    """

    def expand(items: Iterable[str] | None, default: list[str]) -> list[str]:
        if items is None:
            return default
        out: list[str] = []
        for raw in items:
            for part in str(raw).split(","):
                code = part.strip().upper()
                if not code:
                    continue
                hits = [c for c in RULES if c.startswith(code)]
                if not hits:
                    raise ConfigError(
                        f"rule code {part.strip()!r} matches no rule; see `dataguard explain`"
                    )
                out.extend(hits)
        return out

    chosen = expand(select, list(RULES))
    dropped = set(expand(ignore, []))
    return [c for c in RULES if c in chosen and c not in dropped]


def run_rules(ctx: RuleContext, codes: Iterable[str] | None = None) -> list[Finding]:
    """Findings of the given rules (all by default), most severe first, then by code."""
    findings: list[Finding] = []
    for code in codes if codes is not None else RULES:
        _, check = RULES[code]
        findings.extend(check(ctx))
    findings.sort(key=lambda f: (-f.severity, f.code, f.columns))
    return findings
