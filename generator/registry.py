"""Named component schemas: proposals from every page merged by name, anonymous carriers matched or named."""
from __future__ import annotations

import functools
from dataclasses import replace
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .model import NamedSchema, Schema, Source, map_schemas
from .records import record
from .schemas import merge_schemas, property_names

_ANON_PREFIX = "\x00anon:"
# An unnamed carrier (a response table on a page whose prose names no carrier) is taken to be a named one
# when their property names overlap this much; BatchTaskInfo on the list pages differs by one property.
_MATCH_JACCARD = 0.8
_MATCH_MIN_PROPERTIES = 3
_COMPATIBLE_OVERLAP = 0.5
# A type name in prose: two or more capitalised words run together (`BatchTaskState`).
_TYPE_WORD = re.compile(r"\b(?:[A-Z][a-z0-9]+){2,}\b")


@record()
class Conflict:
    source: Source
    message: str


def compatible(a: frozenset[str], b: frozenset[str]) -> bool:
    """Two shapes may be one type when at least half of the smaller one's properties are in the other."""
    if not a or not b:
        return True
    return len(a & b) / min(len(a), len(b)) >= _COMPATIBLE_OVERLAP


@record()
class Proposal:
    """A schema one page proposes: under a name (`documented` or guessed from a sample key) or unnamed."""

    name: str  # for an anonymous carrier, the name to fall back on
    schema: Schema
    source: Source
    documented: bool = True
    parent: str = ""
    anonymous: bool = False
    ref: str = ""  # what the page's inference was given back for it: a page-local reference or a documented name


_LOCAL_PREFIX = "\x00local:"


def _enum_lookup(words: tuple[str, ...], enum_types: Mapping[str, tuple[str, ...]]) -> tuple[str, ...]:
    return next((enum_types[word] for word in words if word in enum_types), ())


# What a page is given for an enum type named in prose, until the registry knows every page's enum types:
# this marker followed by the type words, resolved when the page's references are (see rename_refs).
_ENUM_MARKER = "\x00enum-named-in"


class PageRecorder:
    """What one page's inference asks of the registry, recorded so the page can be inferred on its own.

    Inferring a page then depends only on the page: it can run in a worker process and be cached. What
    depends on other pages (a guessed name another page already uses for another shape, an anonymous
    carrier's final name, an enum type defined elsewhere) comes back as a page-local reference or marker,
    which `SchemaRegistry.add_page` resolves in page order, exactly as if every page had used one registry.
    """

    def __init__(self) -> None:
        self.proposals: list[Proposal] = []
        self.enum_notes: dict[str, tuple[str, ...]] = {}

    def note_enum(self, description: str, values: tuple[str, ...]) -> None:
        """An enum parameter described as `The BatchTaskState to ...` names its enum type."""
        for word in _TYPE_WORD.findall(description):
            self.enum_notes.setdefault(word, values)

    def enum_named_in(self, description: str) -> tuple[str, ...]:
        """Enum values for a string property described as `BatchTaskState of the task.`: a marker for now,
        since the type may be defined on another page."""
        words = tuple(_TYPE_WORD.findall(description))
        return (_ENUM_MARKER, *words) if words else ()

    def propose(self, name: str, schema: Schema, source: Source, *, documented: bool = True, parent: str = "") -> Schema:
        # A guessed name's final form depends on the shapes other pages gave it first, so the page gets a local
        # reference. Proposals of one name share it, as they almost always share the final name.
        ref = name if documented else f"{_LOCAL_PREFIX}{name}"
        self.proposals.append(Proposal(name, schema, source, documented, parent, ref=ref))
        return Schema(ref=ref)

    def anonymous(self, fallback: str, schema: Schema, source: Source) -> Schema:
        ref = f"{_LOCAL_PREFIX}#{len(self.proposals)}"
        self.proposals.append(Proposal(fallback, schema, source, anonymous=True, ref=ref))
        return Schema(ref=ref)


class SchemaRegistry:
    """Collects the component schemas that pages propose and decides their names.

    A name documented by a page (a carrier named in prose, a body name, a Type cell) is authoritative: every
    proposal under it is merged into one schema. A name guessed from a JSON key in a sample (`Contact`,
    `Value`) is reused only while the shapes agree; a different shape under the same key is qualified with
    the name of the type it was found in (`ColumnData` -> `ArchiveRowColumnData`).
    """

    def __init__(self, documented_shapes: dict[str, frozenset[str]] | None = None,
                 enum_types: dict[str, tuple[str, ...]] | None = None, memo: RegistryMemo | None = None) -> None:
        self.enum_types: dict[str, tuple[str, ...]] = dict(enum_types or {})
        self._named: dict[str, list[tuple[Schema, Source, bool]]] = {}
        self._anonymous: list[tuple[str, Schema, Source, str]] = []  # (fallback name, schema, source, its ref)
        self._documented = dict(documented_shapes or {})
        self._shapes: dict[str, frozenset[str]] = dict(self._documented)
        self._memo = memo
        if memo is not None:
            memo.start(self.enum_types)

    @classmethod
    def from_pages(cls, pages: Iterable[tuple[Iterable[Proposal], Mapping[str, tuple[str, ...]]]],
                   memo: RegistryMemo | None = None) -> "SchemaRegistry":
        """A registry that already knows what every page says of the carriers and enum types it names.

        `pages` holds each page's proposals and enum notes, in page order. Documented shapes are unions, so
        their order does not matter; of the pages naming one enum type, the first wins, as in `note_enum`.
        """
        documented: dict[str, frozenset[str]] = {}
        enum_types: dict[str, tuple[str, ...]] = {}
        for proposals, notes in pages:
            for proposal in proposals:
                if proposal.documented and not proposal.anonymous:
                    documented[proposal.name] = documented.get(proposal.name, frozenset()) | property_names(proposal.schema)
            for word, values in notes.items():
                enum_types.setdefault(word, values)
        return cls(documented, enum_types, memo)

    def add_page(self, proposals: Sequence[Proposal]) -> dict[str, str] | None:
        """Registers one page's recorded proposals as its inference would have, page by page, in page order.

        Returns what the page's local references stand for. The page was inferred assuming that two local
        references are the same type exactly when their name and parent are the same; when the names decided
        here break that (a rare clash with shapes other pages gave a name first), nothing is registered and
        None is returned: the page must then be inferred against this registry directly.

        With a memo, a page whose proposals are the same objects as in the last build, and that meets the same
        shapes under the names it guesses, is registered as it was then, without renaming its schemas again.
        """
        memo = self._memo
        consulted = tuple((p.name, self._shapes.get(p.name)) for p in proposals if not p.documented and not p.anonymous)
        if memo is not None:
            done = memo.page(proposals, consulted)
            if done is not None:
                self._register(done)
                return done.local
        shapes: dict[str, frozenset[str]] = {}  # what the page adds to self._shapes, applied only if it holds
        resolved: dict[str, str] = {}
        for proposal in proposals:
            if proposal.anonymous:
                continue
            names = property_names(proposal.schema)
            name = proposal.name if proposal.documented else self._guessed_name(proposal.name, proposal.parent, names, shapes)
            shapes[name] = shapes.get(name, self._shapes.get(name, frozenset())) | names
            if resolved.setdefault(proposal.ref, name) != name:
                return None
        if len(set(resolved.values())) != len(resolved):
            return None
        local = {ref: name for ref, name in resolved.items() if ref != name}
        # Anonymous carriers are named by their page and place, not by a running count: a page's references
        # then stay the same whatever the pages before it propose (which the memo relies on).
        anonymous = [p for p in proposals if p.anonymous]
        local.update((p.ref, f"{_ANON_PREFIX}{p.source.path}#{i}") for i, p in enumerate(anonymous))
        # One pass over all the page's schemas: the shapes they share are renamed once.
        schemas = rename_refs(tuple(proposal.schema for proposal in proposals), local, self.enum_types)
        own: dict[str, frozenset[str]] = {}
        documented: dict[str, frozenset[str]] = {}
        for proposal, schema in zip(proposals, schemas):
            if not proposal.anonymous:
                name = resolved[proposal.ref]
                names = property_names(schema)
                own[name] = own.get(name, frozenset()) | names
                if proposal.documented:
                    documented[name] = documented.get(name, frozenset()) | names
        done = RegisteredPage(proposals, consulted, local, tuple(schemas),
                              tuple(resolved.get(p.ref, local.get(p.ref, "")) for p in proposals), own, documented)
        self._register(done)
        if memo is not None:
            memo.keep(done)
        return local

    def _register(self, page: RegisteredPage) -> None:
        for proposal, schema, name in zip(page.proposals, page.schemas, page.names):
            if proposal.anonymous:
                self._anonymous.append((proposal.name, schema, proposal.source, name))
                continue
            if proposal.documented:
                self._documented[name] = self._documented.get(name, frozenset()) | page.documented[name]
            self._named.setdefault(name, []).append((schema, proposal.source, proposal.documented))
        for name, names in page.shapes.items():
            self._shapes[name] = self._shapes.get(name, frozenset()) | names

    def _guessed_name(self, name: str, parent: str, names: frozenset[str], pending: dict[str, frozenset[str]]) -> str:
        """The guessed name if the shapes agree, else the name qualified by its parent type. When both are
        taken by other shapes, the qualified one is merged into anyway: a third name would be arbitrary."""
        if compatible(pending.get(name, self._shapes.get(name, frozenset())), names):
            return name
        return parent + name if parent and not name.startswith(parent) else name + "Item"

    def note_enum(self, description: str, values: tuple[str, ...]) -> None:
        for word in _TYPE_WORD.findall(description):
            self.enum_types.setdefault(word, values)

    def enum_named_in(self, description: str) -> tuple[str, ...]:
        return _enum_lookup(tuple(_TYPE_WORD.findall(description)), self.enum_types)

    def propose(self, name: str, schema: Schema, source: Source, *, documented: bool = True, parent: str = "") -> Schema:
        names = property_names(schema)
        if documented:
            self._documented[name] = self._documented.get(name, frozenset()) | names
        else:
            name = self._guessed_name(name, parent, names, {})
        self._shapes[name] = self._shapes.get(name, frozenset()) | names
        self._named.setdefault(name, []).append((schema, source, documented))
        return Schema(ref=name)

    def anonymous(self, fallback: str, schema: Schema, source: Source) -> Schema:
        ref = f"{_ANON_PREFIX}direct#{len(self._anonymous)}"
        self._anonymous.append((fallback, schema, source, ref))
        return Schema(ref=ref)

    def finalize(self) -> tuple[tuple[NamedSchema, ...], dict[str, str], list[Conflict]]:
        """Merges proposals; returns the schemas by name, the anonymous-ref renames, and contradictions."""
        memo = self._memo
        conflicts: list[Conflict] = []
        renames: dict[str, str] = {}
        # Unnamed tables are matched to the carriers pages name, never to names guessed from samples.
        documented = sorted((name, shape) for name, shape in self._documented.items()
                            if name in self._named and len(shape) >= _MATCH_MIN_PROPERTIES)
        best_match = memo.matcher(documented) if memo is not None else functools.partial(_best_match, carriers=documented)
        taken = set(self._named)
        groups: dict[frozenset[str], list[int]] = {}
        targets: dict[int, str] = {}
        matches: dict[frozenset[str], str | None] = {}  # many unnamed tables share one shape
        for index, (_, schema, _, _) in enumerate(self._anonymous):
            names = property_names(schema)
            if names not in matches:
                matches[names] = best_match(names)
            match = matches[names]
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
        for index, (_, schema, source, ref) in enumerate(self._anonymous):
            self._named.setdefault(targets[index], []).append((schema, source, True))
            renames[ref] = targets[index]

        result: list[NamedSchema] = []
        for name in sorted(self._named):
            proposals = self._named[name]
            merged = memo.merged(name, proposals) if memo is not None else None
            if merged is None:
                merged = _merge(name, proposals)
                if memo is not None:
                    memo.keep_merged(name, proposals, merged)
            result.append(merged[0])
            conflicts.extend(merged[1])
        if memo is not None:
            memo.finish()
        return tuple(result), renames, conflicts


def _merge(name: str, proposals: list[tuple[Schema, Source, bool]]) -> tuple[NamedSchema, list[Conflict]]:
    """One name's proposals merged into its schema, with the contradictions of documented ones."""
    # Tables first: where a table and a sample disagree, the table is right (sample values are filler).
    ordered = sorted(proposals, key=lambda p: not p[2])
    merged, first_source, _ = ordered[0]
    sources = [first_source]
    conflicts: list[Conflict] = []
    tabled = ordered[0][2]
    for schema, source, documented in ordered[1:]:
        found: list[str] = []
        if tabled and not documented and schema.properties is not None and merged.properties is not None:
            own = {p.name for p in merged.properties}
            schema = replace(schema, properties=tuple(p for p in schema.properties if p.name in own))
        # A sample that contradicts the table-less description so far: neither is known to be right.
        merged = merge_schemas(merged, schema, found, name, widen=not tabled and not documented)
        sources.append(source)
        if documented:
            conflicts.extend(Conflict(source, f"schema {name} contradicts {first_source}: {message}") for message in found)
    return NamedSchema(name, merged, tuple(sorted(set(sources), key=lambda s: (s.path, s.line)))), conflicts


@record()
class RegisteredPage:
    """What registering one page decided: the final name of each proposal (an anonymous one's reference), its
    renamed schema, and the property names it adds under each name."""

    proposals: Sequence[Proposal]
    consulted: tuple[tuple[str, frozenset[str] | None], ...]  # guessed names and the shapes they met
    local: dict[str, str]
    schemas: tuple[Schema, ...]
    names: tuple[str, ...]
    shapes: dict[str, frozenset[str]]
    documented: dict[str, frozenset[str]]  # the same, of its documented proposals only


class RegistryMemo:
    """What the last build's registry decided, for a build of mostly the same pages (a DocsSession's): each
    page's registration, each name's merged schema, each unnamed shape's best match. An entry is used only
    when what decided it is the same: the same proposal objects, the same shapes met, the same enum types,
    the same merged inputs. The output is then what a build without the memo gives (the session tests compare).
    """

    def __init__(self) -> None:
        self._pages: dict[int, RegisteredPage] = {}
        self._merged: dict[str, tuple[list[tuple[Schema, Source, bool]], tuple[NamedSchema, list[Conflict]]]] = {}
        self._matches: dict[frozenset[str], tuple[str, frozenset[str]] | None] = {}
        self._carriers: list[tuple[str, frozenset[str]]] | None = None
        self._enum_types: dict[str, tuple[str, ...]] | None = None
        self._next_pages: dict[int, RegisteredPage] = {}
        self._next_merged: dict[str, Any] = {}

    def start(self, enum_types: dict[str, tuple[str, ...]]) -> None:
        if enum_types != self._enum_types:  # enum markers resolve differently: no page's renaming holds
            self._pages = {}
            self._enum_types = dict(enum_types)
        self._next_pages, self._next_merged = {}, {}

    def page(self, proposals: Sequence[Proposal], consulted: tuple[Any, ...]) -> RegisteredPage | None:
        done = self._pages.get(id(proposals))
        if done is None or done.proposals is not proposals or done.consulted != consulted:
            return None
        self._next_pages[id(proposals)] = done
        return done

    def keep(self, done: RegisteredPage) -> None:
        self._next_pages[id(done.proposals)] = done

    def merged(self, name: str, proposals: list[tuple[Schema, Source, bool]]) -> Any:
        hit = self._merged.get(name)
        # The same proposals: the same schema objects, except those of pages inferred against the registry
        # directly (new every build, and nearly always equal to the last ones). Tuples compare in C, and
        # compare their items by identity first.
        if hit is None or hit[0] != proposals:
            return None
        self._next_merged[name] = hit
        return hit[1]

    def keep_merged(self, name: str, proposals: list[tuple[Schema, Source, bool]], merged: Any) -> None:
        self._next_merged[name] = (list(proposals), merged)

    def matcher(self, carriers: list[tuple[str, frozenset[str]]]) -> Any:
        """`_best_match` against `carriers`, which asks only the carriers that changed since the last build
        when the last best match is still there (it was the first best of the others, so it still is)."""
        before = self._carriers
        old = set(before) if before is not None else None
        new = set(carriers)
        changed = sorted(entry for entry in carriers if old is None or entry not in old)
        matches, self._matches, self._carriers = self._matches, {}, carriers

        def best(names: frozenset[str]) -> str | None:
            if old is not None and names in matches:
                last = matches[names]
                if last is None or last in new:
                    candidates = sorted([last, *changed]) if last is not None else changed
                    found = _best_entry(names, candidates)
                    self._matches[names] = found
                    return found[0] if found else None
            found = _best_entry(names, carriers)
            self._matches[names] = found
            return found[0] if found else None
        return best

    def finish(self) -> None:
        self._pages, self._merged = self._next_pages, self._next_merged


def _best_match(names: frozenset[str], carriers: list[tuple[str, frozenset[str]]]) -> str | None:
    found = _best_entry(names, carriers)
    return found[0] if found else None


def _best_entry(names: frozenset[str], carriers: list[tuple[str, frozenset[str]]]) -> tuple[str, frozenset[str]] | None:
    """The named carrier (from `carriers`, sorted by name) an unnamed table most resembles, if any resembles
    it closely enough: (name, its shape).

    A carrier whose every documented property the table lists beats one the table lacks properties of:
    pages add properties to a carrier (`_Links`), they do not drop documented ones.
    """
    if len(names) < _MATCH_MIN_PROPERTIES:
        return None
    best, best_key = None, (False, 0.0)
    for entry in carriers:
        other = entry[1]
        # Jaccard similarity is at most the ratio of the sizes: most carriers are ruled out without set work.
        if min(len(names), len(other)) < _MATCH_JACCARD * max(len(names), len(other)):
            continue
        score = len(names & other) / len(names | other)
        key = (other <= names, score)
        if score >= _MATCH_JACCARD and key > best_key:
            best, best_key = entry, key
    return best


def rename_refs(value: Any, renames: Mapping[str, str], enum_types: Mapping[str, tuple[str, ...]] | None = None) -> Any:
    """Rewrites `Schema.ref` through `renames` anywhere inside a tree of records and tuples, and with
    `enum_types`, resolves the enum markers a PageRecorder handed out."""
    if not renames and not enum_types:
        return value
    enums = enum_types or {}

    def rename(node: Any) -> Any:
        if not isinstance(node, Schema):
            return node
        marked = node.enum[:1] == (_ENUM_MARKER,)
        if (node.ref is None or node.ref not in renames) and not marked:
            return node
        return Schema(type=node.type, format=node.format,
                      enum=_enum_lookup(node.enum[1:], enums) if marked else node.enum,
                      properties=node.properties, items=node.items, additional=node.additional,
                      ref=renames.get(node.ref, node.ref) if node.ref is not None else None,
                      description=node.description)

    return map_schemas(value, rename)
