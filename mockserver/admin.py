"""The admin endpoints under `/__docmock/`: the state (reset, snapshot, sessions), the lifecycles' clock, the
request journal and the start-up report."""
from __future__ import annotations

import hmac
import json
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qs, urlsplit

from starlette.concurrency import run_in_threadpool

from .context import Reply, problem_reply
from .journal import Journal, Query
from .problems import Problem, Violation
from .state import DEFAULT_SESSION, StateEngine, session_name
from .state.lifecycle import parse_offset

ADMIN_PREFIX = "/__docmock/"
# Bearer, not Basic: a browser would answer a Basic challenge to the console's fetch with its own login dialog.
ADMIN_CHALLENGE = 'Bearer realm="docmock admin"'
_ENDPOINTS = {"reset": ("POST",), "state": ("GET", "HEAD"), "sessions": ("GET", "HEAD"),
              "requests": ("GET", "HEAD", "DELETE"), "clock": ("GET", "HEAD", "POST"), "report": ("GET", "HEAD")}


def _json(status: int, value: Any) -> Reply:
    # A journaled body may hold half a surrogate pair: written as the JSON escape it came in as.
    return Reply(status, [(b"content-type", b"application/json")],
                 json.dumps(value, ensure_ascii=False, default=str).encode("utf-8", "backslashreplace"))


def _foreign_origin(headers: Mapping[str, str]) -> str | None:
    """The Origin of a browser page of another site, or None. A page anywhere on the web could otherwise read
    the state and reset it through the visitor's browser (a POST needs no CORS to be sent)."""
    origin = headers.get("origin")
    if origin is None:
        return None
    own = headers.get("host", "").lower()
    return None if own and urlsplit(origin).netloc.lower() == own else origin


def admin_credentials(credentials: Iterable[str], admin_token: str | None) -> frozenset[bytes]:
    """The Authorization values the admin endpoints accept (`_normal`): `Bearer TOKEN` for --admin-token, and
    each of the API's --credential values, a bare one (an API key) also as a Bearer token; none (open to
    whoever reaches the port) when neither is set."""
    values = [*credentials, *(f"Bearer {c}" for c in credentials if c.strip() and len(c.split()) == 1)]
    if admin_token:
        values.append(f"Bearer {admin_token}")
    return frozenset(_normal(v.encode("utf-8")) for v in values)


def _normal(value: bytes) -> bytes:
    """An Authorization value as compared: its scheme in lower case (schemes have no case), the rest exact."""
    scheme, space, rest = value.strip().partition(b" ")
    return scheme.lower() + space + rest.strip() if space else value.strip()


def _authorized(headers: Mapping[str, str], accepted: frozenset[bytes]) -> bool:
    # Headers arrive as Latin-1 text: back to the bytes the client sent (a UTF-8 token stays UTF-8).
    given = _normal(headers.get("authorization", "").encode("latin-1", "replace"))
    # Compared in constant time: how long a refusal takes must not tell how much of a token was right.
    return any(hmac.compare_digest(given, value) for value in accepted)


class Admin:
    """Answers `/__docmock/...` requests. `on_reset` hears every reset (faults start their sequences again).
    `accepted`: the Authorization values a request needs (`admin_credentials`); empty, none is needed."""

    def __init__(self, state: StateEngine | None, journal: Journal | None,
                 on_reset: Callable[[str | None], None] | None = None,
                 report: Callable[[], dict[str, Any]] | None = None, accepted: frozenset[bytes] = frozenset()) -> None:
        self.state = state
        self.journal = journal
        self.on_reset = on_reset
        self.report = report
        self.accepted = accepted

    async def handle(self, method: str, path: str, query_string: bytes, headers: Mapping[str, str]) -> Reply:
        foreign = _foreign_origin(headers)
        if foreign is not None:
            return problem_reply(Problem(403, f"the admin endpoints answer their own origin and clients that send "
                                              f"no Origin (curl, tests), not a page of {foreign}"))
        if self.accepted and not _authorized(headers, self.accepted):
            return problem_reply(Problem(
                401, "the admin endpoints need credentials: an Authorization header with the --admin-token as a "
                     "Bearer token, or one of the --credential values",
                headers=(("WWW-Authenticate", ADMIN_CHALLENGE),)))
        name = path[len(ADMIN_PREFIX):]
        allowed = _ENDPOINTS.get(name)
        if allowed is None:
            names = ", ".join(ADMIN_PREFIX + n for n in _ENDPOINTS)
            return problem_reply(Problem(404, f"no admin endpoint {path}; there are {names}"))
        if method not in allowed:
            allow = ", ".join(allowed)
            return problem_reply(Problem(405, f"{method} is not supported for {path}; allowed: {allow}",
                                         headers=(("Allow", allow),)))
        params = parse_qs(query_string.decode("latin-1"), keep_blank_values=True)
        raw_session = (params.get("session") or [None])[-1]
        # `?session=` names a session as the header does: blank is the default session.
        session = session_name(raw_session) if raw_session is not None else None
        if name == "requests":
            journal = self.journal
            if journal is not None and journal.blocks:  # a shared journal waits on Redis
                return await run_in_threadpool(self._requests, method, params, session)
            return self._requests(method, params, session)
        if name == "report":
            return _json(200, self.report() if self.report is not None else {})
        if name == "reset":
            if self.state is not None:
                await self._store(self.state.reset, session)
            if self.on_reset is not None:
                self.on_reset(session)
            return Reply(204, [], b"")
        if self.state is None:
            return problem_reply(Problem(404, "this mock keeps no state (started with --no-state)"))
        if name == "clock":
            return await self._clock(method, params, session or DEFAULT_SESSION)
        if name == "sessions":
            return _json(200, {"sessions": await self._store(self.state.sessions, session)})
        return _json(200, await self._store(self.state.snapshot, session))

    async def _clock(self, method: str, params: dict[str, list[str]], session: str) -> Reply:
        """GET: a session's clock; POST `?advance=+10s`: move it (the lifecycles see the new time at once)."""
        assert self.state is not None
        if method == "POST":
            raw = (params.get("advance") or [""])[-1]
            seconds = parse_offset(raw) if raw else None
            if seconds is None:
                message = f"advance={raw!r} is not an offset such as 10s, 2m or -1h, within a hundred years"
                return problem_reply(Problem(400, message, (Violation("query.advance", message),)))
            engine = self.state
            moved = await self._store(lambda s: engine.advance_clock(s, seconds), session)
            if moved is None:
                message = f"advance={raw!r} would move the clock more than a hundred years"
                return problem_reply(Problem(400, message, (Violation("query.advance", message),)))
        offset = await self._store(self.state.time.offset, session)
        now = self.state.time.real() + offset
        return _json(200, {"session": session, "offsetSeconds": offset,
                           "now": datetime.fromtimestamp(now, timezone.utc).isoformat(timespec="seconds")})

    async def _store(self, call: Callable[[str | None], Any], session: str | None) -> Any:
        """A call on the store; one that may wait for another process (a shared SQLite file) goes to a thread."""
        assert self.state is not None
        return await run_in_threadpool(call, session) if self.state.blocking else call(session)

    def _requests(self, method: str, params: dict[str, list[str]], session: str | None) -> Reply:
        journal = self.journal
        if journal is None:
            return problem_reply(Problem(404, "the request journal is off (started with --journal-size 0)"))
        if method == "DELETE":
            journal.clear(session)
            return Reply(204, [], b"")
        try:
            query = Query.from_params({**params, "session": [session]} if session is not None else params)
        except ValueError as exc:
            name = str(exc).split("=", 1)[0]
            return problem_reply(Problem(400, str(exc), (Violation(f"query.{name}", str(exc)),)))
        entries = journal.entries(query)
        return _json(200, {"requests": [journal.to_json(e) for e in entries], "count": len(entries),
                           "lastId": journal.last_id, "capacity": journal.size})
