"""The store contract, one suite run against every backend (memory, SQLite, Redis): what is stored reads back,
transactions are all or nothing, concurrent writers lose nothing, sessions expire. Then what is particular to
SQLite (persistence, worker processes, WAL reads)."""
from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from mockserver.state import (CREATED_ID_START, DELETED, MemoryStore, SqliteStore, StateEngine, StateError,
                              open_store)

REPO = Path(__file__).resolve().parents[2]


def person_base(ident):
    return {"PersonId": ident, "Firstname": f"P{ident}", "UserDefinedFields": {}}


def call(engine, op, path=None, body=None, content_type="application/json", session="default"):
    return engine.handle(engine.action_for(op), session, path or {}, {}, body, content_type,
                         person_base, lambda: [])


@pytest.fixture(params=["memory", "sqlite", "redis"])
def make_store(request, tmp_path):
    """Opens stores of one kind, as `--state` would (with `--session-ttl`); SQLite and Redis stores opened by one
    test share what they store."""
    option = {"memory": "memory", "sqlite": f"sqlite:{tmp_path / 'state.db'}"}.get(request.param)
    if request.param == "redis":
        option = request.getfixturevalue("redis_url")
    opened = []

    def make(session_ttl: float | None = None):
        opened.append(open_store(option, session_ttl))
        return opened[-1]

    yield make
    for s in opened:
        s.close()


@pytest.fixture
def store(make_store):
    return make_store()


def test_store_contract(store):
    with store.transaction("s") as tx:
        assert tx.get("E", "1") is None
        tx.put("E", "1", {"a": 1})
        tx.delete("E", "2")
        assert tx.get("E", "1") == {"a": 1} and tx.get("E", "2") is DELETED
        assert [tx.next_id("E", 10), tx.next_id("E", 10), tx.next_id("F", 10)] == [10, 11, 10]
    assert store.get("s", "E", "1") == {"a": 1} and store.get("s", "E", "2") is DELETED
    assert store.get("other", "E", "1") is None
    assert store.entries("s", "E") == {"1": {"a": 1}, "2": DELETED}
    record = store.get("s", "E", "1")
    with pytest.raises(TypeError):
        record["a"] = 2  # plain reads are read-only views of the stored text...
    copy = record.to_dict()
    copy["a"] = 2  # ...and a writer's copy changes nothing stored
    assert store.get("s", "E", "1") == {"a": 1} and store.get("s", "E", "1").text == '{"a":1}'
    with store.transaction("s") as tx:
        fresh = tx.get("E", "1")
        fresh["a"] = 3  # inside a transaction, a fresh object to change
        assert tx.get("E", "1") == {"a": 1}
    with pytest.raises(RuntimeError):
        with store.transaction("s") as tx:
            tx.put("E", "1", {"a": 3})
            tx.next_id("E", 10)
            raise RuntimeError("abort")
    assert store.get("s", "E", "1") == {"a": 1}  # all or nothing
    with store.transaction("s") as tx:
        assert tx.next_id("E", 10) == 12
    assert store.dump() == {"s": {"E": {"records": {"1": {"a": 1}}, "deleted": ["2"], "next_id": 13},
                                  "F": {"records": {}, "deleted": [], "next_id": 11}}}
    store.reset("s")
    assert store.dump() == {}


def test_keys_in_order_and_many_records_at_once(make_store):
    """A list's page reads its keys in order, from an offset, without reading the records; then only the
    records on it. Numbers sort by value before text keys; tombstones are not records."""
    store = make_store(session_ttl=60)
    keys = ["10", "9", "-3", "abc", "1000001", "7", "a1", "12abc", "99999999999999999999", ""]
    with store.transaction("s") as tx:
        for key in keys:
            tx.put("E", key, {"k": key})
        tx.delete("E", "9")
        tx.delete("E", "8")
        tx.put("F", "1", {"k": "F"})
    in_order = ["-3", "7", "10", "1000001", "", "12abc", "99999999999999999999", "a1", "abc"]
    assert store.keys_in_order("s", "E", 0, 100) == in_order
    assert store.keys_in_order("s", "E", 2, 3) == in_order[2:5]
    assert store.keys_in_order("s", "E", 9, 5) == [] and store.keys_in_order("s", "E", 0, 0) == []
    assert store.keys_in_order("other", "E", 0, 5) == [] and store.keys_in_order("s", "F", 0, 5) == ["1"]
    assert store.get_many("s", "E", ["9", "10", "nothing", "abc"]) == {"9": DELETED, "10": {"k": "10"},
                                                                         "abc": {"k": "abc"}}
    assert store.get_many("s", "E", [str(n) for n in range(2_000)])["7"] == {"k": "7"}  # more than one query
    with store.transaction("s") as tx:
        tx.put("E", "9", {"k": "again"})
        tx.put("E", "8", {"k": "8"})
        tx.delete("E", "abc")
    assert store.keys_in_order("s", "E", 0, 5) == ["-3", "7", "8", "9", "10"]
    assert store.keys_in_order("s", "E", 8, 5) == ["99999999999999999999", "a1"]
    store.reset("s")
    assert store.keys_in_order("s", "E", 0, 5) == [] and store.get_many("s", "E", ["7"]) == {}


def test_sqlite_finds_a_page_from_its_index_alone(tmp_path):
    """The keys of a page come from an index holding every column the query reads: the records before the
    page (14 KB each for a person) are never read."""
    store = SqliteStore(tmp_path / "state.db")
    with store.transaction("s") as tx:
        tx.put("E", "1", {"k": 1})
    conn = sqlite3.connect(tmp_path / "state.db")
    plan = conn.execute("EXPLAIN QUERY PLAN SELECT key FROM docmock_records WHERE session=? AND entity=? AND live=1 "
                        "ORDER BY kind, num, key LIMIT 10 OFFSET 5", ("s", "E")).fetchall()
    assert "COVERING INDEX docmock_records_in_order" in plan[0][3] and len(plan) == 1  # no sort either
    store.close()


def file_from_before_the_key_order(path: Path, rows: str) -> Path:
    """A state file as docmock wrote it before records kept their key's order, holding `rows` (SQL values)."""
    conn = sqlite3.connect(path)
    conn.executescript(f"""
        CREATE TABLE docmock_records (session TEXT NOT NULL, entity TEXT NOT NULL, key TEXT NOT NULL, body TEXT,
            PRIMARY KEY (session, entity, key)) WITHOUT ROWID;
        INSERT INTO docmock_records VALUES {rows};""")
    conn.commit()
    conn.close()
    return path


def test_a_sqlite_file_from_before_the_key_order_gets_it(tmp_path):
    path = file_from_before_the_key_order(tmp_path / "old.db", """('s', 'E', '10', '{"k": 10}'), ('s', 'E', '9', NULL),
        ('s', 'E', 'x', '{"k": "x"}'), ('s', 'E', '2', '{"k": 2}')""")
    store = SqliteStore(path)
    assert store.keys_in_order("s", "E", 0, 10) == ["2", "10", "x"]
    assert store.get("s", "E", "9") is DELETED and store.get("s", "E", "10") == {"k": 10}
    store.close()
    assert SqliteStore(path).keys_in_order("s", "E", 1, 10) == ["10", "x"]  # opened again: nothing to add


def test_processes_opening_a_file_from_before_the_key_order_at_once_all_start(tmp_path):
    path = file_from_before_the_key_order(tmp_path / "old.db",
                                          """('s', 'E', '10', '{"k": 10}'), ('s', 'E', '2', '{"k": 2}')""")
    opener = textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {str(REPO)!r})
        from mockserver.state import SqliteStore
        while time.time() < float(sys.argv[1]):
            pass
        print(SqliteStore({str(path)!r}).keys_in_order("s", "E", 0, 10))
        """)
    start = str(time.time() + 2)
    processes = [subprocess.Popen([sys.executable, "-c", opener, start], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(3)]
    results = [p.communicate(timeout=60) for p in processes]
    assert [out.strip() for out, _ in results] == ["['2', '10']"] * 3, [err for _, err in results]


def test_sessions_expire_after_their_last_write(make_store):
    store = make_store(session_ttl=2.0)
    with store.transaction("old") as tx:
        tx.put("E", "1", {"a": 1})
        tx.next_id("E", 10)
    time.sleep(1.1)
    with store.transaction("young") as tx:
        tx.put("E", "1", {"b": 2})
    with store.transaction("idle") as tx:
        tx.get("E", "1")  # a transaction that writes nothing does not keep a session alive
    time.sleep(1.1)  # "old" was last written 2.2 s ago, "young" 1.1 s ago
    assert store.get("old", "E", "1") is None and store.entries("old", "E") == {}
    assert list(store.dump()) == ["young"]
    assert store.get("young", "E", "1") == {"b": 2}
    with store.transaction("old") as tx:
        assert tx.get("E", "1") is None
        assert tx.next_id("E", 10) == 10  # its ids start again, as after a reset
    with store.transaction("young") as tx:
        tx.put("E", "2", {"c": 3})  # each write keeps the session alive another 2 s
    time.sleep(1.1)
    assert store.entries("young", "E") == {"1": {"b": 2}, "2": {"c": 3}}
    assert "expire 2s after their last write" in store.describe()


def test_the_version_moves_on_while_sessions_may_expire(make_store):
    # An answer remembered under one version is not handed out once its session may have expired.
    store = make_store(session_ttl=60)
    before = store.version()
    time.sleep(1.05)
    assert store.version() != before


def test_reset_of_every_session_and_forgetting_entities(store):
    for session in ("a", "b"):
        with store.transaction(session) as tx:
            tx.put("Keep", "1", {"k": session})
            tx.put("Gone", "1", {"g": 1})
            tx.delete("Gone", "2")
            tx.next_id("Gone", 5)
    assert store.forget_entities(frozenset({"Keep"})) == {"Gone": 4}
    assert store.entries("a", "Gone") == {} and store.get("b", "Keep", "1") == {"k": "b"}
    with store.transaction("a") as tx:
        assert tx.next_id("Gone", 5) == 6  # counters stay: an id a client holds is never handed out again
    store.reset()
    assert store.dump() == {} and store.get("b", "Keep", "1") is None
    with store.transaction("a") as tx:
        assert tx.next_id("Gone", 5) == 5


def test_sessions_are_apart(store):
    with store.transaction("one") as tx:
        tx.put("E", "1", {"v": 1})
        assert tx.next_id("E", 7) == 7
    with store.transaction("two") as tx:
        assert tx.get("E", "1") is None
        assert tx.next_id("E", 7) == 7
        tx.delete("E", "1")
    assert store.get("one", "E", "1") == {"v": 1} and store.get("two", "E", "1") is DELETED
    store.reset("two")
    assert list(store.dump()) == ["one"]
    assert list(store.dump("one")) == ["one"] and store.dump("nobody") == {}


def test_open_store(tmp_path):
    assert isinstance(open_store(None), MemoryStore) and isinstance(open_store("memory"), MemoryStore)
    s = open_store(f"sqlite:{tmp_path / 'x.db'}")
    assert isinstance(s, SqliteStore) and s.describe() == f"sqlite:{tmp_path / 'x.db'}"
    s.close()
    with pytest.raises(StateError, match="use 'memory', 'sqlite:PATH' or 'redis://HOST:PORT/DB'"):
        open_store("postgres://localhost")
    with pytest.raises(StateError, match="cannot open"):
        SqliteStore(tmp_path / "missing-dir" / "x.db")


def test_sqlite_state_survives_a_restart(corpus_spec, tmp_path):
    path = tmp_path / "state.db"
    first = StateEngine.from_spec(corpus_spec, SqliteStore(path))
    pid = call(first, "v1PersonEntity_PostPersonEntity", body={"Firstname": "Kept"}).value["PersonId"]
    call(first, "v1PersonEntity_DeletePersonEntity", {"id": "5"})
    call(first, "v1PersonEntity_PatchPersonEntity", {"id": "6"}, [{"op": "replace", "path": "firstname",
                                                                    "value": "Six"}])
    first.close()
    second = StateEngine.from_spec(corpus_spec, SqliteStore(path))
    assert call(second, "v1PersonEntity_GetPersonEntity", {"id": str(pid)}).value["Firstname"] == "Kept"
    assert call(second, "v1PersonEntity_GetPersonEntity", {"id": "5"}).status == 404
    assert call(second, "v1PersonEntity_GetPersonEntity", {"id": "6"}).value["Firstname"] == "Six"
    # The id counter persists too.
    assert call(second, "v1PersonEntity_PostPersonEntity", body={}).value["PersonId"] == pid + 1
    second.reset()
    second.close()
    third = StateEngine.from_spec(corpus_spec, SqliteStore(path))
    assert third.snapshot()["sessions"] == {}
    third.close()


def test_concurrent_threads_lose_no_update(corpus_spec, store):
    engine = StateEngine.from_spec(corpus_spec, store)
    threads, rounds = 8, 25
    created: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def client(n):
        try:
            for i in range(rounds):
                new = call(engine, "v1PersonEntity_PostPersonEntity", body={"Firstname": f"t{n}-{i}"})
                with lock:
                    created.append(new.value["PersonId"])
                # Read-modify-write of one shared record: a lost update would drop someone's key.
                out = call(engine, "v1PersonEntity_PatchPersonEntity", {"id": "42"},
                           [{"op": "add", "path": f"/UserDefinedFields/t{n}-{i}", "value": "x"}])
                assert out.status == 200
        except BaseException as exc:  # surfaced below; a thread's exception would otherwise vanish
            errors.append(exc)

    workers = [threading.Thread(target=client, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert not errors
    assert sorted(created) == list(range(CREATED_ID_START, CREATED_ID_START + threads * rounds))
    fields = call(engine, "v1PersonEntity_GetPersonEntity", {"id": "42"}).value["UserDefinedFields"]
    assert set(fields) == {f"t{n}-{i}" for n in range(threads) for i in range(rounds)}


WORKER = textwrap.dedent("""
    import json, sys, threading
    from mockserver.state import SqliteStore, StateEngine
    spec_path, db, name, threads, rounds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
    engine = StateEngine.from_spec(json.load(open(spec_path)), SqliteStore(db, timeout=60))
    base = lambda i: {"PersonId": i, "UserDefinedFields": {}}
    def call(op, path=None, body=None):
        return engine.handle(engine.action_for(op), "shared", path or {}, {}, body, "application/json",
                             base, lambda: [])
    ids, lock = [], threading.Lock()
    def client(t):
        for i in range(rounds):
            new = call("v1PersonEntity_PostPersonEntity", body={"Firstname": f"{name}-{t}-{i}"}).value["PersonId"]
            with lock:
                ids.append(new)
            out = call("v1PersonEntity_PatchPersonEntity", {"id": "42"},
                       {"UserDefinedFields": {f"{name}-{t}-{i}": "x"}})
            assert out.status == 200, out
    workers = [threading.Thread(target=client, args=(t,)) for t in range(threads)]
    [w.start() for w in workers]
    [w.join() for w in workers]
    print(json.dumps(ids))
""")


def test_worker_processes_share_sqlite_without_lost_updates(corpus_spec, tmp_path):
    spec_path = tmp_path / "spec.json"
    spec_path.write_text(json.dumps(corpus_spec))
    db = tmp_path / "shared.db"
    SqliteStore(db).close()  # create the schema once, as `docmock serve` does before forking workers
    processes, threads, rounds = 4, 3, 15
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, str(spec_path), str(db), f"p{n}", str(threads),
                               str(rounds)], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for n in range(processes)]
    created: list[int] = []
    for p in procs:
        out, err = p.communicate(timeout=240)
        assert p.returncode == 0, err
        created.extend(json.loads(out))
    total = processes * threads * rounds
    assert sorted(created) == list(range(CREATED_ID_START, CREATED_ID_START + total))
    engine = StateEngine.from_spec(corpus_spec, SqliteStore(db))
    record = engine.handle(engine.action_for("v1PersonEntity_GetPersonEntity"), "shared", {"id": "42"}, {}, None,
                           "", person_base, lambda: [])
    assert set(record.value["UserDefinedFields"]) == {
        f"p{n}-{t}-{i}" for n in range(processes) for t in range(threads) for i in range(rounds)}
    assert len(engine.snapshot("shared")["sessions"]["shared"]["Person"]["records"]) == total + 1
    engine.close()


def test_blocking_flags():
    from mockserver.state.redis_store import RedisStore

    # A caller on an event loop hops to a thread only for calls that may wait on another process.
    assert (MemoryStore.reads_block, MemoryStore.writes_block) == (False, False)
    assert (SqliteStore.reads_block, SqliteStore.writes_block) == (False, True)
    assert (RedisStore.reads_block, RedisStore.writes_block) == (True, True)


def test_sqlite_reads_do_not_wait_for_another_process_writer(tmp_path):
    """Reads take no write lock: with busy_timeout 0 they still succeed while another connection (another worker
    process, as far as sqlite can tell) holds an uncommitted write transaction, and see the committed snapshot."""
    path = tmp_path / "state.db"
    store = SqliteStore(path, timeout=0)
    with store.transaction("s") as tx:
        tx.put("E", "1", {"v": 1})
        tx.next_id("E", 10)
    writer = sqlite3.connect(path, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("INSERT OR REPLACE INTO docmock_records (session, entity, key, body) VALUES ('s','E','1','{\"v\":2}')")
        writer.execute("INSERT OR REPLACE INTO docmock_records (session, entity, key, body, live) VALUES ('s','E','2',NULL,0)")
        assert store.get("s", "E", "1") == {"v": 1}
        assert store.get("s", "E", "2") is None
        assert store.entries("s", "E") == {"1": {"v": 1}}
        assert store.dump("s") == {"s": {"E": {"records": {"1": {"v": 1}}, "deleted": [], "next_id": 11}}}
        # Writes still serialise: a second writer cannot start while the first holds the lock.
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            with store.transaction("s") as tx:
                tx.put("E", "3", {"v": 3})
        writer.execute("COMMIT")
    finally:
        writer.close()
    # The other connection's commit is visible at once, and the failed transaction left nothing behind.
    assert store.get("s", "E", "1") == {"v": 2} and store.get("s", "E", "2") is DELETED
    assert store.entries("s", "E") == {"1": {"v": 2}, "2": DELETED}
    with store.transaction("s") as tx:  # the store's own connection is usable again
        assert tx.next_id("E", 10) == 11
    store.close()


def test_sqlite_reads_beside_an_open_transaction_of_another_thread(tmp_path):
    store = SqliteStore(tmp_path / "state.db", timeout=0)
    with store.transaction("s") as tx:
        tx.put("E", "1", {"v": 1})
    inside, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def write() -> None:
        try:
            with store.transaction("s") as tx:
                tx.put("E", "1", {"v": 2})
                inside.set()
                release.wait(30)
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=write)
    thread.start()
    try:
        assert inside.wait(30)
        assert store.get("s", "E", "1") == {"v": 1}  # the committed value, without waiting for the writer
        assert store.entries("s", "E") == {"1": {"v": 1}}
        assert store.dump("s")["s"]["E"]["records"] == {"1": {"v": 1}}
    finally:
        release.set()
        thread.join()
    assert not errors
    assert store.get("s", "E", "1") == {"v": 2}
    store.close()


def test_sqlite_dump_inside_a_transaction(tmp_path):
    # dump opens its own read snapshot, or uses the transaction this thread already has open.
    store = SqliteStore(tmp_path / "state.db")
    with store.transaction("s") as tx:
        tx.put("E", "1", {"v": 1})
        assert store.dump("s")["s"]["E"]["records"] == {"1": {"v": 1}}
    assert store.dump() == {"s": {"E": {"records": {"1": {"v": 1}}, "deleted": [], "next_id": None}}}
    store.close()


def test_the_version_changes_with_every_change_of_what_is_stored(store):
    seen = [store.version()]

    def changed() -> bool:
        seen.append(store.version())
        return seen[-1] != seen[-2]
    store.get("s", "E", "1")
    store.entries("s", "E")
    assert not changed()  # reads change nothing
    with store.transaction("s") as tx:
        tx.get("E", "1")
    assert not changed() or isinstance(store, SqliteStore)  # an empty transaction may count as a commit
    with store.transaction("s") as tx:
        tx.put("E", "1", {"a": 1})
    assert changed()
    with store.transaction("s") as tx:
        tx.next_id("E", 10)
    assert changed()
    store.reset("s")
    assert changed()
    with store.transaction("s") as tx:
        tx.put("Gone", "1", {"a": 1})
    changed()
    store.forget_entities(frozenset({"E"}))
    assert changed()


def test_a_sqlite_version_changes_when_another_connection_writes(tmp_path):
    mine, theirs = SqliteStore(tmp_path / "state.db"), SqliteStore(tmp_path / "state.db")
    try:
        before = mine.version()
        with theirs.transaction("s") as tx:
            tx.put("E", "1", {"a": 1})
        assert mine.version() != before
        assert mine.get("s", "E", "1") == {"a": 1}
    finally:
        mine.close()
        theirs.close()
