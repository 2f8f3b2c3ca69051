"""What is particular to the Redis store (the contract itself is tests/state/test_store.py): the session lock and
its lease, the key layout, key expiry, failures as StoreUnavailable, and the shared journal's entries."""
from __future__ import annotations

import signal
import threading
import time

import pytest

from mockserver.state import StateError, open_store
from mockserver.state.errors import StoreUnavailable

redis_store = pytest.importorskip("mockserver.state.redis_store")
RedisStore = redis_store.RedisStore


def data_keys(store, pattern: str) -> list[str]:
    """The keys that hold data, without the commits' receipts (`done:TOKEN`, gone after 10 s by themselves)."""
    return [k for k in store.client.keys(pattern) if ":done:" not in k]


@pytest.fixture
def store(redis_url):
    s = RedisStore(redis_url)
    yield s
    s.close()


def test_a_transaction_waits_for_the_session_lock_and_gets_in_after_a_dead_holders_lease(store):
    # A replica killed inside a transaction leaves its lock behind; the lease ends it.
    store.client.set("docmock:{s}:lock", "a dead replica's token", px=400)
    started = time.monotonic()
    with store.transaction("s") as tx:
        tx.put("E", "1", {"v": 1})
    assert 0.3 < time.monotonic() - started < 3
    assert store.get("s", "E", "1") == {"v": 1}
    assert store.client.get("docmock:{s}:lock") is None  # the commit let go of the lock
    with store.transaction("other") as tx:  # other sessions never waited
        tx.put("E", "1", {"v": 2})


def test_a_session_locked_too_long_is_unavailable_not_a_hang(redis_url):
    store = RedisStore(redis_url, wait=0.3)
    store.client.set("docmock:{s}:lock", "held", px=60_000)
    with pytest.raises(StoreUnavailable, match="stayed locked"):
        with store.transaction("s") as tx:
            tx.put("E", "1", {"v": 1})
    store.close()


def test_a_transaction_that_outlived_its_lease_writes_nothing(redis_url):
    slow = RedisStore(redis_url, lease=0.2)
    with pytest.raises(StoreUnavailable, match="lease"):
        with slow.transaction("s") as tx:
            tx.put("E", "1", {"by": "slow"})
            time.sleep(0.4)  # its lease ends: another writer may take the session meanwhile
            with slow.transaction("s") as other:
                other.put("E", "1", {"by": "other"})
    assert slow.get("s", "E", "1") == {"by": "other"}
    slow.close()


def test_a_failed_transaction_lets_go_of_the_lock_and_writes_nothing(store):
    with pytest.raises(RuntimeError):
        with store.transaction("s") as tx:
            tx.put("E", "1", {"v": 1})
            raise RuntimeError("abort")
    assert store.client.get("docmock:{s}:lock") is None and store.get("s", "E", "1") is None


def test_session_names_cannot_reach_each_others_keys(store):
    for session in ("a", "a}:r:E", "a%7D", "{a}"):
        with store.transaction(session) as tx:
            tx.put("E", "1", {"session": session})
    for session in ("a", "a}:r:E", "a%7D", "{a}"):
        assert store.get(session, "E", "1") == {"session": session}
        assert store.entries(session, "E") == {"1": {"session": session}}
    assert sorted(store.dump()) == sorted(["a", "a}:r:E", "a%7D", "{a}"])
    assert sorted(data_keys(store, "docmock:{a}:*")) == ["docmock:{a}:entities", "docmock:{a}:r:E"]


def test_redis_expires_a_session_keys_itself(redis_url):
    store = RedisStore(redis_url, session_ttl=60)
    with store.transaction("s") as tx:
        tx.put("E", "1", {"v": 1})
        tx.next_id("E", 10)
    for key in ("docmock:{s}:r:E", "docmock:{s}:ids", "docmock:{s}:entities"):
        assert 55_000 < store.client.pttl(key) <= 60_000
    store.close()


def eventually(call, seconds: float = 10):
    """What `call` answers once the store is reachable again (calls fail at once for a moment after an outage)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return call()
        except StoreUnavailable:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_redis_down_is_store_unavailable_and_comes_back_with_every_write(redis_server, redis_url):
    store = RedisStore(redis_url)
    with store.transaction("s") as tx:
        tx.put("E", "1", {"v": 1})
    redis_server.stop()
    for call in (lambda: store.get("s", "E", "1"), lambda: store.entries("s", "E"), store.version,
                 store.dump, lambda: store.reset("s")):
        started = time.monotonic()
        with pytest.raises(StoreUnavailable, match="cannot be reached") as caught:
            call()
        assert caught.value.retry_after == 1 and time.monotonic() - started < 3
        assert caught.value.public == "the state store cannot be reached"  # no host or port for clients
    with pytest.raises(StoreUnavailable):
        with store.transaction("s") as tx:
            tx.put("E", "2", {"v": 2})
    redis_server.start()
    assert eventually(lambda: store.get("s", "E", "1")) == {"v": 1}  # the same client reconnects by itself
    assert store.get("s", "E", "2") is None
    with store.transaction("s") as tx:  # and writes again, the lock of the failed write long gone
        tx.put("E", "2", {"v": 2})
    store.close()


def test_a_hung_redis_costs_one_timeout_then_calls_fail_at_once_until_it_answers(redis_server, redis_url):
    store = RedisStore(redis_url, timeout=0.5)
    store.get("s", "E", "1")
    redis_server.process.send_signal(signal.SIGSTOP)
    try:
        started = time.monotonic()
        with pytest.raises(StoreUnavailable, match="Timeout"):
            store.get("s", "E", "1")
        assert time.monotonic() - started < 2
        started = time.monotonic()
        for _ in range(20):  # every request meanwhile: at once, not a timeout each
            with pytest.raises(StoreUnavailable):
                store.entries("s", "E")
        assert time.monotonic() - started < 0.2
    finally:
        redis_server.process.send_signal(signal.SIGCONT)
    assert eventually(lambda: store.get("s", "E", "1")) is None
    store.close()


class _LostAnswer:
    """A commit script whose answer never arrives: run before (`lands`) or not at all, then a timeout."""

    def __init__(self, script, lands: bool) -> None:
        self.script = script
        self.lands = lands

    def __call__(self, *args, **kwargs):
        import redis

        if self.lands:
            self.script(*args, **kwargs)
        raise redis.TimeoutError("Timeout reading from socket")


def test_a_commit_whose_answer_was_lost_is_answered_for_what_happened(redis_url):
    store = RedisStore(redis_url)
    real = store._commit
    store._commit = _LostAnswer(real, lands=True)
    with store.transaction("s") as tx:  # it landed: no 503 for a write that was stored
        tx.put("E", "1", {"v": 1})
    assert store.get("s", "E", "1") == {"v": 1}
    store._commit = _LostAnswer(real, lands=False)
    with pytest.raises(StoreUnavailable, match="not stored"):
        with store.transaction("s") as tx:
            tx.put("E", "2", {"v": 2})
    assert store.get("s", "E", "2") is None and store.client.get("docmock:{s}:lock") is None
    store._commit = real
    with store.transaction("s") as tx:  # the session is free at once
        tx.put("E", "2", {"v": 2})
    store.close()


def test_a_commit_redis_cannot_settle_says_it_may_have_been_stored(redis_server, redis_url):
    store = RedisStore(redis_url)
    real = store._commit

    def lands_then_redis_dies(*args, **kwargs):
        real(*args, **kwargs)
        redis_server.stop()
        import redis

        raise redis.ConnectionError("Connection closed by server.")

    store._commit = lands_then_redis_dies
    with pytest.raises(StoreUnavailable, match="may or may not have been stored") as caught:
        with store.transaction("s") as tx:
            tx.put("E", "1", {"v": 1})
    assert "may or may not have been stored" in caught.value.public
    redis_server.start()
    assert eventually(lambda: store.get("s", "E", "1")) == {"v": 1}  # it had landed, and survived (AOF)
    store.close()


def test_a_lock_taken_while_its_answer_was_lost_is_given_back_when_redis_answers_again(redis_url):
    import redis

    store = RedisStore(redis_url)
    real = store._lock_script

    def lands_unanswered(*args, **kwargs):
        real(*args, **kwargs)
        raise redis.TimeoutError("Timeout reading from socket")

    store._lock_script = lands_unanswered
    with pytest.raises(StoreUnavailable):
        with store.transaction("s") as tx:
            tx.put("E", "1", {"v": 1})
    assert store.client.get("docmock:{s}:lock") is not None  # taken, for a token no request holds
    store._lock_script = real
    assert eventually(lambda: store.get("s", "E", "1")) is None  # the first answer from Redis gives it back
    assert store.client.get("docmock:{s}:lock") is None
    started = time.monotonic()
    with store.transaction("s") as tx:
        tx.put("E", "1", {"v": 1})
    assert time.monotonic() - started < 0.5  # not a wait for the lease
    store.close()


def test_reading_a_big_session_never_holds_redis_up(store):
    records = {str(n): '{"Id":%d,"Name":"record %d"}' % (n, n) for n in range(100_000)}
    pipe = store.client.pipeline(transaction=False)
    for start in range(0, len(records), 10_000):
        pipe.hset("docmock:{big}:r:E", mapping=dict(list(records.items())[start:start + 10_000]))
    pipe.sadd("docmock:{big}:entities", "E")
    pipe.zadd("docmock:sessions", {"big": time.time() * 1000})
    pipe.execute()
    store.client.config_set("slowlog-log-slower-than", 20_000)  # microseconds
    store.client.slowlog_reset()
    try:
        dumped = store.dump()
        assert len(dumped["big"]["E"]["records"]) == 100_000
        assert store.client.slowlog_get() == []  # no command kept Redis from other clients for 20 ms
    finally:
        store.client.config_set("slowlog-log-slower-than", 10_000)


def test_sessions_of_a_replica_without_a_time_to_live_stay_listed_and_reset(redis_url):
    plain, expiring = RedisStore(redis_url), RedisStore(redis_url, session_ttl=1)
    with plain.transaction("kept") as tx:
        tx.put("E", "1", {"v": 1})
    time.sleep(1.2)
    with expiring.transaction("other") as tx:
        tx.put("E", "1", {"v": 2})
    assert sorted(expiring.dump()) == ["kept", "other"]  # its keys do not expire: it is still there
    expiring.reset()
    assert plain.get("kept", "E", "1") is None and data_keys(plain, "docmock:*:*") == []
    plain.close()
    expiring.close()


def test_taking_a_lock_again_with_the_same_token_is_harmless(store):
    # The lock is taken by a script that may be sent twice (its first answer lost on a broken connection).
    assert store._lock_script(keys=["docmock:{s}:lock"], args=["token", 5000]) == 1
    assert store._lock_script(keys=["docmock:{s}:lock"], args=["token", 5000]) == 1
    assert store._lock_script(keys=["docmock:{s}:lock"], args=["other", 5000]) == 0


def test_sessions_written_without_a_time_to_live_get_one_when_a_replica_starts_with_it(redis_url):
    plain = RedisStore(redis_url)
    for session in ("old", "recent"):
        with plain.transaction(session) as tx:
            tx.put("E", "1", {"v": session})
            tx.next_id("E", 10)
    plain.client.zadd("docmock:sessions", {"old": (time.time() - 7200) * 1000})  # last written two hours ago
    expiring = RedisStore(redis_url, session_ttl=3600)
    assert expiring.get("old", "E", "1") is None and data_keys(plain, "docmock:{old}:*") == []
    assert expiring.get("recent", "E", "1") == {"v": "recent"}
    assert 3_500_000 < plain.client.pttl("docmock:{recent}:r:E") <= 3_600_000
    assert list(expiring.dump()) == ["recent"]
    expiring.reset()
    assert data_keys(plain, "docmock:*:*") == []
    plain.close()
    expiring.close()


def test_a_time_to_live_under_a_second_is_refused(redis_url):
    with pytest.raises(StateError, match="from 1 second to 100 years"):
        RedisStore(redis_url, session_ttl=0.0005)


def test_an_unreachable_redis_is_a_state_error_at_once(redis_server):
    from serving import free_port

    url = f"redis://127.0.0.1:{free_port()}/0"
    started = time.monotonic()
    with pytest.raises(StateError, match=rf"^cannot reach the state store {url}: .*refused"):
        open_store(url)
    assert time.monotonic() - started < 5
    with pytest.raises(StateError, match="--state redis://127.0.0.1:1/x"):
        open_store("redis://127.0.0.1:1/x")  # not a database number


def test_the_password_stays_out_of_messages(redis_url):
    from mockserver.state.store import masked

    assert masked("redis://user:secret@db.example:6380/2") == "redis://user:***@db.example:6380/2"
    assert masked("redis://:secret@db.example/0") == "redis://:***@db.example/0"
    assert masked("redis://db.example:6379/0?password=secret&db=2") == "redis://db.example:6379/0?password=***&db=2"
    assert masked("redis:/:secret@db:6379/0") == "redis:/:***@db:6379/0"  # a typo of the URL
    assert masked("redis://db.example:6379/0") == "redis://db.example:6379/0"
    assert masked("sqlite:/tmp/a:b@c.db") == "sqlite:/tmp/a:b@c.db"
    assert masked("redis://:ab@CDsecret@127.0.0.1:6432/0") == "redis://:***@127.0.0.1:6432/0"  # a raw @ in it
    # A wrong password is kept out of the error.
    import redis

    admin = redis.Redis.from_url(redis_url)
    admin.config_set("requirepass", "right")
    try:
        for url in (redis_url.replace("redis://", "redis://:hunter2@"), redis_url + "?password=hunter2"):
            with pytest.raises(StateError, match="cannot reach the state store") as caught:
                open_store(url)
            assert "hunter2" not in str(caught.value)
        assert open_store(redis_url + "?password=right").describe() == redis_url + "?password=***"
    finally:
        admin.config_set("requirepass", "")
        admin.close()
    for bad in ("redis://:hunter2@127.0.0.1:notaport/0", "redis://:hunter2@127.0.0.1:99999/0", "redis://[::1:6379/0",
                "redis://:hunter2@127.0.0.1:6379/0?foo=bar"):
        with pytest.raises(StateError) as caught:
            open_store(bad)
        assert "hunter2" not in str(caught.value)


def test_concurrent_transactions_of_two_stores_never_share_an_id(redis_url):
    # Two stores are two replicas' connection pools.
    stores = [RedisStore(redis_url), RedisStore(redis_url)]
    ids: list[int] = []
    lock = threading.Lock()

    def allocate(store: RedisStore) -> None:
        for _ in range(40):
            with store.transaction("s") as tx:
                n = tx.next_id("E", 1_000_000)
                tx.put("E", str(n), {"id": n})
            with lock:
                ids.append(n)

    threads = [threading.Thread(target=allocate, args=(stores[i % 2],)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(ids) == list(range(1_000_000, 1_000_240))
    assert len(stores[0].entries("s", "E")) == 240
    for s in stores:
        s.close()


def test_the_shared_journal_keeps_no_credential_and_survives_a_lost_counter(store, seeds_result):
    from starlette.testclient import TestClient

    from mockserver import create_app

    app = create_app(seeds_result.spec, state=store.url)
    client = TestClient(app, headers={"Authorization": "Basic dXNlcjpwYXNz"})
    client.get("/api/v1/BatchTask/42", headers={"Cookie": "sid=abc"})
    raw = str(store.client.xrange("docmock:journal"))
    assert "dXNlcjpwYXNz" not in raw and "sid=abc" not in raw and "[redacted]" in raw  # not even in Redis
    store.client.delete("docmock:journal:id")  # evicted, or deleted by hand
    client.get("/api/v1/BatchTask/43")
    listed = client.get("/__docmock/requests").json()
    assert [e["path"] for e in listed["requests"]] == ["/api/v1/BatchTask/42", "/api/v1/BatchTask/43"]
    assert [e["id"] for e in listed["requests"]] == [1, 2] and listed["lastId"] == 2
    newest = client.get("/__docmock/requests?limit=1").json()["requests"]
    assert [e["path"] for e in newest] == ["/api/v1/BatchTask/43"]


def test_the_shared_journal_entries(store):
    entries = store.shared_journal(3)
    assert entries.last_id() == 0 and entries.since(None) == []
    for n in range(5):
        assert entries.append(f"entry {n}") == n + 1
    assert entries.since(None) == [(3, "entry 2"), (4, "entry 3"), (5, "entry 4")]  # the last 3
    assert entries.since(4) == [(5, "entry 4")]
    entries.delete([4])
    assert [i for i, _ in entries.since(None)] == [3, 5]
    entries.delete(None)
    assert entries.since(None) == [] and entries.last_id() == 5
    assert entries.append("after") == 6  # ids keep counting


def test_replicas_remember_no_answers_since_redis_is_asked_anyway(redis_url, seeds_result):
    from mockserver import create_app

    app = create_app(seeds_result.spec, state=redis_url)
    assert app.answers is None and not any("Answers to repeated reads" in line for line in app.report.lines())
    assert create_app(seeds_result.spec, state="memory").answers is not None
