"""Named component schemas: proposals from every page merged by name, anonymous carriers matched or named."""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any

from .model import NamedSchema, Schema, Source
from .schemas import merge_schemas, property_names

_ANON_PREFIX = "\x00anon:"
# An unnamed carrier (a response table on a page whose prose names no carrier) is taken to be a named one
# when their property names overlap this much; BatchTaskInfo on the list pages differs by one property.
_MATCH_JACCARD = 0.8
_MATCH_MIN_PROPERTIES = 3
_COMPATIBLE_OVERLAP = 0.5
# A type name in prose: two or more capitalised words run together (`BatchTaskState`).
_TYPE_WORD = re.compile(r"\b(?:[A-Z][a-z0-9]+){2,}\b")


@dataclass(frozen=True, slots=True)
class Conflict:
    source: Source
    message: str


def compatible(a: frozenset[str], b: frozenset[str]) -> bool:
    """Two shapes may be one type when at least half of the smaller one's properties are in the other."""
    if not a or not b:
        return True
    return len(a & b) / min(len(a), len(b)) >= _COMPATIBLE_OVERLAP


class SchemaRegistry:
    """Collects the component schemas that pages propose and decides their names.

    A name documented by a page (a carrier named in prose, a body name, a Type cell) is authoritative: every
    proposal under it is merged into one schema. A name guessed from a JSON key in a sample (`Contact`,
    `Value`) is reused only while the shapes agree; a different shape under the same key is qualified with
    the name of the type it was found in (`ColumnData` -> `ArchiveRowColumnData`).
    """

    def __init__(self, documented_shapes: dict[str, frozenset[str]] | None = None,
                 enum_types: dict[str, tuple[str, ...]] | None = None) -> None:
        self.enum_types: dict[str, tuple[str, ...]] = dict(enum_types or {})
        self._named: dict[str, list[tuple[Schema, Source, bool]]] = {}
        self._anonymous: list[tuple[str, Schema, Source]] = []
        self._documented = dict(documented_shapes or {})
        self._shapes: dict[str, frozenset[str]] = dict(self._documented)

    def documented_shapes(self) -> dict[str, frozenset[str]]:
        return dict(self._documented)

    def note_enum(self, description: str, values: tuple[str, ...]) -> None:
        """An enum parameter described as `The BatchTaskState to ...` names its enum type."""
        for word in _TYPE_WORD.findall(description):
            self.enum_types.setdefault(word, values)

    def enum_named_in(self, description: str) -> tuple[str, ...]:
        """Enum values for a string property described as `BatchTaskState of the task.`"""
        for word in _TYPE_WORD.findall(description):
            if word in self.enum_types:
                return self.enum_types[word]
        return ()

    def propose(self, name: str, schema: Schema, source: Source, *, documented: bool = True, parent: str = "") -> Schema:
        names = property_names(schema)
        if documented:
            self._documented[name] = self._documented.get(name, frozenset()) | names
        else:
            # The guessed name if the shapes agree, else the name qualified by its parent type. When both are
            # taken by other shapes, the qualified one is merged into anyway: a third name would be arbitrary.
            qualified = parent + name if parent and not name.startswith(parent) else name + "Item"
            if not compatible(self._shapes.get(name, frozenset()), names):
                name = qualified
        self._shapes[name] = self._shapes.get(name, frozenset()) | names
        self._named.setdefault(name, []).append((schema, source, documented))
        return Schema(ref=name)

    def anonymous(self, fallback: str, schema: Schema, source: Source) -> Schema:
        self._anonymous.append((fallback, schema, source))
        return Schema(ref=f"{_ANON_PREFIX}{len(self._anonymous) - 1}")

    def finalize(self) -> tuple[tuple[NamedSchema, ...], dict[str, str], list[Conflict]]:
        """Merges proposals; returns the schemas by name, the anonymous-ref renames, and contradictions."""
        conflicts: list[Conflict] = []
        renames: dict[str, str] = {}
        # Unnamed tables are matched to the carriers pages name, never to names guessed from samples.
        documented = {name: shapes for name, shapes in self._documented.items() if name in self._named}
        taken = set(self._named)
        groups: dict[frozenset[str], list[int]] = {}
        targets: dict[int, str] = {}
        for index, (_, schema, _) in enumerate(self._anonymous):
            names = property_names(schema)
            match = _best_match(names, documented)
            if match:
                targets[index] = match
            else:
                groups.setdefault(names, []).append(index)
        for names, members in groups.items():
            # Identical unnamed shapes are one type, named by the most specific name any of their pages suggests.
            fallbacks = sorted({self._anonymous[i][0] for i in members}, key=lambda n: (-len(n), n))
            target = fallbacks[0]
            while target in taken and self._shapes.get(target) != names:
                target += "Item"
            taken.add(target)
            for index in members:
                targets[index] = target
        for index, (_, schema, source) in enumerate(self._anonymous):
            self._named.setdefault(targets[index], []).append((schema, source, True))
            renames[f"{_ANON_PREFIX}{index}"] = targets[index]

        result: list[NamedSchema] = []
        for name in sorted(self._named):
            # Tables first: where a table and a sample disagree, the table is right (sample values are filler).
            proposals = sorted(self._named[name], key=lambda p: not p[2])
            merged, first_source, _ = proposals[0]
            sources = [first_source]
            for schema, source, documented in proposals[1:]:
                found: list[str] = []
                merged = merge_schemas(merged, schema, found, name)
                sources.append(source)
                if documented:
                    conflicts.extend(
                        Conflict(source, f"schema {name} contradicts {first_source}: {message}") for message in found)
            result.append(NamedSchema(name, merged, tuple(sorted(set(sources), key=lambda s: (s.path, s.line)))))
        return tuple(result), renames, conflicts


def _best_match(names: frozenset[str], shapes: dict[str, frozenset[str]]) -> str | None:
    """The named carrier an unnamed table most resembles, if any resembles it closely enough.

    A carrier whose every documented property the table lists beats one the table lacks properties of:
    pages add properties to a carrier (`_Links`), they do not drop documented ones.
    """
    if len(names) < _MATCH_MIN_PROPERTIES:
        return None
    best, best_key = None, (False, 0.0)
    for name in sorted(shapes):
        other = shapes[name]
        if len(other) < _MATCH_MIN_PROPERTIES:
            continue
        score = len(names & other) / len(names | other)
        key = (other <= names, score)
        if score >= _MATCH_JACCARD and key > best_key:
            best, best_key = name, key
    return best


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
