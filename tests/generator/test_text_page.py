"""Text copied from the rendered web page (seed 003): no fences, tables flattened to words."""
from __future__ import annotations

from testdata import SEEDS
from generator.elements import Code, Heading, Table
from generator.errors import DiagnosticSink
from generator.text_page import looks_copied_from_web, parse_text_page

SEED_003 = SEEDS / "003_857a8ce8002f0cf2.txt"


def test_detects_copied_pages_only():
    assert looks_copied_from_web(SEED_003.read_text())
    assert not looks_copied_from_web((SEEDS / "004_0d64f66f213af615.txt").read_text())


def test_seed_003_structure():
    sink = DiagnosticSink("003")
    page = parse_text_page("003", SEED_003.read_text(), sink)
    assert not sink.items
    assert page.copied_from_web
    headings = [e.text for e in page.elements if isinstance(e, Heading)]
    assert headings[0] == "POST BatchTask"
    assert "Request Body: batchTaskInfo" in headings and "Response:int32" in headings
    tables = {e.header: e for e in page.elements if isinstance(e, Table)}
    body = tables[("Property Name", "Type", "Description")]
    assert body.rows[0].cells == ("Id", "Integer", "Id of the task.")
    assert len(body.rows) == 22 and body.rows[-1].cells[0] == "CancellationBehaviour"
    headers = tables[("Parameter Name", "Description")]
    assert headers.rows[0].cells[0] == "Authorization"
    samples = [e for e in page.elements if isinstance(e, Code) and e.info in ("http!", "http_")]
    assert samples[0].text.startswith("POST /api/v1/BatchTask")
    assert samples[1].text.strip().endswith("997")  # the footer is not part of the sample


def test_enum_type_spans_several_words():
    text = "POST X\n\nGET /api/v1/X/{state}\n\nPath Part Type Description\nstate Enum: New, Old The state.\n"
    page = parse_text_page("p", text, DiagnosticSink("p"))
    table = next(e for e in page.elements if isinstance(e, Table))
    assert table.rows[0].cells == ("state", "Enum: New, Old", "The state.")


def test_page_without_endpoint_line_is_an_error():
    sink = DiagnosticSink("p")
    parse_text_page("p", "just some words\n", sink)
    assert sink.items and "METHOD /path" in sink.items[0].message


def test_copied_rows_with_an_empty_type_and_plain_required():
    text = ("GET X\n\nGET /api/v1/X/{id}\n\nPath Part Type Description\nid Integer The id Required\n\n"
            "Response body: object\n\nProperty Name Type Description\nCreatedBy The user that created it\n")
    page = parse_text_page("p", text, DiagnosticSink("p"))
    tables = [e for e in page.elements if isinstance(e, Table)]
    assert tables[0].rows[0].cells == ("id", "Integer", "The id Required")
    assert tables[1].rows[0].cells == ("CreatedBy", "", "The user that created it")
