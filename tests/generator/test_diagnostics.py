"""Broken pages give `file:line: message`, every problem in one run, and the good pages still generate."""
from __future__ import annotations

from pathlib import Path

import pytest

from generator import DocsError, Severity, build_spec
from testdata import SEEDS
from pagekit import operations, success_schema, write_page

GOOD_TABLE = """| Path Part | Type | Description |
|-----------|------|-------------|
| id | int32 | The id **Required** |

## Response: object

| Response | Description |
|----------------|-------------|
| 200 | OK |
"""


def messages(result, name: str) -> list[tuple[int, str, Severity]]:
    return [(d.line, d.message, d.severity) for d in result.diagnostics if d.path.endswith(name)]


def line_of(path: Path, needle: str) -> int:
    return next(n for n, line in enumerate(path.read_text().split("\n"), 1) if needle in line)


def test_page_without_method_or_path(tmp_path):
    write_page(tmp_path, "good.md", extra=GOOD_TABLE)
    (tmp_path / "broken.md").write_text("---\ntitle: Something\nid: v1X_Broken\n---\n\n# Something\n\nWords.\n")
    result = build_spec([tmp_path])
    assert messages(result, "broken.md") == [
        (6, "page has no ```http block with 'METHOD /path' and its title names no method and path", Severity.ERROR)]
    assert list(operations(result.spec)) == ["v1Thing_Get"]


def test_title_is_the_fallback_for_a_missing_http_block(tmp_path):
    (tmp_path / "p.md").write_text("---\ntitle: GET Thing/{id}\nid: v1X_Get\n---\n\n# GET Thing/{id}\n\nWords.\n")
    result = build_spec([tmp_path])
    assert operations(result.spec)["v1X_Get"][:2] == ("/api/v1/Thing/{id}", "get")  # titles omit /api/v1
    assert "using the title" in messages(result, "p.md")[0][1]


def test_rows_that_do_not_parse_unknown_types_and_bad_codes(tmp_path):
    extra = """| Path Part | Type | Description |
|-----------|------|-------------|
|  | int32 | no name |
| id | int32 | The id **Required** |

## Response: object

| Response | Description |
|----------------|-------------|
| 200 | OK |
| two hundred | nope |

Response body: object

| Property Name | Type |  Description |
|----------------|------|--------------|
| Weird | list of (things) | ? |
"""
    page = write_page(tmp_path, "p.md", extra=extra)
    found = {(line, message.split(";")[0]) for line, message, _ in messages(build_spec([tmp_path]), "p.md")}
    assert (line_of(page, "| no name"), "path table row has an empty first cell") in found
    assert (line_of(page, "two hundred"), "response code 'two hundred' is not an HTTP status code") in found
    assert (line_of(page, "| Weird"), "property 'Weird' has type 'list of (things)', which is not a type docmock knows") in found


def test_sample_that_is_not_json_points_at_the_bad_line(tmp_path):
    extra = GOOD_TABLE + """
Response body: object

| Property Name | Type |  Description |
|----------------|------|--------------|
| Name | string | The name |

## Sample Request

```http_
HTTP/1.1 200 OK
Content-Type: application/json; charset=utf-8

{
  "Name": "x",
  oops
}
```
"""
    page = write_page(tmp_path, "p.md", extra=extra)
    result = build_spec([tmp_path])
    (line, message, severity), = messages(result, "p.md")
    assert line == line_of(page, "oops") and severity is Severity.WARNING
    assert message.startswith("response sample is not JSON")
    # The tables still give the shape.
    assert result.spec["components"]["schemas"]["GetResult"]["properties"]["Name"] == {
        "type": "string", "description": "The name"}


def test_duplicates_that_contradict_are_merged_and_reported(tmp_path):
    write_page(tmp_path, "a.md", operation_id="v1Thing_Get", extra=GOOD_TABLE)
    write_page(tmp_path, "b.md", operation_id="v1Thing_Get2", extra=GOOD_TABLE.replace("int32", "bool"))
    result = build_spec([tmp_path])
    assert list(operations(result.spec)) == ["v1Thing_Get"]
    found = messages(result, "b.md")
    assert any(s is Severity.NOTE and "also documented in" in m for _, m, s in found)
    assert any(s is Severity.WARNING and "contradicts" in m and "path parameter id: integer vs boolean" in m
               for _, m, s in found)


def test_same_operation_id_on_two_endpoints_is_renamed(tmp_path):
    write_page(tmp_path, "a.md", extra=GOOD_TABLE)
    write_page(tmp_path, "b.md", method="PUT", extra=GOOD_TABLE)
    result = build_spec([tmp_path])
    assert sorted(operations(result.spec)) == ["v1Thing_Get", "v1Thing_Get_put"]
    assert any("already used" in m for _, m, _ in messages(result, "b.md"))


def test_every_problem_in_one_run(tmp_path):
    write_page(tmp_path, "good.md", extra=GOOD_TABLE)
    for n in range(3):
        (tmp_path / f"broken{n}.md").write_text(f"---\ntitle: Broken {n}\n---\n\n# Broken {n}\n")
    result = build_spec([tmp_path])
    assert sorted(d.path.rsplit("/", 1)[-1] for d in result.diagnostics) == ["broken0.md", "broken1.md", "broken2.md"]


def test_nothing_to_generate_raises_with_all_diagnostics(tmp_path):
    (tmp_path / "broken.md").write_text("---\ntitle: Broken\n---\n\n# Broken\n")
    with pytest.raises(DocsError) as caught:
        build_spec([tmp_path])
    assert [d.line for d in caught.value.diagnostics] == [5]


def test_missing_input_is_reported(tmp_path):
    write_page(tmp_path, "good.md", extra=GOOD_TABLE)
    result = build_spec([tmp_path, tmp_path / "nope"])
    assert [d.message for d in result.diagnostics] == ["no such file or folder"]


def test_undocumented_path_part_is_typed_string_and_reported(tmp_path):
    write_page(tmp_path, "p.md", path="Thing/{id}/Sub/{other}", extra=GOOD_TABLE)
    result = build_spec([tmp_path])
    op = operations(result.spec)["v1Thing_Get"][2]
    other = next(p for p in op["parameters"] if p["name"] == "other")
    assert other["schema"] == {"type": "string"} and other["required"] is True
    assert any("{other}" in m for _, m, _ in messages(result, "p.md"))


def test_samples_must_be_strict_json(tmp_path):
    extra = GOOD_TABLE + """
Response body: object

| Property Name | Type |  Description |
|----------------|------|--------------|
| Ratio | double | r |

## Sample Request

```http_
HTTP/1.1 200 OK

{"Ratio": NaN, "Name": "\\ud800"}
```
"""
    write_page(tmp_path, "p.md", extra=extra)
    result = build_spec([tmp_path])
    assert any("NaN is not a JSON value" in m for _, m, _ in messages(result, "p.md"))
    assert "examples" not in str(result.spec["paths"])
    result.render("json").encode("utf-8")


def test_request_body_without_table_takes_its_shape_from_the_sample(tmp_path):
    extra = """## Request Headers

| Parameter Name | Description |
|----------------|-------------|
| Content-Type | Content-type of the request body: `application/json` |

## Request Body: ids

| Response | Description |
|---|---|
| 204 | No Content |

## Sample Request

```http!
POST /api/v1/Thing

[1, 2, 3]
```
"""
    write_page(tmp_path, "p.md", method="POST", path="Thing", extra=extra)
    body = operations(build_spec([tmp_path]).spec)["v1Thing_Get"][2]["requestBody"]["content"]
    assert body == {"application/json": {"schema": {"type": "array", "items": {"type": "integer", "format": "int32"}},
                                         "examples": {"sample": {"summary": "Sample from p.md", "value": [1, 2, 3]}}}}


def test_response_body_prose_is_not_a_section(tmp_path):
    extra = """## Response: int32

| Response | Description |
|---|---|
| 200 | OK |

Response body is always compressed.

Response body: int32
"""
    write_page(tmp_path, "p.md", extra=extra)
    op = operations(build_spec([tmp_path]).spec)["v1Thing_Get"][2]
    assert op["responses"]["200"]["content"]["application/json"]["schema"] == {"type": "integer", "format": "int32"}


def test_request_body_heading_without_colon_and_stray_property_tables(tmp_path):
    extra = """| Property Name | Type |  Description |
|----------------|------|--------------|
| Stray | string | in the description |

## Request Body

| Property Name | Type |  Description |
|----------------|------|--------------|
| Name | string | The name |

## Response

| Response | Description |
|---|---|
| 204 | No Content |
"""
    page = write_page(tmp_path, "p.md", method="POST", path="Thing", extra=extra)
    result = build_spec([tmp_path])
    op = operations(result.spec)["v1Thing_Get"][2]
    schema = op["requestBody"]["content"]["application/json"]["schema"]
    name = schema["$ref"].rsplit("/", 1)[1]
    assert list(result.spec["components"]["schemas"][name]["properties"]) == ["Name"]
    assert (line_of(page, "| Property Name"), "property table outside a 'Request Body' or 'Response' section "
            "(in the description section); ignored") in [(l, m) for l, m, _ in messages(result, "p.md")]


def test_output_does_not_depend_on_the_current_folder(monkeypatch, tmp_path):
    here = build_spec([SEEDS]).render("yaml")
    monkeypatch.chdir(tmp_path)
    assert build_spec([SEEDS]).render("yaml") == here


@pytest.mark.parametrize("depth", [65, 500, 5000])
def test_a_sample_nested_too_deep_is_a_warning_and_the_page_still_generates(tmp_path, depth):
    extra = GOOD_TABLE + f"""
Response body: object

| Property Name | Type |  Description |
|----------------|------|--------------|
| Name | string | n |

## Sample Request

```http_
HTTP/1.1 200 OK

{{"Name": "x", "Deep": {"[" * depth + "]" * depth}}}
```
"""
    page = write_page(tmp_path, "p.md", extra=extra)
    write_page(tmp_path, "other.md", operation_id="v1Thing_Other", path="Other/{{id}}", extra=GOOD_TABLE)
    result = build_spec([tmp_path])
    assert messages(result, "p.md") == [(line_of(page, '"Deep"'), "response sample is nested more than 64 levels "
                                         "deep; shape taken from the tables only", Severity.WARNING)]
    assert sorted(operations(result.spec)) == ["v1Thing_Get", "v1Thing_Other"]
    result.render("yaml")


def test_a_page_that_fails_in_a_way_nobody_foresaw_is_an_error_and_the_others_generate(tmp_path, monkeypatch):
    import generator.reading

    real = generator.reading.extract_endpoint

    def fails_on_one_page(page, sink):
        if page.path.endswith("bad.md"):
            raise RecursionError("maximum recursion depth exceeded")
        return real(page, sink)

    monkeypatch.setattr(generator.reading, "extract_endpoint", fails_on_one_page)
    write_page(tmp_path, "bad.md", operation_id="v1Thing_Bad", path="Bad/{{id}}", extra=GOOD_TABLE)
    write_page(tmp_path, "good.md", extra=GOOD_TABLE)
    result = build_spec([tmp_path], workers=1)
    assert messages(result, "bad.md") == [(1, "could not read this page (RecursionError: maximum recursion depth "
                                              "exceeded); page skipped", Severity.ERROR)]
    assert list(operations(result.spec)) == ["v1Thing_Get"]


def test_a_path_naming_a_part_twice_is_renamed_valid_and_servable(tmp_path):
    from openapi_spec_validator import validate
    from starlette.testclient import TestClient

    from mockserver import create_app

    page = write_page(tmp_path, "p.md", path="Thing/{{id}}/{{id}}", extra=GOOD_TABLE)
    result = build_spec([tmp_path])
    assert messages(result, "p.md") == [(line_of(page, "GET /api/v1/Thing"), "the path /api/v1/Thing/{id}/{id} names id "
                                         "more than once; served as /api/v1/Thing/{id}/{id_2} (a path part is named "
                                         "once)", Severity.WARNING)]
    path, _, op = operations(result.spec)["v1Thing_Get"]
    assert path == "/api/v1/Thing/{id}/{id_2}"
    assert [(p["name"], p["schema"]) for p in op["parameters"] if p["in"] == "path"] == [
        ("id", {"type": "integer", "format": "int32"}), ("id_2", {"type": "integer", "format": "int32"})]
    validate(result.spec)  # what the generator writes, openapi-spec-validator accepts
    assert TestClient(create_app(result.spec)).get("/api/v1/Thing/1/2").status_code == 200


def test_front_matter_that_is_not_text_and_a_property_listed_twice_are_said(tmp_path):
    extra = GOOD_TABLE + """
Response body: object

| Property Name | Type |  Description |
|----------------|------|--------------|
| Name | string | The name. |
| Rank | int32 | The rank. |
| Name | int32 | A second row for Name. |
"""
    page = write_page(tmp_path, "p.md", extra=extra)
    page.write_text(page.read_text().replace("id: v1Thing_Get", "id: [1, 2]"))
    result = build_spec([tmp_path])
    found = messages(result, "p.md")
    assert (3, "front matter 'id' is a list, not text; ignored", Severity.WARNING) in found
    assert (line_of(page, "A second row"), f"property 'Name' is listed twice in this table (first at line "
            f"{line_of(page, 'The name.')}); the first row is kept", Severity.WARNING) in found
    [(_, _, op)] = operations(result.spec).values()
    assert op["operationId"] != "[1, 2]"
    schema = success_schema(op)
    if "$ref" in schema:
        schema = result.spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    assert schema["properties"]["Name"]["type"] == "string"


def test_nul_bytes_linked_and_unreadable_folders_are_said(tmp_path, monkeypatch):
    import os

    docs = tmp_path / "docs"
    (docs / "locked").mkdir(parents=True)
    page = write_page(docs, "p.md", extra=GOOD_TABLE)
    page.write_text(page.read_text().replace("Gets a thing.", "Gets a\x00 thing."))
    write_page(docs / "locked", "hidden.md", operation_id="v1Thing_Hidden", path="Hidden/{{id}}", extra=GOOD_TABLE)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    write_page(elsewhere, "linked.md", operation_id="v1Thing_Linked", path="Linked/{{id}}", extra=GOOD_TABLE)
    (docs / "link").symlink_to(elsewhere, target_is_directory=True)
    real_scandir = os.scandir

    def scandir(path="."):  # as a folder this user may not list (root may list any, so it is simulated)
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    result = build_spec([docs])
    assert messages(result, "p.md") == [(line_of(page, "Gets a"), "the page holds 1 NUL byte(s), read as U+FFFD",
                                         Severity.WARNING)]
    assert messages(result, "locked") == [(0, "cannot read this folder (Permission denied); its pages are skipped",
                                           Severity.WARNING)]
    assert messages(result, "link") == [(0, "a link to a folder is not followed; give its target as an input to "
                                            "read its pages", Severity.WARNING)]
    assert list(operations(result.spec)) == ["v1Thing_Get"]


def test_a_parameter_row_without_a_type_is_taken_as_string_and_said(tmp_path):
    extra = """| Path Part | Type | Description |
|-----------|------|-------------|
| id |  | The id **Required** |

## Query String Parameters

| Parameter Name | Type | Description |
|----------------|------|-------------|
| q |  | The query |

## Response: object

| Response | Description |
|---|---|
| 200 | OK |

Response body: object

| Property Name | Type |  Description |
|----------------|------|--------------|
| Owner |  | The owner |
"""
    page = write_page(tmp_path, "p.md", extra=extra)
    result = build_spec([tmp_path])
    # An empty Type cell in a property table is a nested carrier (the corpus's convention), not a guess: not said.
    assert sorted(messages(result, "p.md")) == [
        (line_of(page, "| id |"), "parameter 'id' has no type in its table; taken as string", Severity.WARNING),
        (line_of(page, "| q |"), "parameter 'q' has no type in its table; taken as string", Severity.WARNING)]
    op = operations(result.spec)["v1Thing_Get"][2]
    assert [p["schema"] for p in op["parameters"]] == [{"type": "string"}, {"type": "string"}]
    owner = result.spec["components"]["schemas"]["GetResult"]["properties"]["Owner"]
    assert owner["$ref"] == "#/components/schemas/Owner"


def test_a_table_without_its_separator_row_is_said_and_read_as_text(tmp_path):
    extra = GOOD_TABLE + """
## Query String Parameters

| Parameter Name | Type | Description |
| $select | string | Fields to return |

Response body: object
| Property Name | Type |  Description |
| Name | string | The name |
| Rank | int32 | The rank |
"""
    page = write_page(tmp_path, "p.md", extra=extra)
    result = build_spec([tmp_path])
    assert sorted(messages(result, "p.md")) == [
        (line_of(page, "| Parameter Name"), "this looks like a query-string table but has no separator row (|---|---|) "
                                            "under its header; it was read as text", Severity.WARNING),
        (line_of(page, "| Property Name"), "this looks like a property table but has no separator row (|---|---|) "
                                           "under its header; it was read as text", Severity.WARNING)]
    op = operations(result.spec)["v1Thing_Get"][2]  # the page still generates, without what the text held
    assert [p["name"] for p in op["parameters"]] == ["id"]
    assert success_schema(op) == {"type": "object", "additionalProperties": {}}


def test_pipes_that_are_not_a_known_table_without_its_separator_are_not_said(tmp_path):
    extra = GOOD_TABLE + """
| Name | Value |
| a | b |

A line | with pipes | in prose |
| and one | that starts with one |

| Property Name | Type | Description |
|---|---|
| Name | string | a separator the table rule refused (two columns under three) |
"""
    write_page(tmp_path, "p.md", extra=extra)
    assert messages(build_spec([tmp_path]), "p.md") == []


def test_the_corpus_has_no_untyped_parameter_and_no_table_without_its_separator(corpus_result, seeds_result):
    """The real pages leave the Type cell empty only in property tables, for nested carriers (TableRight,
    CreatedBy ...) whose shape the sample shows; none is said. No page has a table without its separator row."""
    from generator.elements import Table
    from generator.errors import DiagnosticSink
    from generator.reading import parse_page
    from testdata import CORPUS, SEEDS

    untyped: dict[str, int] = {}
    for path in sorted([*CORPUS.rglob("*.md"), *SEEDS.glob("*.txt")]):
        page = parse_page(path.name, path.read_text(encoding="utf-8"), DiagnosticSink(path.name))
        for table in (e for e in page.elements if isinstance(e, Table)) if page else ():
            if table.header[1:2] == ("Type",):
                empty = sum(1 for row in table.rows if not row.cells[1].strip())
                untyped[table.header[0]] = untyped.get(table.header[0], 0) + empty
    assert untyped["Property Name"] == 158
    assert {kind: n for kind, n in untyped.items() if n and kind != "Property Name"} == {}
    said = [d.format() for result in (corpus_result, seeds_result) for d in result.diagnostics
            if "has no type in its table" in d.message or "has no separator row" in d.message]
    assert said == []


_PAGES: list[tuple[str, bytes]] = []


def _corpus_pages() -> list[tuple[str, bytes]]:
    from testdata import CORPUS

    if not _PAGES:
        _PAGES.extend((p.name, p.read_bytes()) for p in sorted(CORPUS.rglob("*.md")) if p.name != "MANIFEST.md")
    return _PAGES


def test_mutated_corpus_pages_end_as_an_operation_or_as_diagnostics_never_as_a_failure():
    """Real pages cut, spliced and sprinkled with bytes (bench/mutated_pages.py runs 10,000): each is read without
    the guard that turns an unforeseen failure into an error ever being needed."""
    from hypothesis import HealthCheck, given, settings, strategies as st

    from generator.reading import read_page_bytes

    pages = _corpus_pages()
    if not pages:
        pytest.skip("../shared/corpus is not beside the repository")

    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.sampled_from(pages), st.integers(0, 10**6), st.integers(0, 10**6),
           st.binary(max_size=12) | st.sampled_from([b"\x00", b"\xff", b"|", b"```", b"\n\n", b"[a](", b"<see cref=\"x\">"]))
    def read(page, cut, at, inserted):
        name, data = page
        data = data[: len(data) - cut % max(1, len(data) // 2)]  # truncated, by up to half
        at %= len(data) + 1
        mutated = data[:at] + inserted + data[at:]
        result = read_page_bytes(name, mutated)
        assert not any("could not read this page" in d.message for d in result.diagnostics), result.diagnostics
        assert result.draft is not None or result.diagnostics or result.index is not None

    read()
