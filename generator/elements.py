"""The parse stage's output: a page as front matter plus a flat run of block elements with line numbers.

Both page variants (generated Markdown and text copied from the rendered web page) are reduced to this
shape, so everything after parsing is shared.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Heading:
    line: int
    level: int
    text: str
    source: str


@dataclass(frozen=True, slots=True)
class Paragraph:
    """Any prose block (paragraph, list, HTML block); `source` keeps its Markdown for descriptions."""

    line: int
    text: str
    source: str


@dataclass(frozen=True, slots=True)
class Code:
    """A code block; `line` is the line of its first line of content (not of the opening fence)."""

    line: int
    info: str
    text: str
    source: str


@dataclass(frozen=True, slots=True)
class Row:
    line: int
    cells: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Table:
    line: int
    header: tuple[str, ...]
    rows: tuple[Row, ...]


@dataclass(frozen=True, slots=True)
class Link:
    line: int
    text: str
    target: str


Element = Heading | Paragraph | Code | Table


@dataclass(frozen=True, slots=True)
class Page:
    path: str
    front_matter: dict[str, str]
    elements: tuple[Element, ...]
    links: tuple[Link, ...] = field(default=())
    copied_from_web: bool = False
