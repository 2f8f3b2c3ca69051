"""docmock.verify's pure parts: selecting operations, linking creates to their readers, and the two reports."""
from __future__ import annotations

import copy
import xml.etree.ElementTree as ET

import pytest
import yaml

from docmock.verify import (EXIT_FAILED, EXIT_PASSED, Finding, OperationReport, StatefulReport, VerifyError,
                            VerifyResult, add_entity_links, junit_xml, matches, select_operations, summary_lines)
from verify_support import THINGS


@pytest.mark.parametrize("pattern, expected", [
    ("v1Batch_*", True), ("v1Batch_GetBatchTaskInfo", True), ("v1BatchAgent_*", False),
    ("GET /api/v1/BatchTask/{id}", True), ("get /api/v1/BatchTask/*", True), ("POST /api/v1/BatchTask/*", False),
    ("GET /api/v1/*", True), ("GET /api/v1", False),
])
def test_a_pattern_names_operation_ids_or_a_method_and_paths(pattern, expected):
    assert matches(pattern, "get", "/api/v1/BatchTask/{id}", "v1Batch_GetBatchTaskInfo") is expected


def test_selecting_keeps_path_level_parameters_and_leaves_the_input_alone():
    spec = yaml.safe_load(THINGS.read_text(encoding="utf-8"))
    spec["paths"]["/things/{id}"]["parameters"] = [{"name": "X-Trace", "in": "header", "schema": {"type": "string"}}]
    before = copy.deepcopy(spec)
    selected = select_operations(spec, ["GET /things/*"])
    assert list(selected["paths"]) == ["/things/{id}"]
    assert selected["paths"]["/things/{id}"]["parameters"][0]["name"] == "X-Trace"
    assert spec == before


def test_every_pattern_must_match_something():
    spec = yaml.safe_load(THINGS.read_text(encoding="utf-8"))
    with pytest.raises(VerifyError, match="no operation matches --operations 'nope', 'GET /nothing'"):
        select_operations(spec, ["getThing", "nope", "GET /nothing"])


def _links(spec, operation_id, status="200"):
    for item in spec["paths"].values():
        for operation in item.values():
            if isinstance(operation, dict) and operation.get("operationId") == operation_id:
                return operation["responses"][status].get("links", {})
    raise KeyError(operation_id)


def test_the_seeds_create_links_to_the_read_with_the_id_it_answers(seeds_result):
    spec = copy.deepcopy(seeds_result.spec)
    assert add_entity_links(spec) == 1
    assert list(_links(spec, "v1Batch_StartBatchJob").values()) == [
        {"operationId": "v1Batch_GetBatchTaskInfo", "parameters": {"path.id": "$response.body"}}]


def test_corpus_creates_link_to_every_operation_that_takes_the_new_id(corpus_result):
    spec = copy.deepcopy(corpus_result.spec)
    add_entity_links(spec)
    # POST /Person answers the record: the id is its PersonId.
    person = {link["operationId"]: link for link in _links(spec, "v1PersonEntity_PostPersonEntity").values()}
    assert set(person) == {"v1PersonEntity_GetPersonEntity", "v1PersonEntity_PutPersonEntity",
                           "v1PersonEntity_PatchPersonEntity", "v1PersonEntity_DeletePersonEntity"}
    assert {link["parameters"]["path.id"] for link in person.values()} == {"$response.body#/PersonId"}
    # The agent's StartBatchJob answers the id; the agent's reads and deletes take it in a body field.
    agent = {link["operationId"]: link for link in _links(spec, "v1BatchAgent_StartBatchJob").values()}
    assert agent["v1BatchAgent_GetBatchTaskInfo"]["requestBody"] == {"Id": "$response.body"}
    assert agent["v1BatchAgent_DeleteBatchTask"]["requestBody"] == {"BatchTaskId": "$response.body"}
    assert agent["v1Batch_GetBatchTaskInfo"]["parameters"] == {"path.id": "$response.body"}


def test_links_the_spec_names_are_kept(seeds_result):
    spec = copy.deepcopy(seeds_result.spec)
    own = {"operationId": "v1Batch_GetBatchTaskInfosByState", "parameters": {"path.state": "'New'"}}
    spec["paths"]["/api/v1/BatchTask"]["post"]["responses"]["200"]["links"] = {"mine": own}
    add_entity_links(spec)
    links = _links(spec, "v1Batch_StartBatchJob")
    assert links["mine"] == own and len(links) == 2


FAILING = OperationReport(
    "POST", "/api/v1/BatchTask", "v1Batch_StartBatchJob", requests=12, seconds=0.5, findings=(
        Finding("status_code_conformance", "Undocumented status code", "Received: 201\nDocumented: 200",
                ("curl -X POST -H 'Authorization: Basic eDp5' -d '{}' http://h/api/v1/BatchTask",),
                stateful=False, occurrences=12, details="Received: 201\nDocumented: 200"),
        Finding("ensure_resource_availability", "Resource is not available after creation", "404 <&> \"quoted\"",
                ("curl -X POST http://h/api/v1/BatchTask", "curl -X GET http://h/api/v1/BatchTask/1000001"),
                stateful=True)))
RESULT = VerifyResult(
    "http://h", 42, (FAILING,
                     OperationReport("GET", "/api/v1/BatchTask/{id}", "v1Batch_GetBatchTaskInfo", requests=30),
                     OperationReport("GET", "/odd", None, requests=0, error="cannot be tested: bad schema"),
                     OperationReport("GET", "/late", "late", requests=0, not_run="the time budget was spent first")),
    StatefulReport(links=1, added_links=1, sequences=3, requests=9), seconds=1.25, budget_spent=True)


def test_the_summary_groups_failures_by_operation_with_the_check_the_message_and_the_curls():
    text = "\n".join(summary_lines(RESULT))
    assert "FAIL v1Batch_StartBatchJob  POST /api/v1/BatchTask  (2 problems, 12 requests)" in text
    assert "  1. status_code_conformance: Undocumented status code, 12 times\n     Received: 201" in text
    assert "reproduce:\n       curl -X POST -H 'Authorization: Basic eDp5'" in text
    assert ("2. ensure_resource_availability: Resource is not available after creation, in a sequence" in text
            and "reproduce (2 requests in order):" in text)
    assert "FAIL GET /odd" in text and "error: cannot be tested: bad schema" in text
    assert "v1Batch_GetBatchTaskInfo" not in text  # passing operations are counted, not listed
    assert "not run (the time budget was spent first): late" in text
    assert "2 of 4 operations tested with 42 requests (9 of them in 3 sequences over 1 link" in text
    assert "3 failures in 2 operations" in text and "--seed 42" in text
    assert RESULT.exit_code == EXIT_FAILED


def test_the_junit_report_has_one_testcase_per_operation_and_escapes_what_it_quotes():
    suite = ET.fromstring(junit_xml(RESULT))
    counts = [suite.get(name) for name in ("tests", "failures", "errors", "skipped")]
    assert counts == ["4", "1", "1", "1"]
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    failure = cases["v1Batch_StartBatchJob (POST /api/v1/BatchTask)"].find("failure")
    assert failure.get("type") == "ensure_resource_availability, status_code_conformance"
    assert "2 failures: status_code_conformance: Undocumented status code;" in failure.get("message")
    assert "404 <&> \"quoted\"" in failure.text and "curl -X GET http://h/api/v1/BatchTask/1000001" in failure.text
    assert cases["GET /odd"].find("error").get("message") == "cannot be tested: bad schema"
    assert cases["late (GET /late)"].find("skipped") is not None
    assert cases["v1Batch_GetBatchTaskInfo (GET /api/v1/BatchTask/{id})"].find("failure") is None


def test_a_run_without_failures_exits_0():
    passed = VerifyResult("http://h", 1, (OperationReport("GET", "/", "root", requests=3),), None, seconds=0.1)
    assert passed.passed and passed.exit_code == EXIT_PASSED
    assert "sequences off" in summary_lines(passed)[-2] and "all checks passed" in summary_lines(passed)[-2]
