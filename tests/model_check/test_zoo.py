"""``check_model`` on the setup corpus of ``_zoo``: healthy, unusual-but-trains, broken.

* healthy: nothing above info, and a plain training loop shows the setup trains;
* unusual: the same two checks (these are the false-alarm traps);
* broken: the expected code at its severity, and every other code raised at warning or
  above is one the variant lists in ``allowed`` with the reason it also applies.

On failure each test prints every finding (code, severity, message, evidence).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("sklearn")

from dataguard.findings import Severity  # noqa: E402
from dataguard.model_check import ModelReport, check_model  # noqa: E402
from dataguard.rules.model import MODEL_CODES  # noqa: E402

from ._zoo import BROKEN, HEALTHY, UNUSUAL, Setup, fit  # noqa: E402

#: Setups whose ``check_model`` call takes longer than ~5 s on 2 cores (marked slow there).
SLOW: set[str] = {"deep_plain_tanh16"}


def _params(setups: Iterable[Setup], *, runs_check: bool = True) -> list[Any]:
    out = []
    for s in setups:
        marks: list[Any] = [pytest.mark.filterwarnings(w) for w in s.ignore_warnings]
        if runs_check and s.name in SLOW:
            marks.append(pytest.mark.slow)
        out.append(pytest.param(s, id=s.name, marks=marks))
    return out


def _skip_if_unsupported(setup: Setup) -> None:
    reason = setup.skip() if setup.skip is not None else None
    if reason:
        pytest.skip(reason)


def _describe(setup: Setup, report: ModelReport) -> str:
    lines = [f"{setup.name}: {setup.description}"]
    for f in report.findings:
        lines.append(f"  {f.code} [{f.severity.label}] {f.message} evidence={f.evidence}")
    if report.skipped:
        lines.append(f"  skipped: {report.skipped}")
    return "\n".join(lines)


def _by_code(report: ModelReport) -> dict[str, Severity]:
    """The highest severity each code was raised at."""
    out: dict[str, Severity] = {}
    for f in report.findings:
        out[f.code] = max(out.get(f.code, Severity.INFO), f.severity)
    return out


def _check(setup: Setup) -> ModelReport:
    _skip_if_unsupported(setup)
    report = check_model(**setup.build())
    assert isinstance(report, ModelReport)
    return report


def _assert_quiet(setup: Setup) -> None:
    report = _check(setup)
    loud = [f for f in report.findings if f.severity > Severity.INFO]
    assert not loud, "raised above info:\n" + _describe(setup, report)


def _assert_trains(setup: Setup) -> None:
    _skip_if_unsupported(setup)
    before, after = fit(setup.build(), setup.steps)
    drop = 1.0 - after / before
    assert drop >= setup.min_drop, (
        f"{setup.name}: loss {before:.4g} -> {after:.4g} in {setup.steps} steps "
        f"(fell {drop:.0%}, expected >= {setup.min_drop:.0%})"
    )


# --- healthy ----------------------------------------------------------------------------------


@pytest.mark.parametrize("setup", _params(HEALTHY))
def test_healthy_setup_raises_nothing_above_info(setup: Setup) -> None:
    _assert_quiet(setup)


@pytest.mark.parametrize("setup", _params(HEALTHY))
def test_healthy_setup_trains(setup: Setup) -> None:
    _assert_trains(setup)


# --- unusual but trains -----------------------------------------------------------------------


@pytest.mark.parametrize("setup", _params(UNUSUAL))
def test_unusual_setup_trains(setup: Setup) -> None:
    _assert_trains(setup)


@pytest.mark.parametrize("setup", _params(UNUSUAL))
def test_unusual_setup_raises_nothing_above_info(setup: Setup) -> None:
    _assert_quiet(setup)


# --- broken -----------------------------------------------------------------------------------


@pytest.mark.parametrize("setup", _params(BROKEN))
def test_broken_setup_raises_its_code_and_only_allowed_others(setup: Setup) -> None:
    assert setup.expect is not None
    report = _check(setup)
    by_code = _by_code(report)
    got = by_code.get(setup.expect)
    assert got is not None and got >= setup.severity, (
        f"expected {setup.expect} at >= {setup.severity.label}, got "
        f"{got.label if got is not None else 'nothing'}:\n" + _describe(setup, report)
    )
    for code in setup.also_expect:
        also = by_code.get(code)
        assert also is not None and also >= Severity.WARNING, (
            f"expected {code} too, at >= warning:\n" + _describe(setup, report)
        )
    permitted = {setup.expect, *setup.also_expect, *setup.allowed}
    extra = sorted(
        c for c, sev in by_code.items() if sev >= Severity.WARNING and c not in permitted
    )
    assert not extra, f"also raised {extra}, not in allowed:\n" + _describe(setup, report)


# --- the corpus itself ------------------------------------------------------------------------


def test_corpus_size_and_coverage() -> None:
    assert len(HEALTHY) >= 7
    assert len(UNUSUAL) >= 8
    assert len(BROKEN) >= 20
    expected = {s.expect for s in BROKEN}
    assert len(expected) >= 14, sorted(c for c in expected if c)
    names = [s.name for s in (*HEALTHY, *UNUSUAL, *BROKEN)]
    assert len(names) == len(set(names)), "setup names must be unique"


@pytest.mark.parametrize("setup", _params(BROKEN, runs_check=False))
def test_broken_setup_is_documented(setup: Setup) -> None:
    assert setup.description.strip()
    assert setup.expect in MODEL_CODES
    assert setup.expect not in setup.allowed
    assert setup.severity >= Severity.WARNING
    for code in setup.also_expect:
        assert code in MODEL_CODES
    for code, reason in setup.allowed.items():
        assert code in MODEL_CODES, code
        assert isinstance(reason, str) and reason.strip(), f"{setup.name}: {code} has no reason"


@pytest.mark.parametrize("setup", _params((*HEALTHY, *UNUSUAL, *BROKEN), runs_check=False))
def test_build_is_deterministic(setup: Setup) -> None:
    a, b = setup.build(), setup.build()
    sa, sb = a["model"].state_dict(), b["model"].state_dict()
    assert sa.keys() == sb.keys()
    for key in sa:
        assert torch.equal(sa[key], sb[key]), f"{setup.name}: {key} differs between builds"
    assert not (setup.expect or setup.allowed) or setup in BROKEN
