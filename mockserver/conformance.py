"""Checking an answer against the operation's documented responses: status, media type, body schema, headers."""
from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from jsonschema import Draft202012Validator

from .negotiation import media_key, structured_kind
from .problems import Violation
from .spec import OperationSpec, deref
from .validation import BrokenSchema, SchemaCompiler, schema_violations
from .xmlcodec import XmlBodyError, parse_xml

MAX_VIOLATIONS = 20  # an answer that breaks everything is reported by its first problems


def _media_matches(documented: str, actual: str) -> bool:
    if documented in ("*/*", actual):
        return True
    return documented.endswith("/*") and actual.startswith(documented[:-1])


class ResponseChecker:
    """One operation's documented responses, with a validator compiled per media type on first use."""

    def __init__(self, op: OperationSpec, compiler: SchemaCompiler) -> None:
        self.op = op
        self.compiler = compiler
        self.documented = list(op.responses)
        self._validators: dict[tuple[str, str], Draft202012Validator] = {}

    def _response(self, status: int) -> tuple[str, Mapping[str, Any]] | None:
        """The documented response for a status: the code itself, its range (`4XX`), else `default`."""
        responses = self.op.responses
        text = str(status)
        for key in (text, f"{text[0]}XX", f"{text[0]}xx", "default"):
            if key in responses:
                found = deref(self.compiler.doc, responses[key])
                return key, found if isinstance(found, Mapping) else {}
        return None

    def check(self, status: int, headers: Mapping[str, str], body: bytes, method: str = "GET") -> list[Violation]:
        """Every way the answer differs from the docs; `headers` by lower-case name."""
        found = self._response(status)
        if found is None:
            return [Violation("response.status", f"{status} is not documented for {self.op.operation_id}; "
                                                 f"documented: {', '.join(self.documented) or 'none'}")]
        code, response = found
        out: list[Violation] = []
        for name, header in (response.get("headers") or {}).items():
            header = deref(self.compiler.doc, header)
            if isinstance(header, Mapping) and header.get("required") and name.lower() != "content-type" \
                    and name.lower() not in headers:
                out.append(Violation(f"response.header.{name}", "required header is missing"))
        content = response.get("content") or {}
        if not content or method == "HEAD" or status in (204, 304):
            return out
        raw_type = headers.get("content-type")
        if not body:
            out.append(Violation("response.body", f"empty, but the docs give {code} a body "
                                                  f"({', '.join(content)})"))
            return out
        if raw_type is None:
            out.append(Violation("response.header.Content-Type", f"missing; documented: {', '.join(content)}"))
            return out
        actual = media_key(raw_type)
        media = next((m for m in content if _media_matches(media_key(m), actual)), None)
        if media is None:
            out.append(Violation("response.header.Content-Type", f"{actual} is not documented for {code}; "
                                                                 f"documented: {', '.join(content)}"))
            return out
        schema = (content[media] or {}).get("schema") if isinstance(content[media], Mapping) else None
        kind = structured_kind(actual)
        if kind == "json":
            try:
                value = json.loads(body)
            except ValueError as exc:
                out.append(Violation("response.body", f"not valid JSON: {exc}"))
                return out
            if schema is not None:
                try:
                    out.extend(schema_violations(self._validator(code, media, schema), value, "response.body"))
                except BrokenSchema as exc:
                    out.append(Violation("response.body", str(exc)))
        elif kind == "xml":
            # XML cannot carry JSON types faithfully (see validation.py): it is checked for well-formedness only.
            try:
                parse_xml(body, schema or {}, self.compiler.xml)
            except XmlBodyError as exc:
                out.append(Violation("response.body", f"not well-formed XML: {exc}"))
        return out[:MAX_VIOLATIONS]

    def _validator(self, code: str, media: str, schema: Any) -> Draft202012Validator:
        key = (code, media)
        validator = self._validators.get(key)
        if validator is None:
            validator = self._validators[key] = self.compiler.validator(schema)
        return validator
