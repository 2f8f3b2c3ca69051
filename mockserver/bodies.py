"""Message bodies inside JSON documents (the journal, recordings): a JSON body as its value, other text as a
string, anything else in base64, and back."""
from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

from .negotiation import media_key, structured_kind

BASE64 = "base64"


def _is_json(content_type: str | None) -> bool:
    return bool(content_type) and structured_kind(media_key(content_type or "")) == "json"


def body_fields(body: bytes, content_type: str | None) -> dict[str, Any]:
    """`{"body": value}`, with `"bodyEncoding": "base64"` when the bytes are not text; an empty body is null."""
    if not body:
        return {"body": None}
    if _is_json(content_type):
        try:
            return {"body": json.loads(body)}
        except ValueError:
            pass
    try:
        return {"body": body.decode("utf-8")}
    except UnicodeDecodeError:
        return {"body": base64.b64encode(body).decode("ascii"), "bodyEncoding": BASE64}


def body_bytes(fields: Mapping[str, Any], content_type: str | None) -> bytes:
    """The bytes `body_fields` described (a JSON value comes back compact, not byte for byte)."""
    body = fields.get("body")
    if body is None:
        return b""
    if fields.get("bodyEncoding") == BASE64:
        return base64.b64decode(body)
    if isinstance(body, str) and not _is_json(content_type):
        return body.encode("utf-8")
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
