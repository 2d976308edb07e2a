"""What of a contract the exports check, and what they leave to ``dataguard validate``.

Shared by :mod:`dataguard.adapters.pandera` and :mod:`dataguard.adapters.great_expectations`
and free of both libraries, so :func:`untranslated` answers without either installed.

A clause is exported only where ``dataguard validate`` would report on it: a column with
``role: ignore`` gets no check, a column's ``ignore`` codes remove the clauses they silence
(``ignore: [DG305]`` drops ``levels``), and clauses ``validate`` skips for the declared dtype
(``range`` on text) are not exported either. Otherwise a pandera schema or a Great
Expectations suite would fail data that dataguard passes. Each such clause is still named by
:func:`untranslated`, with the reason.

Examples
--------
>>> from dataguard.contract import Contract
>>> c = Contract.model_validate({
...     "dataguard": 1,
...     "dataset": {"extra_columns": "warn"},
...     "columns": {"price": {"dtype": "double", "reference": {"n": 10, "mean": 3.0}}},
... })
>>> untranslated(c, "pandera")
['dataset: extra_columns=warn (pandera has no warning level)', \
'price: reference (drift statistics, DG308)']
"""

from __future__ import annotations

from typing import Literal

from dataguard.contract._model import ColumnContract, Contract, Range
from dataguard.validation import dtype_family

__all__ = [
    "CLAUSE_CODES",
    "KNOWN_FAMILIES",
    "LEVEL_FAMILIES",
    "NUMERIC_FAMILIES",
    "TOOLS",
    "Tool",
    "accepted_families",
    "checked_clauses",
    "inert_clauses",
    "untranslated",
]

Tool = Literal["pandera", "great_expectations"]

#: The tools a contract exports to.
TOOLS: tuple[Tool, ...] = ("pandera", "great_expectations")

#: Column clause -> the finding code ``dataguard validate`` reports it under.
CLAUSE_CODES: dict[str, str] = {
    "required": "DG301",
    "dtype": "DG302",
    "range": "DG303",
    "nullable": "DG304",
    "max_null_fraction": "DG304",
    "levels": "DG305",
    "unique": "DG306",
    "mean": "DG308",
    "std": "DG308",
}

#: DG302 families the exports can recognise in a pandas column (others compare as text).
KNOWN_FAMILIES = frozenset(
    {
        "integer",
        "floating",
        "boolean",
        "text",
        "binary",
        "decimal",
        "timestamp",
        "timestamp with time zone",
        "date",
        "time",
        "duration",
        "null",
    }
)
#: Families ``dataguard validate`` checks ``range``, ``mean`` and ``std`` on (its "numeric").
NUMERIC_FAMILIES = frozenset({"integer", "floating", "boolean", "decimal", "null"})
#: Families it checks ``levels`` on.
LEVEL_FAMILIES = NUMERIC_FAMILIES | {"text"}


def accepted_families(dtype: str) -> list[str]:
    """The column families that satisfy a contract ``dtype`` (DG302): its own, integer too
    for a floating contract, and ``null`` (an all-null column satisfies any type).

    >>> accepted_families("double"), accepted_families("large_string")
    (['floating', 'integer', 'null'], ['text', 'null'])
    """
    family = dtype_family(dtype)
    return [family, *(["integer"] if family == "floating" else []), "null"]


def checked_clauses(col: ColumnContract) -> set[str]:
    """The clauses of ``col`` that ``dataguard validate`` reports on, so the ones to export.

    Not a role ``ignore`` column, not silenced by the column's ``ignore`` codes, and not
    inert for the declared dtype (:func:`inert_clauses`).

    >>> sorted(checked_clauses(ColumnContract(dtype="double", levels=[1.0], ignore=["DG305"])))
    ['dtype', 'required']
    """
    if col.role == "ignore":
        return set()
    kept = {k for k in _declared_clauses(col) if CLAUSE_CODES[k] not in col.ignore}
    return kept - inert_clauses(col)


def inert_clauses(col: ColumnContract) -> set[str]:
    """Declared clauses ``dataguard validate`` never checks for the declared ``dtype``:
    ``range``, ``mean`` and ``std`` on a column that is not numeric, ``levels`` on one that
    is neither numeric nor text.

    >>> sorted(inert_clauses(ColumnContract(dtype="string", range={"min": 0}, levels=["a"])))
    ['range']
    """
    if col.dtype is None:
        return set()
    family = dtype_family(col.dtype)
    declared = _declared_clauses(col)
    out = set()
    if family not in NUMERIC_FAMILIES:
        out |= declared & {"range", "mean", "std"}
    if family not in LEVEL_FAMILIES:
        out |= declared & {"levels"}
    return out


def _declared_clauses(col: ColumnContract) -> set[str]:
    def bounded(r: Range | None) -> bool:
        return r is not None and (r.min is not None or r.max is not None)

    present = {
        "required": col.required,
        "dtype": col.dtype is not None,
        "range": bounded(col.range),
        "nullable": not col.nullable,
        "max_null_fraction": col.nullable and col.max_null_fraction is not None,
        "levels": col.levels is not None,
        "unique": col.unique,
        "mean": bounded(col.mean),
        "std": bounded(col.std),
    }
    return {k for k, on in present.items() if on}


def untranslated(contract: Contract, tool: Tool) -> list[str]:
    """Every clause of ``contract`` that the ``tool`` export does not check, one line each.

    Parameters
    ----------
    contract : Contract
        The contract to export.
    tool : {"pandera", "great_expectations"}
        The export.

    Returns
    -------
    list of str
        ``"subject: clause (why)"`` lines, the dataset's first, then the columns' in
        contract order, then the transforms'; empty when the export checks everything.

    Raises
    ------
    ValueError
        ``tool`` is not one of :data:`TOOLS`.

    Examples
    --------
    >>> c = Contract.model_validate({"dataguard": 1, "columns": {"city": {
    ...     "dtype": "string", "semantic": {"entity_key": "id"}}}})
    >>> for line in untranslated(c, "great_expectations"):
    ...     print(line)
    city: dtype string (Great Expectations cannot name pandas' default str dtype in a type list)
    city: semantic (entity_key)
    """
    if tool not in TOOLS:
        raise ValueError(f"tool {tool!r} is not known; expected one of {', '.join(TOOLS)}")
    out = _dataset_lines(contract, tool)
    for name, col in contract.columns.items():
        out.extend(_column_lines(name, col, tool))
    if contract.transforms is not None:
        parts = [k for k in ("artifact", "plan") if getattr(contract.transforms, k) is not None]
        if parts:
            out.append(f"transforms: {', '.join(parts)} (transform health, DG309)")
    return out


def _dataset_lines(contract: Contract, tool: Tool) -> list[str]:
    out = []
    policy = contract.dataset.extra_columns
    if policy == "warn" and tool == "pandera":
        out.append("dataset: extra_columns=warn (pandera has no warning level)")
    elif policy != "allow" and tool == "great_expectations":
        optional = [n for n, c in contract.columns.items() if "required" not in checked_clauses(c)]
        if optional:
            shown = ", ".join(repr(n) for n in optional[:3])
            more = f" and {len(optional) - 3} more" if len(optional) > 3 else ""
            out.append(
                f"dataset: extra_columns={policy} exactly (Great Expectations' exact column "
                f"set also fails when the optional columns {shown}{more} are absent)"
            )
    return out


def _column_lines(name: str, col: ColumnContract, tool: Tool) -> list[str]:
    if col.role == "ignore":
        return [f"{name}: role=ignore (dataguard checks nothing on it; nothing exported)"]
    out = []
    declared = _declared_clauses(col)
    idle = []
    for code in sorted(set(col.ignore)):
        silenced = sorted(k for k in declared if CLAUSE_CODES[k] == code)
        if silenced:
            out.append(f"{name}: {', '.join(silenced)} (silenced by ignore {code})")
        else:
            idle.append(code)
    if idle:
        out.append(f"{name}: ignore {', '.join(idle)} (silences no exported check)")
    inert = sorted(inert_clauses(col))
    if inert:
        out.append(f"{name}: {', '.join(inert)} (not checked by dataguard on a {col.dtype} column)")
    checked = checked_clauses(col)
    if "dtype" in checked and col.dtype is not None:
        why = _dtype_gap(col.dtype, tool)
        if why:
            out.append(f"{name}: dtype {col.dtype} ({why})")
    if tool == "great_expectations" and "required" not in checked and checked:
        out.append(
            f"{name}: required=false (Great Expectations fails the column's expectations "
            "when it is absent)"
        )
    if col.semantic is not None:
        facts = col.semantic.model_dump(exclude_none=True)
        out.append(f"{name}: semantic ({', '.join(facts)})")
    if col.reference is not None:
        out.append(f"{name}: reference (drift statistics, DG308)")
    if col.drift is not None:
        out.append(f"{name}: drift (effect-size tolerances, DG308)")
    return out


def _dtype_gap(dtype: str, tool: Tool) -> str | None:
    """Why ``dtype`` cannot be checked by ``tool`` (None when it can)."""
    family = dtype_family(dtype)
    if family not in KNOWN_FAMILIES:
        return "no type family that a pandas column can be matched to"
    if tool == "pandera":
        return None
    gaps = {
        "text": "Great Expectations cannot name pandas' default str dtype in a type list",
        "decimal": "Great Expectations cannot name decimal values in a pandas type list",
        "timestamp with time zone": (
            "Great Expectations names only timezone-naive datetime64 dtypes in a type list"
        ),
        "date": "Great Expectations cannot name datetime.date values in a pandas type list",
        "time": "Great Expectations cannot name datetime.time values in a pandas type list",
        "null": "Great Expectations has no type for an all-null column",
    }
    return gaps.get(family)
