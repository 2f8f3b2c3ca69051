"""The parse stage's output: a page as front matter plus a flat run of block elements with line numbers.

Both page variants (generated Markdown and text copied from the rendered web page) are reduced to this
shape, so everything after parsing is shared.
"""
from __future__ import annotations

from dataclasses import field

from .records import record


@record()
class Heading:
    line: int
    level: int
    text: str
    source: str


@record()
class Paragraph:
    """Any prose block (paragraph, list, HTML block); `source` keeps its Markdown for descriptions."""

    line: int
    text: str
    source: str


@record()
class Code:
    """A code block; `line` is the line of its first line of content (not of the opening fence)."""

    line: int
    info: str
    text: str
    source: str


@record()
class Row:
    line: int
    cells: tuple[str, ...]


@record()
class Table:
    line: int
    header: tuple[str, ...]
    rows: tuple[Row, ...]


@record()
class Link:
    line: int
    text: str
    target: str


Element = Heading | Paragraph | Code | Table


@record()
class Page:
    path: str
    front_matter: dict[str, str]
    elements: tuple[Element, ...]
    links: tuple[Link, ...] = field(default=())
    copied_from_web: bool = False
