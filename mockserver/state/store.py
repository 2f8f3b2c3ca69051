"""Where written records live: memory, sqlite and Redis (`redis_store`) behind the same small Store interface.

A store maps (session, entity, key) to a record (any JSON value) or to DELETED (a tombstone: the id existed as
generated data and was deleted). Keys are strings. Records are kept as JSON text in every backend. Inside a
transaction `get` gives a fresh object to modify; the plain reads give an object record as a read-only
`JsonRecord` over its text, parsed only if the caller looks inside (a read answers it as the text it is). Every read-modify-write happens inside
`transaction(session)`, which is the unit of atomicity (a lock in memory; BEGIN IMMEDIATE in sqlite), and
ids are allocated inside it, so concurrent writers never lose an update or share an id. Plain reads (`get`,
`entries`, `dump`) take no write lock in either backend: in sqlite they run under WAL beside a writer.

`reads_block` / `writes_block` say whether those calls may wait on another process. A caller on an event
loop should hop to a thread only for calls that may wait: a thread hop costs far more than a sqlite read.

Sessions may expire (`session_ttl`, seconds): a session nothing was written to for that long reads as empty at
once, and is dropped by the next write transaction of any session (the memory and sqlite stores) or by Redis's
own key expiry.
"""
from __future__ import annotations

import bisect
import itertools
import json
import math
import os
import re
import sqlite3
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Hashable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from .errors import StateError
from .records import JsonRecord


class _Deleted:
    __slots__ = ()

    def __repr__(self) -> str:
        return "DELETED"


DELETED: Any = _Deleted()
SCAN_BATCH = 1_000  # records a scan holds at once: 14 MB of 14 KB persons


def _dump(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except ValueError:
        # A client's NaN or 1E400 (Python's reader takes both): JSON cannot say them, so they are kept as null,
        # as the answer to the write said (orjson writes them so); the stored text stays JSON.
        return json.dumps(_finite(value), ensure_ascii=False, separators=(",", ":"))


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def _load(raw: str | None) -> Any:
    """A stored text as a fresh value to change (transactions), or DELETED."""
    return DELETED if raw is None else json.loads(raw)


def _view(raw: str | None) -> Any:
    """A stored text as the plain reads give it: an object as a read-only JsonRecord, or DELETED."""
    if raw is None:
        return DELETED
    return JsonRecord(raw, json.loads) if raw.startswith("{") else json.loads(raw)


class Tx(ABC):
    """The operations allowed inside one transaction of one session."""

    @abstractmethod
    def get(self, entity: str, key: str) -> Any:
        """The stored record, DELETED, or None when nothing is stored for that key."""

    @abstractmethod
    def put(self, entity: str, key: str, record: Any) -> None: ...

    @abstractmethod
    def delete(self, entity: str, key: str) -> None:
        """Leave a tombstone: the key now reads as DELETED (and a base record with that id is hidden)."""

    @abstractmethod
    def next_id(self, entity: str, start: int) -> int:
        """The next free id of `entity` in this session: start, start+1, ..."""


class Store(ABC):
    """Session-partitioned record storage. Implementations must be safe for concurrent threads."""

    kind = "abstract"
    #: Whether `get`, `entries` and `dump` may wait for a lock held by another process or thread.
    reads_block = True
    #: Whether `transaction` and `reset` may wait for a lock held by another process (not just a brief one
    #: held by a thread of this process).
    writes_block = True
    #: Seconds after its last write that a session is forgotten; None: sessions stay until reset.
    session_ttl: float | None = None

    @abstractmethod
    def get(self, session: str, entity: str, key: str) -> Any:
        """One record outside a transaction (a single read): the record, DELETED or None."""

    @abstractmethod
    def entries(self, session: str, entity: str) -> dict[str, Any]:
        """Every stored key of an entity in a session, with its record or DELETED."""

    @contextmanager
    def one_snapshot(self) -> Iterator[None]:
        """Reads made inside, by this thread, see the store as it was at one moment: a list reads its keys,
        then their records, and a write committed in between must not make a row appear twice or not at all.
        The memory store applies a commit under the GIL between two reads of a list: nothing to do."""
        yield

    def keys_in_order(self, session: str, entity: str, offset: int, limit: int) -> list[str]:
        """`limit` keys of an entity's records (not its tombstones) from the `offset`th, in key order: numbers
        first, by value, then text. A list's page is found from these without reading every record. This reads
        them all; the memory and sqlite stores keep the keys in order instead."""
        keys = (key for batch in self.scan(session, entity) for key, _ in batch)
        return list(itertools.islice(keys, max(offset, 0), max(offset, 0) + max(limit, 0)))

    def scan(self, session: str, entity: str, batch: int = SCAN_BATCH) -> Iterator[list[tuple[str, Any]]]:
        """Every record of an entity (not its tombstones) in key order, `batch` at a time: a filtered list keeps
        the few columns it shows of each, never every record at once. This reads them all first; sqlite reads
        a batch at a time."""
        live = sorted(((k, v) for k, v in self.entries(session, entity).items() if v is not DELETED),
                      key=lambda item: key_order(item[0]))
        for start in range(0, len(live), batch):
            yield live[start:start + batch]

    def get_many(self, session: str, entity: str, keys: Iterable[str]) -> dict[str, Any]:
        """The record or DELETED stored under each of `keys`; a key with nothing stored is left out."""
        found = {key: self.get(session, entity, key) for key in keys}
        return {key: value for key, value in found.items() if value is not None}

    @abstractmethod
    def version(self) -> Hashable:
        """A value that changes whenever what is stored changes, by this process or another (a write, a reset):
        an answer worked out under another version may be out of date (`mockserver.answers`)."""

    @abstractmethod
    def transaction(self, session: str) -> Any:
        """Context manager yielding a Tx; commits on normal exit, discards everything on an exception."""

    @abstractmethod
    def reset(self, session: str | None = None) -> None:
        """Forget one session (or all): its records, tombstones and id counters."""

    @abstractmethod
    def dump(self, session: str | None = None) -> dict[str, dict[str, dict[str, Any]]]:
        """{session: {entity: {"records": {key: record}, "deleted": [keys], "next_id": n | None}}}."""

    @abstractmethod
    def forget_entities(self, keep: frozenset[str]) -> dict[str, int]:
        """Drop the records and tombstones of every entity not in `keep`, in every session (a reloaded spec no
        longer has those entities); returns how many of each dropped entity there were. Id counters stay, so
        that an entity that comes back never hands out an id a client may still hold."""

    def close(self) -> None:
        """Release resources (connections); the store is unusable afterwards."""

    def describe(self) -> str:
        return self.kind + self._ttl_note()

    def _ttl_note(self) -> str:
        return f", sessions expire {self.session_ttl:g}s after their last write" if self.session_ttl else ""

    def shared_journal(self, size: int) -> Any:
        """Where the request journal keeps its entries when every replica must see them
        (`redis_store.RedisJournalEntries`, a `journal.SharedEntries`), or None: each process keeps its own."""
        return None

    def _versioned(self, version: Hashable) -> Hashable:
        """`version` plus the second, when sessions expire: an expiry writes nothing, so an answer remembered
        under a version (`mockserver.answers`) is worked out again within a second of its session expiring."""
        return version if self.session_ttl is None else (version, int(time.time()))

    def _expired_before(self) -> float | None:
        """The time (epoch seconds) a session last written before is expired, or None when sessions live on."""
        return None if self.session_ttl is None else time.time() - self.session_ttl


MIN_SESSION_TTL = 1.0  # Redis expires keys by the millisecond; a second is the least that makes sense


def check_session_ttl(ttl: float | None) -> float | None:
    if ttl is not None and (isinstance(ttl, bool) or not isinstance(ttl, (int, float))
                            or not MIN_SESSION_TTL <= ttl <= MAX_SESSION_TTL):
        raise StateError(f"a session's time to live must be from 1 second to 100 years, not {ttl!r}")
    return None if ttl is None else float(ttl)


MAX_SESSION_TTL = 100 * 365.25 * 86400


def masked(option: str) -> str:
    """A store option or URL with its password (`user:PASSWORD@`, `?password=`) replaced by ***, for messages."""
    # Up to the last @, as URL parsers read it: a password may hold a raw @.
    option = re.sub(r"^([a-z0-9+.-]+:/*[^:/@?#]*:).*@", r"\1***@", option, flags=re.IGNORECASE)
    return re.sub(r"(?i)([?&]password=)[^&#]*", r"\1***", option)


# -- memory -------------------------------------------------------------------------------------------------------


class _MemoryTx(Tx):
    def __init__(self, store: MemoryStore, session: str) -> None:
        self.store = store
        self.session = session
        self.writes: dict[tuple[str, str], str | None] = {}
        self.counters: dict[str, int] = {}

    def get(self, entity: str, key: str) -> Any:
        if (entity, key) in self.writes:
            return _load(self.writes[(entity, key)])
        records = self.store._data.get(self.session, {}).get(entity)
        return None if records is None or key not in records else _load(records[key])

    def put(self, entity: str, key: str, record: Any) -> None:
        self.writes[(entity, key)] = _dump(record)

    def delete(self, entity: str, key: str) -> None:
        self.writes[(entity, key)] = None

    def next_id(self, entity: str, start: int) -> int:
        current = self.counters.get(entity)
        if current is None:
            current = self.store._counters.get((self.session, entity), start)
        self.counters[entity] = max(current, start) + 1
        return max(current, start)


class MemoryStore(Store):
    """The default: a dict per session and entity, one lock for writers; reads take no lock."""

    kind = "memory"
    reads_block = False
    writes_block = False

    def __init__(self, session_ttl: float | None = None) -> None:
        self._data: dict[str, dict[str, dict[str, str | None]]] = {}
        self._counters: dict[tuple[str, str], int] = {}
        self._lock = threading.RLock()
        self._version = 0
        self.session_ttl = check_session_ttl(session_ttl)
        self._written: dict[str, float] = {}  # session -> time of its last write, kept when sessions expire
        # (session, entity) -> key_order of each of its keys, sorted: a list's first page reads a few of them
        self._order: dict[tuple[str, str], list[tuple[int, int, str]]] = {}

    def version(self) -> Hashable:
        return self._versioned(self._version)

    def _records(self, session: str) -> dict[str, dict[str, str | None]]:
        """A session's entities, or nothing when the session has expired."""
        before = self._expired_before()
        if before is not None and self._written.get(session, before) < before:
            return {}
        return self._data.get(session, {})

    def get(self, session: str, entity: str, key: str) -> Any:
        records = self._records(session).get(entity)
        if records is None or key not in records:
            return None
        return _view(records[key])

    def entries(self, session: str, entity: str) -> dict[str, Any]:
        records = dict(self._records(session).get(entity) or {})  # a copy: writers may add meanwhile
        return {k: _view(v) for k, v in records.items()}

    def keys_in_order(self, session: str, entity: str, offset: int, limit: int) -> list[str]:
        records = self._records(session).get(entity)
        if not records:
            return []
        with self._lock:  # a writer may be inserting into the order
            order = list(self._order.get((session, entity), ()))
        live = (key for _, _, key in order if records.get(key) is not None)  # not a tombstone
        return list(itertools.islice(live, max(offset, 0), max(offset, 0) + max(limit, 0)))

    def get_many(self, session: str, entity: str, keys: Iterable[str]) -> dict[str, Any]:
        records = self._records(session).get(entity) or {}
        return {key: _view(records[key]) for key in keys if key in records}

    def _drop_expired(self) -> None:
        """Forget every session not written to for session_ttl (called with the lock held)."""
        before = self._expired_before()
        if before is None:
            return
        for session in [s for s, at in self._written.items() if at < before]:
            self._forget(session)

    def _forget(self, session: str) -> None:
        self._data.pop(session, None)
        self._written.pop(session, None)
        self._counters = {k: v for k, v in self._counters.items() if k[0] != session}
        self._order = {k: v for k, v in self._order.items() if k[0] != session}

    @contextmanager
    def transaction(self, session: str) -> Iterator[Tx]:
        with self._lock:
            self._drop_expired()
            tx = _MemoryTx(self, session)
            yield tx
            bucket = self._data.setdefault(session, {})
            for (entity, key), raw in tx.writes.items():
                records = bucket.setdefault(entity, {})
                if key not in records:
                    bisect.insort(self._order.setdefault((session, entity), []), key_order(key))
                records[key] = raw
            for entity, n in tx.counters.items():
                self._counters[(session, entity)] = n
            if tx.writes or tx.counters:
                self._version += 1
                if self.session_ttl is not None:
                    self._written[session] = time.time()

    def reset(self, session: str | None = None) -> None:
        with self._lock:
            self._version += 1
            if session is None:
                self._data = {}
                self._counters = {}
                self._written = {}
                self._order = {}
            else:
                self._forget(session)

    def forget_entities(self, keep: frozenset[str]) -> dict[str, int]:
        dropped: dict[str, int] = {}
        with self._lock:
            self._version += 1
            for entities in self._data.values():
                for entity in [e for e in entities if e not in keep]:
                    dropped[entity] = dropped.get(entity, 0) + len(entities.pop(entity))
            self._order = {k: v for k, v in self._order.items() if k[1] in keep}
        return dropped

    def dump(self, session: str | None = None) -> dict[str, dict[str, dict[str, Any]]]:
        with self._lock:
            self._drop_expired()
            rows = [(s, e, k, v) for s, ents in self._data.items() for e, recs in ents.items()
                    for k, v in recs.items()]
            counters = dict(self._counters)
        return _assemble(((s, e, k, v) for s, e, k, v in rows if session is None or s == session),
                         {k: v for k, v in counters.items() if session is None or k[0] == session})


# -- sqlite -------------------------------------------------------------------------------------------------------

_SCHEMA = """
CREATE TABLE IF NOT EXISTS docmock_records (
    session TEXT NOT NULL, entity TEXT NOT NULL, key TEXT NOT NULL, body TEXT,
    live INTEGER NOT NULL DEFAULT 1, kind INTEGER NOT NULL DEFAULT 1, num INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (session, entity, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS docmock_counters (
    session TEXT NOT NULL, entity TEXT NOT NULL, next INTEGER NOT NULL,
    PRIMARY KEY (session, entity)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS docmock_sessions (
    session TEXT NOT NULL PRIMARY KEY, written REAL NOT NULL) WITHOUT ROWID;
"""
_SESSION_TABLES = ("docmock_records", "docmock_counters", "docmock_sessions")
# A list's page reads its keys from this index, in key order (`kind, num, key` are key_order(key); `live` is 0
# for a tombstone), and never the records before it: it holds every column the query reads.
_ORDER_INDEX = ("CREATE INDEX IF NOT EXISTS docmock_records_in_order "
                "ON docmock_records (session, entity, live, kind, num, key);")
_ORDER_COLUMNS = (("live", "1"), ("kind", "1"), ("num", "0"))


def _add_order(conn: sqlite3.Connection) -> None:
    """A state file written before records had their order columns gets them (each record's, from its key).
    Every process sharing the file must then run this version: an older one cannot write the new rows."""
    def columns() -> set[str]:
        return {row[1] for row in conn.execute("PRAGMA table_info(docmock_records)")}

    if columns().issuperset(name for name, _ in _ORDER_COLUMNS):
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        have = columns()  # again, under the lock: another process opening the file may have added them meanwhile
        for name, default in _ORDER_COLUMNS:
            if name not in have:
                conn.execute(f"ALTER TABLE docmock_records ADD COLUMN {name} INTEGER NOT NULL DEFAULT {default}")
        if not have.issuperset(name for name, _ in _ORDER_COLUMNS):
            rows = conn.execute("SELECT session, entity, key, body IS NOT NULL FROM docmock_records").fetchall()
            conn.executemany("UPDATE docmock_records SET live=?, kind=?, num=? WHERE session=? AND entity=? AND key=?",
                             [(live, *key_order(key)[:2], session, entity, key) for session, entity, key, live in rows])
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


_KEYS_PER_QUERY = 500  # sqlite allows 32,766 parameters per statement; a list page needs a few hundred


class _SqliteTx(Tx):
    def __init__(self, conn: sqlite3.Connection, session: str) -> None:
        self.conn = conn
        self.session = session
        self.wrote = False

    def get(self, entity: str, key: str) -> Any:
        return _row(self.conn.execute(
            "SELECT body FROM docmock_records WHERE session=? AND entity=? AND key=?",
            (self.session, entity, key)).fetchone())

    def put(self, entity: str, key: str, record: Any) -> None:
        self.wrote = True
        self.conn.execute("INSERT OR REPLACE INTO docmock_records VALUES (?,?,?,?,1,?,?)",
                          (self.session, entity, key, _dump(record), *key_order(key)[:2]))

    def delete(self, entity: str, key: str) -> None:
        self.wrote = True
        self.conn.execute("INSERT OR REPLACE INTO docmock_records VALUES (?,?,?,NULL,0,?,?)",
                          (self.session, entity, key, *key_order(key)[:2]))

    def next_id(self, entity: str, start: int) -> int:
        row = self.conn.execute("SELECT next FROM docmock_counters WHERE session=? AND entity=?",
                                (self.session, entity)).fetchone()
        current = max(row[0] if row else start, start)
        self.wrote = True
        self.conn.execute("INSERT OR REPLACE INTO docmock_counters VALUES (?,?,?)",
                          (self.session, entity, current + 1))
        return current


def _row(row: Any) -> Any:
    return None if row is None else _load(row[0])


class SqliteStore(Store):
    """`--state sqlite:PATH`: survives restarts and is shared by worker processes.

    WAL lets readers run beside the one writer; writers serialise on BEGIN IMMEDIATE (taken before the first
    read of a read-modify-write, so two writers never both read the old value) and wait up to `timeout`
    seconds for each other instead of failing with "database is locked".

    Reads (`get`, `entries`) are single autocommit SELECTs: no BEGIN, so they never take the write lock, and
    under WAL they never wait for a writer of this or another process either (they read the last committed
    snapshot). `dump` reads two tables inside one deferred (read-only) transaction for a consistent snapshot.
    Hence `reads_block = False`: a GET costs a few microseconds and need not leave the event loop, while
    writes may wait up to `timeout` for another worker and belong on a thread (`writes_block = True`).
    """

    kind = "sqlite"
    reads_block = False
    writes_block = True

    def __init__(self, path: str | Path, timeout: float = 30.0, session_ttl: float | None = None) -> None:
        self.path = str(path)
        self.timeout = timeout
        self.session_ttl = check_session_ttl(session_ttl)
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._guard = threading.Lock()
        self._commits = 0  # this process's commits; PRAGMA data_version counts the other connections'
        try:
            conn = self._conn()
            conn.executescript(_SCHEMA)
            _add_order(conn)
            conn.executescript(_ORDER_INDEX)
        except sqlite3.Error as exc:
            raise StateError(f"cannot open the state database {self.path}: {exc}") from exc

    def describe(self) -> str:
        return f"sqlite:{self.path}{self._ttl_note()}"

    def _conn(self) -> sqlite3.Connection:
        # One connection per thread and process: sqlite connections must not cross threads, nor survive a fork.
        conn = getattr(self._local, "conn", None)
        if conn is not None and self._local.pid == os.getpid():
            return conn
        # isolation_level=None: autocommit, so the module never opens a transaction behind our back; reads run
        # without BEGIN and every write transaction is the explicit BEGIN IMMEDIATE of `transaction`.
        conn = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None, check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout={int(self.timeout * 1000)}")
        self._to_wal(conn)
        # Under WAL, synchronous=NORMAL fsyncs only at checkpoints, not at every commit: a commit survives a crash
        # of the process (what a mock server needs); only a power loss or OS crash may drop the last commits,
        # never corrupt the file. FULL would fsync the WAL on every write request.
        conn.execute("PRAGMA synchronous=NORMAL")
        self._local.conn = conn
        self._local.pid = os.getpid()
        with self._guard:
            self._all.append(conn)
        return conn

    def _to_wal(self, conn: sqlite3.Connection) -> None:
        """WAL mode. Switching a file to it takes an exclusive lock that SQLite does not wait for (no busy
        handler): processes opening one file that is not in WAL yet at the same moment try again."""
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.01)

    def version(self) -> Hashable:
        # data_version changes when another connection (another thread's, another worker's) commits.
        return self._versioned((self._conn().execute("PRAGMA data_version").fetchone()[0], self._commits))

    def _expired(self, conn: sqlite3.Connection, session: str) -> bool:
        """Whether a session has expired (session_ttl) and so reads as empty until a write drops it."""
        before = self._expired_before()
        if before is None:
            return False
        row = conn.execute("SELECT written FROM docmock_sessions WHERE session=?", (session,)).fetchone()
        return row is not None and row[0] < before

    def get(self, session: str, entity: str, key: str) -> Any:
        # One autocommit SELECT (a read snapshot under WAL; statements are cached per connection).
        conn = self._conn()
        row = conn.execute("SELECT body FROM docmock_records WHERE session=? AND entity=? AND key=?",
                           (session, entity, key)).fetchone()
        return None if row is None or self._expired(conn, session) else _view(row[0])

    def entries(self, session: str, entity: str) -> dict[str, Any]:
        conn = self._conn()
        rows = conn.execute("SELECT key, body FROM docmock_records WHERE session=? AND entity=?",
                            (session, entity)).fetchall()
        return {} if rows and self._expired(conn, session) else {k: _view(b) for k, b in rows}

    @contextmanager
    def one_snapshot(self) -> Iterator[None]:
        conn = self._conn()
        if conn.in_transaction:  # inside a write, or a snapshot already
            yield
            return
        conn.execute("BEGIN")  # deferred: under WAL, the first read fixes the snapshot and takes no lock
        try:
            yield
        finally:
            conn.execute("COMMIT")  # nothing was written

    def keys_in_order(self, session: str, entity: str, offset: int, limit: int) -> list[str]:
        conn = self._conn()
        rows = conn.execute("SELECT key FROM docmock_records WHERE session=? AND entity=? AND live=1 "
                            "ORDER BY kind, num, key LIMIT ? OFFSET ?",
                            (session, entity, max(limit, 0), max(offset, 0))).fetchall()
        return [] if rows and self._expired(conn, session) else [k for (k,) in rows]

    def scan(self, session: str, entity: str, batch: int = SCAN_BATCH) -> Iterator[list[tuple[str, Any]]]:
        conn = self._conn()
        if self._expired(conn, session):
            return
        after: tuple[int, int, str] = (-1, 0, "")
        while True:  # each batch from where the last ended (the order index), not from an OFFSET counted again
            rows = conn.execute("SELECT kind, num, key, body FROM docmock_records WHERE session=? AND entity=? "
                                "AND live=1 AND (kind, num, key) > (?, ?, ?) ORDER BY kind, num, key LIMIT ?",
                                (session, entity, *after, batch)).fetchall()
            if not rows:
                return
            yield [(key, _view(body)) for _, _, key, body in rows]
            after = rows[-1][:3]

    def get_many(self, session: str, entity: str, keys: Iterable[str]) -> dict[str, Any]:
        conn = self._conn()
        keys = list(keys)
        found: dict[str, Any] = {}
        for start in range(0, len(keys), _KEYS_PER_QUERY):
            part = keys[start:start + _KEYS_PER_QUERY]
            found.update(conn.execute(
                f"SELECT key, body FROM docmock_records WHERE session=? AND entity=? AND key IN "
                f"({','.join('?' * len(part))})", (session, entity, *part)).fetchall())
        if found and self._expired(conn, session):
            return {}
        return {key: _view(found[key]) for key in keys if key in found}

    @contextmanager
    def transaction(self, session: str) -> Iterator[Tx]:
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            self._drop_expired(conn)
            tx = _SqliteTx(conn, session)
            yield tx
            if tx.wrote:  # every write stamps its session, so that a later --session-ttl knows its age
                conn.execute("INSERT OR REPLACE INTO docmock_sessions VALUES (?,?)", (session, time.time()))
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        self._commits += 1

    def _drop_expired(self, conn: sqlite3.Connection) -> None:
        """Delete the sessions not written to for session_ttl (inside a write transaction)."""
        before = self._expired_before()
        if before is None:
            return
        for table in _SESSION_TABLES:
            conn.execute(f"DELETE FROM {table} WHERE session IN "
                         "(SELECT session FROM docmock_sessions WHERE written < ?)", (before,))

    def reset(self, session: str | None = None) -> None:
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            for table in _SESSION_TABLES:
                if session is None:
                    conn.execute(f"DELETE FROM {table}")
                else:
                    conn.execute(f"DELETE FROM {table} WHERE session=?", (session,))
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        self._commits += 1

    def forget_entities(self, keep: frozenset[str]) -> dict[str, int]:
        conn = self._conn()
        marks = ",".join("?" * len(keep))
        outside = f"entity NOT IN ({marks})" if keep else "1"
        conn.execute("BEGIN IMMEDIATE")
        try:
            dropped = dict(conn.execute(f"SELECT entity, COUNT(*) FROM docmock_records WHERE {outside} GROUP BY entity",
                                        tuple(keep)).fetchall())
            conn.execute(f"DELETE FROM docmock_records WHERE {outside}", tuple(keep))
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        self._commits += 1
        return dropped

    def dump(self, session: str | None = None) -> dict[str, dict[str, dict[str, Any]]]:
        conn = self._conn()
        where, args = ("WHERE session=?", (session,)) if session is not None else ("", ())
        # Both tables from one snapshot: a deferred transaction that only reads never takes the write lock.
        # (Inside a transaction of this thread, that transaction is the snapshot already.)
        own = not conn.in_transaction
        if own:
            conn.execute("BEGIN DEFERRED")
        try:
            rows = conn.execute(f"SELECT session, entity, key, body FROM docmock_records {where}", args).fetchall()
            counters = conn.execute(f"SELECT session, entity, next FROM docmock_counters {where}", args).fetchall()
            before = self._expired_before()
            expired = {s for (s,) in conn.execute("SELECT session FROM docmock_sessions WHERE written < ?",
                                                  (before,))} if before is not None else set()
        finally:
            if own:
                conn.execute("COMMIT")
        return _assemble([r for r in rows if r[0] not in expired],
                         {(s, e): n for s, e, n in counters if s not in expired})

    def close(self) -> None:
        with self._guard:
            for conn in self._all:
                try:
                    conn.close()
                except sqlite3.Error:
                    pass
            self._all.clear()
        self._local = threading.local()


_NUMBER_KEY = re.compile(r"-?[0-9]{1,18}")  # a number that fits sqlite's 64-bit integers


def key_order(key: str) -> tuple[int, int, str]:
    """How keys sort in a list and a dump: numbers first, by value, then text (sqlite keeps the first two
    items of each record's key in its `kind` and `num` columns)."""
    return (0, int(key), key) if _NUMBER_KEY.fullmatch(key) else (1, 0, key)


def _assemble(rows: Any, counters: dict[tuple[str, str], int]) -> dict[str, dict[str, dict[str, Any]]]:
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for session, entity, key, raw in rows:
        slot = out.setdefault(session, {}).setdefault(entity, {"records": {}, "deleted": [], "next_id": None})
        if raw is None:
            slot["deleted"].append(key)
        else:
            slot["records"][key] = json.loads(raw)
    for (session, entity), n in counters.items():
        out.setdefault(session, {}).setdefault(entity, {"records": {}, "deleted": [], "next_id": None})["next_id"] = n
    for entities in out.values():
        for slot in entities.values():
            slot["records"] = dict(sorted(slot["records"].items(), key=lambda kv: key_order(kv[0])))
            slot["deleted"].sort(key=key_order)
    return {s: dict(sorted(e.items())) for s, e in sorted(out.items())}
