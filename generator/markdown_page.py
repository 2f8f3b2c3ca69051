"""Parses a generated Markdown reference page into a Page, using markdown-it-py's token stream."""
from __future__ import annotations

import re
from collections.abc import Iterator

import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token

from .elements import Code, Element, Heading, Link, Page, Paragraph, Row, Table
from .block_state import use_line_markers
from .errors import DiagnosticSink
from .table_rule import table_as_one_token

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*(?:\n|\Z)", re.S)
# Neither part runs across a `[`: a line of thousands of unclosed `[a](` was otherwise scanned to its end from
# each of them (quadratic: 50,000 on one line took 86 s).
_LINK = re.compile(r"\[([^\[\]]*)\]\(([^)\s\[]+)\)")

# One parser for the whole process: building MarkdownIt compiles its rule chains. Pages are read from the
# block tokens and the raw text of their inline tokens, so the inline pass (a third of parsing) is skipped,
# a table comes as one token with its cells (table_rule.py) instead of a dozen tokens per row, and the lines
# are marked with string methods (block_state.py).
_MD = use_line_markers(MarkdownIt("commonmark", {"html": True}).enable("table").disable("inline"))
_MD.block.ruler.at("table", table_as_one_token, {"alt": ["paragraph", "reference"]})
# libyaml's loader when PyYAML was built with it: the same YAML, parsed in C.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_PROSE_OPENERS = {"paragraph_open", "bullet_list_open", "ordered_list_open", "blockquote_open"}


def split_front_matter(text: str, sink: DiagnosticSink) -> tuple[dict[str, str], str, int]:
    """Returns (front matter, body, number of lines the front matter took)."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text, 0
    consumed = text[: match.end()].count("\n")
    if not text[: match.end()].endswith("\n"):
        consumed += 1
    try:
        data = yaml.load(match.group(1), Loader=_YAML_LOADER) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = 2 + (mark.line if mark else 0)
        sink.error(line, f"front matter is not valid YAML: {getattr(exc, 'problem', exc)}")
        data = {}
    if not isinstance(data, dict):
        sink.error(2, "front matter is not a mapping of keys to values")
        data = {}
    values: dict[str, str] = {}
    for key, value in data.items():
        if isinstance(value, (list, dict)):  # `id: [1, 2]` would otherwise become the operationId "[1, 2]"
            lines = match.group(1).split("\n")
            line = 2 + next((n for n, text_line in enumerate(lines) if text_line.startswith(f"{key}:")), 0)
            sink.warn(line, f"front matter '{key}' is a {'list' if isinstance(value, list) else 'mapping'}, not "
                            "text; ignored")
            continue
        values[str(key)] = "" if value is None else str(value)
    return values, text[match.end():], consumed


def parse_markdown_page(path: str, text: str, sink: DiagnosticSink) -> Page:
    front_matter, body, offset = split_front_matter(text, sink)
    lines = body.split("\n")
    tokens = _MD.parse(body)
    elements: list[Element] = []
    links: list[Link] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        start, end = token.map if token.map else (0, 0)
        line = start + 1 + offset
        source = "\n".join(lines[start:end])
        if token.type == "heading_open":
            elements.append(Heading(line, int(token.tag[1]), tokens[i + 1].content.strip(), source))
            i += 3
            continue
        if token.type in ("fence", "code_block"):
            # A fence's content starts on the line after the opening ```.
            content_line = line + 1 if token.type == "fence" else line
            elements.append(Code(content_line, token.info.strip(), token.content, source))
        elif token.type == "html_block":
            elements.append(Paragraph(line, token.content.strip(), source))
        elif token.type == "table_open":
            table, i = _read_table(tokens, i, offset)
            elements.append(table)
            continue
        elif token.type in _PROSE_OPENERS:
            close = _matching_close(tokens, i)
            inline = " ".join(_inline_texts(tokens[i:close]))
            for n, text_line in enumerate(lines[start:end]):
                links.extend(Link(line + n, m.group(1), m.group(2)) for m in _LINK.finditer(text_line))
            elements.append(Paragraph(line, inline.strip(), source))
            i = close + 1
            continue
        i += 1
    return Page(path, front_matter, tuple(elements), tuple(links))


def _matching_close(tokens: list[Token], i: int) -> int:
    depth = 0
    for j in range(i, len(tokens)):
        depth += tokens[j].nesting
        if depth == 0:
            return j
    return len(tokens) - 1


def _inline_texts(tokens: list[Token]) -> Iterator[str]:
    """The raw text of each inline token, a table's cells included (a table inside a list item)."""
    for token in tokens:
        if token.type == "inline":
            yield token.content
        elif token.type == "table_open":
            yield from token.meta["header"]
            for _, cells in token.meta["rows"]:
                yield from cells


def _read_table(tokens: list[Token], i: int, offset: int) -> tuple[Table, int]:
    token = tokens[i]
    rows = tuple(Row(line + 1 + offset, tuple(cell.strip() for cell in cells)) for line, cells in token.meta["rows"])
    header = tuple(cell.strip() for cell in token.meta["header"])
    return Table(token.map[0] + 1 + offset, header, rows), i + 2
