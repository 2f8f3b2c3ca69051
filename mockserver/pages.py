"""The human-facing extras: the spec as JSON/YAML and an index page listing operations with a curl example each."""
from __future__ import annotations

import html
import json
import random
import re
from collections.abc import Mapping, Sequence
from typing import Any

import yaml

from .fakedata import DataFactory
from .spec import OperationSpec

BASE_PLACEHOLDER = "__DOCMOCK_BASE__"
_AUTH_EXAMPLE = "Authorization: Basic dGplMDpUamUw"


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


def example_path(op: OperationSpec, factory: DataFactory) -> str:
    """The template with each path parameter replaced by a generated value (ids get a friendly 42)."""
    r = random.Random(0)
    schemas = {p.name: p.schema for p in op.parameters if p.location == "path"}

    def value(m: re.Match[str]) -> str:
        name = m.group(1)
        schema = schemas.get(name, {})
        v = factory.generator(schema, name)(r, 0)
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int) and name.lower().endswith("id"):
            return "42"
        return str(v)
    return re.sub(r"\{([^{}]+)\}", value, op.path)


def curl_example(op: OperationSpec, factory: DataFactory, secured: bool) -> str:
    parts = ["curl -i"]
    if op.method != "GET":
        parts.append(f"-X {op.method}")
    if secured:
        parts.append(f"-H '{_AUTH_EXAMPLE}'")
    content = (op.request_body or {}).get("content") or {}
    if content:
        media = "application/json" if "application/json" in content else next(iter(content))
        schema = content[media].get("schema", {}) if isinstance(content[media], Mapping) else {}
        body = factory.generator(schema)(random.Random(0), 0)
        if "json" in media:
            text = json.dumps(body, ensure_ascii=False)
            parts.append(f"-H 'Content-Type: {media}' -d '{text.replace(chr(39), chr(39) + chr(92) + chr(39) * 2)}'")
    parts.append(f"'{BASE_PLACEHOLDER}{example_path(op, factory)}'")
    return " ".join(parts)


def reload_failure_banner(message: str) -> str:
    """What `/` shows above everything while a newer version of the docs or spec could not be loaded."""
    return ("<div role=alert style='background:#fde8e8;border:1px solid #c00;padding:.6rem 1rem'>"
            "<b>A newer version was not loaded</b>; this is the last version that loaded. Why:"
            f"<pre>{html.escape(message)}</pre></div>")


def index_page(title: str, rows: Sequence[tuple[OperationSpec, str]], notes: Sequence[str]) -> str:
    items = "\n".join(
        f"<li><code class=m>{html.escape(op.method)}</code> <code>{html.escape(op.path)}</code> "
        f"<b>{html.escape(op.operation_id)}</b> {html.escape(op.summary)}<pre>{html.escape(curl)}</pre></li>"
        for op, curl in rows
    )
    note_items = "".join(f"<li>{html.escape(n)}</li>" for n in notes)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)} - docmock</title>
<style>body{{font-family:system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem}}
li{{margin:.6rem 0}}pre{{background:#f4f4f4;padding:.4rem;overflow-x:auto}}.m{{font-weight:bold}}</style></head>
<body><h1>{html.escape(title)}</h1>
<p>Mock served by docmock. Spec: <a href="/openapi.json">openapi.json</a> · <a href="/openapi.yaml">openapi.yaml</a>.
Headers: <code>Prefer: code=404</code>, <code>Prefer: example=&lt;name&gt;</code>, <code>Prefer: dynamic=true</code>;
<code>Accept: application/xml</code> for XML; <code>?$select=Name,Id</code> nulls the other fields.</p>
{f"<h2>Route notes</h2><ul>{note_items}</ul>" if notes else ""}
<h2>{len(rows)} operations</h2><ul>
{items}
</ul></body></html>"""
