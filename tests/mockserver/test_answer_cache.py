"""Answers to repeated reads are remembered by the request's bytes, and only while they are still right.

A remembered answer must be the answer the request would get now: every write, reset and reload makes it stale,
in this process and (SQLite) in another; what varies between identical requests (latency, faults, Prefer) is
never remembered.
"""
from __future__ import annotations

import copy
import json
from typing import Any

import httpx
import pytest
from mock_support import AUTH, TestClient
from serving import docmock_server

from mockserver import create_app
from mockserver.answers import AnswerCache
from mockserver.context import Reply
from mockserver.steps import Handler

JSON = {"Content-Type": "application/json"}


def _counting(app: Any, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The operations whose handler ran, in order (a remembered answer runs none)."""
    ran: list[str] = []
    original = Handler.__call__

    async def counted(self: Handler, ctx: Any) -> Reply:
        ran.append(ctx.endpoint.op.operation_id)
        return await original(self, ctx)
    monkeypatch.setattr(Handler, "__call__", counted)
    return ran


def test_a_repeated_read_is_answered_from_memory_until_a_write(corpus: dict[str, Any],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    app = create_app(copy.deepcopy(corpus), state="memory")
    ran = _counting(app, monkeypatch)
    with TestClient(app, headers=AUTH) as client:
        first = client.get("/api/v1/Person/42")
        assert len(app.answers) == 0  # kept the second time a request comes, not the first
        second = client.get("/api/v1/Person/42")
        again = client.get("/api/v1/Person/42")
        assert again.content == second.content == first.content and again.headers == first.headers
        assert len(ran) == 2 and len(app.answers) == 1
        journal = client.get("/__docmock/requests").json()
        assert [e["operationId"] for e in journal["requests"][:3]] == [ran[0]] * 3  # the journal sees all
        changed = {**first.json(), "Firstname": "Renamed"}
        assert client.put("/api/v1/Person/42", json=changed, headers=JSON).status_code == 200
        after = client.get("/api/v1/Person/42")
        assert after.json()["Firstname"] == "Renamed"  # not the remembered answer
        assert client.get("/api/v1/Person/42").json()["Firstname"] == "Renamed"
        client.post("/__docmock/reset")
        assert client.get("/api/v1/Person/42").content == first.content


def test_what_differs_between_requests_is_part_of_the_key(seeds_fixture: dict[str, Any],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    app = create_app(copy.deepcopy(seeds_fixture), state="memory")
    ran = _counting(app, monkeypatch)
    with TestClient(app, headers=AUTH) as client:
        client.get("/api/v1/BatchTask/42")
        client.get("/api/v1/BatchTask/42", headers={"X-Mock-Session": "other"})
        client.get("/api/v1/BatchTask/42", headers={"Accept": "application/xml"})
        client.get("/api/v1/BatchTask/42?$select=Name")
        client.head("/api/v1/BatchTask/42")
        assert len(ran) == 5
        # Prefer asks for something else each time (dynamic data, a delay, an example): never remembered.
        for _ in range(2):
            client.get("/api/v1/BatchTask/42", headers={"Prefer": "dynamic=true"})
        assert len(ran) == 7
        # Writes, and reads with a body, are not remembered either.
        client.post("/api/v1/BatchTask", json={"Name": "x"}, headers=JSON)
        assert len(ran) == 8
        # A 4xx is worked out again (cheap, and its problem may name the state).
        for _ in range(2):
            assert client.get("/api/v1/BatchTask/42", headers={"Authorization": ""}).status_code == 401
        assert len(ran) == 10


def test_a_deleted_record_is_gone_at_once(corpus: dict[str, Any]) -> None:
    app = create_app(copy.deepcopy(corpus), state="memory")
    session = {"X-Mock-Session": "a"}
    with TestClient(app, headers={**AUTH, **session}) as client:
        created = client.post("/api/v1/Person", json={"Firstname": "Mine"}, headers=JSON).json()
        path = f"/api/v1/Person/{created['PersonId']}"
        assert client.get(path).json()["Firstname"] == "Mine" == client.get(path).json()["Firstname"]
        assert client.delete(path).status_code < 300
        assert client.get(path).status_code == 404


@pytest.mark.parametrize("settings", [{"latency": "5ms"}, {"fault_rate": 0.5}, {"answer_cache_mb": 0}])
def test_answers_that_vary_are_not_remembered(seeds_fixture: dict[str, Any], settings: dict[str, Any],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    app = create_app(copy.deepcopy(seeds_fixture), state="memory", **settings)
    ran = _counting(app, monkeypatch)
    with TestClient(app, headers=AUTH) as client:
        for _ in range(4):
            client.get("/api/v1/BatchTask/42")
    assert len(ran) == 4
    assert app.answers is None or len(app.answers) == 0


def test_the_memory_is_bounded_and_the_least_recent_answers_go_first() -> None:
    cache = AnswerCache(10_000, lambda: 0)
    keys = [("GET", f"/r/{i}", b"", ((b"host", b"x"),)) for i in range(10)]
    for key in keys:
        for _ in range(2):  # kept the second time
            cache.put(key, 0, Reply(200, [(b"content-type", b"application/json")], b"x" * 2_000), "op")
        cache.get(keys[0], 0)  # kept in use
    assert cache.size <= 10_000 and len(cache) == 4
    assert cache.get(keys[0], 0) is not None and cache.get(keys[1], 0) is None and cache.get(keys[9], 0) is not None
    assert cache.get(keys[0], 1) is None and len(cache) == 3  # another version: stale, dropped
    for _ in range(2):
        cache.put(keys[5], 0, Reply(200, [], b"x" * 20_000), "op")  # larger than the whole cache: not kept
    assert cache.get(keys[5], 0) is None


def test_a_scan_of_requests_read_once_keeps_nothing_and_pushes_nothing_out() -> None:
    cache = AnswerCache(1_000_000, lambda: 0)
    hot = ("GET", "/hot", b"", ())
    for _ in range(2):
        cache.put(hot, 0, Reply(200, [], b"h" * 10_000), "op")
    for i in range(5_000):
        cache.put(("GET", f"/scan/{i}", b"", ()), 0, Reply(200, [], b"s" * 10_000), "op")
    assert len(cache) == 1 and cache.get(hot, 0) is not None


def test_a_write_through_another_process_is_seen_at_once(corpus: dict[str, Any], tmp_path: Any) -> None:
    """Two servers on one SQLite file: a read remembered by one is stale once the other writes."""
    spec = tmp_path / "corpus.json"
    spec.write_text(json.dumps(corpus))
    both = ("--spec", str(spec), "--state", f"sqlite:{tmp_path / 'state.db'}", "--quiet")
    with docmock_server(*both) as (a, _), docmock_server(*both) as (b, _):
        with httpx.Client(headers=AUTH) as http:
            before = http.get(f"{a}/api/v1/Person/42").json()
            assert http.get(f"{a}/api/v1/Person/42").json() == before
            assert http.put(f"{b}/api/v1/Person/42", json={**before, "Firstname": "FromB"}).status_code == 200
            assert http.get(f"{a}/api/v1/Person/42").json()["Firstname"] == "FromB"
