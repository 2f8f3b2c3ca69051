"""Parses text copied from the rendered web page (no Markdown left: tables are rows of words) into a Page."""
from __future__ import annotations

import re

from .elements import Code, Element, Heading, Page, Paragraph, Row, Table
from .errors import DiagnosticSink
from .schemas import parse_type_cell

ENDPOINT_LINE = re.compile(r"^(GET|POST|PUT|PATCH|DELETE|DEL|HEAD|OPTIONS)\s+(/\S*)\s*$")
_FOOTER = re.compile(r"^(©|\(c\)|SuperOffice \|)")
_SECTION = re.compile(
    r"^(Query String Parameters|Request Headers|Request Body:.*|Response(\s*:.*)?|Response body:.*)\s*$"
)
_SAMPLE_REQUEST = re.compile(r"^Sample request\s*$", re.I)
_SAMPLE_RESPONSE = re.compile(r"^Sample response\s*$", re.I)

# Header rows of the flattened tables, and how many leading single-word columns each row has before the
# free-text description. The Type column may hold `Enum: A, B, C`, which spans several words.
_TABLE_HEADERS: dict[str, tuple[str, ...]] = {
    "Path Part Type Description": ("Path Part", "Type", "Description"),
    "Parameter Name Type Description": ("Parameter Name", "Type", "Description"),
    "Parameter Name Description": ("Parameter Name", "Description"),
    "Property Name Type Description": ("Property Name", "Type", "Description"),
    "Response Description": ("Response", "Description"),
}


def looks_copied_from_web(text: str) -> bool:
    """A generated page starts with front matter or a Markdown heading; a copied one has neither."""
    head = text.lstrip()[:3]
    if head == "---" or head.startswith("#"):
        return False
    return any(ENDPOINT_LINE.match(line.strip()) for line in text.splitlines())


def parse_text_page(path: str, text: str, sink: DiagnosticSink) -> Page:
    lines = [line.rstrip() for line in text.split("\n")]
    endpoint = next((n for n, line in enumerate(lines) if ENDPOINT_LINE.match(line.strip())), None)
    if endpoint is None:
        sink.error(1, "no line of the form 'METHOD /path' found in text copied from a web page")
        return Page(path, {}, (), copied_from_web=True)
    elements: list[Element] = []
    title_index = _title_before(lines, endpoint)
    if title_index is not None:
        elements.append(Heading(title_index + 1, 1, lines[title_index].strip(), lines[title_index]))
    elements.append(Code(endpoint + 1, "http", lines[endpoint].strip() + "\n", lines[endpoint]))
    n = endpoint + 1
    end = next((k for k in range(n, len(lines)) if _FOOTER.match(lines[k].strip())), len(lines))
    while n < end:
        stripped = lines[n].strip()
        if not stripped:
            n += 1
        elif stripped in _TABLE_HEADERS:
            table, n = _read_table(lines, n, end, _TABLE_HEADERS[stripped])
            elements.append(table)
        elif _SECTION.match(stripped):
            elements.append(Heading(n + 1, 2, stripped, stripped))
            n += 1
        elif _SAMPLE_REQUEST.match(stripped) or _SAMPLE_RESPONSE.match(stripped):
            info = "http!" if _SAMPLE_REQUEST.match(stripped) else "http_"
            elements.append(Heading(n + 1, 2, stripped, stripped))
            start = n + 1
            n = start
            while n < end and not (_SAMPLE_RESPONSE.match(lines[n].strip()) and info == "http!"):
                n += 1
            body = "\n".join(lines[start:n]).strip("\n")
            first = start + next((k for k, line in enumerate(lines[start:n]) if line.strip()), 0)
            elements.append(Code(first + 1, info, body + "\n", body))
        else:
            start = n
            while n < end and lines[n].strip() and not _is_structure(lines[n].strip()):
                n += 1
            block = "\n".join(line.strip() for line in lines[start:n])
            elements.append(Paragraph(start + 1, " ".join(block.split("\n")), block))
    return Page(path, {}, tuple(elements), copied_from_web=True)


def _is_structure(line: str) -> bool:
    return bool(
        line in _TABLE_HEADERS or _SECTION.match(line) or _SAMPLE_REQUEST.match(line) or _SAMPLE_RESPONSE.match(line)
    )


def _title_before(lines: list[str], endpoint: int) -> int | None:
    """The web page repeats the title (`POST BatchTask`) a few lines above the endpoint line."""
    for k in range(endpoint - 1, -1, -1):
        words = lines[k].strip().split()
        if len(words) == 2 and ENDPOINT_LINE.match(f"{words[0]} /{words[1]}"):
            return k
    return None


def _read_table(lines: list[str], n: int, end: int, header: tuple[str, ...]) -> tuple[Table, int]:
    table_line = n + 1
    rows: list[Row] = []
    n += 1
    while n < end and lines[n].strip() and not _is_structure(lines[n].strip()):
        rows.append(Row(n + 1, _split_row(lines[n].strip(), len(header))))
        n += 1
    return Table(table_line, header, tuple(rows)), n


def _split_row(line: str, columns: int) -> tuple[str, ...]:
    name, _, rest = line.partition(" ")
    if columns == 2:
        return name, rest.strip()
    rest = rest.strip()
    if rest.startswith("Enum:"):
        # `Enum: A, B, C description...`: values continue while the word ends with a comma.
        words = rest.split(" ")
        k = 1
        while k < len(words) and words[k].endswith(","):
            k += 1
        return name, " ".join(words[: k + 1]), " ".join(words[k + 1:])
    # An empty Type cell leaves no trace in the copied row: only a word that is a type is taken as one.
    type_cell, _, description = rest.partition(" ")
    if parse_type_cell(type_cell).kind not in ("scalar", "object", "array"):
        return name, "", rest
    return name, type_cell, description.strip()
