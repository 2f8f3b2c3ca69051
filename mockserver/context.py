"""What one request carries through the server: the ASGI types, the request context the steps share, the reply."""
from __future__ import annotations

import random
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from .prefer import NO_PREFERENCE, Preferences
from .problems import PROBLEM_TYPE, Problem
from .state import SESSION_HEADER, session_name

if TYPE_CHECKING:
    from .responses import MediaPlan, StatusPlan

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
Headers = list[tuple[bytes, bytes]]

# Where the layers find what the dispatcher learnt about a request (Starlette keeps `scope["route"]` the same way).
TRACE_KEY = "docmock.trace"
_HEADERS_KEY = "docmock.headers"
UNSET: Any = type("Unset", (), {"__repr__": lambda self: "UNSET", "__slots__": ()})()


def request_headers(scope: Scope) -> dict[str, str]:
    """The request's headers by lower-case name (repeated ones joined with ", "), parsed once per request."""
    headers = scope.get(_HEADERS_KEY)
    if headers is None:
        headers = {}
        for k, v in scope["headers"]:
            name = k.decode("latin-1").lower()
            value = v.decode("latin-1")
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        scope[_HEADERS_KEY] = headers
    return headers


@dataclass(slots=True)
class Reply:
    """A whole answer, sent as one start and one body message. `drop` closes the connection before the body;
    `length` is the Content-Length when it is not the body's (a proxied answer to HEAD)."""

    status: int
    headers: Headers
    body: bytes
    drop: bool = False
    length: int | None = None


class ClientGone(Exception):
    """The client went away before its request was whole: there is no one left to answer."""


def problem_reply(problem: Problem) -> Reply:
    headers: Headers = [(b"content-type", PROBLEM_TYPE.encode())]
    headers.extend((k.lower().encode(), v.encode("latin-1", "replace")) for k, v in problem.headers)
    return Reply(problem.status, headers, problem.body())


async def send_reply(scope: Scope, send: Send, reply: Reply) -> None:
    """Send the reply, and note its status in the request's trace for the layers outside."""
    trace = scope.get(TRACE_KEY)
    if trace is not None:
        trace.status = 0 if reply.drop else reply.status  # 0: the client never got an answer
    length = len(reply.body) if reply.length is None else reply.length
    headers = [*reply.headers, (b"content-length", str(length).encode())]
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    if reply.drop:
        # Returning without the body makes the ASGI server close the connection mid-answer, which is what a
        # client sees when a real server or a proxy in between goes away.
        return
    await send({"type": "http.response.body", "body": reply.body})


class Trace:
    """A request's record for the layers outside the dispatcher (the journal, the access log): which operation
    answered, the body it read, the status sent, what a proxied exchange broke of the spec, the fault injected.
    The app puts one in the scope of every request; whoever answers fills it in (see `send_reply`), so no layer
    has to wrap `send` to learn the status.

    It is kept apart from the RequestContext on purpose: the context holds the scope and `receive` (which holds
    the scope again), so a context kept in the scope would make every request a reference cycle, left for the
    garbage collector to find (hundreds of collections a minute at full load).
    """

    __slots__ = ("operation_id", "body", "status", "violations", "fault", "warnings")

    def __init__(self) -> None:
        self.operation_id = "-"
        self.body: bytes | None = None
        self.status = 0
        self.violations: list[str] = []
        self.fault: str | None = None
        self.warnings: list[str] = []  # what the answer accepted against the docs (a `Warning` header each)


class RequestContext:
    """One request as the per-operation steps see it; each step reads what earlier steps filled in.

    A plain class with slots, not a dataclass: one is made per request, and the defaults cost nothing here.
    """

    __slots__ = ("scope", "receive", "method", "path", "headers", "endpoint", "path_params", "query", "cookies",
                 "body", "parsed_body", "body_typed", "prefs", "plan", "status", "media", "value", "rng", "trace", "shaped")

    def __init__(self, scope: Scope, receive: Receive, headers: dict[str, str], endpoint: Any,
                 path_params: dict[str, str]) -> None:
        trace = self.trace = scope[TRACE_KEY]  # MockApp puts one in every request's scope
        if endpoint is not None:
            trace.operation_id = endpoint.op.operation_id
        self.scope = scope
        self.receive = receive
        self.method: str = scope["method"]
        self.path: str = scope["path"]
        self.headers = headers
        self.endpoint = endpoint  # the routed operation (app.Endpoint); None for an undocumented proxied request
        self.path_params = path_params
        raw_query = scope.get("query_string") or b""
        self.query: dict[str, list[str]] = parse_qs(raw_query.decode("latin-1"), keep_blank_values=True) \
            if raw_query else {}
        self.cookies: dict[str, str] | None = None
        self.body: bytes | None = None         # the raw body, once read (see `take_body`)
        self.parsed_body: Any = None          # the body as the spec's types, once validated
        self.body_typed = True                # False: XML or form text that does not fit the spec's types
        self.prefs: Preferences = NO_PREFERENCE
        self.plan: StatusPlan | None = None   # the documented response to answer with
        self.status: int | None = None        # a status the state chose (404, 409 ...), else the plan's
        self.media: MediaPlan | None = None   # the representation negotiated for `plan`
        self.value: Any = UNSET               # the answer's data, once the state or the generator made it
        self.rng: random.Random | None = None
        self.shaped = False                   # the value has its columns chosen already (an OData list's rows)

    @property
    def operation_id(self) -> str:
        return self.trace.operation_id

    def take_body(self, body: bytes) -> None:
        """Keep the body that was read, for the steps and for the trace (the journal shows it)."""
        self.body = self.trace.body = body

    @property
    def session(self) -> str:
        return session_name(self.headers.get(SESSION_HEADER))

    def cookie_jar(self) -> dict[str, str]:
        if self.cookies is None:
            self.cookies = parse_cookies(self.headers.get("cookie"))
        return self.cookies


def parse_cookies(header: str | None) -> dict[str, str]:
    if not header:
        return {}
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(header)
    except Exception:  # malformed cookies are the client's problem; treat them as absent
        return {}
    return {k: m.value for k, m in jar.items()}


async def read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole request body, or None as soon as it grows past `limit` bytes. Raises ClientGone when the client
    disconnects first: half a body must not pass for a whole one."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunk = message.get("body", b"")
        if chunk:
            size += len(chunk)
            if size > limit:
                return None
            chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)
