"""Column types and roles (seed reasons 2, 3): DG114 id-like, DG115 numeric-categorical,
DG116 high-cardinality, DG120 duplicates, DG123 unprofiled type, DG125 mixed types."""

from __future__ import annotations

from collections.abc import Iterator

from dataguard.findings import Finding, Severity
from dataguard.profile import ColumnProfile
from dataguard.rules._context import RuleContext, RuleSpec
from dataguard.rules._measures import fmt, name_tokens, name_words
from dataguard.rules._thresholds import Thresholds

DG114 = RuleSpec(
    "DG114",
    "id-like",
    "types",
    Severity.WARNING,
    (3,),
    "identifiers or row counters used as features",
)
DG115 = RuleSpec(
    "DG115",
    "numeric-categorical",
    "types",
    Severity.INFO,
    (3,),
    "low-cardinality integer codes that are categories",
)
DG116 = RuleSpec(
    "DG116",
    "high-cardinality",
    "types",
    Severity.INFO,
    (3,),
    "categorical with too many levels for one-hot",
)
DG120 = RuleSpec(
    "DG120", "duplicates", "types", Severity.INFO, (2,), "duplicate rows / identical columns"
)
DG123 = RuleSpec(
    "DG123",
    "unprofiled-type",
    "types",
    Severity.INFO,
    (3,),
    "a column type a network cannot take as it is (dates, lists, binary)",
)
DG125 = RuleSpec(
    "DG125",
    "mixed-types",
    "types",
    Severity.WARNING,
    (3,),
    "a text column whose values are mostly numbers",
)

_ID_TOKENS = {"id", "ids", "idx", "index", "key", "uuid", "guid", "pk", "rowid", "row"}
#: Words that end in "id" without naming an identifier ("amount_paid", "humid", "is_valid").
_NOT_ID_WORDS = {
    "acid",
    "android",
    "avoid",
    "covid",
    "fluid",
    "grid",
    "humid",
    "hybrid",
    "invalid",
    "lipid",
    "liquid",
    "paid",
    "prepaid",
    "rapid",
    "rigid",
    "sigmoid",
    "solid",
    "steroid",
    "thyroid",
    "unpaid",
    "valid",
    "void",
}
#: Text columns with at least this share of ISO-like dates are dates, not categories.
DATE_TEXT_SHARE = 0.9
_TIME_WORDS = {
    "year",
    "yr",
    "date",
    "time",
    "day",
    "month",
    "week",
    "hour",
    "minute",
    "second",
    "step",
    "epoch",
    "timestamp",
    "ts",
    "t",
    "period",
    "frame",
    "tick",
}
_CODE_TOKENS = {
    "code",
    "codes",
    "type",
    "category",
    "cat",
    "class",
    "kind",
    "group",
    "zip",
    "region",
    "state",
    "country",
    "status",
    "label",
    "id",
    "level",
}


def _counter(c: ColumnProfile) -> bool:
    """Strictly increasing integers that advance about one step per row, not named as time
    (a year or step index of a time series orders the rows; it is not an identifier)."""
    return bool(
        not (set(name_words(c.name)) & _TIME_WORDS)
        and c.integral
        and c.strictly_increasing
        and c.n_valid >= 100
        and (c.max - c.min + 1) <= 2 * c.n_valid
        and c.n_null == 0
    )


def _id_named(name: str) -> bool:
    """An identifier's name: an id word ("user_id", "rowIndex") or a last word ending in
    "id" ("userid") that is not an ordinary word ("amount_paid", "humid")."""
    words = name_words(name)
    if set(words) & _ID_TOKENS:
        return True
    return bool(words) and words[-1].endswith("id") and words[-1] not in _NOT_ID_WORDS


def _unique(c: ColumnProfile) -> bool:
    if c.distinct_exact and c.n_distinct is not None:
        return c.n_distinct == c.n_valid
    return bool(
        c.sample_distinct_share is not None
        and c.sample_distinct_share >= 0.999
        and (c.sample_size or 0) >= 1000
    )


def identifier_reason(c: ColumnProfile, t: Thresholds) -> str | None:
    """Why a column looks like an identifier or a row counter, or None.

    The scale rules skip such columns: DG114 says to drop them, not to scale them.
    """
    if c.kind == "numeric":
        if _counter(c):
            return f"strictly increasing integers from {fmt(c.min)} to {fmt(c.max)}, a row counter"
        if c.integral and _id_named(c.name) and _unique(c):
            return "unique integers named like an identifier"
        return None
    if c.kind != "categorical" or c.n_valid < 100 or is_date_text(c):
        return None
    share = (c.n_distinct or 0) / c.n_valid
    return f"{share:.1%} of its values are distinct" if share >= t.id_distinct_share else None


def id_like(ctx: RuleContext) -> Iterator[Finding]:
    """DG114."""
    for c in ctx.inputs():
        why = identifier_reason(c, ctx.thresholds)
        if why is None:
            continue
        named = _id_named(c.name)
        yield DG114.finding(
            [c.name],
            f"Column {c.name!r}: {why}; an identifier carries no signal a network can "
            "generalise from, only memorisation and leakage; drop it (keep it as a key)",
            {
                "n_distinct": c.n_distinct,
                "n_valid": c.n_valid,
                "min": c.min,
                "max": c.max,
                "strictly_increasing": c.strictly_increasing,
                "name_hint": named,
            },
            {"transform": "drop", "role": "key"},
        )


def _gappy(values: list[float]) -> bool:
    """Levels spread over more than 1.5x the integers a contiguous run would use."""
    return (values[-1] - values[0] + 1) > 1.5 * len(values)


def numeric_categorical(ctx: RuleContext) -> Iterator[Finding]:
    """DG115."""
    t = ctx.thresholds
    for c in ctx.numeric_inputs():
        if not (
            c.integral
            and c.distinct_exact
            and c.values
            and c.n_distinct is not None
            and 3 <= c.n_distinct <= t.categorical_max_levels
            and c.n_valid >= t.min_rows_per_level * c.n_distinct  # codes repeat
        ):
            continue
        levels = sorted(c.values)
        named = bool(name_tokens(c.name) & _CODE_TOKENS)
        if not (named or _gappy(levels)):
            continue
        yield DG115.finding(
            [c.name],
            f"Column {c.name!r}: {c.n_distinct} integer levels {_levels(levels)}"
            + (" named like a code" if named else " with uneven gaps")
            + "; as numbers they imply an order and distances the codes may not have; "
            "one-hot encode them if they are categories",
            {"n_distinct": c.n_distinct, "levels": levels, "name_hint": named},
            {"transform": "one_hot", "levels": levels},
        )


def _levels(levels: list[float]) -> str:
    shown = ", ".join(fmt(v) for v in levels[:8])
    return "{" + shown + (", ..." if len(levels) > 8 else "") + "}"


def high_cardinality(ctx: RuleContext) -> Iterator[Finding]:
    """DG116 (identifiers are DG114's; numbers mixed with text codes are DG125's)."""
    t = ctx.thresholds
    for c in ctx.inputs():
        if c.kind != "categorical" or (c.n_distinct or 0) <= t.one_hot_max_levels:
            continue
        if _mixed_numbers(c, t) or is_date_text(c):
            continue  # DG125 / DG123 say: convert; embedding the values would be wrong
        if (c.n_distinct or 0) / c.n_valid >= t.id_distinct_share and c.n_valid >= 100:
            continue
        approx = "" if c.distinct_exact else "about "
        yield DG116.finding(
            [c.name],
            f"Column {c.name!r}: {approx}{fmt(c.n_distinct)} levels, more than the "
            f"{t.one_hot_max_levels} one-hot handles well; use an embedding (ordinal codes "
            "feeding nn.Embedding) or hashing",
            {
                "n_distinct": c.n_distinct,
                "exact": c.distinct_exact,
                "top": c.top,
                "limit": t.one_hot_max_levels,
            },
            {"transform": "ordinal", "then": {"transform": "embedding"}},
        )


def duplicates(ctx: RuleContext) -> Iterator[Finding]:
    """DG120: duplicate rows and identical columns."""
    p = ctx.profile
    if p.duplicate_rows and p.n_rows:
        share = p.duplicate_rows / p.n_rows
        est = "" if p.duplicates_exact else "about "
        yield DG120.finding(
            [],
            f"Dataset: {est}{fmt(p.duplicate_rows)} rows ({share:.2%}) repeat an earlier row; "
            "duplicates weigh those examples twice and leak across splits; drop them",
            {"duplicate_rows": p.duplicate_rows, "share": share, "exact": p.duplicates_exact},
            {"transform": "drop_duplicates"},
        )
    for group in p.identical_columns:
        yield DG120.finding(
            group,
            f"Columns {', '.join(repr(g) for g in group)}: identical on every statistic and "
            "every sampled row; keep one",
            {"columns": group},
            {"transform": "drop", "columns": group[1:]},
        )


def unprofiled(ctx: RuleContext) -> Iterator[Finding]:
    """DG123: temporal columns and types that are not profiled."""
    for c in ctx.profile.columns.values():
        if c.kind == "temporal":
            yield DG123.finding(
                [c.name],
                f"Column {c.name!r}: type {c.dtype} ({c.min} to {c.max}) cannot be fed to a "
                "network as it is; derive numbers from it (elapsed time, cyclic hour/day)",
                {"dtype": c.dtype, "min": c.min, "max": c.max},
                {"transform": "elapsed", "then": {"transform": "standardize"}},
            )
        elif is_date_text(c):
            yield DG123.finding(
                [c.name],
                f"Column {c.name!r}: {c.date_text_share:.0%} of its values are dates stored as "
                "text; parse them and derive numbers (elapsed time, cyclic month/day) instead "
                "of encoding each date as a category",
                {"date_text_share": c.date_text_share, "top": c.top},
                {"transform": "parse_date", "then": {"transform": "elapsed"}},
            )
        elif c.kind == "skipped":
            yield DG123.finding(
                [c.name],
                f"Column {c.name!r}: type {c.dtype} is not profiled; flatten or encode it "
                "before training",
                {"dtype": c.dtype, "n_null": c.n_null},
            )


def is_date_text(c: ColumnProfile) -> bool:
    """A text column whose values are (almost all) ISO-like dates."""
    return c.kind == "categorical" and (c.date_text_share or 0.0) >= DATE_TEXT_SHARE


def _mixed_numbers(c: ColumnProfile, t: Thresholds) -> bool:
    """Mostly numbers, plus some text codes: DG125's warning (convert to numbers)."""
    share = c.numeric_text_share
    return c.kind == "categorical" and share is not None and t.mixed_numeric_share <= share < 1.0


def mixed(ctx: RuleContext) -> Iterator[Finding]:
    """DG125: numbers stored as text."""
    t = ctx.thresholds
    for c in ctx.profile.columns.values():
        share = c.numeric_text_share
        if c.kind != "categorical" or share is None or share < t.mixed_numeric_share:
            continue
        top_text = [v for v, _ in (c.top or [])]
        if share < 1.0:
            yield DG125.finding(
                [c.name],
                f"Column {c.name!r}: {share:.1%} of its values are numbers but the rest are "
                f"text (e.g. {top_text[:3]}); expected one type; map the text codes to missing "
                "and convert to numbers",
                {"numeric_share": share, "top": c.top},
                {"transform": "to_numeric", "errors": "missing"},
            )
        else:
            yield DG125.finding(
                [c.name],
                f"Column {c.name!r}: every value is a number stored as text; convert it (or "
                "declare it categorical if the digits are codes)",
                {"numeric_share": share, "top": c.top},
                {"transform": "to_numeric"},
                severity=Severity.INFO,
            )
