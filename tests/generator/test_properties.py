"""Property tests: any docs text renders to a valid spec without changing it; no page crashes the parser."""
from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openapi_spec_validator import validate

from generator import DocsError, build_spec
from generator.model import (ApiModel, Content, Example, NamedSchema, Operation, Parameter, Property, RequestBody,
                             Response, Schema, Source, Tag)
from generator.openapi import to_openapi
from generator.render import load_yaml, render_yaml

TEXT = st.text(max_size=60)  # every code point hypothesis knows: quotes, colons, '#', newlines, controls, emoji
JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers(-10**6, 10**6) | TEXT,
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
                           max_leaves=8)


@settings(max_examples=150, deadline=None)
@given(summary=TEXT, description=TEXT, prop=TEXT, prop_description=TEXT, enum=st.lists(TEXT, min_size=1, max_size=3,
       unique=True), param=TEXT, tag=TEXT, example=JSON_VALUES, status_text=TEXT)
def test_docs_text_is_carried_verbatim_and_never_breaks_the_document(summary, description, prop, prop_description,
                                                                      enum, param, tag, example, status_text):
    schema = Schema(type="object", properties=(Property(prop, Schema(type="string", enum=tuple(enum)), prop_description),))
    content = Content(("application/json",), Schema(ref="Thing"), (Example("sample", summary, example),))
    op = Operation("op", "post", "/api/v1/Thing", summary, description, (tag,),
                   (Parameter(param, "query", Schema(type="string"), False, description),),
                   RequestBody(description, content), (Response("200", status_text, content),), True,
                   (Source("p.md", 1),))
    model = ApiModel("API", (op,), (NamedSchema("Thing", schema),), (Tag(tag, description),))
    spec = load_yaml(render_yaml(to_openapi(model)))
    validate(spec)
    rendered = spec["paths"]["/api/v1/Thing"]["post"]
    assert rendered["summary"] == summary
    assert rendered.get("description", "") == description
    assert rendered["parameters"][0]["name"] == param
    assert rendered["responses"]["200"]["description"] == status_text
    assert rendered["requestBody"]["content"]["application/json"]["examples"]["sample"]["value"] == example
    thing = spec["components"]["schemas"]["Thing"]["properties"][prop]
    assert thing["enum"] == enum and thing.get("description", "") == prop_description
    assert spec["tags"][0]["name"] == tag


PAGE_PARTS = st.lists(st.sampled_from([
    "---\ntitle: GET Thing/{id}\nid: v1Thing_Get\n---\n", "# GET Thing/{id}\n", "```http\nGET /api/v1/Thing/{id}\n```\n",
    "| Path Part | Type | Description |\n|---|---|---|\n| id | int32 | The id **Required** |\n",
    "## Response: object\n", "| Response | Description |\n|---|---|\n| 200 | OK |\n", "Response body: object\n",
    "| Property Name | Type | Description |\n|---|---|---|\n| Name | string | x |\n| Sub |  | y |\n",
    "## Sample Request\n", "```http_\nHTTP/1.1 200 OK\n\n{\"Name\": \"a\", \"Sub\": {\"A\": 1}}\n```\n",
    "## Request Body: request\n", "## Query String Parameters\n", "## Request Headers\n", "## Filter: ##\n",
]) | TEXT, max_size=12)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(parts=PAGE_PARTS)
def test_any_page_generates_or_fails_cleanly(parts):
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "page.md").write_text("\n".join(parts), encoding="utf-8")
        try:
            result = build_spec([folder])
        except DocsError:
            return
        validate(result.spec)
        assert all(d.path.endswith("page.md") and d.line >= 0 for d in result.diagnostics)


def test_keys_with_a_trailing_newline_are_quoted():
    document = {"x": {"U\n": {"type": "string"}, "plain": 1, "yes": 2, "200": 3}}
    assert load_yaml(render_yaml(document)) == document
