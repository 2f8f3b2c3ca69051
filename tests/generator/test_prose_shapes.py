"""Shapes stated only in prose: each rule on its own words, on synthetic pages laid out as the real ones are,
the notes that say which rule fired (and the count `docmock generate` prints), and that the corpus, whose
tables and samples show every shape, fires none of them."""
from __future__ import annotations

import subprocess
import sys

import pytest
from pagekit import operations, write_page
from testdata import CORPUS

from generator import build_spec
from generator.model import Schema
from generator.prose_shapes import rule_counts, shape_from_prose

INT32_IDS = Schema(type="array", items=Schema(type="integer", format="int32"))


@pytest.mark.parametrize(("container", "text", "rule", "carrier"), [
    ("array", "The primary keys.", "ids", ""),
    ("array", "Collection of ids", "ids", ""),
    ("array", "List of contact ids to update", "ids", ""),
    ("array", "The identities of the selected rows", "ids", ""),
    ("array", "An array with ContactSummary objects.", "array-of", "ContactSummary"),
    ("array", "A collection of SaleEntity", "array-of", "SaleEntity"),
    ("array", "Array of SuperOffice.CRM.Services.TableRight items", "array-of", "TableRight"),
    ("object", "A StringDictionary with the values to set", "string-dictionary", ""),
    ("object", "Parameters passed as variables", "string-dictionary", ""),
])
def test_each_rule_reads_its_words(container: str, text: str, rule: str, carrier: str) -> None:
    shape = shape_from_prose(container, text)
    assert shape is not None and shape.rule == rule and shape.carrier == carrier


@pytest.mark.parametrize(("container", "text"), [
    ("array", "A collection of the person's emails"),   # no type named
    ("array", "Returns a collection of phone numbers that belong to the contact person."),
    ("array", "The urls related to this person."),
    ("array", ""),
    ("object", "Dictionary of user defined field data."),  # values of any kind
    ("object", "The primary keys."),                      # ids are an array, not an object
    ("array", "A StringDictionary with the values"),        # a dictionary is not an array
])
def test_words_that_state_no_shape_fire_no_rule(container: str, text: str) -> None:
    assert shape_from_prose(container, text) is None


SET_PAGE = """
## Request Body: request

Keys, Summaries, Variables, Layout

| Property Name | Type |  Description |
|----------------|------|--------------|
| Keys | array | The primary keys. |
| Summaries | array | An array with ContactSummary objects. |
| Variables | object | Parameters passed as variables |
| Layout |  | The layout to save |

## Response: bool

| Response | Description |
|----------------|-------------|
| 200 | OK |
"""

GET_PAGE = """
## Response: object

Carrier object for Layout.

| Response | Description |
|----------------|-------------|
| 200 | OK |

Response body: object

| Property Name | Type |  Description |
|----------------|------|--------------|
| LayoutId | int32 | The id |
| Columns | int32 | How many columns |
| Name | string | The name |
"""

def _holder_page(carrier: str, sample: str) -> str:
    """A page whose answer holds a `carrier` its table leaves untyped, shown only by the sample."""
    return f"""
## Response: object

| Response | Description |
|----------------|-------------|
| 200 | OK |

Response body: object

| Property Name | Type |  Description |
|----------------|------|--------------|
| Count | int32 | How many |
| {carrier} |  | The nested carrier |

## Sample response

```http_
HTTP/1.1 200 OK
Content-Type: application/json; charset=utf-8

{sample}
```
"""


@pytest.fixture()
def pages(tmp_path):
    write_page(tmp_path, "v1ContactAgent_SetLayout.md", method="POST", path="Agents/Contact/SetLayout",
               operation_id="v1ContactAgent_SetLayout", description="Saves a layout.", extra=SET_PAGE)
    write_page(tmp_path, "v1ContactAgent_GetLayout.md", method="POST", path="Agents/Contact/GetLayout",
               operation_id="v1ContactAgent_GetLayout", description="Gets a layout.", extra=GET_PAGE)
    write_page(tmp_path, "v1ContactAgent_GetSummary.md", method="POST", path="Agents/Contact/GetSummary",
               operation_id="v1ContactAgent_GetSummary", description="Gets a summary.", extra=_holder_page(
                   "Layout", '{"Count": 3, "Layout": {"LayoutId": 1, "Columns": 2, "Name": "x", "SummaryOnly": "leak"} }'))
    return tmp_path


def test_shapes_from_prose_on_a_page(pages) -> None:
    result = build_spec([pages])
    schemas = result.spec["components"]["schemas"]
    body = schemas["SetLayoutRequest"]["properties"]
    assert {k: v for k, v in body["Keys"].items() if k != "description"} == {
        "type": "array", "items": {"type": "integer", "format": "int32"}}
    assert body["Summaries"]["items"] == {"$ref": "#/components/schemas/ContactSummary"}
    assert body["Variables"]["additionalProperties"] == {"type": "string"}
    notes = [d.format() for d in result.diagnostics if "prose rule" in d.message]
    assert notes == [
        f"{pages / 'v1ContactAgent_SetLayout.md'}:21: note: property 'Keys': an array of int32 ids, from its "
        'description "The primary keys." (prose rule: ids)',
        f"{pages / 'v1ContactAgent_SetLayout.md'}:22: note: property 'Summaries': an array of ContactSummary, from "
        'its description "An array with ContactSummary objects." (prose rule: array-of)',
        f"{pages / 'v1ContactAgent_SetLayout.md'}:23: note: property 'Variables': an object with string values, "
        'from its description "Parameters passed as variables" (prose rule: string-dictionary)']
    assert rule_counts(result.diagnostics) == {"ids": 1, "array-of": 1, "string-dictionary": 1}


def test_an_empty_type_cell_is_the_carrier_a_sibling_page_documents_in_full(pages) -> None:
    schemas = build_spec([pages]).spec["components"]["schemas"]
    assert schemas["SetLayoutRequest"]["properties"]["Layout"]["$ref"] == "#/components/schemas/Layout"
    assert set(schemas["Layout"]["properties"]) == {"LayoutId", "Columns", "Name"}


def test_a_sample_does_not_leak_fields_into_a_carrier_a_table_documents(pages) -> None:
    schemas = build_spec([pages]).spec["components"]["schemas"]
    assert "SummaryOnly" not in schemas["Layout"]["properties"]
    summary = operations(build_spec([pages]).spec)["v1ContactAgent_GetSummary"][2]
    assert summary["responses"]["200"]["content"]["application/json"]["examples"]  # the sample is still shown


def test_generate_counts_the_rules_that_fired(pages, tmp_path) -> None:
    out = tmp_path / "spec.yaml"
    done = subprocess.run([sys.executable, "-m", "docmock", "generate", str(pages), "-o", str(out), "--no-cache"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "; shapes from prose: array-of 1, ids 1, string-dictionary 1; wrote" in done.stderr


def test_the_corpus_states_every_shape_in_tables_and_samples(corpus_result) -> None:
    # Its `array` properties without a sample are `...Ids`, typed by their name before any prose is read.
    assert rule_counts(corpus_result.diagnostics) == {}
    assert CORPUS.exists()


def test_samples_that_disagree_on_a_guessed_carrier_leave_the_value_open(tmp_path) -> None:
    """Two pages' samples of a carrier no table documents: one shows `Position` as an object, the other as a
    string. Neither is known to be right, so the mock must accept both: the property takes any value."""
    # Braces apart: write_page reads `}}` as an escaped `}`.
    for name, sample in (("A", '{"Count": 1, "Person": {"PersonId": 1, "Name": "x", "Position": {"Id": 3} } }'),
                         ("B", '{"Count": 2, "Person": {"PersonId": 2, "Name": "y", "Position": "Engineer"} }')):
        write_page(tmp_path, f"v1Thing_Get{name}.md", method="POST", path=f"Agents/Thing/Get{name}",
                   operation_id=f"v1ThingAgent_Get{name}", description="Gets.", extra=_holder_page("Person", sample))
    person = build_spec([tmp_path]).spec["components"]["schemas"]["Person"]["properties"]
    assert person["Position"] == {}
    assert person["PersonId"] == {"type": "integer", "format": "int32"}
