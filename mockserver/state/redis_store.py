"""`--state redis://HOST:PORT/DB`: records, tombstones, id counters and sessions in Redis, shared by any number of
docmock processes on any number of machines, with the semantics of the memory and sqlite stores.

Key layout, in the database the URL names (`{S}` is the session name with `%`, `{` and `}` escaped, a hash tag
so that one session's keys would share a cluster slot):

    docmock:{S}:r:ENTITY   hash        record key -> the record's JSON text, or "" for a tombstone
    docmock:{S}:ids        hash        entity -> the next id to hand out
    docmock:{S}:entities   set         the entities the session holds records of
    docmock:{S}:lock       string      the token of the transaction writing the session now
    docmock:sessions       sorted set  session -> time of its last write (epoch ms)
    docmock:version        integer     bumped by every commit, reset and forget (the answer cache's check)
    docmock:journal        stream      the request journal, `docmock:journal:id` its last entry id

A transaction takes its session's lock (SET NX PX: a lease, so a replica killed inside a transaction holds the
session up for LEASE at most), reads with plain HGETs, keeps its writes, and commits them with one Lua script
that first checks the lock is still its own: the commit is atomic on the server, and a transaction that outlived
its lease writes nothing and its request gets a 503. Ids are allocated inside the transaction, so they never
collide. Plain reads take no lock and see the last commit, as under SQLite's WAL.

With a session time to live, every commit sets the expiry of all the session's keys, so Redis forgets a session
`session_ttl` after its last write by itself.

Every Redis failure (refused connection, timeout, a server still loading its data, out of memory) is raised as
StoreUnavailable, which the server answers with 503 and Retry-After; redis-py reconnects on the next call.
"""
from __future__ import annotations

import os
import time
from collections.abc import Hashable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from .errors import StateError, StoreUnavailable
from .store import Store, Tx, _assemble, _dump, _load, _view, check_session_ttl

try:
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry
except ImportError as exc:  # pragma: no cover - the test extra installs it
    raise StateError("--state redis:// needs the redis package: pip install 'docmock[redis]'") from exc

PREFIX = "docmock"
LEASE_SECONDS = 5.0     # how long a session's lock outlives a replica killed inside a transaction
LOCK_WAIT_SECONDS = 10.0  # how long a transaction waits for a busy session before its request gets a 503
TOMBSTONE = ""          # a record's JSON text is never empty

# KEYS: lock, ids, entities, sessions, version. ARGV: token, session, now (ms), ttl (ms, 0: none), the prefix of
# the session's record keys, the number of writes, then a triple (entity, key, text) per write, then a pair
# (entity, next id) per counter. Returns 0, writing nothing, when the lock is no longer this transaction's.
_COMMIT = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local prefix, writes, i = ARGV[5], tonumber(ARGV[6]), 7
for _ = 1, writes do
  redis.call('HSET', prefix .. ARGV[i], ARGV[i + 1], ARGV[i + 2])
  redis.call('SADD', KEYS[3], ARGV[i])
  i = i + 3
end
local changed = writes > 0 or i <= #ARGV
while i <= #ARGV do
  redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
  i = i + 2
end
redis.call('DEL', KEYS[1])
if changed then
  local now, ttl = tonumber(ARGV[3]), tonumber(ARGV[4])
  redis.call('INCR', KEYS[5])
  redis.call('ZADD', KEYS[4], now, ARGV[2])
  if ttl > 0 then
    for _, entity in ipairs(redis.call('SMEMBERS', KEYS[3])) do
      redis.call('PEXPIRE', prefix .. entity, ttl)
    end
    redis.call('PEXPIRE', KEYS[2], ttl)
    redis.call('PEXPIRE', KEYS[3], ttl)
    redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', '(' .. (now - ttl))
  end
end
return 1
"""

# KEYS: lock. ARGV: token. Lets go of the lock if it is still this transaction's (a failed transaction).
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0
"""

# KEYS: lock, ids, entities, sessions, version. ARGV: token, session, record-key prefix. Forgets a session.
_RESET = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
for _, entity in ipairs(redis.call('SMEMBERS', KEYS[3])) do
  redis.call('DEL', ARGV[3] .. entity)
end
redis.call('DEL', KEYS[2], KEYS[3], KEYS[1])
redis.call('ZREM', KEYS[4], ARGV[2])
redis.call('INCR', KEYS[5])
return 1
"""

# KEYS: ids, entities. ARGV: record-key prefix. One session as it is at one moment: its counters as a flat
# list, then per entity its name and its hash as a flat list.
_DUMP = """
local out = {redis.call('HGETALL', KEYS[1])}
for _, entity in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  table.insert(out, entity)
  table.insert(out, redis.call('HGETALL', ARGV[1] .. entity))
end
return out
"""

# KEYS: entities, version. ARGV: record-key prefix, then the entities to keep. Drops a session's other entities
# and returns (entity, how many records and tombstones it had) pairs.
_FORGET = """
local keep, out = {}, {}
for i = 2, #ARGV do keep[ARGV[i]] = true end
for _, entity in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if not keep[entity] then
    table.insert(out, entity)
    table.insert(out, redis.call('HLEN', ARGV[1] .. entity))
    redis.call('DEL', ARGV[1] .. entity)
    redis.call('SREM', KEYS[1], entity)
  end
end
if #out > 0 then redis.call('INCR', KEYS[2]) end
return out
"""


def _tag(session: str) -> str:
    return session.replace("%", "%25").replace("{", "%7B").replace("}", "%7D")


class _SessionKeys:
    __slots__ = ("records", "ids", "entities", "lock")

    def __init__(self, session: str) -> None:
        base = f"{PREFIX}:{{{_tag(session)}}}:"
        self.records = base + "r:"
        self.ids = base + "ids"
        self.entities = base + "entities"
        self.lock = base + "lock"


SESSIONS = f"{PREFIX}:sessions"
VERSION = f"{PREFIX}:version"


def _stored(text: str | None) -> str | None:
    """A hash value as the shared helpers take it: None for a tombstone (`_load`, `_view` make it DELETED)."""
    return None if text == TOMBSTONE else text


def safe_url(url: str) -> str:
    """The URL without its password, for logs and the start-up report."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


class _RedisTx(Tx):
    def __init__(self, store: RedisStore, session: str, keys: _SessionKeys) -> None:
        self.store = store
        self.keys = keys
        self.writes: dict[tuple[str, str], str] = {}
        self.counters: dict[str, int] = {}

    def get(self, entity: str, key: str) -> Any:
        if (entity, key) in self.writes:
            return _load(_stored(self.writes[(entity, key)]))
        with self.store.reaching():
            text = self.store.client.hget(self.keys.records + entity, key)
        return None if text is None else _load(_stored(text))

    def put(self, entity: str, key: str, record: Any) -> None:
        self.writes[(entity, key)] = _dump(record)

    def delete(self, entity: str, key: str) -> None:
        self.writes[(entity, key)] = TOMBSTONE

    def next_id(self, entity: str, start: int) -> int:
        current = self.counters.get(entity)
        if current is None:
            with self.store.reaching():
                stored = self.store.client.hget(self.keys.ids, entity)
            current = int(stored) if stored is not None else start
        current = max(current, start)
        self.counters[entity] = current + 1
        return current


class RedisStore(Store):
    """Records in Redis, shared by every docmock process that names the same database."""

    kind = "redis"
    reads_block = True   # every call is a round trip to another machine
    writes_block = True

    def __init__(self, url: str, session_ttl: float | None = None, *, lease: float = LEASE_SECONDS,
                 wait: float = LOCK_WAIT_SECONDS, timeout: float = 2.0) -> None:
        self.url = url
        self.session_ttl = check_session_ttl(session_ttl)
        self.lease_ms = max(1, int(lease * 1000))
        self.wait = wait
        database = urlsplit(url).path.strip("/")
        if url.lower().startswith("redis") and database and not database.isdigit():
            raise StateError(f"--state {safe_url(url)}: the database is a number, as in redis://HOST:PORT/0")
        try:
            # One retry, at once, on a broken connection (Redis restarted since the last call); a Redis that is
            # down answers the request with a 503 within `timeout`, instead of a retry loop holding it up.
            self.client = redis.Redis.from_url(url, decode_responses=True, socket_timeout=timeout,
                                               socket_connect_timeout=timeout, retry=Retry(NoBackoff(), 1),
                                               health_check_interval=30)
        except ValueError as exc:
            raise StateError(f"--state {safe_url(url)}: {exc}") from None
        self._commit = self.client.register_script(_COMMIT)
        self._release = self.client.register_script(_RELEASE)
        self._reset = self.client.register_script(_RESET)
        self._dump = self.client.register_script(_DUMP)
        self._forget = self.client.register_script(_FORGET)
        try:
            self.client.ping()
        except redis.RedisError as exc:
            raise StateError(f"cannot reach the state store {safe_url(url)}: {exc}") from None

    def describe(self) -> str:
        return f"{safe_url(self.url)}{self._ttl_note()}"

    @contextmanager
    def reaching(self) -> Iterator[None]:
        """Turns a Redis failure into StoreUnavailable (a 503 with Retry-After)."""
        try:
            yield
        except redis.RedisError as exc:
            raise StoreUnavailable(f"the state store {safe_url(self.url)} cannot be reached: {exc}") from None

    def version(self) -> Hashable:
        with self.reaching():
            return self._versioned(self.client.get(VERSION))

    def get(self, session: str, entity: str, key: str) -> Any:
        with self.reaching():
            text = self.client.hget(_SessionKeys(session).records + entity, key)
        return None if text is None else _view(_stored(text))

    def entries(self, session: str, entity: str) -> dict[str, Any]:
        with self.reaching():
            stored = self.client.hgetall(_SessionKeys(session).records + entity)
        return {k: _view(_stored(v)) for k, v in stored.items()}

    def _lock(self, keys: _SessionKeys) -> str:
        """Take a session's lock, waiting for the transaction that holds it; its token."""
        token = os.urandom(12).hex()
        deadline = time.monotonic() + self.wait
        pause = 0.0005
        while True:
            with self.reaching():
                if self.client.set(keys.lock, token, nx=True, px=self.lease_ms):
                    return token
            if time.monotonic() > deadline:
                raise StoreUnavailable(f"the session stayed locked by another request for {self.wait:g}s")
            time.sleep(pause)
            pause = min(pause * 2, 0.01)

    def _session_keys(self, keys: _SessionKeys) -> list[str]:
        return [keys.lock, keys.ids, keys.entities, SESSIONS, VERSION]

    @contextmanager
    def transaction(self, session: str) -> Iterator[Tx]:
        keys = _SessionKeys(session)
        token = self._lock(keys)
        tx = _RedisTx(self, session, keys)
        try:
            yield tx
        except BaseException:
            try:
                with self.reaching():
                    self._release(keys=[keys.lock], args=[token])
            except StoreUnavailable:
                pass  # the lease ends it
            raise
        args: list[Any] = [token, session, int(time.time() * 1000),
                           int(self.session_ttl * 1000) if self.session_ttl else 0, keys.records, len(tx.writes)]
        for (entity, key), text in tx.writes.items():
            args += [entity, key, text]
        for entity, n in tx.counters.items():
            args += [entity, n]
        with self.reaching():
            committed = self._commit(keys=self._session_keys(keys), args=args)
        if not committed:
            raise StoreUnavailable(f"a write took longer than its {self.lease_ms} ms lease on the session and was "
                                   "not committed")

    def _sessions(self) -> list[str]:
        with self.reaching():
            if self.session_ttl:
                since = int((time.time() - self.session_ttl) * 1000)
                return self.client.zrangebyscore(SESSIONS, since, "+inf")
            return self.client.zrange(SESSIONS, 0, -1)

    def reset(self, session: str | None = None) -> None:
        for name in self._sessions() if session is None else [session]:
            keys = _SessionKeys(name)
            token = self._lock(keys)
            with self.reaching():
                self._reset(keys=self._session_keys(keys), args=[token, name, keys.records])
        if session is None:
            with self.reaching():
                self.client.incr(VERSION)  # even with nothing to forget: a reset is a change

    def forget_entities(self, keep: frozenset[str]) -> dict[str, int]:
        dropped: dict[str, int] = {}
        for name in self._sessions():
            keys = _SessionKeys(name)
            with self.reaching():
                flat = self._forget(keys=[keys.entities, VERSION], args=[keys.records, *sorted(keep)])
            for entity, count in zip(flat[::2], flat[1::2]):
                dropped[entity] = dropped.get(entity, 0) + int(count)
        return dropped

    def dump(self, session: str | None = None) -> dict[str, dict[str, dict[str, Any]]]:
        rows: list[tuple[str, str, str, str | None]] = []
        counters: dict[tuple[str, str], int] = {}
        for name in self._sessions() if session is None else [session]:
            keys = _SessionKeys(name)
            with self.reaching():
                flat = self._dump(keys=[keys.ids, keys.entities], args=[keys.records])
            ids = flat[0]
            counters.update({(name, e): int(n) for e, n in zip(ids[::2], ids[1::2])})
            for entity, pairs in zip(flat[1::2], flat[2::2]):
                rows += [(name, entity, k, _stored(v)) for k, v in zip(pairs[::2], pairs[1::2])]
        return _assemble(rows, counters)

    def shared_journal(self, size: int) -> RedisJournalEntries:
        return RedisJournalEntries(self, size)

    def close(self) -> None:
        self.client.close()


JOURNAL = f"{PREFIX}:journal"
JOURNAL_ID = f"{PREFIX}:journal:id"

# KEYS: the stream, its id counter. ARGV: the entry, the journal's size. Adds one entry under the next id.
_APPEND = """
local id = redis.call('INCR', KEYS[2])
redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[2], id .. '-0', 'e', ARGV[1])
return id
"""


class RedisJournalEntries:
    """Where the request journal keeps its entries (as text `mockserver.journal` writes and reads) when every
    replica must list what any of them answered: a Redis stream of the last `size`, under ids from one counter."""

    def __init__(self, store: RedisStore, size: int) -> None:
        self.store = store
        self.size = size
        self._append = store.client.register_script(_APPEND)

    def append(self, text: str) -> int:
        with self.store.reaching():
            return int(self._append(keys=[JOURNAL, JOURNAL_ID], args=[text, self.size]))

    def since(self, after_id: int | None) -> list[tuple[int, str]]:
        """(id, text) of every entry kept, oldest first, or of those after `after_id`."""
        with self.store.reaching():
            found = self.store.client.xrange(JOURNAL, f"({after_id}-0" if after_id else "-", "+")
        return [(int(stream_id.partition("-")[0]), value["e"]) for stream_id, value in found]

    def last_id(self) -> int:
        with self.store.reaching():
            return int(self.store.client.get(JOURNAL_ID) or 0)

    def delete(self, ids: list[int] | None) -> None:
        """Forget these entries, or every entry (None); ids keep counting."""
        with self.store.reaching():
            if ids is None:
                self.store.client.delete(JOURNAL)
            elif ids:
                self.store.client.xdel(JOURNAL, *(f"{i}-0" for i in ids))
