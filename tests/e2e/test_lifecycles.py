"""Batch jobs that progress: the lifecycle in `docs_src/docmock.overrides.yaml` over HTTP on the seeds, a stop
operation and the OData list on the corpus, the mock's clock, and what the overrides file may say."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from starlette.testclient import TestClient

from testdata import SEEDS
from mockserver import create_app
from serving import docmock_server
from mockserver.state import OverridesError, StateEngine, open_store
from mockserver.state.lifecycle import Lifecycle, Run, compile_lifecycles

AUTH = {"Authorization": "Basic dXNlcjpwYXNz"}
OVERRIDES = SEEDS / "docmock.overrides.yaml"
ORDER = ["New", "Started", "Succeeded"]


def _client(spec: dict[str, Any], overrides: Path = OVERRIDES, **options: Any) -> TestClient:
    return TestClient(create_app(spec, state="memory", overrides=str(overrides), **options), headers=AUTH)


def _task(client: TestClient, task: int, at: float | None = None, session: str | None = None) -> dict[str, Any]:
    headers = {"Prefer": f"at=+{at}s"} if at is not None else {}
    if session:
        headers["X-Mock-Session"] = session
    answer = client.get(f"/api/v1/BatchTask/{task}", headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_started_task_moves_from_new_to_succeeded_with_rising_progress(seeds_spec) -> None:
    client = _client(seeds_spec)
    started = client.post("/api/v1/BatchTask", json={"Name": "Nightly export", "State": "New"})
    task = started.json()
    seen = [_task(client, task, at=t / 2) for t in range(0, 26)]  # 0 s .. 12.5 s, without sleeping
    states = [s["State"] for s in seen]
    progress = [s["ProgressPercent"] for s in seen]
    assert states[0] == "New" and states[-1] == "Succeeded" and states[3] == "Started"
    assert [ORDER.index(s) for s in states] == sorted(ORDER.index(s) for s in states)
    assert progress[0] == 0 and progress[-1] == 100 and progress == sorted(progress) and len(set(progress)) > 10
    assert all(s["Name"] == "Nightly export" for s in seen)  # the rest of the record stays what was written
    # The agent and the REST lists see the task in the state it has now.
    by_state = client.post("/api/v1/Agents/Batch/GetBatchTaskInfosByAssociatesAndState",
                           json={"State": "Started"}, headers={"Prefer": "at=+3s"}).json()
    assert task in [t["Id"] for t in by_state]
    assert task not in [t["Id"] for t in client.get("/api/v1/BatchTask/Started", headers={"Prefer": "at=+30s"}).json()]
    assert task in [t["Id"] for t in client.get("/api/v1/BatchTask/Succeeded", headers={"Prefer": "at=+30s"}).json()]


def test_the_clock_endpoint_moves_a_sessions_time_and_a_reset_puts_it_back(seeds_spec) -> None:
    client = _client(seeds_spec)
    mine = {"X-Mock-Session": "ci-42"}
    task = client.post("/api/v1/BatchTask", json={"Name": "x"}, headers=mine).json()
    other = client.post("/api/v1/BatchTask", json={"Name": "y"}, headers={"X-Mock-Session": "other"}).json()
    moved = client.post("/__docmock/clock", params={"session": "ci-42", "advance": "+5s"})
    assert moved.status_code == 200 and moved.json()["offsetSeconds"] == 5.0
    assert _task(client, task, session="ci-42")["State"] == "Started"
    assert _task(client, other, session="other")["State"] == "New"  # each session has its own clock
    client.post("/__docmock/clock", params={"session": "ci-42", "advance": "1m"})
    assert _task(client, task, session="ci-42")["State"] == "Succeeded"
    assert client.get("/__docmock/clock", params={"session": "ci-42"}).json()["offsetSeconds"] == 65.0
    bad = client.post("/__docmock/clock", params={"advance": "soon"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["location"] == "query.advance"
    assert client.get(f"/api/v1/BatchTask/{task}", headers={"Prefer": "at=later"}).status_code == 400
    for far in ("99999999999h", "9" * 400 + "h", "-900000h"):  # more than a hundred years: refused, nothing moved
        refused = client.post("/__docmock/clock", params={"session": "ci-42", "advance": far})
        assert refused.status_code == 400 and "hundred years" in refused.json()["detail"]
        assert client.get(f"/api/v1/BatchTask/{task}", headers={"Prefer": f"at=+{far}"}).status_code == 400
    assert client.get("/__docmock/clock", params={"session": "ci-42"}).json()["offsetSeconds"] == 65.0
    assert client.post("/__docmock/clock", params={"session": "ci-42", "advance": "-1m"}).json()["offsetSeconds"] == 5
    client.post("/__docmock/reset", params={"session": "ci-42"})
    assert client.get("/__docmock/clock", params={"session": "ci-42"}).json()["offsetSeconds"] == 0.0


def test_time_passing_is_seen_although_nothing_was_written(seeds_spec) -> None:
    engine = StateEngine.from_spec(seeds_spec, open_store("memory"),
                                   yaml.safe_load(OVERRIDES.read_text(encoding="utf-8")))
    now = [1_800_000_000.0]
    engine.time.real = lambda: now[0]
    client = TestClient(create_app(seeds_spec, state=engine), headers=AUTH)
    task = client.post("/api/v1/BatchTask", json={"Name": "x"}).json()
    first, again = _task(client, task), _task(client, task)  # a repeated read: the answer cache's case
    now[0] += 11
    assert first == again and first["State"] == "New" and _task(client, task)["State"] == "Succeeded"


def test_a_seeded_share_of_runs_fails_and_the_same_runs_fail_every_time(seeds_spec) -> None:
    def outcomes(seed: int) -> list[str]:
        client = _client(seeds_spec, seed=seed)
        tasks = [client.post("/api/v1/BatchTask", json={"Name": f"t{n}"}).json() for n in range(60)]
        return [_task(client, t, at=60)["State"] for t in tasks]

    first = outcomes(0)
    assert set(first) == {"Succeeded", "Failed"} and 1 <= first.count("Failed") <= 15
    assert outcomes(0) == first and outcomes(1) != first


def test_a_task_written_in_its_run_answers_where_the_run_is(corpus_spec) -> None:
    client = _client(corpus_spec)  # the corpus documents PUT /BatchTask/{Id}; the docs_src lifecycle fits it
    task = client.post("/api/v1/BatchTask", json={"Name": "x"}).json()
    replaced = client.put(f"/api/v1/BatchTask/{task}", json={"Name": "y", "State": "Succeeded",
                                                             "ProgressPercent": 7}).json()
    assert (replaced["Name"], replaced["State"], replaced["ProgressPercent"]) == ("y", "New", 0)
    assert _task(client, task, at=20)["State"] in ("Succeeded", "Failed")


def test_a_stop_operation_ends_a_running_task(corpus_spec, tmp_path: Path) -> None:
    overrides = tmp_path / "overrides.yaml"
    overrides.write_text(yaml.safe_dump({"lifecycles": {"BatchTask": {
        "values": {"State": {"New": "0s", "Started": "1s", "Succeeded": "10s"}, "ProgressPercent": [0, 100]},
        "stop": {"operations": ["v1Batch_StopBatchJob", "v1BatchAgent_StopBatchJob"],
                 "values": {"State": "Failed"}}}}}))
    client = _client(corpus_spec, overrides)
    rest, agent = (client.post("/api/v1/BatchTask", json={"Name": n}).json() for n in ("a", "b"))
    client.post("/__docmock/clock", params={"advance": "4s"})
    assert client.post(f"/api/v1/BatchTask/{rest}/Stop").json() is True
    assert client.post("/api/v1/Agents/Batch/StopBatchJob", json={"Id": agent}).json() is True
    for task in (rest, agent):
        stopped = _task(client, task, at=30)
        assert stopped["State"] == "Failed" and 20 <= stopped["ProgressPercent"] <= 50
    assert client.post("/api/v1/BatchTask/1000999/Stop").status_code == 404  # never created
    # The OData list shows the tasks as they are now.
    rows = client.get("/api/v1/BatchTask", params={"$filter": "state eq 'Failed' and batchTaskId ge 1000001",
                                                    "$select": "name,state,progressPercent"}).json()["value"]
    assert [(r["name"], r["state"]) for r in rows] == [("a", "Failed"), ("b", "Failed")]
    described = StateEngine.from_spec(corpus_spec, None, yaml.safe_load(overrides.read_text())).describe()
    assert "  lifecycle: BatchTask moves State, ProgressPercent over 10s, stopped by v1Batch_StopBatchJob, " \
           "v1BatchAgent_StopBatchJob" in described
    assert any(line.split() == ["stop", "POST", "/api/v1/BatchTask/{id}/Stop", "v1Batch_StopBatchJob",
                                "(id", "from", "path", "id;", "replies", "true;", "overrides)"] for line in described)


def test_a_lifecycle_moves_by_the_clock() -> None:
    life = Lifecycle("Job", {"State": ((0.0, "New"), (1.0, "Started"), (10.0, "Done"))},
                     {"Percent": (0.0, 100.0, True)}, rise_from=1.0, end=10.0,
                     fail_values={"State": "Failed"}, stop_values={"State": "Stopped"})
    run = Run(start=100.0)
    assert [life.values(run, 100.0 + t) for t in (0, 0.5, 1, 5.5, 10, 99)] == [
        {"State": "New", "Percent": 0}, {"State": "New", "Percent": 0}, {"State": "Started", "Percent": 0},
        {"State": "Started", "Percent": 50}, {"State": "Done", "Percent": 100}, {"State": "Done", "Percent": 100}]
    assert life.values(Run(100.0, stop=104.5), 200.0) == {"State": "Stopped", "Percent": 38}
    assert life.values(Run(100.0, stop=150.0), 200.0) == {"State": "Done", "Percent": 100}  # stopped when done
    assert life.values(Run(100.0, fails_at=3.25), 200.0) == {"State": "Failed", "Percent": 25}
    assert life.running(run, 105.0) and not life.running(run, 110.0) and not life.running(Run(100.0, 101.0), 102.0)


class _Entity:
    def __init__(self, name: str, props: dict[str, tuple[str, ...]]) -> None:
        self.name = name
        self.enums = {k: v for k, v in props.items() if v}
        self._props = {k.lower(): k for k in props}

    def prop(self, name: str) -> str | None:
        return self._props.get(name.lower())


ENTITIES = {"batchtask": _Entity("BatchTask", {"State": ("New", "Started", "Succeeded", "Failed"),
                                               "ProgressPercent": (), "Name": (), "TableRight": ()})}
KINDS = {"State": "string", "ProgressPercent": "integer", "Name": "string", "TableRight": "object"}


@pytest.mark.parametrize("raw, message", [
    ({"Task": {"values": {"State": {"New": 0}}}},
     "lifecycles.Task: 'Task' is not a stateful entity (known: BatchTask)"),
    ({"BatchTask": {"values": {"Status": {"New": 0}}}},
     "lifecycles.BatchTask.values.Status: 'Status' is not a property"),
    ({"BatchTask": {"values": {"State": {"New": 0, "Finished": "10s"}}}},
     "lifecycles.BatchTask.values.State.Finished: 'Finished' is not one of State's values "
     "(New, Started, Succeeded, Failed)"),
    ({"BatchTask": {"values": {"State": {"New": "2s", "Started": "1s"}}}}, "the times must rise"),
    ({"BatchTask": {"values": {"State": {"New": "soon"}}}}, "'soon' is not a duration such as 1s"),
    ({"BatchTask": {"values": {"ProgressPercent": [0, 50, 100]}}}, "either value -> time"),
    ({"BatchTask": {"values": {"State": {"New": 0}}, "fail": {"share": 2, "values": {"State": "Failed"}}}},
     "lifecycles.BatchTask.fail.share: a number from 0 to 1"),
    ({"BatchTask": {"values": {"State": {"New": 0}},
                    "stop": {"operations": ["nope"], "values": {"State": "Failed"}}}},
     "lifecycles.BatchTask.stop.operations: no operation 'nope'"),
    ({"BatchTask": {"values": {"State": {"New": 0}}, "every": "1s"}}, "unknown key(s) every"),
    ({"BatchTask": {}}, "lifecycles.BatchTask.values: name the properties that change"),
    ({"BatchTask": {"values": {"State": {"New": 10 ** 400}}}}, "at most a hundred years"),
    ({"BatchTask": {"values": {"ProgressPercent": [0, 10 ** 20]}}}, "each below 2**31 in size"),
    ({"BatchTask": {"values": {"State": {"New": 0}, "STATE": {"New": 0}}}}, "State is named twice"),
    ({"BatchTask": {"values": {"State": [0, 100]}}}, "State is a string; only a number can rise"),
    ({"BatchTask": {"values": {"ProgressPercent": {"abc": "0s"}}}},
     "'abc' does not fit ProgressPercent, which is a JSON integer"),
    ({"BatchTask": {"values": {"TableRight": {"a": "0s"}}}}, "TableRight is an object; a lifecycle moves text"),
    ({"BatchTask": {"values": {"State": {"New": ".inf"}}}}, "is not a duration"),
    ({"BatchTask": {"values": {"State": {"New": "9" * 400 + "h"}}}}, "at most a hundred years"),
    ({"BatchTask": {"values": {"State": {"New": 0}},
                    "stop": {"operations": [{"a": 1}], "values": {"State": "Failed"}}}},
     "lifecycles.BatchTask.stop.operations: the operationIds that stop a run"),
    ({"BatchTask": {"values": {"State": {"New": 0}},
                    "stop": {"operations": ["v1Batch_StopBatchJob"], "valeus": {}}}},
     "lifecycles.BatchTask.stop: unknown key(s) valeus"),
    ({"BatchTask": {"values": {"State": {"New": 0}}}, "batchtask": {"values": {"State": {"New": 0}}}},
     "lifecycles.batchtask: BatchTask has a lifecycle already"),
])
def test_a_lifecycle_the_entity_cannot_have_is_an_error_that_says_where(raw: dict, message: str) -> None:
    with pytest.raises(OverridesError) as caught:
        compile_lifecycles(raw, ENTITIES, {"v1Batch_StopBatchJob"}, lambda entity, prop: KINDS.get(prop))
    assert message in str(caught.value)


def test_docs_src_ships_a_lifecycle_that_serve_reads_from_the_docs_folder() -> None:
    with docmock_server(str(SEEDS)) as (base, output):
        client = httpx.Client(base_url=base, headers=AUTH)
        task = client.post("/api/v1/BatchTask", json={"Name": "Nightly export"}).json()
        assert client.get(f"/api/v1/BatchTask/{task}").json()["State"] == "New"
        client.post("/__docmock/clock", params={"advance": "4s"})
        assert client.get(f"/api/v1/BatchTask/{task}").json()["State"] == "Started"
        assert client.get(f"/api/v1/BatchTask/{task}", headers={"Prefer": "at=+7s"}).json()["ProgressPercent"] == 100
    printed = output[0]
    assert f"Overrides: {OVERRIDES} (kept beside the docs; --overrides FILE chooses another)" in printed
    assert "lifecycle: BatchTask moves State, ProgressPercent over 10s, 10% of runs fail" in printed


def test_a_reload_keeps_the_runs_and_reads_the_overrides_file_again(seeds_spec, tmp_path: Path) -> None:
    overrides = tmp_path / "docmock.overrides.yaml"
    overrides.write_text(OVERRIDES.read_text(encoding="utf-8"))
    app = create_app(seeds_spec, state="memory", overrides=str(overrides))
    client = TestClient(app, headers=AUTH)
    task = client.post("/api/v1/BatchTask", json={"Name": "x"}).json()
    overrides.write_text(OVERRIDES.read_text(encoding="utf-8").replace("Succeeded: 10s", "Succeeded: 100s"))
    prose = {**seeds_spec, "info": {**seeds_spec["info"], "description": "edited prose"}}
    reloaded = TestClient(app.reloaded(prose), headers=AUTH)
    assert _task(reloaded, task, at=50)["State"] in ("Started", "Failed")  # now 100 s to succeed
    assert _task(reloaded, task, at=120)["State"] in ("Succeeded", "Failed")


def test_server_set_dates_and_requests_keep_to_the_sessions_clock(seeds_spec) -> None:
    from datetime import datetime, timedelta, timezone

    client = _client(seeds_spec)
    client.post("/__docmock/clock", params={"session": "later", "advance": "48h"})
    task = client.post("/api/v1/BatchTask", json={"Name": "x"}, headers={"X-Mock-Session": "later"}).json()
    created = datetime.fromisoformat(_task(client, task, session="later")["Created"])
    assert abs(created - (datetime.now(timezone.utc) + timedelta(hours=48))) < timedelta(minutes=5)
    client.post("/__docmock/clock", params={"session": "later", "advance": "-876000h"})  # back nearly 100 years
    assert client.get(f"/api/v1/BatchTask/{task}", headers={"X-Mock-Session": "later",
                                                              "Prefer": "at=-876000h"}).status_code == 200
    now = client.app.state.time.now("later", -876000 * 3600.0)
    assert now >= datetime.now(timezone.utc).timestamp() - 100 * 365.25 * 86400 - 60  # never past a hundred years
