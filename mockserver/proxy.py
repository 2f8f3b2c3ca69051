"""The validating proxy (`docmock serve --proxy URL`): every request goes to a real server, and the request and
the real answer are checked against the spec. The answer passes through unchanged; what breaks the spec is
reported in the log, in `X-Docmock-Violation` headers and in the journal, and `--record` keeps the answers."""
from __future__ import annotations

import asyncio
import logging
import zlib
from collections.abc import Awaitable

import httpx

from .config import Config
from .conformance import ResponseChecker
from .context import Reply, RequestContext, problem_reply
from .endpoints import Endpoint
from .errors import SpecError
from .handlers import Services
from .problems import Problem
from .recording import Recorder
from .steps import Handler, ReadBody, ReadPrefer, Step, check_request
from .validation import BrokenSchema, RequestValidator

logger = logging.getLogger("docmock.mockserver")

# Headers that belong to one connection (RFC 9110 7.6.1): never forwarded in either direction.
HOP_BY_HOP = frozenset({b"connection", b"keep-alive", b"proxy-connection", b"te", b"trailer", b"transfer-encoding",
                        b"upgrade", b"proxy-authenticate", b"proxy-authorization"})
# What httpx would add to every request; the proxy sends only what the client sent.
_CLIENT_DEFAULTS = frozenset({b"accept", b"accept-encoding", b"user-agent"})
MAX_VIOLATION_HEADERS = 20
PROXY_TIMEOUT = 60.0


class Proxy:
    """Forwards to the target with one HTTP client per event loop (a client's connections belong to its loop)."""

    def __init__(self, config: Config, services: Services) -> None:
        assert config.proxy is not None
        self.target = config.proxy.rstrip("/")
        self.services = services
        self.recorder = Recorder(config.record, services.secret_query) if config.record else None
        self._clients: dict[asyncio.AbstractEventLoop, httpx.AsyncClient] = {}
        # Forwarded without checks: requests no operation matches, and operations whose schemas do not compile.
        self.undocumented = Handler([ReadBody(config.max_body), Forward(self, None)])

    def build_handler(self, endpoint: Endpoint, services: Services) -> Handler:
        """A documented operation: read the body, check the request, delay or fail it if asked to, forward it,
        check the answer. The credentials are the real server's business."""
        op = endpoint.op
        try:
            compiled = services.operations.compiled(endpoint)
        except SpecError as exc:
            logger.error("%s: its requests are forwarded unchecked", exc)
            return self.undocumented
        faults = services.faults
        steps: list[Step] = [ReadBody(services.config.max_body), CheckRequest(compiled.validator, endpoint.has_cookies),
                             ReadPrefer(), faults.delay(op.operation_id)]
        injector = faults.injector(op, compiled, services.negotiator, services.operations.xml)
        if injector is not None:
            steps.append(injector)
        steps.append(Forward(self, ResponseChecker(op, services.operations.compiler)))
        return Handler(steps)

    async def forward_undocumented(self, ctx: RequestContext, problem: Problem) -> Reply:
        """A request no documented operation matches: forwarded all the same, and reported."""
        ctx.trace.violations.append(f"request: {problem.detail}")
        return await self.undocumented(ctx)

    def client(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            client = self._clients[loop] = httpx.AsyncClient(timeout=PROXY_TIMEOUT, follow_redirects=False)
        return client

    async def forward(self, ctx: RequestContext, checker: ResponseChecker | None) -> Reply:
        scope = ctx.scope
        url = self.target + (scope.get("raw_path") or ctx.path.encode()).decode("latin-1")
        if scope.get("query_string"):
            url += "?" + scope["query_string"].decode("latin-1")
        # The body goes whole, so its length is the real one, not the client's Content-Length.
        headers = _end_to_end(scope["headers"], also=(b"host", b"content-length"))
        client = self.client()
        try:
            request = client.build_request(ctx.method, url, headers=headers, content=ctx.body or b"")
            for name in _CLIENT_DEFAULTS - {k.lower() for k, _ in headers}:
                del request.headers[name.decode()]  # only what the client sent: no gzip it did not ask for
            answer = await client.send(request, stream=True)
            try:
                raw = b"".join([chunk async for chunk in answer.aiter_raw()])
            finally:
                await answer.aclose()
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            logger.warning("%s %s: cannot reach %s: %s", ctx.method, ctx.path, self.target, exc)
            return problem_reply(Problem(502, f"the proxied server {self.target} did not answer: "
                                              f"{type(exc).__name__}: {exc}"))
        # The real server's X-Docmock-Operation (it may be a docmock too) gives way to the operation the proxy's
        # own spec matched, which the dispatcher adds: a header is never said twice.
        out_headers = _end_to_end(answer.headers.raw, also=(b"content-length", b"x-docmock-operation"))
        by_name = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in out_headers}
        body = _decoded(raw, by_name.get("content-encoding"))
        violations = ctx.trace.violations
        if checker is not None:
            if body is None:
                violations.append(f"response.body: not checked, {by_name['content-encoding']} is not decoded here")
            else:
                violations.extend(f"{v.location}: {v.message}"
                                  for v in checker.check(answer.status_code, by_name, body, ctx.method))
            if self.recorder is not None and body is not None and ctx.method != "HEAD":
                self.recorder.record(ctx, answer.status_code, by_name, body)
        if violations:
            logger.warning("%s %s %s %d: %d violation(s) of the spec: %s", ctx.method, ctx.path, ctx.operation_id,
                           answer.status_code, len(violations), "; ".join(violations))
            out_headers.append((b"x-docmock-violations", str(len(violations)).encode()))
            out_headers.extend((b"x-docmock-violation", _header_value(v)) for v in violations[:MAX_VIOLATION_HEADERS])
        # A HEAD answer has no body but says how long the GET's would be: keep the real server's figure.
        length = answer.headers.get("content-length")
        return Reply(answer.status_code, out_headers, raw,
                     length=int(length) if ctx.method == "HEAD" and length and length.isdigit() else None)

    async def aclose(self) -> None:
        for client in self._clients.values():
            try:
                await client.aclose()
            except RuntimeError:  # a client of another, finished event loop
                pass
        self._clients.clear()
        if self.recorder is not None:
            self.recorder.close()


class CheckRequest:
    """Checks the request like the mock does, but only reports: the real server decides what to answer."""

    __slots__ = ("validator", "cookies")

    def __init__(self, validator: RequestValidator, cookies: bool) -> None:
        self.validator = validator
        self.cookies = cookies

    def __call__(self, ctx: RequestContext) -> None:
        violations = ctx.trace.violations
        try:
            checked = check_request(self.validator, ctx, self.cookies)
        except BrokenSchema as exc:  # the request goes on to the real server all the same
            violations.append(f"request: {exc}")
            return
        if checked.unsupported_media is not None:
            violations.append(f"request.header.Content-Type: {checked.unsupported_media} is not documented; "
                              f"documented: {', '.join(self.validator.media_types)}")
        violations.extend(f"request.{v.location}: {v.message}" for v in checked.violations)


class Forward:
    """Sends the request to the real server and answers with what it answered."""

    __slots__ = ("proxy", "checker")

    def __init__(self, proxy: Proxy, checker: ResponseChecker | None) -> None:
        self.proxy = proxy
        self.checker = checker

    def __call__(self, ctx: RequestContext) -> Awaitable[Reply]:
        return self.proxy.forward(ctx, self.checker)


def _end_to_end(headers: list[tuple[bytes, bytes]], also: tuple[bytes, ...] = ()) -> list[tuple[bytes, bytes]]:
    """The headers without the hop-by-hop ones: the standard ones, those the Connection header names, and `also`."""
    named = {token.strip().lower() for k, v in headers if k.lower() == b"connection" for token in v.split(b",")}
    dropped = HOP_BY_HOP | named | set(also)
    return [(k, v) for k, v in headers if k.lower() not in dropped]


def _decoded(raw: bytes, encoding: str | None) -> bytes | None:
    """The body as the server meant it, for checking (the client still gets the encoded bytes)."""
    if not encoding or encoding.strip().lower() == "identity":
        return raw
    kind = encoding.strip().lower()
    try:
        if kind in ("gzip", "x-gzip"):
            return zlib.decompress(raw, 16 + zlib.MAX_WBITS)
        if kind == "deflate":
            try:
                return zlib.decompress(raw)
            except zlib.error:
                return zlib.decompress(raw, -zlib.MAX_WBITS)
    except zlib.error:
        return None
    return None


def _header_value(text: str) -> bytes:
    """One line of latin-1, at most 300 characters: a header cannot carry more safely."""
    flat = " ".join(text.split())
    return (flat[:297] + "..." if len(flat) > 300 else flat).encode("latin-1", "replace")
