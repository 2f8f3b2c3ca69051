"""Reads one page on its own: parses it, extracts what it documents and infers its operation as far as the
page alone allows. This is what the worker processes run, so it imports no more than that needs."""
from __future__ import annotations

import pickle
import re

from .collector import without_cycle_collection
from .elements import Page
from .errors import Diagnostic, DiagnosticSink
from .extract import EndpointDoc, IndexDoc, extract_endpoint, extract_index, is_index_page
from .infer import PageDraft, draft_operation
from .markdown_page import parse_markdown_page
from .model import share_equal
from .records import record
from .text_page import looks_copied_from_web, parse_text_page

_HTTP_FENCE = re.compile(r"^```http[ \t]*\n\s*(?:[A-Z]+[ \t]+)?/", re.M)


def parse_page(display: str, text: str, sink: DiagnosticSink) -> Page | None:
    text = text.replace("\r\n", "\n").lstrip("\ufeff")
    if looks_copied_from_web(text):
        return parse_text_page(display, text, sink)
    if not text.lstrip().startswith("---") and not _HTTP_FENCE.search(text):
        return None  # not a reference page (a README, a manifest): nothing to say about it
    return parse_markdown_page(display, text, sink)


@record()
class PageRead:
    """Everything known about one page on its own: a pure function of its name and bytes, so cacheable.

    A reference page is kept as its draft, which is all a run needs, and as its EndpointDoc pickled, for the
    rare page whose draft cannot be used: loading every page's parse from the cache would double the time.
    """

    diagnostics: tuple[Diagnostic, ...]
    index: IndexDoc | None = None
    draft: PageDraft | None = None
    endpoint: bytes = b""

    def endpoint_doc(self) -> EndpointDoc:
        return pickle.loads(self.endpoint)


def read_page_bytes(display: str, data: bytes) -> PageRead:
    """Parses one page and infers its operation as far as the page alone allows. Nothing raises out of a page:
    a failure this code did not foresee is an error diagnostic, the page is skipped, and the others generate."""
    sink = DiagnosticSink(display)
    try:
        return _read_page(display, data, sink)
    except (Exception, RecursionError) as exc:  # noqa: BLE001 - one page's surprise must not cost the others
        sink.error(1, f"could not read this page ({type(exc).__name__}: {exc}); page skipped")
        return PageRead(tuple(sink.items))


def _read_page(display: str, data: bytes, sink: DiagnosticSink) -> PageRead:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        sink.error(1 + data[: exc.start].count(b"\n"), f"not UTF-8 text ({exc.reason} at byte {exc.start}); page skipped")
        return PageRead(tuple(sink.items))
    if "\x00" in text:  # Markdown reads a NUL as U+FFFD, in a path as anywhere: said where the first one is
        first = text.index("\x00")
        sink.warn(1 + text.count("\n", 0, first), f"the page holds {text.count(chr(0))} NUL byte(s), read as U+FFFD")
    page = parse_page(display, text, sink)
    if page is None:
        sink.note(1, "not an API reference page (no front matter, no endpoint); skipped")
        return PageRead(tuple(sink.items))
    if is_index_page(page):
        return PageRead(tuple(sink.items), index=extract_index(page))
    doc = extract_endpoint(page, sink)
    if doc is None:
        return PageRead(tuple(sink.items))
    return PageRead(tuple(sink.items), draft=share_equal(draft_operation(doc)),
                    endpoint=pickle.dumps(doc, protocol=pickle.HIGHEST_PROTOCOL))


def read_batch(batch: list[tuple[str, bytes]]) -> list[PageRead]:
    with without_cycle_collection():
        return [read_page_bytes(display, data) for display, data in batch]
