"""The request-level behaviour of stateful mocking: overlaying writes on generated data, per session."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from .entities import CREATED_ID_START, Action, Entity, Filter, Inference, InferenceMemo, Reply, Role, infer
from .errors import PatchConflict, PatchError
from .lifecycle import CLOCK, RUNS, Clock, Lifecycle, Run, compile_lifecycles
from .patch import SUPEROFFICE_PATCH_OPS, apply_json_patch, apply_merge_patch, find_key
from ..coherence import follow_names
from ..errors import SpecError
from ..spec import OperationSpec, RefFollower, declared_type, in_any_case
from .records import JsonRecord, as_mapping
from .store import DELETED, MemoryStore, Store, key_order

DEFAULT_SESSION = "default"
# The session's clock reading a request on records with a lifecycle is answered at (set by StateEngine.handle).
_MOMENT: ContextVar[float | None] = ContextVar("docmock_moment", default=None)
SESSION_HEADER = "x-mock-session"
MAX_SESSION_LENGTH = 200


class _Sentinel:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


NO_BODY: Any = _Sentinel("NO_BODY")    # answer with the status and no body (204 ...)
GENERATE: Any = _Sentinel("GENERATE")  # the state effect is done; the server generates the documented body


@dataclass(frozen=True, slots=True)
class Outcome:
    """What to answer: `value` is JSON-able data, NO_BODY or GENERATE; `problem` is set for 4xx answers."""

    status: int
    value: Any
    problem: str | None = None


Base = Callable[[Any], Mapping[str, Any]]
BaseList = Callable[[], Any]


def names_a_record(value: Any) -> bool:
    """Whether a row's id value can be a record's key: not null, not a boolean, an object or an array."""
    return value is not None and not isinstance(value, (bool, dict, list))


def session_name(header_value: str | None) -> str:
    """The session an X-Mock-Session header value names; absent or blank is the shared default session."""
    if header_value is None:
        return DEFAULT_SESSION
    name = header_value.strip()[:MAX_SESSION_LENGTH]
    return name or DEFAULT_SESSION


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value).lower()


def _get(obj: Any, name: str) -> Any:
    if not isinstance(obj, Mapping):
        return None
    k = find_key(obj, name)
    return obj[k] if k is not None else None


class StateEngine:
    """Remembers writes per session and answers stateful operations over the generated base data.

    Build it once at start-up (`from_spec`), look up each operation's Action once (`action_for`), then call
    `handle` per request. The engine never generates data: `base(id)` and `base_list()` callbacks do.
    """

    def __init__(self, inference: Inference, store: Store | None = None,
                 clock: Callable[[], str] | None = None, *, lifecycles: Mapping[str, Lifecycle] | None = None,
                 seed: int = 0) -> None:
        self.inference = inference
        self.store = store if store is not None else MemoryStore()
        self.clock = clock or _now  # the Created/Updated stamps
        self.time = Clock(self.store)  # the lifecycles' clock: real time plus each session's offset
        self.lifecycles: Mapping[str, Lifecycle] = lifecycles or {}
        self.seed = seed
        self.entities: tuple[Entity, ...] = inference.entities
        self._actions: Mapping[str, Action] = inference.actions

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any], store: Store | None = None,
                  overrides: Mapping[str, Any] | None = None,
                  clock: Callable[[], str] | None = None, *, operations: Iterable[OperationSpec] | None = None,
                  memo: InferenceMemo | None = None, seed: int = 0) -> StateEngine:
        """`operations` and `memo` save work the caller has done already (see `infer`); `seed` draws which
        lifecycle runs fail."""
        inference = infer(spec, overrides, operations=operations, memo=memo)
        return cls(inference, store, clock, lifecycles=_lifecycles(spec, inference, overrides), seed=seed)

    def carried(self, spec: Mapping[str, Any], overrides: Mapping[str, Any] | None) -> StateEngine:
        """This engine's inference, store and seed for a reloaded spec of the same structure, with the
        lifecycles of the overrides file as it is now."""
        return StateEngine(self.inference, self.store, self.clock,
                           lifecycles=_lifecycles(spec, self.inference, overrides), seed=self.seed)

    def store_names(self) -> frozenset[str]:
        """Every name this engine keeps records under in the store: the entities, their runs, the clocks."""
        return frozenset({e.name for e in self.entities} | {RUNS + e.name for e in self.entities} | {CLOCK})

    def moves(self, action: Action) -> bool:
        """Whether the action's answers change as time passes (its entity has a lifecycle)."""
        return action.entity.name in self.lifecycles

    # -- start-up ---------------------------------------------------------------------------------------------

    @property
    def blocking(self) -> bool:
        """Whether some call may wait on another process (a shared SQLite file): see `blocks` per action."""
        return self.store.reads_block or self.store.writes_block

    def blocks(self, action: Action) -> bool:
        """Whether handling `action` may take long or wait on another process, so that a caller on an event loop
        should use a thread. A READ reads one record, which never waits under SQLite's WAL and costs a few
        microseconds, far less than a thread hop. A LIST reads every stored record of its entity in the session,
        which may be a hundred thousand. Writes may wait for another worker's transaction."""
        if action.role is Role.LIST:
            return True
        if action.role is Role.READ:
            return self.store.reads_block
        return self.store.writes_block

    def action_for(self, operation_id: str) -> Action | None:
        """The compiled stateful action of an operation, or None when the operation is stateless."""
        return self._actions.get(operation_id)

    @property
    def actions(self) -> Mapping[str, Action]:
        return self._actions

    def describe(self) -> list[str]:
        """Printable lines for `docmock serve`: each entity, its id, carriers and the operations working on it."""
        n = len(self.entities)
        out = [f"State ({self.store.describe()}): {n} stateful entit{'y' if n == 1 else 'ies'}"
               + (":" if n else "; every operation answers with generated data only.")]
        for e in self.entities:
            origin = "" if e.origin == "inferred" else f", from {e.origin}"
            out.append(f"  {e.name}: id {e.id_field} ({e.id_type}), carriers {', '.join(e.carriers)}, "
                       f"base record from {e.base_operation or '-'}{origin}")
            for a in sorted((a for a in self._actions.values() if a.entity.name == e.name),
                            key=lambda a: (list(Role).index(a.role), a.path, a.method)):
                out.append(a.line())
        for name, lifecycle in self.lifecycles.items():
            moving = ", ".join([*lifecycle.steps, *lifecycle.rises])
            out.append(f"  lifecycle: {name} moves {moving} over {lifecycle.end:g}s"
                       + (f", {lifecycle.fail_share:.0%} of runs fail" if lifecycle.fail_share else "")
                       + (f", stopped by {', '.join(lifecycle.stop_operations)}" if lifecycle.stop_operations else ""))
        out.extend(f"  note: {note}" for note in self.inference.notes)
        return out

    # -- admin ------------------------------------------------------------------------------------------------

    def reset(self, session: str | None = None) -> None:
        """Forget every session's writes (None) or one session's; ids start again at CREATED_ID_START."""
        self.store.reset(session)

    def snapshot(self, session: str | None = None) -> dict[str, Any]:
        """What `GET /__docmock/state` shows: the store, and per session and entity the records and tombstones."""
        return {"store": self.store.describe(), "created_id_start": CREATED_ID_START,
                "entities": [e.name for e in self.entities], "sessions": self.store.dump(session)}

    def sessions(self, session: str | None = None) -> list[dict[str, Any]]:
        """What `GET /__docmock/sessions` shows: each session that holds anything, with how many records and
        deleted ids of each entity (the console's session list; `snapshot` has the records themselves)."""
        return [{"session": name, "entities": {entity: {"records": len(slot["records"]), "deleted": len(slot["deleted"])}
                                               for entity, slot in entities.items()}}
                for name, entities in self.store.dump(session).items()]

    def close(self) -> None:
        self.store.close()

    # -- requests ---------------------------------------------------------------------------------------------

    def handle(self, action: Action, session: str, path_params: Mapping[str, str],
               query: Mapping[str, list[str]], body: Any, content_type: str | None,
               base: Base, base_list: BaseList, at: float = 0.0) -> Outcome:
        """Apply one request. `body` is the parsed JSON body (None when absent); `query` as parse_qs gives it.

        `base(id)` returns the generated record for an id (the entity's `base_operation` answered for that id);
        `base_list()` returns the generated answer of this list operation (an array, or an object whose `value`
        is the array of rows). `at`: seconds to add to the session's clock for this request (`Prefer: at=+10s`).
        """
        session = session or DEFAULT_SESSION
        handler = _HANDLERS[action.role]
        # A request on records that move is answered at one moment of the session's clock, whatever it reads.
        moment = _MOMENT.set(self.time.now(session, at)) if action.entity.name in self.lifecycles else None
        try:
            return handler(self, action, session, path_params, query, body, content_type or "", base, base_list)
        finally:
            if moment is not None:
                _MOMENT.reset(moment)

    # -- lifecycles -------------------------------------------------------------------------------------------

    def _live(self, session: str, entity: Entity, key: str, record: Any) -> Any:
        """`record` as it is now, when its entity has a lifecycle and the record is in a run."""
        lifecycle = self.lifecycles.get(entity.name)
        if lifecycle is None or record is None or record is DELETED:
            return record
        run = Run.from_json(self.store.get(session, RUNS + entity.name, key))
        if run is None:
            return record
        return {**as_mapping(record), **lifecycle.values(run, self._now())}

    def records(self, session: str, entity: Entity, now: float,
                stored: Mapping[str, Any] | None = None) -> tuple[dict[str, Any], frozenset[str]]:
        """A session's stored records of `entity` as they are at `now` (epoch seconds), by key, and the keys
        it deleted. `stored`: the entity's entries, when the caller has read them already."""
        stored = self.store.entries(session, entity.name) if stored is None else stored
        records = {k: v for k, v in stored.items() if v is not DELETED}
        deleted = frozenset(k for k, v in stored.items() if v is DELETED)
        if entity.name in self.lifecycles and records:
            self._at(entity, records, self.store.entries(session, RUNS + entity.name), now)
        return records, deleted

    def _at(self, entity: Entity, records: dict[str, Any], runs: Mapping[str, Any], now: float) -> None:
        """Give the records in a lifecycle's run their values at `now` (in place)."""
        lifecycle = self.lifecycles[entity.name]
        for key, raw in runs.items():
            run = Run.from_json(raw) if raw is not DELETED else None
            if run is not None and key in records:
                records[key] = {**as_mapping(records[key]), **lifecycle.values(run, now)}

    @contextmanager
    def view(self, session: str, entity: Entity, now: float) -> Iterator[StoredView]:
        """A session's stored records of `entity` at `now`, to read a few at a time (a list's page), all from
        one snapshot of the store."""
        with self.store.one_snapshot():
            yield StoredView(self, session or DEFAULT_SESSION, entity, now)

    def _session_time(self, session: str) -> str:
        """The session's clock as a server-set date (`Created`, `Updated`): the moment a lifecycle request is
        answered at, else now on the session's clock."""
        moment = _MOMENT.get()
        moment = moment if moment is not None else self.time.now(session)
        return datetime.fromtimestamp(moment, timezone.utc).isoformat(timespec="seconds")

    def _now(self) -> float:
        """The moment the request in hand is answered at (see `handle`), else real time."""
        moment = _MOMENT.get()
        return moment if moment is not None else self.time.real()

    def advance_clock(self, session: str, seconds: float) -> float | None:
        """Move a session's clock forward (or back) for the lifecycles; the session's new offset in seconds, or
        None (nothing moved) when it would be more than a hundred years from real time."""
        return self.time.advance(session or DEFAULT_SESSION, seconds)

    # helpers ------------------------------------------------------------------------------------------------

    @staticmethod
    def _key(entity: Entity, raw: Any) -> tuple[Any, str] | None:
        """(typed id, store key) for a raw id, or None when it cannot be an id of the entity."""
        if raw is None or isinstance(raw, bool):
            return None
        if entity.id_type == "integer":
            if isinstance(raw, float) and raw.is_integer():
                raw = int(raw)  # 42.0 is the integer 42 to JSON Schema, so it names the same record
            if isinstance(raw, int):
                return raw, str(raw)
            text = str(raw).strip()
            if text.lstrip("-").isdigit():
                return int(text), str(int(text))
            return None
        text = str(raw)
        return (text, text) if text else None

    def _id_from(self, action: Action, path_params: Mapping[str, str], query: Any, body: Any) -> Any:
        if action.id_source is None:
            return None
        where, name = action.id_source
        if where == "path":  # the same item under another spelling ({id} vs {Id}) too
            return in_any_case(path_params, name)
        if where == "query":  # GetContactEntity?contactEntityId=5
            values = in_any_case(query or {}, name)
            return values[-1] if values else None  # the value the request check judged
        return _get(body, name)

    def _target(self, action: Action, path_params: Mapping[str, str], query: Any,
                body: Any) -> tuple[Any, str] | Outcome:
        """The (id, store key) a request names, or the answer when it names none or an impossible one."""
        raw = self._id_from(action, path_params, query, body)
        key = self._key(action.entity, _unsent_id(action.entity) if raw is None else raw)
        return key if key is not None else self._missing(action.entity, raw)

    @staticmethod
    def _missing(entity: Entity, ident: Any) -> Outcome:
        if ident is None or ident == "":
            return Outcome(400, NO_BODY, f"the request names no {entity.name}: its id ({entity.id_field}) is missing")
        return Outcome(404, NO_BODY, f"{entity.name} {ident} does not exist")

    def _current(self, stored: Any, entity: Entity, ident: Any, base: Base) -> Mapping[str, Any] | None:
        """The record as a client sees it now: stored, deleted (None) or the generated base."""
        if stored is DELETED:
            return None
        if stored is not None:
            return stored
        if entity.id_type == "integer" and ident >= CREATED_ID_START:
            return None  # only created records live up there; nothing generated ever does
        generated = base(ident)
        if type(generated) is JsonRecord and generated.id_field == entity.id_field and generated.ident == ident:
            return generated  # it holds the id already; answered as its text unless someone looks inside
        record = dict(generated)
        record[entity.id_field] = ident
        return record

    @staticmethod
    def _canonical(entity: Entity, record: Mapping[str, Any]) -> dict[str, Any]:
        return {entity.properties.get(k.lower(), k) if isinstance(k, str) else k: v for k, v in record.items()}

    def _stamp(self, entity: Entity, record: dict[str, Any], ident: Any, previous: Mapping[str, Any] | None,
               session: str) -> None:
        record[entity.id_field] = ident
        now = self.clock() if self.clock is not _now else self._session_time(session)
        for f in entity.created_fields:
            if previous is None:
                record[f] = now
            elif f in previous:
                record[f] = previous[f]
        for f in entity.updated_fields:
            record[f] = now

    @staticmethod
    def _reply(action: Action, record: Any, ident: Any) -> Outcome:
        reply = action.reply
        if reply is Reply.RECORD:
            return Outcome(action.status, record)
        if reply is Reply.ID:
            return Outcome(action.status, ident)
        if reply is Reply.NONE:
            return Outcome(action.status, NO_BODY)
        if reply is Reply.TRUE:
            return Outcome(action.status, True)
        if reply is Reply.LIST:
            return Outcome(action.status, [record])
        return Outcome(action.status, GENERATE)

    def _body_record(self, action: Action, body: Any) -> dict[str, Any] | Outcome:
        record = _get(body, action.body_prop) if action.body_prop else body
        if record is None:
            record = {}
        if not isinstance(record, Mapping):
            where = f"body.{action.body_prop}" if action.body_prop else "the body"
            return Outcome(400, NO_BODY, f"{where} must be a {action.entity.name} object")
        return self._canonical(action.entity, record)

    # roles --------------------------------------------------------------------------------------------------

    def _read(self, action: Action, session: str, path_params: Mapping[str, str], query: Any, body: Any,
              content_type: str, base: Base, base_list: BaseList) -> Outcome:
        entity = action.entity
        key = self._target(action, path_params, query, body)
        if isinstance(key, Outcome):
            return key
        record = self._current(self.store.get(session, entity.name, key[1]), entity, key[0], base)
        if record is None:
            return self._missing(entity, key[0])
        return self._reply(action, self._live(session, entity, key[1], record), key[0])

    def _create(self, action: Action, session: str, path_params: Mapping[str, str], query: Any, body: Any,
                content_type: str, base: Base, base_list: BaseList, ident: Any = None) -> Outcome:
        entity = action.entity
        record = self._body_record(action, body)
        if isinstance(record, Outcome):
            return record
        with self.store.transaction(session) as tx:
            number = tx.next_id(entity.name, CREATED_ID_START)
            new_id: Any = number if entity.id_type == "integer" else str(number)
            # Generated data is the base, the client's fields overlay it: a partial body still reads back whole.
            full = self._canonical(entity, base(new_id))
            full.update(record)
            follow_names(full, record, entity.full_name)
            self._stamp(entity, full, new_id, None, session)
            tx.put(entity.name, str(new_id), full)
            lifecycle = self.lifecycles.get(entity.name)
            if lifecycle is not None:
                run = lifecycle.start(self._now(), self.seed, new_id)
                tx.put(RUNS + entity.name, str(new_id), run.to_json())
                full = {**full, **lifecycle.values(run, run.start)}
        return self._reply(action, full, new_id)

    def _replace(self, action: Action, session: str, path_params: Mapping[str, str], query: Any, body: Any,
                 content_type: str, base: Base, base_list: BaseList) -> Outcome:
        entity = action.entity
        record = self._body_record(action, body)
        if isinstance(record, Outcome):
            return record
        raw = self._id_from(action, path_params, query, body) if action.id_source else record.get(entity.id_field)
        if action.role is Role.UPSERT and (raw in (None, 0, "", "0")):
            return self._create(action, session, path_params, query, body, content_type, base, base_list)
        key = self._key(entity, _unsent_id(entity) if raw is None else raw)
        if key is None:
            if raw is None:
                return Outcome(400, NO_BODY, f"the {entity.name} to update has no {entity.id_field}")
            return self._missing(entity, raw)
        return self._rewrite(action, session, key, base, lambda current: record)

    def _patch(self, action: Action, session: str, path_params: Mapping[str, str], query: Any, body: Any,
               content_type: str, base: Base, base_list: BaseList) -> Outcome:
        entity = action.entity
        key = self._target(action, path_params, query, body)
        if isinstance(key, Outcome):
            return key
        media = content_type.split(";", 1)[0].strip().lower()
        merge = "merge-patch" in media or ("json-patch" not in media and isinstance(body, Mapping))

        def patched(current: dict[str, Any]) -> Any:
            try:
                if merge:
                    result = apply_merge_patch(current, body, names=entity.names)
                else:
                    result = apply_json_patch(current, body, names=entity.names, allowed=SUPEROFFICE_PATCH_OPS)
            except PatchConflict as exc:
                return Outcome(409, NO_BODY, str(exc))
            except PatchError as exc:
                return Outcome(400, NO_BODY, str(exc))
            if not isinstance(result, dict):
                return Outcome(400, NO_BODY, f"the patch would turn the {entity.name} into a non-object")
            return result

        return self._rewrite(action, session, key, base, patched)

    def _rewrite(self, action: Action, session: str, key: tuple[Any, str], base: Base,
                 change: Callable[[dict[str, Any]], Any]) -> Outcome:
        """Replaces the record `key` names by `change(current)` in one transaction, so concurrent writers never
        lose an update; an Outcome from `change` is answered instead and nothing is written."""
        entity = action.entity
        with self.store.transaction(session) as tx:
            current = self._current(tx.get(entity.name, key[1]), entity, key[0], base)
            if current is None:
                return self._missing(entity, key[0])
            if entity.name in self.lifecycles:
                current = self._live(session, entity, key[1], current)
            current = as_mapping(current)
            record = change(current)
            if isinstance(record, Outcome):
                return record
            follow_names(record, {k: v for k, v in record.items() if current.get(k) != v}, entity.full_name)
            self._stamp(entity, record, key[0], current, session)
            tx.put(entity.name, key[1], record)
        if entity.name in self.lifecycles:  # a record in a run answers with where its run is now
            record = self._live(session, entity, key[1], record)
        return self._reply(action, record, key[0])

    def _delete(self, action: Action, session: str, path_params: Mapping[str, str], query: Any, body: Any,
                content_type: str, base: Base, base_list: BaseList) -> Outcome:
        entity = action.entity
        key = self._target(action, path_params, query, body)
        if isinstance(key, Outcome):
            return key
        with self.store.transaction(session) as tx:
            if not self._exists(tx.get(entity.name, key[1]), entity, key[0]):
                return self._missing(entity, key[0])
            tx.delete(entity.name, key[1])
        return self._reply(action, None, key[0])

    def _stop(self, action: Action, session: str, path_params: Mapping[str, str], query: Any, body: Any,
              content_type: str, base: Base, base_list: BaseList) -> Outcome:
        """Ends the record's run now (its lifecycle's `stop` values); a record not in a run is left alone."""
        entity = action.entity
        key = self._target(action, path_params, query, body)
        if isinstance(key, Outcome):
            return key
        lifecycle = self.lifecycles.get(entity.name)
        with self.store.transaction(session) as tx:
            if not self._exists(tx.get(entity.name, key[1]), entity, key[0]):
                return self._missing(entity, key[0])
            run = Run.from_json(tx.get(RUNS + entity.name, key[1]))
            now = self._now()
            if lifecycle is not None and run is not None and lifecycle.running(run, now):
                tx.put(RUNS + entity.name, key[1], Run(run.start, now, run.fails_at).to_json())
        if action.reply is Reply.RECORD:
            stored = self._current(self.store.get(session, entity.name, key[1]), entity, key[0], base)
            return Outcome(action.status, self._live(session, entity, key[1], stored))
        return self._reply(action, None, key[0])

    def _delete_many(self, action: Action, session: str, path_params: Mapping[str, str], query: Any, body: Any,
                     content_type: str, base: Base, base_list: BaseList) -> Outcome:
        entity = action.entity
        raw = self._id_from(action, path_params, query, body)
        keys = [k for k in (self._key(entity, r) for r in (raw if isinstance(raw, list) else [raw])) if k]
        with self.store.transaction(session) as tx:
            for ident, key in keys:  # SuperOffice deletes what exists and ignores the rest
                if self._exists(tx.get(entity.name, key), entity, ident):
                    tx.delete(entity.name, key)
        return self._reply(action, None, None)

    @staticmethod
    def _exists(stored: Any, entity: Entity, ident: Any) -> bool:
        if stored is DELETED:
            return False
        if stored is not None:
            return True
        return not (entity.id_type == "integer" and ident >= CREATED_ID_START)

    def _list(self, action: Action, session: str, path_params: Mapping[str, str], query: Mapping[str, list[str]],
              body: Any, content_type: str, base: Base, base_list: BaseList) -> Outcome:
        entity = action.entity
        if action.reply not in (Reply.LIST, Reply.ENVELOPE):
            return Outcome(action.status, GENERATE)
        stored = self.store.entries(session, entity.name)
        if entity.name in self.lifecycles:
            records, _ = self.records(session, entity, self._now(), stored)
            stored = {k: records.get(k, v) for k, v in stored.items()}
        payload = base_list()
        value_key = None
        if isinstance(payload, Mapping):
            value_key = find_key(payload, "value") or "value"
            rows = payload.get(value_key) or []
        else:
            rows = payload if isinstance(payload, list) else []
        criteria = self._criteria(action, path_params, query, body)
        wanted = _requested_values(action, path_params, query, body)
        out: list[Any] = []
        seen: set[str] = set()
        for index, row in enumerate(rows):
            key = self._row_key(entity, row)
            if key is not None:
                if key in seen:
                    continue
                seen.add(key)
                if key in stored:
                    if stored[key] is DELETED:
                        continue
                    out.append(stored[key])
                    continue
            # A generated row is one of the records asked for (`/BatchTask/Failed` lists failed tasks), so it
            # takes the requested values; stored rows are what clients wrote, and are filtered instead.
            out.append(_conform(row, wanted, index, entity))
        for key in sorted(stored, key=key_order):
            if key not in seen and stored[key] is not DELETED:
                out.append(stored[key])
        if criteria:
            out = [row for row in out if _matches(row, criteria)]
        if action.paging:
            skip = _int_param(query, "$skip")
            top = _int_param(query, "$top")
            if skip:
                out = out[skip:]
            if top is not None and top >= 0:
                out = out[:top]
        if value_key is not None:
            envelope = dict(payload)
            envelope[value_key] = out
            return Outcome(action.status, envelope)
        return Outcome(action.status, out)

    @staticmethod
    def _row_key(entity: Entity, row: Any) -> str | None:
        if not isinstance(row, Mapping):
            return None
        for name in (entity.id_field, f"{entity.name}Id", "id"):
            value = _get(row, name)
            if names_a_record(value):
                return str(value)
        return None

    @staticmethod
    def _criteria(action: Action, path_params: Mapping[str, str], query: Mapping[str, list[str]],
                  body: Any) -> list[tuple[str, frozenset[str]]]:
        out = []
        for f in action.filters:
            values = _filter_values(f, path_params, query, body)
            if values is None:
                continue
            if f.prop in action.entity.wildcards and "all" in values:
                continue
            out.append((f.prop, values))
        return out


def _filter_values(f: Filter, path_params: Mapping[str, str], query: Mapping[str, list[str]],
                   body: Any) -> frozenset[str] | None:
    if f.where == "path":
        raw: Any = path_params.get(f.source)
    elif f.where == "query":
        raw = query.get(f.source)
        if raw is None:
            raw = next((v for k, v in query.items() if k.lower() == f.source.lower()), None)
        if isinstance(raw, list):
            raw = [x for part in raw for x in str(part).split(",")] if f.many else (raw[-1] if raw else None)
    else:
        raw = _get(body, f.source)
    if raw is None or raw == "" or raw == []:
        return None
    items = raw if isinstance(raw, list) else [raw]
    return frozenset(_text(x) for x in items)


def _requested_values(action: Action, path_params: Mapping[str, str], query: Mapping[str, list[str]],
                      body: Any) -> list[tuple[str, list[Any]]]:
    """The filters' values as the request gave them (typed, in order), skipping wildcards such as `All`."""
    out = []
    for f in action.filters:
        if f.where == "path":
            raw: Any = path_params.get(f.source)
        elif f.where == "body":
            raw = _get(body, f.source)
        else:
            continue  # query filters arrive as text; generated rows are left as they are
        items = [x for x in (raw if isinstance(raw, list) else [raw]) if x is not None and x != ""]
        if not items or (f.prop in action.entity.wildcards and any(_text(x) == "all" for x in items)):
            continue
        out.append((f.prop, items))
    return out


def _conform(row: Any, wanted: list[tuple[str, list[Any]]], index: int, entity: Entity) -> Any:
    if not wanted or not isinstance(row, Mapping):
        return row
    row = dict(row)
    for prop, items in wanted:
        k = find_key(row, prop)
        allowed = entity.enums.get(k or prop)
        if allowed is not None:
            # A value the record's enum does not allow matches no record: the filter then drops this row.
            items = [x for x in items if str(x) in allowed]
        if k is None or not items:
            continue
        value = _like(row[k], items[index % len(items)])
        if value is not None:
            row[k] = value
    return row


def _like(current: Any, value: Any) -> Any:
    """`value` in the JSON type of `current` (XML and form bodies bring text), or None when it cannot be."""
    if isinstance(current, bool) or isinstance(value, bool):
        text = _text(value)
        return {"true": True, "false": False}.get(text) if isinstance(current, bool) else None
    try:
        if isinstance(current, int):
            return int(value)
        if isinstance(current, float):
            return float(value)
    except (TypeError, ValueError):
        return None
    if isinstance(current, str):
        return value if isinstance(value, str) else str(value)
    return value


def _matches(row: Any, criteria: list[tuple[str, frozenset[str]]]) -> bool:
    if not isinstance(row, Mapping):
        return True
    for prop, values in criteria:
        k = find_key(row, prop)
        if k is None:
            continue  # a row that does not show the property (an OData column set) cannot be judged; keep it
        if _text(row[k]) not in values:
            return False
    return True


def _int_param(query: Mapping[str, list[str]], name: str) -> int | None:
    raw = query.get(name)
    if not raw:
        return None
    try:
        return int(raw[-1])
    except ValueError:
        return None


class StoredView:
    """A session's stored records of one entity at one moment, read a few at a time. A list's page needs the
    first keys in order and the records on the page; `StateEngine.records` reads every record."""

    __slots__ = ("engine", "session", "entity", "now")

    def __init__(self, engine: StateEngine, session: str, entity: Entity, now: float) -> None:
        self.engine = engine
        self.session = session
        self.entity = entity
        self.now = now

    def keys_in_order(self, offset: int, limit: int) -> list[str]:
        """The keys of `limit` records from the `offset`th, in key order (tombstones are not records)."""
        return self.engine.store.keys_in_order(self.session, self.entity.name, offset, limit)

    def held(self, keys: Iterable[str]) -> frozenset[str]:
        """Which of `keys` the session wrote or deleted: the generated rows with those ids give way."""
        return frozenset(self.engine.store.get_many(self.session, self.entity.name, keys))

    def records(self, keys: Iterable[str]) -> dict[str, Any]:
        """The records stored under `keys`, as they are now."""
        found = self.engine.store.get_many(self.session, self.entity.name, keys)
        return self._now({k: v for k, v in found.items() if v is not DELETED})

    def scan(self) -> Iterator[tuple[str, Any]]:
        """Every record, as it is now, in key order, read a batch at a time."""
        for batch in self.engine.store.scan(self.session, self.entity.name):
            yield from self._now(dict(batch)).items()

    def _now(self, records: dict[str, Any]) -> dict[str, Any]:
        if self.entity.name in self.engine.lifecycles and records:
            runs = self.engine.store.get_many(self.session, RUNS + self.entity.name, records)
            self.engine._at(self.entity, records, runs, self.now)
        return records


_HANDLERS: dict[Role, Callable[..., Outcome]] = {
    Role.READ: StateEngine._read,
    Role.CREATE: StateEngine._create,
    Role.REPLACE: StateEngine._replace,
    Role.UPSERT: StateEngine._replace,
    Role.PATCH: StateEngine._patch,
    Role.DELETE: StateEngine._delete,
    Role.DELETE_MANY: StateEngine._delete_many,
    Role.LIST: StateEngine._list,
    Role.STOP: StateEngine._stop,
}


def _lifecycles(spec: Mapping[str, Any], inference: Inference,
                overrides: Mapping[str, Any] | None) -> dict[str, Lifecycle]:
    raw = (overrides or {}).get("lifecycles")
    if not raw:
        return {}
    return compile_lifecycles(raw, {e.name.lower(): e for e in inference.entities},
                              frozenset(_operation_ids(spec)), _PropertyKinds(spec))


class _PropertyKinds:
    """The JSON type of an entity's record property (its first carrier's), for checking a lifecycle."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        self.follow = RefFollower(spec)
        self.schemas = (spec.get("components") or {}).get("schemas") or {}

    def __call__(self, entity: Entity, prop: str) -> str | None:
        try:
            carrier = self.follow(self.schemas.get(entity.carriers[0]) or {}) if entity.carriers else {}
            schema = self.follow(((carrier or {}).get("properties") or {}).get(prop) or {})
        except SpecError:
            return None
        if not isinstance(schema, Mapping):
            return None
        return declared_type(schema) or ("object" if "properties" in schema else None)


def _operation_ids(spec: Mapping[str, Any]) -> list[str]:
    return [op.get("operationId") for item in (spec.get("paths") or {}).values() if isinstance(item, Mapping)
            for op in item.values() if isinstance(op, Mapping) and op.get("operationId")]


def _unsent_id(entity: Entity) -> Any:
    """The id a request that carries none names. The contract did not require one (the request was checked
    against it), so the real server binds its default: 0 for an integer id, as .NET does; a string id has none."""
    return 0 if entity.id_type == "integer" else None
