"""A GFM table rule for markdown-it-py that gives each table as one token holding its cells.

markdown-it-py's own table rule (`markdown_it.rules_block.table`) pushes five to ten tokens per cell and
splits each row character by character in Python; on reference pages, whose property tables hold most of
their lines, that is half of all parsing. This rule accepts exactly the lines that rule accepts, with the
same cell texts, and hands them over as `table_open.meta`:

    {"header": (cell, ...), "rows": ((line index, (cell, ...)), ...)}

Cells are trimmed as markdown-it trims an inline token's content; body rows are padded or cut to the
header's width. `tests/generator/test_table_rule.py` checks it against the stock rule on every page.
"""
from __future__ import annotations

import re

from markdown_it.common.utils import mdTrim
from markdown_it.rules_block.state_block import StateBlock

_DELIMITER_STARTS = ("|", "-", ":")
_DELIMITER_ROW = re.compile(r"[-:|][-:| \t]+")
_DELIMITER_CELL = re.compile(r":?-+:?")
# As markdown-it: a table stops taking rows once this many cells had to be made up for short rows.
MAX_AUTOCOMPLETED_CELLS = 0x10000


def table_as_one_token(state: StateBlock, start_line: int, end_line: int, silent: bool) -> bool:
    if start_line + 2 > end_line:
        return False
    delimiter_line = start_line + 1
    delimiter = _line(state, delimiter_line)
    if delimiter[:1] not in _DELIMITER_STARTS:  # the usual case: not a table, known from one character
        return False
    if state.sCount[delimiter_line] < state.blkIndent or state.is_code_block(delimiter_line):
        return False
    # '|', '-' or ':' then only those and blanks; a '-' and a blank would start a list item instead.
    if not _DELIMITER_ROW.fullmatch(delimiter) or (delimiter[0] == "-" and delimiter[1] in " \t"):
        return False
    columns = delimiter.split("|")
    width = 0
    for i, column in enumerate(columns):
        column = mdTrim(column)
        if not column:
            if i == 0 or i == len(columns) - 1:  # outer pipes may stand alone: ` |---| `, not `---||---`
                continue
            return False
        if not _DELIMITER_CELL.fullmatch(column):
            return False
        width += 1

    header_text = mdTrim(_line(state, start_line))
    if "|" not in header_text or state.is_code_block(start_line):
        return False
    header = _cells(header_text)
    if not header or len(header) != width:
        return False
    if silent:
        return True

    old_parent = state.parentType
    state.parentType = "table"
    # A row ends the table where it could start a block quote, as in markdown-it.
    terminators = state.md.block.ruler.getRules("blockquote")
    rows: list[tuple[int, tuple[str, ...]]] = []
    autocompleted = 0
    line = start_line + 2
    src = state.src
    while line < end_line:
        if state.sCount[line] < state.blkIndent:
            break
        start = state.bMarks[line] + state.tShift[line]
        # Every terminator (fence, quote, rule, list, HTML, heading) needs another first character than a
        # pipe, so the usual row skips asking them.
        if src[start:start + 1] != "|" and any(rule(state, line, end_line, True) for rule in terminators):
            break
        row_text = mdTrim(src[start:state.eMarks[line]])
        if not row_text or state.is_code_block(line):
            break
        cells = _cells(row_text)
        autocompleted += width - len(cells)
        if autocompleted > MAX_AUTOCOMPLETED_CELLS:
            break
        if len(cells) < width:
            cells.extend([""] * (width - len(cells)))
        rows.append((line, tuple([mdTrim(cell) for cell in cells[:width]])))
        line += 1

    token = state.push("table_open", "table", 1)
    token.map = [start_line, line]
    token.meta = {"header": tuple([mdTrim(cell) for cell in header]), "rows": tuple(rows)}
    state.push("table_close", "table", -1)
    state.parentType = old_parent
    state.line = line
    return True


def _line(state: StateBlock, line: int) -> str:
    return state.src[state.bMarks[line] + state.tShift[line]:state.eMarks[line]]


def _cells(row: str) -> list[str]:
    """A row's cells between its pipes; `\\|` is a pipe inside a cell."""
    cells = row.split("|") if "\\" not in row else _split_escaped(row)
    if cells and cells[0] == "":
        cells.pop(0)
    if cells and cells[-1] == "":
        cells.pop()
    return cells


def _split_escaped(row: str) -> list[str]:
    cells: list[str] = []
    current: list[str] = []
    escaped = False
    for ch in row:
        if ch == "|":
            if escaped:
                current[-1] = "|"  # the backslash goes, the pipe stays
            else:
                cells.append("".join(current))
                current = []
                escaped = False
                continue
        else:
            current.append(ch)
        escaped = ch == "\\"
    cells.append("".join(current))
    return cells
