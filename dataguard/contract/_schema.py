"""The contract's JSON Schema, generated from the pydantic models.

``python -m dataguard.contract._schema`` rewrites ``schemas/contract.schema.json``; a test
fails when the committed file differs from what the models generate.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from dataguard.contract._model import Contract

__all__ = ["contract_schema", "schema_text"]

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "schemas" / "contract.schema.json"


def contract_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a contract document."""
    schema = Contract.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://dataguard.dev/schemas/contract.schema.json",
        "title": "dataguard contract",
        **{k: v for k, v in schema.items() if k != "title"},
    }


def schema_text() -> str:
    return json.dumps(contract_schema(), indent=2, sort_keys=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    path = Path(argv[0]) if argv else SCHEMA_PATH
    path.write_text(schema_text(), encoding="utf-8")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
