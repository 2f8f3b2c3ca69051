"""The mock as one ASGI app: the shell's layers around a dispatcher that routes each request to its operation's
handler (`handlers`), to a page, or to the admin endpoints. `create_app` builds it from a spec and a Config."""
from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from .admin import ADMIN_PREFIX, Admin, admin_credentials
from .answers import AnswerCache
from .console import CONSOLE_PREFIX, Console
from .config import DEFAULT_MAX_BODY, Config
from .context import (TRACE_KEY, ASGIApp, ClientGone, Receive, Reply, RequestContext, Scope, Send, Trace, problem_reply,
                      request_headers, send_reply)
from .endpoints import Compiled, Endpoint, Operations
from .fakedata import DataFactory
from .faults import FaultPolicy, check_faults
from .handlers import Services, build_mock_handler
from .journal import Journal, secret_names
from .layers import AccessLog, Cors, Head, JournalLayer, ServerErrors
from .negotiation import Negotiator
from .pages import SpecDocuments
from .problems import Problem, Violation
from .recording import Recordings
from .reloading import Changes, RefIndex, Reuse
from .report import OperationInfo, StartupReport
from .routing import Found, MethodNotAllowed, Mismatch
from .spec import normalise
from .state import OverridesError, StateEngine, check_overrides, open_store
from .state.errors import StoreUnavailable
from .state.entities import InferenceMemo
from .state.overrides import read_overrides
from .stateful import GeneratedData
from .validation import MalformedSchemas

logger = logging.getLogger("docmock.mockserver")
_WARNINGS_LOGGED = 100

__all__ = ["DEFAULT_MAX_BODY", "MockApp", "create_app"]

OPERATION_HEADER = b"x-docmock-operation"


def _no_state_version() -> int:
    return 0  # without a state, an answer is a function of the request alone


class MockApp:
    """ASGI callable built by `create_app`. `report` describes what it serves, `journal` what it answered."""

    def __init__(self, spec: Mapping[str, Any], config: Config, state: StateEngine | None = None, *,
                 previous: MockApp | None = None) -> None:
        doc = normalise(spec)
        self.config = config
        self.spec = spec
        self.doc = doc
        # A reload (`previous`): operations whose part of the document is the running app's are kept.
        self.refs = RefIndex(previous.refs if previous is not None else None)
        reuse = Reuse(previous.doc, previous.endpoints, doc, self.refs, previous.router) \
            if previous is not None else None
        self.factory = DataFactory(doc, config.seed)
        self.operations = Operations(doc, self.factory, reuse)
        self.router = self.operations.router
        self.endpoints = self.operations.by_id
        self.reload_notes: list[str] = []
        self._entities_kept: frozenset[str] | None = None  # set when a reload's entities differ (forget_gone_entities)
        # What differs from `previous` (operations added, removed, changed; schemas changed)
        self.changes: Changes | None = reuse.changes(previous.endpoints, self.endpoints) \
            if previous is not None and reuse is not None and reuse.stale is not None else None
        raw_overrides = read_overrides(config.overrides) if config.overrides else None
        overrides = check_overrides(raw_overrides, str(config.overrides)) if config.state is not None else None
        if config.proxy is not None:
            state = None  # the real server keeps its own state
        elif state is None and previous is not None and previous.state is not None and reuse is not None:
            state = self._carried_state(spec, previous.state, reuse, previous.endpoints, overrides)
        elif state is None and config.state is not None:
            try:
                state = StateEngine.from_spec(spec, open_store(config.state, config.session_ttl), overrides,
                                              operations=self.operations.specs, seed=config.seed)
            except OverridesError as exc:  # an entry inference cannot use: say which file it is in
                raise OverridesError(f"{config.overrides or 'overrides'}: {exc}") from None
        self.state = state
        self.actions = {op_id: action for op_id in self.endpoints
                        if state is not None and (action := state.action_for(op_id)) is not None}
        where = str(config.overrides or "overrides")
        self.faults = FaultPolicy(config, check_faults((raw_overrides or {}).get("faults"), where))
        self.faults.check_names(set(self.endpoints), where)
        secret_headers, secret_query = secret_names(spec)
        if previous is not None:
            self.journal = previous.journal  # what was answered before the reload stays listed
            if self.journal is not None:
                self.journal.keep_secret(secret_headers, secret_query)
        else:
            # With a shared store (Redis), the journal is shared too: any replica lists what every replica answered.
            shared = state.store.shared_journal(config.journal_size) \
                if state is not None and config.journal_size else None
            self.journal = Journal(config.journal_size, secret_headers, secret_query, shared) \
                if config.journal_size else None
        self.admin = Admin(state, self.journal, self.faults.reset, self._report_json,
                           admin_credentials(config.credentials, config.admin_token))
        self.negotiator = Negotiator()
        self.recordings = previous.recordings if previous is not None else \
            Recordings(config.replay, secret_query) if config.replay else None
        self.services = Services(config, self.operations, self.negotiator, self.faults, state,
                                 GeneratedData(self.operations, config.seed) if state is not None else None,
                                 self.recordings, secret_query)
        self.generated = self.services.generated
        # Not with a store on another machine (Redis): asking it for its version costs a round trip and a
        # thread, as much as answering from it does (bench/scale_out.py measured 1,136 against 956 req/s).
        remote_store = state is not None and state.store.reads_block
        self.answers = AnswerCache(config.answer_cache_mb * 1024 * 1024,
                                   state.store.version if state is not None else _no_state_version) \
            if config.answer_cache_mb and config.proxy is None and not remote_store else None
        # What differs between the mock and the proxy: how an operation's handler is built, what becomes of an
        # undocumented request, and whether `/` and `/openapi.*` are the mock's pages or the real server's.
        self.proxy: Any = None
        self._build_handler = build_mock_handler
        self._unrouted = self._refuse
        self.serves_pages = config.proxy is None
        if config.proxy is not None:
            from .proxy import Proxy  # the HTTP client is only imported by a proxy

            self.proxy = Proxy(config, self.services)
            self._build_handler = self.proxy.build_handler
            self._unrouted = self.proxy.forward_undocumented
        self.malformed = MalformedSchemas(previous.malformed if previous is not None else None)
        self._warned: set[tuple[str, str]] = set()
        self.refs.settle()
        title = str((spec.get("info") or {}).get("title") or "OpenAPI document")
        routes = self.router.ambiguities
        self.report = StartupReport(
            title,
            tuple(OperationInfo(e.op.method, e.op.path, e.op.operation_id, e.op.summary) for e in self.endpoints.values()),
            tuple(a for a in routes if a.kind == "unresolved"),
            tuple(a for a in routes if a.kind != "unresolved"),
            tuple(state.describe()) if state is not None else (),
            tuple(self.malformed(doc)),
            tuple(self._notes()),
        )
        self.documents = SpecDocuments(spec)
        self.reload_failure: str | None = None  # why a newer version of the spec is not served (--watch)
        self._console: Console | None = None  # built on the first request for `/` or a console file
        self._stack = self._layers(self._dispatch)

    def reloaded(self, spec: Mapping[str, Any]) -> MockApp:
        """A new app for `spec` with this app's settings, store, journal and recordings, keeping every
        operation whose part of the spec is this app's (see reloading.py)."""
        return MockApp(spec, self.config, previous=self)

    def warm_up(self) -> None:
        """Work out now what the first reload would otherwise: the `$ref`s each operation and schema names."""
        for endpoint in list(self.endpoints.values()):
            self.refs.refs(endpoint.source)
            self.refs.refs(endpoint.shared)
        for schema in list(((self.doc.get("components") or {}).get("schemas") or {}).values()):
            self.refs.refs(schema)

    def _carried_state(self, spec: Mapping[str, Any], engine: StateEngine, reuse: Reuse,
                       old_endpoints: Mapping[str, Endpoint], overrides: Any) -> StateEngine:
        """The running app's store under the new spec: the same inference when only prose changed, else a
        new one (the records of entities the new spec no longer has go after the swap: forget_gone_entities)."""
        try:
            if reuse.same_structure(old_endpoints, self.endpoints):
                return engine.carried(spec, overrides)
            carried = StateEngine.from_spec(
                spec, engine.store, overrides, engine.clock, operations=self.operations.specs,
                memo=InferenceMemo(engine.inference.memo, reuse.stale) if reuse.stale is not None else None,
                seed=engine.seed)
        except OverridesError as exc:  # as at start-up: say which file the entry is in
            raise OverridesError(f"{self.config.overrides or 'overrides'}: {exc}") from None
        self._entities_kept = carried.store_names()
        return carried

    def forget_gone_entities(self) -> list[str]:
        """After this app replaced the one it was reloaded from: drop the stored records of the entities the
        new spec no longer has (not before, while the old app still answers from them), and say so."""
        if self._entities_kept is None or self.state is None:
            return []
        try:
            dropped = self.state.store.forget_entities(self._entities_kept)
        except StoreUnavailable as exc:  # the new version serves all the same; the old records stay unread
            return [f"State: could not look for records of entities the spec no longer has ({exc}); the next "
                    "reload or a reset drops any"]
        self._entities_kept = None
        return [f"State: entity {name} is gone from the spec; its {count} stored record(s) were dropped"
                for name, count in sorted(dropped.items()) if not name.startswith("~")]  # `~run:X` goes with X

    def reload_failed(self, message: str | None) -> None:
        """Say on `/` and in the served spec that a newer version was not loaded, and why (None: stop saying
        it, the version served is the newest again)."""
        self.reload_failure = message
        self.documents = SpecDocuments(self.spec if message is None else
                                       {**self.spec, "x-docmock-reload-failed": message})

    def _layers(self, app: ASGIApp) -> ASGIApp:
        """The shell, innermost first; a concern that is switched off has no layer at all."""
        config = self.config
        app = Head(app)
        app = ServerErrors(app)
        if config.cors_origins:
            app = Cors(app, config.cors_origins, self.router.methods_for)
        if self.journal is not None:
            app = JournalLayer(app, self.journal)
        if config.access_log:
            app = AccessLog(app)
        return app

    def _notes(self) -> list[str]:
        config = self.config
        out = []
        if config.proxy:
            out.append(f"Proxy: every request goes to {config.proxy}; requests and answers are checked against the "
                       "spec and violations reported" + (f"; answers recorded to {config.record}" if config.record
                                                         else ""))
        if self.recordings is not None:
            out.append(f"Replay: {len(self.recordings)} recorded answer(s) of {len(self.recordings.named)} "
                       f"operation(s) from {config.replay}")
        if config.latency is not None:
            out.append(f"Latency: {config.latency} per answer")
        if config.fault_rate or self.faults.per_operation:
            out.append(f"Faults: {config.fault_rate:g} of requests (seed {config.effective_fault_seed})"
                       + (f"; {len(self.faults.per_operation)} operation(s) set in the overrides file"
                          if self.faults.per_operation else ""))
        if self.journal is not None:
            out.append(f"Journal: the last {self.journal.size} requests at {ADMIN_PREFIX}requests"
                       + (", shared by every replica through the state store" if self.journal.shared else ""))
        if self.answers is not None:
            out.append(f"Answers to repeated reads: remembered until the state changes, up to "
                       f"{config.answer_cache_mb} MB (--answer-cache)")
        return out

    # -- operations, compiled on first use ---------------------------------------------------------------

    @property
    def compiled_operations(self) -> int:
        """How many operations have had their request checks and response plans compiled so far."""
        return self.operations.compiled_count

    def compiled(self, endpoint: Endpoint) -> Compiled:
        return self.operations.compiled(endpoint)

    def compile_all(self) -> None:
        """Compile every operation now: for callers who want each operation checked, or its first answer as
        fast as later ones."""
        for endpoint in self.endpoints.values():
            self.operations.compiled(endpoint)

    # -- ASGI ----------------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            scope[TRACE_KEY] = Trace()
            await self._stack(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)

    async def _dispatch(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            reply = await self._answer(scope, receive)
        except ClientGone:  # nobody left to answer; the journal and the log show the request without a status
            return
        await send_reply(scope, send, reply)

    async def _answer(self, scope: Scope, receive: Receive) -> Reply:
        """The admin endpoints, the pages, a documented operation, or what comes of an undocumented request."""
        method: str = scope["method"]
        path: str = scope["path"]
        if path.startswith(ADMIN_PREFIX):
            if path.startswith(CONSOLE_PREFIX):
                return await self.console.handle(method, path, scope.get("query_string") or b"",
                                                 request_headers(scope))
            return await self.admin.handle(method, path, scope.get("query_string") or b"", request_headers(scope))
        headers = request_headers(scope)
        if method in ("GET", "HEAD") and self.serves_pages:
            page = self._page(path)
            if page is not None:
                return page
        answers = self.answers
        remembered = answers.key(scope, headers) if answers is not None else None
        if remembered is not None:
            version = answers.version()  # read before the answer is made: a write meanwhile makes it stale
            answer = answers.get(remembered, version)
            if answer is not None:
                scope[TRACE_KEY].operation_id = answer.operation_id
                return answer.reply()
        match = self.router.match(method, path)
        if method == "HEAD" and not isinstance(match, Found):
            head = self.router.match("GET", path)
            if isinstance(head, Found):
                match = head
        if not isinstance(match, Found):
            return await self._unrouted(RequestContext(scope, receive, headers, None, {}),
                                        _unrouted_problem(method, path, match))
        endpoint: Endpoint = match.payload
        handler = endpoint.handler or self.operations.handler(endpoint, self._handler_for)
        reply = await handler(RequestContext(scope, receive, headers, endpoint, match.params))
        # Tells people (and tests) which operation answered when templates overlap.
        reply.headers.append((OPERATION_HEADER, endpoint.op_id_header))
        warnings = scope[TRACE_KEY].warnings
        if warnings:
            self._warn(endpoint.op.operation_id, warnings, reply)
        if remembered is not None and handler.repeatable:
            answers.put(remembered, version, reply, endpoint.op.operation_id)  # type: ignore[union-attr]
        return reply

    def _warn(self, operation_id: str, warnings: list[str], reply: Reply) -> None:
        """A `Warning` header for each thing the answer accepted against the docs, and a log line the first time
        each is seen (at most _WARNINGS_LOGGED of them: a client sending a new code every time logs no flood)."""
        for text in warnings:
            reply.headers.append(_warning_header(text))
            key = (operation_id, text)
            if key not in self._warned and len(self._warned) < _WARNINGS_LOGGED:
                self._warned.add(key)
                logger.warning("%s: %s", operation_id, text)

    @staticmethod
    async def _refuse(ctx: RequestContext, problem: Problem) -> Reply:
        return problem_reply(problem)

    def _handler_for(self, endpoint: Endpoint) -> Any:
        return self._build_handler(endpoint, self.services)

    def _page(self, path: str) -> Reply | None:
        doc = self.documents.get(path)
        failure = self.reload_failure
        if doc is not None:
            return Reply(200, [(b"content-type", doc[1].encode()), *_failure_header(failure)], doc[0])
        if path == "/" and not self.router.methods_for("/"):
            return Reply(200, [(b"content-type", b"text/html; charset=utf-8"), (b"cache-control", b"no-cache"),
                               *_failure_header(failure)], self.console.page(failure).encode())
        return None

    @property
    def console(self) -> Console:
        """The console at `/` (console/): its index and per-tag specs are built when first asked for."""
        if self._console is None:
            self._console = Console(self.doc, self.operations, self.factory, self.config.seed,
                                    any_credential=self.config.auth and not self.config.credentials)
        return self._console

    def _report_json(self) -> dict[str, Any]:
        return {**self.report.to_json(), "reloadFailure": self.reload_failure}

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def aclose(self) -> None:
        """Let go of what the app holds open: the proxy's connections and its recording."""
        if self.proxy is not None:
            await self.proxy.aclose()


def _warning_header(text: str) -> tuple[bytes, bytes]:
    """RFC 7234's `Warning: 299` (a persistent warning): clients and proxies pass it on, and curl -i shows it."""
    quoted = text.replace("\\", "\\\\").replace('"', '\\"')
    return b"warning", f'299 docmock "{quoted}"'.encode("latin-1", "replace")


def _failure_header(failure: str | None) -> list[tuple[bytes, bytes]]:
    if failure is None:
        return []
    first = failure.splitlines()[0] if failure.strip() else "reload failed"
    return [(b"x-docmock-reload-failed", first.encode("latin-1", "replace")[:500])]


def _unrouted_problem(method: str, path: str, match: Any) -> Problem:
    """404, 405 with Allow, or 400 when the path has a documented shape but a parameter fits no operation."""
    if isinstance(match, MethodNotAllowed):
        allow = ", ".join(match.allow)
        return Problem(405, f"{method} is not documented for {path}; allowed: {allow}", headers=(("Allow", allow),))
    if isinstance(match, Mismatch):
        errors = tuple(Violation(f"path.{name}", msg) for name, msg in match.reasons)
        return Problem(400, f"{path} has the shape of a documented path, but a path parameter has the wrong type "
                            "for every operation of that shape", errors)
    return Problem(404, f"no documented operation matches {path}")


def create_app(spec: Mapping[str, Any], config: Config | None = None, *, state: StateEngine | str | None = None,
               **settings: Any) -> MockApp:
    """Compile an OpenAPI 3.0/3.1 document into an ASGI mock; `app.report` lists operations and ambiguities.

    Settings are a `Config` (`create_app(spec, Config(seed=7))`) or its fields as keywords
    (`create_app(spec, seed=7, credentials=["Bearer x"])`), which replace those of `config` when both are given.
    `state` makes writes stick: a StateEngine you built, or where to keep them ("memory", "sqlite:PATH", as
    `Config.state`); None (the default) serves stateless answers.
    """
    if isinstance(state, str):
        settings["state"], state = state, None
    config = (config or Config()).replace(**settings) if settings else (config or Config())
    return MockApp(spec, config, state)
