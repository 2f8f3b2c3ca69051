"""Every real page of ../shared/corpus/superoffice generates, faithfully, into one valid document."""
from __future__ import annotations

import re

import pytest
from openapi_spec_validator import validate

from testdata import CORPUS_PAGES
from generator import Severity
from pagekit import operations, params, success_schema

_ID = re.compile(r"^id:\s*(\S+)", re.M)


def _endpoint_pages():
    pages = sorted(p for p in CORPUS_PAGES.rglob("*.md") if p.name != "index.md")
    return [(p, _ID.search(p.read_text()).group(1)) for p in pages]


def test_whole_corpus_validates_without_warnings(corpus_result):
    validate(corpus_result.spec)
    assert [d.format() for d in corpus_result.diagnostics if d.severity is not Severity.NOTE] == []


@pytest.mark.parametrize(("page", "operation_id"), _endpoint_pages() if CORPUS_PAGES.exists() else [],
                         ids=lambda v: getattr(v, "name", v))
def test_every_page_is_an_operation_with_its_method_and_path(corpus_result, page, operation_id):
    ops = operations(corpus_result.spec)
    assert operation_id in ops
    path, method, op = ops[operation_id]
    http_line = page.read_text().split("```http\n", 1)[1].split("\n", 1)[0]
    documented_method, documented_path = http_line.split()
    assert (method, path) == ({"DEL": "delete"}.get(documented_method, documented_method.lower()), documented_path)
    assert str(page.relative_to(page.parents[4])) in " ".join(op["x-docmock-sources"])
    for name in re.findall(r"\{([^}]+)\}", path):
        assert params(op)[("path", name)]["required"] is True


def test_index_pages_are_tags_not_operations(corpus_result):
    tags = {t["name"]: t for t in corpus_result.spec["tags"]}
    assert {"Batch", "Batch Agent", "Person", "BLOB Agent"} <= set(tags)
    ops = operations(corpus_result.spec)
    assert ops["v1Batch_GetAll"][2]["tags"] == ["Batch"]
    assert ops["v1BatchAgent_StartBatchJob"][2]["tags"] == ["Batch Agent"]
    assert len(ops) == 93  # 100 files: 7 index pages


def test_old_generation_pages_take_the_endpoint_from_the_http_block(corpus_result):
    path, method, op = operations(corpus_result.spec)["v1BatchAgent_DeleteBatchTask"]
    assert (path, method) == ("/api/v1/Agents/Batch/DeleteBatchTask", "post")
    assert list(op["responses"]) == ["204"] and "content" not in op["responses"]["204"]
    assert op["summary"] == "Delete a batch task from the database."


def test_del_title_is_delete_and_codes_are_sorted(corpus_result):
    ops = operations(corpus_result.spec)
    assert ops["v1PersonEntity_DeletePersonEntity"][1] == "delete"
    assert list(ops["v1PersonEntity_PutPersonEntity"][2]["responses"]) == ["200", "400", "412"]
    assert ops["v1PersonEntity_GetPersonEntity"][2]["responses"]["200"]["description"] == "PersonEntity found."


def test_prose_headings_stay_in_the_description(corpus_result):
    op = operations(corpus_result.spec)["v1SaleEntity_GetAll"][2]
    assert "## Filter Operators:" in op["description"]
    assert len([p for p in op["parameters"] if p["in"] == "query"]) == 12
    assert params(op)[("query", "$mode")]["schema"]["enum"] == ["Slim", "Wide", "Full"]
    assert params(op)[("query", "$top")]["schema"] == {"type": "integer", "format": "int32"}
    user = operations(corpus_result.spec)["v1UserAgent_GetAllFunctionalRights"][2]
    assert "Online Restricted" in user["description"]


def test_required_query_parameters(corpus_result):
    op = operations(corpus_result.spec)["v1PersonEntity_AddUdefField"][2]
    assert params(op)[("query", "udefFieldType")]["required"] is True
    assert params(op)[("query", "udefFieldType")]["schema"]["enum"][0] == "Number"
    blob = operations(corpus_result.spec)["v1BLOBAgent_DeleteBlobEntity"][2]
    assert params(blob)[("query", "BlobEntityId")] ["required"] is True
    assert "requestBody" not in blob


@pytest.mark.parametrize(("operation_id", "schema"), [
    ("v1ConfigurationAgent_GetCRMUrl", {"type": "string"}),
    ("v1SaleEntity_IsNumberValid", {"type": "boolean"}),
    ("v1BLOBAgent_SaveImageStream", {"type": "integer", "format": "int32"}),
    ("v1SaleEntity_GetNextDueDate", {"type": "string", "format": "date-time"}),
])
def test_bare_scalar_responses(corpus_result, operation_id, schema):
    assert success_schema(operations(corpus_result.spec)[operation_id][2]) == schema


def test_binary_bodies_become_binary_media(corpus_result):
    ops = operations(corpus_result.spec)
    save = ops["v1PersonEntity_SaveImage"][2]["requestBody"]["content"]
    assert list(save) == ["image/png", "image/jpeg", "image/gif", "image/tiff", "multipart/form-data"]
    assert save["image/png"]["schema"] == {"type": "string", "format": "binary"}
    stream = ops["v1BLOBAgent_GetBlobStream"][2]["responses"]["200"]["content"]
    assert "application/octet-stream" in stream and "application/json" not in stream
    assert stream["application/octet-stream"]["schema"]["format"] == "binary"


def test_nested_types_from_samples_are_named_and_reused(corpus_result):
    schemas = corpus_result.spec["components"]["schemas"]
    person = schemas["PersonEntityWithLinks"]["properties"]  # "PersonEntity entity with API _Links added."
    assert person["TableRight"] == {"$ref": "#/components/schemas/TableRight"}
    assert person["_Links"]["type"] == "object" and "_Links" not in schemas["PersonEntity"]["properties"]
    assert person["Address"]["$ref"] == "#/components/schemas/Address"
    assert person["Emails"]["items"] == {"$ref": "#/components/schemas/Email"}
    assert {"Value", "StrippedValue", "Description"} <= set(schemas["Email"]["properties"])
    # One BatchTaskInfo for the REST and agent pages alike.
    refs = [success_schema(op) for _, _, op in operations(corpus_result.spec).values()
            if op["operationId"].startswith(("v1Batch_", "v1BatchAgent_"))]
    assert sum("BatchTaskInfo" in str(r) for r in refs) >= 9


def test_agent_request_bodies_are_named_after_the_operation(corpus_result):
    op = operations(corpus_result.spec)["v1BatchAgent_StartBatchJob"][2]
    schema = op["requestBody"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/StartBatchJobRequest"}
    wrapper = corpus_result.spec["components"]["schemas"]["StartBatchJobRequest"]["properties"]
    assert wrapper["BatchTaskInfo"]["$ref"] == "#/components/schemas/BatchTaskInfo"


def test_samples_do_not_leak_between_unrelated_types(corpus_result):
    schemas = corpus_result.spec["components"]["schemas"]
    # Nested FieldProperties are dictionaries of FieldProperty everywhere, not objects with a `fieldName`.
    assert schemas["Associate" if "Associate" in schemas else "CreatedBy"]["properties"]["FieldProperties"][
        "additionalProperties"] == {"$ref": "#/components/schemas/FieldProperty"}
    assert set(schemas["FieldProperty"]["properties"]) == {"FieldRight", "FieldType", "FieldLength"}
    # OData rows are dictionaries of columns; nothing from the PATCH page's sample shows up in them.
    odata = success_schema(operations(corpus_result.spec)["v1Batch_GetAll"][2])
    rows = schemas[odata["$ref"].rsplit("/", 1)[1]]["properties"]["value"]
    assert rows["items"]["type"] == "object" and "properties" not in rows["items"]
    assert "personId" not in str(rows)


def test_enum_named_in_a_description_is_recovered(corpus_result):
    state = corpus_result.spec["components"]["schemas"]["BatchTaskInfo"]["properties"]["State"]
    assert state["description"] == "BatchTaskState of the task." and "Failed" in state["enum"]


def test_id_lists_without_samples_are_integers(corpus_result):
    body = corpus_result.spec["components"]["schemas"]["DeleteBatchTasksRequest"]["properties"]["BatchTaskIds"]
    assert body == {"type": "array", "items": {"type": "integer", "format": "int32"}}


def test_yaml_and_json_outputs_are_the_validated_document(corpus_result):
    import json

    from generator.render import load_yaml

    assert load_yaml(corpus_result.render("yaml")) == corpus_result.spec
    assert json.loads(corpus_result.render("json")) == corpus_result.spec


def test_overview_links_to_missing_pages_are_noted(corpus_result):
    notes = {(d.path.rsplit("/", 2)[-2], d.message) for d in corpus_result.diagnostics if "does not exist" in d.message}
    # Among them the pages MANIFEST.md lists as referenced but absent; pages that exist are never noted.
    assert ("Batch", "links to v1Batch_DeleteBatchTask.md, which does not exist") in notes
    assert ("Person", "links to v1PersonEntity_RemoveConsent.md, which does not exist") in notes
    assert not any("v1Batch_GetAll.md" in message for _, message in notes)


def test_patch_takes_json_patch_and_merge_patch(corpus_result):
    content = operations(corpus_result.spec)["v1PersonEntity_PatchPersonEntity"][2]["requestBody"]["content"]
    assert content["application/json-patch+json"]["schema"] == {
        "type": "array", "items": {"$ref": "#/components/schemas/Change"}}
    assert content["application/merge-patch+json"]["schema"] == {"type": "object"}
    change = corpus_result.spec["components"]["schemas"]["Change"]["properties"]
    assert set(change) == {"op", "path", "value"}
    # `| value | object | New/Replaced value - string or object. |`: any value.
    assert change["value"] == {"description": "New/Replaced value - string or object."}
