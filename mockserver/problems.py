"""RFC 9457 problem details: the one shape every error response of the mock takes."""
from __future__ import annotations

import json
from dataclasses import dataclass, field

PROBLEM_TYPE = "application/problem+json"

# One stable `type` URI per kind of problem, so clients can branch on it without parsing `detail`.
_TYPES: dict[int, tuple[str, str]] = {
    400: ("urn:docmock:problem:invalid-request", "Invalid request"),
    401: ("urn:docmock:problem:unauthorized", "Unauthorized"),
    404: ("urn:docmock:problem:not-found", "Not found"),
    405: ("urn:docmock:problem:method-not-allowed", "Method not allowed"),
    406: ("urn:docmock:problem:not-acceptable", "Not acceptable"),
    408: ("urn:docmock:problem:request-timeout", "Request timeout"),
    413: ("urn:docmock:problem:body-too-large", "Request body too large"),
    415: ("urn:docmock:problem:unsupported-media-type", "Unsupported media type"),
    500: ("urn:docmock:problem:internal-error", "Internal mock server error"),
    502: ("urn:docmock:problem:bad-gateway", "The proxied server did not answer"),
    503: ("urn:docmock:problem:store-unavailable", "The state store is unavailable"),
}


@dataclass(frozen=True, slots=True)
class Violation:
    """One thing wrong with a request: where (`path.id`, `query.$top`, `body.State`) and what."""

    location: str
    message: str


@dataclass(frozen=True, slots=True)
class Problem:
    """An error response: status, a human `detail`, every violation, and extra headers (Allow, WWW-Authenticate).
    `type_uri` names a kind the status alone does not (a 503 for too many connections, not an unreachable store)."""

    status: int
    detail: str
    errors: tuple[Violation, ...] = ()
    headers: tuple[tuple[str, str], ...] = field(default=())
    title: str | None = None
    type_uri: str | None = None

    def to_dict(self) -> dict[str, object]:
        type_uri, title = _TYPES.get(self.status, ("about:blank", "Error"))
        out: dict[str, object] = {"type": self.type_uri or type_uri, "title": self.title or title,
                                  "status": self.status,
                                  "detail": self.detail}
        if self.errors:
            out["errors"] = [{"location": v.location, "message": v.message} for v in self.errors]
        return out

    def body(self) -> bytes:
        return json.dumps(self.to_dict(), ensure_ascii=False).encode()
