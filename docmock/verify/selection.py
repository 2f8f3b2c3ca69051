"""Which operations of a spec a verify run tests, and the links its sequences follow from a create to the
operations that take the new id."""
from __future__ import annotations

import copy
import fnmatch
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from .results import VerifyError

_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_LINK_PREFIX = "docmock-"  # names of the links docmock adds, so that they never replace one the spec names


def _iter_operations(spec: Mapping[str, Any]) -> Iterator[tuple[str, str, Mapping[str, Any]]]:
    for path, item in (spec.get("paths") or {}).items():
        if isinstance(item, Mapping):
            for method, operation in item.items():
                if method in _METHODS and isinstance(operation, Mapping):
                    yield path, method, operation


def check_document(spec: Mapping[str, Any]) -> None:
    """Refuse, before schemathesis reads it, a document a run cannot use, in words that say why."""
    version = str(spec.get("openapi", ""))
    if not version.startswith(("3.0", "3.1")):
        what = "Swagger 2.0" if "swagger" in spec else f"OpenAPI version {version or '(none)'}"
        raise VerifyError(f"{what} is not supported: docmock verify reads OpenAPI 3.0 and 3.1 documents")
    if not isinstance(spec.get("paths"), Mapping):
        raise VerifyError("the spec has no 'paths' mapping")
    if next(_iter_operations(spec), None) is None:
        raise VerifyError("the spec documents no operation: there is nothing to verify")


def matches(pattern: str, method: str, path: str, operation_id: str | None) -> bool:
    """A pattern names operationIds (`v1Batch_*`) or a method and paths (`GET /api/v1/BatchTask/*`)."""
    verb, _, paths = pattern.strip().partition(" ")
    if paths and verb.lower() in _METHODS:
        return verb.lower() == method and fnmatch.fnmatchcase(path, paths.strip())
    return operation_id is not None and fnmatch.fnmatchcase(operation_id, pattern.strip())


def select_operations(spec: Mapping[str, Any], patterns: Sequence[str]) -> dict[str, Any]:
    """A copy of `spec` with the operations some pattern matches (all when there is none); every pattern must
    match at least one operation, so that a typo is an error rather than a run that tests nothing."""
    selected = copy.deepcopy(dict(spec))
    if not patterns:
        return selected
    used: set[str] = set()
    paths: dict[str, Any] = {}
    for path, item in (selected.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        kept = {}
        for key, value in item.items():
            if key not in _METHODS:
                kept[key] = value  # path-level parameters, summary, servers
                continue
            hits = [p for p in patterns if isinstance(value, Mapping)
                    and matches(p, key, path, value.get("operationId"))]
            used.update(hits)
            if hits:
                kept[key] = value
        if any(key in _METHODS for key in kept):
            paths[path] = kept
    unused = [p for p in patterns if p not in used]
    if unused:
        raise VerifyError("no operation matches --operations " + ", ".join(repr(p) for p in unused))
    selected["paths"] = paths
    return selected


def add_entity_links(spec: dict[str, Any]) -> int:
    """Add OpenAPI links from each operation that creates a record to the operations that take its id; returns
    how many were added.

    docmock's state inference (mockserver.state) knows, per entity, which operation creates a record, whether it
    answers the new id or the record, and which operations take that id in which path parameter or body field:
    exactly the links a create-then-read sequence needs. schemathesis' own dependency analysis guesses some of
    them, but it takes the id for `GET /Person/{id}` from the create's request body (which the server ignores
    and replaces) and sets array fields (`BatchTaskIds`) to a single id, so it is left off. Links the spec
    names itself are kept as they are.
    """
    from mockserver.state import Reply, Role, infer  # the inference only: no store, no app

    inference = infer(spec)
    by_id = {op.get("operationId"): op for _, _, op in _iter_operations(spec)}
    added = 0
    for create in inference.actions.values():
        if create.role is not Role.CREATE or create.reply not in (Reply.ID, Reply.RECORD):
            continue
        response = ((by_id.get(create.operation_id) or {}).get("responses") or {}).get(str(create.status))
        if not isinstance(response, dict):
            continue
        new_id = "$response.body" if create.reply is Reply.ID else f"$response.body#/{create.entity.id_field}"
        links = response.setdefault("links", {})
        for user in inference.actions.values():
            if (user.entity.name != create.entity.name or user.id_source is None or user.operation_id not in by_id
                    or user.role not in (Role.READ, Role.REPLACE, Role.PATCH, Role.DELETE)):
                continue
            where, name = user.id_source
            if where == "path":
                link = {"operationId": user.operation_id, "parameters": {f"path.{name}": new_id}}
            elif where == "body":  # merged into the body schemathesis generates for the target
                link = {"operationId": user.operation_id, "requestBody": {name: new_id}}
            else:
                continue
            key = f"{_LINK_PREFIX}{user.role.value}-{user.operation_id}"
            if key not in links:
                links[key] = link
                added += 1
    return added


def count_links(spec: Mapping[str, Any]) -> int:
    return sum(len(response.get("links") or {}) for _, _, operation in _iter_operations(spec)
               for response in (operation.get("responses") or {}).values() if isinstance(response, Mapping))
