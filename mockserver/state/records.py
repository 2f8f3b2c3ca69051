"""Records kept as their JSON text, read only when someone looks inside.

A 14 KB record (SuperOffice's PersonEntity) costs far more to parse and write again than to send. Most
stateful answers never look inside the record they send: a read answers the generated or stored record as it
is, and a list looks at each generated row's id only. So the generated records (`mockserver.stateful`) and the
stored ones (`Store.get`, `Store.entries`) come as a `JsonRecord`: a read-only mapping over the text, parsed on
the first read of a field other than the id, and written out as the text it holds (`mockserver.jsoncodec`
passes it through as an `orjson.Fragment`). Whoever needs to change one takes `to_dict()`.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

_UNREAD: Any = object()


class JsonRecord(Mapping[str, Any]):
    """A JSON object given as its text. `id_field` and `ident`, when given, answer the id without parsing (the
    text must hold that id). `reread` parses the text exactly: `json.loads` for text from clients (integers of
    any size), `orjson.loads` for text orjson wrote. `value`, when given, is the object the text was written
    from, read instead of parsing the text; nobody may change it."""

    __slots__ = ("text", "id_field", "ident", "_reread", "_value")

    def __init__(self, text: bytes | str, reread: Callable[[bytes | str], Any], id_field: str | None = None,
                 ident: Any = None, value: Any = _UNREAD) -> None:
        self.text = text
        self.id_field = id_field
        self.ident = ident
        self._reread = reread
        self._value = value

    def read(self) -> dict[str, Any]:
        """The record's fields, to read and not to change (`to_dict()` gives a copy to change)."""
        if self._value is _UNREAD:
            self._value = self._reread(self.text)
        return self._value  # type: ignore[no-any-return]

    _read = read

    def to_dict(self) -> dict[str, Any]:
        """A fresh dict of the record, the caller's to change."""
        return self._reread(self.text)  # type: ignore[no-any-return]

    def __getitem__(self, key: str) -> Any:
        if key == self.id_field and self.id_field is not None:
            return self.ident
        return self._read()[key]

    def __contains__(self, key: object) -> bool:
        return (key == self.id_field and self.id_field is not None) or key in self._read()

    def __iter__(self) -> Iterator[str]:
        return iter(self._read())

    def __len__(self) -> int:
        return len(self._read())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, JsonRecord):
            return self._read() == other._read()
        return self._read() == other

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"JsonRecord({self._read()!r})"


def plain(value: Any) -> Any:
    """`value` with its JsonRecords as dicts, for the writers that read dicts and change none (XML, `$select`).
    Records stand at the top of an answer, in a list, or in a list under a key (an envelope's rows), so only those
    are looked at."""
    if type(value) is JsonRecord:
        return value.read()
    if type(value) is list:
        return [v.read() if type(v) is JsonRecord else v for v in value]
    if type(value) is dict and any(type(v) is list for v in value.values()):
        return {k: plain(v) if type(v) is list else v for k, v in value.items()}
    return value


def as_mapping(value: Mapping[str, Any]) -> dict[str, Any]:
    """A dict to change: a copy of a JsonRecord's fields, or the dict itself."""
    return value.to_dict() if type(value) is JsonRecord else value  # type: ignore[return-value]
