"""The API model: operations, parameters and schemas as the spec will state them (no docs wording left)."""
from __future__ import annotations

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
