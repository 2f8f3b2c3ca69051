"""Operations are compiled on their first request: start-up stays fast, answers and start-up errors do not change."""
from __future__ import annotations

import copy
import json
import random
import re
import threading
from typing import Any
from urllib.parse import quote

import pytest
from mock_support import AUTH, TestClient, load_fixture

from mockserver import SpecError, create_app
from mockserver.fakedata import DataFactory
from mockserver.spec import iter_operations, normalise

TASK = "/api/v1/BatchTask/42"


def _requests(spec: dict[str, Any]) -> list[tuple[str, str, bytes]]:
    """One request per operation (method, path with generated parameters, JSON body or none)."""
    doc = normalise(copy.deepcopy(spec))
    factory = DataFactory(doc, 0)
    out = []
    for op in iter_operations(doc):
        r = random.Random(op.operation_id)
        schemas = {p.name: p.schema for p in op.parameters if p.location == "path"}

        def value(m: re.Match[str]) -> str:
            v = factory.generator(schemas.get(m.group(1), {}), m.group(1))(r, 0)
            return quote(json.dumps(v) if isinstance(v, bool) else str(v), safe="")
        content = (op.request_body or {}).get("content") or {}
        body = json.dumps(factory.generator(content["application/json"].get("schema", {}))(r, 0)).encode() \
            if "application/json" in content else b""
        out.append((op.method, re.sub(r"\{([^{}]+)\}", value, op.path), body))
    return out


def _answers(client: TestClient, requests: list[tuple[str, str, bytes]]) -> dict[int, tuple[int, bytes]]:
    out = {}
    for i, (method, path, body) in requests:
        headers = {**AUTH, "Content-Type": "application/json"} if body else AUTH
        r = client.request(method, path, content=body or None, headers=headers)
        out[i] = (r.status_code, r.content)
    return out


def test_operations_are_compiled_on_their_first_request_and_kept(seeds_fixture: Any) -> None:
    app = create_app(copy.deepcopy(seeds_fixture))
    assert app.compiled_operations == 0 and len(app.endpoints) == 8
    with TestClient(app) as client:
        assert client.get("/openapi.json").status_code == 200 and client.get("/").status_code == 200
        assert app.compiled_operations == 0  # the pages do not need any operation compiled
        first = client.get(TASK, headers=AUTH).content
        assert app.compiled_operations == 1
        assert client.get(TASK, headers=AUTH).content == first and app.compiled_operations == 1
        client.get("/api/v1/BatchTask/Failed", headers=AUTH)
        assert app.compiled_operations == 2
    app.compile_all()
    assert app.compiled_operations == len(app.endpoints)


def test_an_operation_compiled_from_several_threads_is_compiled_once(seeds_fixture: Any) -> None:
    app = create_app(copy.deepcopy(seeds_fixture))
    endpoint = app.endpoints["v1Batch_GetBatchTaskInfo"]
    results: list[Any] = []
    threads = [threading.Thread(target=lambda: results.append(app.compiled(endpoint))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 8 and all(c is results[0] for c in results) and app.compiled_operations == 1


@pytest.mark.parametrize("spec_name", ["seeds", "petstore", "corpus"])
def test_answers_do_not_depend_on_which_operations_were_compiled_first(
        spec_name: str, request: pytest.FixtureRequest) -> None:
    spec = request.getfixturevalue({"seeds": "seeds_fixture", "petstore": "petstore", "corpus": "corpus"}[spec_name])
    numbered = list(enumerate(_requests(spec)))
    eager = create_app(copy.deepcopy(spec), credentials=[AUTH["Authorization"]])
    eager.compile_all()  # document order, as start-up compiled before
    lazy = create_app(copy.deepcopy(spec), credentials=[AUTH["Authorization"]])
    shuffled = numbered[::-1]
    random.Random(3).shuffle(shuffled)
    with TestClient(eager) as a, TestClient(lazy) as b:
        expected = _answers(a, numbered)
        got = _answers(b, shuffled)
    assert got == expected
    assert sum(status == 200 for status, _ in expected.values()) >= len(numbered) // 3  # not just errors


def _spec_with(**changes: Any) -> dict[str, Any]:
    """The seeds fixture with one change made in place by a (path of keys, value) per argument."""
    spec = load_fixture("seeds-3.1.yaml")
    for path, value in changes.values():
        node = spec
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    return spec


_GET_TASK = ("paths", "/api/v1/BatchTask/{id}", "get")
_START = ("paths", "/api/v1/BatchTask", "post")
_DANGLING = {"$ref": "#/components/schemas/Missing"}


@pytest.mark.parametrize("where", [
    ("components", "schemas", "BatchTaskInfo", "properties", "Nested"),   # deep in a response schema
    (*_GET_TASK, "responses", "200", "content", "text/json", "schema"),  # one media type of a response
    (*_GET_TASK, "responses", "200", "content", "application/json", "examples", "sample"),
    (*_GET_TASK, "parameters", 2, "schema"),                              # a parameter's schema
    (*_START, "requestBody", "content", "application/json", "schema"),     # a request body's schema
])
def test_a_dangling_ref_that_compiling_would_meet_still_fails_start_up(where: tuple[Any, ...]) -> None:
    ref = {"$ref": "#/components/examples/Missing"} if "examples" in where else _DANGLING
    spec = _spec_with(change=(where, ref))
    with pytest.raises(SpecError, match="dangling \\$ref: #/components/(schemas|examples)/Missing"):
        create_app(spec)


def test_a_dangling_ref_in_a_required_response_header_fails_start_up() -> None:
    header = {"required": True, "schema": _DANGLING}
    spec = _spec_with(change=((*_GET_TASK, "responses", "200", "headers"), {"X-Rate": header}))
    with pytest.raises(SpecError, match="dangling"):
        create_app(spec)


def test_a_ref_nothing_compiles_does_not_fail_start_up() -> None:
    # An unused component was never compiled, before or now: a broken one is not the server's business.
    spec = _spec_with(change=(("components", "schemas", "Unused"), {"properties": {"a": _DANGLING}}))
    create_app(spec)


def test_a_spec_problem_found_when_compiling_is_a_500_that_names_the_operation(caplog: Any) -> None:
    # `required` must be a list of names; a number breaks compiling, which start-up no longer does.
    spec = _spec_with(change=(("components", "schemas", "BatchTaskInfo", "required"), 5))
    app = create_app(spec)
    assert any("components/schemas/BatchTaskInfo" in line for line in app.report.lines())  # said at start-up
    with TestClient(app, raise_server_exceptions=False) as client:
        r = client.get(TASK, headers=AUTH)
    assert r.status_code == 500 and r.headers["content-type"] == "application/problem+json"
    assert "cannot compile v1Batch_GetBatchTaskInfo" in r.json()["detail"]
    assert "cannot compile v1Batch_GetBatchTaskInfo" in caplog.text
    with pytest.raises(SpecError, match="cannot compile"):
        app.compile_all()  # what a caller who wants every operation checked up front gets


def test_a_malformed_schema_met_only_by_a_request_body_is_the_same_500_never_a_failure(caplog: Any) -> None:
    # The request body's check compiles; `required: 5` breaks it only when a body reaches it.
    spec = _spec_with(change=(("components", "schemas", "BatchTaskInfo", "required"), 5))
    with TestClient(create_app(spec, state="memory"), raise_server_exceptions=False) as client:
        for _ in range(2):
            r = client.post("/api/v1/BatchTask", json={"Name": "x"}, headers=AUTH)
            assert r.status_code == 500 and r.headers["content-type"] == "application/problem+json"
            assert r.json()["detail"] == ("the spec is broken for this operation: the schema of body is not valid "
                                          "JSON Schema (TypeError: 'int' object is not iterable)")
        assert client.get("/", headers=AUTH).status_code == 200
    assert "Traceback" not in caplog.text and "failed unexpectedly" not in caplog.text


def test_start_up_names_every_malformed_schema_and_serves_the_rest() -> None:
    spec = _spec_with(change=(("components", "schemas", "BatchTaskInfo", "required"), 5),
                      inline=((*_START, "requestBody", "content", "application/json", "schema"), {"type": "objekt"}))
    app = create_app(spec)
    warning = [line for line in app.report.lines() if "malformed" in line]
    assert warning and warning[0].startswith("warning: 2 malformed schema(s)")
    lines = "\n".join(app.report.lines())
    assert "components/schemas/BatchTaskInfo: 5 is not of type" in lines
    assert "paths//api/v1/BatchTask/post/requestBody/content/application/json/schema:" in lines
    assert not create_app(load_fixture("seeds-3.1.yaml")).report.malformed
