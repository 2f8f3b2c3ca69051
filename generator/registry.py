"""Named component schemas: proposals from every page merged by name, anonymous carriers matched or named."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from .model import NamedSchema, Schema, Source
from .schemas import merge_schemas, property_names

_ANON_PREFIX = "\x00anon:"
# An unnamed carrier (a response table on a page whose prose names no carrier) is taken to be a named one
# when their property names overlap this much; BatchTaskInfo on the list pages differs by one property.
_MATCH_JACCARD = 0.8
_MATCH_MIN_PROPERTIES = 3


@dataclass(frozen=True, slots=True)
class Conflict:
    source: Source
    message: str


class SchemaRegistry:
    def __init__(self) -> None:
        self._named: dict[str, list[tuple[Schema, Source]]] = {}
        self._anonymous: list[tuple[str, Schema, Source]] = []

    def propose(self, name: str, schema: Schema, source: Source) -> Schema:
        self._named.setdefault(name, []).append((schema, source))
        return Schema(ref=name)

    def anonymous(self, fallback: str, schema: Schema, source: Source) -> Schema:
        self._anonymous.append((fallback, schema, source))
        return Schema(ref=f"{_ANON_PREFIX}{len(self._anonymous) - 1}")

    def finalize(self) -> tuple[tuple[NamedSchema, ...], dict[str, str], list[Conflict]]:
        """Merges proposals; returns the schemas by name, the anonymous-ref renames, and contradictions."""
        conflicts: list[Conflict] = []
        renames: dict[str, str] = {}
        shapes = {name: property_names(proposals[0][0]) for name, proposals in self._named.items()}
        anonymous_names: dict[frozenset[str], str] = {}
        for index, (fallback, schema, source) in enumerate(self._anonymous):
            names = property_names(schema)
            target = _best_match(names, shapes) or anonymous_names.get(names)
            if target is None:
                target = fallback
                while target in shapes and shapes[target] != names:
                    target += "Item"
                anonymous_names[names] = target
                shapes.setdefault(target, names)
            self._named.setdefault(target, []).append((schema, source))
            renames[f"{_ANON_PREFIX}{index}"] = target

        result: list[NamedSchema] = []
        for name in sorted(self._named):
            proposals = self._named[name]
            merged, first_source = proposals[0]
            sources = [first_source]
            for schema, source in proposals[1:]:
                found: list[str] = []
                merged = merge_schemas(merged, schema, found, name)
                if source not in sources:
                    sources.append(source)
                conflicts.extend(
                    Conflict(source, f"schema {name} contradicts {first_source}: {message}") for message in found
                )
            result.append(NamedSchema(name, merged, tuple(sorted(set(sources), key=lambda s: (s.path, s.line)))))
        return tuple(result), renames, conflicts


def _best_match(names: frozenset[str], shapes: dict[str, frozenset[str]]) -> str | None:
    if len(names) < _MATCH_MIN_PROPERTIES:
        return None
    best, best_score = None, 0.0
    for name in sorted(shapes):
        other = shapes[name]
        if len(other) < _MATCH_MIN_PROPERTIES:
            continue
        score = len(names & other) / len(names | other)
        if score > best_score:
            best, best_score = name, score
    return best if best_score >= _MATCH_JACCARD else None


def rename_refs(value: Any, renames: dict[str, str]) -> Any:
    """Rewrites `Schema.ref` through `renames` anywhere inside a tree of frozen dataclasses and tuples."""
    if isinstance(value, Schema):
        changes: dict[str, Any] = {}
        if value.ref in renames:
            changes["ref"] = renames[value.ref]
        for name in ("items", "additional", "properties"):
            inner = getattr(value, name)
            if inner is not None:
                new = rename_refs(inner, renames)
                if new is not inner:
                    changes[name] = new
        return dataclasses.replace(value, **changes) if changes else value
    if isinstance(value, tuple):
        new_items = tuple(rename_refs(item, renames) for item in value)
        return value if all(a is b for a, b in zip(new_items, value)) else new_items
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {}
        for field in dataclasses.fields(value):
            inner = getattr(value, field.name)
            if isinstance(inner, (Schema, tuple)) or (dataclasses.is_dataclass(inner) and not isinstance(inner, type)):
                new = rename_refs(inner, renames)
                if new is not inner:
                    changes[field.name] = new
        return dataclasses.replace(value, **changes) if changes else value
    return value
