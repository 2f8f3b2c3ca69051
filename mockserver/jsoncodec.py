"""JSON as the server writes and re-reads it: orjson, with the standard library for what orjson refuses.

orjson writes a 14 KB record in about a tenth of `json.dumps`'s time. Its output is what
`json.dumps(value, ensure_ascii=False, separators=(",", ":"))` gives, byte for byte, except for how floats are
spelled (`1e16`, not `1e+16`). It refuses integers beyond 64 bits, keys that are not strings and strings with
lone surrogates, and reads integers beyond 64 bits as floats; `encode` says which reader gives a text back
exactly. A `JsonRecord` in a value is written as the text it holds.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import orjson

from .state.records import JsonRecord

Reread = Callable[[bytes | str], Any]
_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"),
                            default=lambda o: o.to_dict() if isinstance(o, JsonRecord) else _refuse(o))
# A lone surrogate cannot be UTF-8: written as a \\ud800 escape, as JSON allows.
_ASCII = json.JSONEncoder(separators=(",", ":"), default=_COMPACT.default)


def _refuse(value: Any) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def encode(value: Any) -> tuple[bytes, Reread]:
    """Compact UTF-8 JSON (keys in insertion order) to keep, and the reader that gives the same value back."""
    text, reread = _encode(value)
    return exact(text), reread


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON, keys in insertion order: an answer's body, sent and dropped."""
    return _encode(value)[0]


def exact(text: bytes) -> bytes:
    """`text` in memory of its own size. orjson's output keeps the buffer it was written in: 256 KB for a
    15 KB record, so a cache of its outputs would hold a dozen times what it counts."""
    return bytes(memoryview(text))


def _encode(value: Any) -> tuple[bytes, Reread]:
    if type(value) is JsonRecord:
        text = value.text
        try:
            return (text if isinstance(text, bytes) else text.encode()), value._reread
        except UnicodeEncodeError:  # a lone surrogate in a stored text: written as an escape below
            value = value.read()
    passed: list[JsonRecord] = []

    def fragment(record: Any) -> Any:
        if isinstance(record, JsonRecord):
            passed.append(record)
            return orjson.Fragment(record.text)
        return _refuse(record)
    try:
        text = orjson.dumps(value, default=fragment)
    except orjson.JSONEncodeError:
        pass
    else:
        # orjson read back integers beyond 64 bits as floats: a record's text may hold some (a client's).
        return text, (orjson.loads if not passed else json.loads)
    try:
        return _COMPACT.encode(value).encode(), json.loads
    except UnicodeEncodeError:
        return _ASCII.encode(value).encode(), json.loads

