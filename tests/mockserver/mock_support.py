"""Helpers for the mock server tests: fixture specs, the corpus spec (generator or vendor Swagger)."""
from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette nudges towards httpx2, which is not a dependency
    from starlette.testclient import TestClient

from mockserver import create_app

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
CORPUS = REPO / ".." / "shared" / "corpus"
AUTH = {"Authorization": "Basic dGplMDpUamUw"}


def load_fixture(name: str) -> dict[str, Any]:
    return yaml.safe_load((HERE / "fixtures" / name).read_text(encoding="utf-8"))


def generator_available() -> bool:
    try:
        from generator import build_spec  # noqa: F401
    except ImportError:
        return False
    return True


def _swagger_schema(schema: Any) -> Any:
    """Swagger 2.0 schema -> JSON Schema 2020-12 as OpenAPI 3.1 uses it (refs, file type, x-nullable)."""
    if isinstance(schema, list):
        return [_swagger_schema(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {}
    for k, v in schema.items():
        if k == "$ref" and isinstance(v, str):
            out[k] = v.replace("#/definitions/", "#/components/schemas/")
        elif k == "type" and v == "file":
            out["type"], out["format"] = "string", "binary"
        elif k in ("x-nullable", "discriminator", "example"):
            continue
        else:
            out[k] = _swagger_schema(v)
    return out


_PARAM_SCHEMA_KEYS = ("type", "format", "enum", "items", "minimum", "maximum", "default", "pattern",
                      "minLength", "maxLength", "collectionFormat")


def swagger2_to_openapi31(docs: list[dict[str, Any]]) -> dict[str, Any]:
    """Merge the vendor's Swagger 2.0 files into one OpenAPI 3.1 document shaped like the generator's output.

    Test-only stand-in for the generator's corpus spec: the vendor files describe the same operations.
    """
    spec: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": "SuperOffice corpus (vendor Swagger, converted)", "version": "1"},
        "security": [{"Basic": []}, {"Bearer": []}, {"SoTicket": []}, {"XsrfToken": []}],
        "paths": {},
        "components": {"schemas": {}, "securitySchemes": {
            "Basic": {"type": "http", "scheme": "basic"}, "Bearer": {"type": "http", "scheme": "bearer"},
            "SoTicket": {"type": "http", "scheme": "SoTicket"},
            "XsrfToken": {"type": "apiKey", "in": "header", "name": "X-XSRF-TOKEN"}}},
    }
    for doc in docs:
        for name, schema in (doc.get("definitions") or {}).items():
            spec["components"]["schemas"][name] = _swagger_schema(schema)
        for path, item in doc["paths"].items():
            target = spec["paths"].setdefault(path, {})
            for method, op in item.items():
                new: dict[str, Any] = {k: op[k] for k in ("operationId", "summary", "description", "tags") if k in op}
                params, body = [], None
                consumes = op.get("consumes") or doc.get("consumes") or ["application/json"]
                for p in op.get("parameters") or ():
                    if p["in"] == "body":
                        body = {"required": bool(p.get("required")),
                                "content": {ct: {"schema": _swagger_schema(p["schema"])} for ct in consumes}}
                    elif p["in"] == "formData":
                        types = [ct for ct in consumes if ct != "multipart/form-data"] or ["application/octet-stream"]
                        body = {"required": True,
                                "content": {ct: {"schema": {"type": "string", "format": "binary"}} for ct in types}}
                    else:
                        schema = {k: p[k] for k in _PARAM_SCHEMA_KEYS if k in p and k != "collectionFormat"}
                        params.append({"name": p["name"], "in": p["in"], "required": bool(p.get("required")),
                                       "schema": _swagger_schema(schema)})
                if params:
                    new["parameters"] = params
                if body is not None:
                    new["requestBody"] = body
                produces = op.get("produces") or doc.get("produces") or ["application/json"]
                produces = [ct for ct in produces if ct not in ("application/json-patch+json",
                                                                "application/merge-patch+json")]
                responses = {}
                for code, resp in op["responses"].items():
                    r: dict[str, Any] = {"description": resp.get("description") or code}
                    if "schema" in resp:
                        r["content"] = {ct: {"schema": _swagger_schema(resp["schema"])} for ct in produces}
                    responses[code] = r
                new["responses"] = responses
                target[method] = new
    return spec


def corpus_spec() -> dict[str, Any]:
    """The corpus as OpenAPI: from the generator when it is available, else from the vendor's Swagger files."""
    if generator_available():
        from generator import build_spec

        return build_spec([CORPUS / "superoffice"]).spec
    files = sorted((CORPUS / "superoffice-openapi").glob("*.json"))
    return swagger2_to_openapi31([json.loads(f.read_text(encoding="utf-8")) for f in files])


def seeds_spec() -> dict[str, Any]:
    """The seed pages as OpenAPI: from the generator when available, else the hand-written fixture."""
    if generator_available():
        from generator import build_spec

        return build_spec([REPO / "docs_src"]).spec
    return load_fixture("seeds-3.1.yaml")


