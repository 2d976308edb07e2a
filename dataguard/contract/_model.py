"""The contract: what later data must look like, as pydantic models (YAML on disk).

Unknown keys are rejected everywhere (``extra="forbid"``), so a typo is an error, not a
silently ignored clause. ``schemas/contract.schema.json`` is generated from these models
(``Contract.model_json_schema()``); a test fails when the committed file is stale.

Example (``schemas/examples/``)::

    dataguard: 1
    dataset:
      rows: {min: 1}
      extra_columns: warn
    columns:
      price:
        dtype: double
        role: target
        nullable: false
        range: {min: 0, max: 2500000}
        reference: {n: 3000, mean: 320402.1, std: 73529.2, quantiles: {...}}
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "ColumnContract",
    "Contract",
    "DatasetContract",
    "DriftTolerance",
    "Histogram",
    "Range",
    "Reference",
    "RowCount",
    "Semantic",
    "TransformsRef",
]

Level = str | int | float
Role = Literal["feature", "target", "key", "order", "ignore"]
Encoding = Literal["hhmm", "hhmmss", "yyyymmdd", "yyyymm"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False, validate_assignment=True)


class Range(_Strict):
    """Inclusive bounds on a numeric column's values (either may be absent)."""

    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"range min {self.min} is above max {self.max}")
        return self


class RowCount(_Strict):
    """Inclusive bounds on the number of rows of a file."""

    min: int | None = Field(default=None, ge=0)
    max: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> RowCount:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"rows min {self.min} is above max {self.max}")
        return self


class Histogram(_Strict):
    """Bin edges and counts (counts has one entry fewer than edges)."""

    edges: list[float]
    counts: list[float]

    @model_validator(mode="after")
    def _shape(self) -> Histogram:
        if len(self.edges) != len(self.counts) + 1:
            raise ValueError(
                f"histogram needs len(edges) == len(counts) + 1, got {len(self.edges)} "
                f"and {len(self.counts)}"
            )
        return self


class Reference(_Strict):
    """Statistics of the reference (training) data, for drift."""

    n: int = Field(ge=0, description="Non-null values the statistics were measured on.")
    mean: float | None = None
    std: float | None = Field(default=None, ge=0)
    quantiles: dict[str, float] | None = Field(
        default=None, description="Quantile level (as text, e.g. '0.1') -> value."
    )
    histogram: Histogram | None = None
    shares: dict[str, float] | None = Field(
        default=None, description="Categorical: level -> share of non-null rows."
    )


class DriftTolerance(_Strict):
    """Effect-size limits for DG308 (docs/contract.md: how sample size enters)."""

    psi: float = Field(default=0.2, gt=0, description="Population stability index.")
    ks: float = Field(default=0.1, gt=0, le=1, description="Kolmogorov-Smirnov distance.")
    js: float = Field(default=0.1, gt=0, le=1, description="Jensen-Shannon distance (base 2).")
    mean_z: float = Field(
        default=0.5, gt=0, description="|new mean - reference mean| / reference std."
    )


class Semantic(_Strict):
    """What the column means, declared instead of guessed."""

    cyclic_period: float | None = Field(default=None, gt=0)
    frame_group: str | None = None
    entity_key: str | None = None
    sentinels: list[float] | None = None
    encoding: Encoding | None = None


class ColumnContract(_Strict):
    """Clauses on one column."""

    dtype: str | None = Field(
        default=None, description="Arrow type as dataguard names it: double, int64, string, ..."
    )
    role: Role = "feature"
    required: bool = True
    nullable: bool = True
    max_null_fraction: float | None = Field(default=None, ge=0, le=1)
    range: Range | None = None
    levels: list[Level] | None = Field(default=None, description="Allowed values (a set).")
    unique: bool = False
    mean: Range | None = Field(default=None, description="Bounds on the column's mean.")
    std: Range | None = Field(default=None, description="Bounds on its standard deviation.")
    semantic: Semantic | None = None
    reference: Reference | None = None
    drift: DriftTolerance | None = None
    ignore: list[str] = Field(default_factory=list, description="Finding codes ignored here.")

    @field_validator("ignore")
    @classmethod
    def _codes(cls, v: list[str]) -> list[str]:
        bad = [c for c in v if not (len(c) == 5 and c.startswith("DG") and c[2:].isdigit())]
        if bad:
            raise ValueError(f"ignore: {bad[0]!r} is not a rule code like DG101")
        return v


class DatasetContract(_Strict):
    """Clauses on the whole file."""

    rows: RowCount = Field(default_factory=RowCount)
    extra_columns: Literal["allow", "warn", "forbid"] = "allow"


class TransformsRef(_Strict):
    """The transform plan (overriding the plan from findings) and the fitted artifact."""

    artifact: str | None = Field(default=None, description="Path of a transforms JSON.")
    plan: dict[str, Any] | None = Field(
        default=None, description="Column -> 'drop' or a list of steps (docs/transforms.md)."
    )


class Contract(_Strict):
    """A versioned contract (``dataguard: 1``)."""

    dataguard: Literal[1] = Field(description="Format version.")
    name: str | None = None
    source: str | None = Field(default=None, description="What it was inferred from.")
    dataset: DatasetContract = Field(default_factory=DatasetContract)
    columns: dict[str, ColumnContract] = Field(default_factory=dict)
    transforms: TransformsRef | None = None

    # -- convenience ---------------------------------------------------------------------
    def targets(self) -> list[str]:
        return [n for n, c in self.columns.items() if c.role == "target"]

    def role_of(self, role: str) -> str | None:
        return next((n for n, c in self.columns.items() if c.role == role), None)

    def save(self, path: Any) -> None:
        """Write as YAML (atomically)."""
        from dataguard.contract._io import save_contract

        save_contract(self, path)

    def to_pandera(self) -> Any:
        """A ``pandera.DataFrameSchema`` (needs the ``pandera`` extra)."""
        from dataguard.adapters.pandera import to_pandera

        return to_pandera(self)

    def to_great_expectations(self) -> Any:
        """A Great Expectations ``ExpectationSuite`` (needs the ``ge`` extra)."""
        from dataguard.adapters.great_expectations import to_great_expectations

        return to_great_expectations(self)
