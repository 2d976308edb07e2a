"""Reading and writing contracts: YAML (safe loader only), errors that name file and line."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from dataguard.contract._model import Contract
from dataguard.errors import ConfigError, InputError
from dataguard.io import write_text_atomic

__all__ = ["contract_from_text", "load_contract", "save_contract"]


def load_contract(path: str | os.PathLike[str]) -> Contract:
    """Read and check a contract file.

    Raises :class:`~dataguard.errors.InputError` when the file cannot be read and
    :class:`~dataguard.errors.ConfigError` for malformed YAML (with its line) or a clause
    that does not fit the format (naming the key, its line, and what was expected).
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{p}: cannot read contract ({exc.strerror or exc})") from None
    return contract_from_text(text, str(p))


def contract_from_text(text: str, name: str = "<contract>") -> Contract:
    """Parse and check contract YAML text (``name`` labels the messages)."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{name}:{where}: not valid YAML ({problem})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{name}: a contract is a YAML mapping with 'dataguard: 1' at the top")
    try:
        return Contract.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = [str(x) for x in err["loc"]]
        line = _line(node, err["loc"])
        where = f" line {line}" if line else ""
        key = ".".join(loc) or "(top)"
        more = f" (and {len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown key"
        elif "input" in err and err["type"] != "missing":
            msg = f"{msg}, got {err['input']!r:.60}"
        raise ConfigError(f"{name}:{where}: {key}: {msg}{more}") from None


def _line(node: Any, loc: Sequence[Any]) -> int | None:
    """The 1-based line of the YAML node at ``loc`` (or of its deepest existing parent)."""
    line = None
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if str(k.value) == str(key):
                    line = k.start_mark.line + 1
                    node = v
                    break
            else:
                return line if line is not None else node.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int):
            if key >= len(node.value):
                return line
            node = node.value[key]
            line = node.start_mark.line + 1
        else:
            return line
    return line


class _Dumper(yaml.SafeDumper):
    """Safe YAML, with lists of plain values on one line (``levels: [a, b]``)."""


def _represent_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
    flow = all(not isinstance(v, (dict, list)) for v in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_Dumper.add_representer(list, _represent_list)


def save_contract(contract: Contract, path: str | os.PathLike[str]) -> None:
    """Write a contract as YAML, atomically (a temporary file renamed into place)."""
    p = Path(path)
    data = contract.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
    data = {"dataguard": contract.dataguard, **data}  # the version first, always written
    text = (
        "# dataguard contract: docs/contract.md; schema: schemas/contract.schema.json\n"
        + yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    )
    write_text_atomic(p, text)
