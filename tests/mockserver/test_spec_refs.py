"""RefFollower: follow_refs remembered per $ref, for code that follows the same references thousands of times."""
from __future__ import annotations

import pytest

from mockserver import SpecError
from mockserver.spec import RefFollower, follow_refs

DOC = {"components": {"schemas": {
    "A": {"$ref": "#/components/schemas/B"},
    "B": {"type": "object", "properties": {"x": {"type": "string"}}},
    "Loop": {"$ref": "#/components/schemas/Loop"},
    "Broken": {"$ref": "#/components/schemas/Missing"},
}}}


@pytest.mark.parametrize("schema", [
    {"$ref": "#/components/schemas/A"}, {"$ref": "#/components/schemas/A", "description": "siblings are ignored"},
    {"$ref": "#/components/schemas/Loop"}, {"type": "integer"}, True, None, [1],
])
def test_it_leads_where_follow_refs_leads_and_remembers_it(schema: object) -> None:
    follow = RefFollower(DOC)
    assert follow(schema) is follow_refs(DOC, schema)
    assert follow(schema) is follow_refs(DOC, schema)  # the second time from memory, the same object


def test_a_broken_chain_raises_every_time() -> None:
    follow = RefFollower(DOC)
    for _ in range(2):
        with pytest.raises(SpecError, match="dangling"):
            follow({"$ref": "#/components/schemas/Broken"})
