"""Regenerating after a few pages changed redoes only their operations when nothing else can change, and
gives byte for byte what a cold build gives, whatever the edit and whichever path `generate` takes."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from testdata import SEEDS, batch_docs, edit
from generator import build_spec
from generator.incremental import generate

GET_ALL = "rest/Batch/v1Batch_GetAll.md"  # GET /BatchTask (same path item as START)
START = "rest/Batch/v1Batch_StartBatchJob.md"  # POST /BatchTask
ONE_TASK = "rest/Batch/v1Batch_GetBatchTaskInfo.md"  # GET /BatchTask/{id}
BY_STATE = "rest/Batch/v1Batch_GetBatchTaskInfosByState.md"  # defines the BatchTaskState enum type
STOP = "rest/Batch/v1Batch_StopBatchJob.md"
AGENT_ONE = "agent/Batch_Agent/v1BatchAgent_GetBatchTaskInfo.md"


@pytest.fixture()
def docs(tmp_path: Path) -> Path:
    return batch_docs(tmp_path)


@pytest.fixture()
def seeds(tmp_path):
    folder = tmp_path / "seeds"
    shutil.copytree(SEEDS, folder)
    return folder


def regenerate(inputs, cache, **kwargs):
    """The result of `generate`, checked against a cold build of the same inputs."""
    inputs = inputs if isinstance(inputs, list) else [inputs]
    done = generate(inputs, cache_dir=cache, workers=1, **kwargs)
    cold = build_spec(inputs, workers=1, **kwargs)
    assert done.text == cold.render("yaml")
    assert [d.format() for d in done.diagnostics] == [d.format() for d in cold.diagnostics]
    assert (done.operations, done.schemas, done.pages, done.merged) == \
        (len(cold.model.operations), len(cold.model.schemas), cold.pages, cold.merged)
    return done


# --- the common edits, and the edits that must rebuild in full -------------------------------------------

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


# One page edited per step, then regenerated; whether that run may go incremental (None: either is right).
EDIT_SEQUENCES = {
    "query parameter added": [
        (ONE_TASK, "| id | int32 | Id of the BatchTaskInfo to get. **Required** |",
         "| id | int32 | Id of the BatchTaskInfo to get. **Required** |\n\n"
         "| Parameter Name | Type | Description |\n|----------------|------|-------------|\n"
         "| $select | string | Which fields to return. |", None)],
    "endpoint line moves (x-docmock-sources)": [
        (ONE_TASK, "# GET BatchTask/{id}\n", "# GET BatchTask/{id}\n\nMoved down.\n\nMore.\n", True)],
    "own warning appears, then goes": [
        (ONE_TASK, "| 404 | Not Found. |", "| 404 | Not Found. |\n| abc | Bogus. |", True),
        (ONE_TASK, "| 404 | Not Found. |\n| abc | Bogus. |", "| 404 | Not Found. |", True)],
    "front matter id removed (a derived operationId)": [(STOP, "id: v1Batch_StopBatchJob\n", "", False)],
    "one path item, two pages (GET and POST /BatchTask)": [
        (START, "Start a batch job based on BatchTaskInfo.", "Start a batch job.", True),
        (GET_ALL, "OData list of all Batch.", "All batches.", True)],
    "response codes added and changed": [
        (ONE_TASK, "| 404 | Not Found. |", "| 404 | Not Found. |\n| 401 | Unauthorized. |", None),
        (ONE_TASK, "| 200 | OK |", "| 201 | Created |", None)],
    "response type word changed, same proposals": [(ONE_TASK, "Response body: object", "Response body: array", None)],
    "page defining an enum type: prose, then values": [
        (BY_STATE, "Gets an array of BatchTaskInfo", "Gets a list of BatchTaskInfo", True),
        (BY_STATE, "Enum: Unknown, New, Aquired,", "Enum: Unknown, New, Acquired,", False)],
    "front matter broken, then unclosed": [
        (STOP, "---\ntitle:", "---\ntitle: [unclosed\nfoo:", None),
        (STOP, "---\n\n#", "\n\n#", None)],
    "overview title edited (tags change), then a page": [
        ("rest/Batch/index.md", "title: Batch", "title: Batch_Tasks", False),
        (ONE_TASK, "Get a single BatchTaskInfo based on Id.", "Fetch one.", True)],
}


@pytest.mark.parametrize("steps", EDIT_SEQUENCES.values(), ids=list(EDIT_SEQUENCES))
def test_edit_sequences(docs, tmp_path, steps):
    cache = tmp_path / "cache"
    regenerate(docs, cache)
    for page, old, new, incremental in steps:
        edit(docs / page, old, new)
        done = regenerate(docs, cache)
        assert incremental is None or done.incremental == incremental


# --- operation-local edits that should go incremental -------------------------------------------------------

def test_header_parameter_added_and_secured_flag_flipped(docs, tmp_path):
    cache = tmp_path / "cache"
    regenerate(docs, cache)
    edit(docs / STOP, "| SO-AppToken |", "| X-Custom | A custom header. |\n| SO-AppToken |")
    assert regenerate(docs, cache).incremental
    # Without the Authorization and X-XSRF-TOKEN rows the operation is no longer secured.
    text = (docs / STOP).read_text()
    lines = [line for line in text.split("\n") if not line.startswith(("| Authorization", "| X-XSRF-TOKEN"))]
    (docs / STOP).write_text("\n".join(lines))
    assert not regenerate(docs, cache).incremental


def test_two_changed_pages_on_the_same_path_item(docs, tmp_path):
    cache = tmp_path / "cache"
    regenerate(docs, cache)
    edit(docs / START, "Start a batch job based on BatchTaskInfo.", "Start a batch job.\n\nSecond para.\n")
    edit(docs / GET_ALL, "OData list of all Batch.", "All batches.\n\nAnd more.\n\nAnd more.\n")
    assert regenerate(docs, cache).incremental
    assert regenerate(docs, cache).incremental


def test_crlf_line_endings(docs, tmp_path):
    cache = tmp_path / "cache"
    regenerate(docs, cache)
    page = docs / ONE_TASK
    page.write_bytes(page.read_bytes().replace(b"\n", b"\r\n"))
    assert regenerate(docs, cache).incremental
    page.write_bytes(page.read_bytes().replace(b"Get a single", b"Fetch a single"))
    assert regenerate(docs, cache).incremental


def test_bom_added(docs, tmp_path):
    cache = tmp_path / "cache"
    regenerate(docs, cache)
    page = docs / ONE_TASK
    page.write_bytes(b"\xef\xbb\xbf" + page.read_bytes())
    regenerate(docs, cache)


def test_page_edited_back_to_its_original(docs, tmp_path):
    cache = tmp_path / "cache"
    regenerate(docs, cache)
    original = (docs / ONE_TASK).read_bytes()
    edit(docs / ONE_TASK, "Get a single BatchTaskInfo based on Id.", "Changed.\n\nTwo paragraphs.")
    assert regenerate(docs, cache).incremental
    (docs / ONE_TASK).write_bytes(original)
    assert regenerate(docs, cache).incremental
    edit(docs / ONE_TASK, "Get a single BatchTaskInfo based on Id.", "Changed.\n\nTwo paragraphs.")
    assert regenerate(docs, cache).incremental


def test_path_parameter_renamed_and_description_changed(docs, tmp_path):
    cache = tmp_path / "cache"
    regenerate(docs, cache)
    edit(docs / ONE_TASK, "| id | int32 | Id of the BatchTaskInfo to get.", "| id | int32 | The task id.")
    assert regenerate(docs, cache).incremental
    edit(docs / ONE_TASK, "| id | int32 |", "| id | string |")
    regenerate(docs, cache)
    edit(docs / ONE_TASK, "| id | string |", "| taskId | string |")  # no longer a path part: a warning
    regenerate(docs, cache)
    (docs / ONE_TASK).write_text((docs / ONE_TASK).read_text().replace("{id}", "{taskId}"))
    regenerate(docs, cache)


# --- edits that must fall back -------------------------------------------------------------------------------

def test_page_made_non_reference(docs, tmp_path):
    cache = tmp_path / "cache"
    regenerate(docs, cache)
    (docs / STOP).write_text("Just a note, no front matter and no endpoint.\n")
    assert not regenerate(docs, cache).incremental


def test_not_utf8(docs, tmp_path):
    cache = tmp_path / "cache"
    regenerate(docs, cache)
    page = docs / STOP
    page.write_bytes(page.read_bytes() + b"\xff\xfe")
    assert not regenerate(docs, cache).incremental


def test_broken_link_mended_by_a_new_page(docs, tmp_path):
    cache = tmp_path / "cache"
    regenerate(docs, cache)
    shutil.copy(docs / STOP, docs / "rest/Batch/v1Batch_DeleteBatchTask.md")
    assert not regenerate(docs, cache).incremental


def test_operation_id_renames(docs, tmp_path):
    # A second page with ONE_TASK's operationId on another path: one of them is renamed.
    cache = tmp_path / "cache"
    dup = docs / "rest/Batch/v1Batch_Zdup.md"
    dup.write_text((docs / STOP).read_text().replace("id: v1Batch_StopBatchJob", "id: v1Batch_GetBatchTaskInfo")
                   .replace("/Stop", "/Halt"))
    first = regenerate(docs, cache)
    assert any("renamed to" in d.message for d in first.diagnostics)
    # The page that keeps the id: its endpoint line moves, the rename note names it.
    edit(docs / ONE_TASK, "# GET BatchTask/{id}\n", "# GET BatchTask/{id}\n\nMoved.\n")
    regenerate(docs, cache)
    # The renamed page.
    edit(dup, "# POST", "Moved.\n\n# POST")
    regenerate(docs, cache)
    edit(dup, "Moved.\n\n", "")
    regenerate(docs, cache)


# --- seeds -----------------------------------------------------------------------------------------------------

def test_seed_pages(seeds, tmp_path):
    cache = tmp_path / "cache"
    regenerate(seeds, cache)
    for name in sorted(p.name for p in seeds.iterdir()):
        page = seeds / name
        original = page.read_text()
        page.write_text(original + "\nOne more line of prose.\n")
        regenerate(seeds, cache)
        page.write_text(original.replace("\n\n", "\n\nA new first paragraph.\n\n", 1))
        regenerate(seeds, cache)
        page.write_text(original)
        regenerate(seeds, cache)


def test_copied_from_web_page_003(seeds, tmp_path):
    cache = tmp_path / "cache"
    regenerate(seeds, cache)
    page = seeds / "003_857a8ce8002f0cf2.txt"
    edit(page, "Start a batch job based on BatchTaskInfo.", "Start a batch job.")
    regenerate(seeds, cache)
    # The page that documents POST /BatchTask too gone: 003 is alone.
    (seeds / "004_0d64f66f213af615.txt").unlink()
    regenerate(seeds, cache)
    edit(page, "Start a batch job.", "Start one batch job.\n\nAnother paragraph.")
    regenerate(seeds, cache)


# --- shapes of the document ----------------------------------------------------------------------------------

def test_document_with_one_path(docs, tmp_path):
    folder = tmp_path / "one"
    folder.mkdir()
    shutil.copy(docs / STOP, folder / "page.md")
    cache = tmp_path / "cache"
    regenerate(folder, cache)
    edit(folder / "page.md", "# POST", "Moved.\n\n# POST")
    assert regenerate(folder, cache).incremental


def test_document_with_one_path_no_schemas_no_security(tmp_path):
    folder = tmp_path / "one"
    folder.mkdir()
    (folder / "page.md").write_text("---\nid: v1Ping\n---\n\n# GET Ping\n\n```http\nGET /api/v1/Ping\n```\n\nPing.\n")
    cache = tmp_path / "cache"
    regenerate(folder, cache)
    edit(folder / "page.md", "Ping.", "Ping the server.")
    assert regenerate(folder, cache).incremental


def test_single_file_input(docs, tmp_path):
    cache = tmp_path / "cache"
    regenerate([docs / STOP], cache)
    edit(docs / STOP, "# POST", "Moved.\n\n# POST")
    assert regenerate([docs / STOP], cache).incremental


# --- where the snapshot is for ------------------------------------------------------------------------------

def test_snapshot_from_another_cwd(docs, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.chdir(tmp_path)
    regenerate([Path("docs")], cache)
    monkeypatch.chdir(docs)
    edit(docs / ONE_TASK, "Get a single BatchTaskInfo based on Id.", "Fetch one.")
    regenerate([Path(".")], cache)
    regenerate([docs], cache)
    monkeypatch.chdir(tmp_path)
    regenerate([Path("docs")], cache)


def test_overlapping_inputs_in_another_order(docs, tmp_path):
    # The snapshot's name sorts the inputs, but which input a page is found under first decides its folder
    # (its tag) and its source name.
    cache = tmp_path / "cache"
    regenerate([docs, docs / "rest"], cache)
    regenerate([docs / "rest", docs], cache)


def test_overlapping_inputs_in_another_order_after_an_edit(docs, tmp_path):
    cache = tmp_path / "cache"
    regenerate([docs / "rest", docs], cache)
    edit(docs / ONE_TASK, "Get a single BatchTaskInfo based on Id.", "Fetch one.")
    regenerate([docs, docs / "rest"], cache)


def test_another_title(docs, tmp_path):
    cache = tmp_path / "cache"
    regenerate(docs, cache)
    assert not regenerate(docs, cache, title="Other").incremental


def test_a_file_input_overlapping_a_folder_input_in_another_order(docs, tmp_path):
    # Given first as a file, the page is in no folder: its tag comes from its URL, its source is its name.
    cache = tmp_path / "cache"
    regenerate([docs, docs / ONE_TASK], cache)
    regenerate([docs / ONE_TASK, docs], cache)


def test_pages_in_the_input_root_take_their_tag_from_the_url(docs, tmp_path):
    folder = tmp_path / "flat"
    folder.mkdir()
    for name in (ONE_TASK, START, GET_ALL, AGENT_ONE):
        shutil.copy(docs / name, folder / Path(name).name)
    cache = tmp_path / "cache"
    regenerate(folder, cache)
    edit(folder / Path(START).name, "Start a batch job based on BatchTaskInfo.", "Start one.")
    edit(folder / Path(AGENT_ONE).name, "# POST", "Moved.\n\n# POST")
    assert regenerate(folder, cache).incremental


def test_odd_numbers_in_a_sample_of_the_other_operation_of_a_path_item(docs, tmp_path):
    # The path item's other operation goes through JSON and back when the edited one is spliced in.
    cache = tmp_path / "cache"
    text = (docs / GET_ALL).read_text()
    assert '"saleId": 2260,' in text
    (docs / GET_ALL).write_text(text.replace('"saleId": 2260,', '"saleId": 2260, "big": 123456789012345678901234567890, '
                                                               '"neg": -0.0, "exp": 1E2, "small": 5e-324, "huge": 1e400,', 1))
    regenerate(docs, cache)
    edit(docs / START, "Start a batch job based on BatchTaskInfo.", "Start one.")
    regenerate(docs, cache)


def test_unprintable_characters_in_the_other_operation_of_a_path_item(docs, tmp_path):
    cache = tmp_path / "cache"
    edit(docs / GET_ALL, "OData list of all Batch.", "OData list\u2028of all\u0085 Batch \ufeff\U0001F600 \x7f.")
    regenerate(docs, cache)
    edit(docs / START, "Start a batch job based on BatchTaskInfo.", "Start one.")
    assert regenerate(docs, cache).incremental


def test_a_snapshot_from_other_code_is_not_spliced_into(docs, tmp_path, monkeypatch):
    # Upgrading docmock, or editing any generator module, template or schema, changes the output fingerprint.
    from generator import incremental

    cache = tmp_path / "cache"
    regenerate(docs, cache)
    monkeypatch.setattr(incremental, "_output_fingerprint", lambda: b"another docmock")
    edit(docs / ONE_TASK, "Get a single BatchTaskInfo based on Id.", "Fetch one task.")
    assert not regenerate(docs, cache).incremental


def test_http_block_removed_endpoint_taken_from_the_title(docs, tmp_path):
    cache = tmp_path / "cache"
    regenerate(docs, cache)
    edit(docs / ONE_TASK, "```http\nGET /api/v1/BatchTask/{id}\n```\n", "")
    regenerate(docs, cache)


def test_a_page_inferred_against_the_registry_is_never_spliced(docs, tmp_path):
    cache = tmp_path / "cache"
    regenerate(docs, cache)
    page = docs / "agent/Batch_Agent/v1BatchAgent_UpdateBatchTask.md"
    page.write_text(page.read_text().replace("\n\n", "\n\nA new first paragraph.\n\n", 1))
    assert not regenerate(docs, cache).incremental


def test_many_pages_changed_at_once(docs, tmp_path):
    cache = tmp_path / "cache"
    regenerate(docs, cache)
    pages = sorted(p for p in docs.rglob("v1*.md") if "UpdateBatchTask" not in p.name)
    for page in pages:
        page.write_text(page.read_text() + "\nOne more line.\n")
    regenerate(docs, cache)
    for page in pages[:3]:
        page.write_text(page.read_text() + "\nAnd another.\n")
    regenerate(docs, cache)
