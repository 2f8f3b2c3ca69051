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


def test_a_yaml_spec_is_read_with_libyaml_and_reads_as_the_pure_python_loader_reads_it(corpus_result, tmp_path) -> None:
    import yaml

    from generator.render import render_yaml
    from mockserver import load_spec
    from mockserver import spec as spec_module

    if not yaml.__with_libyaml__:
        pytest.skip("this PyYAML was built without libyaml")
    assert spec_module.YAML_LOADER is yaml.CSafeLoader  # the pure-Python loader took a second of the corpus's start-up
    path = tmp_path / "corpus.yaml"
    path.write_text(render_yaml(corpus_result.spec), encoding="utf-8")
    assert load_spec(path) == yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
