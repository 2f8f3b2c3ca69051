"""The API model: operations, parameters and schemas as the spec will state them (no docs wording left)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
class Property:
    name: str
    schema: Schema
    description: str = ""


ANY = Schema()
BINARY = Schema(type="string", format="binary")


@dataclass(frozen=True, slots=True)
class Source:
    path: str
    line: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True, slots=True)
class Example:
    name: str
    summary: str
    value: Any


@dataclass(frozen=True, slots=True)
class Content:
    media_types: tuple[str, ...]
    schema: Schema
    examples: tuple[Example, ...] = ()


@dataclass(frozen=True, slots=True)
class Parameter:
    name: str
    location: str  # path | query | header
    schema: Schema
    required: bool
    description: str = ""


@dataclass(frozen=True, slots=True)
class RequestBody:
    description: str
    content: Content
    required: bool = True
    alternatives: tuple[Content, ...] = ()  # media types whose body has another shape (merge patch)


@dataclass(frozen=True, slots=True)
class Response:
    status: str
    description: str
    content: Content | None = None


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
class NamedSchema:
    name: str
    schema: Schema
    sources: tuple[Source, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class Tag:
    name: str
    description: str = ""


@dataclass(frozen=True, slots=True)
class ApiModel:
    title: str
    operations: tuple[Operation, ...]
    schemas: tuple[NamedSchema, ...]
    tags: tuple[Tag, ...]
