"""Turns the docs' prose (XML-doc leftovers, HTML, entity escapes) into readable CommonMark text."""
from __future__ import annotations

import functools
import html
import re

# A tag's text may not run across another opening of the same tag: thousands of unclosed ones would otherwise
# each be scanned to the end of the text (quadratic; 20,000 took 35 s), and no real page nests them.
_SEE_WITH_TEXT = re.compile(r"<see\s+cref=\"[^\"]*\"\s*>((?:(?!<see\s+cref=\"[^\"]*\"\s*>).)*?)</see>", re.S | re.I)
_SEE_EMPTY = re.compile(r"<see\s+cref=\"(?:[A-Z]:)?([^\"]*)\"\s*/>", re.I)
_PARA_EMPTY = re.compile(r"<para\s*/>", re.I)
_PARA = re.compile(r"<para>((?:(?!<para>).)*?)</para>", re.S | re.I)
_ANCHOR = re.compile(r"<a\s+[^>]*href=\"([^\"]*)\"[^>]*>((?:(?!<a\s).)*?)</a>", re.S | re.I)
_BRACE_CREF = re.compile(r"\{((?:[A-Za-z_][\w]*\.)+[A-Za-z_]\w*)\}")
_OTHER_TAG = re.compile(r"</?(?:c|code|b|i|em|strong|br|p|span|div|summary|remarks|returns)\b[^>]*>", re.I)
_BLANK_RUN = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")
# Tried only where a run of spaces starts: from inside a run, each of a deep list's indents was tried again to its
# end (quadratic: a list nested 2,000 levels took 12 s).
_TRAILING_SPACE = re.compile(r"(?<![ \t])[ \t]+\n")
_PARAGRAPH_INDENT = re.compile(r"\n\n[ \t]{1,3}(?=\S)")
# The docs' sentence splitter broke `i.e.` and `e.g.` over a paragraph break (`i.\n\ne., the ...`).
_SPLIT_ABBREVIATION = re.compile(r"\b([ie])\.[ \t]*\n[ \t]*\n[ \t]*([eg])\.")
# `## Online Restricted: ## The User agent ...`: a label with its text, not a heading.
_PSEUDO_HEADING = re.compile(r"^#{1,6}[ \t]+([^#\n]+?)[ \t]+#+[ \t]+(\S[^\n]*)$", re.M)
_NAMESPACES = {"SuperOffice", "CRM", "Services", "Security", "Data", "WebApi", "v1", "Carriers", "Util", "T", "P", "M"}


def _short_name(qualified: str) -> str:
    """`SuperOffice.CRM.Services.PersonEntity.CustomFields` -> `PersonEntity.CustomFields`."""
    parts = [p for p in qualified.split(".") if p]
    while len(parts) > 1 and (parts[0] in _NAMESPACES or parts[0][:1].islower()):
        parts.pop(0)
    return ".".join(parts[-2:])


# Text without any of these needs nothing but trimming (most table cells): skip the substitutions.
_NEEDS_CLEANING = re.compile(r"[<&{#\r\n]|[ \t]\n")


# Docs repeat their wording: 85 % of the property descriptions on the corpus's pages are seen before on
# another page (a carrier's properties are described alike wherever it appears), so results are remembered.
@functools.lru_cache(maxsize=8192)
def clean_text(text: str) -> str:
    """Readable text from a docs fragment; stable for the same input."""
    if not text:
        return ""
    if not _NEEDS_CLEANING.search(text):
        return text.strip()
    # Entity-escaped markup (`&lt;para/&gt;`, `&amp;apos;`) is unescaped first, twice for the double-escaped.
    for _ in range(2):
        if "&" in text:
            text = html.unescape(text)
    text = _SEE_WITH_TEXT.sub(lambda m: " ".join(m.group(1).split()), text)
    text = _SEE_EMPTY.sub(lambda m: _short_name(m.group(1)), text)
    text = _PARA_EMPTY.sub("\n\n", text)
    text = _PARA.sub(lambda m: "\n\n" + m.group(1).strip() + "\n\n", text)
    text = _ANCHOR.sub(lambda m: f"[{' '.join(m.group(2).split())}]({m.group(1).strip()})", text)
    text = _BRACE_CREF.sub(lambda m: _short_name(m.group(1)), text)
    text = _OTHER_TAG.sub("", text)
    text = _SPLIT_ABBREVIATION.sub(r"\1.\2.", text)
    text = _PSEUDO_HEADING.sub(r"**\1** \2", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _TRAILING_SPACE.sub("\n", text)
    text = _PARAGRAPH_INDENT.sub("\n\n", text)
    text = _BLANK_RUN.sub("\n\n", text)
    lines = [line.rstrip() for line in text.strip().split("\n")]
    return "\n".join(lines).strip()


@functools.lru_cache(maxsize=8192)
def one_line(text: str) -> str:
    return " ".join(clean_text(text).split())


def summary_of(description: str) -> str:
    """The first sentence of the first paragraph that is prose (not a heading or a code fence), on one line."""
    paragraphs = [p for p in clean_text(description).split("\n\n") if p.strip()]
    first = next((p for p in paragraphs if not p.lstrip().startswith(("#", "```", "|"))), "")
    first = " ".join(first.split())
    match = re.match(r"(.+?[.!?])(\s|$)", first)
    sentence = match.group(1) if match else first
    # Broken generator splits (`i.` + `e.`) make tiny first sentences; keep the paragraph then.
    return first if len(sentence) < 12 else sentence
