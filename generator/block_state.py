"""Faster line markers for markdown-it-py's block parser.

Before its block rules run, markdown-it-py's `StateBlock` records for every line where it begins and ends,
where its text starts and how far it is indented, walking the leading blanks of each line one character
at a time in Python. Reference pages are mostly indented JSON and XML samples, so that walk is a sixth of
parsing them. `parse_blocks` computes the same markers with string methods, then tokenizes as markdown-it
does. `tests/generator/test_block_state.py` checks the markers against markdown-it's own on every page.
"""
from __future__ import annotations

from itertools import accumulate
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.parser_block import ParserBlock
from markdown_it.rules_block.state_block import StateBlock
from markdown_it.token import Token


class LineMarkedState(StateBlock):
    def __init__(self, src: str, md: MarkdownIt, env: Any, tokens: list[Token]) -> None:
        super().__init__("", md, env, tokens)  # every other field as markdown-it sets it
        self.src = src
        begins, ends, shifts, indents = line_markers(src)
        fake = len(src)  # the entry markdown-it adds past the last line, to spare bounds checks
        self.bMarks = begins + [fake]
        self.eMarks = ends + [fake]
        self.tShift = shifts + [0]
        self.sCount = indents + [0]
        self.bsCount = [0] * (len(begins) + 1)
        self.lineMax = len(begins)


def line_markers(src: str) -> tuple[list[int], list[int], list[int], list[int]]:
    """Each line's start and end offsets, its count of leading blanks, and its indent with tabs expanded."""
    lines = src.split("\n")
    # No line after a final newline; a last line of only blanks without one is no line either.
    if src.endswith("\n") or not lines[-1].strip(" \t"):
        lines.pop()
    lengths = [len(line) for line in lines]
    begins = [0, *accumulate(length + 1 for length in lengths)][:len(lines)]
    ends = [begin + length for begin, length in zip(begins, lengths)]
    shifts = [length - len(line.lstrip(" \t")) for line, length in zip(lines, lengths)]
    if "\t" not in src:
        return begins, ends, shifts, list(shifts)
    return begins, ends, shifts, [_expanded(line[:shift]) for line, shift in zip(lines, shifts)]


def _expanded(blanks: str) -> int:
    width = 0
    for ch in blanks:
        width += 4 - width % 4 if ch == "\t" else 1
    return width


def use_line_markers(md: MarkdownIt) -> MarkdownIt:
    """Makes `md`'s block parser start from `LineMarkedState`."""
    block: ParserBlock = md.block

    def parse(src: str, md: MarkdownIt, env: Any, out_tokens: list[Token]) -> list[Token] | None:
        if not src:
            return None
        state = LineMarkedState(src, md, env, out_tokens)
        block.tokenize(state, state.line, state.lineMax)
        return state.tokens

    block.parse = parse  # type: ignore[method-assign]
    return md
