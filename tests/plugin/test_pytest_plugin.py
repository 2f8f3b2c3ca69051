"""The pytest plugin, as users get it: installed through its entry point, used by a fresh project's tests."""
from __future__ import annotations

import json
import socket
from urllib.parse import urlsplit

import pytest

from docmock.pytest_plugin import MAX_SESSION_LENGTH, session_name

PETS_SPEC = """\
    openapi: 3.1.0
    info: {title: Pets, version: "1"}
    paths:
      /pets/{id}:
        get:
          operationId: getPet
          parameters:
            - {name: id, in: path, required: true, schema: {type: integer}}
          responses:
            "200":
              description: a pet
              content:
                application/json:
                  schema:
                    type: object
                    required: [id, name]
                    properties: {id: {type: integer}, name: {type: string}}
    """

# Every inner test notes which server it got, so the outer test can tell how many there were.
NOTE = """\
    import json

    AUTH = {"Authorization": "Basic dGplMDpUamUw"}

    def note(kind, server):
        with open("servers.jsonl", "a") as out:
            out.write(json.dumps({"kind": kind, "url": server.url}) + "\\n")
    """


def refuses_connections(url: str) -> bool:
    parts = urlsplit(url)
    try:
        socket.create_connection((parts.hostname, parts.port), timeout=5).close()
    except ConnectionRefusedError:
        return True
    return False


def test_a_run_shares_one_server_per_configuration_and_gives_each_test_its_own_session(project):
    project.ini("docmock_docs = docs\n")
    project.write("pets.yaml", PETS_SPEC)
    project.write("note.py", NOTE)
    project.write("test_journal.py", """\
        import httpx
        import pytest
        from note import AUTH, note

        def test_a_get_is_in_the_journal(docmock_server):
            note("ini", docmock_server)
            answer = docmock_server.client.get("/api/v1/BatchTask/42", headers=AUTH)
            assert answer.status_code == 200 and answer.json()["Id"] == 42
            [entry] = docmock_server.requests(operation="v1Batch_GetBatchTaskInfo")
            assert (entry["method"], entry["path"], entry["status"]) == ("GET", "/api/v1/BatchTask/42", 200)
            assert entry["session"] == docmock_server.session
            assert entry["headers"]["authorization"] == "[redacted]"
            assert docmock_server.requests(operation="v1Batch_StartBatchJob") == []

        def test_a_post_body_is_in_the_journal(docmock_server):
            note("ini", docmock_server)
            answer = docmock_server.client.post("/api/v1/BatchTask", headers=AUTH,
                                                json={"Name": "Export", "State": "New"})
            assert answer.status_code == 200
            [entry] = docmock_server.requests(method="post", path="/api/v1/Batch*")
            assert entry["operationId"] == "v1Batch_StartBatchJob"
            assert entry["body"] == {"Name": "Export", "State": "New"}

        def test_requests_without_the_session_header_are_found_with_session_none(docmock_server):
            note("ini", docmock_server)
            with httpx.Client(base_url=docmock_server.url, trust_env=False) as app_under_test:
                assert app_under_test.get("/api/v1/BatchTask/7", headers=AUTH).status_code == 200
            assert docmock_server.requests() == []
            [entry] = docmock_server.requests(session=None)
            assert (entry["session"], entry["path"]) == ("default", "/api/v1/BatchTask/7")

        @pytest.mark.parametrize("name", ["long"], ids=["\\u00e9t\\u00e9 " * 60])
        def test_a_long_test_id_still_names_its_session(docmock_server, name):
            assert len(docmock_server.session) == 200 and docmock_server.session.isascii()
            docmock_server.client.get("/api/v1/BatchTask/1", headers=AUTH)
            assert [e["session"] for e in docmock_server.requests()] == [docmock_server.session]
        """)
    project.write("test_sessions.py", """\
        from pathlib import Path
        from note import AUTH, note

        def test_a_creates_a_task(docmock_server):
            note("ini", docmock_server)
            task_id = docmock_server.client.post("/api/v1/BatchTask", headers=AUTH, json={"Name": "A"}).json()
            assert docmock_server.client.get(f"/api/v1/BatchTask/{task_id}", headers=AUTH).status_code == 200
            Path("task_id").write_text(str(task_id))

        def test_b_sees_neither_the_task_nor_the_journal_of_a(docmock_server):
            note("ini", docmock_server)
            assert docmock_server.requests() == []
            assert docmock_server.requests(session=None) == []  # nothing since this test started
            task_id = Path("task_id").read_text()
            assert docmock_server.client.get(f"/api/v1/BatchTask/{task_id}", headers=AUTH).status_code == 404
            assert [e["status"] for e in docmock_server.requests()] == [404]

        def test_reset_forgets_the_records_ids_and_journal(docmock_server):
            note("ini", docmock_server)
            client = docmock_server.client
            task_id = client.post("/api/v1/BatchTask", headers=AUTH, json={"Name": "C"}).json()
            assert client.get(f"/api/v1/BatchTask/{task_id}", headers=AUTH).status_code == 200
            assert len(docmock_server.requests()) == 2
            docmock_server.reset()
            assert docmock_server.requests() == []
            assert client.get(f"/api/v1/BatchTask/{task_id}", headers=AUTH).status_code == 404
            assert client.post("/api/v1/BatchTask", headers=AUTH, json={"Name": "D"}).json() == task_id
            assert [e["status"] for e in docmock_server.requests()] == [404, 200]
        """)
    project.write("test_markers.py", """\
        import pytest
        from note import note

        @pytest.mark.docmock(spec="pets.yaml")
        def test_a_spec_marker_gets_its_own_server(docmock_server):
            note("spec", docmock_server)
            answer = docmock_server.client.get("/pets/7")
            assert answer.status_code == 200 and answer.json()["id"] == 7
            [entry] = docmock_server.requests(operation="GETPET")
            assert entry["status"] == 200

        @pytest.mark.docmock(spec="pets.yaml")
        def test_the_same_marker_shares_that_server(docmock_server):
            note("spec", docmock_server)
            assert docmock_server.client.get("/pets/8").status_code == 200

        @pytest.mark.docmock(args="--no-auth --quiet")
        def test_an_args_marker_serves_the_ini_docs_its_own_way(docmock_server):
            note("no-auth", docmock_server)
            assert docmock_server.client.get("/api/v1/BatchTask/42").status_code == 200
        """)

    result = project.run("-v")

    result.assert_outcomes(passed=10)
    notes = [json.loads(line) for line in (project.path / "servers.jsonl").read_text().splitlines()]
    urls = {kind: {n["url"] for n in notes if n["kind"] == kind} for kind in ("ini", "spec", "no-auth")}
    assert all(len(found) == 1 for found in urls.values()), urls
    assert len(set().union(*urls.values())) == 3
    assert len(project.server_logs()) == 3  # each configuration started once
    assert all(refuses_connections(url) for url in set().union(*urls.values()))  # and stopped at the end


def test_without_docs_or_spec_the_fixture_says_what_to_set(project):
    project.write("test_unconfigured.py", """\
        def test_uses_the_server(docmock_server):
            pass
        """)

    result = project.run()

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*docmock_server has nothing to serve: set `docmock_docs`*`docmock_spec`*"])
    assert project.server_logs() == []


def test_docs_that_do_not_serve_fail_with_the_servers_error_output(project):
    project.ini("docmock_docs = docs\n")
    project.write("broken/notes.txt", "Nothing here documents an operation.\n")
    project.write("test_broken.py", """\
        import pytest

        pytestmark = pytest.mark.docmock(docs="broken")

        def test_one(docmock_server):
            pass

        def test_two(docmock_server):
            pass
        """)

    result = project.run()

    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(["*docmock serve exited with code 1 before it answered*",
                                 "*no operation could be generated from the given pages*"])
    assert len(project.server_logs()) == 1  # the second test got the first one's failure, not a second attempt


def test_a_taken_port_is_retried_with_another(project):
    project.ini("docmock_docs = docs\n")
    # The first port the plugin picks is one this conftest holds: the server cannot bind it and exits.
    project.write("conftest.py", """\
        import socket
        from docmock import pytest_plugin

        holder = socket.socket()
        holder.bind(("127.0.0.1", 0))
        taken = [holder.getsockname()[1]]
        free_port = pytest_plugin._free_port
        pytest_plugin._free_port = lambda: taken.pop() if taken else free_port()
        """)
    project.write("test_port.py", """\
        from conftest import holder

        def test_gets_a_server_on_another_port(docmock_server):
            assert not docmock_server.url.endswith(f":{holder.getsockname()[1]}")
            answer = docmock_server.client.get("/api/v1/BatchTask/42", headers={"Authorization": "Basic eDp5"})
            assert answer.status_code == 200
        """)

    result = project.run()

    result.assert_outcomes(passed=1)
    first, second = project.server_logs()
    # The taken port is a one-line error before anything is built (docmock serve checks it first).
    assert "Address already in use; another server may hold it" in first.read_text() + second.read_text()


def test_a_run_that_does_not_use_the_fixture_starts_nothing_and_imports_nothing_heavy(project):
    project.ini("docmock_docs = docs\n")
    project.write("test_plain.py", """\
        import sys

        def test_plain(pytestconfig):
            assert "docmock.pytest_plugin" in sys.modules  # loaded, through its entry point
            heavy = {"httpx", "click", "uvicorn", "starlette", "mockserver", "generator", "docmock.cli",
                     "urllib.request"}
            assert heavy.isdisjoint(sys.modules), heavy & set(sys.modules)
            assert pytestconfig.getini("docmock_args") == ["--quiet"]
            assert any(line.startswith("docmock(") for line in pytestconfig.getini("markers"))
        """)

    result = project.run()

    result.assert_outcomes(passed=1)
    assert not list(project.path.glob("runpytest-[0-9]*/docmock*"))  # the server pool was never set up


@pytest.mark.parametrize("nodeid", [
    "tests/test_api.py::test_get[42]",
    "tests/test_api.py::test_get[" + "x" * 300 + "]",
    "tests/test_\u00e9t\u00e9.py::test_get[a\tb]",
])
def test_session_names_are_printable_ascii_of_at_most_200_characters(nodeid):
    name = session_name(nodeid)
    assert len(name) <= MAX_SESSION_LENGTH and name.isascii() and name.isprintable() and name == name.strip()
    assert session_name(nodeid) == name
    if len(nodeid) <= MAX_SESSION_LENGTH and nodeid.isascii() and nodeid.isprintable():
        assert name == nodeid


def test_long_session_names_that_share_a_start_stay_apart():
    start = "tests/test_api.py::test_get[" + "x" * 300
    assert session_name(start + "1]") != session_name(start + "2]")


def test_a_server_whose_admin_endpoints_need_a_token_is_driven_with_it(project):
    project.ini("docmock_docs = docs\n")
    project.write("note.py", NOTE)
    project.write("test_token.py", """\
        import urllib.error
        import urllib.request

        import pytest
        from note import AUTH

        @pytest.mark.docmock(args="--admin-token t0ken --quiet")
        def test_journal_and_reset_through_the_token(docmock_server):
            assert docmock_server.client.get("/api/v1/BatchTask/42", headers=AUTH).status_code == 200
            [entry] = docmock_server.requests()
            assert entry["status"] == 200
            docmock_server.reset()
            assert docmock_server.requests() == []
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(docmock_server.url + "/__docmock/requests")
            assert refused.value.code == 401

        @pytest.mark.docmock(args="--credential 'Basic dGplMDpUamUw' --quiet")
        def test_journal_through_the_api_credential(docmock_server):
            assert docmock_server.client.get("/api/v1/BatchTask/42", headers=AUTH).status_code == 200
            assert [e["status"] for e in docmock_server.requests()] == [200]
        """)
    project.run("-v").assert_outcomes(passed=2)
