"""The validating proxy: real answers pass through unchanged, and what breaks the spec is reported; recorded
answers can be replayed by the mock."""
from __future__ import annotations

import copy
import gzip
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mock_support import AUTH, TestClient
from serving import asgi_server, free_port
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mockserver import create_app

TASK = "/api/v1/BatchTask/42"


@pytest.fixture(scope="module")
def right_upstream(seeds_fixture: dict) -> Iterator[str]:
    """A server that answers as documented: docmock itself, over real HTTP."""
    with asgi_server(create_app(copy.deepcopy(seeds_fixture), state="memory")) as base:
        yield base


async def _wrong_task(request: Request) -> Response:
    return JSONResponse({"Id": "forty-two", "Name": 5}, headers={"set-cookie": "sid=secret"})


async def _teapot(request: Request) -> Response:
    return Response("short and stout", status_code=418, media_type="text/plain")


async def _gzipped(request: Request) -> Response:
    return Response(gzip.compress(json.dumps([{"Id": "x"}]).encode()), media_type="application/json",
                    headers={"content-encoding": "gzip"})


async def _echo(request: Request) -> Response:
    """What the upstream received: the proxy's request, as the real server sees it."""
    return JSONResponse({"headers": dict(request.headers), "query": str(request.url.query),
                         "body": (await request.body()).decode()}, status_code=200)


@pytest.fixture(scope="module")
def wrong_upstream() -> Iterator[str]:
    app = Starlette(routes=[Route("/api/v1/BatchTask/{id:int}", _wrong_task),
                            Route("/api/v1/BatchTask/Failed", _gzipped),
                            Route("/api/v1/BatchTask/{state}", _teapot),
                            Route("/api/v1/BatchTask", _echo, methods=["POST"]),
                            Route("/elsewhere", _teapot)])
    with asgi_server(app) as base:
        yield base


def proxy(seeds_fixture: dict, target: str, **settings: Any) -> TestClient:
    return TestClient(create_app(copy.deepcopy(seeds_fixture), proxy=target, **settings), headers=AUTH)


def test_a_right_answer_passes_through_unchanged_and_unflagged(seeds_fixture: dict, right_upstream: str) -> None:
    import httpx

    direct = httpx.get(right_upstream + TASK + "?$select=Name,Id", headers=AUTH)
    client = proxy(seeds_fixture, right_upstream)
    through = client.get(TASK + "?$select=Name,Id")
    assert (through.status_code, through.content) == (direct.status_code, direct.content)
    assert through.headers["content-type"] == direct.headers["content-type"]
    assert "x-docmock-violations" not in through.headers
    # Writes reach the real server: what was created there reads back through the proxy.
    new_id = client.post("/api/v1/BatchTask", json={"Name": "through the proxy"}).json()
    assert client.get(f"/api/v1/BatchTask/{new_id}").json()["Name"] == "through the proxy"
    [entry, *_] = client.get("/__docmock/requests").json()["requests"]
    assert entry["violations"] == [] and entry["status"] == 200


def test_a_wrong_answer_is_passed_on_and_each_violation_reported(seeds_fixture: dict, wrong_upstream: str,
                                                                 caplog: Any) -> None:
    client = proxy(seeds_fixture, wrong_upstream)
    with caplog.at_level(logging.WARNING, logger="docmock.mockserver"):
        wrong = client.get(TASK)
        teapot = client.get("/api/v1/BatchTask/New")
    assert wrong.json() == {"Id": "forty-two", "Name": 5}  # unchanged
    assert wrong.headers["x-docmock-violations"] == "2"
    flagged = wrong.headers.get_list("x-docmock-violation")
    assert flagged == ["response.body.Id: 'forty-two' is not of type 'integer'",
                       "response.body.Name: 5 is not of type 'string'"]
    assert teapot.status_code == 418 and teapot.text == "short and stout"
    assert "418 is not documented for v1Batch_GetBatchTaskInfosByState" in teapot.headers["x-docmock-violation"]
    journal = client.get("/__docmock/requests").json()["requests"]
    assert [len(e["violations"]) for e in journal] == [2, 1]
    assert "forty-two" in caplog.text and "418 is not documented" in caplog.text


def test_a_wrong_media_type_and_a_missing_body_are_reported(seeds_fixture: dict) -> None:
    async def text(request: Request) -> Response:
        return Response("Id=42", media_type="text/csv")

    async def empty(request: Request) -> Response:
        return Response(b"", media_type="application/json")

    app = Starlette(routes=[Route("/api/v1/BatchTask/{id:int}", text), Route("/api/v1/BatchTask/{state}", empty)])
    with asgi_server(app) as upstream:
        client = proxy(seeds_fixture, upstream)
        csv = client.get(TASK).headers["x-docmock-violation"]
        assert csv.startswith("response.header.Content-Type: text/csv is not documented")
        assert "response.body: empty" in client.get("/api/v1/BatchTask/Failed").headers["x-docmock-violation"]


def test_wrong_requests_and_undocumented_paths_are_forwarded_and_reported(seeds_fixture: dict,
                                                                          wrong_upstream: str) -> None:
    client = proxy(seeds_fixture, wrong_upstream)
    echoed = client.post("/api/v1/BatchTask?b=2&a=1", json={"Name": 5}, headers={"Connection": "keep-alive",
                                                                                 "X-Custom": "kept"})
    seen = echoed.json()
    assert seen["body"] == '{"Name":5}' and seen["query"] == "b=2&a=1"
    assert seen["headers"]["x-custom"] == "kept" and seen["headers"]["authorization"] == AUTH["Authorization"]
    assert seen["headers"]["host"] == wrong_upstream.split("//")[1]  # the real server's own name
    assert "request.body.Name: 5 is not of type 'string'" in echoed.headers.get_list("x-docmock-violation")
    elsewhere = client.get("/elsewhere")
    assert elsewhere.status_code == 418 and "no documented operation matches /elsewhere" in \
        elsewhere.headers["x-docmock-violation"]


def test_an_encoded_answer_is_passed_on_encoded_and_checked_decoded(seeds_fixture: dict, wrong_upstream: str) -> None:
    client = proxy(seeds_fixture, wrong_upstream)
    answer = client.get("/api/v1/BatchTask/Failed", headers={"Accept-Encoding": "gzip"})
    assert answer.headers["content-encoding"] == "gzip" and answer.json() == [{"Id": "x"}]
    assert answer.headers["x-docmock-violation"] == "response.body.0.Id: 'x' is not of type 'integer'"


def test_an_unreachable_server_is_a_502_problem(seeds_fixture: dict) -> None:
    answer = proxy(seeds_fixture, f"http://127.0.0.1:{free_port()}").get(TASK)
    assert answer.status_code == 502 and answer.headers["content-type"] == "application/problem+json"
    assert "did not answer" in answer.json()["detail"]


def test_recorded_answers_leave_credentials_out_and_are_replayed(seeds_fixture: dict, wrong_upstream: str,
                                                                tmp_path: Path) -> None:
    recording = tmp_path / "answers.jsonl"
    with proxy(seeds_fixture, wrong_upstream, record=str(recording)) as client:
        client.get(TASK + "?$select=Name,Id&lang=en", headers={"Cookie": "session=abc"})
        client.get("/api/v1/BatchTask/New")
        client.get("/elsewhere")  # undocumented: nothing to replay it as
    lines = [json.loads(line) for line in recording.read_text().splitlines()]
    assert [(line["operationId"], line["status"]) for line in lines] == [
        ("v1Batch_GetBatchTaskInfo", 200), ("v1Batch_GetBatchTaskInfosByState", 418)]
    text = recording.read_text()
    assert "secret" not in text and "set-cookie" not in text and "dGplMDpUamUw" not in text and "abc" not in text
    mock = TestClient(create_app(copy.deepcopy(seeds_fixture), replay=str(recording)), headers=AUTH)
    replayed = mock.get(TASK + "?lang=en&$select=Name,Id")  # the same query in another order
    assert replayed.json() == {"Id": "forty-two", "Name": 5} and replayed.headers["x-docmock-replayed"] == "recorded-1"
    assert mock.get("/api/v1/BatchTask/New").status_code == 418
    assert mock.get(TASK).json()["Id"] == 42  # not recorded: generated as usual
    named = mock.get("/api/v1/BatchTask/7", headers={"Prefer": "example=recorded-1"})
    assert named.json() == {"Id": "forty-two", "Name": 5}
    assert any("Replay: 2 recorded answer(s) of 2 operation(s)" in line for line in mock.app.report.lines())


def test_a_damaged_recording_is_refused_with_its_line(seeds_fixture: dict, tmp_path: Path) -> None:
    from mockserver import ConfigError

    recording = tmp_path / "answers.jsonl"
    recording.write_text('{"operationId": "x", "method": "GET", "path": "/", "status": 200}\nnot json\n')
    with pytest.raises(ConfigError, match=r"answers.jsonl:2"):
        create_app(copy.deepcopy(seeds_fixture), replay=str(recording))


def test_latency_and_faults_apply_in_front_of_the_real_server(seeds_fixture: dict, right_upstream: str,
                                                              monkeypatch: Any) -> None:
    import mockserver.steps

    asked: list[float] = []

    async def sleep(seconds: float) -> None:
        asked.append(seconds)
    monkeypatch.setattr(mockserver.steps.Delay, "sleep", staticmethod(sleep))
    client = proxy(seeds_fixture, right_upstream, fault_rate=0.5, latency="20ms")
    outcomes = [client.get(f"/api/v1/BatchTask/{n + 1}") for n in range(20)]
    assert asked == [0.02] * 20
    faults = [r for r in outcomes if "x-docmock-fault" in r.headers]
    assert 0 < len(faults) < 20  # the others reached the real server
    assert all(r.status_code == 200 and r.json()["Id"] == n + 1 for n, r in enumerate(outcomes)
               if "x-docmock-fault" not in r.headers)
    # Prefer is the real server's to read: the proxy takes only its delay, and refuses nothing.
    passed_on = proxy(seeds_fixture, right_upstream).get(TASK, headers={"Prefer": "code=599, delay=1ms"})
    assert "Prefer: code=599 is not documented" in passed_on.json()["detail"]  # the real server's own answer
    assert client.app.state is None  # the real server keeps the state


def test_a_real_servers_own_cors_answer_is_not_doubled(seeds_fixture: dict) -> None:
    async def with_cors(request: Request) -> Response:
        return JSONResponse({"Id": 1}, headers={"access-control-allow-origin": "https://app.example"})

    with asgi_server(Starlette(routes=[Route("/api/v1/BatchTask/{id:int}", with_cors)])) as upstream:
        client = proxy(seeds_fixture, upstream, cors_origins=["*"])
        answer = client.get(TASK, headers={"Origin": "https://app.example"})
        assert answer.headers.get_list("access-control-allow-origin") == ["https://app.example"]


def test_a_docmock_in_front_of_a_docmock_says_each_header_once(tmp_path: Path) -> None:
    import httpx
    from serving import docmock_server
    from testdata import SEEDS

    recording = tmp_path / "answers.jsonl"
    with docmock_server(str(SEEDS), "--no-state", "--quiet") as (upstream, _):
        with docmock_server(str(SEEDS), "--proxy", upstream, "--record", str(recording), "--quiet") as (base, _):
            answer = httpx.get(base + TASK, headers=AUTH, timeout=10)
            direct = httpx.get(upstream + TASK, headers=AUTH, timeout=10)
    assert answer.status_code == 200 and answer.content == direct.content
    for name in ("date", "server", "x-docmock-operation", "content-length"):
        assert len(answer.headers.get_list(name)) == 1, name
    [line] = [json.loads(text) for text in recording.read_text().splitlines()]
    assert not any(name.startswith("x-docmock-") for name in line["headers"])


def _asgi(app: Any, method: str, path: str, headers: list[tuple[bytes, bytes]], query: bytes = b"") -> dict:
    """One request through the ASGI interface with exactly these headers (a TestClient adds its own)."""
    import asyncio

    answer: dict[str, Any] = {"body": b""}

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answer["status"], answer["headers"] = message["status"], message["headers"]
        else:
            answer["body"] += message.get("body", b"")

    async def run() -> None:
        await app({"type": "http", "method": method, "path": path, "raw_path": path.encode(), "query_string": query,
                   "http_version": "1.1", "headers": headers}, receive, send)
        await app.aclose()

    asyncio.run(run())
    return answer


def test_the_real_server_gets_only_what_the_client_sent(seeds_fixture: dict, wrong_upstream: str) -> None:
    app = create_app(copy.deepcopy(seeds_fixture), proxy=wrong_upstream)
    answer = _asgi(app, "POST", "/api/v1/BatchTask", [(b"authorization", AUTH["Authorization"].encode()),
                                                      (b"connection", b"keep-alive, X-Hop"), (b"x-hop", b"1"),
                                                      (b"content-type", b"application/json")])
    seen = json.loads(answer["body"])["headers"]
    # No compression, agent or Accept the client did not ask for, and no header its Connection named.
    assert not {"accept-encoding", "user-agent", "accept", "x-hop"} & set(seen)


def test_head_through_the_proxy_keeps_the_real_length(seeds_fixture: dict, right_upstream: str) -> None:
    import httpx

    real = httpx.get(right_upstream + TASK, headers=AUTH)
    app = create_app(copy.deepcopy(seeds_fixture), proxy=right_upstream)
    head = _asgi(app, "HEAD", TASK, [(b"authorization", AUTH["Authorization"].encode())])
    assert head["status"] == 200 and head["body"] == b""
    assert dict(head["headers"])[b"content-length"] == str(len(real.content)).encode()


def test_recordings_leave_query_credentials_out_and_still_match(seeds_fixture: dict, wrong_upstream: str,
                                                                tmp_path: Path) -> None:
    spec = copy.deepcopy(seeds_fixture)
    spec["components"]["securitySchemes"]["QueryKey"] = {"type": "apiKey", "in": "query", "name": "api_key"}
    recording = tmp_path / "answers.jsonl"
    with TestClient(create_app(copy.deepcopy(spec), proxy=wrong_upstream, record=str(recording)),
                    headers=AUTH) as client:
        client.get(TASK + "?api_key=SECRET123&lang=en")
        client.head(TASK)  # a HEAD has no body to replay: not recorded
    text = recording.read_text()
    assert "SECRET123" not in text and len(text.splitlines()) == 1
    mock = TestClient(create_app(spec, replay=str(recording)), headers=AUTH)
    replayed = mock.get(TASK + "?lang=en&api_key=another")
    assert replayed.headers.get("x-docmock-replayed") == "recorded-1"


def test_a_body_that_is_not_what_its_type_says_is_replayed_byte_for_byte(seeds_fixture: dict,
                                                                        tmp_path: Path) -> None:
    async def broken(request: Request) -> Response:
        return Response(b"Internal Server Error", status_code=200, media_type="application/json")

    recording = tmp_path / "answers.jsonl"
    with asgi_server(Starlette(routes=[Route("/api/v1/BatchTask/{id:int}", broken)])) as upstream:
        with proxy(seeds_fixture, upstream, record=str(recording)) as client:
            client.get(TASK)
    mock = TestClient(create_app(copy.deepcopy(seeds_fixture), replay=str(recording)), headers=AUTH)
    assert mock.get(TASK).content == b"Internal Server Error"


def test_a_broken_schema_is_reported_and_the_traffic_still_flows(seeds_fixture: dict, right_upstream: str) -> None:
    spec = copy.deepcopy(seeds_fixture)
    spec["components"]["schemas"]["BatchTaskInfo"]["required"] = 5  # not valid JSON Schema
    client = TestClient(create_app(spec, proxy=right_upstream), headers=AUTH)
    created = client.post("/api/v1/BatchTask", json={"Name": "through a broken spec"})
    assert created.status_code == 200  # the real server answered; the proxy only reports
    read = client.get(f"/api/v1/BatchTask/{created.json()}")
    assert read.status_code == 200 and read.json()["Name"] == "through a broken spec"
    posted, _ = client.get("/__docmock/requests").json()["requests"]  # (the read: forwarded unchecked, logged)
    assert any(v.startswith("request: the schema of body is not valid JSON Schema") for v in posted["violations"])
