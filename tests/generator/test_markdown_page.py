"""Markdown pages become elements with the line numbers of the file (front matter counted)."""
from __future__ import annotations

from testdata import SEEDS
from generator.elements import Code, Heading, Paragraph, Table
from generator.errors import DiagnosticSink
from generator.markdown_page import parse_markdown_page


def parse(text: str):
    sink = DiagnosticSink("page.md")
    return parse_markdown_page("page.md", text, sink), sink


def test_front_matter_and_line_numbers_match_the_file():
    text = (SEEDS / "001_225a3a86c9cb9a02.txt").read_text()
    page, sink = parse(text)
    lines = text.split("\n")
    assert page.front_matter == {"title": "GET BatchTask/{id}", "id": "v1Batch_GetBatchTaskInfo"}
    assert not sink.items
    heading = next(e for e in page.elements if isinstance(e, Heading))
    assert lines[heading.line - 1] == "# GET BatchTask/{id}"
    table = next(e for e in page.elements if isinstance(e, Table))
    assert table.header == ("Path Part", "Type", "Description")
    assert lines[table.rows[0].line - 1].startswith("| id | int32 |")
    codes = [e for e in page.elements if isinstance(e, Code)]
    assert [c.info for c in codes] == ["http", "http!", "http_"]


def test_table_cells_keep_their_markdown():
    page, _ = parse("| Path Part | Type | Description |\n|---|---|---|\n| id | int32 | The id **Required** |\n")
    table = page.elements[0]
    assert table.rows[0].cells == ("id", "int32", "The id **Required**")


def test_broken_front_matter_is_reported_with_its_line():
    page, sink = parse("---\ntitle: [unclosed\nid: x\n---\n\n# GET X\n")
    assert page.front_matter == {}
    assert sink.items and sink.items[0].line >= 2
    assert "front matter" in sink.items[0].message


def test_links_in_lists_are_collected_with_lines():
    page, _ = parse("* [GET BatchTask](v1Batch_GetAll.md)\n\n* [DEL BatchTask/{id}](v1Batch_Delete.md)\n")
    assert [(l.line, l.target) for l in page.links] == [(1, "v1Batch_GetAll.md"), (3, "v1Batch_Delete.md")]
    assert all(isinstance(e, Paragraph) for e in page.elements)
