"""The three outputs: `--format json` valid against docs/diff-report.schema.json for every kind of report, text
coloured only on a terminal, and Markdown a pull-request comment can hold."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from diff_support import REPORT_SCHEMA, base, diff, put, run, schema
from jsonschema import Draft202012Validator

from docmock.diff import Format, as_json, render
from docmock.diff.model import DiffReport
from docmock.diff.rules import all_rules
from testdata import SEEDS

ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    document = json.loads(REPORT_SCHEMA.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(document)
    return Draft202012Validator(document)


def everything(doc: dict) -> None:
    """Changes of every sort at once: removed, added and changed operations, breaking and not."""
    del doc["paths"]["/things"]
    doc["paths"]["/more"] = {"post": {"responses": {"204": {"description": "done"}}}}
    del schema(doc, "Thing")["properties"]["Name"]
    put(doc)["parameters"][1]["schema"]["enum"].append("Wide | Narrow\n`odd`")
    put(doc)["security"] = [{"Bearer": ["read"]}]


def reports() -> list[DiffReport]:
    return [diff(lambda doc: None), diff(everything)]


def test_json_output_is_valid_against_its_documented_schema(validator: Draft202012Validator) -> None:
    for report in reports():
        validator.validate(as_json(report))
    shaped = as_json(reports()[1])
    assert shaped["version"] == 1
    assert shaped["summary"]["operations"] == {"added": 1, "removed": 1, "changed": 1}
    assert [op["state"] for op in shaped["operations"]] == ["added", "removed", "changed"]  # by path: /more, /things
    assert shaped["summary"]["changes"] == sum(len(op["changes"]) for op in shaped["operations"])


def test_the_commands_json_is_valid_too(validator: Draft202012Validator, tmp_path: Path) -> None:
    result = run(SEEDS, SEEDS, "--format", "json", "-q")
    validator.validate(json.loads(result.stdout))
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(json.dumps(base()), encoding="utf-8")
    doc = base()
    everything(doc)
    new.write_text(json.dumps(doc), encoding="utf-8")
    result = run(old, new, "--format", "json", "--fail-on", "breaking")
    assert result.exit_code == 1
    validator.validate(json.loads(result.stdout))


def test_every_rule_id_fits_the_schemas_id_pattern(validator: Draft202012Validator) -> None:
    pattern = re.compile(validator.schema["$defs"]["change"]["properties"]["id"]["pattern"])
    for _, _, rule in all_rules():
        assert pattern.fullmatch(rule.id), rule.id


def test_text_is_coloured_on_a_terminal_only(tmp_path: Path) -> None:
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(json.dumps(base()), encoding="utf-8")
    doc = base()
    everything(doc)
    new.write_text(json.dumps(doc), encoding="utf-8")
    plain = run(old, new).stdout
    assert not ANSI.search(plain)
    coloured = run(old, new, color=True).stdout
    assert "\x1b[31m" in coloured and "\x1b[32m" in coloured  # red breaking, green non-breaking
    assert ANSI.sub("", coloured) == plain
    lines = plain.splitlines()
    # Grouped by operation: each operation's header, then its changes, indented, each with why.
    header = lines.index("PUT /things/{id}  (putThing)")
    assert lines[header + 1].startswith(("  breaking ", "  non-breaking "))
    assert lines[header + 2].strip().startswith("why: ")
    assert "POST /more  [added]" in lines  # no operationId: the method and path name it


def test_markdown_keeps_each_change_on_one_table_row() -> None:
    text = render(reports()[1], Format.MARKDOWN)
    assert text.startswith("### API contract: **")
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    data_rows = [row for row in rows if not row.startswith("| | ")]
    assert len(data_rows) == reports()[1].changes
    for row in data_rows:
        cells = re.split(r"(?<!\\)\|", row)[1:-1]
        assert len(cells) == 5, row  # the enum value's `|` is escaped, its newline gone
    assert render(reports()[0], Format.MARKDOWN).endswith("No changes to the API contract.\n")
