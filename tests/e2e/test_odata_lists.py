"""OData lists over HTTP on the corpus: `$filter` with every documented operator, `$select`, `$orderBy`, paging
with `odata.nextLink`, `$format`, `$jsonSafe`, and the state's records as rows."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import jsonschema
import pytest
from starlette.testclient import TestClient

from mockserver import create_app
from mockserver.odata import DEFAULT_PAGE_SIZE
from mockserver.odata.filter import OPERATORS, Arity, parse_filter
from mockserver.odata.predicates import as_date, matches

AUTH = {"Authorization": "Basic dXNlcjpwYXNz"}
SALES = "/api/v1/Sale"


@pytest.fixture()
def corpus(corpus_spec):
    return TestClient(create_app(corpus_spec, state="memory"), headers=AUTH)


def _rows(client: TestClient, path: str, headers: dict[str, str] | None = None, **params: str) -> list[dict]:
    answer = client.get(path, params=params, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()["value"]


def _everything(client: TestClient, path: str, **params: str) -> list[dict]:
    """Every row of a list, page by page, following `odata.nextLink` to the end."""
    rows: list[dict] = []
    answer = client.get(path, params=params).json()
    while True:
        rows += answer["value"]
        link = answer.get("odata.nextLink")
        if link is None:
            return rows
        parts = urlsplit(link)
        assert parts.path == path
        answer = client.get(f"{parts.path}?{parts.query}").json()


def test_rows_are_flat_archive_rows_with_the_samples_columns(corpus, corpus_spec) -> None:
    answer = corpus.get(SALES)
    body = answer.json()
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/json")
    assert body["odata.metadata"] == "http://testserver/api/v1/archive$metadata"
    assert len(body["value"]) == DEFAULT_PAGE_SIZE and "odata.nextLink" in body
    for row in body["value"]:
        assert list(row) == ["PrimaryKey", "EntityName", "saleId", "contactId", "name"]
        assert row["EntityName"] == "sale" and row["PrimaryKey"] == row["saleId"] and 1 <= row["saleId"] <= 99_999
        assert isinstance(row["contactId"], int) and isinstance(row["name"], str) and row["name"]
    schema = {**corpus_spec["paths"][SALES]["get"]["responses"]["200"]["content"]["application/json"]["schema"],
              "components": corpus_spec["components"]}
    jsonschema.validate(body, {"$ref": schema["$ref"], "components": corpus_spec["components"]})
    # Another entity's list is its own: the docs reuse the sale sample, the rows are persons.
    person = _rows(corpus, "/api/v1/Person", **{"$top": "1"})[0]
    assert person["EntityName"] == "person" and person["personId"] == person["PrimaryKey"]


def _filter_for(name: str) -> str:
    op = OPERATORS[name.lower()]
    if op.arity is Arity.UNARY:
        return f"registered {name}" if name.lower() != "currentassociate" else "associateId currentAssociate"
    if name.lower() in ("before", "after", "date"):
        return f"registered {name} '2025-06-01'"
    if name.lower() == "datebetween":
        return f"registered {name} ('2025-01-01', '2025-03-31')"
    if op.arity is Arity.TWO:
        return f"contactId {name} (100, 900)"
    if op.arity is Arity.MANY:
        return f"category/id {name} (3, 4)"
    if name.lower() in ("contains", "notcontains", "begins", "notbegins", "is", "isnot"):
        return f"name {name} 'Gr'"
    return f"contactId {name} 500"


@pytest.mark.parametrize("name", sorted(OPERATORS))
def test_each_documented_operator_gives_rows_that_meet_it(corpus, name: str) -> None:
    text = _filter_for(name)
    rows = _rows(corpus, SALES, **{"$filter": text, "$select": "name,contactId,registered,category/id,associateId",
                                   "$top": "1000"})
    assert len(rows) >= 20, text  # the generated rows are made to meet the filter, not only filtered
    tree = parse_filter(text)
    today = datetime.now(timezone.utc).date()
    assert all(matches(tree, row, today) for row in rows), text


def test_conditions_hold_as_a_client_would_check_them(corpus) -> None:
    rows = _rows(corpus, SALES, **{"$filter": "name begins 'S' and contactId gt 100 and registered thisWeek",
                                   "$select": "name,contactId,registered", "$top": "1000"})
    today = datetime.now(timezone.utc).date()
    monday = today - timedelta(days=today.weekday())
    assert rows and all(r["name"].lower().startswith("s") and r["contactId"] > 100 and
                        monday <= as_date(r["registered"]) < monday + timedelta(days=7) for r in rows)
    either = _rows(corpus, SALES, **{"$filter": "(startswith(name, 'Kon') or substringof('Group', name)) and "
                                                "not contactId le 5000", "$top": "1000"})
    assert either and all((r["name"].startswith("Kon") or "group" in r["name"].lower()) and r["contactId"] > 5000
                          for r in either)
    assert any(r["name"].startswith("Kon") for r in either) and any("group" in r["name"].lower() for r in either)
    pinned = _rows(corpus, SALES, **{"$filter": "saleId oneOf (5, 77, 5)"})
    assert [r["saleId"] for r in pinned] == [5, 77]
    assert _rows(corpus, SALES, **{"$filter": "contactId gt 10 and contactId lt 5"}) == []


@pytest.mark.parametrize("text, column", [
    ("name begins", 12), ("(name eq 'a'", 13), ("name zz 1", 6), ("saleId between (1)", 8),
    ("this(registered, fortnight)", 18), ("name eq 'a' and", 16),
])
def test_a_malformed_filter_is_a_400_that_points_at_the_column(corpus, text: str, column: int) -> None:
    answer = corpus.get(SALES, params={"$filter": text, "$orderBy": "name up"})
    assert answer.status_code == 400 and answer.headers["content-type"] == "application/problem+json"
    errors = answer.json()["errors"]
    assert [e["location"] for e in errors] == ["query.$filter", "query.$orderBy"]
    assert errors[0]["message"].startswith(f"column {column}: ") and text in errors[0]["message"]
    assert "'name up' is not 'column', 'column asc' or 'column desc'" in errors[1]["message"]


def test_select_gives_exactly_those_columns_including_nested_ones(corpus) -> None:
    rows = _rows(corpus, SALES, **{"$select": "name,department,category/id,registered,amount,probability"})
    assert all(list(r) == ["PrimaryKey", "EntityName", "name", "department", "category/id", "registered", "amount",
                           "probability"] for r in rows)
    assert all(isinstance(r["category/id"], int) and as_date(r["registered"]) is not None and
               isinstance(r["amount"], float) and 0 <= r["probability"] <= 100 for r in rows)
    safe = _rows(corpus, SALES, **{"$select": "name,category/id", "$jsonSafe": "true"})
    assert list(safe[0]) == ["PrimaryKey", "EntityName", "name", "category_id"]
    assert [r["category_id"] for r in safe] == [r["category/id"] for r in rows]
    # A row's values do not depend on which other columns are asked for.
    assert [r["name"] for r in _rows(corpus, SALES, **{"$select": "name"})] == [r["name"] for r in rows]


def test_order_by_sorts_on_several_columns_and_keeps_ties_in_id_order(corpus) -> None:
    rows = _rows(corpus, SALES, **{"$orderby": "category asc,name desc", "$select": "category,name", "$top": "500"})
    keys = [(r["category"].casefold(), r["name"].casefold()) for r in rows]
    for (c1, n1), (c2, n2) in zip(keys, keys[1:]):
        assert c1 < c2 or (c1 == c2 and n1 >= n2)
    by_contact = _rows(corpus, SALES, **{"$orderBy": "contactId desc", "$select": "contactId", "$top": "500"})
    assert [r["contactId"] for r in by_contact] == sorted((r["contactId"] for r in by_contact), reverse=True)
    ties = _rows(corpus, SALES, **{"$orderBy": "done", "$select": "done", "$top": "500"})
    for flag in (False, True):
        ids = [r["PrimaryKey"] for r in ties if r["done"] is flag]
        assert ids == sorted(ids)


def test_paging_with_next_links_yields_every_row_once(corpus) -> None:
    everything = _rows(corpus, SALES, **{"$top": "10000"})
    assert 40 <= len(everything) <= 160
    paged = _everything(corpus, SALES, **{"$top": "7", "$filter": "contactId gt 0"})
    assert [r["PrimaryKey"] for r in paged] == [r["PrimaryKey"] for r in everything]
    assert len({r["PrimaryKey"] for r in paged}) == len(paged)
    assert _everything(corpus, SALES) == everything  # the default page size, to the end
    skipped = _rows(corpus, SALES, **{"$skip": "10", "$top": "5"})
    assert skipped == everything[10:15]
    assert corpus.get(SALES, params={"$top": "-1"}).json()["value"] == everything[:DEFAULT_PAGE_SIZE]
    assert corpus.get(SALES, params={"$top": "x"}).status_code == 400


def test_the_same_request_gives_the_same_bytes_and_another_seed_other_rows(corpus, corpus_spec) -> None:
    params = {"$filter": "name contains 'a'", "$orderBy": "name", "$top": "20"}
    first = corpus.get(SALES, params=params).content
    again = TestClient(create_app(corpus_spec, state="memory"), headers=AUTH).get(SALES, params=params).content
    other = TestClient(create_app(corpus_spec, state="memory", seed=3), headers=AUTH).get(SALES, params=params)
    assert first == again and other.content != first


def test_format_overrides_accept(corpus) -> None:
    xml = corpus.get(SALES, params={"$format": "XML", "$top": "2", "$select": "name,category/id"},
                     headers={"Accept": "application/json"})
    assert xml.status_code == 200 and xml.headers["content-type"].startswith("application/xml")
    assert xml.text.count("<PrimaryKey>") == 2 and "<odata.nextLink>" in xml.text
    as_json = corpus.get(SALES, params={"$format": "json", "$top": "2"}, headers={"Accept": "application/xml"})
    assert as_json.headers["content-type"].startswith("application/json") and len(as_json.json()["value"]) == 2
    unknown = corpus.get(SALES, params={"$format": "atom", "$top": "1"}, headers={"Accept": "text/xml"})
    assert unknown.headers["content-type"].startswith("text/xml")  # a value it does not know leaves Accept


def test_a_list_under_a_parent_shows_the_parents_id(corpus) -> None:
    rows = _rows(corpus, "/api/v1/Person/42/Sales", **{"$select": "personId,name"})
    assert rows and all(r["personId"] == 42 and r["EntityName"] == "sale" for r in rows)


def test_records_written_through_the_entity_appear_as_rows_and_obey_the_query(corpus) -> None:
    session = {"X-Mock-Session": "odata"}
    created = [corpus.post("/api/v1/Person", json={"Firstname": name, "Lastname": "Zeta"}, headers=session)
               .json()["PersonId"] for name in ("Ada", "Bea", "Cy")]
    query = {"$filter": "lastname eq 'Zeta'", "$select": "firstname,lastname", "$orderBy": "firstname desc",
             "$top": "1000"}
    rows = corpus.get("/api/v1/Person", params=query, headers=session).json()["value"]
    stored = [r for r in rows if r["PrimaryKey"] >= 1_000_001]
    assert [(r["PrimaryKey"], r["firstname"]) for r in stored] == list(zip(reversed(created), ["Cy", "Bea", "Ada"]))
    merge = {"Content-Type": "application/merge-patch+json"}
    assert corpus.patch(f"/api/v1/Person/{created[0]}", json={"Lastname": "Alpha"},
                        headers={**session, **merge}).status_code == 200
    corpus.delete(f"/api/v1/Person/{created[1]}", headers=session)
    after = corpus.get("/api/v1/Person", params=query, headers=session).json()["value"]
    assert [r["PrimaryKey"] for r in after if r["PrimaryKey"] >= 1_000_001] == [created[2]]
    # A generated person that is deleted leaves the list; one that is changed shows the change.
    first = _rows(corpus, "/api/v1/Person", **{"$top": "2", "$select": "firstname"})
    corpus.delete(f"/api/v1/Person/{first[0]['PrimaryKey']}")
    corpus.patch(f"/api/v1/Person/{first[1]['PrimaryKey']}", json={"Firstname": "Changed"}, headers=merge)
    now = _rows(corpus, "/api/v1/Person", **{"$top": "1", "$select": "firstname"})
    assert now == [{**first[1], "firstname": "Changed"}]
    # Other sessions see none of it.
    assert all(r["PrimaryKey"] < 1_000_001 for r in _everything(corpus, "/api/v1/Person"))


def test_a_list_row_agrees_with_the_record_it_lists(corpus) -> None:
    rows = _rows(corpus, "/api/v1/BatchTask", **{"$select": "name,state,associateId", "$top": "5"})
    for row in rows:
        record = corpus.get(f"/api/v1/BatchTask/{row['PrimaryKey']}").json()
        assert (row["name"], row["state"], row["associateId"]) == (record["Name"], record["State"],
                                                                   record["AssociateId"])
    started = _rows(corpus, "/api/v1/BatchTask", **{"$filter": "state eq 'Started'", "$select": "state"})
    assert started and {r["state"] for r in started} == {"Started"}


def test_prefer_code_and_example_still_answer_the_documented_response(corpus) -> None:
    sample = corpus.get(SALES, headers={"Prefer": "example=sample"}).json()
    assert sample["value"][0]["name"] == "Weissnat, McKenzie and Mante"
    assert corpus.get(SALES, params={"$filter": "bad bad"}, headers={"Prefer": "example=sample"}).status_code == 200


@pytest.mark.parametrize("text", [
    "saleId eq " + "9" * 29, "amount eq '" + "9" * 5000 + "'", "saleId eq '" + "9" * 5000 + "'",
    "registered after '9999-12-31'", "registered before '0001-01-01'", "registered gt '9999-12-31'",
    "registered lt '0001-01-01'", "next(registered, 1000, year)", "previous(registered, 1000, year)",
    "amount gt 1e308", "registered dateBetween ('9999-12-31', '0001-01-01')",
])
def test_extreme_values_in_a_filter_list_nothing_rather_than_fail(corpus, text: str) -> None:
    answer = corpus.get(SALES, params={"$filter": text, "$select": "amount,registered", "$top": "500"})
    assert answer.status_code == 200, answer.text
    tree = parse_filter(text)
    today = datetime.now(timezone.utc).date()
    assert all(matches(tree, row, today) for row in answer.json()["value"])  # no row that does not meet it


@pytest.mark.parametrize("params, location, words", [
    ({"$filter": "saleId eq " + "9" * 40}, "query.$filter", "column 11: a number of more than 30 characters"),
    ({"$filter": " and ".join(f"c{i} eq 1" for i in range(33))}, "query.$filter", "more than 32 conditions"),
    ({"$filter": f"name oneOf ({', '.join(map(str, range(101)))})"}, "query.$filter",
     "more than 100 values in one list"),
    ({"$filter": "next(registered, 5000, day)"}, "query.$filter", "a whole number from 0 to 1000"),
    ({"$select": ",".join(f"c{i}" for i in range(101))}, "query.$select", "more than 100 columns"),
    ({"$select": "a\x01b"}, "query.$select", "is not a column name"),
    ({"$orderBy": "name asc desc"}, "query.$orderBy", "is not 'column', 'column asc' or 'column desc'"),
])
def test_queries_past_the_limits_are_refused_with_where(corpus, params: dict, location: str, words: str) -> None:
    answer = corpus.get(SALES, params=params)
    assert answer.status_code == 400, answer.text
    error = answer.json()["errors"][0]
    assert error["location"] == location and words in error["message"]


def test_a_column_is_one_column_however_it_is_spelled(corpus) -> None:
    rows = _rows(corpus, SALES, **{"$filter": "Name begins 'S'", "$orderBy": "NAME desc", "$select": "name",
                                   "$top": "500"})
    assert rows and all(list(r) == ["PrimaryKey", "EntityName", "name"] and r["name"][0] in "sS" for r in rows)
    assert [r["name"].casefold() for r in rows] == sorted((r["name"].casefold() for r in rows), reverse=True)
    dotted = _rows(corpus, SALES, **{"$filter": "category/id eq 3", "$select": "category.id"})
    assert dotted and all(r["category.id"] == 3 for r in dotted)


def test_bounds_and_negations_are_met_together(corpus) -> None:
    def count(text: str) -> list[dict]:
        rows = _rows(corpus, SALES, **{"$filter": text, "$select": "name,amount,registered", "$top": "500"})
        tree, today = parse_filter(text), datetime.now(timezone.utc).date()
        assert all(matches(tree, row, today) for row in rows), text
        return rows

    everything = len(_rows(corpus, SALES, **{"$top": "500"}))
    for text in ("amount ge 100 and amount le 200", "amount gt 5 and amount lt 6",
                 "registered after '2024-01-01' and registered before '2024-02-01'",
                 "not (name ne 'Bob')", "not (amount lt 1000000)", "not (name begins 'A' or name begins 'B')"):
        assert len(count(text)) == everything, text
    assert {r["name"] for r in count("not (name ne 'Bob')")} == {"Bob"}
    assert [r["saleId"] for r in _rows(corpus, SALES, **{"$filter": "saleId eq 6 or saleId eq 5"})] == [5, 6]
    assert [r["saleId"] for r in _rows(corpus, SALES, **{"$filter": "saleId eq 5.0"})] == [5]


def test_every_list_dates_by_the_sessions_clock(corpus) -> None:
    session = {"X-Mock-Session": "later"}
    corpus.post("/__docmock/clock", params={"session": "later", "advance": "72h"})
    rows = corpus.get(SALES, params={"$filter": "registered today", "$select": "registered"}, headers=session)
    later = datetime.now(timezone.utc).date() + timedelta(days=3)
    assert {as_date(r["registered"]) for r in rows.json()["value"]} == {later}


def test_xml_holds_only_characters_xml_can_hold(corpus) -> None:
    import xml.etree.ElementTree as ET

    answer = corpus.get(SALES, params={"$filter": "name eq 'a\x01b'", "$select": "name", "$format": "xml",
                                       "$top": "2"})
    root = ET.fromstring(answer.content)  # well-formed
    assert [e.text for e in root.iter("name")] == ["a\ufffdb", "a\ufffdb"]


def test_an_id_in_the_path_is_its_number(corpus) -> None:
    assert _rows(corpus, "/api/v1/Person/0042/Sales") == _rows(corpus, "/api/v1/Person/42/Sales")


def test_a_filter_never_changes_a_rows_id(corpus) -> None:
    def ids(text: str) -> list[int]:
        rows = _rows(corpus, SALES, **{"$filter": text, "$select": "saleId,name", "$top": "500"})
        assert all(r["saleId"] == r["PrimaryKey"] for r in rows), text
        return [r["saleId"] for r in rows]

    assert ids("saleId ge 5 and saleId le 7") == ids("PrimaryKey ge 5 and PrimaryKey le 7") == [5, 6, 7]
    assert ids("saleId between (5, 7)") == [5, 6, 7]
    assert ids("saleId lt 10 and saleId gt 0") == list(range(1, 10))
    either = _rows(corpus, SALES, **{"$filter": "saleId eq 5 or name eq 'x'", "$select": "saleId,name",
                                     "$top": "500"})
    assert len(either) > 20 and all(r["saleId"] == 5 or r["name"] == "x" for r in either)


@pytest.mark.parametrize("path, text, shown", [
    ("/api/v1/BatchTask", "state eq 'Bogus'", None), ("/api/v1/BatchTask", "state eq 'started'", "Started"),
    ("/api/v1/BatchTask", "isSystemTask eq 'maybe'", None), (SALES, "registered eq 'abc'", None),
    (SALES, "registered eq '9999-12-31T23:59:59-01:00'", None), (SALES, "probability eq 1e20", None),
    (SALES, "name between (-1e300, 1e300)", None), (SALES, "amount eq 'nan'", None),
])
def test_a_value_the_column_cannot_hold_lists_nothing(corpus, path: str, text: str, shown: str | None) -> None:
    column = parse_filter(text).column
    rows = _rows(corpus, path, **{"$filter": text, "$select": column, "$top": "500"})
    assert {r[column] for r in rows} == ({shown} if shown else set()), text


def test_the_same_filter_however_written_gives_the_same_rows(corpus) -> None:
    assert _rows(corpus, SALES, **{"$filter": "Name begins 'S'", "$select": "name"}) == \
        _rows(corpus, SALES, **{"$filter": "name  begins 's'", "$select": "name"})
    assert corpus.get(SALES, params={"$filter": f"a oneOf ({', '.join(map(str, range(100)))}) or "
                                                f"b oneOf ({', '.join(map(str, range(101, 202)))})"}).status_code == 400


def test_column_names_xml_cannot_hold_are_written_as_keys(corpus) -> None:
    import xml.etree.ElementTree as ET

    answer = corpus.get(SALES, params={"$select": "a²,aⅠ,Størrelse", "$format": "xml", "$top": "1"})
    item = ET.fromstring(answer.content).find("value/item")
    assert [child.tag for child in item][2:] == ["item", "item", "Størrelse"]
    assert [item[2].get("key"), item[3].get("key")] == ["a²", "aⅠ"]


def test_prefer_dynamic_draws_fresh_rows_and_stored_records_keep_their_data(corpus) -> None:
    dynamic = {"Prefer": "dynamic=true"}
    params = {"$select": "name,amount", "$top": "5"}
    first, second = (corpus.get(SALES, params=params, headers=dynamic).json()["value"] for _ in range(2))
    assert first != second and first != _rows(corpus, SALES, **params)
    person = corpus.post("/api/v1/Person", json={"Firstname": "Ada"}).json()["PersonId"]
    query = {"$filter": f"personId eq {person}", "$select": "firstname"}
    assert corpus.get("/api/v1/Person", params=query, headers=dynamic).json()["value"][0]["firstname"] == "Ada"


def test_the_next_link_keeps_the_request_as_the_client_wrote_it(corpus) -> None:
    answer = corpus.get(f"{SALES}?%24Top=2&%24filter=name%20ne%20%27%E9%27&$SKIP=4").json()
    assert answer["odata.nextLink"].endswith("/api/v1/Sale?%24Top=2&%24filter=name%20ne%20%27%E9%27&$skip=6")


@pytest.fixture(params=["memory", "sqlite"])
def stateful(request, corpus_spec, tmp_path):
    option = "memory" if request.param == "memory" else f"sqlite:{tmp_path / 'state.db'}"
    return TestClient(create_app(corpus_spec, state=option, answer_cache_mb=0), headers=AUTH)


def test_a_page_in_id_order_is_the_page_of_every_row(stateful) -> None:
    """A list in id order is paged from the stored keys (reading only the records on the page); a sorted list
    reads every row. Sorted by id, both must give the same pages, whatever was written, deleted or changed."""
    merge = {"Content-Type": "application/merge-patch+json"}
    generated = [r["PrimaryKey"] for r in _rows(stateful, "/api/v1/Person", **{"$top": "1000"})]
    created = [stateful.post("/api/v1/Person", json={"Firstname": f"N{i}"}).json()["PersonId"] for i in range(25)]
    for ident in generated[::7]:
        stateful.delete(f"/api/v1/Person/{ident}")
    for ident in generated[3::11] + created[::4]:
        stateful.patch(f"/api/v1/Person/{ident}", json={"Firstname": "Changed"}, headers=merge)
    for ident in created[5:9]:
        stateful.delete(f"/api/v1/Person/{ident}")
    total = len(generated) - len(generated[::7]) + len(created) - 4
    for skip, top in [(0, 10), (0, 1), (5, 10), (len(generated) - 20, 30), (len(generated) - 3, 5), (total - 1, 10),
                      (total, 10), (total + 50, 10), (3, 0), (0, total + 5)]:
        params = {"$select": "firstname", "$skip": str(skip), "$top": str(top)}
        fast = stateful.get("/api/v1/Person", params=params).json()
        scanned = stateful.get("/api/v1/Person", params={**params, "$orderby": "personId"}).json()
        assert fast["value"] == scanned["value"], (skip, top)
        assert ("odata.nextLink" in fast) == ("odata.nextLink" in scanned) == (0 < top and skip + top < total)
    everything = _everything(stateful, "/api/v1/Person", **{"$select": "firstname"})
    assert len(everything) == total and [r["PrimaryKey"] for r in everything] == sorted(
        r["PrimaryKey"] for r in everything)
    assert sum(r["firstname"] == "Changed" for r in everything) == len(generated[3::11]) - len(
        set(generated[3::11]) & set(generated[::7])) + len(set(created[::4]) - set(created[5:9]))


def test_a_page_in_id_order_reads_only_the_records_on_it(corpus_spec, tmp_path) -> None:
    from mockserver.state.store import SCAN_BATCH

    app = create_app(corpus_spec, state=f"sqlite:{tmp_path / 'state.db'}", answer_cache_mb=0)
    store = app.state.store
    with store.transaction("default") as tx:
        for n in range(3_000):
            tx.put("Person", str(1_000_001 + n), {"PersonId": 1_000_001 + n, "Firstname": f"F{n}"})
    read: list[str] = []
    every: list[str] = []
    batches: list[int] = []
    get_many, entries, scan = store.get_many, store.entries, store.scan
    store.get_many = lambda session, entity, keys: (read.extend(keys) if entity == "Person" else None) or \
        get_many(session, entity, keys)
    store.entries = lambda session, entity: every.append(entity) or entries(session, entity)
    store.scan = lambda session, entity: (batches.append(len(batch)) or batch for batch in scan(session, entity))
    client = TestClient(app, headers=AUTH)
    generated = len(_rows(client, "/api/v1/Person", **{"$top": "1000"}, headers={"X-Mock-Session": "empty"}))
    read.clear()
    body = client.get("/api/v1/Person", params={"$skip": "2500", "$top": "10", "$select": "firstname"}).json()
    assert [r["firstname"] for r in body["value"]] == [f"F{n}" for n in range(2500 - generated, 2510 - generated)]
    generated_ids = [k for k in read if int(k) < 1_000_001]
    assert not every and not batches and len(read) - len(generated_ids) == 10 and len(generated_ids) == generated
    # A filter reads every record, a batch at a time, and keeps only the rows.
    body = client.get("/api/v1/Person", params={"$filter": "firstname begins 'F12'", "$top": "1000"}).json()
    assert sorted(r["PrimaryKey"] - 1_000_001 for r in body["value"] if r["PrimaryKey"] > 1_000_000) == sorted(
        n for n in range(3_000) if str(n).startswith("12"))
    assert not every and sum(batches) == 3_000 and max(batches) == SCAN_BATCH


def test_a_page_is_read_from_one_snapshot_while_another_worker_writes(corpus_spec, tmp_path) -> None:
    """A page reads which generated ids the session wrote, then its keys, then their records: a write committed
    in between (by another worker) must not list a record twice, or not at all."""
    from mockserver.state import SqliteStore

    path = tmp_path / "state.db"
    app = create_app(corpus_spec, state=f"sqlite:{path}", answer_cache_mb=0)
    client = TestClient(app, headers=AUTH)
    before = _rows(client, "/api/v1/Person", **{"$top": "3", "$select": "firstname"})
    target = before[0]["PrimaryKey"]
    other = SqliteStore(path)
    store = app.state.store
    keys_in_order = store.keys_in_order

    def written_meanwhile(*args: object) -> list[str]:
        with other.transaction("default") as tx:
            tx.put("Person", str(target), {"PersonId": target, "Firstname": "Written meanwhile"})
        return keys_in_order(*args)

    store.keys_in_order = written_meanwhile
    assert _rows(client, "/api/v1/Person", **{"$top": "3", "$select": "firstname"}) == before
    store.keys_in_order = keys_in_order
    after = _rows(client, "/api/v1/Person", **{"$top": "3", "$select": "firstname"})
    assert after == [{**before[0], "firstname": "Written meanwhile"}, *before[1:]]
    other.close()
