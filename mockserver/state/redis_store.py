"""`--state redis://HOST:PORT/DB`: records, tombstones, id counters and sessions in Redis, shared by any number of
docmock processes on any number of machines, with the semantics of the memory and sqlite stores.

Key layout, in the database the URL names (`{S}` is the session name with `%`, `{` and `}` escaped, a hash tag
so that one session's keys would share a cluster slot):

    docmock:{S}:r:ENTITY   hash        record key -> the record's JSON text, or "" for a tombstone
    docmock:{S}:ids        hash        entity -> the next id to hand out
    docmock:{S}:entities   set         the entities the session holds records of
    docmock:{S}:lock       string      the token of the transaction writing the session now
    docmock:{S}:done:T     string      a receipt: transaction T committed (kept 10 s, see _SETTLE)
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
StoreUnavailable, which the server answers with 503 and Retry-After. A Redis that is down or hangs costs one
timeout (`timeout`, 1 s), not one per call: after a failure every call fails at once for PAUSE seconds, then one
call tries again. Only calls that are harmless to repeat are repeated after a broken connection (reads, taking
a lock); a commit whose answer is lost is settled by a second script, so that its request is answered for what
really happened, never a 503 for a write that was stored.
"""
from __future__ import annotations

import os
import threading
import time
from collections.abc import Hashable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from .errors import StateError, StoreUnavailable
from .store import Store, Tx, _assemble, _dump, _load, _view, check_session_ttl, masked

try:
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry
except ImportError as exc:  # pragma: no cover - the test extra installs it
    raise StateError("--state redis:// needs the redis package: pip install 'docmock[redis]'") from exc

PREFIX = "docmock"
LEASE_SECONDS = 2.0     # how long a session's lock outlives a replica killed inside a transaction
LOCK_WAIT_SECONDS = 10.0  # how long a transaction waits for a busy session before its request gets a 503
TIMEOUT_SECONDS = 1.0   # a command takes microseconds: one that has not answered in a second never will
PAUSE_SECONDS = 1.0     # after a failure, how long calls fail at once before one tries Redis again
TOMBSTONE = ""          # a record's JSON text is never empty
UNREACHABLE = "the state store cannot be reached"

# KEYS: lock, ids, entities, sessions, version, receipt. ARGV: token, session, now (ms), ttl (ms, 0: none), the
# prefix of the session's record keys, the number of writes, then a triple (entity, key, text) per write, then a
# pair (entity, next id) per counter. Returns 0, writing nothing, when the lock is no longer this transaction's;
# else leaves a receipt that says it landed (see _SETTLE).
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
redis.call('SET', KEYS[6], '1', 'PX', '10000')
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
  end
end
return 1
"""

# KEYS: lock. ARGV: token, lease (ms). Takes the lock, or finds it taken by this same token already (the first
# try's answer was lost): harmless to repeat. 1 when the lock is the token's.
_LOCK = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
"""

# KEYS: lock, receipt. ARGV: token. After a commit whose answer was lost: 1 when it landed (its receipt is
# there); else lets go of the lock if it is still the token's, so that the commit, should it still arrive, finds
# the lock gone and writes nothing, and answers 0: it never lands.
_SETTLE = """
if redis.call('EXISTS', KEYS[2]) == 1 then return 1 end
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0
"""

# KEYS: lock. ARGV: token. Gives the lock back if the token still holds it.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0
"""

# KEYS: ids, entities. ARGV: record-key prefix, milliseconds. Sets when a session written before sessions
# expired (or under a longer time to live) expires.
_EXPIRE = """
for _, entity in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  redis.call('PEXPIRE', ARGV[1] .. entity, ARGV[2])
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
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
    __slots__ = ("records", "ids", "entities", "lock", "base")

    def __init__(self, session: str) -> None:
        self.base = f"{PREFIX}:{{{_tag(session)}}}:"
        self.records = self.base + "r:"
        self.ids = self.base + "ids"
        self.entities = self.base + "entities"
        self.lock = self.base + "lock"

    def receipt(self, token: str) -> str:
        return f"{self.base}done:{token}"


SESSIONS = f"{PREFIX}:sessions"
VERSION = f"{PREFIX}:version"


def _stored(text: str | None) -> str | None:
    """A hash value as the shared helpers take it: None for a tombstone (`_load`, `_view` make it DELETED)."""
    return None if text == TOMBSTONE else text


class _RedisTx(Tx):
    def __init__(self, store: RedisStore, keys: _SessionKeys) -> None:
        self.store = store
        self.keys = keys
        self.writes: dict[tuple[str, str], str] = {}
        self.counters: dict[str, int] = {}

    def get(self, entity: str, key: str) -> Any:
        if (entity, key) in self.writes:
            return _load(_stored(self.writes[(entity, key)]))
        text = self.store.call(self.store.client.hget, self.keys.records + entity, key)
        return None if text is None else _load(_stored(text))

    def put(self, entity: str, key: str, record: Any) -> None:
        self.writes[(entity, key)] = _dump(record)

    def delete(self, entity: str, key: str) -> None:
        self.writes[(entity, key)] = TOMBSTONE

    def next_id(self, entity: str, start: int) -> int:
        current = self.counters.get(entity)
        if current is None:
            stored = self.store.call(self.store.client.hget, self.keys.ids, entity)
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
                 wait: float = LOCK_WAIT_SECONDS, timeout: float = TIMEOUT_SECONDS) -> None:
        self.url = url
        self.where = masked(url)
        self.session_ttl = check_session_ttl(session_ttl)
        self.lease_ms = max(1, int(lease * 1000))
        self.wait = wait
        self._down_until = 0.0  # while in the future, calls fail at once (Redis failed a moment ago)
        self._outage = ""
        self._guard = threading.Lock()
        self._snapshot = threading.local()  # `one_snapshot`: what this thread read of each entity
        # Locks asked for when Redis stopped answering: the request may still arrive and take the lock for a
        # token nobody holds. Given back once Redis answers again, so the session is not held up for the lease.
        self._unanswered_locks: list[tuple[str, str]] = []
        try:
            database = urlsplit(url).path.strip("/")
            if url.lower().startswith("redis") and database and not database.isdigit():
                raise ValueError("the database is a number, as in redis://HOST:PORT/0")
            # No retries inside redis-py: repeating a script whose answer was lost could apply it twice. `call`
            # repeats what is harmless to repeat, and a commit is settled instead.
            self.client = redis.Redis.from_url(url, decode_responses=True, socket_timeout=timeout,
                                               socket_connect_timeout=timeout, retry=Retry(NoBackoff(), 0))
        except ValueError as exc:
            raise StateError(f"--state {self.where}: {exc}") from None
        self._lock_script = self.client.register_script(_LOCK)
        self._commit = self.client.register_script(_COMMIT)
        self._settle = self.client.register_script(_SETTLE)
        self._release = self.client.register_script(_RELEASE)
        self._reset = self.client.register_script(_RESET)
        self._forget = self.client.register_script(_FORGET)
        self._expire = self.client.register_script(_EXPIRE)
        try:
            self.client.ping()
        except redis.RedisError as exc:
            raise StateError(f"cannot reach the state store {self.where}: {exc}") from None
        except TypeError as exc:  # a URL parameter redis-py does not know, found when it connects
            raise StateError(f"--state {self.where}: {exc}") from None
        if self.session_ttl:
            self._expire_old_sessions()

    def describe(self) -> str:
        return f"{self.where}{self._ttl_note()}"

    # -- calling Redis ---------------------------------------------------------------------------------------

    def call(self, command: Any, *args: Any, repeat: bool = True, **kwargs: Any) -> Any:
        """One command or script. A connection Redis closed (a restart since it was last used) is tried once more
        on a new one when `repeat`: for reads, and for scripts that do nothing the second time. Failures are
        StoreUnavailable; one that says Redis is down or hangs makes the next PAUSE seconds' calls fail at once."""
        self._closed_for_now()
        try:
            try:
                result = command(*args, **kwargs)
            except redis.ConnectionError:
                if not repeat:
                    raise
                result = command(*args, **kwargs)
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            raise self._down(exc) from None
        except redis.RedisError as exc:  # Redis answered, with an error: out of memory, read-only replica ...
            raise StoreUnavailable(f"the state store {self.where} refused a command: {exc}",
                                   public="the state store refused the request") from None
        if self._down_until:
            self._down_until = 0.0  # answered: Redis is back
        if self._unanswered_locks:
            self._give_back_locks()
        return result

    def _give_back_locks(self) -> None:
        with self._guard:
            locks, self._unanswered_locks = self._unanswered_locks, []
        for lock, token in locks:
            try:
                self._release(keys=[lock], args=[token])
            except redis.RedisError:
                pass  # its lease ends it

    def _closed_for_now(self) -> None:
        if not self._down_until:
            return
        with self._guard:
            now = time.monotonic()
            if now < self._down_until:
                raise StoreUnavailable(self._outage, public=UNREACHABLE)
            self._down_until = now + PAUSE_SECONDS  # this call tries Redis; the others keep failing at once

    def _down(self, exc: Exception) -> StoreUnavailable:
        with self._guard:
            self._outage = f"the state store {self.where} cannot be reached: {exc}"
            self._down_until = time.monotonic() + PAUSE_SECONDS
        return StoreUnavailable(self._outage, public=UNREACHABLE)

    # -- reads -----------------------------------------------------------------------------------------------

    def version(self) -> Hashable:
        return self._versioned(self.call(self.client.get, VERSION))

    def get(self, session: str, entity: str, key: str) -> Any:
        text = self.call(self.client.hget, _SessionKeys(session).records + entity, key)
        return None if text is None else _view(_stored(text))

    @contextmanager
    def one_snapshot(self) -> Iterator[None]:
        """Each entity read inside is read whole, once (one HGETALL), and every read of it is answered from
        that: a page's keys and its records come from one moment."""
        if getattr(self._snapshot, "entries", None) is not None:
            yield
            return
        self._snapshot.entries = {}
        try:
            yield
        finally:
            self._snapshot.entries = None

    def entries(self, session: str, entity: str) -> dict[str, Any]:
        taken = getattr(self._snapshot, "entries", None)
        if taken is None:
            return self._read_entries(session, entity)
        if (session, entity) not in taken:
            taken[(session, entity)] = self._read_entries(session, entity)
        return dict(taken[(session, entity)])  # a copy: the caller may change it

    def _read_entries(self, session: str, entity: str) -> dict[str, Any]:
        stored = self.call(self.client.hgetall, _SessionKeys(session).records + entity)
        return {k: _view(_stored(v)) for k, v in stored.items()}

    def get_many(self, session: str, entity: str, keys: Iterable[str]) -> dict[str, Any]:
        keys = list(keys)
        if not keys:
            return {}
        if getattr(self._snapshot, "entries", None) is not None:
            stored = self.entries(session, entity)
            return {key: stored[key] for key in keys if key in stored}
        texts = self.call(self.client.hmget, _SessionKeys(session).records + entity, keys)
        return {key: _view(_stored(text)) for key, text in zip(keys, texts) if text is not None}

    # -- writes ----------------------------------------------------------------------------------------------

    def _lock(self, keys: _SessionKeys) -> str:
        """Take a session's lock, waiting for the transaction that holds it; its token."""
        token = os.urandom(12).hex()
        deadline = time.monotonic() + self.wait
        pause = 0.0005
        while not self._take(keys.lock, token):
            if time.monotonic() > deadline:
                raise StoreUnavailable(f"the session stayed locked by another write for {self.wait:g}s",
                                       public="the session is busy with another write")
            time.sleep(pause)
            pause = min(pause * 2, 0.01)
        return token

    def _take(self, lock: str, token: str) -> bool:
        try:
            return bool(self.call(self._lock_script, keys=[lock], args=[token, self.lease_ms]))
        except StoreUnavailable:
            self._unanswered(lock, token)
            raise

    def _unanswered(self, lock: str, token: str) -> None:
        with self._guard:
            self._unanswered_locks.append((lock, token))

    def _session_keys(self, keys: _SessionKeys) -> list[str]:
        return [keys.lock, keys.ids, keys.entities, SESSIONS, VERSION]

    @contextmanager
    def transaction(self, session: str) -> Iterator[Tx]:
        keys = _SessionKeys(session)
        token = self._lock(keys)
        tx = _RedisTx(self, keys)
        try:
            yield tx
        except BaseException:
            self._let_go(keys, token)
            raise
        if not tx.writes and not tx.counters:  # nothing to store (a 404, a failed `test`): only give the lock back
            self._let_go(keys, token)
            return
        args: list[Any] = [token, session, int(time.time() * 1000),
                           int(self.session_ttl * 1000) if self.session_ttl else 0, keys.records, len(tx.writes)]
        for (entity, key), text in tx.writes.items():
            args += [entity, key, text]
        for entity, n in tx.counters.items():
            args += [entity, n]
        try:
            committed = self.call(self._commit, keys=[*self._session_keys(keys), keys.receipt(token)], args=args,
                                  repeat=False)
        except StoreUnavailable as exc:
            if not self._settled(keys, token, exc):
                raise StoreUnavailable(f"{exc}; the write was not stored",
                                       public=f"{UNREACHABLE}: the write was not stored") from None
            return
        if not committed:
            raise StoreUnavailable(f"a write took longer than its {self.lease_ms} ms lease on the session and was "
                                   "not stored", public="a write took too long and was not stored")

    def _settled(self, keys: _SessionKeys, token: str, failure: StoreUnavailable) -> bool:
        """Whether a commit whose answer was lost landed. Asks Redis on a new connection, which also makes sure a
        commit that has not landed never will; raises `failure` (saying the write may be stored) when Redis
        cannot say."""
        try:
            landed = bool(self._settle(keys=[keys.lock, keys.receipt(token)], args=[token]))
            self._down_until = 0.0  # Redis answered: only that one answer was lost
            return landed
        except redis.RedisError:
            self._unanswered(keys.lock, token)  # a commit that never arrives leaves the lock behind
            raise StoreUnavailable(f"{failure}; the write may or may not have been stored",
                                   public=f"{UNREACHABLE} while a write was stored: it may or may not have been "
                                          "stored") from None

    def _let_go(self, keys: _SessionKeys, token: str) -> None:
        """Give a transaction's lock back without committing (else its lease ends it)."""
        try:
            self.call(self._release, keys=[keys.lock], args=[token])
        except StoreUnavailable:
            self._unanswered(keys.lock, token)

    def _sessions(self) -> list[tuple[str, float]]:
        """Every session the index names, with the time of its last write (epoch ms)."""
        return self.call(self.client.zrange, SESSIONS, 0, -1, withscores=True)

    def _expire_old_sessions(self) -> None:
        """Sessions written before sessions expired, or under a longer time to live, expire as if they had
        always: gone when their last write is older than the time to live, else when it will be."""
        assert self.session_ttl is not None
        now = time.time() * 1000
        ttl_ms = self.session_ttl * 1000
        for name, written in self._sessions():
            left = int(written + ttl_ms - now)
            if left <= 0:
                self.reset(name)
            else:
                keys = _SessionKeys(name)
                self.call(self._expire, keys=[keys.ids, keys.entities], args=[keys.records, left])

    def reset(self, session: str | None = None) -> None:
        for name in [name for name, _ in self._sessions()] if session is None else [session]:
            keys = _SessionKeys(name)
            token = self._lock(keys)
            self.call(self._reset, keys=self._session_keys(keys), args=[token, name, keys.records])
        if session is None:
            self.call(self.client.incr, VERSION, repeat=False)  # even with nothing to forget: a reset is a change

    def forget_entities(self, keep: frozenset[str]) -> dict[str, int]:
        dropped: dict[str, int] = {}
        for name, _ in self._sessions():
            keys = _SessionKeys(name)
            flat = self.call(self._forget, keys=[keys.entities, VERSION], args=[keys.records, *sorted(keep)])
            for entity, count in zip(flat[::2], flat[1::2]):
                dropped[entity] = dropped.get(entity, 0) + int(count)
        return dropped

    def dump(self, session: str | None = None) -> dict[str, dict[str, dict[str, Any]]]:
        """Read in pieces (HSCAN), not in one script: a session of 100,000 records read at once would keep Redis
        from every other client for a second. So, unlike the other stores, not one moment's snapshot."""
        rows: list[tuple[str, str, str, str | None]] = []
        counters: dict[tuple[str, str], int] = {}
        expired_before = (time.time() - self.session_ttl) * 1000 if self.session_ttl else None
        for name, written in self._sessions() if session is None else [(session, None)]:
            keys = _SessionKeys(name)
            entities = self.call(self.client.smembers, keys.entities)
            ids = self.call(self.client.hgetall, keys.ids)
            if not entities and not ids:
                if expired_before is not None and written is not None and written < expired_before:
                    self.call(self.client.zrem, SESSIONS, name)  # expired: its keys are gone, its index entry goes
                continue
            counters.update({(name, e): int(n) for e, n in ids.items()})
            for entity in sorted(entities):
                pairs = self.call(lambda key: list(self.client.hscan_iter(key, count=1000)), keys.records + entity)
                rows += [(name, entity, k, _stored(v)) for k, v in pairs]
        return _assemble(rows, counters)

    def shared_journal(self, size: int) -> RedisJournalEntries:
        return RedisJournalEntries(self, size)

    def close(self) -> None:
        self.client.close()


JOURNAL = f"{PREFIX}:journal"
JOURNAL_ID = f"{PREFIX}:journal:id"

# KEYS: the stream, its id counter. ARGV: the entry, the journal's size. Adds one entry under the next id, which
# is always above the stream's newest (should the counter have been lost, it starts again above it).
_APPEND = """
local id = redis.call('INCR', KEYS[2])
local newest = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)[1]
if newest then
  local top = tonumber(string.match(newest[1], '^%d+'))
  if id <= top then
    id = top + 1
    redis.call('SET', KEYS[2], id)
  end
end
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
        return int(self.store.call(self._append, keys=[JOURNAL, JOURNAL_ID], args=[text, self.size], repeat=False))

    def since(self, after_id: int | None) -> list[tuple[int, str]]:
        """(id, text) of every entry kept, oldest first, or of those after `after_id`."""
        found = self.store.call(self.store.client.xrange, JOURNAL, f"({after_id}-0" if after_id else "-", "+")
        return self._entries(found)

    def newest(self, count: int) -> list[tuple[int, str]]:
        """(id, text) of the newest `count` entries, oldest first."""
        if count <= 0:
            return []
        return self._entries(reversed(self.store.call(self.store.client.xrevrange, JOURNAL, "+", "-", count=count)))

    @staticmethod
    def _entries(found: Any) -> list[tuple[int, str]]:
        return [(int(stream_id.partition("-")[0]), value["e"]) for stream_id, value in found]

    def last_id(self) -> int:
        return int(self.store.call(self.store.client.get, JOURNAL_ID) or 0)

    def delete(self, ids: list[int] | None) -> None:
        """Forget these entries, or every entry (None); ids keep counting."""
        if ids is None:
            self.store.call(self.store.client.delete, JOURNAL)
        elif ids:
            self.store.call(self.store.client.xdel, JOURNAL, *(f"{i}-0" for i in ids))
