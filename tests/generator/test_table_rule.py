"""The one-token table rule accepts the same lines as markdown-it-py's own table rule, with the same cells.

Both parsers run over the same text; the stock token stream, with each table's tokens folded into
(lines, header cells, rows), must equal the stream of the one-token rule.
"""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.token import Token

from testdata import CORPUS, SEEDS
from generator.markdown_page import _MD as ONE_TOKEN_TABLES
from generator.markdown_page import parse_markdown_page
from generator.errors import DiagnosticSink

STOCK = MarkdownIt("commonmark", {"html": True}).enable("table").disable("inline")


def stock_stream(text: str) -> list[tuple]:
    tokens = STOCK.parse(text)
    stream: list[tuple] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token.type != "table_open":
            stream.append(_plain(token))
            i += 1
            continue
        header: list[str] = []
        rows: list[tuple[int, tuple[str, ...]]] = []
        cells: list[str] = []
        in_head = False
        lines = tuple(token.map)
        while tokens[i].type != "table_close":
            t = tokens[i]
            if t.type in ("thead_open", "thead_close"):
                in_head = t.type == "thead_open"
            elif t.type == "tr_open":
                cells = []
                row_line = t.map[0]
            elif t.type == "inline":
                cells.append(t.content)
            elif t.type == "tr_close":
                if in_head:
                    header = cells
                else:
                    rows.append((row_line, tuple(cells)))
            i += 1
        stream.append(("table", lines, token.level, tuple(header), tuple(rows)))
        i += 1
    return stream


def one_token_stream(text: str) -> list[tuple]:
    stream: list[tuple] = []
    for token in ONE_TOKEN_TABLES.parse(text):
        if token.type == "table_open":
            stream.append(("table", tuple(token.map), token.level, token.meta["header"], token.meta["rows"]))
        elif token.type != "table_close":
            stream.append(_plain(token))
    return stream


def _plain(token: Token) -> tuple:
    return (token.type, tuple(token.map or ()), token.level, token.nesting, token.content, token.info)


def assert_same(text: str) -> None:
    assert one_token_stream(text) == stock_stream(text)


def real_pages() -> list:
    pages = sorted(SEEDS.glob("*.txt")) + sorted(CORPUS.rglob("*.md"))
    return [pytest.param(page, id=str(page.relative_to(page.parents[1]))) for page in pages]


@pytest.mark.parametrize("page", real_pages())
def test_every_real_page_tokenizes_as_with_the_stock_rule(page):
    assert_same(page.read_text())


def test_the_real_pages_hold_tables():
    tables = sum(token.type == "table_open" for page in SEEDS.glob("*.txt") for token in STOCK.parse(page.read_text()))
    assert tables >= len(list(SEEDS.glob("*.txt")))


EDGE_CASES = {
    "escaped pipes": "| a | b |\n|---|---|\n| x \\| y | \\\\| z |\n| \\\\\\| w | v |\n",
    "ragged rows": "| a | b | c |\n|:--|:-:|--:|\n| 1 |\n| 1 | 2 | 3 | 4 | 5 |\n|\n",
    "no outer pipes": "a | b\n--- | ---\n1 | 2\n3 | 4\n",
    "delimiter mismatch": "| a | b |\n|---|\n| 1 | 2 |\n",
    "delimiter with a gap": "| a | b |\n|---||---|\n",
    "dash and blank is a list": "| a |\n- --\n| 1 |\n",
    "ended by a heading": "| a | b |\n|---|---|\n| 1 | 2 |\n# Title\n| 3 | 4 |\n",
    "ended by a fence": "| a | b |\n|---|---|\n| 1 | 2 |\n```\ncode | x\n```\n",
    "ended by a list": "| a | b |\n|---|---|\n* item | x\n",
    "ended by a quote": "| a | b |\n|---|---|\n> quote | x\n",
    "ended by HTML": "| a | b |\n|---|---|\n<div>\n",
    "ended by a blank line": "| a | b |\n|---|---|\n| 1 | 2 |\n\n| 3 | 4 |\n",
    "row without a pipe": "| a | b |\n|---|---|\nplain text\n",
    "indented rows": "| a | b |\n|---|---|\n    | code | block |\n",
    "indented header is code": "    | a | b |\n|---|---|\n",
    "inside a list": "* item\n\n  | a | b |\n  |---|---|\n  | 1 | 2 |\n* next\n",
    "inside a quote": "> | a | b |\n> |---|---|\n> | 1 | 2 |\nlazy | line\n",
    "after a paragraph": "Some text\n| a | b |\n|---|---|\n| 1 | 2 |\n",
    "unicode blanks": "| a\u00a0| b\u3000|\n|---|---|\n|\u2003x | y\u0085|\n",
    "header only": "| a | b |\n|---|---|\n",
}


@pytest.mark.parametrize("text", EDGE_CASES.values(), ids=EDGE_CASES.keys())
def test_edge_cases_tokenize_as_with_the_stock_rule(text):
    assert_same(text)


_LINE_PARTS = st.sampled_from(["|", "| ", " |", "a", " b ", "-", "--", ":", ":-", "-:", "\\", "\\|", "`", "*",
                               "# ", "> ", "1. ", "<p>", "```", "    ", "  ", "\t", "x y", "\u00a0"])
_LINES = st.lists(st.lists(_LINE_PARTS, max_size=8).map("".join), min_size=1, max_size=12).map("\n".join)


@settings(max_examples=400, deadline=None)
@given(_LINES)
def test_any_text_tokenizes_as_with_the_stock_rule(text):
    assert_same(text)


def test_a_table_in_a_list_item_keeps_its_cells_in_the_item_text():
    sink = DiagnosticSink("page.md")
    page = parse_markdown_page("page.md", EDGE_CASES["inside a list"], sink)
    assert page.elements[0].text == "item a b 1 2 next"
