"""Big records fast: compiled generators, the carriers' variants, orjson, records kept as text, the XML writer.

Each speed-up must leave the answers what they would be without it: the compiled code draws what the closures
draw, orjson writes what json.dumps writes, a JsonRecord reads as the object its text holds, and the XML writer
that remembers the variants' XML writes what it writes without remembering.
"""
from __future__ import annotations

import json
import random
import time
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from mock_support import AUTH, TestClient, corpus_spec, load_fixture, seeds_spec

from mockserver import codegen, create_app, jsoncodec
from mockserver.fakedata import VARIANTS, DataFactory
from mockserver.spec import normalise
from mockserver.state.records import JsonRecord, plain
from mockserver.xmlcodec import XmlWriter

DOCS = {name: normalise(spec) for name, spec in (
    ("corpus", corpus_spec()), ("seeds", seeds_spec()), ("petstore", load_fixture("petstore-3.0.yaml")))}
SCHEMAS = [(doc, {"$ref": f"#/components/schemas/{name}"}) for doc in DOCS
           for name in sorted((DOCS[doc].get("components") or {}).get("schemas", {}))]
PERSON = "#/components/schemas/PersonEntity"


def _values(factory: DataFactory, doc: str, seeds: range) -> list[Any]:
    return [factory.generate(schema, random.Random(seed)) for d, schema in SCHEMAS if d == doc for seed in seeds]


@pytest.mark.parametrize("doc", sorted(DOCS))
def test_compiled_generators_draw_what_the_closures_draw(doc: str, monkeypatch: pytest.MonkeyPatch) -> None:
    inlined = _values(DataFactory(DOCS[doc], 0), doc, range(6))
    # Without inlining, every value is a call of its generator (the closures, and objects called one by one).
    monkeypatch.setattr(codegen.Source, "expr", lambda self, gen, k: f"{self.bind(gen)}(r, {self.depth(k)})")
    called = _values(DataFactory(DOCS[doc], 0), doc, range(6))
    assert json.dumps(inlined) == json.dumps(called)


def test_deep_and_wide_schemas_compile_in_bounded_text() -> None:
    """Nested objects are written out in their parent down to a limit; a schema whose carriers share carriers
    (ten references to the next level, six levels) would otherwise be a million copies of the last one."""
    schemas: dict[str, Any] = {"L6": {"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "string"}}}}
    for level in range(5, -1, -1):
        schemas[f"L{level}"] = {"type": "object", "properties": {
            f"p{i}": {"type": "object", "properties": {"x": {"$ref": f"#/components/schemas/L{level + 1}"}}}
            for i in range(10)}}
    chain: Any = {"type": "string"}
    for _ in range(60):
        chain = {"type": "object", "properties": {"next": chain, "n": {"type": "integer"}}, "required": ["next"]}
    schemas["Deep"] = chain
    factory = DataFactory({"components": {"schemas": schemas}}, 0)
    started = time.perf_counter()
    wide = factory.generate({"$ref": "#/components/schemas/L0"}, random.Random(1))
    deep = factory.generate({"$ref": "#/components/schemas/Deep"}, random.Random(1))
    assert time.perf_counter() - started < 20  # a generous bound; exponential text would not finish at all
    assert set(wide) == {f"p{i}" for i in range(10)}
    assert "next" in deep


def test_nested_carriers_are_picked_from_variants_and_arrays_repeat_none() -> None:
    factory = DataFactory(DOCS["corpus"], 0)
    people = [factory.generate({"$ref": PERSON}, random.Random(seed)) for seed in range(300)]
    contacts = {json.dumps(p["Contact"]) for p in people if p.get("Contact")}
    assert 8 < len(contacts) <= VARIANTS  # picked from the variants, and not always the same one
    firstnames = {p["Firstname"] for p in people}
    assert len(firstnames) > VARIANTS  # the record's own fields are drawn afresh
    for person in people:
        for key in ("Emails", "OfficePhones", "MobilePhones", "Urls"):
            items = [json.dumps(item) for item in person.get(key) or ()]
            assert len(items) == len(set(items)), key  # no item twice in one array
    # Each variant is one object shared by every record that shows it: the XML writer relies on that.
    shared = [p["Contact"] for p in people if p.get("Contact")]
    assert all(id(c) in factory.shared for c in shared)


def test_the_rows_of_a_list_answer_are_drawn_afresh() -> None:
    """A list that is the whole answer does not show the same few rows in every list."""
    factory = DataFactory(DOCS["seeds"], 0)
    rows = [json.dumps(row) for seed in range(100)
            for row in factory.generate({"type": "array", "items": {"$ref": "#/components/schemas/BatchTaskInfo"}},
                                        random.Random(seed))]
    assert len(set(rows)) == len(rows)


def test_variants_do_not_depend_on_what_was_compiled_first() -> None:
    first = DataFactory(DOCS["corpus"], 0)
    second = DataFactory(DOCS["corpus"], 0)
    second.generate({"type": "array", "items": {"$ref": "#/components/schemas/Contact"}}, random.Random(0))
    assert [first.generate({"$ref": PERSON}, random.Random(s)) for s in range(20)] == \
        [second.generate({"$ref": PERSON}, random.Random(s)) for s in range(20)]


@pytest.mark.parametrize("doc", sorted(DOCS))
def test_orjson_writes_what_json_dumps_writes(doc: str) -> None:
    for value in _values(DataFactory(DOCS[doc], 0), doc, range(3)):
        compact = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
        written, reread = jsoncodec.encode(value)
        assert json.loads(written) == json.loads(compact) and list(json.loads(written)) == list(json.loads(compact))
        assert reread(written) == value


def test_what_orjson_refuses_is_written_by_the_standard_library() -> None:
    for value in ({"big": 2**70, "n": -(2**64)}, {1: "a", "b": [2**80]}, {"lone": "\ud800 half"}):
        written, reread = jsoncodec.encode(value)
        assert reread(written) == json.loads(json.dumps(value))  # exact: no float for a big integer
    assert jsoncodec.dumps({"lone": "\ud800"}) == b'{"lone":"\\ud800"}'  # valid JSON, not a 500


def test_a_json_record_reads_as_its_text_and_answers_its_id_without_parsing() -> None:
    parsed: list[int] = []

    def reread(text: bytes | str) -> Any:
        parsed.append(1)
        return json.loads(text)
    record = JsonRecord(b'{"Id":7,"Name":"Ada","Tags":["x"]}', reread, "Id", 7)
    assert record["Id"] == 7 and "Id" in record and not parsed
    assert record == {"Id": 7, "Name": "Ada", "Tags": ["x"]} and len(parsed) == 1
    assert dict(record) == {"Id": 7, "Name": "Ada", "Tags": ["x"]} and len(parsed) == 1  # parsed once
    with pytest.raises(TypeError):
        record["Name"] = "Bob"  # type: ignore[index]
    copy = record.to_dict()
    copy["Tags"].append("y")
    assert record["Tags"] == ["x"]
    assert jsoncodec.dumps({"value": [record, {"b": 1}]}) == b'{"value":[{"Id":7,"Name":"Ada","Tags":["x"]},{"b":1}]}'
    assert plain({"value": [record], "n": 1}) == {"value": [{"Id": 7, "Name": "Ada", "Tags": ["x"]}], "n": 1}
    # A client's big integer in a stored record, next to the record in an answer: read back exactly.
    big = JsonRecord('{"n":1180591620717411303424}', json.loads)
    written, again = jsoncodec.encode([big, {"x": 1}])
    assert again(written) == [{"n": 2**70}, {"x": 1}]


@pytest.mark.parametrize("doc", sorted(DOCS))
def test_the_xml_writer_writes_the_variants_as_it_writes_anything_else(doc: str) -> None:
    factory = DataFactory(DOCS[doc], 0)
    remembering = XmlWriter(DOCS[doc])
    remembering.shared = factory.shared
    plain_writer = XmlWriter(DOCS[doc])  # no shared values: writes every value out
    for d, schema in SCHEMAS:
        if d != doc:
            continue
        nested = {"type": "object", "properties": {"one": schema, "many": {"type": "array", "items": schema}}}
        for seed in range(3):
            value = factory.generate(nested, random.Random(seed))
            for _ in range(2):  # the second time from what was remembered
                written = remembering.dumps(nested, value)
                assert written == plain_writer.dumps(nested, value)
                ET.fromstring(written)


def test_a_shared_value_under_a_key_that_is_no_xml_name_is_still_an_item() -> None:
    doc: dict[str, Any] = {"components": {"schemas": {}}}
    writer = XmlWriter(doc)
    inner = {"a": 1}
    writer.shared = {id(inner)}
    schema = {"type": "object", "properties": {"1st": {"type": "object", "properties": {"a": {"type": "integer"}}},
                                               "ok": {"type": "object", "properties": {"a": {"type": "integer"}}}}}
    for _ in range(2):
        written = writer.dumps(schema, {"1st": inner, "ok": inner}).decode()
        assert '<item key="1st"><a>1</a></item><ok><a>1</a></ok>' in written


def test_a_big_record_reads_back_the_same_over_http_as_json_and_xml(corpus: dict[str, Any]) -> None:
    with TestClient(create_app(corpus, state="memory"), headers=AUTH) as client:
        first = client.get("/api/v1/Person/42")
        assert first.status_code == 200 and len(first.content) > 10_000
        assert client.get("/api/v1/Person/42").content == first.content
        as_xml = client.get("/api/v1/Person/42", headers={"Accept": "application/xml"})
        assert as_xml.status_code == 200
        root = ET.fromstring(as_xml.content)
        assert root.findtext("PersonId") == "42" == str(first.json()["PersonId"])
        assert root.findtext("Firstname") == first.json()["Firstname"]


@pytest.mark.parametrize("body", [
    b'{"Firstname": "a\xed\xa0\x80b"}',  # the bytes of U+D800, not an escape
    b'{"Firstname": "a\\ud800b"}',
])
def test_half_a_surrogate_pair_is_refused_and_nothing_is_stored(corpus: dict[str, Any], body: bytes) -> None:
    """A stored record is sent as the text it was stored as: it must be text UTF-8 can hold."""
    with TestClient(create_app(corpus, state="memory"), headers=AUTH) as client:
        before = client.get("/api/v1/Person/9").content
        answer = client.patch("/api/v1/Person/9", content=body,
                              headers={"Content-Type": "application/merge-patch+json"})
        assert answer.status_code == 400 and "unpaired surrogate" in answer.json()["errors"][0]["message"]
        for accept in ("application/json", "application/xml"):
            assert client.get("/api/v1/Person/9", headers={"Accept": accept}).status_code == 200
        assert client.get("/api/v1/Person/9").content == before
        assert client.patch("/api/v1/Person/9", content=b'{"Firstname": "\xed\x9f\xbf ok"}',  # U+D7FF is text
                            headers={"Content-Type": "application/merge-patch+json"}).status_code == 200


@pytest.mark.parametrize("number", [b"NaN", b"-Infinity", b"1e400"])
def test_numbers_json_cannot_say_read_back_as_the_write_answered(corpus: dict[str, Any], number: bytes) -> None:
    """Python's reader takes NaN and 1E400 (as the real server's may); what is stored and sent is JSON."""
    with TestClient(create_app(corpus, state="memory"), headers=AUTH) as client:
        written = client.patch("/api/v1/Person/7", content=b'{"ActiveInterests": ' + number + b"}",
                               headers={"Content-Type": "application/merge-patch+json"})
        assert written.status_code == 200
        for _ in range(2):
            read = client.get("/api/v1/Person/7")
            assert json.loads(read.content, parse_constant=_refuse) == json.loads(written.content)
            assert read.json()["ActiveInterests"] is None
        listed = client.get("/api/v1/Person?$top=50")
        json.loads(listed.content, parse_constant=_refuse)


def _refuse(token: str) -> Any:
    raise AssertionError(f"{token} is not JSON")


def test_a_stored_text_with_a_lone_surrogate_is_still_written_as_json() -> None:
    record = JsonRecord('{"s":"a\ud800"}', json.loads)
    assert jsoncodec.dumps(record) == b'{"s":"a\\ud800"}'
    assert jsoncodec.dumps([record]) == b'[{"s":"a\\ud800"}]'
