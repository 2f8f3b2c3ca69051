"""The documented samples' vocabulary: identifier-like values (`AnonymousAssociate`, `System.String`) the docs'
own examples give a plain string property, which then form that property's pool of values.

Reference pages type many enums as `string` (the agent pages, every carrier known only from a sample), so a
generated word such as "interview" in `Associate.Type` breaks any client that switches on the real values. The
samples show real ones: the mock answers with those instead.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from .errors import SpecError
from .spec import follow_refs

# A code, not prose: `AnonymousAssociate`, `Center`, `inDiary`, `System.String`. Lorem-ipsum filler in the
# samples is lower case (`natus`), sentences hold spaces, and dates and numbers hold no letter first.
_IDENTIFIER = re.compile(r"(?:[A-Z][A-Za-z0-9]*|[a-z]+(?:[A-Z][a-z0-9]*)+)(?:\.[A-Z][A-Za-z0-9]*)*")
_MAX_LENGTH = 64
# Keywords that make a string something else than a free word: its values come from them, not from samples.
_CONSTRAINED = ("enum", "const", "format", "pattern")
_MAX_DEPTH = 50  # of an example walked: a sample nests a handful of levels, a cycle in the schema no further


def is_identifier_like(value: Any) -> bool:
    return isinstance(value, str) and len(value) <= _MAX_LENGTH and _IDENTIFIER.fullmatch(value) is not None


def extends_enum(value: str, codes: Iterable[str]) -> bool:
    """Whether `value` looks like a newer member of the enum `codes`: a documented code followed by more words
    (`SucceededManualCleanup` after `Succeeded`, `Postponed1Hour` after `Postponed`). An API's enums grow that
    way; a typo, a word from elsewhere (`Nonsense`) or two codes run together (`NewFailed`) do not."""
    if not is_identifier_like(value) or "." in value:
        return False
    known = set(codes)
    return any(value.startswith(code) and len(value) > len(code) and _NEXT_WORD.match(value, len(code))
               and value[len(code):] not in known for code in known)


_NEXT_WORD = re.compile(r"[A-Z][a-z]|[0-9]")


def sample_vocabulary(doc: Mapping[str, Any]) -> dict[int, tuple[str, ...]]:
    """For each plain string schema (by identity) that an example of `doc` gives identifier-like values, those
    values in the order the document first shows them."""
    found: dict[int, dict[str, None]] = {}
    for schema, value in _examples(doc):
        _collect(doc, schema, value, found, 0)
    return {key: tuple(values) for key, values in found.items()}


def _examples(doc: Mapping[str, Any]) -> Iterator[tuple[Any, Any]]:
    """(schema, example value) for every example of a request body or response in `doc`."""
    paths = doc.get("paths")
    for item in paths.values() if isinstance(paths, Mapping) else ():
        for operation in item.values() if isinstance(item, Mapping) else ():
            if not isinstance(operation, Mapping):
                continue
            bodies = [operation.get("requestBody")]
            responses = operation.get("responses")
            bodies.extend(responses.values() if isinstance(responses, Mapping) else ())
            for body in bodies:
                content = body.get("content") if isinstance(body, Mapping) else None
                for media in content.values() if isinstance(content, Mapping) else ():
                    if isinstance(media, Mapping):
                        yield from _media_examples(media)


def _media_examples(media: Mapping[str, Any]) -> Iterator[tuple[Any, Any]]:
    schema = media.get("schema")
    if "example" in media:
        yield schema, media["example"]
    examples = media.get("examples")
    for example in examples.values() if isinstance(examples, Mapping) else ():
        if isinstance(example, Mapping) and "value" in example:
            yield schema, example["value"]


def _collect(doc: Mapping[str, Any], schema: Any, value: Any, found: dict[int, dict[str, None]], depth: int) -> None:
    schema = _target(doc, schema)
    if not isinstance(schema, Mapping) or depth > _MAX_DEPTH:
        return
    if isinstance(value, str):
        if _plain_string(schema) and is_identifier_like(value):
            found.setdefault(id(schema), {})[value] = None
    elif isinstance(value, list):
        items = schema.get("items")
        for item in value:
            _collect(doc, items, item, found, depth + 1)
    elif isinstance(value, Mapping):
        properties = schema.get("properties")
        properties = properties if isinstance(properties, Mapping) else {}
        additional = schema.get("additionalProperties")
        for key, item in value.items():
            sub = properties.get(key, additional)
            _collect(doc, sub, item, found, depth + 1)


def _target(doc: Mapping[str, Any], schema: Any) -> Any:
    """The schema a chain of `$ref`s leads to; None for a reference that leads nowhere."""
    try:
        return follow_refs(doc, schema)
    except SpecError:
        return None


def _plain_string(schema: Mapping[str, Any]) -> bool:
    types = schema.get("type")
    is_string = types == "string" or (isinstance(types, list) and "string" in types)
    return is_string and not any(key in schema for key in _CONSTRAINED)
