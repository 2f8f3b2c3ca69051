"""The spec as the server publishes it: `/openapi.json` and `/openapi.yaml` (the console at `/` is console/)."""
from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import yaml

_DOCUMENT_TYPES = {"/openapi.json": "application/json; charset=utf-8",
                   "/openapi.yaml": "application/yaml; charset=utf-8"}


class SpecDocuments:
    """The spec as JSON and YAML, serialised on first request and kept: dumping the full SuperOffice spec
    takes seconds, which start-up should not pay for a document most runs never fetch."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        self._spec = spec
        self._done: dict[str, tuple[bytes, str]] = {}

    def get(self, path: str) -> tuple[bytes, str] | None:
        if path not in _DOCUMENT_TYPES:
            return None
        if path not in self._done:
            if path == "/openapi.json":
                # default=str: a YAML spec's unquoted dates (`example: 2024-05-03`) load as date objects.
                content = json.dumps(self._spec, ensure_ascii=False, indent=2, default=str).encode()
            else:
                dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
                content = yaml.dump(json.loads(json.dumps(self._spec, default=str)), Dumper=dumper, sort_keys=False,
                                    allow_unicode=True).encode()
            self._done[path] = (content, _DOCUMENT_TYPES[path])
        return self._done[path]
