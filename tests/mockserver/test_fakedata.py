"""Fake data: valid for every corpus schema (property test), realistic by name and format, deterministic."""
from __future__ import annotations

import random
import re
from datetime import datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from mock_support import corpus_spec, load_fixture, seeds_spec

from mockserver.fakedata import DataFactory
from mockserver.spec import normalise
from mockserver.validation import FORMAT_CHECKER, SchemaCompiler


def _schemas(doc: dict[str, Any]) -> list[tuple[str, Any]]:
    return sorted((doc.get("components") or {}).get("schemas", {}).items())


DOCS = {name: normalise(spec) for name, spec in (
    ("corpus", corpus_spec()), ("seeds", seeds_spec()), ("fixture", load_fixture("seeds-3.1.yaml")),
    ("petstore", load_fixture("petstore-3.0.yaml")))}
CASES = [(doc, name, schema) for doc in DOCS for name, schema in _schemas(DOCS[doc])]
FACTORIES = {doc: DataFactory(DOCS[doc], 0) for doc in DOCS}
VALIDATORS = {(d, n): SchemaCompiler(DOCS[d]).validator({"$ref": f"#/components/schemas/{n}"}) for d, n, _ in CASES}


def test_the_corpus_has_many_schemas() -> None:
    assert sum(1 for d, _, _ in CASES if d == "corpus") > 50


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(case=st.sampled_from(CASES), seed=st.integers(0, 2**64 - 1))
def test_generated_values_validate_against_their_schema(case: tuple[str, str, Any], seed: int) -> None:
    doc, name, schema = case
    value = FACTORIES[doc].generate(schema, random.Random(seed))
    errors = [e.message for e in VALIDATORS[(doc, name)].iter_errors(value)]
    assert not errors, (doc, name, value)


def test_every_corpus_schema_generates_valid_data_for_a_few_seeds() -> None:
    for doc, name, schema in CASES:
        for seed in range(5):
            value = FACTORIES[doc].generate(schema, random.Random(seed))
            assert not list(VALIDATORS[(doc, name)].iter_errors(value)), (doc, name)


@pytest.fixture(scope="module")
def task() -> dict[str, Any]:
    doc = normalise(load_fixture("seeds-3.1.yaml"))
    return DataFactory(doc, 0).generate(doc["components"]["schemas"]["BatchTaskInfo"], random.Random(3))


def test_values_are_realistic_by_field_name_and_format() -> None:
    doc = normalise(load_fixture("petstore-3.0.yaml"))
    f = DataFactory(doc, 0)
    owners = [f.generate(doc["components"]["schemas"]["Owner"], random.Random(i)) for i in range(30)]
    assert all("@" in o["Email"] and "." in o["Email"].split("@")[1] for o in owners)
    assert all(len(o["FullName"].split()) >= 2 for o in owners)
    assert all(re.fullmatch(r"[0-9a-f-]{36}", o["ownerId"]) for o in owners)
    assert all(o["website"].startswith("https://") for o in owners)
    tasks_doc = normalise(load_fixture("seeds-3.1.yaml"))
    g = DataFactory(tasks_doc, 0).generator(tasks_doc["components"]["schemas"]["BatchTaskInfo"])
    tasks = [g(random.Random(i), 0) for i in range(50)]
    assert all(0 <= t["ProgressPercent"] <= 100 for t in tasks)
    assert all(t["AssociateId"] > 0 and t["Id"] > 0 for t in tasks)
    for t in tasks:
        created = datetime.fromisoformat(t["Created"])
        assert created.tzinfo is not None and 2022 <= created.year <= 2025
        if t["TableRight"] is not None:
            assert t["TableRight"]["Mask"] in ("None", "Select", "Update", "Insert", "Delete", "Filtering",
                                               "RestrictedUpdate", "Full")
    assert len({t["Name"] for t in tasks}) > 30  # varied, not one repeated filler value


def test_same_seed_same_value_and_different_seed_different_value() -> None:
    doc = normalise(load_fixture("seeds-3.1.yaml"))
    schema = doc["components"]["schemas"]["BatchTaskInfo"]
    a = DataFactory(doc, 0).generate(schema, random.Random(1))
    b = DataFactory(normalise(load_fixture("seeds-3.1.yaml")), 0).generate(
        normalise(load_fixture("seeds-3.1.yaml"))["components"]["schemas"]["BatchTaskInfo"], random.Random(1))
    c = DataFactory(doc, 0).generate(schema, random.Random(2))
    d = DataFactory(doc, 7).generate(schema, random.Random(1))
    assert a == b and a != c and a != d


def test_generators_are_compiled_once_per_schema() -> None:
    doc = normalise(load_fixture("seeds-3.1.yaml"))
    f = DataFactory(doc, 0)
    schema = doc["components"]["schemas"]["BatchTaskInfo"]
    assert f.generator(schema) is f.generator(schema)


def test_patterns_bounds_and_recursion_are_honoured() -> None:
    doc = normalise(load_fixture("petstore-3.0.yaml"))
    f = DataFactory(doc, 0)
    v = Draft202012Validator({"$ref": "urn:docmock:spec#/components/schemas/Pet"},
                             registry=SchemaCompiler(doc).registry, format_checker=FORMAT_CHECKER)
    for i in range(40):
        pet = f.generate(doc["components"]["schemas"]["Pet"], random.Random(i))
        assert re.fullmatch(r"[A-Z]{3}-[0-9]{4}", pet["code"])
        assert 2 <= len(pet["name"]) <= 12 and pet["id"] > 0 and 0 < pet["weight"] <= 80
        assert not list(v.iter_errors(pet))
