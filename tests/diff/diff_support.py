"""Helpers of the `docmock diff` tests: a small hand-written OpenAPI document to mutate, running the command,
and editing real reference pages the way a writer would."""
from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from docmock.cli import main
from docmock.diff import DiffReport, compare_documents

REPO = Path(__file__).resolve().parents[2]
REPORT_SCHEMA = REPO / "docs" / "diff-report.schema.json"


def thing(**extra_properties: Any) -> dict[str, Any]:
    """A carrier: a required integer id, a name, an enum state and a list of tags."""
    return {
        "type": "object",
        "required": ["Id"],
        "properties": {
            "Id": {"type": "integer", "format": "int32"},
            "Name": {"type": "string"},
            "State": {"type": "string", "enum": ["New", "Done"]},
            "Tags": {"type": "array", "items": {"type": "string"}},
            **extra_properties,
        },
    }


def base() -> dict[str, Any]:
    """`PUT /things/{id}`, reading ThingIn and answering Thing (the same shape, apart, so that a test can change
    one direction alone), and `GET /things` listing Things. 3.1, secured by Basic."""
    json_of = lambda ref: {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}  # noqa: E731
    return {
        "openapi": "3.1.0",
        "info": {"title": "things", "version": "1"},
        "security": [{"Basic": []}],
        "paths": {
            "/things/{id}": {
                "put": {
                    "operationId": "putThing",
                    "parameters": [
                        {"name": "id", "in": "path", "required": True, "schema": {"type": "integer", "format": "int32"}},
                        {"name": "mode", "in": "query", "required": False,
                         "schema": {"type": "string", "enum": ["Slim", "Full"]}},
                    ],
                    "requestBody": {"required": True, "content": json_of("ThingIn")},
                    "responses": {
                        "200": {"description": "ok", "content": json_of("Thing"),
                                "headers": {"X-Rate": {"required": True, "schema": {"type": "integer"}}}},
                        "404": {"description": "not found"},
                    },
                },
            },
            "/things": {
                "get": {
                    "operationId": "listThings",
                    "responses": {"200": {"description": "ok", "content": {"application/json": {
                        "schema": {"type": "array", "items": {"$ref": "#/components/schemas/Thing"}}}}}},
                },
            },
        },
        "components": {
            "securitySchemes": {"Basic": {"type": "http", "scheme": "basic"},
                                "Bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Thing": thing(), "ThingIn": thing()},
        },
    }


def put(doc: dict[str, Any]) -> dict[str, Any]:
    return doc["paths"]["/things/{id}"]["put"]


def schema(doc: dict[str, Any], name: str) -> dict[str, Any]:
    return doc["components"]["schemas"][name]


def diff(mutate: Callable[[dict[str, Any]], None], old: dict[str, Any] | None = None) -> DiffReport:
    """The report of `base()` (or `old`) against a copy changed by `mutate`."""
    before = old if old is not None else base()
    after = copy.deepcopy(before)
    mutate(after)
    return compare_documents(before, after)


def changes(report: DiffReport) -> set[tuple[str, str, str, str]]:
    """(operationId, rule id, level, location) of every change."""
    return {(op.operation_id, c.id, c.level.value, c.location) for op in report.operations for c in op.changes}


def run(*args: str | Path, color: bool = False) -> Result:
    return CliRunner().invoke(main, ["diff", *map(str, args)], color=color)


def run_json(*args: str | Path) -> tuple[int, dict[str, Any]]:
    result = run(*args, "--format", "json")
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)


def json_changes(report: dict[str, Any]) -> set[tuple[str, str, str, str]]:
    """(METHOD path, rule id, level, location) of every change in a `--format json` report."""
    return {(f"{op['method']} {op['path']}", c["id"], c["level"], c["location"])
            for op in report["operations"] for c in op["changes"]}


def as_30(doc: dict[str, Any]) -> dict[str, Any]:
    """The document as OpenAPI 3.0 says it: `nullable: true` for type lists and null alternatives, boolean
    exclusive bounds, `example`."""
    doc = copy.deepcopy(doc)
    doc["openapi"] = "3.0.3"

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            t = node.get("type")
            if isinstance(t, list) and "null" in t:
                rest = [x for x in t if x != "null"]
                node["type"], node["nullable"] = rest[0], True
            alternatives = node.get("anyOf")
            if isinstance(alternatives, list) and {"type": "null"} in alternatives:
                others = [a for a in alternatives if a != {"type": "null"}]
                del node["anyOf"]
                if len(others) == 1 and "$ref" in others[0]:
                    node.update(others[0])
                else:
                    node["anyOf"] = others
                node["nullable"] = True
            if "exclusiveMinimum" in node and not isinstance(node["exclusiveMinimum"], bool):
                node["minimum"], node["exclusiveMinimum"] = node["exclusiveMinimum"], True
            if "examples" in node and isinstance(node["examples"], list):
                node["example"] = node.pop("examples")[0]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(doc["components"])
    walk(doc["paths"])
    return doc


def nullable_31() -> dict[str, Any]:
    doc = base()
    props = schema(doc, "Thing")["properties"]
    props["Name"]["type"] = ["string", "null"]
    props["Count"] = {"type": "integer", "exclusiveMinimum": 0, "examples": [3]}
    props["Parent"] = {"anyOf": [{"$ref": "#/components/schemas/ThingIn"}, {"type": "null"}]}
    props["State"]["enum"].append(None)
    props["State"]["type"] = ["string", "null"]
    return doc


# -- editing reference pages -------------------------------------------------------------------------------

def edit(page: Path, old: str, new: str, *, count: int = 1) -> None:
    """Replaces `old` by `new` in a page, `count` times exactly (so an edit that misses fails the test)."""
    text = page.read_text(encoding="utf-8")
    assert text.count(old) == count, f"{page.name}: {old!r} found {text.count(old)} times, not {count}"
    page.write_text(text.replace(old, new), encoding="utf-8")


def remove_property(folder: Path, name: str) -> int:
    """Removes a property from every page documenting it: its row in the property tables and its key in the
    sample bodies (the generator reads both). Returns how many pages changed."""
    row = re.compile(rf"^\| {re.escape(name)} \|[^\n]*\n", re.M)
    sample = re.compile(rf'\n\s*"{re.escape(name)}": [^\n]*?,(?=\n)')
    changed = 0
    for page in sorted(folder.glob("*.md")):
        text = page.read_text(encoding="utf-8")
        edited = sample.sub("", row.sub("", text))
        if edited != text:
            page.write_text(edited, encoding="utf-8")
            changed += 1
    return changed


def rename_word(folder: Path, old: str, new: str) -> None:
    """Renames a word in every page, with its first letter in either case (`BatchTaskInfo`, `batchTaskInfo`)."""
    pattern = re.compile(rf"\b([{old[0].upper()}{old[0].lower()}]){re.escape(old[1:])}\b")
    for page in folder.glob("*.md"):
        text = page.read_text(encoding="utf-8")
        page.write_text(pattern.sub(lambda m: (new[0].upper() if m.group(1).isupper() else new[0].lower()) + new[1:],
                                    text), encoding="utf-8")
