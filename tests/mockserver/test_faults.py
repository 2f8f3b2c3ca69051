"""Latency and faults: honoured, within what was asked, and the same again for the same seed."""
from __future__ import annotations

import copy
import re
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from jsonschema import Draft202012Validator
from mock_support import AUTH, TestClient
from serving import docmock_server
from testdata import SEEDS

import mockserver.steps
from mockserver import ConfigError, create_app

TASK = "/api/v1/BatchTask/42"
READ = "v1Batch_GetBatchTaskInfo"


@pytest.fixture
def delays(monkeypatch: Any) -> list[float]:
    """The delays the server asked for, in seconds, without waiting for them."""
    asked: list[float] = []

    async def sleep(seconds: float) -> None:
        asked.append(seconds)
    monkeypatch.setattr(mockserver.steps.Delay, "sleep", staticmethod(sleep))
    return asked


def test_prefer_delay_holds_the_answer_back() -> None:
    spec = yaml.safe_load((Path(__file__).parent / "fixtures" / "seeds-3.1.yaml").read_text())
    client = TestClient(create_app(spec), headers=AUTH)
    started = time.monotonic()
    assert client.get(TASK, headers={"Prefer": "delay=300"}).status_code == 200
    assert time.monotonic() - started >= 0.3
    refused = client.get(TASK, headers={"Prefer": "delay=soon"})
    assert refused.status_code == 400 and refused.json()["errors"][0]["location"] == "header.Prefer"


def test_latency_is_drawn_from_the_range_and_repeats_for_the_same_seed(seeds_fixture: dict,
                                                                      delays: list[float]) -> None:
    def run(**settings: Any) -> list[float]:
        delays.clear()
        client = TestClient(create_app(copy.deepcopy(seeds_fixture), latency="50..200ms", **settings), headers=AUTH)
        for n in range(20):
            client.get(f"/api/v1/BatchTask/{n + 1}")
        return list(delays)

    first = run()
    assert len(first) == 20 and all(0.05 <= d <= 0.2 for d in first) and len(set(first)) > 10
    assert run() == first  # a restart with the same seed waits the same
    assert run(fault_seed=99) != first
    delays.clear()
    client = TestClient(create_app(copy.deepcopy(seeds_fixture), latency="50..200ms"), headers=AUTH)
    client.get(TASK, headers={"Prefer": "delay=1s"})  # a request's own delay wins over the server's
    assert delays == [1.0]


def _outcomes(client: TestClient, n: int, session: str = "s") -> list[str]:
    out = []
    for i in range(n):
        reply = client.get(f"/api/v1/BatchTask/{i + 1}", headers={"X-Mock-Session": session})
        out.append(reply.headers.get("x-docmock-fault", "ok"))
    return out


def test_faults_hit_about_the_share_asked_for_with_documented_statuses_or_a_drop(seeds_fixture: dict) -> None:
    client = TestClient(create_app(copy.deepcopy(seeds_fixture), fault_rate=0.25), headers=AUTH)
    outcomes = _outcomes(client, 200)
    faults = [o for o in outcomes if o != "ok"]
    assert 25 <= len(faults) <= 75  # 50 expected
    documented = {code for code in seeds_fixture["paths"]["/api/v1/BatchTask/{id}"]["get"]["responses"]
                  if code.startswith(("4", "5"))}
    assert set(faults) <= documented | {"drop"} and "drop" in faults and documented & set(faults)
    # A fault answers with the documented status: the journal and the answer agree.
    journal = client.get("/__docmock/requests", params={"operation": READ}).json()["requests"]
    assert [e["fault"] or "ok" for e in journal] == outcomes
    assert all(e["status"] is None for e in journal if e["fault"] == "drop")


def test_the_same_seed_fails_the_same_requests_whatever_other_sessions_do(seeds_fixture: dict) -> None:
    def app(**settings: Any) -> TestClient:
        return TestClient(create_app(copy.deepcopy(seeds_fixture), fault_rate=0.3, **settings), headers=AUTH)

    alone = _outcomes(app(), 60, "ci-job")
    busy = app()
    interleaved = []
    for i in range(60):  # another session's requests in between do not move this session's sequence
        busy.get(TASK, headers={"X-Mock-Session": "other"})
        reply = busy.get(f"/api/v1/BatchTask/{i + 1}", headers={"X-Mock-Session": "ci-job"})
        interleaved.append(reply.headers.get("x-docmock-fault", "ok"))
    assert interleaved == alone
    assert _outcomes(app(fault_seed=7), 60, "ci-job") != alone
    # A reset starts the sequence again, as a restart would.
    again = app()
    assert _outcomes(again, 30, "ci-job") == alone[:30]
    again.post("/__docmock/reset", params={"session": "ci-job"})
    assert _outcomes(again, 30, "ci-job") == alone[:30]


def test_a_documented_error_body_is_generated_from_its_schema(petstore: dict) -> None:
    client = TestClient(create_app(copy.deepcopy(petstore), auth=False, fault_rate=1.0))
    statuses = set()
    for n in range(30):
        reply = client.get("/pets", headers={"X-Request-Id": "5d1f0c44-3c1a-4b7e-9d8e-1f2a3b4c5d6e",
                                             "X-Mock-Session": str(n)})
        statuses.add(reply.headers["x-docmock-fault"])
        if reply.headers["x-docmock-fault"] != "drop":
            # listPets documents only `default` for errors: the fault is a 500 with the documented Error body.
            assert reply.status_code == 500 and reply.headers["content-type"].startswith("application/problem+json")
            error = petstore["components"]["schemas"]["Error"]
            assert Draft202012Validator(error).is_valid(reply.json()) and "detail" not in reply.json()
    assert statuses == {"500", "drop"}


def test_faults_per_operation_come_from_the_overrides_file(seeds_fixture: dict, tmp_path: Path) -> None:
    overrides = tmp_path / "overrides.yaml"
    overrides.write_text(yaml.safe_dump({"faults": {READ: {"rate": 1.0, "statuses": [503], "drop": False},
                                                    "v1Batch_GetBatchTaskInfosByState": False}}))
    client = TestClient(create_app(copy.deepcopy(seeds_fixture), overrides=str(overrides), fault_rate=1.0),
                        headers=AUTH)
    read = client.get(TASK)
    assert read.status_code == 503 and read.headers["x-docmock-fault"] == "503"
    assert read.headers["content-type"] == "application/problem+json"  # 503 is not documented: a problem says so
    assert client.get("/api/v1/BatchTask/Failed").status_code == 200  # switched off for this one
    assert "x-docmock-fault" in client.post("/api/v1/BatchTask", json={"Name": "x"}).headers  # the server's rate


@pytest.mark.parametrize(("faults", "why"), [
    ({"v1Nope": {"rate": 1}}, "v1Nope"), ({READ: {"rate": 2}}, "rate"), ({READ: {"rate": 1, "codes": [1]}}, "codes"),
    ({READ: {"statuses": ["x"]}}, "statuses"), ({READ: {"latency": "soon"}}, "latency"), ({READ: 5}, "mapping"),
])
def test_a_wrong_faults_entry_stops_start_up_naming_it(seeds_fixture: dict, tmp_path: Path, faults: dict,
                                                      why: str) -> None:
    overrides = tmp_path / "overrides.yaml"
    overrides.write_text(yaml.safe_dump({"faults": faults}))
    with pytest.raises(ConfigError, match=why):
        create_app(copy.deepcopy(seeds_fixture), overrides=str(overrides))


def test_a_dropped_connection_is_a_real_disconnect_and_the_server_carries_on(tmp_path: Path) -> None:
    overrides = tmp_path / "overrides.yaml"
    overrides.write_text(yaml.safe_dump({"faults": {READ: {"rate": 1.0, "statuses": [], "drop": True}}}))
    with docmock_server(str(SEEDS), "--overrides", str(overrides)) as (base, output):
        with pytest.raises(httpx.RemoteProtocolError):
            httpx.get(base + TASK, headers=AUTH, timeout=10)
        assert httpx.get(base + "/api/v1/BatchTask/Failed", headers=AUTH, timeout=10).status_code == 200
        [entry] = httpx.get(base + "/__docmock/requests", params={"operation": READ}).json()["requests"]
        assert entry["fault"] == "drop" and entry["status"] is None
    log = output[0]
    assert re.search(rf"GET {TASK} {READ} - [\d.]+ms fault=drop", log)
    assert "Traceback" not in log and "without completing response" not in log


def test_a_head_request_fails_with_a_status_never_a_drop(seeds_fixture: dict, tmp_path: Path) -> None:
    overrides = tmp_path / "overrides.yaml"
    overrides.write_text(yaml.safe_dump({"faults": {READ: {"rate": 1.0, "statuses": [], "drop": True}}}))
    client = TestClient(create_app(copy.deepcopy(seeds_fixture), overrides=str(overrides)), headers=AUTH)
    # A HEAD answer is whole once its headers are out, so a drop could not show: it fails with a status instead.
    assert [client.head(TASK).status_code for _ in range(5)] == [500] * 5
    assert client.get(TASK).headers["x-docmock-fault"] == "drop"


def test_fault_sequences_are_bounded_and_the_oldest_start_again(seeds_fixture: dict, monkeypatch: Any) -> None:
    import mockserver.faults

    monkeypatch.setattr(mockserver.faults, "MAX_SEQUENCES", 10)
    app = create_app(copy.deepcopy(seeds_fixture), fault_rate=0.5)
    client = TestClient(app, headers=AUTH)
    first = _outcomes(client, 8, "first")
    for n in range(20):
        client.get(TASK, headers={"X-Mock-Session": f"s{n}"})
    assert len(app.faults.counts) == 10
    assert _outcomes(client, 8, "first") == first  # forgotten, so it starts again as after a reset
