"""The line markers docmock's block parser starts from are the ones markdown-it-py's StateBlock computes."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.rules_block.state_block import StateBlock
from markdown_it.rules_core import normalize
from markdown_it.rules_core.state_core import StateCore

from testdata import CORPUS, SEEDS
from generator.block_state import LineMarkedState, use_line_markers

MD = MarkdownIt("commonmark", {"html": True}).enable("table")


def markers(state: StateBlock) -> tuple:
    return (state.src, state.bMarks, state.eMarks, state.tShift, state.sCount, state.bsCount, state.lineMax,
            state.line, state.blkIndent, state.parentType, state.level, state._code_enabled)


def assert_same_markers(text: str) -> None:
    core = StateCore(text, MD, {})
    normalize(core)  # the text as block parsing sees it
    src = core.src
    assert markers(LineMarkedState(src, MD, {}, [])) == markers(StateBlock(src, MD, {}, []))


@pytest.mark.parametrize("page", sorted(SEEDS.glob("*.txt")) + sorted(CORPUS.rglob("*.md")),
                         ids=lambda page: str(page.relative_to(page.parents[1])))
def test_every_real_page_gets_markdown_its_line_markers(page):
    assert_same_markers(page.read_text())


EDGE_CASES = ["", "a", "a\n", "a\n\n", "\n", "   ", "a\n   ", "a\n \t", "\tcode\n  \t x\n", " \t \tx", "x\n\n\n  y  \n"]


@pytest.mark.parametrize("text", EDGE_CASES)
def test_edge_cases_get_markdown_its_line_markers(text):
    assert_same_markers(text)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=" \t\nab|-#>`", max_size=60))
def test_any_text_gets_markdown_its_line_markers(text):
    assert_same_markers(text)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=" \t\nab|-*#>`1.", max_size=80))
def test_any_text_parses_to_the_same_tokens(text):
    fast = use_line_markers(MarkdownIt("commonmark", {"html": True}).enable("table"))
    assert [t.as_dict() for t in fast.parse(text)] == [t.as_dict() for t in MD.parse(text)]
