"""Pages are inferred one by one (in parallel, cached) and registered in page order: the result must be what
inferring every page against one shared registry gives, which is the reference the shortcuts are checked by."""
from __future__ import annotations

import pickle

import pytest

from testdata import CORPUS, SEEDS
from generator import build_spec
from generator.errors import Diagnostic, Severity
from generator.model import Property, Schema, Source
from generator.registry import PageRecorder, SchemaRegistry

SOURCE = Source("p.md", 1)


def obj(*names: str) -> Schema:
    return Schema(type="object", properties=tuple(Property(n, Schema(type="string")) for n in names))


def _as_text(result):
    return result.render("yaml"), [d.format() for d in result.diagnostics]


@pytest.mark.parametrize("inputs", [SEEDS, CORPUS], ids=["seeds", "corpus"])
def test_drafts_give_what_one_shared_registry_gives(inputs, monkeypatch):
    drafted = build_spec([inputs], workers=1)
    # Every page inferred against the shared registry, in page order: the sequential reference.
    monkeypatch.setattr(SchemaRegistry, "add_page", lambda self, proposals: None)
    direct = build_spec([inputs], workers=1)
    assert _as_text(drafted) == _as_text(direct)


def test_guessed_names_are_page_local_until_registered():
    recorder = PageRecorder()
    first = recorder.propose("Contact", obj("Id", "Name"), SOURCE, documented=False, parent="Person")
    again = recorder.propose("Contact", obj("Id", "Name"), SOURCE, documented=False, parent="Sale")
    named = recorder.propose("PersonEntity", obj("Id", "Contact"), SOURCE)
    assert first == again and first.ref != "Contact" and named == Schema(ref="PersonEntity")
    registry = SchemaRegistry()
    local = registry.add_page(recorder.proposals)
    assert local[first.ref] == "Contact"


def test_a_page_whose_names_would_split_is_left_to_direct_inference():
    registry = SchemaRegistry({"Contact": frozenset({"Id", "Name"})})
    recorder = PageRecorder()
    # The page assumed both proposals are one type; against the registry the second is another shape.
    recorder.propose("Contact", obj("Id", "Name"), SOURCE, documented=False, parent="Person")
    recorder.propose("Contact", obj("Street", "City", "Zip"), SOURCE, documented=False, parent="Sale")
    assert registry.add_page(recorder.proposals) is None
    schemas, _, _ = registry.finalize()
    assert schemas == ()  # nothing was registered


def test_enum_types_named_in_prose_are_resolved_when_the_page_is_registered():
    recorder = PageRecorder()
    marked = recorder.enum_named_in("BatchTaskState of the task.")
    assert recorder.enum_named_in("Name of the task.") == ()
    recorder.propose("Task", Schema(type="object", properties=(Property("State", Schema(type="string", enum=marked)),)),
                     SOURCE)
    defining = PageRecorder()
    defining.note_enum("The BatchTaskState to get batch tasks for.", ("New", "Failed"))
    registry = SchemaRegistry.from_pages([((), defining.enum_notes), (recorder.proposals, recorder.enum_notes)])
    registry.add_page(recorder.proposals)
    schemas, _, _ = registry.finalize()
    assert schemas[0].schema.property("State").schema == Schema(type="string", enum=("New", "Failed"))


def test_records_pickle_through_their_constructor():
    schema = Schema(type="object", properties=(Property("Id", Schema(type="integer", format="int32")),))
    diagnostic = Diagnostic("p.md", 3, Severity.WARNING, "w")
    for value in (schema, diagnostic, SOURCE):
        restored = pickle.loads(pickle.dumps(value))
        assert restored == value and type(restored) is type(value)
    assert Schema.__reduce__ is not object.__reduce__
    assert sorted([Diagnostic("z.md", 1, Severity.NOTE, ""), diagnostic])[0] is diagnostic  # order=True kept
