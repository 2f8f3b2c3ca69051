"""Inference's schema walks are remembered per $ref: what they find must not change (entity names, patch paths)."""
from __future__ import annotations

from typing import Any

from mockserver.spec import normalise
from mockserver.state import infer
from mockserver.state.entities import _Schemas


def _plain_all_names(s: _Schemas, schema: Any, out: dict[str, str], depth: int = 0,
                     seen: set[int] | None = None) -> None:
    """The walk as first written (recursive, nothing remembered between calls): the oracle."""
    seen = set() if seen is None else seen
    resolved = s.resolve(schema)
    if depth > 6 or id(resolved) in seen:
        return
    seen.add(id(resolved))
    for k, v in (resolved.get("properties") or {}).items():
        out.setdefault(k.lower(), k)
        _plain_all_names(s, v, out, depth + 1, seen)
    if isinstance(resolved.get("items"), dict):
        _plain_all_names(s, resolved["items"], out, depth + 1, seen)
    if isinstance(resolved.get("additionalProperties"), dict):
        _plain_all_names(s, resolved["additionalProperties"], out, depth + 1, seen)


def _check_every_component(spec: dict[str, Any]) -> int:
    doc = normalise(spec)
    remembered = _Schemas(doc)
    walked = 0
    for name in (doc.get("components") or {}).get("schemas") or {}:
        ref = {"$ref": f"#/components/schemas/{name}"}
        expected: dict[str, str] = {}
        _plain_all_names(_Schemas(doc), ref, expected)
        first: dict[str, str] = {"id": "ID"}  # a name already there keeps its spelling
        again: dict[str, str] = {}
        remembered.all_names(ref, first)
        remembered.all_names(ref, again)  # the second time comes from memory
        assert list(again.items()) == list(expected.items()), name
        assert first == {"id": "ID", **{k: v for k, v in expected.items() if k != "id"}}, name
        walked += 1
    return walked


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def test_deep_and_cyclic_schemas_are_walked_as_before() -> None:
    # A chain of 10 levels that loops back to its start, and spellings that differ only in case at two depths.
    schemas: dict[str, Any] = {f"L{i}": {"type": "object", "properties": {f"Level{i}": _ref(f"L{(i + 1) % 10}"),
                                                                       "name" if i % 2 else "Name": {}}}
                               for i in range(10)}
    schemas["Wrapper"] = {"type": "object", "properties": {
        "Items": {"type": "array", "items": _ref("L3")},
        "Extra": {"type": "object", "additionalProperties": _ref("L0")},
        "Broken": _ref("Missing"),
    }}
    spec = {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {},
            "components": {"schemas": schemas}}
    assert _check_every_component(spec) == 11
    found: dict[str, str] = {}
    _Schemas(normalise(spec)).all_names(_ref("L0"), found)
    assert "level6" in found and "level7" not in found  # six levels below the root, no more


def test_names_found_on_the_seed_and_corpus_specs_are_those_of_the_plain_walk(seed_spec: Any,
                                                                            corpus_spec: Any) -> None:
    assert _check_every_component(seed_spec) > 0
    assert _check_every_component(corpus_spec) > 50


def test_entity_names_combine_the_record_and_its_carriers(corpus_spec: Any) -> None:
    task = next(e for e in infer(corpus_spec).entities if e.name == "BatchTask")
    s = _Schemas(normalise(corpus_spec))
    expected: dict[str, str] = {}
    for carrier in ("BatchTaskInfo", *task.carriers):
        _plain_all_names(s, _ref(carrier), expected)
    assert dict(task.names) == expected
