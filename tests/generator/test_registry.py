"""Component naming: documented names merge, guessed names split when the shapes differ."""
from __future__ import annotations

from generator.model import Property, Schema, Source
from generator.registry import PageRecorder, SchemaRegistry

SOURCE = Source("p.md", 1)


def obj(*names: str) -> Schema:
    return Schema(type="object", properties=tuple(Property(n, Schema(type="string")) for n in names))


def test_documented_names_merge_whatever_the_shape():
    registry = SchemaRegistry()
    registry.propose("Thing", obj("A", "B"), SOURCE)
    registry.propose("Thing", obj("C"), SOURCE)
    schemas, _, _ = registry.finalize()
    assert [p.name for p in schemas[0].schema.properties] == ["A", "B", "C"]


def test_guessed_name_with_another_shape_is_qualified_by_its_parent():
    registry = SchemaRegistry({"ColumnData": frozenset({"DisplayValue", "TooltipHint"})})
    ref = registry.propose("ColumnData", obj("FieldRight", "FieldType"), SOURCE, documented=False, parent="Row")
    same = registry.propose("ColumnData", obj("DisplayValue"), SOURCE, documented=False, parent="Other")
    assert ref == Schema(ref="RowColumnData") and same == Schema(ref="ColumnData")


def test_anonymous_carrier_joins_the_named_one_it_resembles():
    registry = SchemaRegistry()
    registry.propose("BatchTaskInfo", obj("Id", "Name", "State", "Created", "Description"), SOURCE)
    ref = registry.anonymous("ListItem", obj("Id", "Name", "State", "Created", "Description", "FileName"), SOURCE)
    lonely = registry.anonymous("OtherResult", obj("X", "Y", "Z"), SOURCE)
    schemas, renames, _ = registry.finalize()
    assert renames[ref.ref] == "BatchTaskInfo" and renames[lonely.ref] == "OtherResult"
    info = next(s for s in schemas if s.name == "BatchTaskInfo")
    assert info.schema.property("FileName") is not None


def test_table_wins_over_sample_on_contradiction():
    registry = SchemaRegistry()
    registry.propose("Thing", Schema(type="object", properties=(Property("Id", Schema(type="string")),)), SOURCE,
                     documented=False)
    registry.propose("Thing", Schema(type="object", properties=(Property("Id", Schema(type="integer")),)), SOURCE)
    schemas, _, conflicts = registry.finalize()
    assert schemas[0].schema.property("Id").schema.type == "integer"
    assert conflicts == []  # sample filler never counts as a contradiction


def test_enum_types_named_in_prose():
    recorder = PageRecorder()
    recorder.note_enum("The BatchTaskState to get batch tasks for.", ("New", "Failed"))
    registry = SchemaRegistry.from_pages([((), recorder.enum_notes)])
    assert registry.enum_named_in("BatchTaskState of the task.") == ("New", "Failed")
    assert registry.enum_named_in("Name of the task.") == ()


def test_anonymous_prefers_the_carrier_it_contains_whole():
    registry = SchemaRegistry()
    registry.propose("PersonEntity", obj("Id", "Name", "Email", "Phone"), SOURCE)
    registry.propose("PersonEntityWithLinks", obj("Id", "Name", "Email", "Phone", "TableRight", "Links"), SOURCE)
    ref = registry.anonymous("DefaultResult", obj("Id", "Name", "Email", "Phone", "TableRight"), SOURCE)
    _, renames, _ = registry.finalize()
    assert renames[ref.ref] == "PersonEntity"
