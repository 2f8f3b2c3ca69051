"""The request step of an OData list operation: it reads the query, chooses the representation (`$format`
before `Accept`) and answers the page from the list's rows and the session's stored records."""
from __future__ import annotations

import contextlib
import functools
import os
import time
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from starlette.concurrency import run_in_threadpool

from ..context import Reply, RequestContext, problem_reply
from ..endpoints import Compiled
from ..errors import SpecError
from ..fakedata import DataFactory
from ..negotiation import Negotiator
from ..problems import Problem
from ..responses import choose_media
from ..spec import OperationSpec, RefFollower
from ..state import Action, Reply as StateReply, Role, StateEngine
from ..stateful import GeneratedData, clock_offset
from ..steps import Negotiate, StepResult, not_acceptable
from .archive import ArchiveList, ListSource, base_url
from .query import DEFAULT_PAGE_SIZE, ODataQuery, ODataQueryError, parse_query

_MARKERS = ("$filter", "$orderby")  # a list that documents these is an OData archive list


def is_odata_list(op: OperationSpec, compiled: Compiled, doc: Mapping[str, Any]) -> bool:
    """Whether the operation is an OData list: it documents `$filter` or `$orderBy`, and answers an object
    whose `value` is an array of rows."""
    if not any(p.location == "query" and p.name.lower() in _MARKERS for p in op.parameters):
        return False
    plan = compiled.success
    media = next((m for m in plan.media.values() if m.kind == "json"), None) if plan is not None else None
    if media is None:
        return False
    follow = RefFollower(doc)
    try:
        schema = follow(media.schema)
        value = follow((schema.get("properties") or {}).get("value") or {})
    except SpecError:  # a schema the list cannot read is answered as any other operation's
        return False
    return isinstance(value, Mapping) and (value.get("type") == "array" or "items" in value)


def build_archive(op: OperationSpec, compiled: Compiled, doc: Mapping[str, Any], factory: DataFactory, seed: int,
                  action: Action | None, generated: GeneratedData | None) -> ArchiveList:
    samples: list[Any] = []
    if compiled.success is not None:
        for media in compiled.success.media.values():
            for example in media.examples.values():
                rows = example.get("value") if isinstance(example, Mapping) else None
                if isinstance(rows, list) and rows:
                    samples = rows
                    break
            if samples:
                break
    source = None
    entity_name = None
    if action is not None and generated is not None:
        entity = action.entity
        entity_name = entity.name
        components = (doc.get("components") or {}).get("schemas") or {}
        carrier = components.get(entity.carriers[0]) if entity.carriers else None
        schemas = (carrier or {}).get("properties") if isinstance(carrier, Mapping) else None
        source = ListSource(functools.partial(generated.record, entity), entity.properties,
                            schemas if isinstance(schemas, Mapping) else None)
    return ArchiveList(op.operation_id, op.path, samples, factory, seed, source, entity_name)


class ODataList:
    """Answers an OData list request: 400 naming every malformed option (with the column in `$filter`), else
    the page. `Prefer: code=` and `example=` answer as for any operation."""

    __slots__ = ("archive", "negotiator", "negotiate", "engine", "action", "blocks")

    def __init__(self, archive: ArchiveList, negotiator: Negotiator, engine: StateEngine | None = None,
                 action: Action | None = None) -> None:
        self.archive = archive
        self.negotiator = negotiator
        self.negotiate = Negotiate(negotiator)
        usable = action is not None and action.role is Role.LIST and action.reply is StateReply.ENVELOPE
        self.engine = engine  # its clock dates every list; its records are rows of the list's own entity
        self.action = action if usable else None
        # A page in id order reads a few records: a thread only when the store's reads may wait (Redis).
        self.blocks = engine is not None and self.action is not None and engine.store.reads_block

    def __call__(self, ctx: RequestContext) -> StepResult:
        prefs = ctx.prefs
        plan = ctx.plan
        if prefs.code is not None or prefs.example is not None or plan is None or not plan.has_body:
            return self.negotiate(ctx)
        try:
            query = parse_query(ctx.query)
        except ODataQueryError as exc:
            n = len(exc.violations)
            return problem_reply(Problem(400, f"the list query has {n} problem{'s' if n > 1 else ''}; see errors",
                                         exc.violations))
        at = clock_offset(prefs.at)
        if isinstance(at, Reply):
            return at
        accept = query.accept or ctx.headers.get("accept")
        media = choose_media(self.negotiator, accept, plan)
        if media is None:
            return not_acceptable(accept, plan.offers)
        ctx.media = media
        # A page in id order reads a few stored records (a default page of 50 stored 14 KB persons: about
        # 20 ms), and walks the store's index of keys up to it (SQLite: 4 ms at 50,000): on the event loop,
        # where a soak answers faster than with a thread hop. A filtered or sorted list reads every one of the
        # session's records, and a page may ask for any number (`$top=100000`): those not on the event loop.
        scans = self.action is not None and (query.page_size > DEFAULT_PAGE_SIZE
                                             or not self.archive.in_id_order(query, ctx.path_params))
        if self.blocks or scans:
            return self._in_thread(ctx, query, at)
        self._answer(ctx, query, at)
        return None

    async def _in_thread(self, ctx: RequestContext, query: ODataQuery, at: float) -> None:
        await run_in_threadpool(self._answer, ctx, query, at)

    def _answer(self, ctx: RequestContext, query: ODataQuery, at: float) -> None:
        session = ctx.session
        now = self.engine.time.now(session, at) if self.engine is not None else time.time() + at
        today = datetime.fromtimestamp(now, timezone.utc).date()
        salt = os.urandom(8).hex() if ctx.prefs.dynamic else ""  # `Prefer: dynamic=true`: fresh rows
        base = base_url(ctx.scope.get("scheme", "http"), ctx.headers.get("host"))
        raw_query = (ctx.scope.get("query_string") or b"").decode("latin-1")
        stored = self.engine.view(session, self.action.entity, now) \
            if self.engine is not None and self.action is not None else contextlib.nullcontext()
        with stored as view:  # the session's records of the list's entity, read from one snapshot
            if view is not None and self.archive.in_id_order(query, ctx.path_params):
                chosen, more = self.archive.first_page(query, ctx.path_params, view, today, salt)
                ctx.value = self.archive.envelope(query, chosen, more, base, ctx.path, raw_query)
            else:
                rows = self.archive.rows(query, ctx.path_params, view, today, salt)
                ctx.value = self.archive.page(query, rows, base, ctx.path, raw_query)
        ctx.shaped = True
