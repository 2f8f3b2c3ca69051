"""`docmock serve --watch` over HTTP: edits to the docs are served without a restart, a broken edit keeps the
last good version serving and says why, state survives, and no request fails while versions are swapped."""
from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from serving import output_so_far, start_docmock, stop
from testdata import batch_docs, edit

ONE_TASK = "rest/Batch/v1Batch_GetBatchTaskInfo.md"
SUMMARY = "Get a single BatchTaskInfo based on Id."
ROW = "| Name | string | Name of the task. |"


@pytest.fixture()
def docs(tmp_path: Path) -> Path:
    return batch_docs(tmp_path)


@pytest.fixture()
def server(docs: Path, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[tuple[Any, str]]:
    extra = [arg.replace("{tmp}", str(tmp_path)) for arg in getattr(request, "param", ())]
    (tmp_path / "overrides.yaml").write_text("faults:\n  v1Batch_StopBatchJob:\n    rate: 0\n", encoding="utf-8")
    process, base = start_docmock(str(docs), "--watch", "--no-auth", "--quiet", *extra)
    try:
        yield process, base
    finally:
        stop(process)


def eventually(check: Callable[[], Any], timeout: float = 15.0) -> Any:
    """`check()` once it is truthy; fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"not within {timeout} s: {check.__doc__ or check}")
        time.sleep(0.05)


def spec(base: str) -> dict[str, Any]:
    return httpx.get(f"{base}/openapi.json").json()


def summary_of(base: str, path: str, method: str = "get") -> str:
    return spec(base)["paths"][path][method].get("summary", "")


def test_edits_are_served_without_a_restart(server: tuple[Any, str], docs: Path) -> None:
    process, base = server
    created = httpx.post(f"{base}/api/v1/BatchTask", json={"Name": "kept across reloads"})
    assert created.status_code in (200, 201), created.text
    task_id = created.json()

    # Prose: the operation's summary.
    edit(docs / ONE_TASK, SUMMARY, "Fetch one batch task by its id.")
    eventually(lambda: summary_of(base, "/api/v1/BatchTask/{id}") == "Fetch one batch task by its id.")

    # A property added to the carrier's table: in the schema and in generated answers, and the record created
    # before the reload still reads back as it was written.
    edit(docs / ONE_TASK, ROW, ROW + "\n| Colour | string | The colour of the task in the task list. |")
    eventually(lambda: "Colour" in spec(base)["components"]["schemas"]["BatchTaskInfo"]["properties"])
    assert "Colour" in httpx.get(f"{base}/api/v1/BatchTask/8").json()
    assert httpx.get(f"{base}/api/v1/BatchTask/{task_id}").json()["Name"] == "kept across reloads"

    # A new page, then the page deleted.
    page = docs / "rest" / "Batch" / "v1Batch_CopyBatchTask.md"
    text = (docs / ONE_TASK).read_text(encoding="utf-8")
    page.write_text(text.replace("/api/v1/BatchTask/{id}", "/api/v1/BatchTask/{id}/Copy")
                    .replace("id: v1Batch_GetBatchTaskInfo", "id: v1Batch_CopyBatchTask"), encoding="utf-8")
    eventually(lambda: httpx.get(f"{base}/api/v1/BatchTask/7/Copy").status_code == 200)
    page.unlink()
    eventually(lambda: httpx.get(f"{base}/api/v1/BatchTask/7/Copy").status_code == 404)

    log = output_so_far(process)
    assert "1 added (v1Batch_CopyBatchTask)" in log and "1 removed (v1Batch_CopyBatchTask)" in log
    assert "changed (v1Batch_GetBatchTaskInfo" in log and "Reloaded in " in log


def test_a_broken_edit_keeps_the_last_good_version_and_says_why(server: tuple[Any, str], docs: Path) -> None:
    process, base = server
    page = docs / ONE_TASK
    good = page.read_text(encoding="utf-8")
    edit(page, "id: v1Batch_GetBatchTaskInfo", "id: [v1Batch_GetBatchTaskInfo")  # front matter no longer YAML

    def refused() -> bool:
        return "x-docmock-reload-failed" in httpx.get(f"{base}/openapi.json").headers
    eventually(refused)
    where = f"{page.relative_to(docs.parent).as_posix()}:"
    document = httpx.get(f"{base}/openapi.json")
    assert where in document.headers["x-docmock-reload-failed"]
    assert "front matter is not valid YAML" in document.json()["x-docmock-reload-failed"]
    index = httpx.get(f"{base}/").text
    assert "A newer version was not loaded" in index and "front matter is not valid YAML" in index
    # The operation the broken page documents is still served, as it was.
    assert httpx.get(f"{base}/api/v1/BatchTask/3").status_code == 200
    assert summary_of(base, "/api/v1/BatchTask/{id}") == SUMMARY
    assert "Reload failed, still serving the last good version" in output_so_far(process)

    # The next good save is picked up, and the notice goes.
    page.write_text(good.replace(SUMMARY, "Mended."), encoding="utf-8")
    eventually(lambda: summary_of(base, "/api/v1/BatchTask/{id}") == "Mended.")
    assert not refused()
    assert "A newer version was not loaded" not in httpx.get(f"{base}/").text


def test_no_request_fails_across_twenty_reloads(server: tuple[Any, str], docs: Path) -> None:
    process, base = server
    answers: list[tuple[int, str, Any]] = []
    done = threading.Event()

    def client() -> None:
        with httpx.Client(base_url=base) as http:  # keep-alive: connections live across the swaps
            while not done.is_set():
                for method, path, body in (("GET", "/api/v1/BatchTask/5", None),
                                           ("POST", "/api/v1/Agents/Batch/GetBatchTaskInfo", {"Id": 5})):
                    response = http.request(method, path, json=body)
                    answers.append((response.status_code, response.headers.get("x-docmock-operation", ""),
                                    response.json()))

    thread = threading.Thread(target=client)
    thread.start()
    summary = SUMMARY
    try:
        for n in range(20):
            if n % 2:  # a table edit and a prose edit in turn: the full build and the patched one
                edit(docs / ONE_TASK, ROW, ROW + f"\n| Extra{n} | int32 | Added by edit {n}. |")
                eventually(lambda: f"Extra{n}" in spec(base)["components"]["schemas"]["BatchTaskInfo"]["properties"])
            else:
                edit(docs / ONE_TASK, summary, f"Get one BatchTaskInfo ({n}).")
                summary = f"Get one BatchTaskInfo ({n})."
                eventually(lambda: summary_of(base, "/api/v1/BatchTask/{id}") == summary)
    finally:
        done.set()
        thread.join(timeout=30)
    assert len(answers) > 40
    statuses = {status for status, _, _ in answers}
    assert statuses <= {200}, [a for a in answers if a[0] != 200][:3]
    assert {operation for _, operation, _ in answers} == {"v1Batch_GetBatchTaskInfo", "v1BatchAgent_GetBatchTaskInfo"}
    assert all(isinstance(body, dict) and "Id" in body for _, _, body in answers)
    assert output_so_far(process).count("Reloaded in ") >= 20


@pytest.mark.parametrize("server", [("--workers", "2", "--state", "sqlite:{tmp}/state.db")], indirect=True)
def test_workers_serve_the_new_version(server: tuple[Any, str], docs: Path) -> None:
    _, base = server
    created = httpx.post(f"{base}/api/v1/BatchTask", json={"Name": "in sqlite"}).json()
    edit(docs / ONE_TASK, SUMMARY, "Served by every worker.")

    def every_worker() -> bool:
        # A new connection per request: the kernel spreads them over both workers.
        return all(summary_of(base, "/api/v1/BatchTask/{id}") == "Served by every worker." for _ in range(12))
    eventually(every_worker)
    for _ in range(6):
        assert httpx.get(f"{base}/api/v1/BatchTask/{created}").json()["Name"] == "in sqlite"


def test_a_spec_file_is_watched_too(tmp_path: Path) -> None:
    document = {"openapi": "3.1.0", "info": {"title": "t", "version": "1"},
                "paths": {"/ping": {"get": {"operationId": "ping", "responses": {
                    "200": {"description": "ok", "content": {"application/json": {"schema": {"type": "string"}}}}}}}}}
    spec_file = tmp_path / "openapi.json"
    spec_file.write_text(json.dumps(document))
    process, base = start_docmock("--spec", str(spec_file), "--watch", "--quiet")
    try:
        assert httpx.get(f"{base}/pong").status_code == 404
        document["paths"]["/pong"] = document["paths"]["/ping"] | {}
        document["paths"]["/pong"] = {"get": {**document["paths"]["/ping"]["get"], "operationId": "pong"}}
        spec_file.write_text(json.dumps(document))
        eventually(lambda: httpx.get(f"{base}/pong").status_code == 200)
        spec_file.write_text("{ not json")
        eventually(lambda: "x-docmock-reload-failed" in httpx.get(f"{base}/openapi.json").headers)
        assert httpx.get(f"{base}/pong").status_code == 200
    finally:
        output = stop(process)
    assert "1 added (pong)" in output and "Reload failed" in output


def test_workers_are_sent_what_changed_then_the_whole_document(tmp_path: Path) -> None:
    from docmock.watch import STATUS_FILE, Publisher, SpecSource, newest_spec
    from mockserver.reloading import apply_delta

    document = {"openapi": "3.1.0", "info": {"title": "t", "version": "1"},
                "paths": {"/ping": {"get": {"operationId": "ping", "responses": {"200": {"description": "ok"}}}}}}
    spec_file = tmp_path / "openapi.json"
    spec_file.write_text(json.dumps(document))
    folder = tmp_path / "published"
    folder.mkdir()
    first = json.loads(spec_file.read_text())
    publisher = Publisher(SpecSource(spec_file), folder, first)
    assert newest_spec(folder) == (folder / "openapi-1.json", 1)
    document["paths"]["/pong"] = {"get": {"operationId": "pong", "responses": {"200": {"description": "ok"}}}}
    spec_file.write_text(json.dumps(document))
    publisher.once()
    status = json.loads((folder / STATUS_FILE).read_text())
    assert status["generation"] == 2 and status["base"] == 1 and status["failure"] is None
    delta = json.loads((folder / status["delta"]).read_text())
    assert apply_delta(first, delta) == document and "/ping" not in json.dumps(delta["paths"]["set"])
    eventually(lambda: (folder / "openapi-2.json").exists(), timeout=5)  # the whole document comes after
    assert newest_spec(folder) == (folder / "openapi-2.json", 2)
    spec_file.write_text("{ broken")
    publisher.once()
    status = json.loads((folder / STATUS_FILE).read_text())
    assert status["generation"] == 2 and "not valid JSON" in status["failure"]


# --- what a version is refused for, without a server (DocsSource) ---------------------------------------------

def test_a_page_broken_at_start_up_is_refused_once_mended_and_broken_again(docs: Path) -> None:
    from docmock.watch import DocsSource

    page = docs / ONE_TASK
    edit(page, "id: v1Batch_GetBatchTaskInfo", "id: [v1Batch_GetBatchTaskInfo")
    source = DocsSource((docs,))
    source.first()  # served with the page broken: that is how the docs were
    edit(page, "id: [v1Batch_GetBatchTaskInfo", "id: v1Batch_GetBatchTaskInfo")
    assert source.load().spec is not None
    edit(page, "id: v1Batch_GetBatchTaskInfo", "id: [v1Batch_GetBatchTaskInfo")
    refused = source.load()
    assert refused.spec is None and "front matter is not valid YAML" in refused.failure


def test_a_page_saved_empty_does_not_take_its_operation_away(docs: Path) -> None:
    from docmock.watch import DocsSource

    source = DocsSource((docs,))
    source.first()
    page = docs / ONE_TASK
    text = page.read_text(encoding="utf-8")
    page.write_text("", encoding="utf-8")
    refused = source.load()
    assert refused.spec is None and "v1Batch_GetBatchTaskInfo.md: documents no operation any more" in refused.failure
    page.write_text(text, encoding="utf-8")
    assert source.load().spec is not None


def test_the_parent_clears_a_failure_when_the_served_version_is_back(tmp_path: Path) -> None:
    from docmock.watch import STATUS_FILE, Publisher, SpecSource

    spec_file = tmp_path / "openapi.json"
    good = json.dumps({"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {}})
    spec_file.write_text(good)
    (tmp_path / "out").mkdir()
    publisher = Publisher(SpecSource(spec_file), tmp_path / "out", json.loads(good))
    spec_file.write_text("{ broken")
    publisher.once()
    assert json.loads((tmp_path / "out" / STATUS_FILE).read_text())["failure"]
    spec_file.write_text(good)
    publisher.once()
    assert json.loads((tmp_path / "out" / STATUS_FILE).read_text())["failure"] is None


def test_a_folder_moved_out_of_the_docs_is_noticed(server: tuple[Any, str], docs: Path, tmp_path: Path) -> None:
    _, base = server
    assert httpx.post(f"{base}/api/v1/Agents/Batch/StopBatchJob", json={"Id": 3}).status_code == 200
    (docs / "agent" / "Batch_Agent").rename(tmp_path / "away")
    eventually(lambda: httpx.post(f"{base}/api/v1/Agents/Batch/StopBatchJob", json={"Id": 3}).status_code == 404)


@pytest.mark.parametrize("server", [("--workers", "2", "--state", "sqlite:{tmp}/state.db",
                                     "--overrides", "{tmp}/overrides.yaml")], indirect=True)
def test_a_worker_that_cannot_serve_a_version_says_why_and_goes_on(server: tuple[Any, str], docs: Path,
                                                                    tmp_path: Path) -> None:
    _, base = server
    stop = docs / "rest" / "Batch" / "v1Batch_StopBatchJob.md"
    kept = stop.read_text(encoding="utf-8")
    stop.unlink()  # the overrides file names its operation: the workers cannot build that version

    def every_worker(check: Callable[[dict[str, Any]], bool]) -> Callable[[], bool]:
        return lambda: all(check(httpx.get(f"{base}/__docmock/version").json()) for _ in range(8))
    eventually(every_worker(lambda v: "v1Batch_StopBatchJob" in (v["reloadFailed"] or "")))
    stop.write_text(kept, encoding="utf-8")
    edit(docs / ONE_TASK, SUMMARY, "After the mend.")
    eventually(every_worker(lambda v: v["reloadFailed"] is None))
    eventually(lambda: all(summary_of(base, "/api/v1/BatchTask/{id}") == "After the mend." for _ in range(8)))
