"""A reloaded app keeps what did not change (routes, compiled checks and plans, the state inference, the
store, the journal), rebuilds what did, and a swap never cuts a request short."""
from __future__ import annotations

import asyncio
import copy
import os
from typing import Any

import httpx
import pytest

from generator import build_spec
from mockserver import Config, create_app
from mockserver.live import LiveApp
from mockserver.reloading import RefIndex, document_changes, share_unchanged
from mockserver.state.store import MemoryStore, SqliteStore
from testdata import CORPUS_PAGES

ONE = "/api/v1/BatchTask/{id}"


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    if not CORPUS_PAGES.exists():
        pytest.skip("../shared/corpus is not beside the repository")
    return build_spec([CORPUS_PAGES / "rest" / "Batch", CORPUS_PAGES / "agent" / "Batch_Agent"], workers=1).spec


def edited(spec: dict[str, Any], change: Any) -> dict[str, Any]:
    """A changed copy of `spec`, with every unchanged part shared with it as a reload would see it."""
    new = copy.deepcopy(spec)
    change(new)
    return share_unchanged(spec, new)


async def call(app: Any, method: str, path: str, **kwargs: Any) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mock") as client:
        return await client.request(method, path, **kwargs)


def test_share_unchanged_gives_back_the_old_objects(spec: dict[str, Any]) -> None:
    new = edited(spec, lambda s: s["paths"][ONE]["get"].update(summary="changed"))
    assert new["paths"][ONE] is not spec["paths"][ONE] and new["paths"][ONE]["get"]["summary"] == "changed"
    assert all(new["paths"][p] is spec["paths"][p] for p in spec["paths"] if p != ONE)
    assert new["components"]["schemas"] is spec["components"]["schemas"]
    assert share_unchanged(spec, copy.deepcopy(spec)) is spec


def test_a_prose_edit_keeps_every_other_compiled_operation_and_the_inference(spec: dict[str, Any]) -> None:
    app = create_app(spec, Config(state="memory"))
    app.compile_all()
    new = edited(spec, lambda s: s["paths"][ONE]["get"].update(summary="changed"))
    reloaded = app.reloaded(new)
    changed = reloaded.endpoints["v1Batch_GetBatchTaskInfo"]
    assert changed.compiled is None  # compiled again on its first request
    kept = [e for op_id, e in reloaded.endpoints.items() if op_id != "v1Batch_GetBatchTaskInfo"]
    assert kept and all(e.compiled is app.endpoints[e.op.operation_id].compiled for e in kept)
    assert reloaded.state.inference is app.state.inference and reloaded.state.store is app.state.store
    assert reloaded.journal is app.journal
    # The routes are the same: the trie is copied with the new endpoints in it, not worked out again.
    assert reloaded.router.root is not app.router.root
    for method, path in (("GET", "/api/v1/BatchTask/5"), ("POST", "/api/v1/Agents/Batch/GetBatchTaskInfo")):
        found = reloaded.router.match(method, path)
        assert found.payload is reloaded.endpoints[found.payload.op.operation_id]
        assert found.payload is not app.router.match(method, path).payload
    assert reloaded.router.ambiguities == app.router.ambiguities
    changes = document_changes(spec, new, RefIndex())
    assert changes.changed == ("v1Batch_GetBatchTaskInfo",) and not changes.added and not changes.removed


def test_a_changed_schema_recompiles_every_operation_that_reaches_it(spec: dict[str, Any]) -> None:
    app = create_app(spec, Config(state="memory"))
    app.compile_all()

    def add_property(s: dict[str, Any]) -> None:
        s["components"]["schemas"]["BatchTaskInfo"]["properties"]["Colour"] = {"type": "string"}
    new = edited(spec, add_property)
    reloaded = app.reloaded(new)
    index = RefIndex()
    reaching = set(document_changes(spec, new, index).changed)
    assert "v1Batch_GetBatchTaskInfo" in reaching and "v1BatchAgent_GetBatchTaskInfo" in reaching
    for op_id, endpoint in reloaded.endpoints.items():
        if op_id in reaching:
            assert endpoint.compiled is None, op_id
        else:
            assert endpoint.compiled is app.endpoints[op_id].compiled, op_id
    assert reloaded.state.inference is not app.state.inference  # a schema changed: inferred again
    answer = asyncio.run(call(reloaded, "GET", "/api/v1/BatchTask/5", headers={"Authorization": "Basic eDp5"}))
    assert answer.status_code == 200 and "Colour" in answer.json()


def test_records_of_an_entity_that_is_gone_are_dropped_with_a_note(spec: dict[str, Any]) -> None:
    app = create_app(spec, Config(state="memory", auth=False))
    created = asyncio.run(call(app, "POST", "/api/v1/BatchTask", json={"Name": "doomed"}))
    assert created.status_code in (200, 201)
    assert app.state.store.dump()  # the record is there

    def drop_batch_tasks(s: dict[str, Any]) -> None:
        s["paths"] = {p: item for p, item in s["paths"].items() if "BatchTask" not in p}
        s["paths"]["/api/v1/Ping"] = {"get": {"operationId": "ping", "responses": {"200": {"description": "ok"}}}}
    reloaded = app.reloaded(edited(spec, drop_batch_tasks))
    assert not reloaded.state.entities
    assert app.state.store.dump()["default"]["BatchTask"]["records"]  # the old app still answers from them
    notes = reloaded.forget_gone_entities()  # once it is swapped in
    assert any("BatchTask is gone" in note and "1 stored record" in note for note in notes)
    assert not any(e["records"] for session in reloaded.state.store.dump().values() for e in session.values())
    # The id counter stays: the entity coming back never hands out an id a client may still hold.
    back = reloaded.reloaded(spec)
    again = asyncio.run(call(back, "POST", "/api/v1/BatchTask", json={"Name": "new"}))
    assert again.json() == created.json() + 1


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_stores_forget_entities_in_every_session(kind: str, tmp_path: Any) -> None:
    store = MemoryStore() if kind == "memory" else SqliteStore(tmp_path / "state.db")
    for session in ("a", "b"):
        with store.transaction(session) as tx:
            tx.put("Gone", "1", {"x": 1})
            tx.put("Kept", "1", {"y": 2})
            tx.next_id("Gone", 100)
    assert store.forget_entities(frozenset({"Kept"})) == {"Gone": 2}
    dump = store.dump()
    assert {entity for session in dump.values() for entity, kept in session.items() if kept["records"]} == {"Kept"}
    assert store.get("a", "Kept", "1") == {"y": 2} and store.get("a", "Gone", "1") is None
    with store.transaction("a") as tx:
        assert tx.next_id("Gone", 100) == 101  # the counter stayed


def test_a_request_in_flight_finishes_on_the_app_that_took_it(spec: dict[str, Any]) -> None:
    old = create_app(spec, Config(auth=False, latency=None))
    new_spec = edited(spec, lambda s: s["paths"][ONE]["get"].update(operationId="renamedInNewVersion"))
    live = LiveApp(old)

    async def scenario() -> tuple[httpx.Response, httpx.Response]:
        slow = asyncio.create_task(call(live, "GET", "/api/v1/BatchTask/5", headers={"Prefer": "delay=300"}))
        await asyncio.sleep(0.1)  # the request is inside the old app, waiting
        live.swap(old.reloaded(new_spec))
        fresh = await call(live, "GET", "/api/v1/BatchTask/5")
        return await slow, fresh

    slow, fresh = asyncio.run(scenario())
    assert slow.status_code == 200 and slow.headers["x-docmock-operation"] == "v1Batch_GetBatchTaskInfo"
    assert fresh.status_code == 200 and fresh.headers["x-docmock-operation"] == "renamedInNewVersion"
    assert live.generation == 2


def test_a_failed_reload_is_said_on_the_pages_until_cleared(spec: dict[str, Any]) -> None:
    app = create_app(spec)
    app.reload_failed("docs/page.md:4: error: front matter is not valid YAML")
    document = asyncio.run(call(app, "GET", "/openapi.json"))
    assert document.headers["x-docmock-reload-failed"].startswith("docs/page.md:4:")
    assert document.json()["x-docmock-reload-failed"].endswith("not valid YAML")
    page = asyncio.run(call(app, "GET", "/", headers={"Host": "h"}))
    assert "A newer version was not loaded" in page.text and "docs/page.md:4:" in page.text
    app.reload_failed(None)
    assert "x-docmock-reload-failed" not in asyncio.run(call(app, "GET", "/openapi.json")).headers
    assert "A newer version" not in asyncio.run(call(app, "GET", "/")).text


def test_the_version_endpoint_counts_swaps(spec: dict[str, Any]) -> None:
    app = create_app(spec)
    live = LiveApp(app)
    pid = os.getpid()
    assert asyncio.run(call(live, "GET", "/__docmock/version")).json() == \
        {"version": 1, "reloadFailed": None, "process": pid}
    live.swap(app.reloaded(edited(spec, lambda s: s["info"].update(title="v2"))))
    live.app.reload_failed("docs/a.md:1: error: broken")
    assert asyncio.run(call(live, "GET", "/__docmock/version")).json() == \
        {"version": 2, "reloadFailed": "docs/a.md:1: error: broken", "process": pid}


def test_a_delta_sent_to_workers_rebuilds_the_document_in_order_and_shares_the_rest(spec: dict[str, Any]) -> None:
    import json

    from mockserver.reloading import apply_delta, spec_delta

    def change(s: dict[str, Any]) -> None:
        s["paths"][ONE]["get"]["summary"] = "changed"
        first = next(iter(s["paths"]))
        del s["paths"][first]  # a path gone
        s["paths"] = {"/api/v1/AAA": {"get": {"operationId": "a", "responses": {"200": {"description": "ok"}}}},
                      **s["paths"]}  # a path added, first in the order
        s["components"]["schemas"]["BatchTaskInfo"]["properties"]["Colour"] = {"type": "string"}
        s["components"]["schemas"].pop(next(n for n in s["components"]["schemas"] if n != "BatchTaskInfo"))
        s["info"]["title"] = "new title"
    new = edited(spec, change)
    delta = json.loads(json.dumps(spec_delta(spec, new)))  # as the worker reads it
    rebuilt = apply_delta(spec, delta)
    assert rebuilt == new and list(rebuilt) == list(new) and list(rebuilt["paths"]) == list(new["paths"])
    assert list(rebuilt["components"]["schemas"]) == list(new["components"]["schemas"])
    unchanged = [p for p in new["paths"] if p in spec["paths"] and new["paths"][p] is spec["paths"][p]]
    assert unchanged and all(rebuilt["paths"][p] is spec["paths"][p] for p in unchanged)
    assert len(json.dumps(delta)) < len(json.dumps(new)) / 5
