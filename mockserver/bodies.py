"""Message bodies inside JSON documents (the journal, recordings): a JSON body as its value, other text as a
string, anything else in base64, and back."""
from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

from .negotiation import is_json_media

BASE64 = "base64"
TEXT = "text"  # a body its Content-Type calls JSON that is not: kept as the text it is


def body_fields(body: bytes, content_type: str | None) -> dict[str, Any]:
    """`{"body": value}`, with `"bodyEncoding": "base64"` when the bytes are not text, or `"text"` when a body
    labelled JSON is not JSON; an empty body is null."""
    if not body:
        return {"body": None}
    labelled_json = is_json_media(content_type)
    if labelled_json:
        try:
            value = json.loads(body)
            json.dumps(value, allow_nan=False)  # 1E400 reads as infinity, which JSON cannot say: keep the text
            return {"body": value}
        except (ValueError, RecursionError):
            pass
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return {"body": base64.b64encode(body).decode("ascii"), "bodyEncoding": BASE64}
    return {"body": text, "bodyEncoding": TEXT} if labelled_json else {"body": text}


def body_bytes(fields: Mapping[str, Any], content_type: str | None) -> bytes:
    """The bytes `body_fields` described (a JSON value comes back compact, not byte for byte)."""
    body = fields.get("body")
    if body is None:
        return b""
    encoding = fields.get("bodyEncoding")
    if encoding == BASE64:
        return base64.b64decode(body)
    if isinstance(body, str) and (encoding == TEXT or not is_json_media(content_type)):
        return body.encode("utf-8")
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
