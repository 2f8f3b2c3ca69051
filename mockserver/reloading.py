"""What a reload keeps of the running app: operations whose part of the new document is the old one's keep
their routes and compiled checks and plans, and the summary a reload reports.

"The old one's" is decided by object identity: a document rebuilt from edited docs shares every unchanged
operation and schema with the last one (`share_unchanged`, which a spec loaded from a file again goes
through too). An operation is kept when its operation object and its path item's parameters are the same
objects and none of the component schemas it reaches has changed.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .endpoints import Endpoint
from .identity import ByIdentity
from .routing import Router
from .spec import iter_operation_objects

SCHEMA_PREFIX = "#/components/schemas/"
# Keys whose values are data or prose, never structure: skipped when looking for $refs, and when telling a
# prose-only edit from one that changes what the state inference sees.
_DATA_KEYS = frozenset(("example", "examples"))
_PROSE_KEYS = frozenset(("description", "summary", "example", "examples", "externalDocs", "title"))


def share_unchanged(old: Mapping[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """`new`, with every path item, operation and component that equals `old`'s replaced by `old`'s object;
    `old` itself when the two are equal. Comparing is dict equality, done in C: 0.03 s for the 16 MB
    full-scale SuperOffice spec, a fraction of rebuilding what it lets a reload keep."""
    if new == old:
        return dict(old) if not isinstance(old, dict) else old
    out = dict(new)
    out["paths"] = _share_entries(old.get("paths"), new.get("paths"), nested=True)
    components = new.get("components")
    if isinstance(components, dict):
        before = old.get("components") if isinstance(old.get("components"), dict) else {}
        out["components"] = {section: _share_entries(before.get(section), entries, nested=False)
                             for section, entries in components.items()}
    for key, value in new.items():
        if key not in ("paths", "components") and key in old and old[key] == value:
            out[key] = old[key]
    return out


def spec_delta(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """What `new` changes of `old`, by identity (see share_unchanged): the path items and component entries
    that are not `old`'s objects, with every key in its order, and the other top-level entries. A few
    kilobytes, where the whole document is 16 MB of JSON: what `--workers` processes are sent on a reload."""
    components, old_components = new.get("components"), old.get("components") or {}
    return {
        "top": {k: v for k, v in new.items() if k not in ("paths", "components")},
        "keys": list(new),
        "paths": _entries_delta(old.get("paths") or {}, new.get("paths") or {}),
        "components": {section: _entries_delta(old_components.get(section) or {}, entries)
                       for section, entries in components.items()} if isinstance(components, Mapping) else None,
    }


def apply_delta(old: Mapping[str, Any], delta: Mapping[str, Any]) -> dict[str, Any]:
    """The document `delta` (from spec_delta) describes: every entry it does not send is `old`'s object."""
    parts = dict(delta["top"])
    parts["paths"] = _apply(old.get("paths") or {}, delta["paths"])
    if delta["components"] is not None:
        old_components = old.get("components") or {}
        parts["components"] = {section: _apply(old_components.get(section) or {}, change)
                               for section, change in delta["components"].items()}
    return {key: parts[key] for key in delta["keys"]}


def _entries_delta(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    return {"set": {name: value for name, value in after.items() if before.get(name) is not value},
            "order": list(after)}


def _apply(before: Mapping[str, Any], change: Mapping[str, Any]) -> dict[str, Any]:
    sent = change["set"]
    return {name: sent[name] if name in sent else before[name] for name in change["order"]}


def _share_entries(old: Any, new: Any, *, nested: bool) -> Any:
    if not isinstance(new, dict) or not isinstance(old, dict):
        return new
    if old == new:
        return old
    out = {}
    for key, value in new.items():
        before = old.get(key)
        if before == value:
            out[key] = before
        elif nested and isinstance(before, dict) and isinstance(value, dict):
            out[key] = _share_entries(before, value, nested=False)  # the operations of a path item
        else:
            out[key] = value
    return out


def refs_in(node: Any) -> frozenset[str]:
    """Every `$ref` below `node`, skipping examples (data, however large, never refers to a schema)."""
    found: set[str] = set()
    stack = [node]
    while stack:
        value = stack.pop()
        if type(value) is dict:
            ref = value.get("$ref")
            if type(ref) is str:
                found.add(ref)
            stack.extend(v for k, v in value.items() if k not in _DATA_KEYS and type(v) in (dict, list))
        elif type(value) is list:
            stack.extend(v for v in value if type(v) in (dict, list))
    return frozenset(found)


def without_prose(node: Any) -> Any:
    """`node` without descriptions, summaries and examples: what the state inference reads of it."""
    if isinstance(node, dict):
        return {k: without_prose(v) for k, v in node.items() if k not in _PROSE_KEYS}
    if isinstance(node, list):
        return [without_prose(v) for v in node]
    return node


class RefIndex:
    """The $refs each operation and schema names, remembered by object identity across reloads."""

    def __init__(self, previous: RefIndex | None = None) -> None:
        self._cache: ByIdentity[frozenset[str]] = ByIdentity(previous._cache if previous is not None else None)

    def refs(self, node: Any) -> frozenset[str]:
        return frozenset() if node is None else self._cache.get(node, lambda: refs_in(node))

    def settle(self) -> None:
        """Let go of the previous index (and the old document's objects it holds)."""
        self._cache.settle()


@dataclass(frozen=True, slots=True)
class Changes:
    """How a new document differs from the running one, by operationId."""

    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[str, ...]
    schemas: tuple[str, ...]  # component schemas added, removed or changed

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.schemas)

    def summary(self) -> str:
        parts = [f"{len(ids)} {what}" + (f" ({_names(ids)})" if ids else "")
                 for what, ids in (("added", self.added), ("removed", self.removed), ("changed", self.changed))]
        return "operations: " + ", ".join(parts)


def _names(ids: tuple[str, ...], limit: int = 5) -> str:
    return ", ".join(ids[:limit]) + (f" and {len(ids) - limit} more" if len(ids) > limit else "")


class Reuse:
    """What a new document may take over from the running app's operations (Operations asks per operation)."""

    def __init__(self, old_doc: Mapping[str, Any], old_endpoints: Mapping[str, Endpoint],
                 new_doc: Mapping[str, Any], index: RefIndex, router: Router[Endpoint] | None = None) -> None:
        self.index = index
        self.router = router  # the running app's: its trie is reused when the routes are the same
        self._old = {(e.op.method, e.op.path): e for e in old_endpoints.values()}
        self.stale, self.changed_schemas = _stale_schemas(old_doc, new_doc, index)
        self.kept: list[Endpoint] = []

    def endpoint(self, path: str, item: Mapping[str, Any], method: str, source: Mapping[str, Any]) -> Endpoint | None:
        if self.stale is None:
            return None
        old = self._old.get((method.upper(), path))
        if old is None or old.source is not source or old.shared is not item.get("parameters"):
            return None
        if self.stale and (self.index.refs(source) | self.index.refs(old.shared)) & self.stale:
            return None
        kept = Endpoint(old.op, old.policy, old.has_cookies, old.op_id_header, compiled=old.compiled,
                        source=source, shared=old.shared)
        self.kept.append(kept)
        return kept

    def changes(self, old_endpoints: Mapping[str, Endpoint], new_endpoints: Mapping[str, Endpoint]) -> Changes:
        """What `document_changes` says, from what building the new app found out already."""
        kept = {id(e) for e in self.kept}
        return Changes(tuple(sorted(new_endpoints.keys() - old_endpoints.keys())),
                       tuple(sorted(old_endpoints.keys() - new_endpoints.keys())),
                       tuple(sorted(op_id for op_id, e in new_endpoints.items()
                                    if op_id in old_endpoints and id(e) not in kept)),
                       self.changed_schemas)

    def same_structure(self, old_endpoints: Mapping[str, Endpoint], new_endpoints: Mapping[str, Endpoint]) -> bool:
        """Whether the new document differs from the old only in prose and examples: the same operations at
        the same places, no schema changed, and every changed operation equal to the old one but for its
        descriptions, summaries and examples. The state inference then comes out the same."""
        if self.stale is None or self.changed_schemas:
            return False
        if {k: (e.op.method, e.op.path) for k, e in old_endpoints.items()} != \
                {k: (e.op.method, e.op.path) for k, e in new_endpoints.items()}:
            return False
        kept = {id(e) for e in self.kept}
        return all(without_prose(old_endpoints[k].source) == without_prose(e.source)
                   and without_prose(old_endpoints[k].shared) == without_prose(e.shared)
                   for k, e in new_endpoints.items() if id(e) not in kept)


def _stale_schemas(old_doc: Mapping[str, Any], new_doc: Mapping[str, Any],
                   index: RefIndex) -> tuple[frozenset[str] | None, tuple[str, ...]]:
    """The `$ref`s of component schemas whose meaning changed (changed, or reaching a changed one), and the
    names of the changed ones; None when nothing can be kept (another component section, or the document's
    security, changed)."""
    old_components, new_components = old_doc.get("components") or {}, new_doc.get("components") or {}
    for section in set(old_components) | set(new_components):
        if section != "schemas" and old_components.get(section) is not new_components.get(section) \
                and old_components.get(section) != new_components.get(section):
            return None, ()
    if old_doc.get("security") != new_doc.get("security") or old_doc.get("openapi") != new_doc.get("openapi"):
        return None, ()
    old_schemas, new_schemas = old_components.get("schemas") or {}, new_components.get("schemas") or {}
    changed = sorted(name for name in old_schemas.keys() | new_schemas.keys()
                     if old_schemas.get(name) is not new_schemas.get(name))
    if not changed:
        return frozenset(), ()
    referrers: dict[str, set[str]] = {}
    for name, schema in new_schemas.items():
        for ref in index.refs(schema):
            referrers.setdefault(ref, set()).add(SCHEMA_PREFIX + name)
    stale = {SCHEMA_PREFIX + name for name in changed}
    todo = list(stale)
    while todo:
        for referrer in referrers.get(todo.pop(), ()):
            if referrer not in stale:
                stale.add(referrer)
                todo.append(referrer)
    return frozenset(stale), tuple(changed)


def document_changes(old_doc: Mapping[str, Any], new_doc: Mapping[str, Any], index: RefIndex) -> Changes:
    """Operations added, removed and changed (their object is new, or reaches a changed component schema),
    by operationId: the summary a reload logs."""
    stale, schemas = _stale_schemas(old_doc, new_doc, index)
    old_ops = {_operation_id(path, method, op): (op, item) for path, item, method, op in iter_operation_objects(old_doc)}
    new_ops = {_operation_id(path, method, op): (op, item) for path, item, method, op in iter_operation_objects(new_doc)}
    changed = []
    for op_id, (op, item) in new_ops.items():
        before = old_ops.get(op_id)
        if before is None:
            continue
        same = stale is not None and before[0] is op and before[1].get("parameters") is item.get("parameters")
        if not same or (stale and (index.refs(op) | index.refs(item.get("parameters"))) & stale):
            changed.append(op_id)
    return Changes(tuple(sorted(new_ops.keys() - old_ops.keys())), tuple(sorted(old_ops.keys() - new_ops.keys())),
                   tuple(sorted(changed)), schemas)


def _operation_id(path: str, method: str, op: Mapping[str, Any]) -> str:
    return str(op.get("operationId") or f"{method.upper()} {path}")
