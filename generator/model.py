"""The API model: operations, parameters and schemas as the spec will state them (no docs wording left)."""
from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import field
from typing import Any

from .records import record


@record()
class Schema:
    """A JSON Schema subset. `ref` names a component schema; `type=None` with nothing else means any value."""

    type: str | None = None
    format: str | None = None
    enum: tuple[str, ...] = ()
    properties: tuple[Property, ...] | None = None
    items: Schema | None = None
    additional: Schema | None = None
    ref: str | None = None
    description: str = ""

    def property(self, name: str) -> Property | None:
        return next((p for p in self.properties or () if p.name == name), None)


@record()
class Property:
    name: str
    schema: Schema
    description: str = ""


ANY = Schema()
BINARY = Schema(type="string", format="binary")


@record()
class Source:
    path: str
    line: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


@record()
class Example:
    name: str
    summary: str
    value: Any


@record()
class Content:
    media_types: tuple[str, ...]
    schema: Schema
    examples: tuple[Example, ...] = ()


@record()
class Parameter:
    name: str
    location: str  # path | query | header
    schema: Schema
    required: bool
    description: str = ""


@record()
class RequestBody:
    description: str
    content: Content
    required: bool = True
    alternatives: tuple[Content, ...] = ()  # media types whose body has another shape (merge patch)


@record()
class Response:
    status: str
    description: str
    content: Content | None = None


@record()
class Operation:
    operation_id: str
    method: str
    path: str
    summary: str
    description: str
    tags: tuple[str, ...]
    parameters: tuple[Parameter, ...]
    request_body: RequestBody | None
    responses: tuple[Response, ...]
    secured: bool
    sources: tuple[Source, ...]


@record()
class NamedSchema:
    name: str
    schema: Schema
    sources: tuple[Source, ...] = field(default=())


@record()
class Tag:
    name: str
    description: str = ""


@record()
class ApiModel:
    title: str
    operations: tuple[Operation, ...]
    schemas: tuple[NamedSchema, ...]
    tags: tuple[Tag, ...]


# A node of a schema tree: what `map_schemas` calls its visitor with.
Node = Schema | Property
# The fields of each record type that can hold records or tuples (none for other types), found once per type.
_FIELDS: dict[type, tuple[str, ...]] = {}
# Fields declared with these types hold no schema, so the walk does not look at them.
_SCALAR_TYPES = frozenset({"str", "int", "bool", "str | None", "int | None"})


def map_schemas(value: Any, visit: Callable[[Any], Any]) -> Any:
    """`value` (a record, a tuple, a schema) with `visit` applied to every Schema and Property in it, inner
    nodes first: `visit` gets a node whose children are already visited and returns its replacement.

    Unchanged subtrees stay the same objects, and a node shared by several parents is visited once.
    """
    return _map(value, visit, {})


def _map(value: Any, visit: Callable[[Any], Any], done: dict[int, Any]) -> Any:
    cls = type(value)
    if cls is Schema:
        found = done.get(id(value))
        if found is not None:
            return found
        properties = _map(value.properties, visit, done) if value.properties else value.properties
        items = _map(value.items, visit, done) if value.items is not None else None
        additional = _map(value.additional, visit, done) if value.additional is not None else None
        node = value
        if properties is not value.properties or items is not value.items or additional is not value.additional:
            node = Schema(type=value.type, format=value.format, enum=value.enum, properties=properties, items=items,
                          additional=additional, ref=value.ref, description=value.description)
        done[id(value)] = result = visit(node)
        return result
    if cls is Property:
        found = done.get(id(value))
        if found is not None:
            return found
        schema = _map(value.schema, visit, done)
        node = value if schema is value.schema else Property(value.name, schema, value.description)
        done[id(value)] = result = visit(node)
        return result
    if cls is tuple:
        mapped = [_map(item, visit, done) for item in value]
        for old, new in zip(value, mapped):
            if old is not new:
                return tuple(mapped)
        return value
    names = _FIELDS.get(cls)
    if names is None:
        names = _FIELDS[cls] = _nested_fields(cls)
    changes: dict[str, Any] = {}
    for name in names:
        inner = getattr(value, name)
        if inner is not None:
            new = _map(inner, visit, done)
            if new is not inner:
                changes[name] = new
    return dataclasses.replace(value, **changes) if changes else value


def _nested_fields(cls: type) -> tuple[str, ...]:
    """A record type's fields that may hold schemas; none for a plain value (str, dict, list)."""
    if not dataclasses.is_dataclass(cls):
        return ()
    return tuple(f.name for f in dataclasses.fields(cls) if f.type not in _SCALAR_TYPES)


def share_equal(value: Any) -> Any:
    """`value` with equal schemas and properties made one object each: a page's tree repeats the same few
    shapes (`TableRight`, `FieldProperties`) many times, and shared objects are pickled, loaded and renamed once."""
    seen: dict[tuple[Any, ...], Any] = {}

    def canonical(node: Any) -> Any:
        # The node's children are canonical already (inner nodes are visited first), so equal children are the
        # same object and the node's key can name them by identity: no subtree is hashed again at every level.
        if isinstance(node, Schema):
            key: tuple[Any, ...] = (
                node.type, node.format, node.enum,
                None if node.properties is None else tuple(map(id, node.properties)),
                None if node.items is None else id(node.items),
                None if node.additional is None else id(node.additional), node.ref, node.description)
        else:
            key = (node.name, id(node.schema), node.description)
        return seen.setdefault(key, node)

    return map_schemas(value, canonical)
