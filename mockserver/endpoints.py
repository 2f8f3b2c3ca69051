"""The routed operations: one Endpoint per operation, its router, and what its requests need, compiled on first use."""
from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from .auth import AuthPolicy, compile_policy
from .errors import SpecError
from .fakedata import DataFactory
from .responses import ResponsePlanner, StatusPlan, success_code
from .routing import Route, Router
from .spec import OperationSpec, iter_operation_objects, operation_spec
from .validation import RequestValidator, SchemaCompiler, check_refs
from .xmlcodec import XmlWriter


@dataclass(frozen=True, slots=True)
class Compiled:
    """What an operation's requests need beyond routing: its request checks and its response plans."""

    validator: RequestValidator
    success: StatusPlan | None
    plans: Mapping[str, StatusPlan]


@dataclass(slots=True, eq=False)
class Endpoint:
    """One routed operation. Its checks, plans and request handler are compiled on its first request, because
    compiling them for all 3,300 operations of a large spec took most of a second of start-up."""

    op: OperationSpec
    policy: AuthPolicy
    has_cookies: bool
    op_id_header: bytes
    compiled: Compiled | None = field(default=None, repr=False)
    handler: Any = field(default=None, repr=False)  # a steps.Handler, built with `compiled`
    # The operation object and its path item's parameters as the document has them: a reload keeps the
    # endpoint (and what it compiled) when the new document has these same objects (reloading.py).
    source: Any = field(default=None, repr=False)
    shared: Any = field(default=None, repr=False)


class Reuse(Protocol):
    """What a reload lets a new document take over from the running app (reloading.Reuse)."""

    router: Router[Endpoint] | None

    def endpoint(self, path: str, item: Mapping[str, Any], method: str, source: Mapping[str, Any]) -> Endpoint | None:
        """The running app's endpoint for this operation, when its part of the document is unchanged."""


class Operations:
    """Every operation of a document, routed by a segment trie and compiled lazily (thread-safe: a SQLite-backed
    state calls back from worker threads, and one compiles while the others wait)."""

    def __init__(self, doc: Mapping[str, Any], factory: DataFactory, reuse: Reuse | None = None) -> None:
        self.compiler = SchemaCompiler(doc)
        self.xml: XmlWriter = self.compiler.xml
        self.xml.shared = factory.shared  # the variants' XML is written once
        self.planner = ResponsePlanner(doc, factory, self.xml)
        self._lock = threading.RLock()
        self._count = 0
        schemes = ((doc.get("components") or {}).get("securitySchemes") or {})
        policies: dict[tuple[int, ...], AuthPolicy] = {}
        routes: list[Route[Endpoint]] = []
        try:
            for path, item, method, source in iter_operation_objects(doc):
                endpoint = reuse.endpoint(path, item, method, source) if reuse is not None else None
                if endpoint is not None:
                    op = endpoint.op
                    self._count += endpoint.compiled is not None
                else:
                    op = operation_spec(doc, path, item, method, source)
                    # Compiling waits for the first request, but a $ref it would fail on fails start-up.
                    self.planner.check(op)
                    check_refs(op, self.compiler)
                    # Operations usually share the document's `security` list: compile each list once.
                    key = tuple(map(id, op.security or ()))
                    policy = policies.get(key)
                    if policy is None:
                        policy = policies[key] = compile_policy(op.security, schemes)
                    endpoint = Endpoint(op, policy, any(p.location == "cookie" for p in op.parameters),
                                        op.operation_id.encode("latin-1", "replace"), source=source,
                                        shared=item.get("parameters"))
                schemas = {p.name: p.schema for p in op.parameters if p.location == "path"}
                routes.append(Route(op.method, op.path, schemas, endpoint, f"{op.path} ({op.operation_id})"))
        except (KeyError, TypeError, AttributeError) as exc:
            raise SpecError(f"cannot compile the spec: {exc!r}") from exc
        self.router: Router[Endpoint] = Router(routes, reuse.router if reuse is not None else None)
        self.specs: tuple[OperationSpec, ...] = tuple(route.payload.op for route in routes)  # in document order
        self.by_id: dict[str, Endpoint] = {route.payload.op.operation_id: route.payload for route in routes}

    @property
    def compiled_count(self) -> int:
        return self._count

    def compiled(self, endpoint: Endpoint) -> Compiled:
        """The endpoint's request validator and response plans, compiled on the first call and kept.

        Compiling is deterministic and order-independent (generators are pure functions of their schema), so
        an answer does not depend on which operations were requested before it.
        """
        compiled = endpoint.compiled
        if compiled is None:
            with self._lock:
                compiled = endpoint.compiled
                if compiled is None:
                    compiled = endpoint.compiled = self._compile(endpoint.op)
                    self._count += 1
        return compiled

    def handler(self, endpoint: Endpoint, build: Callable[[Endpoint], Any]) -> Any:
        """The endpoint's request handler, built by `build` on first use and kept."""
        handler = endpoint.handler
        if handler is None:
            with self._lock:
                handler = endpoint.handler
                if handler is None:
                    handler = endpoint.handler = build(endpoint)
        return handler

    def _compile(self, op: OperationSpec) -> Compiled:
        try:
            plans = {code: self.planner.plan(op, code) for code in op.responses}
            validator = RequestValidator(op, self.compiler)
        except (KeyError, TypeError, AttributeError) as exc:
            raise SpecError(f"cannot compile {op.operation_id}: {exc!r}") from exc
        except SpecError as exc:
            raise SpecError(f"cannot compile {op.operation_id}: {exc}") from exc
        success = success_code(op)
        return Compiled(validator, plans.get(success) if success else None, plans)
