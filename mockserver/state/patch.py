"""JSON Patch (RFC 6902) and JSON Merge Patch (RFC 7396) with SuperOffice's lenient paths.

SuperOffice documents that patch paths are case-insensitive and that the leading slash is optional
("/department", "Department" and "department" are the same path), so this is not a strict RFC 6902
implementation: a pointer segment matches an existing key exactly first, then case-insensitively, and a new key
takes the spelling of a known property name (`names`, lower-case -> canonical) when there is one.
Neither function mutates its input document.
"""
from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from .errors import PatchConflict, PatchError

JSON_PATCH_OPS = frozenset({"add", "remove", "replace", "move", "copy", "test"})
# The subset the SuperOffice pages document ("'move' and 'copy' not supported").
SUPEROFFICE_PATCH_OPS = frozenset({"add", "remove", "replace", "test"})
_NOTHING = object()


def split_pointer(path: Any) -> list[str]:
    """`/a/b~1c` -> ['a', 'b/c']; `a/b` (no leading slash) is accepted too; '' and '/' are the whole document."""
    if not isinstance(path, str):
        raise PatchError(f"path must be a string, got {type(path).__name__}")
    if path in ("", "/"):
        return []
    if path.startswith("/"):
        path = path[1:]
    return [p.replace("~1", "/").replace("~0", "~") for p in path.split("/")]


def json_equal(a: Any, b: Any) -> bool:
    """Equality as JSON means it: 1 == 1.0, but true != 1 and key order does not matter."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def find_key(obj: Mapping[str, Any], key: str) -> str | None:
    """The existing key that `key` names: exact spelling first, else the first case-insensitive match."""
    if key in obj:
        return key
    low = key.lower()
    for k in obj:
        if isinstance(k, str) and k.lower() == low:
            return k
    return None


def _index(arr: list[Any], token: str, path: str, *, for_add: bool) -> int:
    if for_add and token == "-":
        return len(arr)
    if not token.isdigit() or (len(token) > 1 and token[0] == "0"):
        raise PatchConflict(f"{path}: {token!r} is not an array index")
    i = int(token)
    limit = len(arr) if for_add else len(arr) - 1
    if i > limit:
        raise PatchConflict(f"{path}: index {i} is out of range (length {len(arr)})")
    return i


class _Doc:
    """A document being patched; holds the root so a whole-document replace works."""

    def __init__(self, root: Any, names: Mapping[str, str]) -> None:
        self.root = root
        self.names = names

    def _parent(self, tokens: list[str], path: str) -> Any:
        node = self.root
        for t in tokens[:-1]:
            if isinstance(node, dict):
                k = find_key(node, t)
                if k is None:
                    raise PatchConflict(f"{path}: {t!r} does not exist")
                node = node[k]
            elif isinstance(node, list):
                node = node[_index(node, t, path, for_add=False)]
            else:
                raise PatchConflict(f"{path}: {t!r} is inside a scalar")
        return node

    def _locate(self, path: str) -> tuple[Any, str]:
        """The container a pointer's last token lives in, and that token."""
        tokens = split_pointer(path)
        return self._parent(tokens, path), tokens[-1]

    @staticmethod
    def _existing_key(parent: dict[str, Any], last: str, path: str) -> str:
        k = find_key(parent, last)
        if k is None:
            raise PatchConflict(f"{path}: {last!r} does not exist")
        return k

    def get(self, path: str) -> Any:
        if not split_pointer(path):
            return self.root
        parent, last = self._locate(path)
        if isinstance(parent, dict):
            return parent[self._existing_key(parent, last, path)]
        if isinstance(parent, list):
            return parent[_index(parent, last, path, for_add=False)]
        raise PatchConflict(f"{path}: the parent is a scalar")

    def add(self, path: str, value: Any) -> None:
        if not split_pointer(path):
            self.root = value
            return
        parent, last = self._locate(path)
        if isinstance(parent, dict):
            k = find_key(parent, last)
            parent[k if k is not None else self.names.get(last.lower(), last)] = value
        elif isinstance(parent, list):
            parent.insert(_index(parent, last, path, for_add=True), value)
        else:
            raise PatchConflict(f"{path}: the parent is a scalar")

    def remove(self, path: str) -> Any:
        if not split_pointer(path):
            raise PatchError("cannot remove the whole document")
        parent, last = self._locate(path)
        if isinstance(parent, dict):
            return parent.pop(self._existing_key(parent, last, path))
        if isinstance(parent, list):
            return parent.pop(_index(parent, last, path, for_add=False))
        raise PatchConflict(f"{path}: the parent is a scalar")

    def replace(self, path: str, value: Any) -> None:
        if not split_pointer(path):
            self.root = value
            return
        parent, last = self._locate(path)
        if isinstance(parent, dict):
            parent[self._existing_key(parent, last, path)] = value
        elif isinstance(parent, list):
            parent[_index(parent, last, path, for_add=False)] = value
        else:
            raise PatchConflict(f"{path}: the parent is a scalar")


def apply_json_patch(document: Any, operations: Any, *, names: Mapping[str, str] | None = None,
                     allowed: Iterable[str] = JSON_PATCH_OPS) -> Any:
    """Apply an RFC 6902 operation list to a copy of `document` and return it (all or nothing).

    Raises PatchError for a malformed patch (-> 400) and PatchConflict when a `test` fails or a target does
    not exist (-> 409, as SuperOffice documents for a failed test).
    """
    if not isinstance(operations, list):
        raise PatchError("a JSON Patch document is an array of operations")
    allowed = frozenset(allowed)
    doc = _Doc(copy.deepcopy(document), names or {})
    for n, op in enumerate(operations):
        if not isinstance(op, Mapping):
            raise PatchError(f"operation {n} is not an object")
        kind = op.get("op")
        if not isinstance(kind, str) or kind.lower() not in JSON_PATCH_OPS:
            raise PatchError(f"operation {n}: unknown op {kind!r}")
        kind = kind.lower()
        if kind not in allowed:
            raise PatchError(f"operation {n}: op {kind!r} is not supported here; use one of "
                             f"{', '.join(sorted(allowed))}")
        if "path" not in op:
            raise PatchError(f"operation {n} ({kind}) has no path")
        path = op["path"]
        if kind in ("add", "replace", "test") and "value" not in op:
            raise PatchError(f"operation {n} ({kind}) has no value")
        if kind in ("move", "copy") and not isinstance(op.get("from"), str):
            raise PatchError(f"operation {n} ({kind}) has no from")
        if kind == "add":
            doc.add(path, copy.deepcopy(op["value"]))
        elif kind == "remove":
            doc.remove(path)
        elif kind == "replace":
            doc.replace(path, copy.deepcopy(op["value"]))
        elif kind == "test":
            actual = doc.get(path)
            if not json_equal(actual, op["value"]):
                raise PatchConflict(f"test failed at {path}: expected {op['value']!r}, found {actual!r}")
        elif kind == "move":
            source = split_pointer(op["from"])
            target = split_pointer(path)
            if [t.lower() for t in target[:len(source)]] == [s.lower() for s in source] and len(target) > len(source):
                raise PatchError(f"operation {n}: cannot move {op['from']} into itself")
            doc.add(path, doc.remove(op["from"]))
        else:  # copy
            doc.add(path, copy.deepcopy(doc.get(op["from"])))
    return doc.root


def apply_merge_patch(document: Any, patch: Any, *, names: Mapping[str, str] | None = None) -> Any:
    """RFC 7396 on a copy of `document`: objects merge recursively, null deletes, anything else replaces.

    Keys match existing keys case-insensitively, like the JSON Patch paths above.
    """
    names = names or {}
    if not isinstance(patch, Mapping):
        return copy.deepcopy(patch)
    target: dict[str, Any] = copy.deepcopy(document) if isinstance(document, dict) else {}
    for key, value in patch.items():
        existing = find_key(target, key)
        if value is None:
            if existing is not None:
                del target[existing]
            continue
        k = existing if existing is not None else names.get(key.lower(), key)
        target[k] = apply_merge_patch(target.get(k), value, names=names)
    return target
