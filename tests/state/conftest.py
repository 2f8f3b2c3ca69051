"""A harness that plays the server's part for the state engine: deterministic base data from the real generator."""
from __future__ import annotations

import json
import random
from typing import Any

import pytest

from mockserver.fakedata import DataFactory
from mockserver.seeding import stable_seed
from mockserver.spec import iter_operations, normalise
from mockserver.state import MemoryStore, StateEngine, Store


def _json_schema(op: Any) -> Any:
    code = next((c for c in sorted(op.responses) if c.startswith("2")), None)
    content = (op.responses.get(code) or {}).get("content") or {}
    media = content.get("application/json") or next(iter(content.values()), None)
    return (media or {}).get("schema")


class Harness:
    """Calls the engine the way the wired server would: by operationId, with base/base_list callbacks."""

    def __init__(self, spec: dict[str, Any], store: Store | None = None, overrides: dict | None = None,
                 clock: Any = None) -> None:
        self.spec = spec
        self.doc = normalise(spec)
        self.factory = DataFactory(self.doc, 0)
        self.ops = {op.operation_id: op for op in iter_operations(self.doc)}
        self.engine = StateEngine.from_spec(spec, store if store is not None else MemoryStore(), overrides,
                                            clock=clock or (lambda: "2024-01-02T03:04:05+00:00"))

    def base(self, op_id: str, ident: Any) -> dict[str, Any]:
        # The canonical record for an id: the entity's base operation generated with a seed from the id.
        action = self.engine.action_for(op_id)
        entity = action.entity
        schema = _json_schema(self.ops[entity.base_operation])
        value = self.factory.generator(schema)(random.Random(stable_seed(entity.base_operation, ident)), 0)
        value[entity.id_field] = ident
        return value

    def base_list(self, op_id: str) -> Any:
        schema = _json_schema(self.ops[op_id])
        action = self.engine.action_for(op_id)
        r = random.Random(stable_seed(op_id, "list"))
        if (schema or {}).get("type") == "array":
            # Like a careful server: a page of base records, so list rows equal what GET /{id} answers.
            return [self.base(op_id, i) for i in (11, 12, 13, 14, 15, 16, 17, 18)]
        value = self.factory.generator(schema)(r, 0)
        entity = action.entity
        value["value"] = [{entity.id_field: i, "name": f"row {i}"} for i in (11, 12, 13)]
        return value

    def call(self, op_id: str, path: dict[str, str] | None = None, body: Any = None,
             query: dict[str, list[str]] | None = None, content_type: str = "application/json",
             session: str = "default"):
        action = self.engine.action_for(op_id)
        assert action is not None, f"{op_id} is not stateful"
        body = json.loads(json.dumps(body))  # what the server would parse from the wire
        return self.engine.handle(action, session, path or {}, query or {}, body, content_type,
                                  lambda ident: self.base(op_id, ident), lambda: self.base_list(op_id))


@pytest.fixture(scope="session")
def seed_spec(seeds_result):
    return seeds_result.spec


@pytest.fixture(scope="session")
def corpus_spec(corpus_result):
    return corpus_result.spec


@pytest.fixture()
def seeds(seed_spec):
    return Harness(seed_spec)


@pytest.fixture()
def corpus(corpus_spec):
    return Harness(corpus_spec)
