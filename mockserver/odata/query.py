"""The OData options of a list request (`$select`, `$filter`, `$orderBy`, `$top`, `$skip`, `$format`,
`$jsonSafe`), read from the query string in any case and checked, every problem named with its position."""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from ..problems import Violation
from .filter import Expr, FilterError, parse_filter

DEFAULT_PAGE_SIZE = 50  # rows in a page when the request gives no $top: a list never answers megabytes
_COLUMN = re.compile(r"^[^\s,\x00-\x1f\x7f]{1,200}$")  # a name of printable characters
MAX_COLUMNS = 100  # in $select, and in $orderBy
_FORMATS = {"json": "application/json", "xml": "application/xml"}


@dataclass(frozen=True, slots=True)
class ODataQuery:
    select: tuple[str, ...] = ()                 # the columns asked for; empty: the list's default columns
    filter: Expr | None = None
    order: tuple[tuple[str, bool], ...] = ()     # (column, descending)
    top: int | None = None
    skip: int = 0
    accept: str | None = None                    # the media type $format asks for, overriding Accept
    json_safe: bool = False

    @property
    def page_size(self) -> int:
        return DEFAULT_PAGE_SIZE if self.top is None else self.top


class ODataQueryError(ValueError):
    def __init__(self, violations: tuple[Violation, ...]) -> None:
        super().__init__("; ".join(f"{v.location}: {v.message}" for v in violations))
        self.violations = violations


def _option(query: Mapping[str, list[str]], name: str) -> tuple[str, str] | None:
    """(the name as written, its last value) for an option in any case: ASP.NET reads `$orderby` as `$orderBy`."""
    lower = name.lower()
    for key, values in query.items():
        if key.lower() == lower and values:
            return key, values[-1]
    return None


def _count(text: str) -> int | None:
    text = text.strip()
    digits = text[1:] if text.startswith("-") else text
    return int(text) if digits.isascii() and digits.isdigit() else None


def parse_query(query: Mapping[str, list[str]]) -> ODataQuery:
    """The list options of a request; ODataQueryError lists every malformed one. Options the mock does not act
    on (`$mode`, `$entities`, `$options`, `$context`, `$output`) are accepted and left alone."""
    problems: list[Violation] = []
    select: tuple[str, ...] = ()
    found = _option(query, "$select")
    if found is not None:
        columns = [c.strip() for c in found[1].split(",")]
        bad = [c for c in columns if c and not _COLUMN.match(c)]
        if bad:
            problems.append(Violation(f"query.{found[0]}", f"{bad[0]!r} is not a column name"))
        select = tuple(dict.fromkeys(c for c in columns if c))
        if len(select) > MAX_COLUMNS:
            problems.append(Violation(f"query.{found[0]}", f"more than {MAX_COLUMNS} columns"))
    expr = None
    found = _option(query, "$filter")
    if found is not None and found[1].strip():
        try:
            expr = parse_filter(found[1])
        except FilterError as exc:
            problems.append(Violation(f"query.{found[0]}", f"{exc} in {found[1]!r}"))
    order: list[tuple[str, bool]] = []
    found = _option(query, "$orderBy")
    if found is not None:
        position = 1
        for part in found[1].split(","):
            words = part.split()
            if len(words) > 2 or (len(words) == 2 and words[1].lower() not in ("asc", "desc")):
                problems.append(Violation(f"query.{found[0]}", f"column {position}: {part.strip()!r} is not "
                                                               "'column', 'column asc' or 'column desc'"))
            elif words and not _COLUMN.match(words[0]):
                problems.append(Violation(f"query.{found[0]}", f"{words[0]!r} is not a column name"))
            elif words:
                order.append((words[0], len(words) == 2 and words[1].lower() == "desc"))
            position += len(part) + 1
        if len(order) > MAX_COLUMNS:
            problems.append(Violation(f"query.{found[0]}", f"more than {MAX_COLUMNS} columns"))
    top = skip = None
    for name in ("$top", "$skip"):
        found = _option(query, name)
        if found is None:
            continue
        number = _count(found[1])
        if number is None:
            problems.append(Violation(f"query.{found[0]}", f"{found[1]!r} is not a whole number of rows"))
        elif number < 0:
            continue  # the vendor's contract allows any int32: a negative count is read as none given
        elif name == "$top":
            top = number
        else:
            skip = number
    found = _option(query, "$format")
    accept = _FORMATS.get(found[1].strip().lower()) if found is not None else None
    found = _option(query, "$jsonSafe")
    json_safe = found is not None and found[1].strip().lower() in ("true", "1")
    if problems:
        raise ODataQueryError(tuple(problems))
    return ODataQuery(select, expr, tuple(order), top, skip or 0, accept, json_safe)
