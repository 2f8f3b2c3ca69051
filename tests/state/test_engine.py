"""Overlay semantics, lists and filters, patch outcomes and sessions, through StateEngine.handle."""
from __future__ import annotations

import pytest

from mockserver.state import CREATED_ID_START, GENERATE, NO_BODY, session_name

NOW = "2024-01-02T03:04:05+00:00"


def ids(rows):
    return [r.get("Id", r.get("PersonId")) for r in rows]


# -- BatchTask on the seed spec --------------------------------------------------------------------------------


def test_generated_records_are_the_base(seeds):
    first = seeds.call("v1Batch_GetBatchTaskInfo", {"id": "999"})
    again = seeds.call("v1Batch_GetBatchTaskInfo", {"id": "999"})
    assert first.status == 200 and first.value == again.value and first.value["Id"] == 999
    assert seeds.engine.snapshot()["sessions"] == {}  # reading stores nothing


def test_create_returns_the_documented_id_and_reads_back(seeds):
    out = seeds.call("v1Batch_StartBatchJob", body={"name": "nightly", "State": "New", "AssociateId": 7,
                                                    "Id": 5, "Created": "1999-01-01T00:00:00Z"})
    assert (out.status, out.value) == (200, CREATED_ID_START)  # the docs say 200 with an int32
    second = seeds.call("v1Batch_StartBatchJob", body={"Name": "other"})
    assert second.value == CREATED_ID_START + 1
    got = seeds.call("v1Batch_GetBatchTaskInfo", {"id": str(CREATED_ID_START)})
    assert got.status == 200
    record = got.value
    # The client's fields (any case) overlay a generated record; server-set fields win.
    assert record["Name"] == "nightly" and "name" not in record
    assert (record["State"], record["AssociateId"], record["Id"], record["Created"]) == ("New", 7, CREATED_ID_START, NOW)
    assert set(seeds.base("v1Batch_GetBatchTaskInfo", 1)) <= set(record)  # read back whole


def test_unknown_created_range_ids_do_not_exist(seeds):
    assert seeds.call("v1Batch_GetBatchTaskInfo", {"id": str(CREATED_ID_START + 50)}).status == 404


def test_list_by_state_filters_base_and_created(seeds):
    seeds.call("v1Batch_StartBatchJob", body={"Name": "mine", "State": "Failed"})
    rows = seeds.call("v1Batch_GetBatchTaskInfosByState", {"state": "Failed"}).value
    assert rows and all(r["State"] == "Failed" for r in rows)
    assert CREATED_ID_START in ids(rows)
    assert CREATED_ID_START not in ids(seeds.call("v1Batch_GetBatchTaskInfosByState", {"state": "New"}).value)
    # "All" is in the State enum: it matches every state.
    every = seeds.call("v1Batch_GetBatchTaskInfosByState", {"state": "All"}).value
    assert len(every) == 9 and ids(every)[-1] == CREATED_ID_START


def test_agent_list_filters_by_associates_and_state(seeds):
    op = "v1BatchAgent_GetBatchTaskInfosByAssociatesAndState"
    seeds.call("v1Batch_StartBatchJob", body={"AssociateId": 7, "State": "Started"})
    seeds.call("v1Batch_StartBatchJob", body={"AssociateId": 8, "State": "Started"})
    seeds.call("v1Batch_StartBatchJob", body={"AssociateId": 7, "State": "New"})
    rows = seeds.call(op, body={"AssociateIds": [7, 9], "State": "Started"}).value
    created = [i for i in ids(rows) if i >= CREATED_ID_START]
    assert created == [CREATED_ID_START]  # stored records are filtered
    # Generated rows are records that match the request: they take the requested values.
    assert all(r["State"] == "Started" and r["AssociateId"] in (7, 9) for r in rows)
    assert len(rows) > 1
    rows = seeds.call(op, body={"AssociateIds": [7, 8], "State": "All"}).value
    assert [i for i in ids(rows) if i >= CREATED_ID_START] == [CREATED_ID_START, CREATED_ID_START + 1,
                                                                CREATED_ID_START + 2]
    base_row = seeds.base(op, 11)
    rows = seeds.call(op, body={"AssociateIds": [base_row["AssociateId"]], "State": base_row["State"]}).value
    assert 11 in ids(rows)
    assert all(r["AssociateId"] == base_row["AssociateId"] for r in rows)


# -- BatchTask REST and agent endpoints on the corpus spec ------------------------------------------------------


def test_rest_and_agent_endpoints_share_one_store(corpus):
    created = corpus.call("v1BatchAgent_StartBatchJob", body={"BatchTaskInfo": {"Name": "by agent", "State": "New"}})
    new_id = created.value
    assert new_id == CREATED_ID_START
    rest = corpus.call("v1Batch_GetBatchTaskInfo", {"id": str(new_id)}).value
    agent = corpus.call("v1BatchAgent_GetBatchTaskInfo", body={"Id": new_id}).value
    assert rest == agent and rest["Name"] == "by agent"
    updated = corpus.call("v1BatchAgent_UpdateBatchTask",
                          body={"BatchTaskInfo": {**rest, "Name": "renamed", "State": "Started"}})
    assert updated.status == 200 and updated.value["Name"] == "renamed"
    assert corpus.call("v1Batch_GetBatchTaskInfo", {"id": str(new_id)}).value["State"] == "Started"
    # PUT /BatchTask/{Id}: capital I, string-typed path parameter.
    put = corpus.call("v1Batch_UpdateBatchTask", {"Id": str(new_id)}, body={"Name": "replaced", "Id": 1})
    assert put.status == 200
    assert put.value == {"Name": "replaced", "Id": new_id, "Created": NOW}  # PUT replaces; Created is kept
    rows = corpus.call("v1BatchAgent_GetBatchTaskInfosByNameAndAssociates",
                       body={"Name": "REPLACED", "AssociateIds": []}).value
    assert [i for i in ids(rows) if i >= CREATED_ID_START] == [new_id]
    assert all(r["Name"].lower() == "replaced" for r in rows)
    gone = corpus.call("v1BatchAgent_DeleteBatchTask", body={"BatchTaskId": new_id})
    assert (gone.status, gone.value) == (204, NO_BODY)
    assert corpus.call("v1Batch_GetBatchTaskInfo", {"id": str(new_id)}).status == 404
    assert corpus.call("v1BatchAgent_GetBatchTaskInfo", body={"Id": new_id}).status == 404
    assert corpus.call("v1BatchAgent_DeleteBatchTask", body={"BatchTaskId": new_id}).status == 404
    assert corpus.call("v1Batch_UpdateBatchTask", {"Id": str(new_id)}, body={}).status == 404


def test_changing_a_generated_record_overlays_it(corpus):
    base = corpus.call("v1Batch_GetBatchTaskInfo", {"id": "12"}).value
    changed = corpus.call("v1BatchAgent_UpdateBatchTask", body={"BatchTaskInfo": {**base, "State": "Failed"}})
    assert changed.value["State"] == "Failed"
    assert corpus.call("v1Batch_GetBatchTaskInfo", {"id": "12"}).value == changed.value
    assert corpus.call("v1Batch_GetBatchTaskInfo", {"id": "13"}).value == corpus.base("v1Batch_GetBatchTaskInfo", 13)
    rows = corpus.call("v1Batch_GetBatchTaskInfosByState", {"state": "Failed"}).value
    assert 12 in ids(rows) and next(r for r in rows if r["Id"] == 12) == changed.value


def test_delete_many_hides_records_from_lists(corpus):
    corpus.call("v1Batch_StartBatchJob", body={"Name": "keep"})
    corpus.call("v1Batch_StartBatchJob", body={"Name": "drop"})
    out = corpus.call("v1BatchAgent_DeleteBatchTasks", body={"BatchTaskIds": [11, 14, CREATED_ID_START + 1, 424242]})
    assert (out.status, out.value) == (204, NO_BODY)
    rows = corpus.call("v1BatchAgent_GetBatchTaskInfosByAssociates", body={"AssociateIds": []}).value
    assert ids(rows) == [12, 13, 15, 16, 17, 18, CREATED_ID_START]
    assert corpus.call("v1Batch_GetBatchTaskInfo", {"id": "14"}).status == 404
    assert corpus.call("v1Batch_GetBatchTaskInfo", {"id": "424242"}).status == 404


def test_odata_list_shows_created_hides_deleted_and_pages(corpus):
    corpus.call("v1Batch_StartBatchJob", body={"Name": "a"})
    corpus.call("v1BatchAgent_DeleteBatchTask", body={"BatchTaskId": 12})
    page = corpus.call("v1Batch_GetAll").value
    assert set(page) == {"odata.metadata", "odata.nextLink", "value"}
    assert ids(page["value"]) == [11, 13, CREATED_ID_START]
    assert ids(corpus.call("v1Batch_GetAll", query={"$skip": ["1"], "$top": ["1"]}).value["value"]) == [13]
    assert corpus.call("v1Batch_GetAll", query={"$top": ["0"]}).value["value"] == []


def test_bad_ids_are_not_found(corpus):
    assert corpus.call("v1Batch_UpdateBatchTask", {"Id": "abc"}, body={"Name": "x"}).status == 404
    assert corpus.call("v1BatchAgent_StartBatchJob", body={"BatchTaskInfo": "text"}).status == 400


def test_a_request_that_carries_no_id_names_record_0_as_the_real_server_binds_it(corpus):
    """Agent bodies where the contract requires no id: the server binds .NET's default, 0, and answers;
    the mock does the same instead of refusing a request the vendor's contract accepts."""
    assert corpus.call("v1BatchAgent_GetBatchTaskInfo", body={}).value["Id"] == 0
    updated = corpus.call("v1BatchAgent_UpdateBatchTask", body={"BatchTaskInfo": {"Name": "no id"}})
    assert updated.status == 200 and updated.value["Id"] == 0 and updated.value["Name"] == "no id"
    assert corpus.call("v1BatchAgent_GetBatchTaskInfo", body={}).value["Name"] == "no id"
    assert corpus.call("v1BatchAgent_DeleteBatchTask", body={}).status == 204
    gone = corpus.call("v1BatchAgent_GetBatchTaskInfo", body={})
    assert gone.status == 404 and "BatchTask 0 does not exist" in gone.problem


def test_an_integral_float_names_the_same_record(corpus):
    # 42.0 is an integer to JSON Schema, so the request validator lets it through: it must name task 42.
    created = corpus.call("v1Batch_StartBatchJob", body={"Name": "float"}).value
    assert corpus.call("v1BatchAgent_GetBatchTaskInfo", body={"Id": 42.0}).value["Id"] == 42
    assert corpus.call("v1BatchAgent_GetBatchTaskInfo", body={"Id": float(created)}).value["Name"] == "float"
    assert corpus.call("v1BatchAgent_UpdateBatchTask",
                       body={"BatchTaskInfo": {"Id": 43.0, "Name": "renamed"}}).value["Name"] == "renamed"
    assert corpus.call("v1BatchAgent_DeleteBatchTasks", body={"BatchTaskIds": [44.0]}).status == 204
    assert corpus.call("v1Batch_GetBatchTaskInfo", {"id": "44"}).status == 404
    assert corpus.call("v1BatchAgent_GetBatchTaskInfo", body={"Id": 42.5}).status == 404


# -- Person on the corpus spec ---------------------------------------------------------------------------------


def test_person_create_read_replace_delete(corpus):
    created = corpus.call("v1PersonEntity_PostPersonEntity", body={"Firstname": "Ann", "lastname": "Berg"})
    assert created.status == 200
    person = created.value  # the docs answer PersonEntityWithLinks
    pid = person["PersonId"]
    assert pid == CREATED_ID_START and person["Lastname"] == "Berg"
    assert person["CreatedDate"] == NOW == person["UpdatedDate"]
    assert corpus.call("v1PersonEntity_GetPersonEntity", {"id": str(pid)}).value == person
    put = corpus.call("v1PersonEntity_PutPersonEntity", {"id": str(pid)}, body={"Firstname": "Ann-Marie"})
    assert put.value == {"Firstname": "Ann-Marie", "PersonId": pid, "CreatedDate": NOW, "UpdatedDate": NOW}
    deleted = corpus.call("v1PersonEntity_DeletePersonEntity", {"id": str(pid)})
    assert (deleted.status, deleted.value) == (204, NO_BODY)
    assert corpus.call("v1PersonEntity_GetPersonEntity", {"id": str(pid)}).status == 404
    assert corpus.call("v1PersonEntity_DeletePersonEntity", {"id": str(pid)}).status == 404
    assert corpus.call("v1PersonEntity_PatchPersonEntity", {"id": str(pid)}, body=[]).status == 404


def test_person_json_patch_with_superoffice_paths(corpus):
    before = corpus.call("v1PersonEntity_GetPersonEntity", {"id": "42"}).value
    patch = [{"op": "test", "path": "firstname", "value": before["Firstname"]},
             {"op": "replace", "path": "FIRSTNAME", "value": "Patched"},
             {"op": "add", "path": "/middlename", "value": "Q"},
             {"op": "remove", "path": "title"}]
    out = corpus.call("v1PersonEntity_PatchPersonEntity", {"id": "42"}, body=patch,
                      content_type="application/json-patch+json")
    assert out.status == 200
    after = corpus.call("v1PersonEntity_GetPersonEntity", {"id": "42"}).value
    assert after == out.value
    assert (after["Firstname"], after["MiddleName"], after["PersonId"]) == ("Patched", "Q", 42)
    assert "Title" not in after and after["Lastname"] == before["Lastname"]
    assert after["UpdatedDate"] == NOW


def test_failed_test_op_is_409_and_changes_nothing(corpus):
    before = corpus.call("v1PersonEntity_GetPersonEntity", {"id": "7"}).value
    out = corpus.call("v1PersonEntity_PatchPersonEntity", {"id": "7"},
                      body=[{"op": "replace", "path": "/Firstname", "value": "X"},
                            {"op": "test", "path": "/Lastname", "value": "certainly not " + before["Lastname"]}],
                      content_type="application/json-patch+json")
    assert out.status == 409 and "test failed" in out.problem
    assert corpus.call("v1PersonEntity_GetPersonEntity", {"id": "7"}).value == before
    assert corpus.engine.snapshot()["sessions"] == {}


def test_malformed_and_unsupported_patches_are_400(corpus):
    for body in ([{"op": "jump", "path": "/x"}], [{"op": "move", "from": "/Firstname", "path": "/Title"}]):
        out = corpus.call("v1PersonEntity_PatchPersonEntity", {"id": "7"}, body=body,
                          content_type="application/json-patch+json")
        assert out.status == 400
    out = corpus.call("v1PersonEntity_PatchPersonEntity", {"id": "7"}, body=[{"op": "replace", "path": "/x/y",
                                                                              "value": 1}])
    assert out.status == 409


@pytest.mark.parametrize("content_type", ["application/merge-patch+json", "application/json; charset=utf-8"])
def test_person_merge_patch(corpus, content_type):
    before = corpus.call("v1PersonEntity_GetPersonEntity", {"id": "8"}).value
    out = corpus.call("v1PersonEntity_PatchPersonEntity", {"id": "8"},
                      body={"firstname": "Merged", "Title": None, "PersonId": 99}, content_type=content_type)
    assert out.status == 200
    assert out.value["Firstname"] == "Merged" and "Title" not in out.value and out.value["PersonId"] == 8
    assert out.value["Lastname"] == before["Lastname"]


def test_person_odata_list(corpus):
    corpus.call("v1PersonEntity_PostPersonEntity", body={"Firstname": "New"})
    corpus.call("v1PersonEntity_DeletePersonEntity", {"id": "11"})
    rows = corpus.call("v1PersonEntity_GetAll").value["value"]
    assert ids(rows) == [12, 13, CREATED_ID_START]
    assert rows[-1]["Firstname"] == "New"


# -- sessions --------------------------------------------------------------------------------------------------


def test_sessions_are_isolated_and_reset_individually(corpus):
    a = corpus.call("v1Batch_StartBatchJob", body={"Name": "a"}, session="alice").value
    b = corpus.call("v1Batch_StartBatchJob", body={"Name": "b"}, session="bob").value
    assert a == b == CREATED_ID_START  # each session counts its own ids
    get = lambda s: corpus.call("v1Batch_GetBatchTaskInfo", {"id": str(CREATED_ID_START)}, session=s)  # noqa: E731
    assert get("alice").value["Name"] == "a" and get("bob").value["Name"] == "b"
    assert get("default").status == 404
    corpus.call("v1BatchAgent_DeleteBatchTask", body={"BatchTaskId": 5}, session="alice")
    assert corpus.call("v1Batch_GetBatchTaskInfo", {"id": "5"}, session="bob").status == 200
    snap = corpus.engine.snapshot()
    assert set(snap["sessions"]) == {"alice", "bob"}
    assert snap["sessions"]["alice"]["BatchTask"]["deleted"] == ["5"]
    assert snap["sessions"]["alice"]["BatchTask"]["next_id"] == CREATED_ID_START + 1
    assert list(corpus.engine.snapshot("bob")["sessions"]) == ["bob"]
    corpus.engine.reset("alice")
    assert get("alice").status == 404 and get("bob").status == 200
    assert corpus.call("v1Batch_StartBatchJob", body={}, session="alice").value == CREATED_ID_START
    corpus.engine.reset()
    assert corpus.engine.snapshot()["sessions"] == {}


def test_session_names():
    assert session_name(None) == "default" and session_name("  ") == "default"
    assert session_name(" test-7 ") == "test-7" and len(session_name("x" * 1000)) == 200


def test_generate_when_the_documented_answer_is_not_a_record(corpus):
    action = corpus.engine.action_for("v1Batch_StartBatchJob")
    from dataclasses import replace

    from mockserver.state import Reply
    odd = replace(action, reply=Reply.GENERATE)
    out = corpus.engine.handle(odd, "default", {}, {}, {"Name": "x"}, "application/json",
                               lambda i: {"Id": i}, lambda: [])
    assert (out.status, out.value) == (200, GENERATE)
    assert corpus.call("v1Batch_GetBatchTaskInfo", {"id": str(CREATED_ID_START)}).value["Name"] == "x"


def test_writes_to_a_shared_sqlite_file_and_lists_leave_the_event_loop(tmp_path):
    # Reads of one record under WAL never wait for another process, and a thread hop costs more than the read.
    from mockserver.state import MemoryStore, StateEngine
    from mockserver.state.entities import Role
    from mockserver.state.store import SqliteStore

    from testdata import SEEDS
    from generator import build_spec

    spec = build_spec([SEEDS], workers=1).spec
    shared = StateEngine.from_spec(spec, SqliteStore(tmp_path / "state.sqlite3"))
    local = StateEngine.from_spec(spec, MemoryStore())
    actions = {op_id: shared.action_for(op_id) for op_id in shared.actions}
    roles = {action.role for action in actions.values()}
    assert {Role.READ, Role.LIST, Role.CREATE} <= roles
    for action in actions.values():
        # A list reads every stored record of its entity, which may be many: always in a thread.
        assert shared.blocks(action) == (action.role is not Role.READ)
        assert local.blocks(action) == (action.role is Role.LIST)
