"""Inference of entities and operation roles, and the overrides file, on the seed and corpus specs."""
from __future__ import annotations

import pytest

from mockserver.state import (OverridesError, Reply, Role, StateEngine, check_overrides, infer, load_overrides)


def roles(inference, entity: str) -> dict[str, Role]:
    return {op: a.role for op, a in inference.actions.items() if a.entity.name == entity}


def test_seed_spec_batchtask_entity(seed_spec):
    inf = infer(seed_spec)
    [task] = inf.entities
    assert (task.name, task.id_field, task.id_type) == ("BatchTask", "Id", "integer")
    assert task.carriers == ("BatchTaskInfo",)
    assert task.base_operation == "v1Batch_GetBatchTaskInfo" and task.base_param == "id"
    assert task.created_fields == ("Created",)
    assert roles(inf, "BatchTask") == {
        "v1Batch_StartBatchJob": Role.CREATE,
        "v1Batch_GetBatchTaskInfo": Role.READ,
        "v1Batch_GetBatchTaskInfosByState": Role.LIST,
        "v1BatchAgent_GetBatchTaskInfosByAssociatesAndState": Role.LIST,
    }
    create = inf.actions["v1Batch_StartBatchJob"]
    assert create.reply is Reply.ID and create.status == 200
    by_state = inf.actions["v1Batch_GetBatchTaskInfosByState"]
    assert [(f.where, f.source, f.prop, f.many) for f in by_state.filters] == [("path", "state", "State", False)]
    agent = inf.actions["v1BatchAgent_GetBatchTaskInfosByAssociatesAndState"]
    assert {(f.source, f.prop, f.many) for f in agent.filters} == {("AssociateIds", "AssociateId", True),
                                                                  ("State", "State", False)}
    assert agent.reply is Reply.LIST


def test_corpus_batchtask_rest_and_agent_roles(corpus_spec):
    inf = infer(corpus_spec)
    assert roles(inf, "BatchTask") == {
        "v1Batch_StartBatchJob": Role.CREATE,
        "v1BatchAgent_StartBatchJob": Role.CREATE,
        "v1Batch_GetBatchTaskInfo": Role.READ,
        "v1BatchAgent_GetBatchTaskInfo": Role.READ,
        "v1Batch_UpdateBatchTask": Role.REPLACE,
        "v1BatchAgent_UpdateBatchTask": Role.REPLACE,
        "v1BatchAgent_DeleteBatchTask": Role.DELETE,
        "v1BatchAgent_DeleteBatchTasks": Role.DELETE_MANY,
        "v1Batch_GetAll": Role.LIST,
        "v1Batch_GetBatchTaskInfosByState": Role.LIST,
        "v1BatchAgent_GetBatchTaskInfosByState": Role.LIST,
        "v1BatchAgent_GetBatchTaskInfosByAssociates": Role.LIST,
        "v1BatchAgent_GetBatchTaskInfosByAssociatesAndState": Role.LIST,
        "v1BatchAgent_GetBatchTaskInfosByNameAndState": Role.LIST,
        "v1BatchAgent_GetBatchTaskInfosByNameAndAssociates": Role.LIST,
    }
    a = inf.actions
    assert a["v1BatchAgent_StartBatchJob"].body_prop == "BatchTaskInfo"
    assert a["v1BatchAgent_StartBatchJob"].reply is Reply.ID
    assert a["v1BatchAgent_UpdateBatchTask"].reply is Reply.RECORD
    assert a["v1Batch_UpdateBatchTask"].id_source == ("path", "Id")  # capital I, string-typed: still the item
    assert a["v1BatchAgent_GetBatchTaskInfo"].id_source == ("body", "Id")
    assert a["v1BatchAgent_DeleteBatchTask"].id_source == ("body", "BatchTaskId")
    assert a["v1BatchAgent_DeleteBatchTask"].reply is Reply.NONE and a["v1BatchAgent_DeleteBatchTask"].status == 204
    assert a["v1BatchAgent_DeleteBatchTasks"].id_source == ("body", "BatchTaskIds")
    assert a["v1Batch_GetAll"].reply is Reply.ENVELOPE and a["v1Batch_GetAll"].paging
    # Verbs that do not store or read records stay stateless.
    assert "v1BatchAgent_StopBatchJob" not in a and "v1Batch_StopBatchJob" not in a


def test_corpus_person_entity(corpus_spec):
    inf = infer(corpus_spec)
    person = next(e for e in inf.entities if e.name == "Person")
    assert (person.id_field, person.id_type) == ("PersonId", "integer")
    assert person.carriers[0] == "PersonEntityWithLinks"
    assert person.created_fields == ("CreatedDate",) and person.updated_fields == ("UpdatedDate",)
    assert roles(inf, "Person") == {
        "v1PersonEntity_PostPersonEntity": Role.CREATE,
        "v1PersonEntity_GetPersonEntity": Role.READ,
        "v1PersonEntity_PutPersonEntity": Role.REPLACE,
        "v1PersonEntity_PatchPersonEntity": Role.PATCH,
        "v1PersonEntity_DeletePersonEntity": Role.DELETE,
        "v1PersonEntity_GetAll": Role.LIST,
    }
    # Sub-resources and literal siblings are not items of Person.
    for op in ("v1PersonEntity_DefaultPersonEntity", "v1PersonEntity_Simple", "v1PersonEntity_SaveUdefLayout",
               "v1PersonEntity_ValidatePersonEntity", "v1PersonEntity_GetConsentInfos"):
        assert op not in inf.actions
    assert {e.name for e in inf.entities} == {"BatchTask", "Person"}


def test_describe_lines(corpus_spec):
    lines = StateEngine.from_spec(corpus_spec).describe()
    assert lines[0] == "State (memory): 2 stateful entities:"
    text = "\n".join(lines)
    assert "BatchTask: id Id (integer), carriers BatchTaskInfo" in text
    assert "patch       PATCH  /api/v1/Person/{id}  v1PersonEntity_PatchPersonEntity" in text
    assert "body.AssociateIds[]->AssociateId" in text
    assert "note: UdefLayout" in text


OVERRIDES_YAML = """
entities:
  Person: false
operations:
  v1BatchAgent_GetBatchTaskInfosByState: false
  v1BatchAgent_StopBatchJob:
    entity: BatchTask
    role: read
    id: Id
  v1BatchAgent_GetBatchTaskInfosByNameAndState:
    entity: BatchTask
    role: list
    filters: {Name: Name}
"""


def test_overrides_file_corrects_inference(corpus_spec, tmp_path):
    path = tmp_path / "state.yaml"
    path.write_text(OVERRIDES_YAML)
    inf = infer(corpus_spec, load_overrides(path))
    assert [e.name for e in inf.entities] == ["BatchTask"]
    assert "v1PersonEntity_GetPersonEntity" not in inf.actions
    assert "v1BatchAgent_GetBatchTaskInfosByState" not in inf.actions
    stop = inf.actions["v1BatchAgent_StopBatchJob"]
    assert (stop.role, stop.id_source, stop.origin) == (Role.READ, ("body", "Id"), "overrides")
    by_name = inf.actions["v1BatchAgent_GetBatchTaskInfosByNameAndState"]
    assert [(f.source, f.prop) for f in by_name.filters] == [("Name", "Name")]


def test_overrides_can_declare_an_entity(corpus_spec):
    overrides = {"entities": {"Udef": {"carriers": ["UserDefinedFieldInfo"], "id": "ProgId",
                                       "base": "v1PersonEntity_GetUdefFieldInfo"}},
                 "operations": {"v1PersonEntity_GetUdefFieldInfo": {"entity": "Udef", "role": "read"},
                                "v1PersonEntity_DeleteUdefFieldInfo": {"entity": "Udef", "role": "delete"}}}
    inf = infer(corpus_spec, overrides)
    udef = next(e for e in inf.entities if e.name == "Udef")
    assert (udef.id_field, udef.id_type, udef.base_param) == ("ProgId", "string", "progidOrLabel")
    assert inf.actions["v1PersonEntity_DeleteUdefFieldInfo"].id_source == ("path", "progidOrLabel")


@pytest.mark.parametrize("data, message", [
    ({"entitys": {}}, "unknown top-level key"),
    ({"operations": {"v1Batch_GetAll": {"entity": "BatchTask", "role": "list", "colour": 1}}}, "unknown key"),
    ({"operations": {"nope": {"entity": "BatchTask", "role": "read", "id": "x"}}}, "no operation"),
    ({"operations": {"v1Batch_GetAll": {"entity": "Nobody", "role": "list"}}}, "is not an entity"),
    ({"operations": {"v1Batch_GetAll": {"entity": "BatchTask", "role": "frob"}}}, "role"),
    ({"operations": {"v1BatchAgent_StopBatchJob": {"entity": "BatchTask", "role": "delete"}}}, "needs the path"),
    ({"entities": {"X": {"carriers": ["NoSuchSchema"]}}}, "not in components.schemas"),
    ({"entities": {"X": {"carriers": ["BatchTaskInfo"], "id": "Nope"}}}, "not a property"),
])
def test_bad_overrides_are_reported(corpus_spec, data, message):
    with pytest.raises(OverridesError, match=message):
        infer(corpus_spec, check_overrides(data))


def test_unreadable_overrides_file(tmp_path):
    with pytest.raises(OverridesError, match="cannot read"):
        load_overrides(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("entities: [1, 2")
    with pytest.raises(OverridesError, match="not valid YAML"):
        load_overrides(bad)
