"""Stateful mocking over HTTP: what a client writes it can read, list, change and delete (seeds and corpus)."""
from __future__ import annotations

import json

import concurrent.futures

import pytest
from starlette.testclient import TestClient

from mockserver import create_app
from mockserver.state import CREATED_ID_START, StateEngine, open_store

AUTH = {"Authorization": "Basic dXNlcjpwYXNz"}


def client_for(spec, store="memory"):
    app = create_app(spec, state=StateEngine.from_spec(spec, open_store(store)))
    return TestClient(app, headers=AUTH)


@pytest.fixture()
def seeds(seeds_spec):
    return client_for(seeds_spec)


@pytest.fixture()
def corpus(corpus_spec):
    return client_for(corpus_spec)


def test_generated_data_is_the_base(seeds, seeds_spec):
    stateless = TestClient(create_app(seeds_spec), headers=AUTH)
    assert seeds.get("/api/v1/BatchTask/999").json() == stateless.get("/api/v1/BatchTask/999").json()
    assert seeds.get("/api/v1/BatchTask/999").json()["Id"] == 999


def test_create_read_and_list_batch_tasks(seeds):
    created = seeds.post("/api/v1/BatchTask", json={"Name": "Nightly export", "State": "New", "AssociateId": 7})
    assert created.status_code == 200  # the documented status; the docs say it returns the new int32 id
    new_id = created.json()
    assert new_id == CREATED_ID_START
    task = seeds.get(f"/api/v1/BatchTask/{new_id}").json()
    assert (task["Id"], task["Name"], task["State"], task["AssociateId"]) == (new_id, "Nightly export", "New", 7)
    assert task["Created"]  # server-set fields are filled in
    listed = seeds.get("/api/v1/BatchTask/New").json()
    assert new_id in [t["Id"] for t in listed] and all(t["State"] == "New" for t in listed)
    assert new_id not in [t["Id"] for t in seeds.get("/api/v1/BatchTask/Failed").json()]
    agent = seeds.post("/api/v1/Agents/Batch/GetBatchTaskInfosByAssociatesAndState",
                       json={"AssociateIds": [7], "State": "New"}).json()
    assert new_id in [t["Id"] for t in agent] and all(t["AssociateId"] == 7 for t in agent)
    other = seeds.post("/api/v1/Agents/Batch/GetBatchTaskInfosByAssociatesAndState",
                       json={"AssociateIds": [8], "State": "New"}).json()
    assert new_id not in [t["Id"] for t in other]


def test_list_rows_are_the_records_a_read_returns(seeds):
    for row in seeds.get("/api/v1/BatchTask/Failed").json():
        single = seeds.get(f"/api/v1/BatchTask/{row['Id']}").json()
        assert {**single, "State": "Failed"} == row


def test_select_and_xml_apply_to_stored_records(seeds):
    new_id = seeds.post("/api/v1/BatchTask", json={"Name": "Selected", "State": "New"}).json()
    selected = seeds.get(f"/api/v1/BatchTask/{new_id}?$select=Name").json()
    assert selected["Name"] == "Selected" and "Description" not in {k for k, v in selected.items() if v}
    xml = seeds.get(f"/api/v1/BatchTask/{new_id}", headers={"Accept": "application/xml"})
    assert xml.headers["content-type"].startswith("application/xml") and b"<Name>Selected</Name>" in xml.content


def test_rest_and_agent_endpoints_share_one_store(corpus):
    new_id = corpus.post("/api/v1/Agents/Batch/StartBatchJob",
                         json={"BatchTaskInfo": {"Name": "by agent", "State": "New"}}).json()
    assert corpus.get(f"/api/v1/BatchTask/{new_id}").json()["Name"] == "by agent"
    assert corpus.post("/api/v1/Agents/Batch/GetBatchTaskInfo", json={"Id": new_id}).json()["Name"] == "by agent"
    replaced = corpus.put(f"/api/v1/BatchTask/{new_id}", json={"Name": "replaced", "State": "Started"})
    assert replaced.status_code == 200 and replaced.json()["Name"] == "replaced"
    updated = corpus.post("/api/v1/Agents/Batch/UpdateBatchTask",
                          json={"BatchTaskInfo": {"Id": new_id, "Name": "updated", "State": "Failed"}})
    assert updated.json()["State"] == "Failed"
    assert corpus.get(f"/api/v1/BatchTask/{new_id}").json()["Name"] == "updated"
    gone = corpus.post("/api/v1/Agents/Batch/DeleteBatchTask", json={"BatchTaskId": new_id})
    assert gone.status_code == 204 and gone.content == b""
    missing = corpus.get(f"/api/v1/BatchTask/{new_id}")
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"


def test_deleting_a_generated_record_hides_it(corpus):
    assert corpus.get("/api/v1/BatchTask/77").status_code == 200
    assert corpus.post("/api/v1/Agents/Batch/DeleteBatchTasks", json={"BatchTaskIds": [77, 78]}).status_code == 204
    assert corpus.get("/api/v1/BatchTask/77").status_code == 404
    assert corpus.post("/api/v1/Agents/Batch/GetBatchTaskInfo", json={"Id": 78}).status_code == 404


def test_person_create_patch_and_delete(corpus):
    created = corpus.post("/api/v1/Person", json={"Firstname": "Ada", "Lastname": "Lovelace"})
    assert created.status_code == 200
    person = created.json()
    person_id = person["PersonId"]
    assert person_id >= CREATED_ID_START and person["Firstname"] == "Ada"
    patched = corpus.patch(f"/api/v1/Person/{person_id}", json=[{"op": "replace", "path": "firstname", "value": "Augusta"}],
                           headers={"Content-Type": "application/json-patch+json"})
    assert patched.status_code == 200 and patched.json()["Firstname"] == "Augusta"
    conflict = corpus.patch(f"/api/v1/Person/{person_id}", json=[{"op": "test", "path": "/Firstname", "value": "Ada"},
                                                                  {"op": "replace", "path": "/Lastname", "value": "X"}],
                            headers={"Content-Type": "application/json-patch+json"})
    assert conflict.status_code == 409
    assert corpus.get(f"/api/v1/Person/{person_id}").json()["Lastname"] == "Lovelace"  # all or nothing
    merged = corpus.patch(f"/api/v1/Person/{person_id}", json={"Lastname": "King"},
                          headers={"Content-Type": "application/merge-patch+json"})
    assert merged.status_code == 200 and merged.json()["Lastname"] == "King"
    # The OData list shows the record as an archive row, with the columns asked for.
    listed = corpus.get(f"/api/v1/Person?$filter=personId eq {person_id}&$select=firstname,lastname").json()
    assert listed["value"] == [{"PrimaryKey": person_id, "EntityName": "person", "firstname": "Augusta",
                                "lastname": "King"}]
    assert corpus.delete(f"/api/v1/Person/{person_id}").status_code == 204
    assert corpus.get(f"/api/v1/Person/{person_id}").status_code == 404
    assert corpus.get(f"/api/v1/Person?$filter=personId eq {person_id}").json()["value"] == []


def test_top_and_skip_page_the_list(corpus):
    ids = [corpus.post("/api/v1/Person", json={"Firstname": f"P{n}"}).json()["PersonId"] for n in range(3)]
    everything = [row["PrimaryKey"] for row in corpus.get("/api/v1/Person?$top=1000").json()["value"]]
    page = [row["PrimaryKey"] for row in corpus.get("/api/v1/Person?$skip=1&$top=2").json()["value"]]
    assert page == everything[1:3] and everything[-3:] == ids  # created records follow, by id


def test_sessions_are_isolated_and_reset(seeds):
    mine = {"X-Mock-Session": "alice"}
    new_id = seeds.post("/api/v1/BatchTask", json={"Name": "Alice's"}, headers=mine).json()
    assert seeds.get(f"/api/v1/BatchTask/{new_id}", headers=mine).json()["Name"] == "Alice's"
    assert seeds.get(f"/api/v1/BatchTask/{new_id}").status_code == 404  # the default session never saw it
    state = seeds.get("/__docmock/state?session=alice").json()
    assert str(new_id) in str(state)
    assert seeds.post("/__docmock/reset?session=alice").status_code == 204
    assert seeds.get(f"/api/v1/BatchTask/{new_id}", headers=mine).status_code == 404
    assert seeds.get("/__docmock/reset").status_code == 405


def test_no_state_means_no_memory(seeds_spec):
    plain = TestClient(create_app(seeds_spec), headers=AUTH)
    new_id = plain.post("/api/v1/BatchTask", json={"Name": "x"}).json()
    assert plain.get(f"/api/v1/BatchTask/{new_id}").json().get("Name") != "x"
    assert plain.get("/__docmock/state").status_code == 404
    assert plain.post("/__docmock/reset").status_code == 204  # nothing to forget but the fault sequences


@pytest.mark.parametrize("store", ["memory", "sqlite"])
def test_concurrent_clients_lose_no_update(corpus_spec, tmp_path, store):
    client = client_for(corpus_spec, "memory" if store == "memory" else f"sqlite:{tmp_path / 'state.db'}")
    person_id = client.post("/api/v1/Person", json={"Firstname": "Counter", "Lastname": "0"}).json()["PersonId"]

    def work(worker: int) -> tuple[list[int], int]:
        created = [client.post("/api/v1/Person", json={"Firstname": f"w{worker}"}).json()["PersonId"]
                   for _ in range(5)]
        increments = 0
        while increments < 5:  # optimistic increments: test the value read, replace it; retry on 409
            current = client.get(f"/api/v1/Person/{person_id}").json()["Lastname"]
            answer = client.patch(f"/api/v1/Person/{person_id}",
                                  json=[{"op": "test", "path": "Lastname", "value": current},
                                        {"op": "replace", "path": "Lastname", "value": str(int(current) + 1)}],
                                  headers={"Content-Type": "application/json-patch+json"})
            assert answer.status_code in (200, 409)
            increments += answer.status_code == 200
        return created, increments

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        results = list(pool.map(work, range(8)))
    created = [i for ids, _ in results for i in ids]
    assert len(set(created)) == 40  # every create got its own id
    assert all(client.get(f"/api/v1/Person/{i}").status_code == 200 for i in created)
    assert client.get(f"/api/v1/Person/{person_id}").json()["Lastname"] == "40"  # no increment lost


def test_xml_writes_are_remembered_when_their_text_types_as_the_schema_says(seeds):
    # XML bodies are checked for well-formedness only; storing text that is not the spec's type would break
    # the spec later, so only a body whose text all types cleanly becomes a record.
    reply = seeds.post("/api/v1/BatchTask", content=b"<BatchTaskInfo><AssociateId>x</AssociateId></BatchTaskInfo>",
                       headers={"Content-Type": "application/xml"})
    assert reply.status_code == 200
    assert seeds.get("/__docmock/state").json()["sessions"] == {}
    reply = seeds.post("/api/v1/BatchTask", content=b"<BatchTaskInfo><Name>x</Name></BatchTaskInfo>",
                       headers={"Content-Type": "application/xml"})
    assert reply.status_code == 200
    assert seeds.get("/__docmock/state").json()["sessions"] != {}


def test_base_records_are_remembered_read_only_in_a_bounded_cache(corpus_spec):
    app = create_app(corpus_spec, state=StateEngine.from_spec(corpus_spec, open_store("memory")))
    entities = {action.entity.name: action.entity for action in app.actions.values()}
    assert {"Person", "BatchTask"} <= set(entities)
    for entity in entities.values():
        first = app.generated.record(entity, 7)
        with pytest.raises(TypeError):
            first["changed"] = True  # type: ignore[index]  # read-only: a writer takes to_dict()
        assert first[entity.id_field] == 7 and json.loads(first.text)[entity.id_field] == 7
        copy = first.to_dict()  # a writer's copy...
        copy["changed"] = True
        for value in copy.values():
            if isinstance(value, dict):
                value["changed"] = True
        second = app.generated.record(entity, 7)
        assert "changed" not in second  # ...changes nothing that later callers get
        assert all("changed" not in v for v in second.values() if isinstance(v, dict))
        assert second.text is first.text  # the text is remembered, not made again
    assert app.generated.record_text.cache_info().maxsize == 1024
    with TestClient(app, headers=AUTH) as client:  # and a list row is still what a read of its id answers
        rows = client.get("/api/v1/BatchTask/Failed").json()
        assert rows and all({**client.get(f"/api/v1/BatchTask/{row['Id']}").json(), "State": "Failed"} == row
                            for row in rows)


def test_a_polled_list_is_generated_once_and_still_follows_the_state(seeds_spec, monkeypatch):
    app = create_app(seeds_spec, state=StateEngine.from_spec(seeds_spec, open_store("memory")))
    generated = []
    original = app.generated.value
    monkeypatch.setattr(app.generated, "value",
                        lambda *args: generated.append(args[0].op.operation_id) or original(*args))
    lists = lambda: generated.count("v1Batch_GetBatchTaskInfosByState")  # noqa: E731
    with TestClient(app, headers=AUTH) as client:
        first = client.get("/api/v1/BatchTask/Failed").json()
        assert client.get("/api/v1/BatchTask/Failed").json() == first
        assert lists() == 1  # the second request reused the first one's rows
        # A write shows in the list answered from the remembered rows...
        new_id = client.post("/api/v1/BatchTask", json={"Name": "Nightly export", "State": "Failed"}).json()
        assert [row["Id"] for row in client.get("/api/v1/BatchTask/Failed").json()] == [
            *(row["Id"] for row in first), new_id]
        # ...and changes nothing remembered: after a reset the list is the generated one again.
        assert client.post("/__docmock/reset").status_code == 204
        assert client.get("/api/v1/BatchTask/Failed").json() == first
        assert lists() == 1
    assert app.generated.list_text.cache_info().maxsize == 256


def test_lists_asked_for_with_large_bodies_are_not_remembered(seeds_spec):
    app = create_app(seeds_spec, state=StateEngine.from_spec(seeds_spec, open_store("memory")))
    agent = "/api/v1/Agents/Batch/GetBatchTaskInfosByAssociatesAndState"
    remembered = lambda: app.generated.list_text.cache_info().currsize  # noqa: E731
    with TestClient(app, headers=AUTH) as client:
        before = remembered()
        small = client.post(agent, json={"AssociateIds": [7], "State": "New"})
        assert small.status_code == 200 and remembered() == before + 1
        large = client.post(agent, json={"AssociateIds": list(range(1, 2000)), "State": "New"})
        assert large.status_code == 200 and large.json()
        # The body (kilobytes, up to the body limit) would stay in memory as the key of a remembered list.
        assert remembered() == before + 1
        assert client.post(agent, json={"AssociateIds": list(range(1, 2000)), "State": "New"}).json() == large.json()


def test_each_app_remembers_its_own_generated_data(seeds_spec):
    first = create_app(seeds_spec, state=StateEngine.from_spec(seeds_spec, open_store("memory")))
    second = create_app(seeds_spec, seed=1, state=StateEngine.from_spec(seeds_spec, open_store("memory")))
    with TestClient(first, headers=AUTH) as client:
        one = client.get("/api/v1/BatchTask/Failed").json()
    with TestClient(second, headers=AUTH) as client:
        other = client.get("/api/v1/BatchTask/Failed").json()
    # A cache shared between apps would answer the second app (another seed) with the first one's rows.
    assert one != other
    assert first.generated.list_text.cache_info().currsize == 1 == second.generated.list_text.cache_info().currsize


def test_a_reset_waiting_for_another_process_leaves_the_server_answering(seeds_spec, tmp_path):
    import sqlite3
    import threading

    database = tmp_path / "state.db"
    app = create_app(seeds_spec, state=f"sqlite:{database}")
    finished: list[str] = []
    with TestClient(app, headers=AUTH) as client:
        client.post("/api/v1/BatchTask", json={"Name": "x"})  # the file and its tables exist
        other = sqlite3.connect(database, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another worker's write transaction holds the file
        reset = threading.Thread(target=lambda: (client.post("/__docmock/reset"), finished.append("reset")))
        reset.start()
        while not reset.is_alive():
            pass
        threading.Event().wait(0.3)  # the reset is waiting for the lock by now
        assert client.get("/openapi.json").status_code == 200  # answered while the reset waits
        finished.append("openapi")
        other.execute("COMMIT")
        other.close()
        reset.join(timeout=30)
    assert finished == ["openapi", "reset"]


def test_a_stored_control_character_reads_back_as_well_formed_xml(seeds):
    import xml.etree.ElementTree as ET

    task = seeds.post("/api/v1/BatchTask", json={"Name": "tab\there, bell\x07, nul\x00"}).json()
    answer = seeds.get(f"/api/v1/BatchTask/{task}", headers={"Accept": "application/xml"})
    assert ET.fromstring(answer.content).find("Name").text == "tab\there, bell\ufffd, nul\ufffd"
    assert seeds.get(f"/api/v1/BatchTask/{task}").json()["Name"] == "tab\there, bell\x07, nul\x00"  # JSON keeps it
