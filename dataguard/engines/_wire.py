"""The worker's reply on stdout: a JSON header, then raw binary parts (no pickle, no base64).

Layout: ``u64 n_header | header (UTF-8 JSON) | u64 n_part | part | ...`` (little-endian).

>>> import io
>>> buf = io.BytesIO()
>>> write_frame(buf, {"a": 1}, [b"xyz"])
>>> header, parts = read_frame(buf.getvalue())
>>> header, [bytes(p) for p in parts]
({'a': 1}, [b'xyz'])
"""

from __future__ import annotations

import json
import struct
from typing import Any, BinaryIO

__all__ = ["read_frame", "write_frame"]

_LEN = struct.Struct("<Q")


def write_frame(out: BinaryIO, header: dict[str, Any], parts: list[Any]) -> None:
    """Write the header and the binary parts (bytes-like objects)."""
    text = json.dumps(header).encode()
    out.write(_LEN.pack(len(text)))
    out.write(text)
    for part in parts:
        view = memoryview(part).cast("B")
        out.write(_LEN.pack(view.nbytes))
        out.write(view)
    out.flush()


def read_frame(data: bytes) -> tuple[dict[str, Any], list[Any]]:
    """Split a frame into its header and zero-copy views of its parts."""
    view = memoryview(data)
    (n,) = _LEN.unpack_from(view, 0)
    header: dict[str, Any] = json.loads(bytes(view[8 : 8 + n]))
    parts, pos = [], 8 + n
    while pos < len(view):
        (size,) = _LEN.unpack_from(view, pos)
        parts.append(view[pos + 8 : pos + 8 + size])
        pos += 8 + size
    return header, parts
