"""What is particular to the Redis store (the contract itself is tests/state/test_store.py): the session lock and
its lease, the key layout, key expiry, failures as StoreUnavailable, and the shared journal's entries."""
from __future__ import annotations

import threading
import time

import pytest

from mockserver.state import StateError, open_store
from mockserver.state.errors import StoreUnavailable

redis_store = pytest.importorskip("mockserver.state.redis_store")
RedisStore = redis_store.RedisStore


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
    assert sorted(store.client.keys("docmock:{a}:*")) == ["docmock:{a}:entities", "docmock:{a}:r:E"]


def test_redis_expires_a_session_keys_itself(redis_url):
    store = RedisStore(redis_url, session_ttl=60)
    with store.transaction("s") as tx:
        tx.put("E", "1", {"v": 1})
        tx.next_id("E", 10)
    for key in ("docmock:{s}:r:E", "docmock:{s}:ids", "docmock:{s}:entities"):
        assert 55_000 < store.client.pttl(key) <= 60_000
    store.close()


def test_redis_down_is_store_unavailable_and_comes_back_with_every_write(redis_server, redis_url):
    store = RedisStore(redis_url, timeout=1)
    with store.transaction("s") as tx:
        tx.put("E", "1", {"v": 1})
    redis_server.stop()
    for call in (lambda: store.get("s", "E", "1"), lambda: store.entries("s", "E"), store.version,
                 store.dump, lambda: store.reset("s")):
        started = time.monotonic()
        with pytest.raises(StoreUnavailable, match="cannot be reached") as caught:
            call()
        assert caught.value.retry_after == 1 and time.monotonic() - started < 5
    with pytest.raises(StoreUnavailable):
        with store.transaction("s") as tx:
            tx.put("E", "2", {"v": 2})
    redis_server.start()
    assert store.get("s", "E", "1") == {"v": 1}  # the same client reconnects by itself
    assert store.get("s", "E", "2") is None
    store.close()


def test_an_unreachable_redis_is_a_state_error_at_once(redis_server):
    from serving import free_port

    url = f"redis://127.0.0.1:{free_port()}/0"
    started = time.monotonic()
    with pytest.raises(StateError, match=rf"^cannot reach the state store {url}: .*refused"):
        open_store(url)
    assert time.monotonic() - started < 5
    with pytest.raises(StateError, match="--state redis://127.0.0.1:1/x"):
        open_store("redis://127.0.0.1:1/x")  # not a database number


def test_the_password_stays_out_of_messages():
    assert redis_store.safe_url("redis://user:secret@db.example:6380/2") == "redis://user:***@db.example:6380/2"
    assert redis_store.safe_url("redis://:secret@db.example/0") == "redis://:***@db.example/0"
    assert redis_store.safe_url("redis://db.example:6379/0") == "redis://db.example:6379/0"


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
