"""The request path: the shell's layers and the steps each operation's handler is compiled from."""
from __future__ import annotations

import asyncio
import copy
import json
from typing import Any

import pytest
from mock_support import AUTH, TestClient

from mockserver import create_app

TASK = "/api/v1/BatchTask/42"


def _call(app: Any, method: str, path: str, headers: dict[str, str], chunks: list[bytes]) -> tuple[dict, list[str]]:
    """One request straight through the ASGI interface; returns the answer and every message the app received."""
    received: list[str] = []
    answer: dict[str, Any] = {"body": b""}
    pending = list(chunks)

    async def receive() -> dict[str, Any]:
        chunk = pending.pop(0) if pending else b""
        received.append("body")
        return {"type": "http.request", "body": chunk, "more_body": bool(pending)}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
            answer["headers"] = {k.decode(): v.decode() for k, v in message["headers"]}
        else:
            answer["body"] += message.get("body", b"")

    scope = {"type": "http", "method": method, "path": path, "raw_path": path.encode(), "query_string": b"",
             "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()], "http_version": "1.1"}
    asyncio.run(app(scope, receive, send))
    return answer, received


def test_each_operation_runs_only_the_steps_it_needs(seeds_fixture: dict) -> None:
    app = create_app(copy.deepcopy(seeds_fixture), state="memory")
    with TestClient(app, headers=AUTH) as client:
        client.get(TASK)
        client.get("/api/v1/BatchTask/Failed")
    read = app.endpoints["v1Batch_GetBatchTaskInfo"].handler.names
    assert read == ("Authorize", "ReadBody", "Validate", "ApplyPrefer", "Delay", "Negotiate", "ApplyState",
                    "Generate", "Render")
    stateless = create_app(copy.deepcopy(seeds_fixture), auth=False, fault_rate=0.5)
    with TestClient(stateless) as client:
        client.get(TASK)
    # No credentials to check, no state to apply; a fault step because the rate is above 0.
    assert stateless.endpoints["v1Batch_GetBatchTaskInfo"].handler.names == (
        "ReadBody", "Validate", "ApplyPrefer", "Delay", "InjectFault", "Negotiate", "Generate", "Render")
    assert app.endpoints["v1Batch_StartBatchJob"].handler is None  # built on an operation's first request only


def test_credentials_are_checked_before_the_body_is_read(seeds_fixture: dict) -> None:
    app = create_app(copy.deepcopy(seeds_fixture))
    answer, received = _call(app, "POST", "/api/v1/BatchTask", {"content-type": "application/json"},
                             [b'{"Name":', b' "x"}'])
    assert answer["status"] == 401 and received == []  # an unauthenticated upload is never read
    answer, received = _call(app, "POST", "/api/v1/BatchTask", {**AUTH, "content-type": "application/json"},
                             [b'{"Name":', b' "x"}'])
    assert answer["status"] == 200 and received == ["body", "body"]


def test_bodies_over_the_limit_are_refused_by_length_unread_and_by_size_while_read(seeds_fixture: dict) -> None:
    app = create_app(copy.deepcopy(seeds_fixture), max_body=10)
    answer, received = _call(app, "POST", "/api/v1/BatchTask",
                             {**AUTH, "content-type": "application/json", "content-length": "11"}, [b"x" * 11])
    assert answer["status"] == 413 and received == []
    answer, received = _call(app, "POST", "/api/v1/BatchTask", {**AUTH, "content-type": "application/json"},
                             [b"x" * 6, b"x" * 6, b"x" * 6])
    assert answer["status"] == 413 and received == ["body", "body"]  # stops reading at the limit


def test_an_answer_the_client_cannot_accept_changes_nothing(seeds_fixture: dict) -> None:
    app = create_app(copy.deepcopy(seeds_fixture), state="memory")
    with TestClient(app, headers=AUTH) as client:
        refused = client.post("/api/v1/BatchTask", json={"Name": "x"}, headers={"Accept": "text/csv"})
        assert refused.status_code == 406
        assert client.get("/__docmock/state").json()["sessions"] == {}  # negotiated before the state step
        assert client.post("/api/v1/BatchTask", json={"Name": "x"}).json() == 1000001


def test_cors_headers_reach_every_answer_even_a_failure(seeds_fixture: dict, monkeypatch: Any) -> None:
    import mockserver.steps as steps

    monkeypatch.setattr(steps, "request_seed", lambda *a: 1 / 0)
    app = create_app(copy.deepcopy(seeds_fixture), cors_origins=["https://app.example"])
    client = TestClient(app, headers={**AUTH, "Origin": "https://app.example"}, raise_server_exceptions=False)
    failed = client.get(TASK)
    assert failed.status_code == 500 and failed.headers["access-control-allow-origin"] == "https://app.example"
    assert client.get("/nowhere").headers["access-control-allow-origin"] == "https://app.example"
    other = client.get("/nowhere", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers
    plain = TestClient(create_app(copy.deepcopy(seeds_fixture)), headers={**AUTH, "Origin": "https://app.example"})
    assert "access-control-allow-origin" not in plain.get(TASK).headers  # no origins configured: no CORS layer


def test_head_gets_gets_headers_and_length_without_a_body(seeds_fixture: dict) -> None:
    app = create_app(copy.deepcopy(seeds_fixture))
    got, _ = _call(app, "GET", TASK, AUTH, [])
    head, _ = _call(app, "HEAD", TASK, AUTH, [])
    assert head["status"] == 200 and head["body"] == b""
    assert head["headers"]["content-length"] == str(len(got["body"])) == got["headers"]["content-length"]


@pytest.mark.parametrize("store", ["memory", "sqlite"])
def test_stateful_answers_carry_the_documented_response_headers(petstore: dict, tmp_path: Any, store: str) -> None:
    spec = copy.deepcopy(petstore)
    spec["paths"]["/pets"]["post"]["responses"]["201"]["headers"] = {
        "Location": {"required": True, "schema": {"type": "string"}}}
    where = "memory" if store == "memory" else f"sqlite:{tmp_path / 'state.db'}"
    app = create_app(spec, auth=False, state=where)
    assert "createPet" in app.actions
    with TestClient(app) as client:
        made = client.post("/pets", json={"name": "Rex"},
                           headers={"X-Request-Id": "5d1f0c44-3c1a-4b7e-9d8e-1f2a3b4c5d6e"})
        assert made.status_code == 201 and made.headers["location"]


def test_a_client_gone_mid_body_changes_nothing_and_gets_no_answer(seeds_fixture: dict) -> None:
    app = create_app(copy.deepcopy(seeds_fixture), state="memory")
    sent: list[dict] = []
    pending = [{"type": "http.request", "body": b'{"Name": "Half", "State": "New"}', "more_body": True},
               {"type": "http.disconnect"}]

    async def receive() -> dict[str, Any]:
        return pending.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/api/v1/BatchTask", "raw_path": b"/api/v1/BatchTask",
             "query_string": b"", "http_version": "1.1",
             "headers": [(b"authorization", AUTH["Authorization"].encode()), (b"content-type", b"application/json"),
                         (b"content-length", b"1000")]}
    asyncio.run(app(scope, receive, send))
    assert sent == []  # half a body is not a request: nothing validated, nothing stored, nobody to answer
    assert app.state.snapshot()["sessions"] == {}
    [entry] = app.journal.entries()
    assert entry.status == 0 and entry.operation_id == "v1Batch_StartBatchJob"


def test_credentials_come_before_the_size_however_the_body_is_sent(seeds_fixture: dict) -> None:
    app = create_app(copy.deepcopy(seeds_fixture), max_body=10)
    by_length, _ = _call(app, "POST", "/api/v1/BatchTask", {"content-type": "application/json",
                                                            "content-length": "40"}, [b"x" * 40])
    chunked, _ = _call(app, "POST", "/api/v1/BatchTask", {"content-type": "application/json"}, [b"x" * 20] * 2)
    assert by_length["status"] == chunked["status"] == 401


def test_unpaired_surrogates_and_deep_nesting_are_client_errors_that_break_nothing(seeds_fixture: dict) -> None:
    client = TestClient(create_app(copy.deepcopy(seeds_fixture), state="memory"), headers=AUTH)
    half = client.post("/api/v1/BatchTask", content=b'{"Name": "\\ud800", "State": "New"}',
                       headers={"Content-Type": "application/json"})
    assert half.status_code == 400 and "unpaired surrogate" in half.json()["errors"][0]["message"]
    paired = client.post("/api/v1/BatchTask", content=b'{"Name": "\\ud83d\\ude00"}',
                         headers={"Content-Type": "application/json"})
    assert paired.status_code == 200 and client.get(f"/api/v1/BatchTask/{paired.json()}").json()["Name"] == "\U0001F600"
    deep = client.post("/api/v1/BatchTask", content=b"[" * 100_000 + b"]" * 100_000,
                       headers={"Content-Type": "application/json"})
    assert deep.status_code == 400
    for depth in (201, 100_000):  # XML is read element by element: nesting is refused before that
        deep_xml = client.post("/api/v1/BatchTask", content=b"<a>" * depth + b"</a>" * depth,
                               headers={"Content-Type": "application/xml"})
        assert deep_xml.status_code == 400
        assert deep_xml.json()["errors"] == [{"location": "body",
                                              "message": "the XML is nested more than 200 elements deep"}]
    nested = b"<BatchTaskInfo><Name>x</Name><ParameterObject>" + b"<a>" * 150 + b"</a>" * 150 + \
        b"</ParameterObject></BatchTaskInfo>"
    assert client.post("/api/v1/BatchTask", content=nested, headers={"Content-Type": "application/xml"}).status_code == 200
    odd = client.post("/api/v1/BatchTask", content=b'{"Name": "x", "Big": 1E400}',
                      headers={"Content-Type": "application/json"})
    assert odd.status_code == 200
    # The journal and the state still answer, in valid JSON, whatever those requests held.
    journal = client.get("/__docmock/requests")
    assert journal.status_code == 200 and client.get("/__docmock/state").status_code == 200
    bodies = [e["body"] for e in json.loads(journal.text, parse_constant=_refuse_constant)["requests"]]
    assert bodies[0] == {"Name": "\ud800", "State": "New"} and bodies[-1] == '{"Name": "x", "Big": 1E400}'


def _refuse_constant(name: str) -> Any:
    raise AssertionError(f"{name} is not JSON")


def test_informational_statuses_cannot_be_asked_for(petstore: dict) -> None:
    client = TestClient(create_app(copy.deepcopy(petstore), auth=False))
    refused = client.get("/pets", headers={"X-Request-Id": "5d1f0c44-3c1a-4b7e-9d8e-1f2a3b4c5d6e",
                                           "Prefer": "code=101"})
    assert refused.status_code == 400 and refused.json()["errors"][0]["location"] == "header.Prefer"


def test_a_spec_with_yaml_dates_is_served_as_json(petstore: dict) -> None:
    import datetime

    spec = copy.deepcopy(petstore)
    spec["info"]["x-released"] = datetime.date(2024, 5, 3)  # what `released: 2024-05-03` loads as
    document = TestClient(create_app(spec)).get("/openapi.json")
    assert document.status_code == 200 and document.json()["info"]["x-released"] == "2024-05-03"
