"""A DocsSession rebuilds after each edit to exactly what a cold build of the same files gives, patching the
last document for edits that stay within their page's operation and sharing every unchanged part with it."""
from __future__ import annotations

from pathlib import Path

import pytest

from generator import DocsError, build_spec
from generator.session import DocsSession
from testdata import batch_docs, edit

ONE_TASK = "rest/Batch/v1Batch_GetBatchTaskInfo.md"
GET_ALL = "rest/Batch/v1Batch_GetAll.md"


@pytest.fixture()
def docs(tmp_path: Path) -> Path:
    return batch_docs(tmp_path)


def rebuilt(session: DocsSession, docs: Path):
    """The session's next build, checked against a cold build of the same files."""
    build = session.build()
    cold = build_spec([docs], workers=1)
    assert build.spec == cold.spec
    assert [d.format() for d in build.diagnostics] == [d.format() for d in cold.diagnostics]
    return build


def test_a_prose_edit_patches_the_last_document_and_shares_the_rest(docs: Path) -> None:
    session = DocsSession([docs], workers=1)
    first = rebuilt(session, docs)
    assert not first.incremental
    edit(docs / ONE_TASK, "Get a single BatchTaskInfo based on Id.", "One task, by id.")
    build = rebuilt(session, docs)
    assert build.incremental and not build.unchanged
    paths, before = build.spec["paths"], first.spec["paths"]
    assert paths["/api/v1/BatchTask/{id}"]["get"]["summary"] == "One task, by id."
    assert all(paths[p] is before[p] for p in paths if p != "/api/v1/BatchTask/{id}")
    assert build.spec["components"] is first.spec["components"]


def test_edits_that_reach_further_build_in_full_and_share_what_did_not_change(docs: Path) -> None:
    session = DocsSession([docs], workers=1)
    first = rebuilt(session, docs)
    edit(docs / ONE_TASK, "| Name | string | Name of the task. |",
         "| Name | string | Name of the task. |\n| Colour | string | Its colour. |")
    build = rebuilt(session, docs)
    assert not build.incremental
    assert "Colour" in build.spec["components"]["schemas"]["BatchTaskInfo"]["properties"]
    assert build.spec["paths"].keys() == first.spec["paths"].keys()


def test_pages_added_deleted_and_renamed(docs: Path) -> None:
    session = DocsSession([docs], workers=1)
    rebuilt(session, docs)
    copy = docs / "rest" / "Batch" / "v1Batch_Copy.md"
    copy.write_text((docs / ONE_TASK).read_text().replace("/api/v1/BatchTask/{id}", "/api/v1/BatchTask/{id}/Copy")
                    .replace("id: v1Batch_GetBatchTaskInfo", "id: v1Batch_Copy"))
    assert "/api/v1/BatchTask/{id}/Copy" in rebuilt(session, docs).spec["paths"]
    copy.rename(copy.with_name("v1Batch_Copied.md"))
    assert "/api/v1/BatchTask/{id}/Copy" in rebuilt(session, docs).spec["paths"]
    copy.with_name("v1Batch_Copied.md").unlink()
    assert "/api/v1/BatchTask/{id}/Copy" not in rebuilt(session, docs).spec["paths"]


def test_nothing_changed_gives_the_same_document(docs: Path) -> None:
    session = DocsSession([docs], workers=1)
    first = session.build()
    (docs / ONE_TASK).touch()  # a save without a change
    again = session.build()
    assert again.unchanged and again.spec is first.spec


def test_a_failed_build_keeps_the_last_good_document(docs: Path) -> None:
    session = DocsSession([docs], workers=1)
    first = session.build()
    moved = docs.parent / "away"
    docs.rename(moved)
    docs.mkdir()
    with pytest.raises(DocsError):
        session.build()
    assert session.spec is first.spec
    docs.rmdir()
    moved.rename(docs)
    assert session.build().spec == first.spec


def test_two_pages_edited_at_once(docs: Path) -> None:
    session = DocsSession([docs], workers=1)
    rebuilt(session, docs)
    edit(docs / ONE_TASK, "Get a single BatchTaskInfo based on Id.", "First.")
    edit(docs / GET_ALL, "OData list of all Batch.", "OData list of all Batch.\n\nA second paragraph.\n")
    build = rebuilt(session, docs)
    assert build.incremental
