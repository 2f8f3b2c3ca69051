"""Shapes stated only in prose: what a description says of a value whose Type cell (`array`, `object`) and
sample leave the shape open.

Reference pages often type a property `array` or `object` and say the rest in words: "The primary keys.",
"An array with ContactSummary objects.", "A StringDictionary with the values". Each rule below reads one way of
saying it. The caller notes every rule that fired on the row's line (`prose rule: ids`), and `docmock generate`
counts them, so a maintainer sees which shapes came from words.
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from .errors import Diagnostic
from .model import Schema

_INT32_IDS = Schema(type="array", items=Schema(type="integer", format="int32"))
_STRING_VALUES = Schema(type="object", additional=Schema(type="string"))

# "Collection of ids", "The primary keys.", "List of contact ids", "The identities of ...".
_IDS = re.compile(r"\b(?:collection|list|array|set)\s+of\s+(?:\w+\s+)?ids\b|\bprimary\s+keys\b|\bidentities\b"
                  r"|\bids\s+of\b", re.I)
# "An array with ContactSummary objects", "A collection of SaleEntity", "Array of TableRight items". The type
# word is PascalCase: "a collection of the person's emails" names no type.
_ARRAY_OF = re.compile(r"\b(?i:an?\s+)?(?i:array|collection|list)\s+(?i:with|of)\s+(?i:the\s+)?"
                       r"([A-Z][A-Za-z0-9]*[a-z][A-Za-z0-9]*(?:\.[A-Z][A-Za-z0-9]*)*)\b"
                       r"(?:\s+(?:objects?|items?|carriers?|entities))?")
# "A StringDictionary with ...", "Parameters passed as variables", "Dictionary of strings".
_STRING_DICTIONARY = re.compile(r"\bStringDictionary\b|\bpassed\s+as\s+variables\b|\bdictionary\s+of\s+strings\b",
                                re.I)
_NOTE = re.compile(r"\(prose rule: ([a-z-]+)\)$")
_NOT_TYPES = frozenset({"The", "An", "A", "All", "Each", "Returns", "Id", "Ids"})


@dataclass(frozen=True, slots=True)
class ProseShape:
    rule: str            # which rule read it: ids | array-of | string-dictionary
    schema: Schema | None = None
    carrier: str = ""    # array-of: the items' carrier, to be named (and merged) by the caller

    def describe(self) -> str:
        if self.rule == "ids":
            return "an array of int32 ids"
        if self.rule == "array-of":
            return f"an array of {self.carrier}"
        return "an object with string values"


def shape_from_prose(container: str, description: str) -> ProseShape | None:
    """What `description` says of a value whose Type cell says only `container` (array, object), else None."""
    text = " ".join(description.split())
    if container == "array":
        if _IDS.search(text):
            return ProseShape("ids", _INT32_IDS)
        found = _ARRAY_OF.search(text)
        if found and found.group(1) not in _NOT_TYPES:
            return ProseShape("array-of", carrier=found.group(1).rsplit(".", 1)[-1])
    if container == "object" and _STRING_DICTIONARY.search(text):
        return ProseShape("string-dictionary", _STRING_VALUES)
    return None


def note(name: str, shape: ProseShape, description: str) -> str:
    quoted = " ".join(description.split())
    quoted = quoted if len(quoted) <= 80 else quoted[:77] + "..."
    return f"{name}: {shape.describe()}, from its description \"{quoted}\" (prose rule: {shape.rule})"


def rule_counts(diagnostics: Iterable[Diagnostic]) -> Counter[str]:
    """How often each prose rule fired, from the notes the generator wrote."""
    return Counter(m.group(1) for d in diagnostics if (m := _NOTE.search(d.message)))
