"""The ASGI application: one entry point that routes with the trie and answers every request itself."""
from __future__ import annotations

import functools
import json
import logging
import os
import random
import re
import threading
import time
from collections.abc import Awaitable, Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field, replace
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs

from starlette.concurrency import run_in_threadpool

from .auth import AuthPolicy, compile_policy
from .errors import SpecError
from .fakedata import DataFactory
from .negotiation import Negotiator, media_key
from .pages import BASE_PLACEHOLDER, SpecDocuments, curl_example, index_page
from .prefer import parse_prefer
from .problems import PROBLEM_TYPE, Problem, Violation
from .responses import ResponsePlanner, StatusPlan, apply_select, fill_ids, render, status_for, success_code
from .routing import Ambiguity, Found, MethodNotAllowed, Mismatch, Route, Router
from .seeding import request_seed
from .spec import OperationSpec, iter_operations, normalise
from .state import GENERATE, NO_BODY, SESSION_HEADER, Action, Entity, StateEngine, session_name
from .validation import RequestValidator, SchemaCompiler, check_refs, malformed_schemas

logger = logging.getLogger("docmock.mockserver")

DEFAULT_MAX_BODY = 10 * 1024 * 1024
ADMIN_PREFIX = "/__docmock/"
_JSON_MEDIA = re.compile(r"^(application|text)/([\w.+-]*\+)?json$")
Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
Headers = list[tuple[bytes, bytes]]


@dataclass(frozen=True, slots=True)
class OperationInfo:
    method: str
    path: str
    operation_id: str
    summary: str


@dataclass(frozen=True, slots=True)
class StartupReport:
    """What the server serves and which routes it cannot tell apart; the CLI prints this."""

    title: str
    operations: tuple[OperationInfo, ...]
    ambiguities: tuple[Ambiguity, ...]
    overlaps: tuple[Ambiguity, ...]
    state: tuple[str, ...] = ()
    malformed: tuple[str, ...] = ()  # schemas that are not JSON Schemas: their operations answer 500

    def lines(self) -> list[str]:
        out = [f"{len(self.operations)} operations from {self.title!r}:"]
        out.extend(f"  {o.method:<7} {o.path}  {o.operation_id}" for o in self.operations)
        if self.ambiguities:
            out.append(f"{len(self.ambiguities)} route ambiguities not resolved by literals or parameter types:")
            out.extend("  " + a.format() for a in self.ambiguities)
        else:
            out.append("No unresolved route ambiguities.")
        if self.overlaps:
            out.append(f"{len(self.overlaps)} overlaps resolved by parameter type (more specific type wins):")
            out.extend("  " + a.format() for a in self.overlaps)
        if self.malformed:
            out.append(f"warning: {len(self.malformed)} malformed schema(s); the operations using them answer 500 "
                       f"until the spec is fixed:")
            out.extend("  " + problem for problem in self.malformed)
        out.extend(self.state)
        return out


@dataclass(frozen=True, slots=True)
class Compiled:
    """What an operation's requests need beyond routing: built on its first request (`MockApp.compiled`)."""

    validator: RequestValidator
    success: StatusPlan | None
    plans: Mapping[str, StatusPlan]


# Stateful list requests with larger bodies (agent searches) are answered without remembering the list.
_REMEMBERED_BODY_LIMIT = 4096


@dataclass(slots=True, eq=False)
class Endpoint:
    """One routed operation. Its request checks and response plans are compiled on first use, because
    compiling them for all 3,300 operations of a large spec took most of a second of start-up."""

    op: OperationSpec
    policy: AuthPolicy
    has_cookies: bool
    op_id_header: bytes
    compiled: Compiled | None = field(default=None, repr=False)  # filled by MockApp.compiled


@dataclass(slots=True)
class _Reply:
    status: int
    headers: Headers
    body: bytes


_JSON_PROBLEM = [(b"content-type", PROBLEM_TYPE.encode())]


def _problem(p: Problem) -> _Reply:
    headers = list(_JSON_PROBLEM)
    headers.extend((k.lower().encode(), v.encode()) for k, v in p.headers)
    return _Reply(p.status, headers, p.body())


class MockApp:
    """ASGI callable. Built by `create_app`; `report` describes what it serves."""

    def __init__(self, spec: Mapping[str, Any], *, seed: int = 0, auth: bool = True,
                 cors_origins: Sequence[str] = (), max_body: int = DEFAULT_MAX_BODY,
                 credentials: Sequence[str] = (), state: StateEngine | None = None) -> None:
        doc = normalise(spec)
        self.credentials = frozenset(credentials)
        self.seed = seed
        self.auth = auth
        self.max_body = max_body
        self.cors_any = "*" in cors_origins
        self.cors_origins = frozenset(cors_origins)
        self.factory = DataFactory(doc, seed)
        self._compiler = SchemaCompiler(doc)
        self.xml = self._compiler.xml
        self._planner = ResponsePlanner(doc, self.factory, self.xml)
        self._compile_lock = threading.Lock()
        self._compiled_count = 0
        self.negotiator = Negotiator()
        schemes = ((doc.get("components") or {}).get("securitySchemes") or {})
        policies: dict[tuple[int, ...], AuthPolicy] = {}
        routes: list[Route[Endpoint]] = []
        ops: list[OperationSpec] = []
        try:
            for op in iter_operations(doc):
                # Compiling waits for the first request, but a $ref it would fail on fails start-up, as before.
                self._planner.check(op)
                check_refs(op, self._compiler)
                # Operations usually share the document's `security` list: compile each list once.
                key = tuple(map(id, op.security or ()))
                policy = policies.get(key)
                if policy is None:
                    policy = policies[key] = compile_policy(op.security, schemes)
                endpoint = Endpoint(
                    op=op,
                    policy=policy,
                    has_cookies=any(p.location == "cookie" for p in op.parameters),
                    op_id_header=op.operation_id.encode("latin-1", "replace"),
                )
                schemas = {p.name: p.schema for p in op.parameters if p.location == "path"}
                routes.append(Route(op.method, op.path, schemas, endpoint, f"{op.path} ({op.operation_id})"))
                ops.append(op)
        except (KeyError, TypeError, AttributeError) as exc:
            raise SpecError(f"cannot compile the spec: {exc!r}") from exc
        self.router: Router[Endpoint] = Router(routes)
        self.endpoints = {route.payload.op.operation_id: route.payload for route in routes}
        self.state = state
        self.actions: dict[str, Action] = {}
        if state is not None:
            for operation_id in self.endpoints:
                action = state.action_for(operation_id)
                if action is not None:
                    self.actions[operation_id] = action
        title = str((spec.get("info") or {}).get("title") or "OpenAPI document")
        self.report = StartupReport(
            title,
            tuple(OperationInfo(o.method, o.path, o.operation_id, o.summary) for o in ops),
            tuple(a for a in self.router.ambiguities if a.kind == "unresolved"),
            tuple(a for a in self.router.ambiguities if a.kind != "unresolved"),
            tuple(state.describe()) if state is not None else (),
            tuple(malformed_schemas(doc)),
        )
        self.documents = SpecDocuments(spec)
        self._title = title
        self._index_html: str | None = None  # built on the first request for `/`

    # -- compiling operations on first use -----------------------------------------------------------

    @property
    def compiled_operations(self) -> int:
        """How many operations have had their request checks and response plans compiled so far."""
        return self._compiled_count

    def compiled(self, endpoint: Endpoint) -> Compiled:
        """The endpoint's request validator and response plans, compiled on the first call and kept.

        Compiling is deterministic and order-independent (generators are pure functions of their schema), so
        an answer does not depend on which operations were requested before it.
        """
        compiled = endpoint.compiled
        if compiled is None:
            # A SQLite-backed state calls back from worker threads: one compiles, the others wait for it.
            with self._compile_lock:
                compiled = endpoint.compiled
                if compiled is None:
                    compiled = endpoint.compiled = self._compile(endpoint.op)
                    self._compiled_count += 1
        return compiled

    def compile_all(self) -> None:
        """Compile every operation now (what start-up did before compiling became lazy): for callers who
        want each operation checked, or its first answer as fast as later ones."""
        for endpoint in self.endpoints.values():
            self.compiled(endpoint)

    def _compile(self, op: OperationSpec) -> Compiled:
        try:
            plans = {code: self._planner.plan(op, code) for code in op.responses}
            validator = RequestValidator(op, self._compiler)
        except (KeyError, TypeError, AttributeError) as exc:
            raise SpecError(f"cannot compile {op.operation_id}: {exc!r}") from exc
        except SpecError as exc:
            raise SpecError(f"cannot compile {op.operation_id}: {exc}") from exc
        success = success_code(op)
        return Compiled(validator, plans.get(success) if success else None, plans)

    # -- ASGI --------------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "lifespan":
            await _lifespan(receive, send)
            return
        if kind != "http":
            return
        started = time.perf_counter()
        headers: dict[str, str] = {}
        for k, v in scope["headers"]:
            name = k.decode("latin-1").lower()
            value = v.decode("latin-1")
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        method: str = scope["method"]
        path: str = scope["path"]
        operation = "-"
        try:
            reply, operation = await self._dispatch(scope, receive, method, path, headers)
        except Exception:  # a client must never see a traceback; log it and answer with a problem
            logger.exception("unhandled error for %s %s", method, path)
            reply = _problem(Problem(500, "The mock server failed unexpectedly; see its log."))
        origin = headers.get("origin")
        if origin is not None and (self.cors_any or origin in self.cors_origins):
            reply.headers.append((b"access-control-allow-origin", origin.encode("latin-1")))
            reply.headers.append((b"access-control-expose-headers", b"*"))
            reply.headers.append((b"vary", b"Origin"))
        body = b"" if method == "HEAD" else reply.body
        reply.headers.append((b"content-length", str(len(reply.body)).encode()))
        await send({"type": "http.response.start", "status": reply.status, "headers": reply.headers})
        await send({"type": "http.response.body", "body": body})
        if logger.isEnabledFor(logging.INFO):
            logger.info("%s %s %s %d %.1fms", method, path, operation, reply.status,
                        (time.perf_counter() - started) * 1000)

    async def _dispatch(self, scope: Scope, receive: Receive, method: str, path: str,
                        headers: dict[str, str]) -> tuple[_Reply, str]:
        if path.startswith(ADMIN_PREFIX):
            return self._admin(method, path, scope), "-"
        if method in ("GET", "HEAD"):
            page = self._page(path, headers)
            if page is not None:
                return page, "-"
        if method == "OPTIONS" and "access-control-request-method" in headers and "origin" in headers and \
                (self.cors_any or headers["origin"] in self.cors_origins):
            return self._preflight(path, headers), "-"
        match = self.router.match(method, path)
        if method == "HEAD" and not isinstance(match, Found):
            head = self.router.match("GET", path)
            if isinstance(head, Found):
                match = head
        if isinstance(match, Found):
            endpoint: Endpoint = match.payload
            reply = await self._serve(scope, receive, endpoint, match.params, headers)
            # Tells people (and tests) which operation answered when templates overlap.
            reply.headers.append((b"x-docmock-operation", endpoint.op_id_header))
            return reply, endpoint.op.operation_id
        if isinstance(match, MethodNotAllowed):
            allow = ", ".join(match.allow)
            return _problem(Problem(405, f"{method} is not documented for {path}; allowed: {allow}",
                                    headers=(("Allow", allow),))), "-"
        if isinstance(match, Mismatch):
            errors = tuple(Violation(f"path.{name}", msg) for name, msg in match.reasons)
            return _problem(Problem(400, f"{path} has the shape of a documented path, but a path parameter has "
                                         "the wrong type for every operation of that shape", errors)), "-"
        return _problem(Problem(404, f"no documented operation matches {path}")), "-"

    def _page(self, path: str, headers: Mapping[str, str]) -> _Reply | None:
        doc = self.documents.get(path)
        if doc is not None:
            return _Reply(200, [(b"content-type", doc[1].encode())], doc[0])
        if path == "/" and not self.router.methods_for("/"):
            base = f"http://{headers.get('host', '127.0.0.1:4010')}"
            text = self.index_html.replace(BASE_PLACEHOLDER, base)
            return _Reply(200, [(b"content-type", b"text/html; charset=utf-8")], text.encode())
        return None

    @property
    def index_html(self) -> str:
        """The page at `/`: every operation with a curl example (a second's work for 3,300 operations)."""
        if self._index_html is None:
            rows = [(e.op, curl_example(e.op, self.factory, self.auth and not e.policy.open))
                    for e in self.endpoints.values()]
            self._index_html = index_page(self._title, rows, [a.format() for a in self.router.ambiguities])
        return self._index_html

    def _preflight(self, path: str, headers: Mapping[str, str]) -> _Reply:
        methods = self.router.methods_for(path) or ("GET", "POST", "PUT", "PATCH", "DELETE")
        out: Headers = [
            (b"access-control-allow-methods", ", ".join(methods).encode()),
            (b"access-control-max-age", b"600"),
        ]
        requested = headers.get("access-control-request-headers")
        if requested:
            out.append((b"access-control-allow-headers", requested.encode("latin-1")))
        return _Reply(204, out, b"")

    async def _serve(self, scope: Scope, receive: Receive, endpoint: Endpoint, path_params: dict[str, str],
                     headers: dict[str, str]) -> _Reply:
        length = headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > self.max_body:
            return _problem(Problem(413, f"request body of {length} bytes exceeds the limit of {self.max_body}"))
        body = await _read_body(receive, self.max_body)
        if body is None:
            return _problem(Problem(413, f"request body exceeds the limit of {self.max_body} bytes"))
        raw_query = scope.get("query_string") or b""
        query = parse_qs(raw_query.decode("latin-1"), keep_blank_values=True) if raw_query else {}
        cookies = _cookies(headers.get("cookie")) if endpoint.has_cookies else {}
        if self.auth and endpoint.policy.alternatives and not endpoint.policy.allows(
                headers, query, cookies, self.credentials):
            return _problem(Problem(401, "this operation requires credentials the spec declares: an "
                                         "Authorization header (Basic, Bearer, ...) or an API key"
                                         + (" with an accepted value" if self.credentials else ""),
                                    headers=(("WWW-Authenticate", endpoint.policy.challenge),)))
        try:
            compiled = self.compiled(endpoint)
        except SpecError as exc:  # a flaw start-up does not look for: say what it is, as start-up used to
            logger.error("%s", exc)
            return _problem(Problem(500, f"the spec is broken for this operation: {exc}"))
        checked = compiled.validator.check(path_params, query, headers, cookies, headers.get("content-type"), body)
        if checked.unsupported_media is not None:
            offered = ", ".join(compiled.validator.media_types)
            return _problem(Problem(415, f"Content-Type {checked.unsupported_media} is not accepted; "
                                         f"send one of: {offered}"))
        if checked.violations:
            n = len(checked.violations)
            return _problem(Problem(400, f"the request has {n} problem{'s' if n > 1 else ''}; see errors",
                                    checked.violations))
        prefs = parse_prefer(headers.get("prefer"))
        plan = compiled.success
        if prefs.code is not None:
            plan = _plan_for_code(compiled, prefs.code)
            if plan is None:
                codes = ", ".join(endpoint.op.responses)
                return _problem(Problem(400, f"Prefer: code={prefs.code} is not documented for "
                                             f"{endpoint.op.operation_id}; documented: {codes}",
                                        (Violation("header.Prefer", f"code={prefs.code} is not documented"),)))
        action = self.actions.get(endpoint.op.operation_id) if prefs.code is None and prefs.example is None else None
        if action is not None:
            reply = await self._stateful(action, endpoint, compiled, path_params, query, headers, body,
                                         checked.body)
            if reply is not None:
                return reply
        if plan is None or not plan.has_body:
            status = plan.status if plan is not None else 200
            return _Reply(status, self._response_headers(plan, random.Random(0)), b"")
        media = self.negotiator.choose(headers.get("accept"), plan.offers)
        if media is None:
            return _problem(Problem(406, f"cannot answer with {headers.get('accept')}; available: "
                                         f"{', '.join(plan.offers)}"))
        mp = plan.media.get(media) or plan.media[next(m for m in plan.offers if m.endswith("/*"))]
        seed = int.from_bytes(os.urandom(8), "big") if prefs.dynamic else request_seed(
            self.seed, endpoint.op.operation_id, plan.status, path_params, query, body)
        r = random.Random(seed)
        if prefs.example is not None:
            value = _example(plan, mp, prefs.example)
            if value is _MISSING:
                names = sorted({n for m in plan.media.values() for n in m.examples})
                return _problem(Problem(400, f"Prefer: example={prefs.example} is not documented; "
                                             f"documented examples: {', '.join(names) or 'none'}",
                                        (Violation("header.Prefer", f"no example named {prefs.example}"),)))
        else:
            value = fill_ids(mp.gen(r, 0), plan, path_params)
        select = query.get("$select")
        if select:
            value = apply_select(value, select[-1], plan.select_info)
        headers_out = self._response_headers(plan, r)
        headers_out.append((b"content-type", mp.content_type.encode()))
        return _Reply(plan.status, headers_out, render(mp, value, self.xml, r))

    # -- state ---------------------------------------------------------------------------------------

    async def _stateful(self, action: Action, endpoint: Endpoint, compiled: Compiled, path_params: dict[str, str],
                        query: dict[str, list[str]], headers: dict[str, str], raw_body: bytes,
                        body: Any) -> _Reply | None:
        """Applies a write or answers a read from the state; None means: generate the documented answer."""
        assert self.state is not None
        plan = compiled.success
        if raw_body.strip() and not _JSON_MEDIA.match(media_key(headers.get("content-type") or "")):
            # XML and form bodies are only checked for well-formedness: their values are text, not the
            # spec's types, so remembering them would make later answers break the spec.
            return None

        def base_list() -> Any:
            # Paging applies to one list: the rows do not depend on $top/$skip.
            unpaged = {k: v for k, v in query.items() if k.lower() not in ("$top", "$skip")}
            if len(raw_body) > _REMEMBERED_BODY_LIMIT:  # the body would be kept in memory as part of the key
                return self._base_list(endpoint, action.entity, path_params, unpaged, raw_body)
            return json.loads(self._base_list_text(endpoint, action.entity, tuple(path_params.items()),
                                                   tuple((k, tuple(v)) for k, v in unpaged.items()), raw_body))

        call = functools.partial(self.state.handle, action, session_name(headers.get(SESSION_HEADER)), path_params,
                                 query, body, headers.get("content-type"),
                                 functools.partial(self._base_record, action.entity), base_list)
        # SQLite may wait for another process's lock: keep the event loop free meanwhile.
        outcome = await run_in_threadpool(call) if self.state.blocks(action) else call()
        if outcome.problem is not None:
            return _problem(Problem(outcome.status, outcome.problem))
        if outcome.value is GENERATE:
            return None
        answer = compiled.plans.get(str(outcome.status)) or plan
        if outcome.value is NO_BODY or answer is None or not answer.has_body:
            return _Reply(outcome.status, [], b"")
        media = self.negotiator.choose(headers.get("accept"), answer.offers)
        if media is None:
            return _problem(Problem(406, f"cannot answer with {headers.get('accept')}; available: "
                                         f"{', '.join(answer.offers)}"))
        mp = answer.media.get(media) or answer.media[next(m for m in answer.offers if m.endswith("/*"))]
        value = outcome.value
        select = query.get("$select")
        if select:
            value = apply_select(value, select[-1], answer.select_info)
        content = render(mp, value, self.xml, random.Random(0))
        return _Reply(outcome.status, [(b"content-type", mp.content_type.encode())], content)

    def _generated(self, endpoint: Endpoint, plan: StatusPlan, path_params: Mapping[str, str],
                   query: Mapping[str, list[str]], body: bytes) -> Any:
        """The JSON value a request would get without state: the same seed, the same data."""
        mp = next((m for m in plan.media.values() if m.kind == "json"), None)
        if mp is None:
            return None
        seed = request_seed(self.seed, endpoint.op.operation_id, plan.status, path_params, query, body)
        return fill_ids(mp.gen(random.Random(seed), 0), plan, path_params)

    def _base_record(self, entity: Entity, ident: Any) -> Any:
        """The generated record for an id: what the entity's read operation answers for it.

        A list answer is made of these records, one per row, so the recent ones are remembered (as JSON text:
        every caller gets its own copy to change). The cache is bounded to keep memory flat: a thousand
        records cover the pages a client lists and reads, and cost about 10 MB on the SuperOffice spec."""
        return json.loads(self._base_record_text(entity.base_operation or "", entity.base_param, str(ident)))

    @functools.lru_cache(maxsize=256)
    def _base_list_text(self, endpoint: Endpoint, entity: Entity, path_params: tuple[tuple[str, str], ...],
                        query: tuple[tuple[str, tuple[str, ...]], ...], body: bytes) -> str:
        """`_base_list` as JSON text, remembered: it is a pure function of the request, so a client polling a
        list neither generates its rows nor looks up their records again. Bounded like the base records, and
        only requests with small bodies are remembered: 256 lists of the SuperOffice spec take a few MB."""
        return json.dumps(self._base_list(endpoint, entity, dict(path_params), {k: list(v) for k, v in query}, body))

    def _base_list(self, endpoint: Endpoint, entity: Entity, path_params: Mapping[str, str],
                   query: Mapping[str, list[str]], body: bytes) -> Any:
        """The generated list a request gets before the state is applied."""
        plan = self.compiled(endpoint).success
        value = self._generated(endpoint, plan, path_params, query, body) if plan is not None else []
        if isinstance(value, list):
            # Each generated row is the record `GET .../{id}` answers for its id, so list and read agree.
            id_field = entity.id_field
            value = [self._base_record(entity, row[id_field])
                     if isinstance(row, dict) and row.get(id_field) is not None else row for row in value]
        return value

    @functools.lru_cache(maxsize=1024)
    def _base_record_text(self, operation_id: str, param: str | None, ident: str) -> str:
        endpoint = self.endpoints.get(operation_id)
        success = self.compiled(endpoint).success if endpoint is not None else None
        if endpoint is None or success is None:
            return "{}"
        record = self._generated(endpoint, success, {param: ident} if param else {}, {}, b"")
        return json.dumps(record if isinstance(record, dict) else {})

    def _admin(self, method: str, path: str, scope: Scope) -> _Reply:
        """`POST /__docmock/reset[?session=]` and `GET /__docmock/state[?session=]`."""
        if self.state is None:
            return _problem(Problem(404, "this mock keeps no state (started with --no-state)"))
        raw = (scope.get("query_string") or b"").decode("latin-1")
        session = (parse_qs(raw).get("session") or [None])[-1]
        if path == ADMIN_PREFIX + "reset" and method == "POST":
            self.state.reset(session)
            return _Reply(204, [], b"")
        if path == ADMIN_PREFIX + "state" and method == "GET":
            return _Reply(200, [(b"content-type", b"application/json")],
                          json.dumps(self.state.snapshot(session), ensure_ascii=False, default=str).encode())
        allow = "POST" if path == ADMIN_PREFIX + "reset" else "GET" if path == ADMIN_PREFIX + "state" else None
        if allow:
            return _problem(Problem(405, f"{method} is not supported for {path}; allowed: {allow}",
                                    headers=(("Allow", allow),)))
        return _problem(Problem(404, f"no admin endpoint {path}; there are {ADMIN_PREFIX}reset and {ADMIN_PREFIX}state"))

    @staticmethod
    def _response_headers(plan: StatusPlan | None, r: random.Random) -> Headers:
        if plan is None or not plan.headers:
            return []
        return [(name.lower().encode(), _header_text(gen(r, 0)).encode("latin-1", "replace"))
                for name, gen in plan.headers]


_MISSING = object()


def _example(plan: StatusPlan, chosen: Any, name: str) -> Any:
    if name in chosen.examples:
        return chosen.examples[name]
    for mp in plan.media.values():  # a sample documented under JSON still answers an XML request
        if name in mp.examples:
            return mp.examples[name]
    return _MISSING


def _plan_for_code(compiled: Compiled, code: str) -> StatusPlan | None:
    plans = compiled.plans
    if code in plans:
        return plans[code]
    if code.isdigit():
        ranged = f"{code[0]}XX"
        for key in (ranged, ranged.lower()):
            if key in plans:
                p = plans[key]
                return replace(p, status=int(code))
    if "default" in plans and code.isdigit() and 100 <= int(code) <= 599:
        p = plans["default"]
        return replace(p, status=int(code))
    return None


def _header_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(map(str, value))
    return str(value)


def _cookies(header: str | None) -> dict[str, str]:
    if not header:
        return {}
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(header)
    except Exception:  # malformed cookies are the client's problem; treat them as absent
        return {}
    return {k: m.value for k, m in jar.items()}


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        if chunk:
            size += len(chunk)
            if size > limit:
                return None
            chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def create_app(spec: Mapping[str, Any], *, seed: int = 0, auth: bool = True, cors_origins: Sequence[str] = (),
               max_body: int = DEFAULT_MAX_BODY, credentials: Sequence[str] = (),
               state: StateEngine | None = None) -> MockApp:
    """Compile an OpenAPI 3.0/3.1 document into an ASGI mock; `app.report` lists operations and ambiguities.

    `credentials`, when given, are the only Authorization header values / API key values accepted;
    by default any credential of a declared kind is. `state`, when given, makes writes stick: the engine's
    entities are read, listed, changed and deleted across their REST and agent operations.
    """
    return MockApp(spec, seed=seed, auth=auth, cors_origins=cors_origins, max_body=max_body,
                   credentials=credentials, state=state)
