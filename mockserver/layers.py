"""The ASGI shell around the mock: one middleware layer per concern, composed the way Starlette composes its own.

Each layer is an ASGI app wrapping the next. A layer that needs to see the answer wraps `send`; one that has
nothing to do for a request passes it on untouched, so an unused concern costs one call.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable

from starlette.concurrency import run_in_threadpool

from .context import (TRACE_KEY, ASGIApp, Message, Receive, Reply, Scope, Send, Trace, problem_reply,
                      request_headers, send_reply)
from .admin import ADMIN_PREFIX
from .journal import Journal
from .problems import Problem
from .state.errors import StoreUnavailable

logger = logging.getLogger("docmock.mockserver")


class _Watching:
    """A layer that hears about each request once it is answered: its trace (status and all) and how long it
    took. `watches` says whether this request is watched at all."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    def watches(self, scope: Scope) -> bool:
        return True

    def seen(self, scope: Scope, trace: Trace, milliseconds: float) -> None:
        raise NotImplementedError

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.watches(scope):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        try:
            await self.app(scope, receive, send)
        finally:
            self.seen(scope, scope[TRACE_KEY], (time.perf_counter() - started) * 1000)


class AccessLog(_Watching):
    """One line per request at INFO: `GET /api/v1/BatchTask/42 v1Batch_GetBatchTaskInfo 200 0.9ms`."""

    def watches(self, scope: Scope) -> bool:
        return logger.isEnabledFor(logging.INFO)

    def seen(self, scope: Scope, trace: Trace, milliseconds: float) -> None:
        extra = f" fault={trace.fault}" if trace.fault else ""
        if trace.violations:  # the proxy logs what they are, as a warning
            extra += f" {len(trace.violations)} violation(s)"
        logger.info("%s %s %s %s %.1fms%s", scope["method"], scope["path"], trace.operation_id,
                    trace.status or "-", milliseconds, extra)  # "-": no answer (a dropped connection)


class JournalLayer:
    """Keeps every answered request in the journal, except the journal's own admin requests.

    The entry is written before the last part of the answer is sent, so a client that has its answer finds it
    in the journal, from this replica or any other when the journal is shared (then written on a thread: it
    waits on Redis). A request that ends without a complete answer is kept when it ends. A journal out of
    reach costs the entry, never the answer."""

    def __init__(self, app: ASGIApp, journal: Journal) -> None:
        self.app = app
        self.journal = journal

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["path"].startswith(ADMIN_PREFIX):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        kept = False

        async def keep() -> None:
            nonlocal kept
            kept = True
            trace, milliseconds = scope[TRACE_KEY], (time.perf_counter() - started) * 1000
            try:
                if self.journal.blocks:
                    await run_in_threadpool(self.journal.record, scope, trace, milliseconds)
                else:
                    self.journal.record(scope, trace, milliseconds)
            except StoreUnavailable as exc:
                store_outage.warn(str(exc))

        async def keeping(message: Message) -> None:
            if message["type"] == "http.response.body" and not message.get("more_body") and not kept:
                await keep()
            await send(message)

        try:
            await self.app(scope, receive, keeping)
        finally:
            if not kept:
                await keep()


class OncePerInterval:
    """A warning logged at most once per `seconds`, with how many were left out: an outage of the store makes
    every request fail the same way, and a line per request would bury the log (so does a process out of file
    descriptors, failing every accept: docmock/connections.py)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._last = -seconds
        self._quiet = 0

    def warn(self, message: str) -> None:
        now = time.monotonic()
        if now - self._last < self.seconds:
            self._quiet += 1
            return
        more = f" ({self._quiet} more in the {now - self._last:.0f}s since the last warning)" if self._quiet else ""
        logger.warning("%s%s", message, more)
        self._last, self._quiet = now, 0


store_outage = OncePerInterval(10.0)


class Cors:
    """Answers preflights and lets the configured origins read answers (`*` echoes any origin)."""

    def __init__(self, app: ASGIApp, origins: tuple[str, ...], methods_for: Callable[[str], tuple[str, ...]]) -> None:
        self.app = app
        self.any_origin = "*" in origins
        self.origins = frozenset(origins)
        self.methods_for = methods_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = request_headers(scope)
        origin = headers.get("origin")
        # The admin endpoints are for the console (same origin) and for tools, never for other sites' pages.
        if origin is None or not (self.any_origin or origin in self.origins) or scope["path"].startswith(ADMIN_PREFIX):
            await self.app(scope, receive, send)
            return
        if scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            await send_reply(scope, send, self._preflight(scope["path"], headers))
            return
        allow = [(b"access-control-allow-origin", origin.encode("latin-1")),
                 (b"access-control-expose-headers", b"*"), (b"vary", b"Origin")]

        async def allowed(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                # A proxied server may answer CORS itself: two Allow-Origin headers would make browsers refuse.
                if not any(k.lower() == b"access-control-allow-origin" for k, _ in headers):
                    message["headers"] = [*headers, *allow]
            await send(message)

        await self.app(scope, receive, allowed)

    def _preflight(self, path: str, headers: dict[str, str]) -> Reply:
        methods = self.methods_for(path) or ("GET", "POST", "PUT", "PATCH", "DELETE")
        out = [(b"access-control-allow-methods", ", ".join(methods).encode()),
               (b"access-control-max-age", b"600"),
               (b"access-control-allow-origin", headers["origin"].encode("latin-1")),
               (b"access-control-expose-headers", b"*"), (b"vary", b"Origin")]
        requested = headers.get("access-control-request-headers")
        if requested:
            out.append((b"access-control-allow-headers", requested.encode("latin-1")))
        return Reply(204, out, b"")


class ServerErrors:
    """A failure inside the mock is logged and answered with a 500 problem, never a traceback; a shared store out
    of reach (Redis down) is a 503 with Retry-After, logged once per interval."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
            return
        except StoreUnavailable as exc:
            store_outage.warn(str(exc))
            problem = Problem(503, f"{exc.public}; try again shortly", headers=(("Retry-After", str(exc.retry_after)),))
        except Exception:
            logger.exception("unhandled error for %s %s", scope["method"], scope["path"])
            problem = Problem(500, "The mock server failed unexpectedly; see its log.")
        try:
            await send_reply(scope, send, problem_reply(problem))
        except Exception:  # the answer had begun: the ASGI server closes the connection instead
            pass


class Head:
    """HEAD gets the headers GET would get (Content-Length included) and no body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def bodiless(message: Message) -> None:
            if message["type"] == "http.response.body" and message.get("body"):
                message = {**message, "body": b""}
            await send(message)

        await self.app(scope, receive, bodiless)
