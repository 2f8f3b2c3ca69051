"""Schemas from property tables and samples: type cells, inference from sample JSON, union merging."""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, replace
from typing import Any, Callable

from .model import ANY, Property, Schema

_SCALAR_TYPES: dict[str, Schema] = {
    "int32": Schema(type="integer", format="int32"),
    "int64": Schema(type="integer", format="int64"),
    "integer": Schema(type="integer"),
    "int": Schema(type="integer", format="int32"),
    "long": Schema(type="integer", format="int64"),
    "short": Schema(type="integer", format="int32"),
    "double": Schema(type="number", format="double"),
    "float": Schema(type="number", format="float"),
    "decimal": Schema(type="number", format="double"),
    "number": Schema(type="number"),
    "bool": Schema(type="boolean"),
    "boolean": Schema(type="boolean"),
    "string": Schema(type="string"),
    "date-time": Schema(type="string", format="date-time"),
    "datetime": Schema(type="string", format="date-time"),
    "date": Schema(type="string", format="date"),
    "byte": Schema(type="string", format="byte"),
    "guid": Schema(type="string", format="uuid"),
    "uuid": Schema(type="string", format="uuid"),
}
_CONTAINERS = {"object": "object", "array": "array", "dictionary": "object", "list": "array"}
_ENUM_CELL = re.compile(r"^Enum\s*:\s*(.*)$", re.I | re.S)
_CARRIER_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")


# Scalars inferred from samples, shared: a large input infers hundreds of thousands, and one object each
# keeps the cached drafts small (pickle stores a shared object once).
_BOOLEAN, _DOUBLE, _STRING = Schema(type="boolean"), _SCALAR_TYPES["double"], _SCALAR_TYPES["string"]
_INT32, _INT64, _DATE_TIME_STRING = _SCALAR_TYPES["int32"], _SCALAR_TYPES["int64"], _SCALAR_TYPES["date-time"]


@dataclass(frozen=True, slots=True)
class TypeCell:
    """What a Type cell says: a scalar/enum schema, a container word, nothing, or a carrier's name."""

    kind: str  # scalar | enum | object | array | empty | named | unknown
    schema: Schema = ANY
    name: str = ""


@functools.lru_cache(maxsize=4096)
def parse_type_cell(cell: str) -> TypeCell:
    cell = " ".join(cell.replace("`", "").split())
    if not cell:
        return TypeCell("empty")
    enum = _ENUM_CELL.match(cell)
    if enum:
        values = tuple(v.strip() for v in enum.group(1).split(",") if v.strip())
        return TypeCell("enum", Schema(type="string", enum=values))
    lowered = cell.lower()
    if lowered in _SCALAR_TYPES:
        return TypeCell("scalar", _SCALAR_TYPES[lowered])
    if lowered in _CONTAINERS:
        return TypeCell(_CONTAINERS[lowered])
    if _CARRIER_NAME.match(cell):
        return TypeCell("named", name=cell)
    return TypeCell("unknown", name=cell)


@functools.lru_cache(maxsize=65536)
def schema_name(text: str) -> str:
    """A component name from a docs word: `batchTaskInfo` -> `BatchTaskInfo`, `_Links` -> `Links`."""
    cleaned = re.sub(r"[^A-Za-z0-9]+", " ", text).strip()
    if not cleaned:
        return ""
    words = cleaned.split()
    name = "".join(w[:1].upper() + w[1:] for w in words)
    return name if not name[:1].isdigit() else "T" + name


@functools.lru_cache(maxsize=65536)
def singular(name: str) -> str:
    for suffix, replacement in (("ies", "y"), ("sses", "ss"), ("xes", "x"), ("ches", "ch"), ("shes", "sh")):
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)] + replacement
    if name.endswith("s") and not name.endswith("ss") and len(name) > 2:
        return name[:-1]
    return name + "Item"


# Proposes a named component schema for a shape found inside `parent` and returns a reference to it.
Namer = Callable[[str, Schema, str], Schema]


def _looks_like_dictionary(value: dict[str, Any], name_hint: str) -> bool:
    """Samples show dictionaries as placeholder keys: `{"fieldName": {...}}` or `{"ParameterObject1": ..., ...2}`.

    Carrier properties are PascalCase, so when most keys start in lower case they are data (archive columns
    like `saleId`, placeholders like `fieldName`), not property names.
    """
    keys = list(value)
    if sum(k[:1].islower() for k in keys) * 2 >= len(keys):
        return True
    hint = name_hint.lower()
    return all(k.lower().startswith(hint) and k[len(hint):].isdigit() for k in keys)


def infer_from_sample(value: Any, name_hint: str, name: Namer, parent: str = "") -> Schema:
    """The shape of a sample value. Values are filler: only their JSON type (and ISO date shape) is used."""
    if value is None:
        return ANY
    if isinstance(value, bool):
        return _BOOLEAN
    if isinstance(value, int):
        return _INT32 if -(2**31) <= value < 2**31 else _INT64
    if isinstance(value, float):
        return _DOUBLE
    if isinstance(value, str):
        return _DATE_TIME_STRING if _DATE_TIME.match(value) else _STRING
    if isinstance(value, list):
        return Schema(type="array", items=infer_items(value, singular(name_hint), name, parent))
    if isinstance(value, dict):
        own_name = schema_name(name_hint)
        if not value:
            return name(own_name, Schema(type="object", properties=()), parent)
        if _looks_like_dictionary(value, name_hint):
            return Schema(type="object", additional=infer_items(list(value.values()), singular(name_hint), name, parent))
        properties = tuple(
            Property(key, infer_from_sample(item, key, name, own_name)) for key, item in value.items()
        )
        return name(own_name, Schema(type="object", properties=properties), parent)
    return ANY


def infer_items(values: list[Any], name_hint: str, name: Namer, parent: str = "") -> Schema:
    """One schema for all the values of an array or dictionary; values of different types give any value."""
    merged = ANY
    for value in values:
        conflicts: list[str] = []
        merged = merge_schemas(merged, infer_from_sample(value, name_hint, name, parent), conflicts)
        if conflicts:
            return ANY
    return merged


def dictionary_values(sample: Any, prop_name: str, name: Namer, parent: str = "") -> Schema:
    """Value schema of a dictionary-typed property (`FieldProperties` -> FieldProperty) from its sample."""
    if not isinstance(sample, dict) or not sample:
        return ANY
    return infer_items(list(sample.values()), singular(prop_name), name, parent)


def merge_schemas(a: Schema, b: Schema, conflicts: list[str], where: str = "", widen: bool = False) -> Schema:
    """The union of two descriptions of the same value; `a` wins where they contradict (reported). With
    `widen`, a value whose types contradict is any value instead: two samples that disagree say only that the
    docs do not know, and a mock must accept what either shows."""
    if a == b or b == ANY:
        return a
    if a == ANY:
        return b
    if a.ref or b.ref:
        if a.ref and b.ref and a.ref != b.ref:
            conflicts.append(f"{where or 'value'}: {a.ref} vs {b.ref}")
        other = b if a.ref else a
        if widen and not other.ref and other.type not in (None, "object"):
            conflicts.append(f"{where or 'value'}: {a.ref or a.type} vs {b.ref or b.type}")
            return replace(ANY, description=a.description or b.description)
        return a if a.ref else b
    description = a.description or b.description
    if a.type != b.type:
        if {a.type, b.type} == {"integer", "number"}:
            return replace(a if a.type == "number" else b, description=description)
        if a.type is None:
            return replace(b, description=description)
        if b.type is None:
            return a
        conflicts.append(f"{where or 'value'}: {a.type} vs {b.type}")
        return replace(ANY, description=description) if widen else a
    fmt = a.format or b.format
    if a.format and b.format and a.format != b.format:
        if {a.format, b.format} == {"int32", "int64"}:
            fmt = "int64"
        else:
            conflicts.append(f"{where or 'value'}: format {a.format} vs {b.format}")
            fmt = a.format
    enum = a.enum + tuple(v for v in b.enum if v not in a.enum) if a.enum and b.enum else (a.enum or b.enum)
    items = _merge_optional(a.items, b.items, conflicts, f"{where}[]", widen)
    additional = _merge_optional(a.additional, b.additional, conflicts, f"{where}{{}}", widen)
    properties = a.properties
    if a.properties is not None and b.properties is not None:
        merged: list[Property] = []
        others = {p.name: p for p in reversed(b.properties)}  # reversed: the first of a repeated name wins
        for prop in a.properties:
            other = others.get(prop.name)
            if other is None:
                merged.append(prop)
            else:
                path = f"{where}.{prop.name}" if where else prop.name
                merged.append(Property(prop.name, merge_schemas(prop.schema, other.schema, conflicts, path, widen),
                                       prop.description or other.description))
        mine = {p.name for p in a.properties}
        merged.extend(p for p in b.properties if p.name not in mine)
        properties = tuple(merged)
    elif properties is None:
        properties = b.properties
    return Schema(type=a.type, format=fmt, enum=enum, properties=properties, items=items, additional=additional,
                  description=description)


def _merge_optional(a: Schema | None, b: Schema | None, conflicts: list[str], where: str,
                    widen: bool = False) -> Schema | None:
    if a is None or b is None:
        return a or b
    return merge_schemas(a, b, conflicts, where, widen)


def property_names(schema: Schema) -> frozenset[str]:
    return frozenset(p.name for p in schema.properties or ())
