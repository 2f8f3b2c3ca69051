"""Regenerating after a few pages changed redoes only their operations when nothing else can change, and
gives byte for byte what a cold build gives, whatever the edit."""
from __future__ import annotations

import shutil

import pytest

from testdata import CORPUS_PAGES, SEEDS
from generator import build_spec
from generator.incremental import generate

GET_ALL = "rest/Batch/v1Batch_GetAll.md"
ONE_TASK = "rest/Batch/v1Batch_GetBatchTaskInfo.md"


@pytest.fixture()
def docs(tmp_path):
    """The corpus's Batch pages, REST and agent: every page documents its own endpoint."""
    if not CORPUS_PAGES.exists():
        pytest.skip("../shared/corpus is not beside the repository")
    folder = tmp_path / "docs"
    shutil.copytree(CORPUS_PAGES / "rest" / "Batch", folder / "rest" / "Batch")
    shutil.copytree(CORPUS_PAGES / "agent" / "Batch_Agent", folder / "agent" / "Batch_Agent")
    return folder


def regenerate(folder, cache):
    """The incremental result, checked against a cold build of the same pages."""
    done = generate([folder], cache_dir=cache, workers=1)
    cold = build_spec([folder], workers=1)
    assert done.text == cold.render("yaml")
    assert [d.format() for d in done.diagnostics] == [d.format() for d in cold.diagnostics]
    assert (done.operations, done.schemas, done.pages, done.merged) == \
        (len(cold.model.operations), len(cold.model.schemas), cold.pages, cold.merged)
    return done


def edit(path, old, new):
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_prose_and_sample_edits_redo_only_their_operations(docs, tmp_path):
    cache = tmp_path / "cache"
    assert not regenerate(docs, cache).incremental  # the first build is a full one
    assert regenerate(docs, cache).incremental  # nothing changed
    edit(docs / ONE_TASK, "Get a single BatchTaskInfo based on Id.", "Fetch one task, by its id.")
    edited = regenerate(docs, cache)
    assert edited.incremental and "Fetch one task, by its id." in edited.text
    # Two pages at once, one of them gaining lines (the page's own diagnostics and sources move).
    edit(docs / GET_ALL, "OData list of all Batch.", "OData list of all Batch.\n\nA second paragraph.\n")
    edit(docs / ONE_TASK, "Fetch one task, by its id.", "Fetch one task.")
    both = regenerate(docs, cache)
    assert both.incremental and "A second paragraph." in both.text and "Fetch one task." in both.text
    assert regenerate(docs, cache).incremental  # and the snapshot it left is right


def test_edits_that_reach_other_pages_rebuild_in_full(docs, tmp_path):
    cache = tmp_path / "cache"
    regenerate(docs, cache)
    # A property description is part of a shared schema: the registry must merge again.
    edit(docs / ONE_TASK, "| Id | int32 | Id of the task. |", "| Id | int32 | The task's id. |")
    assert not regenerate(docs, cache).incremental
    # A new page, then the same page gone.
    (docs / "extra.md").write_text((docs / "rest/Batch/v1Batch_StartBatchJob.md").read_text()
                                   .replace("v1Batch_StartBatchJob", "v1Extra_Start").replace("BatchTask", "Extra"))
    assert not regenerate(docs, cache).incremental
    (docs / "extra.md").unlink()
    assert not regenerate(docs, cache).incremental
    # An operationId edit.
    edit(docs / ONE_TASK, "id: v1Batch_GetBatchTaskInfo", "id: v1Batch_GetOneTask")
    assert not regenerate(docs, cache).incremental


def test_a_page_merged_with_another_rebuilds_in_full(tmp_path):
    # The seeds document POST /BatchTask on two pages, merged into one operation.
    folder = tmp_path / "docs"
    shutil.copytree(SEEDS, folder)
    cache = tmp_path / "cache"
    regenerate(folder, cache)
    page = folder / "004_0d64f66f213af615.txt"
    page.write_text(page.read_text() + "\nOne more line of prose.\n")
    assert not regenerate(folder, cache).incremental
    other = folder / "001_225a3a86c9cb9a02.txt"  # GET /BatchTask/{id}, documented once in the seeds
    edit(other, "Get a single BatchTaskInfo based on Id.", "Fetch one task.")
    assert regenerate(folder, cache).incremental


def test_json_output_and_no_cache_always_build_in_full(docs, tmp_path):
    cache = tmp_path / "cache"
    regenerate(docs, cache)
    assert not generate([docs], fmt="json", cache_dir=cache, workers=1).incremental
    assert not generate([docs], workers=1).incremental


def test_a_damaged_snapshot_means_a_full_build(docs, tmp_path):
    cache = tmp_path / "cache"
    regenerate(docs, cache)
    for snapshot in cache.glob("snapshot-*"):
        snapshot.write_bytes(b"not a snapshot")
    assert not regenerate(docs, cache).incremental
    assert regenerate(docs, cache).incremental


def test_a_page_another_diagnostic_points_into_rebuilds_in_full(docs, tmp_path):
    # Typing Id as a string on one page makes BatchTaskInfo contradict itself: the warning on one page names
    # a line of another. Lines added to that other page must move the warning's text, so: a full build.
    edit(docs / ONE_TASK, "| Id | int32 | Id of the task. |", "| Id | string | Id of the task. |")
    cache = tmp_path / "cache"
    first = regenerate(docs, cache)
    contradictions = [d for d in first.diagnostics if "contradicts" in d.message]
    assert contradictions
    named = next(p for p in sorted(docs.rglob("*.md")) if p.relative_to(docs).as_posix() in contradictions[0].message)
    named.write_text(named.read_text().replace("\n\n", "\n\nA new first paragraph.\n\n", 1))
    assert not regenerate(docs, cache).incremental
