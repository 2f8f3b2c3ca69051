"""The API model as an OpenAPI 3.1 document (a plain dict, in the key order the output shows)."""
from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from .model import ApiModel, Content, Operation, Parameter, Schema

OPENAPI_VERSION = "3.1.0"
_METHOD_ORDER = {m: i for i, m in enumerate(("get", "put", "post", "delete", "options", "head", "patch", "trace"))}
_JSON_MEDIA = re.compile(r"^(application|text)/([\w.+-]*\+)?json$")

SECURITY_SCHEMES: dict[str, dict[str, str]] = {
    "Basic": {"type": "http", "scheme": "basic",
              "description": "SuperOffice user name and password, Base64-encoded (Authorization: Basic ...)."},
    "Bearer": {"type": "http", "scheme": "bearer",
               "description": "An access token from SuperId (Authorization: Bearer ...)."},
    "SoTicket": {"type": "http", "scheme": "SoTicket",
                 "description": "A SuperOffice ticket (Authorization: SoTicket ...)."},
    "XsrfToken": {"type": "apiKey", "in": "header", "name": "X-XSRF-TOKEN",
                  "description": "The XSRF value from the cookie or hidden input field, when not using the "
                                 "Authorization header."},
}


def schema_dict(schema: Schema) -> dict[str, Any]:
    if schema.ref:
        out: dict[str, Any] = {"$ref": f"#/components/schemas/{schema.ref}"}
        if schema.description:
            out["description"] = schema.description
        return out
    out = {}
    if schema.type:
        out["type"] = schema.type
    if schema.format:
        out["format"] = schema.format
    if schema.description:
        out["description"] = schema.description
    if schema.enum:
        out["enum"] = list(schema.enum)
    if schema.properties is not None:
        out["properties"] = {
            p.name: schema_dict(_described(p.schema, p.description)) for p in schema.properties
        }
    if schema.items is not None:
        out["items"] = schema_dict(schema.items)
    if schema.additional is not None:
        out["additionalProperties"] = schema_dict(schema.additional)
    return out


def _described(schema: Schema, description: str) -> Schema:
    return replace(schema, description=description) if description else schema


def _content(content: Content) -> dict[str, Any]:
    # Samples are JSON: they are shown once, under the first JSON media type.
    example_media = next((m for m in content.media_types if _JSON_MEDIA.match(m)), None)
    schema = schema_dict(content.schema)
    out: dict[str, Any] = {}
    for media in content.media_types:
        entry: dict[str, Any] = {"schema": schema}
        if content.examples and media == example_media:
            entry["examples"] = {e.name: {"summary": e.summary, "value": e.value} for e in content.examples}
        out[media] = entry
    return out


def _parameter(p: Parameter) -> dict[str, Any]:
    out: dict[str, Any] = {"name": p.name, "in": p.location, "required": p.required}
    if p.description:
        out["description"] = p.description
    out["schema"] = schema_dict(p.schema)
    return out


def operation_dict(op: Operation, secured_api: bool) -> dict[str, Any]:
    """One operation as the document states it; `secured_api`: whether the document declares security."""
    out: dict[str, Any] = {"operationId": op.operation_id}
    if op.tags:
        out["tags"] = list(op.tags)
    out["summary"] = op.summary
    if op.description:
        out["description"] = op.description
    if op.parameters:
        out["parameters"] = [_parameter(p) for p in op.parameters]
    if op.request_body:
        body: dict[str, Any] = {"required": op.request_body.required}
        if op.request_body.description:
            body["description"] = op.request_body.description
        body["content"] = _content(op.request_body.content)
        for alternative in op.request_body.alternatives:
            body["content"].update(_content(alternative))
        out["requestBody"] = body
    responses: dict[str, Any] = {}
    for r in op.responses:
        response: dict[str, Any] = {"description": r.description}
        if r.content:
            response["content"] = _content(r.content)
        responses[r.status] = response
    out["responses"] = responses
    if secured_api and not op.secured:
        out["security"] = []
    out["x-docmock-sources"] = [str(s) for s in op.sources]
    return out


class OpenApiMemo:
    """The dicts the last build made of each operation and named schema, by the identity of the record they
    were made from: a rebuild of mostly the same model (a DocsSession's) makes only the changed ones again,
    and the document shares the rest with the last one, object for object."""

    def __init__(self) -> None:
        self._operations: dict[tuple[int, bool], tuple[Operation, dict[str, Any]]] = {}
        self._schemas: dict[int, tuple[Schema, dict[str, Any]]] = {}
        self._paths: dict[str, tuple[tuple[int, ...], dict[str, Any]]] = {}

    def operation(self, op: Operation, secured: bool) -> dict[str, Any]:
        hit = self._operations.get((id(op), secured))
        if hit is None or hit[0] is not op:
            hit = (op, operation_dict(op, secured))
        self._next_operations[(id(op), secured)] = hit
        return hit[1]

    def schema(self, schema: Schema) -> dict[str, Any]:
        hit = self._schemas.get(id(schema))
        if hit is None or hit[0] is not schema:
            hit = (schema, schema_dict(schema))
        self._next_schemas[id(schema)] = hit
        return hit[1]

    def path_item(self, path: str, item: dict[str, Any]) -> dict[str, Any]:
        """The last build's path item when it holds the same operation dicts in the same order."""
        key = tuple(id(op) for op in item.values())
        hit = self._paths.get(path)
        if hit is None or hit[0] != key or list(hit[1]) != list(item):
            hit = (key, item)
        self._next_paths[path] = hit
        return hit[1]

    def start(self) -> None:
        self._next_operations: dict[tuple[int, bool], tuple[Operation, dict[str, Any]]] = {}
        self._next_schemas: dict[int, tuple[Schema, dict[str, Any]]] = {}
        self._next_paths: dict[str, tuple[tuple[int, ...], dict[str, Any]]] = {}

    def finish(self) -> None:
        self._operations, self._schemas, self._paths = self._next_operations, self._next_schemas, self._next_paths


def to_openapi(model: ApiModel, version: str = "1.0.0", memo: OpenApiMemo | None = None) -> dict[str, Any]:
    secured = any(op.secured for op in model.operations)
    if memo is not None:
        memo.start()
    make_operation = memo.operation if memo is not None else operation_dict
    paths: dict[str, dict[str, Any]] = {}
    for op in sorted(model.operations, key=lambda o: (o.path, _METHOD_ORDER.get(o.method, 99), o.method)):
        paths.setdefault(op.path, {})[op.method] = make_operation(op, secured)
    if memo is not None:
        paths = {path: memo.path_item(path, item) for path, item in paths.items()}
    doc: dict[str, Any] = {
        "openapi": OPENAPI_VERSION,
        "info": {"title": model.title, "version": version,
                 "description": "Generated by docmock from Markdown API reference pages."},
    }
    if model.tags:
        doc["tags"] = [{"name": t.name, **({"description": t.description} if t.description else {})}
                       for t in model.tags]
    doc["paths"] = paths
    components: dict[str, Any] = {}
    if secured:
        components["securitySchemes"] = SECURITY_SCHEMES
    make_schema = memo.schema if memo is not None else schema_dict
    components["schemas"] = {named.name: make_schema(named.schema) for named in model.schemas}
    doc["components"] = components
    if memo is not None:
        memo.finish()
    if secured:
        doc["security"] = [{name: []} for name in SECURITY_SCHEMES]
    return doc
