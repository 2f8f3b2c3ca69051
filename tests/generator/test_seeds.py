"""The five seed pages in docs_src/ produce the operations, schemas and merge the docs describe."""
from __future__ import annotations

import json

import yaml

from testdata import SEEDS
from generator import Severity, build_spec
from pagekit import operations, params, success_schema


def test_operations_and_ids(seeds_result):
    ops = operations(seeds_result.spec)
    assert sorted(ops) == ["v1BatchAgent_GetBatchTaskInfosByAssociatesAndState", "v1Batch_GetBatchTaskInfo",
                           "v1Batch_GetBatchTaskInfosByState", "v1Batch_StartBatchJob"]
    assert ops["v1Batch_GetBatchTaskInfo"][:2] == ("/api/v1/BatchTask/{id}", "get")
    assert ops["v1Batch_GetBatchTaskInfosByState"][:2] == ("/api/v1/BatchTask/{state}", "get")


def test_colliding_paths_keep_their_parameter_types(seeds_result):
    ops = operations(seeds_result.spec)
    by_id = params(ops["v1Batch_GetBatchTaskInfo"][2])[("path", "id")]
    by_state = params(ops["v1Batch_GetBatchTaskInfosByState"][2])[("path", "state")]
    assert by_id["schema"] == {"type": "integer", "format": "int32"} and by_id["required"] is True
    assert by_state["schema"]["enum"] == ["Unknown", "New", "Aquired", "Started", "Succeeded", "Failed",
                                          "SucceededManualCleanup", "All"]


def test_headers_are_parameters_and_credentials_are_security(seeds_result):
    spec = seeds_result.spec
    op = operations(spec)["v1Batch_GetBatchTaskInfo"][2]
    names = {name for (where, name) in params(op) if where == "header"}
    assert names == {"Accept-Language", "SO-Language", "SO-Culture", "SO-TimeZone", "SO-AppToken"}
    assert set(spec["components"]["securitySchemes"]) == {"Basic", "Bearer", "SoTicket", "XsrfToken"}
    assert spec["components"]["securitySchemes"]["XsrfToken"] == {
        "type": "apiKey", "in": "header", "name": "X-XSRF-TOKEN", "description": spec["components"]["securitySchemes"]["XsrfToken"]["description"]}
    assert {tuple(s) for entry in spec["security"] for s in [entry]} and len(spec["security"]) == 4


def test_media_types_come_from_accept_and_content_type(seeds_result):
    op = operations(seeds_result.spec)["v1BatchAgent_GetBatchTaskInfosByAssociatesAndState"][2]
    assert list(op["requestBody"]["content"]) == ["application/json", "text/json", "application/xml", "text/xml",
                                                  "application/x-www-form-urlencoded", "application/json-patch+json",
                                                  "application/merge-patch+json"]
    assert "application/xml" in op["responses"]["200"]["content"]


def test_carrier_is_one_named_schema_with_nested_types_from_samples(seeds_result):
    schemas = seeds_result.spec["components"]["schemas"]
    info = schemas["BatchTaskInfo"]["properties"]
    assert info["TableRight"]["$ref"] == "#/components/schemas/TableRight"
    assert info["FieldProperties"]["additionalProperties"] == {"$ref": "#/components/schemas/FieldProperty"}
    assert info["ParameterObject"]["additionalProperties"] == {"type": "string"}
    assert schemas["FieldProperty"]["properties"]["FieldRight"] == {"$ref": "#/components/schemas/FieldRight"}
    assert set(schemas["TableRight"]["properties"]) == {"Mask", "Reason"}
    # The list pages document BatchTaskInfo without naming it; they reuse the one schema.
    ops = operations(seeds_result.spec)
    for op_id in ("v1Batch_GetBatchTaskInfosByState", "v1BatchAgent_GetBatchTaskInfosByAssociatesAndState"):
        assert success_schema(ops[op_id][2]) == {"type": "array", "items": {"$ref": "#/components/schemas/BatchTaskInfo"}}
    assert success_schema(ops["v1Batch_GetBatchTaskInfo"][2]) == {"$ref": "#/components/schemas/BatchTaskInfo"}


def test_duplicate_pages_merge_into_one_operation_with_the_union(seeds_result):
    ops = operations(seeds_result.spec)
    path, method, op = ops["v1Batch_StartBatchJob"]
    assert (path, method) == ("/api/v1/BatchTask", "post")
    assert op["x-docmock-sources"] == ["docs_src/004_0d64f66f213af615.txt:9", "docs_src/003_857a8ce8002f0cf2.txt:15"]
    body = op["requestBody"]["content"]["application/json"]
    assert body["schema"] == {"$ref": "#/components/schemas/BatchTaskInfo"}
    # 003 alone documents CancellationBehaviour; 004 alone says LastStarted is a date-time.
    props = seeds_result.spec["components"]["schemas"]["BatchTaskInfo"]["properties"]
    assert "CancellationBehaviour" in props and props["LastStarted"]["format"] == "date-time"
    assert set(body["examples"]) == {"sample", "sample2"}
    assert success_schema(op) == {"type": "integer", "format": "int32"}
    merges = [d for d in seeds_result.diagnostics if "merged" in d.message]
    assert len(merges) == 1 and merges[0].severity is Severity.NOTE and seeds_result.merged == 1


def test_samples_become_examples(seeds_result):
    op = operations(seeds_result.spec)["v1Batch_GetBatchTaskInfo"][2]
    example = op["responses"]["200"]["content"]["application/json"]["examples"]["sample"]["value"]
    assert example["Id"] == 821 and example["TableRight"] == {"Mask": "Delete", "Reason": ""}
    assert "examples" not in op["responses"]["200"]["content"]["application/xml"]
    assert op["responses"]["404"] == {"description": "Not Found."}


def test_descriptions_are_cleaned(seeds_result):
    op = operations(seeds_result.spec)["v1Batch_GetBatchTaskInfo"][2]
    assert op["summary"] == "Get a single BatchTaskInfo based on Id."
    text = seeds_result.yaml_text
    assert "<see" not in text and "cref" not in text


def test_output_is_byte_for_byte_deterministic_and_yaml_equals_json(seeds_result):
    again = build_spec([SEEDS])
    assert again.yaml_text == seeds_result.yaml_text
    assert again.render("json") == seeds_result.render("json")
    assert yaml.safe_load(seeds_result.yaml_text) == json.loads(seeds_result.render("json"))


def test_seeds_have_no_warnings(seeds_result):
    assert [d.format() for d in seeds_result.diagnostics if d.severity is not Severity.NOTE] == []
