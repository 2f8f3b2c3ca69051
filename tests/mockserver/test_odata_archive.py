"""An OData list's rows, unit by unit: the entity a path lists, the type a column's name suggests, and memory
that stays bounded whatever columns clients name."""
from __future__ import annotations

from datetime import date

import pytest

from mockserver.fakedata import DataFactory
from mockserver.odata.archive import MAX_COLUMN_MEMOS, ArchiveList, column_schema, entity_noun
from mockserver.odata.query import parse_query

SAMPLE = [{"PrimaryKey": 8443, "EntityName": "sale", "saleId": 8443, "contactId": 1095, "name": "Weissnat"}]


@pytest.mark.parametrize("path, noun", [
    ("/api/v1/Sale", "Sale"), ("/api/v1/Person/{id}/Sales", "Sale"), ("/api/v1/Person/{id}/Activities", "Activity"),
    ("/api/v1/BatchTask", "BatchTask"), ("/api/v1/Contact/{id}/Persons", "Person"), ("/api/v1/Address", "Address"),
])
def test_a_list_lists_the_last_noun_of_its_path(path: str, noun: str) -> None:
    assert entity_noun(path) == noun


@pytest.mark.parametrize("column, kind", [
    ("saleId", "integer"), ("category/id", "integer"), ("registered", "string"), ("updatedDate", "string"),
    ("amount", "number"), ("probability", "integer"), ("isActive", "boolean"), ("name", "string"),
])
def test_a_columns_name_suggests_its_type(column: str, kind: str) -> None:
    assert column_schema(column)["type"] == kind


def test_the_samples_id_column_becomes_the_lists_own() -> None:
    people = ArchiveList("op", "/api/v1/Person", SAMPLE, DataFactory({}), 0)
    assert people.default_columns == ("personId", "contactId", "name") and people.entity_name == "person"
    parent = ArchiveList("op", "/api/v1/Person/{id}/Sales", SAMPLE, DataFactory({}), 0)
    rows = parent.rows(parse_query({"$select": ["personId"]}), {"id": "7"}, None, frozenset(), date(2026, 1, 1))
    assert {r["personId"] for r in rows} == {7}


def test_memory_stays_bounded_whatever_columns_clients_name() -> None:
    factory = DataFactory({})
    sales = ArchiveList("op", "/api/v1/Sale", SAMPLE, factory, 0)
    for n in range(MAX_COLUMN_MEMOS + 500):
        rows = sales.rows(parse_query({"$select": [f"column{n}"]}), {}, None, frozenset(), date(2026, 1, 1))
        assert all(isinstance(r[f"column{n}"], str) for r in rows)
    assert len(sales._generators) <= MAX_COLUMN_MEMOS and len(sales._paths) <= MAX_COLUMN_MEMOS
    assert len(factory._cache) <= MAX_COLUMN_MEMOS + 10
