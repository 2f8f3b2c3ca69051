"""The samples' vocabulary: which sample values are codes, which schema they belong to, what the generator
draws from them; and when a path code the enum lacks looks like a newer member of it."""
from __future__ import annotations

import random
from typing import Any

import pytest

from mockserver.fakedata import DataFactory
from mockserver.vocabulary import extends_enum, is_identifier_like, sample_vocabulary
from mockserver.xmlcodec import coerce_scalar


@pytest.mark.parametrize("value", ["AnonymousAssociate", "Center", "inDiary", "System.String", "ToDo",
                                   "Postponed1Hour", "A1"])
def test_codes(value: str) -> None:
    assert is_identifier_like(value)


@pytest.mark.parametrize("value", ["natus", "two words", "Voluptatem accusantium", "2024-05-01", "12", "",
                                   "snake_case", "kebab-case", "A" * 65, 7, None, "System.", ".Net"])
def test_not_codes(value: Any) -> None:
    assert not is_identifier_like(value)


STATES = ("Unknown", "New", "Aquired", "Started", "Succeeded", "Failed", "All")


@pytest.mark.parametrize("value", ["SucceededManualCleanup", "FailedPermanently", "NewAgain", "Started2"])
def test_a_code_built_on_the_enums_words_extends_it(value: str) -> None:
    assert extends_enum(value, STATES)


@pytest.mark.parametrize("value", ["Nonsense", "Succeeded", "succeeded_manual", "succeededManual", "PausedByOperator",
                                   "AAA", "Al", "AllA", "AllAll", "NewFailed", "New.Old", "fail", "Failed!", "Failedx"])
def test_anything_else_does_not(value: str) -> None:
    assert not extends_enum(value, STATES)


def _doc(example: Any) -> dict[str, Any]:
    return {
        "openapi": "3.1.0", "info": {"title": "t", "version": "1"},
        "paths": {"/things/{id}": {"get": {"responses": {"200": {"description": "ok", "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/Thing"},
                                 "examples": {"one": {"value": example}, "two": {"value": {"Type": "Second"}}}}}}}}}},
        "components": {"schemas": {
            "Thing": {"type": "object", "properties": {
                "Type": {"type": "string"},
                "State": {"type": "string", "enum": ["On", "Off"]},
                "When": {"type": "string", "format": "date-time"},
                "Code": {"type": "string"},
                "Owner": {"$ref": "#/components/schemas/Owner"},
                "Tags": {"type": "array", "items": {"type": "string"}},
                "Props": {"type": "object", "additionalProperties": {"type": "string"}}}},
            "Owner": {"type": "object", "properties": {"Kind": {"type": "string"}}}}}}


def test_the_vocabulary_of_each_plain_string_schema_in_document_order() -> None:
    doc = _doc({"Type": "First", "State": "On", "When": "2024-05-01T00:00:00Z", "Code": "natus",
                "Owner": {"Kind": "InternalAssociate"}, "Tags": ["Red", "blue", "Red"], "Props": {"a": "System.Int32"},
                "Unknown": "Whatever"})
    props = doc["components"]["schemas"]["Thing"]["properties"]
    owner = doc["components"]["schemas"]["Owner"]["properties"]
    vocabulary = sample_vocabulary(doc)
    assert vocabulary[id(props["Type"])] == ("First", "Second")
    assert vocabulary[id(owner["Kind"])] == ("InternalAssociate",)
    assert vocabulary[id(props["Tags"]["items"])] == ("Red",)
    assert vocabulary[id(props["Props"]["additionalProperties"])] == ("System.Int32",)
    # An enum or a format says what the values are; filler is no code.
    assert id(props["State"]) not in vocabulary and id(props["When"]) not in vocabulary
    assert id(props["Code"]) not in vocabulary
    assert len(vocabulary) == 4


def test_the_generator_draws_codes_where_the_name_says_nothing() -> None:
    doc = _doc({"Type": "First", "Owner": {"Kind": "InternalAssociate"}})
    doc["components"]["schemas"]["Thing"]["properties"]["Name"] = {"type": "string"}
    thing = doc["components"]["schemas"]["Thing"]
    factory = DataFactory(doc, 0)
    values = [factory.generate(thing, random.Random(n)) for n in range(40)]
    assert {v["Type"] for v in values if v.get("Type") is not None} == {"First", "Second"}
    assert {v["Owner"]["Kind"] for v in values if v.get("Owner")} == {"InternalAssociate"}
    assert len({v["Code"] for v in values if v.get("Code") is not None}) > 5  # no sample code: words


def test_a_name_that_says_what_the_value_is_beats_the_samples() -> None:
    doc = _doc({"Type": "First"})
    doc["components"]["schemas"]["Thing"]["properties"]["Email"] = {"type": "string"}
    doc["paths"]["/things/{id}"]["get"]["responses"]["200"]["content"]["application/json"]["examples"]["one"][
        "value"] = {"Email": "Kaylee"}
    factory = DataFactory(doc, 0)
    emails = {factory.generate(doc["components"]["schemas"]["Thing"], random.Random(n))["Email"] for n in range(20)}
    assert all("@" in e for e in emails if e is not None)


@pytest.mark.parametrize(("text", "value"), [("true", True), ("false", False), ("12", 12), ("-3", -3), ("2.5", 2.5),
                                             ("1e3", 1000.0), ("007a", "007a"), ("007", "007"), ("", ""),
                                             ("True", "True"), ("1" * 20, int("1" * 20)), ("nan", "nan")])
def test_text_under_an_undescribed_property_is_read_as_a_json_literal(text: str, value: Any) -> None:
    assert coerce_scalar(text, None) == value and type(coerce_scalar(text, "any")) is type(value)
    assert coerce_scalar(text, "string") == text


@pytest.mark.parametrize(("text", "kind", "value"), [
    ("NaN", "number", "NaN"), ("inf", "number", "inf"), ("1_000", "integer", "1_000"), ("١٢", "integer", "١٢"),
    ("007", "integer", 7), ("+7", "integer", 7), (" 5 ", "integer", 5), ("2.5", "number", 2.5),
    ("9" * 5000, "integer", "9" * 5000), ("9" * 5000, None, "9" * 5000)])
def test_only_json_numerals_type_as_numbers(text: str, kind: str | None, value: Any) -> None:
    """A NaN stored from an XML or form body would be answered as null; Python reads more than JSON does."""
    assert coerce_scalar(text, kind) == value
