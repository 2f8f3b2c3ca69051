"""Swagger 2.0 -> OpenAPI 3.1: each conversion rule on a small document, properties of any valid document, and the
vendor's SuperOffice Swagger files converted, validated and served (in process and by `docmock serve --spec`)."""
from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import httpx
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from mock_support import AUTH, CORPUS, TestClient
from openapi_spec_validator import (
    OpenAPIV2SpecValidator,
    OpenAPIV31SpecValidator,
    validate,
)
from serving import docmock_server

from mockserver import SpecError, create_app, load_spec
from mockserver.spec import follow_refs, resolve_pointer
from mockserver.swagger2 import is_swagger2, to_openapi31

INFO = {"title": "t", "version": "1"}
OK = {"200": {"description": "ok"}}
VENDOR_DIR = CORPUS / "superoffice-openapi"
VENDOR_FILES = sorted(VENDOR_DIR.glob("*.json"))
METHODS = ("get", "put", "post", "delete", "options", "head", "patch")


def swagger(**top: Any) -> dict[str, Any]:
    return {"swagger": "2.0", "info": INFO, "paths": {}, **top}


def operation(op: dict[str, Any], path: str = "/x", method: str = "get", **top: Any) -> dict[str, Any]:
    """The converted operation of a document that has only this one."""
    return to_openapi31(swagger(paths={path: {method: op}}, **top))["paths"][path][method]


def param(p: dict[str, Any]) -> dict[str, Any]:
    """The one converted parameter of an operation that has only this one."""
    [converted] = operation({"parameters": [p], "responses": OK})["parameters"]
    return converted


def refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


def containers(node: Any) -> Iterator[Any]:
    if isinstance(node, (dict, list)):
        yield node
        for value in node.values() if isinstance(node, dict) else node:
            yield from containers(value)


# -- recognising a Swagger document ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("doc", "expected"), [
    ({"swagger": "2.0"}, True),
    ({"swagger": 2.0}, True),  # YAML reads an unquoted 2.0 as a number
    ({"openapi": "3.1.0"}, False),
    ({"swagger": "2.0", "openapi": "3.0.3"}, False),
    ({"swagger": "1.2"}, False),
    ({}, False),
    (["swagger", "2.0"], False),
])
def test_is_swagger2(doc: Any, expected: bool) -> None:
    assert is_swagger2(doc) is expected


def test_converting_anything_but_swagger_2_is_an_error() -> None:
    with pytest.raises(SpecError, match="not a Swagger 2.0 document"):
        to_openapi31({"openapi": "3.1.0", "info": INFO, "paths": {}})


# -- the document -------------------------------------------------------------------------------------------------


def test_top_level_fields_in_openapi_order_and_swagger_only_ones_gone() -> None:
    doc = {"x-logo": {"url": "l.png"}, "externalDocs": {"url": "https://docs"}, "tags": [{"name": "pets"}],
           "security": [{"key": []}], "securityDefinitions": {"key": {"type": "apiKey", "name": "K", "in": "header"}},
           "definitions": {"Pet": {"type": "object"}}, "paths": {"/pets": {"get": {"responses": OK}}},
           "produces": ["application/json"], "consumes": ["application/json"], "schemes": ["https"],
           "basePath": "/v1", "host": "api.example.com", "info": {**INFO, "license": {"name": "MIT"}},
           "swagger": "2.0"}
    assert to_openapi31(doc) == {
        "openapi": "3.1.0",
        "info": {**INFO, "license": {"name": "MIT"}},
        "servers": [{"url": "https://api.example.com/v1"}],
        "paths": {"/pets": {"get": {"responses": {"200": {"description": "ok"}}}}},
        "components": {"schemas": {"Pet": {"type": "object"}},
                       "securitySchemes": {"key": {"type": "apiKey", "name": "K", "in": "header"}}},
        "security": [{"key": []}],
        "tags": [{"name": "pets"}],
        "externalDocs": {"url": "https://docs"},
        "x-logo": {"url": "l.png"},
    }
    assert list(to_openapi31(doc)) == ["openapi", "info", "servers", "paths", "components", "security", "tags",
                                       "externalDocs", "x-logo"]


@pytest.mark.parametrize(("top", "servers"), [
    ({"host": "h.io", "basePath": "/v2", "schemes": ["http", "https"]},
     [{"url": "http://h.io/v2"}, {"url": "https://h.io/v2"}]),
    ({"host": "h.io:8080", "basePath": "/"}, [{"url": "//h.io:8080"}]),  # no schemes: scheme-relative
    ({"host": "h.io", "basePath": "/v2/", "schemes": ["https"]}, [{"url": "https://h.io/v2"}]),
    ({"basePath": "/v2"}, [{"url": "/v2"}]),  # no host: relative to where the document is served
    ({"basePath": "v2/"}, [{"url": "/v2"}]),
    ({}, None),
])
def test_host_base_path_and_schemes_become_servers(top: dict[str, Any], servers: Any) -> None:
    assert to_openapi31(swagger(**top)).get("servers") == servers


def test_operation_schemes_other_than_the_document_s_give_the_operation_servers() -> None:
    doc = swagger(host="h.io", basePath="/v1", schemes=["https"], paths={"/a": {
        "get": {"schemes": ["http"], "responses": OK}, "put": {"schemes": ["https"], "responses": OK}}})
    converted = to_openapi31(doc)["paths"]["/a"]
    assert converted["get"]["servers"] == [{"url": "http://h.io/v1"}]
    assert "servers" not in converted["put"]


# -- schemas ------------------------------------------------------------------------------------------------------


def test_definitions_become_component_schemas_and_every_ref_follows() -> None:
    definitions = {
        "Pet": {"type": "object", "required": ["name"], "properties": {
            "name": {"type": "string"},
            "owner": {"$ref": "#/definitions/Person"},
            "tags": {"type": "array", "items": {"$ref": "#/definitions/Tag"}},
            "extra": {"type": "object", "additionalProperties": {"$ref": "#/definitions/Tag"}}}},
        "Dog": {"allOf": [{"$ref": "#/definitions/Pet"}, {"properties": {"bark": {"type": "boolean"}}}]},
        "Person": {"type": "object"},
        "Tag": {"type": "string"},
    }
    assert to_openapi31(swagger(definitions=definitions))["components"]["schemas"] == {
        "Pet": {"type": "object", "required": ["name"], "properties": {
            "name": {"type": "string"},
            "owner": {"$ref": "#/components/schemas/Person"},
            "tags": {"type": "array", "items": {"$ref": "#/components/schemas/Tag"}},
            "extra": {"type": "object", "additionalProperties": {"$ref": "#/components/schemas/Tag"}}}},
        "Dog": {"allOf": [{"$ref": "#/components/schemas/Pet"}, {"properties": {"bark": {"type": "boolean"}}}]},
        "Person": {"type": "object"},
        "Tag": {"type": "string"},
    }


def test_names_openapi_3_refuses_are_renamed_without_taking_a_used_name_and_refs_follow() -> None:
    doc = swagger(definitions={
        "Page[Pet]": {"type": "object"},
        "Page_Pet_": {"type": "string"},  # already the natural new name of the one above: keeps it
        "a/b~c": {"type": "object", "properties": {"x": {"type": "integer"}}},
        "Holder": {"properties": {"p": {"$ref": "#/definitions/Page%5BPet%5D"},
                                  "q": {"$ref": "#/definitions/Page_Pet_"},
                                  "r": {"$ref": "#/definitions/a~1b~0c/properties/x"}}},
    })
    schemas = to_openapi31(doc)["components"]["schemas"]
    assert list(schemas) == ["Page_Pet__2", "Page_Pet_", "a_b_c", "Holder"]
    assert schemas["Holder"]["properties"] == {"p": {"$ref": "#/components/schemas/Page_Pet__2"},
                                               "q": {"$ref": "#/components/schemas/Page_Pet_"},
                                               "r": {"$ref": "#/components/schemas/a_b_c/properties/x"}}
    validate(to_openapi31(doc))


def test_a_ref_to_a_missing_definition_stays_for_the_loader_to_report(make_client: Any) -> None:
    doc = swagger(paths={"/a": {"get": {"responses": {"200": {"description": "ok",
                                                              "schema": {"$ref": "#/definitions/Missing"}}}}}})
    converted = to_openapi31(doc)
    assert converted["paths"]["/a"]["get"]["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Missing"}
    with pytest.raises(SpecError, match="dangling \\$ref: #/components/schemas/Missing"):
        create_app(converted)


def test_external_refs_are_left_alone() -> None:
    doc = swagger(definitions={"A": {"$ref": "common.json#/definitions/B"}})
    assert to_openapi31(doc)["components"]["schemas"]["A"] == {"$ref": "common.json#/definitions/B"}


@pytest.mark.parametrize(("schema", "expected"), [
    ({"type": "string", "x-nullable": True}, {"type": ["string", "null"]}),
    ({"type": ["string", "integer"], "x-nullable": True}, {"type": ["string", "integer", "null"]}),
    ({"type": "string", "enum": ["a", "b"], "x-nullable": True},
     {"type": ["string", "null"], "enum": ["a", "b", None]}),
    ({"$ref": "#/definitions/T", "description": "d", "x-nullable": True},
     {"description": "d", "anyOf": [{"$ref": "#/components/schemas/T"}, {"type": "null"}]}),
    ({"type": "string", "x-nullable": False}, {"type": "string"}),
    ({"type": "object", "discriminator": "kind", "required": ["kind"]},
     {"type": "object", "discriminator": {"propertyName": "kind"}, "required": ["kind"]}),
    ({"type": "string", "readOnly": True, "example": "x"}, {"type": "string", "readOnly": True, "example": "x"}),
    ({"type": "file"}, {"type": "string", "format": "binary"}),
    ({"format": "byte", "type": "file"}, {"format": "binary", "type": "string"}),
    ({"type": "integer", "minimum": 1, "exclusiveMinimum": True, "maximum": 9, "exclusiveMaximum": False},
     {"type": "integer", "exclusiveMinimum": 1, "maximum": 9}),
    ({"type": "array", "items": [{"type": "string"}], "additionalItems": {"type": "integer"}},
     {"type": "array", "prefixItems": [{"type": "string"}], "items": {"type": "integer"}}),
    # Properties that happen to be named like keywords are data, not keywords.
    ({"type": "object", "properties": {"x-nullable": {"type": "boolean"}, "discriminator": {"type": "string"}}},
     {"type": "object", "properties": {"x-nullable": {"type": "boolean"}, "discriminator": {"type": "string"}}}),
    ({"type": "object", "x-vendor": {"$ref": "#/definitions/T"}},
     {"type": "object", "x-vendor": {"$ref": "#/definitions/T"}}),
], ids=["nullable", "nullable-list", "nullable-enum", "nullable-ref", "not-nullable", "discriminator",
        "readOnly-example", "file", "file-format", "exclusive-bounds", "tuple", "keyword-named-properties",
        "extension-data"])
def test_schema_keywords(schema: dict[str, Any], expected: dict[str, Any]) -> None:
    doc = swagger(definitions={"S": schema, "T": {"type": "string"}})
    assert to_openapi31(doc)["components"]["schemas"]["S"] == expected


def test_keywords_are_converted_at_any_depth() -> None:
    deep = {"type": "object", "properties": {"a": {"type": "array", "items": {
        "allOf": [{"type": "object", "properties": {"f": {"type": "file", "x-nullable": True}}}]}}}}
    converted = to_openapi31(swagger(definitions={"S": deep}))["components"]["schemas"]["S"]
    assert converted["properties"]["a"]["items"]["allOf"][0]["properties"]["f"] == {
        "type": ["string", "null"], "format": "binary"}


# -- parameters ---------------------------------------------------------------------------------------------------


def test_a_query_parameter_s_value_keywords_move_into_its_schema() -> None:
    assert param({"name": "limit", "in": "query", "description": "how many", "required": False, "type": "integer",
                  "format": "int32", "default": 20, "minimum": 1, "maximum": 100, "exclusiveMaximum": True,
                  "multipleOf": 1, "allowEmptyValue": True, "x-example": 5, "x-internal": True}) == {
        "name": "limit", "in": "query", "description": "how many", "required": False, "allowEmptyValue": True,
        "schema": {"type": "integer", "format": "int32", "default": 20, "minimum": 1, "exclusiveMaximum": 100,
                   "multipleOf": 1},
        "example": 5, "x-internal": True}


def test_string_keywords_and_nullable_move_too() -> None:
    assert param({"name": "q", "in": "header", "type": "string", "minLength": 2, "maxLength": 9,
                  "pattern": "^[a-z]+$", "enum": ["ab", "cd"], "x-nullable": True}) == {
        "name": "q", "in": "header",
        "schema": {"type": ["string", "null"], "enum": ["ab", "cd", None], "minLength": 2, "maxLength": 9,
                   "pattern": "^[a-z]+$"}}


def test_a_path_parameter_is_always_required_and_allow_empty_value_is_query_only() -> None:
    [p] = operation({"parameters": [{"name": "id", "in": "path", "type": "string", "allowEmptyValue": True}],
                     "responses": OK}, path="/x/{id}")["parameters"]
    assert p == {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}


@pytest.mark.parametrize(("location", "fmt", "expected"), [
    ("query", None, {"style": "form", "explode": False}),  # Swagger's default is csv, OpenAPI 3's is not
    ("query", "csv", {"style": "form", "explode": False}),
    ("query", "multi", {"style": "form", "explode": True}),
    ("query", "ssv", {"style": "spaceDelimited", "explode": False}),
    ("query", "pipes", {"style": "pipeDelimited", "explode": False}),
    ("query", "tsv", {"x-collectionFormat": "tsv"}),
    ("path", "csv", {"style": "simple", "explode": False}),
    ("header", None, {"style": "simple", "explode": False}),
    ("header", "pipes", {"x-collectionFormat": "pipes"}),
])
def test_collection_format_becomes_style_and_explode(location: str, fmt: str | None,
                                                     expected: dict[str, Any]) -> None:
    p: dict[str, Any] = {"name": "ids", "in": location, "required": True, "type": "array",
                         "items": {"type": "integer", "collectionFormat": "pipes"}}
    if fmt:
        p["collectionFormat"] = fmt
    converted = operation({"parameters": [p], "responses": OK}, path="/x/{ids}")["parameters"][0]
    assert {k: v for k, v in converted.items() if k in ("style", "explode", "x-collectionFormat")} == expected
    assert converted["schema"] == {"type": "array", "items": {"type": "integer"}}  # items' own format dropped
    assert "collectionFormat" not in converted


def test_collection_format_means_nothing_for_a_single_value() -> None:
    assert param({"name": "q", "in": "query", "type": "string", "collectionFormat": "multi"}) == {
        "name": "q", "in": "query", "schema": {"type": "string"}}


def test_global_parameters_become_components_and_refs_follow_body_ones_as_request_bodies() -> None:
    doc = swagger(parameters={
        "limit": {"name": "limit", "in": "query", "type": "integer"},
        "pet": {"name": "pet", "in": "body", "required": True, "schema": {"$ref": "#/definitions/Pet"}},
        "file": {"name": "file", "in": "formData", "type": "file"},
    }, definitions={"Pet": {"type": "object"}}, paths={
        "/pets": {"post": {"parameters": [{"$ref": "#/parameters/limit"}, {"$ref": "#/parameters/pet"}],
                           "responses": OK}},
        "/files": {"post": {"consumes": ["multipart/form-data"], "parameters": [{"$ref": "#/parameters/file"}],
                            "responses": OK}},
    })
    converted = to_openapi31(doc)
    assert converted["components"]["parameters"] == {
        "limit": {"name": "limit", "in": "query", "schema": {"type": "integer"}}}
    assert converted["components"]["requestBodies"] == {"pet": {
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Pet"}}}, "required": True}}
    assert converted["paths"]["/pets"]["post"] == {
        "parameters": [{"$ref": "#/components/parameters/limit"}],
        "requestBody": {"$ref": "#/components/requestBodies/pet"},
        "responses": {"200": {"description": "ok"}}}
    # Form fields have no component form: a reference to one is inlined into the operation's form body.
    assert converted["paths"]["/files"]["post"]["requestBody"] == {"content": {"multipart/form-data": {"schema": {
        "type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}}}}
    validate(converted)


def test_a_global_body_used_with_other_media_types_is_inlined_with_them() -> None:
    doc = swagger(parameters={"pet": {"name": "pet", "in": "body", "schema": {"type": "object"}}}, paths={
        "/pets": {"post": {"consumes": ["application/xml"], "parameters": [{"$ref": "#/parameters/pet"}],
                           "responses": OK}}})
    assert to_openapi31(doc)["paths"]["/pets"]["post"]["requestBody"] == {
        "content": {"application/xml": {"schema": {"type": "object"}}}}


def test_a_ref_to_a_missing_global_parameter_stays_a_dangling_ref() -> None:
    doc = swagger(paths={"/a": {"get": {"parameters": [{"$ref": "#/parameters/nope"}], "responses": OK}}})
    converted = to_openapi31(doc)
    assert converted["paths"]["/a"]["get"]["parameters"] == [{"$ref": "#/components/parameters/nope"}]
    with pytest.raises(SpecError, match="dangling"):
        create_app(converted)


def test_path_level_parameters_stay_and_a_path_level_body_moves_into_each_operation() -> None:
    item = {"parameters": [{"name": "id", "in": "path", "required": True, "type": "integer"},
                           {"name": "shared", "in": "body", "schema": {"type": "string"}},
                           {"name": "note", "in": "formData", "type": "string"}],
            "put": {"responses": OK},
            "post": {"parameters": [{"name": "own", "in": "body", "schema": {"type": "integer"}}], "responses": OK},
            "patch": {"consumes": ["application/x-www-form-urlencoded"],
                      "parameters": [{"name": "other", "in": "formData", "type": "integer"}], "responses": OK}}
    converted = to_openapi31(swagger(paths={"/r/{id}": item}))["paths"]["/r/{id}"]
    assert converted["parameters"] == [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}]
    assert converted["put"]["requestBody"] == {"content": {"application/json": {"schema": {"type": "string"}}}}
    assert converted["post"]["requestBody"] == {"content": {"application/json": {"schema": {"type": "integer"}}}}
    # Swagger forbids a body beside form fields; when a document has both anyway, the body wins.
    assert converted["patch"]["requestBody"] == {
        "content": {"application/x-www-form-urlencoded": {"schema": {"type": "string"}}}}


def test_operation_form_fields_override_path_level_ones_by_name() -> None:
    item = {"parameters": [{"name": "a", "in": "formData", "type": "string"},
                           {"name": "b", "in": "formData", "type": "string"}],
            "post": {"parameters": [{"name": "b", "in": "formData", "type": "integer", "required": True}],
                     "responses": OK}}
    body = to_openapi31(swagger(paths={"/f": item}))["paths"]["/f"]["post"]["requestBody"]
    assert body == {"content": {"application/x-www-form-urlencoded": {"schema": {
        "type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "integer"}}, "required": ["b"]}}},
        "required": True}


# -- request bodies -----------------------------------------------------------------------------------------------


def test_a_body_parameter_becomes_a_request_body_per_consumed_media_type() -> None:
    body = {"name": "pet", "in": "body", "description": "the pet", "required": True, "x-origin": "form",
            "schema": {"$ref": "#/definitions/Pet"}}
    converted = operation({"consumes": ["application/json", "application/xml"], "parameters": [body],
                           "responses": OK}, method="post")
    assert converted["requestBody"] == {
        "description": "the pet",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Pet"}},
                    "application/xml": {"schema": {"$ref": "#/components/schemas/Pet"}}},
        "required": True, "x-origin": "form"}
    assert "parameters" not in converted


@pytest.mark.parametrize(("own", "document", "media"), [
    (["text/plain"], ["application/xml"], ["text/plain"]),
    (None, ["application/xml", "text/xml"], ["application/xml", "text/xml"]),
    ([], ["application/xml"], ["application/xml"]),  # an empty list (seen in the vendor files) says nothing
    (None, None, ["application/json"]),
])
def test_consumes_is_the_operation_s_else_the_document_s_else_json(own: Any, document: Any,
                                                                   media: list[str]) -> None:
    op: dict[str, Any] = {"parameters": [{"name": "b", "in": "body", "required": False, "schema": {}}],
                          "responses": OK}
    if own is not None:
        op["consumes"] = own
    top = {"consumes": document} if document is not None else {}
    body = operation(op, method="post", **top)["requestBody"]
    assert list(body["content"]) == media and body["required"] is False


def test_body_examples_by_media_type_become_content_examples() -> None:
    body = {"name": "b", "in": "body", "schema": {"type": "object"},
            "x-examples": {"application/json": {"a": 1}, "application/xml": "<a>1</a>"}}
    assert operation({"parameters": [body], "responses": OK}, method="post")["requestBody"] == {"content": {
        "application/json": {"schema": {"type": "object"}, "example": {"a": 1}},
        "application/xml": {"schema": {"type": "object"}, "example": "<a>1</a>"}}}


def test_form_fields_become_a_multipart_object_when_the_operation_consumes_multipart() -> None:
    fields = [{"name": "image", "in": "formData", "required": True, "type": "file", "description": "the image"},
              {"name": "caption", "in": "formData", "type": "string", "maxLength": 80, "x-example": "hi"}]
    converted = operation({"consumes": ["image/png", "multipart/form-data"], "parameters": fields,
                           "responses": OK}, method="post")
    assert converted["requestBody"] == {"content": {"multipart/form-data": {"schema": {
        "type": "object",
        "properties": {"image": {"description": "the image", "type": "string", "format": "binary"},
                       "caption": {"type": "string", "maxLength": 80, "example": "hi"}},
        "required": ["image"]}}}, "required": True}
    assert "parameters" not in converted


def test_form_fields_are_urlencoded_by_default_with_encoding_for_arrays() -> None:
    fields = [{"name": "tags", "in": "formData", "type": "array", "items": {"type": "string"},
               "collectionFormat": "multi"},
              {"name": "ids", "in": "formData", "type": "array", "items": {"type": "integer"}}]
    assert operation({"parameters": fields, "responses": OK}, method="post")["requestBody"] == {"content": {
        "application/x-www-form-urlencoded": {
            "schema": {"type": "object", "properties": {"tags": {"type": "array", "items": {"type": "string"}},
                                                        "ids": {"type": "array", "items": {"type": "integer"}}}},
            "encoding": {"tags": {"style": "form", "explode": True}, "ids": {"style": "form", "explode": False}}}}}


@pytest.mark.parametrize(("consumes", "media"), [
    (["application/x-www-form-urlencoded", "multipart/form-data"], ["application/x-www-form-urlencoded",
                                                                    "multipart/form-data"]),
    (["application/json"], ["multipart/form-data"]),  # a file can only travel as multipart
])
def test_form_media_types(consumes: list[str], media: list[str]) -> None:
    fields = [{"name": "f", "in": "formData", "type": "file"}]
    body = operation({"consumes": consumes, "parameters": fields, "responses": OK}, method="post")["requestBody"]
    assert list(body["content"]) == media


# -- responses ----------------------------------------------------------------------------------------------------


def test_a_response_schema_becomes_content_per_produced_media_type_with_headers_and_examples() -> None:
    response = {"description": "a pet", "schema": {"$ref": "#/definitions/Pet"},
                "headers": {"X-Rate": {"type": "integer", "format": "int32", "description": "left"},
                            "X-Ids": {"type": "array", "items": {"type": "string"}, "collectionFormat": "pipes",
                                      "x-example": "a|b"}},
                "examples": {"application/json": {"name": "Rex"}, "text/csv": "name\nRex"},
                "x-cache": "no"}
    converted = operation({"produces": ["application/json", "application/xml"], "responses": {"200": response}})
    assert converted["responses"]["200"] == {
        "description": "a pet",
        "headers": {"X-Rate": {"description": "left", "schema": {"type": "integer", "format": "int32"}},
                    "X-Ids": {"schema": {"type": "array", "items": {"type": "string"}}, "example": "a|b",
                              "x-collectionFormat": "pipes"}},
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Pet"}, "example": {"name": "Rex"}},
                    "application/xml": {"schema": {"$ref": "#/components/schemas/Pet"}},
                    "text/csv": {"schema": {"$ref": "#/components/schemas/Pet"}, "example": "name\nRex"}},
        "x-cache": "no"}


@pytest.mark.parametrize(("own", "document", "media"), [
    (["text/plain"], ["application/xml"], ["text/plain"]),
    (None, ["application/xml"], ["application/xml"]),
    ([], ["application/xml"], ["application/xml"]),
    (None, None, ["application/json"]),
])
def test_produces_is_the_operation_s_else_the_document_s_else_json(own: Any, document: Any,
                                                                   media: list[str]) -> None:
    op: dict[str, Any] = {"responses": {"200": {"description": "ok", "schema": {"type": "string"}}}}
    if own is not None:
        op["produces"] = own
    top = {"produces": document} if document is not None else {}
    assert list(operation(op, **top)["responses"]["200"]["content"]) == media


def test_responses_without_schema_have_no_content_and_odd_ones_are_made_valid() -> None:
    converted = operation({"responses": {204: {"description": "gone"}, "404": {},
                                         "default": {"description": "file", "schema": {"type": "file"}}}})
    assert converted["responses"] == {
        "204": {"description": "gone"},
        "404": {"description": ""},  # description is required in OpenAPI 3
        "default": {"description": "file", "content": {"application/json": {"schema": {"type": "string",
                                                                                        "format": "binary"}}}}}


def test_global_responses_become_components_and_refs_follow() -> None:
    doc = swagger(responses={"NotFound": {"description": "missing", "schema": {"$ref": "#/definitions/Error"}}},
                  definitions={"Error": {"type": "object"}},
                  paths={"/a": {"get": {"responses": {"404": {"$ref": "#/responses/NotFound"}}},
                                "put": {"produces": ["application/xml"],
                                        "responses": {"404": {"$ref": "#/responses/NotFound"}}}}})
    converted = to_openapi31(doc)
    assert converted["components"]["responses"] == {"NotFound": {"description": "missing", "content": {
        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}}
    assert converted["paths"]["/a"]["get"]["responses"] == {"404": {"$ref": "#/components/responses/NotFound"}}
    # An operation producing something else gets the response with its own media types.
    assert converted["paths"]["/a"]["put"]["responses"]["404"] == {"description": "missing", "content": {
        "application/xml": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    validate(converted)


# -- security -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("definition", "scheme"), [
    ({"type": "basic", "description": "user:password"},
     {"type": "http", "description": "user:password", "scheme": "basic"}),
    ({"type": "apiKey", "name": "X-Key", "in": "header", "x-note": 1},
     {"type": "apiKey", "name": "X-Key", "in": "header", "x-note": 1}),
    ({"type": "oauth2", "flow": "implicit", "authorizationUrl": "https://a/auth", "scopes": {"read": "r"}},
     {"type": "oauth2", "flows": {"implicit": {"authorizationUrl": "https://a/auth", "scopes": {"read": "r"}}}}),
    ({"type": "oauth2", "flow": "password", "tokenUrl": "https://a/token", "scopes": {}},
     {"type": "oauth2", "flows": {"password": {"tokenUrl": "https://a/token", "scopes": {}}}}),
    ({"type": "oauth2", "flow": "application", "tokenUrl": "https://a/token"},
     {"type": "oauth2", "flows": {"clientCredentials": {"tokenUrl": "https://a/token", "scopes": {}}}}),
    ({"type": "oauth2", "flow": "accessCode", "authorizationUrl": "https://a/auth", "tokenUrl": "https://a/token",
      "scopes": {"w": "write"}},
     {"type": "oauth2", "flows": {"authorizationCode": {"authorizationUrl": "https://a/auth",
                                                        "tokenUrl": "https://a/token", "scopes": {"w": "write"}}}}),
], ids=["basic", "apiKey", "implicit", "password", "application", "accessCode"])
def test_security_definitions_become_security_schemes(definition: dict[str, Any], scheme: dict[str, Any]) -> None:
    converted = to_openapi31(swagger(securityDefinitions={"s": definition}))
    assert converted["components"]["securitySchemes"] == {"s": scheme}
    validate(converted)


def test_security_requirements_follow_renamed_schemes_and_keep_unknown_names() -> None:
    doc = swagger(securityDefinitions={"My Key": {"type": "apiKey", "name": "K", "in": "query"}},
                  security=[{"My Key": []}],
                  paths={"/a": {"get": {"security": [{"My Key": [], "Undeclared": []}, {}], "responses": OK}}})
    converted = to_openapi31(doc)
    assert list(converted["components"]["securitySchemes"]) == ["My_Key"]
    assert converted["security"] == [{"My_Key": []}]
    assert converted["paths"]["/a"]["get"]["security"] == [{"My_Key": [], "Undeclared": []}, {}]


# -- operations and paths -----------------------------------------------------------------------------------------


def test_operation_fields_are_kept_in_openapi_order() -> None:
    op = {"x-rank": 1, "deprecated": True, "security": [], "responses": OK, "operationId": "getX",
          "externalDocs": {"url": "https://d"}, "description": "long", "summary": "short", "tags": ["t"],
          "produces": ["application/json"], "consumes": ["application/json"], "schemes": ["https"]}
    converted = operation(op)
    assert converted == {"tags": ["t"], "summary": "short", "description": "long",
                         "externalDocs": {"url": "https://d"}, "operationId": "getX",
                         "responses": {"200": {"description": "ok"}}, "deprecated": True, "security": [],
                         "x-rank": 1}
    assert list(converted) == ["tags", "summary", "description", "externalDocs", "operationId", "responses",
                               "deprecated", "security", "x-rank"]


def test_path_extensions_and_path_item_extensions_are_kept() -> None:
    doc = swagger(paths={"x-paths-note": {"a": 1}, "/a": {"x-owner": "me", "get": {"responses": OK}}})
    assert to_openapi31(doc)["paths"] == {"x-paths-note": {"a": 1},
                                          "/a": {"get": {"responses": {"200": {"description": "ok"}}},
                                                 "x-owner": "me"}}


def test_the_input_is_not_changed_and_shares_nothing_with_the_output() -> None:
    doc = json.loads(VENDOR_FILES[0].read_text(encoding="utf-8")) if VENDOR_FILES else swagger(
        definitions={"A": {"type": "string", "x-nullable": True, "enum": ["a"]}})
    before = copy.deepcopy(doc)
    converted = to_openapi31(doc)
    assert doc == before
    assert not {id(c) for c in containers(doc)} & {id(c) for c in containers(converted)}
    assert_a_tree(converted)
    assert json.dumps(to_openapi31(doc)) == json.dumps(converted)  # same keys in the same order


def assert_a_tree(doc: Any) -> None:
    """No dict or list appears twice: a change to one media type's schema must not change another's, and YAML
    would write a shared one as an &anchor."""
    seen = [id(c) for c in containers(doc)]
    assert len(seen) == len(set(seen))


# -- load_spec ----------------------------------------------------------------------------------------------------


def test_load_spec_converts_a_swagger_yaml_file(tmp_path: Path) -> None:
    path = tmp_path / "api.yaml"
    path.write_text("swagger: 2.0\ninfo: {title: t, version: '1'}\nbasePath: /v1\npaths:\n"
                    "  /pets/{id}:\n    get:\n      parameters:\n"
                    "        - {name: id, in: path, required: true, type: integer}\n"
                    "      responses:\n        200:\n          description: ok\n"
                    "          schema: {$ref: '#/definitions/Pet'}\n"
                    "definitions:\n  Pet: {type: object, properties: {id: {type: integer}}}\n", encoding="utf-8")
    spec = load_spec(path)
    assert spec["openapi"] == "3.1.0" and spec["servers"] == [{"url": "/v1"}]
    assert spec["paths"]["/pets/{id}"]["get"]["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Pet"}
    validate(spec)


def test_load_spec_leaves_openapi_3_alone(tmp_path: Path) -> None:
    doc = {"openapi": "3.0.3", "info": INFO, "paths": {}, "definitions": {"kept": True}}
    path = tmp_path / "api.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert load_spec(path) == doc


def test_a_converted_swagger_file_is_served(make_client: Callable[..., TestClient], tmp_path: Path) -> None:
    path = tmp_path / "pets.yaml"
    path.write_text(yaml.safe_dump(swagger(
        paths={"/pets/{id}": {"get": {"operationId": "getPet", "parameters": [
            {"name": "id", "in": "path", "required": True, "type": "integer"},
            {"name": "fields", "in": "query", "type": "array", "items": {"type": "string", "enum": ["a", "b"]}}],
            "responses": {"200": {"description": "ok", "schema": {"$ref": "#/definitions/Pet"}}}}}},
        definitions={"Pet": {"type": "object", "required": ["id", "name"], "properties": {
            "id": {"type": "integer"}, "name": {"type": "string", "x-nullable": True}}}})), encoding="utf-8")
    client = make_client(load_spec(path))
    ok = client.get("/pets/7", params={"fields": "a,b"})  # csv, as Swagger's default says
    assert ok.status_code == 200 and ok.headers["x-docmock-operation"] == "getPet"
    assert set(ok.json()) == {"id", "name"} and isinstance(ok.json()["id"], int)
    assert client.get("/pets/7", params={"fields": "a,c"}).status_code == 400


# -- properties of any valid Swagger document ---------------------------------------------------------------------

# Names with characters OpenAPI 3 refuses in component names, and ones a $ref must escape.
_names = st.text(alphabet="Ab9._- /~[]«%", min_size=1, max_size=5)
_leaf_types = st.sampled_from(["string", "integer", "number", "boolean"])


def _pointer(section: str, name: str) -> str:
    return f"#/{section}/" + quote(name.replace("~", "~0").replace("/", "~1"), safe="~")


def _schemas(definitions: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    leaves: list[st.SearchStrategy[dict[str, Any]]] = [
        st.fixed_dictionaries({"type": _leaf_types}, optional={"x-nullable": st.booleans(),
                                                               "readOnly": st.booleans()}),
        st.fixed_dictionaries({"type": st.just("integer"), "minimum": st.integers(-5, 5),
                               "exclusiveMinimum": st.booleans()}),
        st.fixed_dictionaries({"type": st.just("string"), "enum": st.just(["a", "b"]), "x-nullable": st.just(True)}),
    ]
    if definitions:
        leaves.append(st.sampled_from(definitions).map(lambda n: {"$ref": _pointer("definitions", n)}))
    return st.recursive(st.one_of(leaves), lambda inner: st.one_of(
        inner.map(lambda s: {"type": "array", "items": s}),
        st.dictionaries(st.text("abc", min_size=1, max_size=3), inner, max_size=3).map(
            lambda props: {"type": "object", "properties": props}),
        st.lists(inner, min_size=1, max_size=2).map(lambda parts: {"allOf": parts}),
        inner.map(lambda s: {"type": "object", "additionalProperties": s}),
    ), max_leaves=5)


@st.composite
def swagger_documents(draw: st.DrawFn) -> dict[str, Any]:
    """Valid Swagger 2.0 documents whose every $ref resolves, using global definitions, parameters and responses."""
    def_names = draw(st.lists(_names, max_size=4, unique=True))
    # A definition refers only to earlier ones: a $ref cycle sends the validators into endless recursion.
    definitions = {n: draw(_schemas(def_names[:i])) for i, n in enumerate(def_names)}
    schema = _schemas(def_names)
    media = st.lists(st.sampled_from(["application/json", "application/xml", "text/plain"]), max_size=2, unique=True)
    query = st.fixed_dictionaries({"in": st.just("query"), "type": st.just("array"), "items": st.just(
        {"type": "integer"})}, optional={"collectionFormat": st.sampled_from(["csv", "ssv", "pipes", "multi"])})
    parameters: dict[str, Any] = {}
    for i, name in enumerate(draw(st.lists(_names, max_size=3, unique=True))):
        if draw(st.booleans()):
            parameters[name] = {**draw(query), "name": f"q{i}"}
        else:
            parameters[name] = {"name": f"b{i}", "in": "body", "required": draw(st.booleans()), "schema": draw(schema)}
    responses = {n: {"description": "d", "schema": draw(schema)}
                 for n in draw(st.lists(_names, max_size=2, unique=True))}
    paths: dict[str, Any] = {}
    for i in range(draw(st.integers(1, 3))):
        op: dict[str, Any] = {"responses": {"200": {"description": "ok", "schema": draw(schema)}}}
        if responses:
            op["responses"]["404"] = {"$ref": _pointer("responses", draw(st.sampled_from(sorted(responses))))}
        own = [{"name": "id", "in": "path", "required": True, "type": "integer"}]
        has_body = False
        for name in draw(st.lists(st.sampled_from(sorted(parameters)), unique=True)) if parameters else ():
            if parameters[name]["in"] == "body":
                if has_body:
                    continue
                has_body = True
            own.append({"$ref": _pointer("parameters", name)})
        if not has_body and draw(st.booleans()):
            own.append({"name": "upload", "in": "formData", "type": "file", "required": True})
            op["consumes"] = ["multipart/form-data"]
        elif draw(st.booleans()):
            op["consumes"] = draw(media)
        if draw(st.booleans()):
            op["produces"] = draw(media)
        op["parameters"] = own
        paths[f"/r{i}/{{id}}"] = {"post": op}
    doc = swagger(paths=paths, definitions=definitions, parameters=parameters, responses=responses)
    for key, value in (("host", "api.example.com"), ("basePath", "/v1"), ("produces", ["application/json"])):
        if draw(st.booleans()):
            doc[key] = value
    return doc


def _resolves_in_swagger(doc: dict[str, Any], ref: str) -> bool:
    node: Any = doc
    for part in ref[2:].split("/"):
        part = unquote(part).replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


_PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_PROPERTY
@given(swagger_documents())
def test_every_ref_in_the_output_resolves_when_every_ref_in_the_input_does(doc: dict[str, Any]) -> None:
    assert all(_resolves_in_swagger(doc, r) for r in refs(doc))
    converted = to_openapi31(doc)
    for ref in refs(converted):
        resolve_pointer(converted, ref)  # raises SpecError for a dangling one


@_PROPERTY
@given(swagger_documents())
def test_a_valid_swagger_document_converts_to_a_valid_openapi_31_one(doc: dict[str, Any]) -> None:
    validate(doc, cls=OpenAPIV2SpecValidator)
    validate(to_openapi31(doc), cls=OpenAPIV31SpecValidator)


@_PROPERTY
@given(swagger_documents())
def test_conversion_is_pure_and_deterministic(doc: dict[str, Any]) -> None:
    before = copy.deepcopy(doc)
    first = to_openapi31(doc)
    assert doc == before
    assert not {id(c) for c in containers(doc)} & {id(c) for c in containers(first)}
    assert_a_tree(first)
    assert json.dumps(to_openapi31(doc)) == json.dumps(first)
    valid_names = [n for n in doc["definitions"] if all(c.isalnum() or c in "._-" for c in n)]
    assert set(valid_names) <= set((first.get("components") or {}).get("schemas") or {})  # valid names are kept


# -- the vendor's Swagger files -----------------------------------------------------------------------------------

vendor = pytest.mark.parametrize("path", VENDOR_FILES, ids=[p.stem for p in VENDOR_FILES])


def test_the_vendor_corpus_is_all_there() -> None:
    if not VENDOR_DIR.exists():
        pytest.skip("shared/corpus is not beside the repository")
    assert len(VENDOR_FILES) == 13


@vendor
def test_a_vendor_file_converts_to_a_valid_openapi_31_document(path: Path) -> None:
    doc = json.loads(path.read_text(encoding="utf-8"))
    converted = to_openapi31(doc)
    validate(converted, cls=OpenAPIV31SpecValidator)
    assert load_spec(path) == converted
    assert converted["servers"] == [{"url": "http://localhost:54464"}, {"url": "https://localhost:54464"}]
    for ref in refs(converted):
        resolve_pointer(converted, ref)
    swagger_ops = sum(m in METHODS for item in doc["paths"].values() for m in item)
    assert sum(m in METHODS for item in converted["paths"].values() for m in item) == swagger_ops
    assert not any("in" in p and p["in"] in ("body", "formData") for p in _all_parameters(converted))


def _all_parameters(spec: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for item in spec["paths"].values():
        yield from item.get("parameters", ())
        for method in METHODS:
            yield from (item.get(method) or {}).get("parameters", ())


def _sample(spec: dict[str, Any], schema: Any) -> Any:
    """A plain valid value for a parameter or body schema of the vendor files."""
    schema = follow_refs(spec, schema)
    if schema.get("enum"):
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "integer":
        return 42
    if kind == "number":
        return 1.5
    if kind == "boolean":
        return True
    if kind == "array":
        return []
    if kind == "object" or "properties" in schema:
        return {}
    return {"date-time": "2024-01-02T03:04:05Z", "date": "2024-01-02"}.get(schema.get("format"), "abc")


def _request(spec: dict[str, Any], url: str, op: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The URL and httpx arguments of a valid request to a vendor operation: its path parameters filled in, its
    required query parameters given, its body (JSON, or the one multipart image upload) sent."""
    target, query = url, {}
    for p in op.get("parameters", ()):
        if p["in"] == "path":
            target = target.replace("{" + p["name"] + "}", str(_sample(spec, p["schema"])))
        elif p["in"] == "query" and p.get("required"):
            query[p["name"]] = str(_sample(spec, p["schema"]))
    kwargs: dict[str, Any] = {"params": query}
    content = (op.get("requestBody") or {}).get("content", {})
    if "application/json" in content:
        kwargs["json"] = _sample(spec, content["application/json"]["schema"])
    elif "multipart/form-data" in content:
        kwargs["files"] = {"image": ("a.png", b"\x89PNG", "image/png")}
    return target, kwargs


def _vendor_operations() -> list[Any]:
    cases = []
    for path in VENDOR_FILES:
        doc = json.loads(path.read_text(encoding="utf-8"))
        for url, item in doc["paths"].items():
            for method, op in item.items():
                if method in METHODS:
                    cases.append(pytest.param(path, url, method, id=f"{path.stem}:{op.get('operationId')}"))
    return cases


@pytest.mark.parametrize(("path", "url", "method"), _vendor_operations())
def test_every_vendor_operation_answers_a_valid_request_in_the_shape_of_its_schema(
        path: Path, url: str, method: str, make_client: Callable[..., TestClient]) -> None:
    spec = load_spec(path)
    op = spec["paths"][url][method]
    client = make_client(spec)
    code = next(c for c in op["responses"] if c.startswith("2"))
    offered = list(op["responses"][code].get("content", {}))
    accept = "application/json" if not offered or "application/json" in offered else offered[0]
    target, kwargs = _request(spec, url, op)
    answer = client.request(method.upper(), target, headers={**AUTH, "Accept": accept}, **kwargs)
    assert 200 <= answer.status_code < 300, answer.text
    assert answer.headers["x-docmock-operation"] == op["operationId"]
    if accept != "application/json" or not offered:
        assert answer.headers.get("content-type", accept).startswith(accept)
        return
    assert answer.headers["content-type"].startswith("application/json")
    pointer = "/".join(["#/paths", url.replace("~", "~0").replace("/", "~1"), method, "responses", code,
                        "content", "application~1json", "schema"])
    # The whole document is the schema's root, so that its "#/components/..." references resolve.
    checker = Draft202012Validator({**spec, "$ref": pointer}, format_checker=Draft202012Validator.FORMAT_CHECKER)
    errors = [e.message for e in checker.iter_errors(answer.json())]
    assert not errors, errors[:3]


def _vendor(name: str) -> Path:
    path = VENDOR_DIR / name
    if not path.exists():
        pytest.skip("shared/corpus is not beside the repository")
    return path


def test_the_vendor_image_upload_takes_a_multipart_file_and_the_image_is_served_as_an_image(
        make_client: Callable[..., TestClient]) -> None:
    spec = load_spec(_vendor("rest-Swagger-v1-Person.json"))
    assert spec["paths"]["/api/v1/Person/{personId}/Image"]["put"]["requestBody"]["content"] == {
        "multipart/form-data": {"schema": {"type": "object", "properties": {"image": {
            "description": "Image bitmap (PNG, GIF, JPEG or TIFF format).", "type": "string", "format": "binary"}},
            "required": ["image"]}}}
    client = make_client(spec)
    upload = client.put("/api/v1/Person/7/Image", headers=AUTH, files={"image": ("a.png", b"\x89PNG", "image/png")})
    assert upload.status_code == 200 and isinstance(upload.json(), int)
    image = client.get("/api/v1/Person/7/Image", headers={**AUTH, "Accept": "image/png"})
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"


def test_docmock_serve_reads_a_vendor_swagger_file() -> None:
    path = _vendor("rest-Swagger-v1-BatchTask.json")
    with docmock_server("--spec", str(path)) as (base, output):
        document = httpx.get(base + "/openapi.json", timeout=10).json()
        assert document["openapi"] == "3.1.0" and "swagger" not in document
        task = httpx.get(base + "/api/v1/BatchTask/42", headers=AUTH, timeout=10)
        assert task.status_code == 200 and task.json()["Id"] == 42
        listing = httpx.get(base + "/api/v1/BatchTask/Failed", headers=AUTH, timeout=10)
        assert listing.status_code == 200 and isinstance(listing.json(), list)
    assert "v1Batch_GetBatchTaskInfosByState" in output[0]
