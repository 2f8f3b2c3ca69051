"""`docmock diff` on real edits of real reference pages (the corpus' Batch pages), through the command line: the
classes, the rule ids, the locations and the exit codes a CI job would see."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from diff_support import edit, json_changes, remove_property, rename_word, run, run_json

from testdata import SEEDS

B, NB = "breaking", "non-breaking"
BY_ID, BY_STATE, ALL = "GET /api/v1/BatchTask/{id}", "GET /api/v1/BatchTask/{state}", "GET /api/v1/BatchTask"
START, UPDATE = "POST /api/v1/BatchTask", "PUT /api/v1/BatchTask/{Id}"


def exit_codes(old: Path, new: Path) -> dict[str, int]:
    """The exit code under each --fail-on (none: the default)."""
    return {fail_on: run(old, new, "-q", "--fail-on", fail_on).exit_code for fail_on in ("none", "breaking", "any")}


def test_removing_a_property_breaks_its_readers_not_its_writers(batch_pages: tuple[Path, Path]) -> None:
    old, new = batch_pages
    # The carrier BatchTaskInfo is documented on four pages, each with a table row and a sample key.
    assert remove_property(new, "Description") >= 4
    code, report = run_json(old, new)
    assert code == 0
    assert json_changes(report) == {
        (START, "request-property-removed", NB, "request body .Description"),
        (UPDATE, "request-property-removed", NB, "request body .Description"),
        (UPDATE, "response-optional-property-removed", B, "response 200 body .Description"),
        (BY_ID, "response-optional-property-removed", B, "response 200 body .Description"),
        (BY_STATE, "response-optional-property-removed", B, "response 200 body [].Description"),
    }
    assert report["summary"] == {"operations": {"added": 0, "removed": 0, "changed": 4}, "changes": 5,
                                 "breaking": 3, "non-breaking": 2}
    assert exit_codes(old, new) == {"none": 0, "breaking": 1, "any": 1}


def test_a_new_enum_value_is_fine_to_send_and_breaks_strict_readers(batch_pages: tuple[Path, Path]) -> None:
    old, new = batch_pages
    # The path part's enum is the BatchTaskState type, which the carrier's State property also has.
    edit(new / "v1Batch_GetBatchTaskInfosByState.md", "Failed, All |", "Failed, All, Paused |")
    code, report = run_json(old, new, "--fail-on", "breaking")
    assert code == 1
    assert json_changes(report) == {
        (BY_STATE, "request-parameter-enum-value-added", NB, "path parameter state"),
        (BY_STATE, "response-property-enum-value-added", B, "response 200 body [].State"),
        (BY_ID, "response-property-enum-value-added", B, "response 200 body .State"),
        (START, "request-property-enum-value-added", NB, "request body .State"),
        (UPDATE, "request-property-enum-value-added", NB, "request body .State"),
        (UPDATE, "response-property-enum-value-added", B, "response 200 body .State"),
    }
    messages = {c["message"] for op in report["operations"] for c in op["changes"]}
    assert messages == {'enum value "Paused" added'}


def test_a_new_value_of_a_query_parameter_enum_breaks_nothing(batch_pages: tuple[Path, Path]) -> None:
    old, new = batch_pages
    edit(new / "v1Batch_GetAll.md", "| $mode | Enum: Slim, Wide, Full |", "| $mode | Enum: Slim, Wide, Full, Huge |")
    code, report = run_json(old, new)
    assert json_changes(report) == {(ALL, "request-parameter-enum-value-added", NB, "query parameter $mode")}
    assert exit_codes(old, new) == {"none": 0, "breaking": 0, "any": 1}


def test_making_a_query_parameter_required_breaks_callers(batch_pages: tuple[Path, Path]) -> None:
    old, new = batch_pages
    edit(new / "v1Batch_GetAll.md", "|  Number of rows to return in results |",
         "|  Number of rows to return in results **Required** |")
    code, report = run_json(old, new)
    assert json_changes(report) == {(ALL, "request-parameter-became-required", B, "query parameter $top")}
    assert exit_codes(old, new) == {"none": 0, "breaking": 1, "any": 1}


def test_a_new_operation_page_is_an_addition(batch_pages: tuple[Path, Path]) -> None:
    old, new = batch_pages
    page = new / "v1Batch_PauseBatchJob.md"
    shutil.copy(new / "v1Batch_StopBatchJob.md", page)
    edit(page, "v1Batch_StopBatchJob", "v1Batch_PauseBatchJob")
    edit(page, "/{id}/Stop", "/{id}/Pause", count=page.read_text(encoding="utf-8").count("/{id}/Stop"))
    code, report = run_json(old, new)
    assert json_changes(report) == {("POST /api/v1/BatchTask/{id}/Pause", "endpoint-added", NB, "operation")}
    assert report["operations"][0]["state"] == "added"
    assert report["operations"][0]["operationId"] == "v1Batch_PauseBatchJob"
    assert exit_codes(old, new) == {"none": 0, "breaking": 0, "any": 1}
    # ... and the other way round, a removed page removes its operation (the only one on its path).
    code, report = run_json(new, old, "--fail-on", "breaking")
    assert code == 1
    assert json_changes(report) == {
        ("POST /api/v1/BatchTask/{id}/Pause", "api-path-removed-without-deprecation", B, "operation")}


def test_renaming_a_carrier_of_the_same_shape_is_no_change(batch_pages: tuple[Path, Path]) -> None:
    old, new = batch_pages
    rename_word(new, "BatchTaskInfo", "BatchTaskDetails")
    from generator import build_spec  # the rename is real: the generated schema has the new name

    assert "BatchTaskDetails" in build_spec([new]).spec["components"]["schemas"]
    assert "BatchTaskInfo" not in build_spec([new]).spec["components"]["schemas"]
    code, report = run_json(old, new, "--fail-on", "any")
    assert (code, report["operations"]) == (0, [])


def test_the_seed_pages_against_themselves_are_no_change() -> None:
    result = run(SEEDS, SEEDS, "--fail-on", "any")
    assert result.exit_code == 0, result.output
    assert "No changes to the API contract." in result.stdout
    # What generating the seeds says goes to stderr, as `docmock generate` prints it, not into the report.
    assert "merged into v1Batch_StartBatchJob" in result.stderr
    assert "merged into" not in run(SEEDS, SEEDS, "--quiet").stderr


def test_unreadable_inputs_exit_2_with_one_line(tmp_path: Path) -> None:
    result = run(tmp_path / "nowhere", SEEDS)
    assert result.exit_code == 2
    assert result.stderr.strip() == f"error: {tmp_path / 'nowhere'}: no such file or folder"
    (tmp_path / "empty").mkdir()
    result = run(tmp_path / "empty", SEEDS)
    assert result.exit_code == 2
    assert "no operation could be generated" in result.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text("openapi: [", encoding="utf-8")
    result = run(bad, SEEDS)
    assert result.exit_code == 2 and result.stderr.startswith("error: ") and "bad.yaml" in result.stderr
    result = run(SEEDS, SEEDS, "--fail-on", "sometimes")
    assert result.exit_code == 2  # click's usage error


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_people_see_the_operation_the_rule_and_the_reason(batch_pages: tuple[Path, Path], fmt: str) -> None:
    old, new = batch_pages
    edit(new / "v1Batch_GetAll.md", "|  Number of rows to return in results |",
         "|  Number of rows to return in results **Required** |")
    out = run(old, new, "-q", "--format", fmt).stdout
    assert "GET /api/v1/BatchTask" in out and "v1Batch_GetAll" in out
    assert "request-parameter-became-required" in out and "query parameter $top" in out
    assert "requests that leave it out are now rejected" in out
    assert "1 breaking" in out
