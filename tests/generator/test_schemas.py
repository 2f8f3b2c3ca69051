"""Type cells, sample inference and schema union."""
from __future__ import annotations

from generator.model import ANY, Property, Schema
from generator.schemas import infer_from_sample, merge_schemas, parse_type_cell, schema_name, singular


def collecting_namer():
    named: dict[str, Schema] = {}

    def namer(name: str, schema: Schema, parent: str = "") -> Schema:
        named[name] = schema
        return Schema(ref=name)

    return named, namer


def test_type_cells():
    assert parse_type_cell("int32").schema == Schema(type="integer", format="int32")
    assert parse_type_cell("date-time").schema == Schema(type="string", format="date-time")
    assert parse_type_cell("bool").schema.type == "boolean"
    assert parse_type_cell("Integer").schema.type == "integer"  # the copied web page's spelling
    enum = parse_type_cell("Enum: Unknown, New, Aquired, Started")
    assert enum.kind == "enum" and enum.schema.enum == ("Unknown", "New", "Aquired", "Started")  # docs' spelling
    assert parse_type_cell("").kind == "empty"
    assert parse_type_cell("object").kind == "object" and parse_type_cell("array").kind == "array"
    assert parse_type_cell("TableRight").kind == "named"
    assert parse_type_cell("list of (weird)").kind == "unknown"


def test_names():
    assert schema_name("batchTaskInfo") == "BatchTaskInfo"
    assert schema_name("_Links") == "Links"
    assert singular("FieldProperties") == "FieldProperty"
    assert singular("Faxes") == "Fax"
    assert singular("Emails") == "Email"
    assert singular("Data") == "DataItem"


def test_sample_values_give_shape_not_constraints():
    named, namer = collecting_namer()
    schema = infer_from_sample({"ProgressPercent": 433, "Created": "2016-08-09T18:25:51.3271062+02:00",
                                "TableRight": {"Mask": "Delete", "Reason": ""}, "Ids": [1, 2], "X": None},
                               "BatchTaskInfo", namer)
    assert schema == Schema(ref="BatchTaskInfo")
    props = {p.name: p.schema for p in named["BatchTaskInfo"].properties}
    assert props["ProgressPercent"] == Schema(type="integer", format="int32")  # no maximum from filler
    assert props["Created"].format == "date-time"
    assert props["TableRight"] == Schema(ref="TableRight")
    assert [p.name for p in named["TableRight"].properties] == ["Mask", "Reason"]
    assert props["Ids"] == Schema(type="array", items=Schema(type="integer", format="int32"))
    assert props["X"] == ANY


def test_merge_is_a_union_and_prefers_the_more_specific():
    a = Schema(type="object", properties=(Property("Id", Schema(type="integer")), Property("A", Schema(type="string"))))
    b = Schema(type="object", properties=(Property("Id", Schema(type="integer", format="int32")),
                                          Property("When", Schema(type="string", format="date-time"))))
    conflicts: list[str] = []
    merged = merge_schemas(a, b, conflicts)
    assert [p.name for p in merged.properties] == ["Id", "A", "When"]
    assert merged.property("Id").schema.format == "int32"
    assert not conflicts
    assert merge_schemas(Schema(type="string"), Schema(type="string", format="date-time"), []).format == "date-time"


def test_merge_reports_contradictions():
    conflicts: list[str] = []
    merged = merge_schemas(Schema(type="integer"), Schema(type="boolean"), conflicts, "Thing.Id")
    assert merged.type == "integer"
    assert conflicts == ["Thing.Id: integer vs boolean"]


def test_placeholder_keys_make_dictionaries():
    named, namer = collecting_namer()
    fields = infer_from_sample({"fieldName": {"FieldRight": None, "FieldType": "System.Int32"}}, "FieldProperties", namer)
    assert fields == Schema(type="object", additional=Schema(ref="FieldProperty"))
    numbered = infer_from_sample({"ParameterObject1": "et", "ParameterObject2": "x"}, "ParameterObject", namer)
    assert numbered == Schema(type="object", additional=Schema(type="string"))
    # Archive rows: data columns (saleId, name) of mixed types; any value.
    row = infer_from_sample({"PrimaryKey": 1, "EntityName": "sale", "saleId": 1, "name": "x"}, "value", namer)
    assert row == Schema(type="object", additional=ANY)
    assert set(named) == {"FieldProperty"}
