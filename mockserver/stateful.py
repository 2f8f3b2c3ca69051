"""The state step: writes overlay the generated data, and reads and lists answer from both.

The state engine (`mockserver.state`) never generates data; `GeneratedData` gives it the records and lists a
request would get without state, remembered in bounded caches, and `ApplyState` runs an operation's action.
"""
from __future__ import annotations

import functools
import random
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from starlette.concurrency import run_in_threadpool

from .context import Reply, RequestContext, problem_reply
from .endpoints import Compiled, Endpoint, Operations
from .jsoncodec import Reread, encode
from .problems import Problem, Violation
from .responses import StatusPlan, fill_ids
from .seeding import request_seed
from .state import GENERATE, Action, Entity, Outcome, StateEngine
from .state.engine import names_a_record
from .state.lifecycle import parse_offset
from .state.records import JsonRecord

# Stateful list requests with larger bodies (agent searches) are answered without remembering the list: the
# body would be kept in memory as part of the key.
REMEMBERED_BODY_LIMIT = 4096
RECORD_CACHE_SIZE = 1024
LIST_CACHE_SIZE = 256


class GeneratedData:
    """What a request would get without state: the same seed, the same data.

    Reads and lists answer generated records, so the recent ones are remembered as JSON text and handed out as
    read-only `JsonRecord`s: a read answers the text as it is, and a list looks at each row's id only. Lists
    are remembered as generated, before their rows become records, so a list costs what its records cost. Both
    caches are bounded to keep memory flat: a thousand records cover the pages a client lists and reads (about
    15 MB of PersonEntity records on the SuperOffice spec), and 256 lists much less. Each app has its own.
    """

    def __init__(self, operations: Operations, seed: int) -> None:
        self.operations = operations
        self.seed = seed
        self.record_text = functools.lru_cache(maxsize=RECORD_CACHE_SIZE)(self._record_text)
        self.list_text = functools.lru_cache(maxsize=LIST_CACHE_SIZE)(self._list_text)

    def value(self, endpoint: Endpoint, plan: StatusPlan, path_params: Mapping[str, str],
              query: Mapping[str, list[str]], body: bytes) -> Any:
        """The JSON value a request gets without state."""
        mp = next((m for m in plan.media.values() if m.kind == "json"), None)
        if mp is None:
            return None
        seed = request_seed(self.seed, endpoint.op.operation_id, plan.status, path_params, query, body)
        return fill_ids(mp.gen(random.Random(seed), 0), plan, path_params, query)

    def record(self, entity: Entity, ident: Any) -> JsonRecord:
        """The generated record for an id, holding that id: what the entity's read operation answers for it."""
        text, reread, value = self.record_text(entity.base_operation or "", entity.base_param, entity.id_field, ident)
        return JsonRecord(text, reread, entity.id_field, ident, value)

    def list(self, endpoint: Endpoint, entity: Entity, path_params: Mapping[str, str],
             query: Mapping[str, list[str]], body: bytes) -> Any:
        """The generated list a request gets before the state is applied (a fresh copy). Paging applies to one
        list, so the rows do not depend on $top/$skip."""
        unpaged = {k: v for k, v in query.items() if k.lower() not in ("$top", "$skip")}
        if len(body) > REMEMBERED_BODY_LIMIT:
            value = self._list(endpoint, path_params, unpaged, body)
        else:
            text, reread = self.list_text(endpoint, tuple(path_params.items()),
                                          tuple((k, tuple(v)) for k, v in unpaged.items()), body)
            value = reread(text)
        if isinstance(value, list):
            # Each generated row is the record `GET .../{id}` answers for its id, so list and read agree.
            id_field = entity.id_field
            value = [self.record(entity, row[id_field])
                     if isinstance(row, dict) and names_a_record(row.get(id_field)) else row for row in value]
        return value

    def _list_text(self, endpoint: Endpoint, path_params: tuple[tuple[str, str], ...],
                   query: tuple[tuple[str, tuple[str, ...]], ...], body: bytes) -> tuple[bytes, Reread]:
        return encode(self._list(endpoint, dict(path_params), {k: list(v) for k, v in query}, body))

    def _list(self, endpoint: Endpoint, path_params: Mapping[str, str], query: Mapping[str, list[str]],
              body: bytes) -> Any:
        plan = self.operations.compiled(endpoint).success
        return self.value(endpoint, plan, path_params, query, body) if plan is not None else []

    def _record_text(self, operation_id: str, param: str | None, id_field: str,
                     ident: Any) -> tuple[bytes, Reread, dict[str, Any]]:
        endpoint = self.operations.by_id.get(operation_id)
        success = self.operations.compiled(endpoint).success if endpoint is not None else None
        record = None
        if endpoint is not None and success is not None:
            record = self.value(endpoint, success, {param: str(ident)} if param else {}, {}, b"")
        record = record if isinstance(record, dict) else {}
        record[id_field] = ident
        # The record itself is kept beside its text, for whoever reads its fields (the XML writer, a list's
        # filters): most of it is the carriers' shared variants, so it costs little more than the text.
        return (*encode(record), record)


def clock_offset(at: str | None) -> float | Reply:
    """The seconds `Prefer: at=+10s` adds to the session's clock, or the 400 for a malformed value."""
    if at is None:
        return 0.0
    seconds = parse_offset(at)
    if seconds is None:
        return problem_reply(Problem(400, f"Prefer: at={at} is not an offset such as +10s, +2m or -1h, within a "
                                          "hundred years",
                                     (Violation("header.Prefer", f"at={at} is not an offset"),)))
    return seconds


class ApplyState:
    """Runs the operation's stateful action: a write is stored, a read or list answers from the store over the
    generated data. `Prefer: code=` and `example=` bypass the state."""

    __slots__ = ("engine", "action", "endpoint", "compiled", "generated", "blocks")

    def __init__(self, engine: StateEngine, action: Action, endpoint: Endpoint, compiled: Compiled,
                 generated: GeneratedData) -> None:
        self.engine = engine
        self.action = action
        self.endpoint = endpoint
        self.compiled = compiled
        self.generated = generated
        # SQLite may wait for another process's lock: those calls go to a thread to keep the event loop free.
        self.blocks = engine.blocks(action)

    def __call__(self, ctx: RequestContext) -> Reply | None | Awaitable[Reply | None]:
        prefs = ctx.prefs
        if prefs.code is not None or prefs.example is not None:
            return None
        raw = ctx.body or b""
        content_type = ctx.headers.get("content-type")
        if not ctx.body_typed:
            # An XML or form body whose text does not type as the schema says is accepted (those encodings
            # cannot say everything JSON can), but remembering it would make later answers break the spec.
            return None
        entity = self.action.entity
        at = clock_offset(prefs.at)
        if isinstance(at, Reply):
            return at
        outcome_call = functools.partial(
            self.engine.handle, self.action, ctx.session, ctx.path_params, ctx.query, ctx.parsed_body, content_type,
            functools.partial(self.generated.record, entity),
            functools.partial(self.generated.list, self.endpoint, entity, ctx.path_params, ctx.query, raw), at)
        if self.blocks:
            return self._in_thread(ctx, outcome_call)
        return self._answer(ctx, outcome_call())

    async def _in_thread(self, ctx: RequestContext, call: Callable[[], Outcome]) -> Reply | None:
        return self._answer(ctx, await run_in_threadpool(call))

    def _answer(self, ctx: RequestContext, outcome: Outcome) -> Reply | None:
        if outcome.problem is not None:
            return problem_reply(Problem(outcome.status, outcome.problem))
        if outcome.value is GENERATE:
            return None
        answer = self.compiled.plans.get(str(outcome.status)) or ctx.plan
        if answer is not ctx.plan:
            ctx.plan, ctx.media = answer, None
        ctx.status = outcome.status
        ctx.value = outcome.value
        return None
