"""Loading an OpenAPI 3.0/3.1 document, normalising its schemas to JSON Schema 2020-12, and resolving $refs."""
from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .errors import SpecError
from .swagger2 import is_swagger2, to_openapi31

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

# Keywords whose value is one subschema, a list of subschemas, or a name -> subschema map;
# the normaliser walks exactly these so that a property *named* "nullable" is never rewritten.
_SUBSCHEMA_ONE = ("items", "additionalProperties", "not", "contains", "propertyNames", "if", "then", "else",
                  "unevaluatedItems", "unevaluatedProperties", "additionalItems")
_SUBSCHEMA_LIST = ("allOf", "anyOf", "oneOf", "prefixItems")
_SUBSCHEMA_MAP = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")


# libyaml's loader where PyYAML was built with it: the pure-Python one spent a second of the corpus spec's start-up.
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_spec(path: Path | str) -> dict[str, Any]:
    """Read an OpenAPI 3.x or Swagger 2.0 document from a .json, .yaml or .yml file. A Swagger 2.0 document is
    returned converted to OpenAPI 3.1 (`swagger2.to_openapi31`), so every caller gets OpenAPI 3."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise SpecError(f"cannot read spec {p}: {exc.strerror or exc}") from exc
    try:
        data = json.loads(text) if p.suffix.lower() == ".json" else yaml.load(text, Loader=YAML_LOADER)
    except (ValueError, yaml.YAMLError) as exc:
        raise SpecError(f"{p}: not valid JSON/YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise SpecError(f"{p}: the document is not a mapping")
    return to_openapi31(data) if is_swagger2(data) else data


def check_version(spec: Mapping[str, Any]) -> str:
    """Return "3.0" or "3.1", or raise for documents this server cannot read (Swagger 2.0, no version)."""
    version = str(spec.get("openapi", ""))
    if version.startswith("3.0"):
        return "3.0"
    if version.startswith("3.1") or version.startswith("3.2"):
        return "3.1"
    if "swagger" in spec:
        raise SpecError("Swagger 2.0 documents are not supported; convert to OpenAPI 3.x first")
    raise SpecError(f"unsupported or missing 'openapi' version: {version!r}")


def declared_type(schema: Mapping[str, Any], all_null: str | None = None) -> str | None:
    """The schema's `type`, or the first non-null one of a type list (`all_null` when it lists only null);
    None when it declares none."""
    t = schema.get("type")
    if isinstance(t, list):
        return next((x for x in t if x != "null"), all_null)
    return t if isinstance(t, str) else None


def normalise(spec: Mapping[str, Any]) -> dict[str, Any]:
    """The document with JSON Schema 2020-12 schemas: a 3.0 document is deep-copied and rewritten
    (nullable, exclusive*); a 3.1 document already is, and is only read from here on, so it is not copied
    (copying the full SuperOffice spec costs most of a second and its size again in memory)."""
    version = check_version(spec)
    if version != "3.0":
        return spec if isinstance(spec, dict) else dict(spec)
    doc = copy.deepcopy(dict(spec))
    for schema in _all_schemas(doc):
        _schema_30_to_31(schema)
    return doc


def _all_schemas(doc: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Yield every root schema object in the document (components, parameters, media types, headers)."""
    comps = doc.get("components") or {}
    for s in (comps.get("schemas") or {}).values():
        yield s
    for p in (comps.get("parameters") or {}).values():
        yield from _param_schemas(p)
    for h in (comps.get("headers") or {}).values():
        yield from _param_schemas(h)
    for body in (comps.get("requestBodies") or {}).values():
        yield from _content_schemas(body)
    for resp in (comps.get("responses") or {}).values():
        yield from _response_schemas(resp)
    for item in (doc.get("paths") or {}).values():
        if not isinstance(item, dict):
            continue
        for p in item.get("parameters") or ():
            yield from _param_schemas(p)
        for method in HTTP_METHODS:
            op = item.get(method)
            if not isinstance(op, dict):
                continue
            for p in op.get("parameters") or ():
                yield from _param_schemas(p)
            if isinstance(op.get("requestBody"), dict):
                yield from _content_schemas(op["requestBody"])
            for resp in (op.get("responses") or {}).values():
                yield from _response_schemas(resp)


def _param_schemas(p: Any) -> Iterator[dict[str, Any]]:
    if isinstance(p, dict):
        if isinstance(p.get("schema"), dict):
            yield p["schema"]
        yield from _content_schemas(p)


def _content_schemas(obj: Any) -> Iterator[dict[str, Any]]:
    if isinstance(obj, dict):
        for media in (obj.get("content") or {}).values():
            if isinstance(media, dict) and isinstance(media.get("schema"), dict):
                yield media["schema"]


def _response_schemas(resp: Any) -> Iterator[dict[str, Any]]:
    if isinstance(resp, dict):
        yield from _content_schemas(resp)
        for h in (resp.get("headers") or {}).values():
            yield from _param_schemas(h)


def _schema_30_to_31(schema: Any) -> None:
    if not isinstance(schema, dict):
        return
    if schema.pop("nullable", False) is True:
        t = schema.get("type")
        if isinstance(t, str):
            schema["type"] = [t, "null"]
        elif "$ref" in schema or "allOf" in schema or "oneOf" in schema or "anyOf" in schema:
            inner = {k: schema.pop(k) for k in list(schema) if k in ("$ref", "allOf", "oneOf", "anyOf")}
            schema["anyOf"] = [inner, {"type": "null"}]
        if isinstance(schema.get("enum"), list) and None not in schema["enum"]:
            schema["enum"] = [*schema["enum"], None]
    for bound, flag in (("minimum", "exclusiveMinimum"), ("maximum", "exclusiveMaximum")):
        if schema.get(flag) is True and bound in schema:
            schema[flag] = schema.pop(bound)
        elif schema.get(flag) is False:
            del schema[flag]
    if "example" in schema and "examples" not in schema:
        schema["examples"] = [schema.pop("example")]
    for key in _SUBSCHEMA_ONE:
        _schema_30_to_31(schema.get(key))
    for key in _SUBSCHEMA_LIST:
        for sub in schema.get(key) or ():
            _schema_30_to_31(sub)
    for key in _SUBSCHEMA_MAP:
        sub = schema.get(key)
        if isinstance(sub, dict):
            for s in sub.values():
                _schema_30_to_31(s)


def resolve_pointer(doc: Mapping[str, Any], ref: str) -> Any:
    """Follow a local JSON pointer ("#/components/schemas/X"); external references are not supported."""
    if not ref.startswith("#"):
        raise SpecError(f"external $ref not supported: {ref}")
    node: Any = doc
    for raw in ref[1:].split("/")[1:] if ref != "#" else ():
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            raise SpecError(f"dangling $ref: {ref}")
    return node


def _ref_of(obj: Any) -> Any:
    """obj["$ref"] when obj is a mapping, else None. `type(...) is dict` comes first because the ABC check
    alone cost a noticeable part of start-up: these run tens of thousands of times on a large spec."""
    return obj.get("$ref") if type(obj) is dict or isinstance(obj, Mapping) else None


def follow_refs(doc: Mapping[str, Any], schema: Any, limit: int = 50) -> Any:
    """The schema a chain of `$ref`s leads to (at most `limit` hops, so a reference cycle ends too)."""
    for _ in range(limit):
        ref = _ref_of(schema)
        if not isinstance(ref, str):
            break
        schema = resolve_pointer(doc, ref)
    return schema


class RefFollower:
    """follow_refs for one document, remembered per $ref: for code that follows the same references thousands
    of times (start-up checks, state inference). The document must not change while it is in use."""

    def __init__(self, doc: Mapping[str, Any]) -> None:
        self.doc = doc
        self._targets: dict[str, Any] = {}

    def __call__(self, schema: Any) -> Any:
        ref = _ref_of(schema)
        if not isinstance(ref, str):
            return schema
        try:
            return self._targets[ref]
        except KeyError:  # first time: follow it (a broken chain raises SpecError each time it is asked)
            target = self._targets[ref] = follow_refs(self.doc, schema)
            return target


def deref(doc: Mapping[str, Any], obj: Any) -> Any:
    """Resolve a chain of $refs on a non-schema object (parameter, response, requestBody, example)."""
    if not isinstance(_ref_of(obj), str):
        return obj
    seen: set[str] = set()
    while isinstance(obj, Mapping) and isinstance(obj.get("$ref"), str):
        ref = obj["$ref"]
        if ref in seen:
            raise SpecError(f"circular $ref: {ref}")
        seen.add(ref)
        obj = resolve_pointer(doc, ref)
    return obj


def success_examples(responses: Mapping[str, Any]) -> Iterator[Any]:
    """The documented example values of an operation's 2xx answers, in document order (`examples`, then
    `example`, of each media type)."""
    for code, response in responses.items():
        if not str(code).startswith("2") or not isinstance(response, Mapping):
            continue
        for media in (response.get("content") or {}).values():
            if not isinstance(media, Mapping):
                continue
            for example in (media.get("examples") or {}).values():
                if isinstance(example, Mapping) and "value" in example:
                    yield example["value"]
            if "example" in media:
                yield media["example"]


def in_any_case(values: Mapping[str, Any], name: str) -> Any:
    """The value under `name`, else under the same name in another case (None when there is none): ASP.NET binds
    query names and route values without regard to case, so `blobEntityId=5` is `BlobEntityId`."""
    found = values.get(name)
    if found is None:
        folded = name.casefold()
        found = next((v for k, v in values.items() if k.casefold() == folded), None)
    return found


def ref_name(ref: str) -> str:
    """The readable name of a schema reference: last pointer segment, without a .NET namespace prefix."""
    return ref.rsplit("/", 1)[-1].rsplit(".", 1)[-1]


@dataclass(frozen=True, slots=True)
class Parameter:
    """One path/query/header/cookie parameter, with $refs resolved."""

    name: str
    location: str
    required: bool
    schema: Mapping[str, Any]
    style: str
    explode: bool


@dataclass(frozen=True, slots=True)
class OperationSpec:
    """One operation as the server sees it: method, path template and its (resolved) OpenAPI object."""

    method: str
    path: str
    operation_id: str
    summary: str
    parameters: tuple[Parameter, ...]
    request_body: Mapping[str, Any] | None
    responses: Mapping[str, Any]
    security: tuple[Mapping[str, Any], ...] | None


_DEFAULT_STYLE = {"path": "simple", "query": "form", "header": "simple", "cookie": "form"}


def iter_operations(doc: Mapping[str, Any]) -> Iterator[OperationSpec]:
    """Yield every operation in document order, merging path-level parameters into operation-level ones."""
    for path, item, method, op in iter_operation_objects(doc):
        yield operation_spec(doc, path, item, method, op)


def iter_operation_objects(doc: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any], str, Mapping[str, Any]]]:
    """(path, path item, method, operation object) of every operation, in document order, as the document has
    them (not resolved): what a reload compares by identity."""
    for path, item in (doc.get("paths") or {}).items():
        item = deref(doc, item)
        if not isinstance(item, Mapping):
            continue
        for method in HTTP_METHODS:
            op = item.get(method)
            if isinstance(op, Mapping):
                yield str(path), item, method, op


def operation_spec(doc: Mapping[str, Any], path: str, item: Mapping[str, Any], method: str,
                   op: Mapping[str, Any]) -> OperationSpec:
    """One operation as the server sees it, its path item's parameters merged into its own."""
    merged: dict[tuple[str, str], Mapping[str, Any]] = {}
    shared = [deref(doc, p) for p in item.get("parameters") or ()]
    for p in [*shared, *(deref(doc, p) for p in op.get("parameters") or ())]:
        if isinstance(p, Mapping) and "name" in p and "in" in p:
            key = (str(p["in"]), str(p["name"]).lower() if p["in"] == "header" else str(p["name"]))
            merged[key] = p
    params = tuple(_parameter(doc, p) for p in merged.values())
    body = deref(doc, op.get("requestBody")) if op.get("requestBody") is not None else None
    responses = {str(code): deref(doc, r) for code, r in (op.get("responses") or {}).items()}
    security = op.get("security", doc.get("security"))
    return OperationSpec(
        method=method.upper(),
        path=path,
        operation_id=str(op.get("operationId") or f"{method.upper()} {path}"),
        summary=str(op.get("summary") or ""),
        parameters=params,
        request_body=body if isinstance(body, Mapping) else None,
        responses=responses,
        security=tuple(security) if isinstance(security, list) else None,
    )


def _parameter(doc: Mapping[str, Any], p: Mapping[str, Any]) -> Parameter:
    location = str(p["in"])
    schema = p.get("schema")
    if not isinstance(schema, Mapping):
        # Parameters described by `content` carry their schema one level down.
        content = p.get("content") or {}
        media = next(iter(content.values()), {}) if isinstance(content, Mapping) else {}
        schema = media.get("schema", {}) if isinstance(media, Mapping) else {}
    style = str(p.get("style") or _DEFAULT_STYLE.get(location, "simple"))
    explode = bool(p.get("explode", style == "form"))
    return Parameter(
        name=str(p["name"]),
        location=location,
        required=bool(p.get("required", location == "path")),
        schema=schema,
        style=style,
        explode=explode,
    )
