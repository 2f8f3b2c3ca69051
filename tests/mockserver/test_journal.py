"""The request journal: every answered request per session, without credentials, filtered and bounded; kept in
memory, or in Redis where every replica shares it (the same tests, run against both)."""
from __future__ import annotations

import base64
import copy
import json
import time
from datetime import datetime, timezone
from typing import Any

import pytest
from mock_support import AUTH, TestClient

from mockserver import create_app

TASK = "/api/v1/BatchTask/42"
JOURNAL = "/__docmock/requests"


@pytest.fixture(params=["memory", "redis"])
def state(request: pytest.FixtureRequest) -> str:
    """Where the journal lives: in the process (state in memory) or in Redis (state in Redis)."""
    return request.getfixturevalue("redis_url") if request.param == "redis" else "memory"


@pytest.fixture
def client(seeds_fixture: dict, state: str) -> TestClient:
    return TestClient(create_app(copy.deepcopy(seeds_fixture), state=state), headers=AUTH)


def entries(client: TestClient, **params: Any) -> list[dict[str, Any]]:
    answer = client.get(JOURNAL, params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()["requests"]


def test_a_request_is_kept_as_the_client_sent_it_and_as_it_was_answered(client: TestClient) -> None:
    made = client.post("/api/v1/BatchTask?$select=Id", json={"Name": "Nightly", "State": "New"},
                       headers={"X-Mock-Session": "t1", "X-XSRF-TOKEN": "secret-token", "Cookie": "sid=abc"})
    [entry] = entries(client)
    assert entry["method"] == "POST" and entry["path"] == "/api/v1/BatchTask"
    assert entry["operationId"] == "v1Batch_StartBatchJob" and entry["session"] == "t1"
    assert entry["query"] == {"$select": ["Id"]}
    assert entry["body"] == {"Name": "Nightly", "State": "New"}  # a JSON body as its value
    assert entry["status"] == made.status_code == 200 and entry["durationMs"] > 0
    # Credentials are shown as present, never with their values.
    headers = entry["headers"]
    assert headers["authorization"] == headers["x-xsrf-token"] == headers["cookie"] == "[redacted]"
    assert "secret-token" not in str(entry) and AUTH["Authorization"].split()[1] not in str(entry)
    assert headers["content-type"] == "application/json"
    assert datetime.fromisoformat(entry["time"].replace("Z", "+00:00")).tzinfo is not None


def test_failed_and_undocumented_requests_are_kept_too_but_not_the_journals_own(client: TestClient) -> None:
    client.get("/api/v1/BatchTask/Nonsense")
    client.get("/nowhere")
    client.get(TASK, headers={"Authorization": ""})
    client.get(JOURNAL)
    client.delete(JOURNAL + "?session=nobody")
    seen = [(e["path"], e["operationId"], e["status"]) for e in entries(client)]
    assert seen == [("/api/v1/BatchTask/Nonsense", "-", 400), ("/nowhere", "-", 404),
                    (TASK, "v1Batch_GetBatchTaskInfo", 401)]


def test_a_refused_request_lists_why_it_was_refused(client: TestClient) -> None:
    refused = client.post("/api/v1/BatchTask", json={"Name": 5}, headers=AUTH)
    assert refused.status_code == 400
    entry = entries(client)[-1]
    assert entry["status"] == 400 and entry["violations"] == [
        f"request.{e['location']}: {e['message']}" for e in refused.json()["errors"]]
    assert any(v.startswith("request.body.Name:") for v in entry["violations"])


def test_filters_by_session_operation_method_path_and_since(client: TestClient) -> None:
    client.get(TASK, headers={"X-Mock-Session": "a"})
    client.get("/api/v1/BatchTask/Failed", headers={"X-Mock-Session": "b"})
    client.post("/api/v1/BatchTask", json={"Name": "x"}, headers={"X-Mock-Session": "a"})
    assert [e["path"] for e in entries(client, session="a")] == [TASK, "/api/v1/BatchTask"]
    assert [e["session"] for e in entries(client, operation="V1BATCH_GETBATCHTASKINFOSBYSTATE")] == ["b"]
    assert [e["method"] for e in entries(client, method="post")] == ["POST"]
    assert [e["path"] for e in entries(client, path="/api/v1/BatchTask/*")] == [TASK, "/api/v1/BatchTask/Failed"]
    first = entries(client)[0]["id"]
    assert len(entries(client, since=first)) == 2  # an entry id: what came after it
    marker = datetime.now(timezone.utc).isoformat()
    time.sleep(0.01)
    client.get(TASK)
    assert [e["path"] for e in entries(client, since=marker)] == [TASK]  # a date-time
    naive = datetime.now(timezone.utc).replace(tzinfo=None).isoformat()  # no offset means UTC
    assert entries(client, since=naive) == []
    assert [e["id"] for e in entries(client, limit=2)] == [e["id"] for e in entries(client)][-2:]


def test_unreadable_filters_are_a_problem_that_names_them(client: TestClient) -> None:
    bad = client.get(JOURNAL, params={"since": "yesterday"})
    assert bad.status_code == 400 and bad.headers["content-type"] == "application/problem+json"
    assert bad.json()["errors"][0]["location"] == "query.since"
    assert client.get(JOURNAL, params={"limit": "many"}).json()["errors"][0]["location"] == "query.limit"
    assert client.put(JOURNAL).status_code == 405


def test_clearing_forgets_one_session_or_all(client: TestClient) -> None:
    for session in ("a", "b", "a"):
        client.get(TASK, headers={"X-Mock-Session": session})
    assert client.delete(JOURNAL, params={"session": "a"}).status_code == 204
    assert [e["session"] for e in entries(client)] == ["b"]
    last = client.get(JOURNAL).json()["lastId"]
    client.delete(JOURNAL)
    assert entries(client) == [] and client.get(JOURNAL).json()["lastId"] == last  # ids keep counting


def test_the_journal_is_bounded_and_can_be_switched_off(seeds_fixture: dict, state: str) -> None:
    small = TestClient(create_app(copy.deepcopy(seeds_fixture), journal_size=3, state=state), headers=AUTH)
    for n in range(5):
        small.get(f"/api/v1/BatchTask/{n + 1}")
    kept = small.get(JOURNAL).json()
    assert [e["path"] for e in kept["requests"]] == [f"/api/v1/BatchTask/{n}" for n in (3, 4, 5)]
    assert kept["capacity"] == 3 and kept["lastId"] == 5
    off = TestClient(create_app(copy.deepcopy(seeds_fixture), journal_size=0, state=state), headers=AUTH)
    off.get(TASK)
    assert off.get(JOURNAL).status_code == 404 and "--journal-size 0" in off.get(JOURNAL).json()["detail"]


def test_bodies_are_shown_as_json_text_or_base64_and_large_ones_cut(seeds_fixture: dict, state: str) -> None:
    client = TestClient(create_app(copy.deepcopy(seeds_fixture), max_body=200_000, state=state), headers=AUTH)
    client.post("/api/v1/BatchTask", content=b"<BatchTaskInfo><Name>x</Name></BatchTaskInfo>",
                headers={"Content-Type": "application/xml"})
    client.put("/api/v1/BatchTask/1/Image", content=b"\x89PNG\r\n\x1a\n\xff\xfe", headers={"Content-Type": "image/png"})
    client.post("/api/v1/BatchTask", json={"Name": "y" * 100_000})
    xml, binary, large = entries(client)
    assert xml["body"] == "<BatchTaskInfo><Name>x</Name></BatchTaskInfo>"
    assert binary["status"] == 200 and binary["bodyEncoding"] == "base64"
    assert base64.b64decode(binary["body"]) == b"\x89PNG\r\n\x1a\n\xff\xfe"
    assert isinstance(large["body"], str) and len(large["body"]) == 64 * 1024 and large["bodyTruncated"] > 100_000


def test_api_keys_the_spec_declares_are_redacted_wherever_they_travel(seeds_fixture: dict, state: str) -> None:
    spec = copy.deepcopy(seeds_fixture)
    spec["components"]["securitySchemes"]["QueryKey"] = {"type": "apiKey", "in": "query", "name": "api_key"}
    spec["components"]["securitySchemes"]["HeaderKey"] = {"type": "apiKey", "in": "header", "name": "X-Api-Key"}
    client = TestClient(create_app(spec, state=state), headers=AUTH)
    client.get(TASK + "?api_key=hunter2", headers={"X-Api-Key": "hunter3"})
    [entry] = entries(client)
    assert entry["query"]["api_key"] == ["[redacted]"] and entry["headers"]["x-api-key"] == "[redacted]"
    assert "hunter" not in str(entry)


def test_a_large_body_is_not_kept_whole_anywhere_in_the_journal(seeds_fixture: dict, state: str) -> None:
    app = create_app(copy.deepcopy(seeds_fixture), max_body=6_000_000, state=state)
    body = json.dumps({"Name": "y" * 5_000_000}).encode()
    TestClient(app, headers=AUTH).post("/api/v1/BatchTask", content=body, headers={"Content-Type": "application/json"})
    [entry] = app.journal.entries()
    # Plain values only (nothing that could hold the request, such as its trace), none of them the whole body.
    assert all(isinstance(f, (bytes, str, int, float, list, tuple, type(None))) for f in entry)
    held = [f for f in entry if isinstance(f, (bytes, str))] + [x for pair in entry.headers for x in pair]
    assert entry.body_size == len(body) and max(len(o) for o in held) <= 64 * 1024


def test_filters_read_digits_and_blank_sessions_as_the_header_does(client: TestClient) -> None:
    client.get(TASK)  # no X-Mock-Session: the default session
    client.get(TASK, headers={"X-Mock-Session": "x"})
    assert [e["session"] for e in entries(client, session="")] == ["default"]
    superscript = client.get(JOURNAL, params={"since": "\u00b2"})
    assert superscript.status_code == 400 and superscript.json()["errors"][0]["location"] == "query.since"
    head = client.head(JOURNAL)
    assert head.status_code == 200 and head.content == b"" and int(head.headers["content-length"]) > 0
    assert client.delete(JOURNAL, params={"session": ""}).status_code == 204
    assert [e["session"] for e in entries(client)] == ["x"]


def test_replicas_on_one_redis_share_one_journal(seeds_fixture: dict, redis_url: str) -> None:
    a, b = (TestClient(create_app(copy.deepcopy(seeds_fixture), state=redis_url), headers=AUTH) for _ in "ab")
    a.post("/api/v1/BatchTask", content=b"\x00\xff binary", headers={"Content-Type": "application/octet-stream",
                                                                      "X-Mock-Session": "caf\u00e9".encode()})
    b.get(TASK, headers={"X-Mock-Session": "t"})
    seen_from_a, seen_from_b = entries(a), entries(b)
    assert seen_from_a == seen_from_b and [e["id"] for e in seen_from_b] == [1, 2]
    posted = seen_from_b[0]
    # Header bytes travel through Redis unchanged (as Latin-1, the way the journal reads them in memory).
    assert base64.b64decode(posted["body"]) == b"\x00\xff binary" and posted["session"] == "caf\u00c3\u00a9"
    assert [e["session"] for e in entries(b, since="1")] == ["t"]
    b.delete(JOURNAL, params={"session": "t"})
    assert [e["id"] for e in entries(a)] == [1]
    assert a.get(JOURNAL).json()["lastId"] == b.get(JOURNAL).json()["lastId"] == 2
