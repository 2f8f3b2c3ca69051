"""Regeneration with a cache gives byte for byte what a cold run gives, whatever changed in between."""
from __future__ import annotations

import contextlib
import shutil
import subprocess
import sys
import threading

import pytest

from testdata import CORPUS_PAGES, SEEDS
from generator import build_spec, cache, pipeline


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


def test_an_enum_type_edited_on_one_page_reaches_the_cached_pages_that_name_it(docs, tmp_path):
    # Page 000 defines BatchTaskState (its `state` parameter); the other pages type `State` as a string that
    # names it. Their cached inference must follow an edit of page 000 alone.
    cache = tmp_path / "cache"
    both(docs, cache)
    definer = docs / "000_8ca6e1fa67161f5d.txt"
    definer.write_text(definer.read_text().replace("Enum: Unknown, New,", "Enum: Unknown, Fresh,"))
    edited = both(docs, cache).spec
    state = edited["components"]["schemas"]["BatchTaskInfo"]["properties"]["State"]
    assert "Fresh" in state["enum"] and "New" not in state["enum"]


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
    expected = build_spec([docs], workers=1).render("yaml")
    parallel = build_spec([docs], workers=2)
    assert parallel.render("yaml") == expected
    assert len(parallel.diagnostics) > len(serial.diagnostics)  # the copies are reported as duplicates
    # With another thread running, the workers are spawned instead of forked: the same document.
    with _another_thread():
        assert pipeline.worker_start().get_start_method() == "spawn"
        assert build_spec([docs], workers=2).render("yaml") == expected


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers are forked on Linux only")
def test_workers_are_forked_only_from_a_single_threaded_process():
    started = subprocess.run([sys.executable, "-c", "import generator.pipeline as p; "
                                                    "print(p.worker_start().get_start_method())"],
                             capture_output=True, text=True, check=True).stdout.strip()
    assert started == "fork"  # `docmock generate`: one thread
    with _another_thread():  # a server, or any program that runs threads, spawns them
        assert pipeline.worker_start().get_start_method() == "spawn"


@contextlib.contextmanager
def _another_thread():
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def test_cache_forgets_what_has_not_been_used_for_a_month(docs, tmp_path, monkeypatch):
    from generator import cache as page_cache

    folder = tmp_path / "cache"
    day = page_cache._today()
    monkeypatch.setattr(page_cache, "_today", lambda: day)
    store = page_cache.PageCache(folder)
    store.put_many({"old": 1, "kept": 2})
    store.close()
    monkeypatch.setattr(page_cache, "_today", lambda: day + page_cache.KEEP_DAYS)
    store = page_cache.PageCache(folder)
    assert store.get_many(["kept"]) == {"kept": 2}  # used today: kept
    store.close()
    monkeypatch.setattr(page_cache, "_today", lambda: day + page_cache.KEEP_DAYS + 1)
    page_cache.PageCache(folder).close()  # a run that used neither entry
    store = page_cache.PageCache(folder)
    assert store.get_many(["old", "kept"]) == {"kept": 2}
    store.close()


def test_cache_files_of_other_versions_go_when_left_alone_for_a_month(tmp_path):
    import os
    import time

    from generator import cache as page_cache

    folder = tmp_path / "cache"
    folder.mkdir()
    stale, recent = folder / "pages-0000000000000000.sqlite3", folder / "validated.sqlite3"
    for file in (stale, recent):
        file.write_bytes(b"")
    month_ago = time.time() - (page_cache.KEEP_DAYS + 1) * 86400
    os.utime(stale, (month_ago, month_ago))
    page_cache.PageCache(folder).close()
    assert not stale.exists() and recent.exists()
    assert len(list(folder.glob("pages-*.sqlite3"))) == 1  # this version's own file


def test_the_cache_key_covers_every_module_a_page_read_runs():
    # What a worker imports to read pages is what a cached read depends on: a change to any of them must miss.
    imported = subprocess.run(
        [sys.executable, "-c", "import sys, generator.reading; "
                               "print(' '.join(m for m in sys.modules if m.startswith('generator.')))"],
        capture_output=True, text=True, check=True).stdout.split()
    modules = {name.split(".", 1)[1] + ".py" for name in imported}
    assert "markdown_page.py" in modules and "render.py" not in modules
    assert modules <= set(cache._PARSER_MODULES)
