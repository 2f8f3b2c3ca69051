"""Answers a client built against the real API believes, over HTTP: codes from the docs' own samples where the
pages type an enum as `string`, the requested id echoed (path, query, a sub-resource's carrier), XML and form
bodies that create records which read back, and `Remove` verbs that delete only what their name says."""
from __future__ import annotations

import copy
from typing import Any

import pytest
from starlette.testclient import TestClient

from mockserver import create_app
from mockserver.state import infer

AUTH = {"Authorization": "Basic dXNlcjpwYXNz"}


@pytest.fixture()
def corpus(corpus_spec):
    return TestClient(create_app(corpus_spec, state="memory"), headers=AUTH)


@pytest.fixture()
def seeds(seeds_spec):
    return TestClient(create_app(seeds_spec, state="memory"), headers=AUTH)


def _walk(value: Any, key: str) -> list[Any]:
    """Every value of `key` anywhere in `value`."""
    found = []
    if isinstance(value, dict):
        for k, v in value.items():
            if k == key and not isinstance(v, (dict, list)):
                found.append(v)
            found.extend(_walk(v, key))
    elif isinstance(value, list):
        for v in value:
            found.extend(_walk(v, key))
    return found


# -- codes the samples show ----------------------------------------------------------------------------------


def test_string_codes_come_from_the_docs_samples_not_from_a_word_list(corpus) -> None:
    people = [corpus.get(f"/api/v1/Person/{n}").json() for n in range(1, 30)]
    # Associate.Type and UserInfo.UserType: the corpus samples show AnonymousAssociate, the vendor's enum has it.
    types = {p[k]["Type"] for p in people for k in ("Associate", "CreatedBy", "UpdatedBy") if p.get(k)}
    user_types = {p["UserInfo"]["UserType"] for p in people if p.get("UserInfo")}
    assert types == user_types == {"AnonymousAssociate"}, (types, user_types)
    # Where the samples hold lower-case filler (`"Type": "natus"` of an interest), words stay words.
    assert any(t != "AnonymousAssociate" for p in people for t in _walk(p.get("Interests"), "Type"))
    layout = corpus.get("/api/v1/Person/UdefLayout").json()
    assert set(_walk(layout, "Justification")) == {"Center"}
    # UserDefinedFieldInfo.FieldType shows Checkbox; the FieldProperty of a field's TableRight the .NET types.
    assert set(_walk(layout, "FieldType")) == {"Checkbox", "System.String", "System.Int32"}


def test_a_property_the_samples_show_only_as_filler_keeps_realistic_words(corpus) -> None:
    # Names and sentences keep their own pools: a sample's `"Firstname": "Kaylee"` is no code list.
    names = {p["Firstname"] for n in range(1, 20) if (p := corpus.get(f"/api/v1/Person/{n}").json()).get("Firstname")}
    assert len(names) > 5


# -- the requested id, echoed --------------------------------------------------------------------------------


def test_a_sub_resource_carries_the_resources_id_one_level_down(corpus) -> None:
    for n in (5, 7, 123):
        summary = corpus.get(f"/api/v1/Person/{n}/Summary").json()
        assert summary["Person"]["PersonId"] == n
    assert corpus.get("/api/v1/Person/5/Simple").json()["PersonId"] == 5
    # The nested carrier is one of the values the generator shares between answers: echoing must not change it.
    assert corpus.get("/api/v1/Person/5/Summary").json()["Person"]["PersonId"] == 5


def _with_query_id_read(spec: dict[str, Any], agent: str, carrier: str) -> dict[str, Any]:
    """`spec`, plus the agent read `Get<carrier>` that takes its id in the query, as GetContactEntity does."""
    spec = copy.deepcopy(spec)
    param = carrier[:1].lower() + carrier[1:] + "Id"
    spec["paths"][f"/api/v1/Agents/{agent}/Get{carrier}"] = {"post": {
        "operationId": f"v1{agent}Agent_Get{carrier}",
        "parameters": [{"name": param, "in": "query", "schema": {"type": "integer", "format": "int32"}}],
        "responses": {"200": {"description": "OK", "content": {"application/json": {
            "schema": {"$ref": f"#/components/schemas/{carrier}"}}}}}}}
    return spec


def test_an_agent_read_with_the_id_in_the_query_answers_that_id(corpus_spec) -> None:
    spec = _with_query_id_read(corpus_spec, "Contact", "ContactEntity")
    spec["components"]["schemas"]["ContactEntity"] = {
        "type": "object", "properties": {"ContactId": {"type": "integer", "format": "int32"},
                                         "Name": {"type": "string"}}}
    client = TestClient(create_app(spec), headers=AUTH)
    for n in (1000001, 42):
        assert client.post(f"/api/v1/Agents/Contact/GetContactEntity?contactEntityId={n}").json()["ContactId"] == n
    # Any case, as the server binds query names.
    assert client.post("/api/v1/Agents/Contact/GetContactEntity?ContactEntityID=9").json()["ContactId"] == 9


# -- XML and form bodies ------------------------------------------------------------------------------------


def test_an_xml_create_reads_back(seeds) -> None:
    created = seeds.post("/api/v1/BatchTask", content=b"<BatchTaskInfo><Name>Nightly export</Name>"
                                                     b"<AssociateId>7</AssociateId></BatchTaskInfo>",
                         headers={"Content-Type": "application/xml", "Accept": "application/json"})
    assert created.status_code == 200, created.text
    task = seeds.get(f"/api/v1/BatchTask/{created.json()}").json()
    assert (task["Id"], task["Name"], task["AssociateId"]) == (created.json(), "Nightly export", 7)


def test_a_form_create_reads_back(seeds) -> None:
    created = seeds.post("/api/v1/BatchTask", content=b"Name=Form+task&AssociateId=9&IsSystemTask=true",
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert created.status_code == 200, created.text
    task = seeds.get(f"/api/v1/BatchTask/{created.json()}").json()
    assert (task["Name"], task["AssociateId"], task["IsSystemTask"]) == ("Form task", 9, True)


def test_xml_text_that_does_not_type_is_accepted_but_not_remembered(seeds) -> None:
    before = seeds.get("/api/v1/BatchTask", headers={"Accept": "application/json"}).json()
    answer = seeds.post("/api/v1/BatchTask", content=b"<BatchTaskInfo><AssociateId>seven</AssociateId></BatchTaskInfo>",
                        headers={"Content-Type": "application/xml", "Accept": "application/json"})
    assert answer.status_code == 200
    assert seeds.get("/api/v1/BatchTask", headers={"Accept": "application/json"}).json() == before


def test_xml_text_under_a_property_the_docs_never_describe_is_read_as_a_json_literal(corpus) -> None:
    body = (b"<PersonEntity><Firstname>Ada</Firstname><Category><Id>3</Id><Deleted>true</Deleted>"
            b"<Rank>2.5</Rank><Code>007a</Code><Extra/></Category></PersonEntity>")
    created = corpus.post("/api/v1/Person", content=body, headers={"Content-Type": "application/xml"}).json()
    person = corpus.get(f"/api/v1/Person/{created['PersonId']}").json()
    assert person["Firstname"] == "Ada"
    # An empty element nothing describes may be "", null, {} or []: it is left out rather than guessed.
    assert person["Category"] == {"Id": 3, "Deleted": True, "Rank": 2.5, "Code": "007a"}


def test_an_empty_form_field_nothing_describes_is_left_out(corpus) -> None:
    created = corpus.post("/api/v1/Person", content=b"Firstname=Ada&Category%5BId%5D=3&Category%5BExtra%5D=",
                          headers={"Content-Type": "application/x-www-form-urlencoded"}).json()
    person = corpus.get(f"/api/v1/Person/{created['PersonId']}").json()
    assert person["Firstname"] == "Ada" and person["Category"]["Id"] == 3 and "Extra" not in person["Category"]


# -- Remove verbs ---------------------------------------------------------------------------------------------


def _with_remove_owner_contact(spec: dict[str, Any]) -> dict[str, Any]:
    """The corpus, plus `RemoveOwnerContact {PersonId}`: it unlinks, and deletes no person."""
    spec = copy.deepcopy(spec)
    body = {"type": "object", "properties": {"PersonId": {"type": "integer", "format": "int32"}}}
    for name in ("RemoveOwnerContact", "RemovePerson"):
        spec["paths"][f"/api/v1/Agents/User/{name}"] = {"post": {
            "operationId": f"v1UserAgent_{name}",
            "requestBody": {"content": {"application/json": {"schema": body}}},
            "responses": {"204": {"description": "No Content"}}}}
    return spec


def test_a_remove_verb_deletes_only_the_entity_its_name_says(corpus_spec) -> None:
    spec = _with_remove_owner_contact(corpus_spec)
    actions = infer(spec).actions
    assert "v1UserAgent_RemoveOwnerContact" not in actions
    assert actions["v1UserAgent_RemovePerson"].role.value == "delete"
    client = TestClient(create_app(spec, state="memory"), headers=AUTH)
    assert client.post("/api/v1/Agents/User/RemoveOwnerContact", json={"PersonId": 5}).status_code == 204
    assert client.get("/api/v1/Person/5").status_code == 200
    assert client.post("/api/v1/Agents/User/RemovePerson", json={"PersonId": 5}).status_code == 204
    assert client.get("/api/v1/Person/5").status_code == 404


# -- binary answers --------------------------------------------------------------------------------------------


def test_a_stream_answers_the_media_type_its_sample_shows_by_default(corpus) -> None:
    answer = corpus.post("/api/v1/Agents/BLOB/GetBlobStream", json={"BlobEntityId": 1})
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/octet-stream"
    jpeg = corpus.post("/api/v1/Agents/BLOB/GetBlobStream", json={"BlobEntityId": 1}, headers={"Accept": "image/jpeg"})
    assert jpeg.headers["content-type"] == "image/jpeg"


# -- records clients write -----------------------------------------------------------------------------------


def test_the_full_name_follows_the_names_a_client_writes(corpus) -> None:
    created = corpus.post("/api/v1/Person", json={"Firstname": "Ada", "Lastname": "Lovelace"}).json()
    path = f"/api/v1/Person/{created['PersonId']}"
    assert corpus.get(path).json()["FullName"] == "Ada Lovelace"
    corpus.patch(path, json=[{"op": "replace", "path": "/Lastname", "value": "Byron"}],
                 headers={"Content-Type": "application/json-patch+json"})
    assert corpus.get(path).json()["FullName"] == "Ada Byron"
    # A full name the client sends is the client's.
    own = corpus.post("/api/v1/Person", json={"Firstname": "Ada", "Lastname": "Lovelace", "FullName": "Countess"})
    assert corpus.get(f"/api/v1/Person/{own.json()['PersonId']}").json()["FullName"] == "Countess"


def test_an_agent_read_by_a_query_id_reads_the_stored_record(corpus_spec) -> None:
    spec = _with_query_id_read(corpus_spec, "Person", "PersonEntity")
    assert infer(spec).actions["v1PersonAgent_GetPersonEntity"].id_source == ("query", "personEntityId")
    client = TestClient(create_app(spec, state="memory"), headers=AUTH)
    created = client.post("/api/v1/Person", json={"Firstname": "Ada", "Lastname": "Lovelace"}).json()
    read = client.post(f"/api/v1/Agents/Person/GetPersonEntity?PersonEntityId={created['PersonId']}").json()
    assert (read["PersonId"], read["Firstname"]) == (created["PersonId"], "Ada")
    assert client.post("/api/v1/Agents/Person/GetPersonEntity?personEntityId=77").json()["PersonId"] == 77
    client.delete(f"/api/v1/Person/{created['PersonId']}")
    gone = client.post(f"/api/v1/Agents/Person/GetPersonEntity?personEntityId={created['PersonId']}")
    assert gone.status_code == 404


def test_echoing_into_a_nested_carrier_copies_it(corpus_spec) -> None:
    """The nested carrier may be one of the values the generator shares between answers: the echo writes a copy."""
    from mockserver.responses import fill_ids

    app = create_app(corpus_spec)
    endpoint = app.operations.by_id["v1PersonEntity_GetPersonSummary"]
    plan = app.operations.compiled(endpoint).success
    [fill] = [f for f in plan.id_fill if f.within]
    assert (fill.location, fill.param, fill.within, fill.prop) == ("path", "personId", ("Person",), "PersonId")
    shared = {"PersonId": 1, "Firstname": "Ada"}
    answer = fill_ids({"Person": shared}, plan, {"personId": "5"})
    assert answer["Person"] == {"PersonId": 5, "Firstname": "Ada"} and shared == {"PersonId": 1, "Firstname": "Ada"}
    # The value the request check judged is the one echoed: the last of a repeated query parameter.
    assert fill_ids({"Person": shared}, plan, {"personId": "x"})["Person"]["PersonId"] == 1
