"""Parsing the Prism-compatible `Prefer` header (`code=404, example=sample, dynamic=true`), and docmock's own
`delay=500` and `at=+10s` (the request is answered as if the session's clock were that much later)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Preferences:
    """What the client asked for; None means "no preference". `delay` is kept as written (`500`, `1.5s`)."""

    code: str | None = None
    example: str | None = None
    dynamic: bool = False
    delay: str | None = None
    at: str | None = None


NO_PREFERENCE = Preferences()


def parse_prefer(header: str | None) -> Preferences:
    if not header:
        return NO_PREFERENCE
    values: dict[str, str] = {}
    # RFC 7240 separates preferences with commas; Prism users also write semicolons.
    for token in header.replace(";", ",").split(","):
        name, sep, value = token.strip().partition("=")
        if name:
            values[name.strip().lower()] = value.strip().strip('"') if sep else "true"
    return Preferences(
        code=values.get("code") or None,
        example=values.get("example") or None,
        dynamic=values.get("dynamic", "false").lower() == "true",
        delay=values.get("delay") or None,
        at=values.get("at") or None,
    )
