"""Regeneration with a cache gives byte for byte what a cold run gives, whatever changed in between."""
from __future__ import annotations

import shutil

import pytest

from testdata import CORPUS_PAGES, SEEDS
from generator import DocsError, build_spec
from generator.validation import fragments, validate_document


@pytest.fixture()
def docs(tmp_path):
    folder = tmp_path / "docs"
    shutil.copytree(SEEDS, folder)
    if CORPUS_PAGES.exists():
        shutil.copytree(CORPUS_PAGES / "rest" / "Batch", folder / "Batch")
    return folder


def both(folder, cache):
    warm = build_spec([folder], cache_dir=cache, workers=1)
    cold = build_spec([folder], workers=1)
    assert warm.render("yaml") == cold.render("yaml")
    assert [d.format() for d in warm.diagnostics] == [d.format() for d in cold.diagnostics]
    return warm


def test_edit_add_delete_and_rename_pages(docs, tmp_path):
    cache = tmp_path / "cache"
    first = both(docs, cache)
    seed = docs / "001_225a3a86c9cb9a02.txt"
    seed.write_text(seed.read_text().replace("Get a single BatchTaskInfo based on Id.", "Fetch one task."))
    edited = both(docs, cache)
    assert edited.render("yaml") != first.render("yaml") and "Fetch one task." in edited.render("yaml")
    (docs / "extra.md").write_text((docs / "004_0d64f66f213af615.txt").read_text()
                                   .replace("v1Batch_StartBatchJob", "v1Extra_Start").replace("BatchTask", "Extra"))
    assert "v1Extra_Start" in both(docs, cache).render("yaml")
    (docs / "extra.md").unlink()
    assert both(docs, cache).render("yaml") == edited.render("yaml")
    seed.rename(docs / "renamed.txt")  # diagnostics name the file: a renamed page must not come from the cache
    assert "renamed.txt" in both(docs, cache).render("yaml")


def test_broken_page_diagnostics_come_back_from_the_cache(docs, tmp_path):
    (docs / "broken.md").write_text("---\ntitle: Broken\n---\n\n# Broken\n")
    cache = tmp_path / "cache"
    both(docs, cache)
    again = both(docs, cache)
    assert [d.line for d in again.diagnostics if d.path.endswith("broken.md")] == [5]


def test_parallel_parsing_gives_the_same_document(docs):
    serial = build_spec([docs], workers=1)
    for n in range(160):  # over the threshold for worker processes
        (docs / f"copy{n:03}.txt").write_text((docs / "000_8ca6e1fa67161f5d.txt").read_text())
    parallel = build_spec([docs], workers=2)
    assert build_spec([docs], workers=1).render("yaml") == parallel.render("yaml")
    assert len(parallel.diagnostics) > len(serial.diagnostics)  # the copies are reported as duplicates


def test_fragment_validation_finds_what_whole_validation_finds(seeds_result, tmp_path):
    spec = seeds_result.spec
    assert sum(1 for _ in fragments(spec)) == 1 + len(spec["components"]["schemas"]) + len(spec["paths"])
    validate_document(spec, tmp_path)
    broken = {**spec, "components": {**spec["components"], "schemas": {
        **spec["components"]["schemas"], "TableRight": {"type": "no-such-type"}}}}
    with pytest.raises(DocsError, match="components/schemas/TableRight"):
        validate_document(broken, tmp_path)
    with pytest.raises(DocsError):  # and a failure is never remembered as a pass
        validate_document(broken, tmp_path)
    with pytest.raises(DocsError):
        validate_document(broken)


def test_parallel_fragment_validation_reports_the_failure(seeds_result, tmp_path, monkeypatch):
    from generator import validation

    monkeypatch.setattr(validation, "_PARALLEL_THRESHOLD", 1)
    spec = seeds_result.spec
    validate_document(spec, tmp_path / "ok", workers=2)
    broken = {**spec, "paths": {**spec["paths"], "/x": {"get": {"responses": {"200": {"description": 5}}}}}}
    with pytest.raises(DocsError, match="paths//x"):
        validate_document(broken, tmp_path / "broken", workers=2)
