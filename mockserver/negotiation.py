"""Content negotiation: parsing media types and Accept headers, and choosing what to send."""
from __future__ import annotations

from collections.abc import Sequence

JSON_PREFERENCE = ("application/json", "text/json")
_CACHE_LIMIT = 4096


def structured_kind(media: str) -> str | None:
    """"json" or "xml" for a media type (a media key) that carries one of them, else None."""
    if media in ("application/json", "text/json") or media.endswith("+json"):
        return "json"
    if media in ("application/xml", "text/xml") or media.endswith("+xml"):
        return "xml"
    return None


def media_key(value: str) -> str:
    """`Application/JSON; charset=utf-8` -> `application/json`."""
    return value.split(";", 1)[0].strip().lower()


def is_json_media(content_type: str | None) -> bool:
    """Whether a Content-Type header value announces JSON (`application/json`, `text/json`, `...+json`)."""
    return bool(content_type) and structured_kind(media_key(content_type or "")) == "json"


def parse_accept(header: str) -> list[tuple[str, float]]:
    """Media ranges in preference order (q descending, then as written); malformed q counts as 0."""
    ranges: list[tuple[str, float, int]] = []
    for i, part in enumerate(header.split(",")):
        bits = part.split(";")
        media = bits[0].strip().lower()
        if not media:
            continue
        q = 1.0
        for param in bits[1:]:
            name, _, val = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(val.strip())
                except ValueError:
                    q = 0.0
        ranges.append((media, q, i))
    ranges.sort(key=lambda x: (-x[1], x[2]))
    return [(m, q) for m, q, _ in ranges]


def _matches(pattern: str, media: str) -> bool:
    if pattern in ("*/*", "*"):
        return True
    if pattern.endswith("/*"):
        return media.startswith(pattern[:-1])
    return pattern == media


def _default(available: Sequence[str]) -> str:
    return next((m for m in JSON_PREFERENCE if m in available), available[0])


class Negotiator:
    """Picks a response media type from an operation's offers; results are memoised per (Accept, offers)."""

    def __init__(self) -> None:
        self._memo: dict[tuple[str, tuple[str, ...]], str | None] = {}

    def choose(self, accept: str | None, available: tuple[str, ...]) -> str | None:
        """The media type to send, or None when nothing acceptable is on offer (-> 406)."""
        if not accept:
            return _default(available)
        key = (accept, available)
        hit = self._memo.get(key, "")
        if hit != "":
            return hit
        result = self._choose(accept, available)
        if len(self._memo) < _CACHE_LIMIT:
            self._memo[key] = result
        return result

    @staticmethod
    def _choose(accept: str, available: tuple[str, ...]) -> str | None:
        for pattern, q in parse_accept(accept):
            if q <= 0:
                continue
            if pattern in ("*/*", "*"):
                return _default(available)
            # Exact offers first, then wildcard offers such as image/*.
            for media in available:
                if _matches(pattern, media):
                    return media
            for media in available:
                if media.endswith("/*") and _matches(media, pattern) and "*" not in pattern:
                    return pattern
        return None
