"""Validates the generated document with openapi-spec-validator, one fragment at a time, remembering which
fragments already passed so that regeneration re-checks only what changed.

A fragment is a small complete document: the document's shell (info, tags, security), one component schema,
or one path item, each with the component names it references present as empty stubs. A reference is then
resolvable in every fragment, and each schema's own content is checked exactly once, in its own fragment.
The test suite also validates whole documents in one piece, so the split is checked against the original.
"""
from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import re
import sqlite3
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from .errors import DocsError

# Below this many fragments to check, starting worker processes costs more than it saves.
_PARALLEL_THRESHOLD = 300
_REF = re.compile(r'"\$ref": "#/components/schemas/([^"]+)"')


def _stubs(fragment_json: str) -> dict[str, Any]:
    return {name.replace("~1", "/").replace("~0", "~"): {} for name in sorted(set(_REF.findall(fragment_json)))}


def fragments(spec: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(what it is, a complete document) for the shell, each component schema and each path item."""
    components = spec.get("components", {})
    document = {key: value for key, value in spec.items() if key not in ("paths", "components")}
    shell_components = {key: value for key, value in components.items() if key != "schemas"}
    yield "the document", {**document, "paths": {}, "components": {**shell_components, "schemas": {}}}
    # The other fragments carry only what their validity depends on, so that editing a tag's description
    # or the title does not make every fragment new.
    shell = {"openapi": spec["openapi"], "info": {"title": "fragment", "version": "0"}, "paths": {}}
    if "security" in spec:
        shell["security"] = spec["security"]
    for name, schema in components.get("schemas", {}).items():
        text = json.dumps(schema)
        schemas = {**_stubs(text), name: schema}
        yield f"components/schemas/{name}", {**shell, "components": {**shell_components, "schemas": schemas}}
    for path, item in spec.get("paths", {}).items():
        text = json.dumps(item)
        yield f"paths/{path}", {**shell, "paths": {path: item},
                                "components": {**shell_components, "schemas": _stubs(text)}}


class ValidatedCache:
    """Hashes of fragments that passed validation, in one SQLite file beside the page cache."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(folder / "validated.sqlite3", timeout=30)
        self._db.execute("CREATE TABLE IF NOT EXISTS validated (hash TEXT PRIMARY KEY)")

    def known(self, hashes: list[str]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(hashes), 500):
            chunk = hashes[start:start + 500]
            rows = self._db.execute(f"SELECT hash FROM validated WHERE hash IN ({','.join('?' * len(chunk))})", chunk)
            found.update(row[0] for row in rows)
        return found

    def add(self, hashes: list[str]) -> None:
        with self._db:
            self._db.executemany("INSERT OR IGNORE INTO validated VALUES (?)", [(h,) for h in hashes])

    def close(self) -> None:
        self._db.close()


def _unique_operation_ids(spec: dict[str, Any]) -> None:
    """The one document-wide rule fragments cannot see on their own."""
    seen: dict[str, str] = {}
    for path, item in spec.get("paths", {}).items():
        for method, operation in item.items():
            if isinstance(operation, dict) and "operationId" in operation:
                where = f"{method.upper()} {path}"
                if operation["operationId"] in seen:
                    raise DocsError(f"the generated document is not valid OpenAPI: operationId "
                                    f"{operation['operationId']} is used by {seen[operation['operationId']]} and {where}")
                seen[operation["operationId"]] = where


def _validate_fragments(parts: list[tuple[str, dict[str, Any], str]]) -> tuple[list[str], str | None]:
    """(hashes that passed, the first failure) for a batch of fragments; runs in a worker process too."""
    # Imported when needed: it is the slowest import of the generator, and a warm run validates nothing.
    from openapi_spec_validator import validate
    from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

    passed = []
    for what, doc, digest in parts:
        try:
            validate(doc)
        except OpenAPIValidationError as exc:
            return passed, f"the generated document is not valid OpenAPI at {what}: {exc.message}"
        passed.append(digest)
    return passed, None


def _validate_all(parts: list[tuple[str, dict[str, Any], str]], workers: int) -> tuple[list[str], str | None]:
    if workers <= 1 or len(parts) < _PARALLEL_THRESHOLD:
        return _validate_fragments(parts)
    size = max(32, len(parts) // (workers * 4))
    batches = [parts[start:start + size] for start in range(0, len(parts), size)]
    passed: list[str] = []
    failure = None
    # Spawned workers, as for parsing: the caller may hold threads.
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        for done, error in pool.map(_validate_fragments, batches):
            passed.extend(done)
            failure = failure or error
    return passed, failure


def validate_document(spec: dict[str, Any], cache_dir: Path | None = None, workers: int | None = None) -> None:
    """Raises DocsError when the document is not valid OpenAPI.

    Without a cache the document is validated whole (fastest for one run); with one, fragment by fragment,
    skipping fragments that passed before, spread over `workers` processes (default: one per core).
    """
    if cache_dir is None:
        from openapi_spec_validator import validate
        from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

        try:
            validate(spec)
        except OpenAPIValidationError as exc:
            raise DocsError(f"the generated document is not valid OpenAPI: {exc.message}") from exc
        return
    _unique_operation_ids(spec)
    parts = [(what, doc, hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest())
             for what, doc in fragments(spec)]
    cache = ValidatedCache(cache_dir)
    try:
        known = cache.known([h for _, _, h in parts])
        todo = [p for p in parts if p[2] not in known]
        passed, failure = _validate_all(todo, workers or os.cpu_count() or 1) if todo else ([], None)
        cache.add(passed)
    finally:
        cache.close()
    if failure:
        raise DocsError(failure)
