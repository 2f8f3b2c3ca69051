"""A DocsSession rebuilds after each edit to exactly what a cold build of the same files gives, patching the
last document for edits that stay within their page's operation and sharing every unchanged part with it."""
from __future__ import annotations

from pathlib import Path

import pytest

from generator import DocsError, build_spec
from generator.session import DocsSession
from testdata import REPO, batch_docs, edit

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


# --- the session's memo (what the last build decided) gives what a cold build gives, whatever the edit ----------

def _scale_corpus(tmp_path: Path, clones: int) -> Path:
    """`clones` renamed copies of the real corpus (bench/scale_corpus.py), as the full-scale benchmark uses:
    carriers shared by many pages, guessed names from samples, pages inferred against the registry."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("scale_corpus", REPO / "bench" / "scale_corpus.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if not module.CORPUS.exists():
        pytest.skip("../shared/corpus is not beside the repository")
    module.build(clones, tmp_path / "scale")
    return tmp_path / "scale"


EDITS = [
    # (what, file pattern, old, new)
    ("prose", "v1BatchK1_GetBatchTaskK1Info.md", "Get a single BatchTaskK1Info based on Id.", "One task."),
    ("row added", "v1BatchK1_GetBatchTaskK1Info.md", "| Name | string | Name of the task. |",
     "| Name | string | Name of the task. |\n| Colour | string | A colour. |"),
    ("row removed", "v1BatchK1_GetBatchTaskK1Info.md", "\n| Colour | string | A colour. |", ""),
    ("type changed", "v1BatchK1_GetBatchTaskK1Info.md", "| id | int32 |", "| id | string |"),
    ("sample key added", "v1BatchK0_GetBatchTaskK0Info.md", '"Name": ', '"Nickname": "x",\n  "Name": '),
    ("carrier renamed in prose", "v1BatchK1_StartBatchK1Job.md", "BatchTaskK1Info", "BatchTaskK1Record"),
    ("overview edited", "rest/BatchK1/index.md", "\n* [", "\nAbout batch tasks.\n\n* ["),
]


def test_every_kind_of_edit_on_a_scaled_corpus_gives_the_cold_build(tmp_path: Path) -> None:
    docs = _scale_corpus(tmp_path, 2)
    session = DocsSession([docs], workers=1)
    rebuilt(session, docs)
    for what, pattern, old, new in EDITS:
        page = next(p for p in docs.rglob("*.md") if p.as_posix().endswith(pattern))
        edit(page, old, new)
        rebuilt(session, docs)  # compares with a cold build
    # Pages added, renamed and deleted.
    page = next(docs.rglob("v1BatchK0_GetBatchTaskK0Info.md"))
    copy = page.with_name("v1BatchK0_Copy.md")
    copy.write_text(page.read_text(encoding="utf-8").replace("/api/v1/BatchTaskK0/{id}", "/api/v1/BatchTaskK0/{id}/Copy")
                    .replace("id: v1BatchK0_GetBatchTaskK0Info", "id: v1BatchK0_Copy"), encoding="utf-8")
    rebuilt(session, docs)
    copy.rename(copy.with_name("v1BatchK0_Copied.md"))
    rebuilt(session, docs)
    copy.with_name("v1BatchK0_Copied.md").unlink()
    rebuilt(session, docs)
    page.unlink()
    rebuilt(session, docs)


SAMPLE_PAGE = """Response body: {carrier}

{carrier} carries a thing.

| Property Name | Type |  Description |
|----------------|------|--------------|
| Name | string | The name |

## Sample Request

```http_
HTTP/1.1 200 OK
Content-Type: application/json; charset=utf-8

{{
  "Name": "x",
  "Widget": {widget}
}}
```
"""


def test_a_guessed_name_decided_by_an_earlier_page_is_decided_again(tmp_path: Path) -> None:
    """Page b's sample type `Widget` is qualified while page a gives `Widget` another shape, and takes the
    plain name once a's edit makes the shapes agree: the memo must not replay b's old decision."""
    from pagekit import write_page

    docs = tmp_path / "docs"
    docs.mkdir()
    a = write_page(docs, "a.md", path="Alpha/{{id}}", operation_id="v1Alpha_Get",
                   extra=SAMPLE_PAGE.format(carrier="AlphaInfo", widget='{"A": 1, "B": 2, "C": 3}'))
    write_page(docs, "b.md", path="Beta/{{id}}", operation_id="v1Beta_Get",
               extra=SAMPLE_PAGE.format(carrier="BetaInfo", widget='{"X": 1, "Y": 2, "Z": 3}'))
    session = DocsSession([docs], workers=1)
    before = set(rebuilt(session, docs).spec["components"]["schemas"])
    edit(a, '{"A": 1, "B": 2, "C": 3}', '{"X": 1, "Y": 2, "Z": 3}')
    after = set(rebuilt(session, docs).spec["components"]["schemas"])
    assert before != after  # b's Widget is no longer qualified


def test_a_watchers_report_of_modified_files_is_enough_and_anything_else_walks_the_folders(docs: Path) -> None:
    session = DocsSession([docs], workers=1)
    rebuilt(session, docs)
    page = docs / ONE_TASK
    edit(page, "Get a single BatchTaskInfo based on Id.", "Told by the watcher.")
    build = session.build([str(page)])
    assert build.incremental and build.spec == build_spec([docs], workers=1).spec
    edit(page, "| Name | string | Name of the task. |", "| Name | string | Name of the task. |\n| Hue | string | x |")
    build = session.build([str(page.resolve())])
    assert not build.incremental and build.spec == build_spec([docs], workers=1).spec
    # A file the last build did not have: the folders are walked again, and the new page is found.
    copy = page.with_name("v1Batch_Copy.md")
    copy.write_text(page.read_text().replace("/api/v1/BatchTask/{id}", "/api/v1/BatchTask/{id}/Copy")
                    .replace("id: v1Batch_GetBatchTaskInfo", "id: v1Batch_Copy"))
    assert "/api/v1/BatchTask/{id}/Copy" in session.build([str(copy)]).spec["paths"]
    assert session.build([str(page)]).unchanged


def test_hidden_files_and_editor_leftovers_are_no_pages(docs: Path) -> None:
    folder = docs / "rest" / "Batch"
    (folder / ".#v1Batch_GetAll.md").symlink_to("user@host.1234:1700000000")  # an Emacs lock: a dangling link
    (folder / "#v1Batch_GetAll.md#").write_text("autosave", encoding="utf-8")
    (docs / ".git").mkdir()
    (docs / ".git" / "notes.md").write_text("not docs", encoding="utf-8")
    result = build_spec([docs], workers=1)
    assert not any(".#" in d.path or "#v1" in d.path or ".git" in d.path for d in result.diagnostics)
    assert result.pages == len(list(docs.rglob("*.md"))) - 2  # the lock (a dangling link) is not even listed
