"""Helpers for the mock server tests: fixture specs, the corpus spec (generator or vendor Swagger)."""
from __future__ import annotations

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


def swagger2_to_openapi31(docs: list[dict[str, Any]]) -> dict[str, Any]:
    """Merge the vendor's Swagger 2.0 files into one OpenAPI 3.1 document shaped like the generator's output:
    each file converted as `load_spec` does, with the generator's security schemes.

    Test-only stand-in for the generator's corpus spec: the vendor files describe the same operations.
    """
    from mockserver.swagger2 import to_openapi31

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
        converted = to_openapi31(doc)
        spec["components"]["schemas"].update((converted.get("components") or {}).get("schemas") or {})
        for path, item in converted["paths"].items():
            for op in item.values():
                if isinstance(op, dict):
                    op.pop("security", None)  # the vendor names schemes it does not declare
            spec["paths"].setdefault(path, {}).update(item)
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


