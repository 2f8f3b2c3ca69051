"""Checks that the generated document is valid OpenAPI 3.1 before it is written.

Two parts. The structure, and every schema object in it, is checked against the OpenAPI Initiative's JSON
Schemas for 3.1 (`oas31/`: the document schema, with schema objects bound to the OAS base dialect, as the
published `schema-base` variant does), compiled once with jsonschema-rs: about 0.1 s for 3,300 operations,
where a pure-Python validator takes tens of seconds. The rules a JSON Schema cannot state are checked here:
unique operationIds and tag names, path templates and path parameters that match, and references that
resolve. The test suite also runs openapi-spec-validator over the seeds and the corpus, so the two checks
are compared on real output.
"""
from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from importlib import resources
from typing import Any

from .errors import DocsError

_DOCUMENT_ID = "https://spec.openapis.org/oas/3.1/schema/2022-10-07"
_SCHEMA_BASE_ID = "https://spec.openapis.org/oas/3.1/schema-base/2022-10-07"
_TEMPLATE_PART = re.compile(r"\{([^}/]+)\}")
_COMPONENT_REF = "#/components/"
_LOCAL_REF = re.compile(r'"\$ref": "(#/components/[^"]+)"')
# Enough to fix a generator bug from; a broken document can have thousands of repeats of one mistake.
_MAX_REPORTED = 20


@functools.lru_cache(maxsize=1)
def _document_validator() -> Any:
    import jsonschema_rs  # imported when needed: `docmock serve` and `--help` never validate

    folder = resources.files("generator") / "oas31"
    loaded = [json.loads((folder / name).read_text("utf-8")) for name in ("schema.json", "dialect.json", "meta-base.json")]
    registry = jsonschema_rs.Registry([(schema["$id"], schema) for schema in loaded])
    dialect_id = loaded[1]["$id"]
    # `schema.json` leaves schema objects unchecked (`$dynamicAnchor: meta` accepts any object); binding the
    # anchor to the OAS dialect checks them too, as the published schema-base variant does.
    schema_base = {
        "$id": _SCHEMA_BASE_ID, "$schema": "https://json-schema.org/draft/2020-12/schema", "$ref": _DOCUMENT_ID,
        "$defs": {"schema": {"$dynamicAnchor": "meta", "$ref": dialect_id}},
    }
    return jsonschema_rs.validator_for(schema_base, registry=registry)


def _where(path: Any) -> str:
    return "/".join(str(part) for part in path) or "the document root"


def _schema_violations(spec: dict[str, Any]) -> Iterator[str]:
    for error in _document_validator().iter_errors(spec):
        yield f"{_where(error.instance_path)}: {error.message}"


def _operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    for path, item in spec.get("paths", {}).items():
        for method, operation in item.items():
            if method in ("get", "put", "post", "delete", "options", "head", "patch", "trace"):
                yield path, method, item, operation


def _rule_violations(spec: dict[str, Any], checked: dict[str, Any] | None = None) -> Iterator[str]:
    """What openapi-spec-validator checks beyond the JSON Schema, for the parts docmock generates; the
    path-level rules and references only for the path items in `checked` (default: all)."""
    seen_ids: dict[str, str] = {}
    for path, method, item, operation in _operations(spec):
        where = f"{method.upper()} {path}"
        operation_id = operation.get("operationId")
        if operation_id is not None:
            if operation_id in seen_ids:
                yield f"paths/{path}/{method}: operationId {operation_id} is also used by {seen_ids[operation_id]}"
            seen_ids.setdefault(operation_id, where)
        if checked is not None and checked.get(path) is not item:
            continue
        declared = {p.get("name") for p in (*item.get("parameters", ()), *operation.get("parameters", ()))
                    if isinstance(p, dict) and p.get("in") == "path"}
        templated = set(_TEMPLATE_PART.findall(path))
        for name in sorted(templated - declared):
            yield f"paths/{path}/{method}: path parameter {name} is in the path but not declared"
        for name in sorted(declared - templated):
            yield f"paths/{path}/{method}: path parameter {name} is declared but not in the path"
    tag_names = [tag.get("name") for tag in spec.get("tags", ()) if isinstance(tag, dict)]
    for name in sorted({n for n in tag_names if tag_names.count(n) > 1}):
        yield f"tags: tag {name} is listed twice"
    if checked is None:
        yield from _dangling_refs(spec, spec)


def _dangling_refs(spec: dict[str, Any], part: Any) -> Iterator[str]:
    # The document as JSON text is a faster place to find every reference than a walk over the tree.
    components = spec.get("components", {})
    for ref in sorted(set(_LOCAL_REF.findall(json.dumps(part)))):
        kind, _, name = ref[len(_COMPONENT_REF):].partition("/")
        if name.replace("~1", "/").replace("~0", "~") not in components.get(kind, {}):
            yield f"$ref {ref} points at no component"


def _changed_parts(spec: dict[str, Any], previous: dict[str, Any]) -> dict[str, Any] | None:
    """A document of what `spec` does not share with `previous`: its changed path items and component
    schemas, with a stand-in for every other component they name. None when that would not do: a component
    was removed (an unchanged part may have named it) or another component section changed."""
    components, before = spec.get("components", {}), previous.get("components", {})
    schemas, old_schemas = components.get("schemas", {}), before.get("schemas", {})
    if old_schemas.keys() - schemas.keys() or any(
            components.get(section) != before.get(section) for section in components.keys() | before.keys()
            if section != "schemas"):
        return None
    old_paths = previous.get("paths", {})
    paths = {path: item for path, item in spec.get("paths", {}).items() if old_paths.get(path) is not item}
    changed = {name: schema for name, schema in schemas.items() if old_schemas.get(name) is not schema}
    fragment = {key: value for key, value in spec.items() if key not in ("paths", "components")}
    fragment["paths"] = paths
    stubs = component_stubs({"paths": paths, "schemas": changed})
    fragment["components"] = {**{k: v for k, v in components.items() if k != "schemas"}, **stubs,
                              "schemas": {**stubs.get("schemas", {}), **changed}}
    return fragment


def component_stubs(value: Any) -> dict[str, dict[str, Any]]:
    """An empty stand-in for every component `value` refers to: what a fragment of a document needs beside it
    to be checked on its own (the components themselves are checked with the document they belong to)."""
    stubs: dict[str, dict[str, Any]] = {}
    for ref in sorted(set(_LOCAL_REF.findall(json.dumps(value)))):
        kind, _, name = ref[len(_COMPONENT_REF):].partition("/")
        stubs.setdefault(kind, {})[name.replace("~1", "/").replace("~0", "~")] = {}
    return stubs


def validate_document(spec: dict[str, Any], previous: dict[str, Any] | None = None) -> None:
    """Raises DocsError naming every violation (up to a limit) when the document is not valid OpenAPI 3.1.

    `previous`: a valid document this one shares its unchanged path items and component schemas with (the
    same objects, as a DocsSession's builds do); only what differs is checked then, with the rules that span
    the document (unique operationIds and tags) checked over all of it."""
    changed = _changed_parts(spec, previous) if previous is not None else None
    if changed is None:
        violations = list(_schema_violations(spec)) + list(_rule_violations(spec))
    else:
        violations = list(_schema_violations(changed)) + list(_rule_violations(spec, changed["paths"])) + \
            list(_dangling_refs(spec, {"paths": changed["paths"], "schemas": changed["components"]["schemas"]}))
    if not violations:
        return
    shown = violations[:_MAX_REPORTED]
    more = f"\n  ... and {len(violations) - len(shown)} more" if len(violations) > len(shown) else ""
    raise DocsError("the generated document is not valid OpenAPI 3.1:\n  " + "\n  ".join(shown) + more)
