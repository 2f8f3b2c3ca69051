"""End-to-end behaviour of the ASGI app: what the docs promise, checked requests, auth, CORS, pages."""
from __future__ import annotations

import json
import logging
import subprocess
import sys
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from mock_support import AUTH, REPO, load_fixture

from mockserver import SpecError, create_app

TASK = "/api/v1/BatchTask/42"


def test_detail_routes_by_type_and_fills_the_id(seeds: Any) -> None:
    r = seeds.get(TASK, headers=AUTH)
    assert r.status_code == 200 and r.headers["x-docmock-operation"] == "v1Batch_GetBatchTaskInfo"
    assert r.json()["Id"] == 42
    listing = seeds.get("/api/v1/BatchTask/Failed", headers=AUTH)
    assert listing.headers["x-docmock-operation"] == "v1Batch_GetBatchTaskInfosByState"
    assert isinstance(listing.json(), list)


def test_nonsense_path_parameter_is_a_problem_that_says_why(seeds: Any) -> None:
    r = seeds.get("/api/v1/BatchTask/Nonsense", headers=AUTH)
    assert r.status_code == 400 and r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert {e["location"] for e in body["errors"]} == {"path.id", "path.state"}
    assert body["type"] and body["title"] and body["status"] == 400 and body["detail"]


def test_a_path_code_in_another_case_is_the_documented_code(seeds: Any) -> None:
    """ASP.NET binds an enum in any case: `/BatchTask/failed` is `/BatchTask/Failed`, the same answer, no warning."""
    documented = seeds.get("/api/v1/BatchTask/Failed", headers=AUTH)
    for spelling in ("failed", "FAILED"):
        r = seeds.get(f"/api/v1/BatchTask/{spelling}", headers=AUTH)
        assert r.status_code == 200 and r.headers["x-docmock-operation"] == "v1Batch_GetBatchTaskInfosByState"
        assert r.content == documented.content and "warning" not in r.headers


def test_a_code_the_documented_enum_lacks_is_answered_with_a_warning(seeds: Any,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    """The real API may have codes the docs' enum has not caught up with (BatchTaskState gained
    SucceededManualCleanup): a path that fits but for the enum, with a code built on the enum's own words,
    is routed, and the answer says why. Another word (`Nonsense`, above) is still a 400."""
    with caplog.at_level(logging.WARNING, logger="docmock.mockserver"):
        r = seeds.get("/api/v1/BatchTask/FailedPermanently", headers=AUTH)
        again = seeds.get("/api/v1/BatchTask/FailedPermanently", headers=AUTH)
    assert r.status_code == 200 and r.headers["x-docmock-operation"] == "v1Batch_GetBatchTaskInfosByState"
    assert isinstance(r.json(), list)
    warning = r.headers["warning"]
    assert warning.startswith('299 docmock "path.state: \'FailedPermanently\' is not one of the documented values')
    assert "Succeeded" in warning and "older than the API" in warning
    assert again.headers["warning"] == warning
    logged = [rec.getMessage() for rec in caplog.records if "FailedPermanently" in rec.getMessage()]
    assert len(logged) == 1 and logged[0].startswith("v1Batch_GetBatchTaskInfosByState: path.state:")
    assert "warning" not in seeds.get("/api/v1/BatchTask/Failed", headers=AUTH).headers


def test_same_request_same_body_across_restarts_and_seed_or_dynamic_varies(make_client: Any,
                                                                          seeds_fixture: Any) -> None:
    a = make_client(seeds_fixture).get(TASK, headers=AUTH).content
    b = make_client(seeds_fixture).get(TASK, headers=AUTH).content
    c = make_client(seeds_fixture, seed=1).get(TASK, headers=AUTH).content
    other = make_client(seeds_fixture).get("/api/v1/BatchTask/43", headers=AUTH).content
    dyn = make_client(seeds_fixture)
    d1 = dyn.get(TASK, headers={**AUTH, "Prefer": "dynamic=true"}).json()
    d2 = dyn.get(TASK, headers={**AUTH, "Prefer": "dynamic=true"}).json()
    assert a == b and a != c and a != other and d1 != d2


def test_bodies_are_identical_in_another_process_with_another_hash_seed(seeds: Any) -> None:
    code = ("import yaml,sys;sys.path.insert(0,'tests/mockserver');from mock_support import *;"
            "from mockserver import create_app;c=TestClient(create_app(load_fixture('seeds-3.1.yaml')));"
            "sys.stdout.write(c.get('/api/v1/BatchTask/42',headers=AUTH).text)")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True,
                         env={"PYTHONHASHSEED": "12345", "PATH": ""}).stdout
    assert out == seeds.get(TASK, headers=AUTH).text


def test_select_nulls_the_other_fields_case_insensitively(make_client: Any) -> None:
    spec = load_fixture("seeds-3.1.yaml")
    props = spec["components"]["schemas"]["BatchTaskInfo"]["properties"]
    for schema in props.values():  # the real API's fields are nullable; say so, and $select nulls
        schema["type"] = [schema["type"], "null"] if isinstance(schema.get("type"), str) else schema.get("type")
    client = make_client(spec)
    body = client.get(TASK + "?$select=name,ID", headers=AUTH).json()
    assert body["Id"] == 42 and body["Name"] and body["Description"] is None and body["Created"] is None
    assert "State" not in body  # its enum has no null, so it is left out instead


def test_select_leaves_out_fields_whose_schema_forbids_null(seeds: Any) -> None:
    body = seeds.get(TASK + "?$select=Name", headers=AUTH).json()
    assert set(body) == {"Name", "TableRight"}  # TableRight is anyOf [ref, null]
    assert body["TableRight"] is None


@pytest.mark.parametrize("accept", ["application/xml", "text/xml"])
def test_xml_has_a_root_named_after_the_schema(make_client: Any, accept: str) -> None:
    spec = load_fixture("seeds-3.1.yaml")
    client = make_client(spec)
    r = client.get(TASK, headers={**AUTH, "Accept": accept})
    assert r.headers["content-type"].startswith(accept)
    root = ET.fromstring(r.content)
    assert root.tag == "BatchTaskInfo" and root.find("Id").text == "42"  # type: ignore[union-attr]


def test_xml_arrays_repeat_their_item_element(seeds: Any) -> None:
    r = seeds.get("/api/v1/BatchTask/Failed", headers={**AUTH, "Accept": "application/xml"})
    root = ET.fromstring(r.content)
    assert root.tag == "ArrayOfBatchTaskInfo" and len(root) >= 1
    assert {child.tag for child in root} == {"BatchTaskInfo"}


def test_json_flavours_and_406(seeds: Any) -> None:
    assert seeds.get(TASK, headers={**AUTH, "Accept": "text/json"}).headers["content-type"].startswith("text/json")
    assert seeds.get(TASK, headers={**AUTH, "Accept": "*/*"}).headers["content-type"].startswith("application/json")
    r = seeds.get(TASK, headers={**AUTH, "Accept": "image/png"})
    assert r.status_code == 406 and "application/json" in r.json()["detail"]


def test_documented_204_has_no_body(seeds: Any) -> None:
    r = seeds.post("/api/v1/BatchTask/42/Stop", headers=AUTH)
    assert r.status_code == 204 and r.content == b""


def test_prefer_code_and_example(seeds: Any) -> None:
    assert seeds.get(TASK, headers={**AUTH, "Prefer": "code=404"}).status_code == 404
    r = seeds.get(TASK, headers={**AUTH, "Prefer": "code=200, example=sample"})
    assert r.json() == {"Id": 122, "Name": "Dooley, Doyle and Mayer", "ProgressPercent": 43, "State": "All"}
    assert seeds.get(TASK, headers={**AUTH, "Prefer": "example=nope"}).status_code == 400
    assert seeds.get(TASK, headers={**AUTH, "Prefer": "code=418"}).status_code == 400


def test_every_violation_is_listed_with_its_location(seeds: Any) -> None:
    r = seeds.post("/api/v1/Agents/Batch/GetBatchTaskInfosByAssociatesAndState?$top=abc",
                   headers={**AUTH, "Content-Type": "application/json"},
                   content=json.dumps({"AssociateIds": ["x"], "State": "Bad"}))
    assert r.status_code == 400
    locations = {e["location"] for e in r.json()["errors"]}
    assert locations == {"query.$top", "body.AssociateIds.0", "body.State"}


def test_missing_body_malformed_json_wrong_media_type_and_oversized_body(make_client: Any,
                                                                          seeds_fixture: Any) -> None:
    c = make_client(seeds_fixture, max_body=1000)
    assert c.post("/api/v1/BatchTask", headers=AUTH).json()["errors"][0]["location"] == "body"
    bad = c.post("/api/v1/BatchTask", headers={**AUTH, "Content-Type": "application/json"}, content=b"{")
    assert bad.status_code == 400 and "malformed JSON" in bad.json()["errors"][0]["message"]
    assert c.post("/api/v1/BatchTask", headers={**AUTH, "Content-Type": "text/csv"}, content=b"a").status_code == 415
    big = c.post("/api/v1/BatchTask", headers={**AUTH, "Content-Type": "application/json"}, content=b"1" * 2000)
    assert big.status_code == 413
    ok = c.post("/api/v1/BatchTask", headers={**AUTH, "Content-Type": "application/json"}, content=b'{"Id": 1}')
    assert ok.status_code == 200 and isinstance(ok.json(), int)


def test_form_and_binary_bodies(seeds: Any) -> None:
    form = seeds.post("/api/v1/BatchTask", headers={**AUTH, "Content-Type": "application/x-www-form-urlencoded"},
                      content=b"Id=5&Name=x")
    assert form.status_code == 200
    img = seeds.put("/api/v1/BatchTask/1/Image", headers={**AUTH, "Content-Type": "image/png"}, content=b"\x89PNG")
    assert img.status_code == 200 and img.json() in (True, False)


def test_unknown_path_404_and_wrong_method_405_with_allow(seeds: Any) -> None:
    assert seeds.get("/nowhere", headers=AUTH).status_code == 404
    r = seeds.delete(TASK, headers=AUTH)
    assert r.status_code == 405 and r.headers["allow"] == "GET"


def test_auth_is_required_as_documented(make_client: Any, seeds_fixture: Any, petstore: Any) -> None:
    c = make_client(seeds_fixture)
    r = c.get(TASK)
    assert r.status_code == 401 and "Basic" in r.headers["www-authenticate"]
    for headers in ({"Authorization": "Bearer t"}, {"Authorization": "SoTicket 7T:abc"}, {"X-XSRF-TOKEN": "x"}):
        assert c.get(TASK, headers=headers).status_code == 200
    assert c.get(TASK, headers={"Authorization": "Digest x"}).status_code == 401
    assert make_client(seeds_fixture, auth=False).get(TASK).status_code == 200
    strict = make_client(seeds_fixture, credentials=["Basic dGplMDpUamUw"])
    assert strict.get(TASK, headers=AUTH).status_code == 200
    assert strict.get(TASK, headers={"Authorization": "Basic b3RoZXI="}).status_code == 401
    # No security declared: nothing required.
    assert make_client(petstore).get("/pets/mine").status_code == 200


def test_cors_preflight_and_headers(make_client: Any, seeds_fixture: Any) -> None:
    c = make_client(seeds_fixture, cors_origins=["http://localhost:3000"])
    pre = c.options(TASK, headers={"Origin": "http://localhost:3000", "Access-Control-Request-Method": "GET",
                                   "Access-Control-Request-Headers": "authorization"})
    assert pre.status_code == 204 and pre.headers["access-control-allow-origin"] == "http://localhost:3000"
    assert "GET" in pre.headers["access-control-allow-methods"]
    assert pre.headers["access-control-allow-headers"] == "authorization"
    r = c.get(TASK, headers={**AUTH, "Origin": "http://localhost:3000"})
    assert r.headers["access-control-allow-origin"] == "http://localhost:3000"
    assert "access-control-allow-origin" not in c.get(TASK, headers={**AUTH, "Origin": "http://evil"}).headers


def test_other_sites_pages_can_neither_read_nor_reset_the_state(make_client: Any, seeds_fixture: Any) -> None:
    c = make_client(seeds_fixture, cors_origins=["*"], state="memory")
    c.post("/api/v1/BatchTask", json={"Name": "kept"}, headers=AUTH)
    pre = c.options("/__docmock/state", headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "GET"})
    assert "access-control-allow-origin" not in pre.headers  # no CORS for the admin endpoints, even with `*`
    for method, path in (("GET", "/__docmock/state"), ("POST", "/__docmock/reset"), ("DELETE", "/__docmock/requests")):
        refused = c.request(method, path, headers={"Origin": "http://evil.example"})
        assert refused.status_code == 403 and refused.headers["content-type"] == "application/problem+json"
        assert "not a page of http://evil.example" in refused.json()["detail"]
        assert "access-control-allow-origin" not in refused.headers
    assert c.get("/__docmock/sessions").json()["sessions"]  # nothing was reset
    # The console (the same origin) and tools that send no Origin are answered as before.
    assert c.get("/__docmock/state", headers={"Origin": "http://testserver"}).status_code == 200
    assert c.post("/__docmock/reset").status_code == 204
    # The API itself keeps its CORS.
    assert c.get(TASK, headers={**AUTH, "Origin": "http://evil.example"}).headers["access-control-allow-origin"] \
        == "http://evil.example"


def test_admin_endpoints_need_the_admin_token_or_an_api_credential(make_client: Any, seeds_fixture: Any) -> None:
    open_mock = make_client(seeds_fixture, state="memory")
    assert open_mock.get("/__docmock/state").status_code == 200  # neither set: open, as before
    c = make_client(seeds_fixture, state="memory", credentials=["Basic dGplMDpUamUw"], admin_token="s3cret")
    c.post("/api/v1/BatchTask", json={"Name": "kept"}, headers={"Authorization": "Basic dGplMDpUamUw"})
    for method, path in (("GET", "/__docmock/state"), ("POST", "/__docmock/reset"), ("GET", "/__docmock/requests"),
                         ("GET", "/__docmock/sessions"), ("POST", "/__docmock/clock"), ("GET", "/__docmock/report"),
                         ("GET", "/__docmock/nothing")):
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic b3RoZXI="},
                        {"Authorization": "s3cret"}):
            refused = c.request(method, path, headers=headers)
            assert refused.status_code == 401 and refused.headers["content-type"] == "application/problem+json"
            assert refused.headers["www-authenticate"] == 'Bearer realm="docmock admin"'
            assert "--admin-token" in refused.json()["detail"]
    assert c.get("/__docmock/sessions").status_code == 401
    assert c.get("/__docmock/state", headers={"Authorization": "Bearer s3cret"}).json()["sessions"]
    assert c.get("/__docmock/state", headers={"Authorization": "Basic dGplMDpUamUw"}).status_code == 200
    assert c.get("/__docmock/state", headers={"Authorization": "bearer  s3cret "}).status_code == 200  # any case
    # An API key given as --credential works as it is or as a Bearer token (what the console sends for a word).
    keyed = make_client(seeds_fixture, state="memory", credentials=["k3y"])
    assert keyed.get("/__docmock/state", headers={"Authorization": "k3y"}).status_code == 200
    assert keyed.get("/__docmock/state", headers={"Authorization": "Bearer k3y"}).status_code == 200
    assert keyed.get("/__docmock/state", headers={"Authorization": "Bearer k3"}).status_code == 401
    # A token beyond ASCII, sent as UTF-8 (as curl sends what was typed), matches.
    utf8 = make_client(seeds_fixture, state="memory", admin_token="tökén")
    assert utf8.get("/__docmock/state", headers={"Authorization": "Bearer tökén".encode()}).status_code == 200
    # The same origin's console sends it too; another site's page is refused before its credential is looked at.
    assert c.post("/__docmock/reset", headers={"Authorization": "Bearer s3cret", "Origin": "http://evil"}).status_code == 403
    assert c.post("/__docmock/reset", headers={"Authorization": "Bearer s3cret"}).status_code == 204
    # The API is not changed by an admin token: any credential of a declared kind, or the --credential values.
    token_only = make_client(seeds_fixture, state="memory", admin_token="s3cret")
    assert token_only.get(TASK, headers=AUTH).status_code == 200
    assert token_only.get("/__docmock/state", headers=AUTH).status_code == 401
    assert token_only.get("/", headers={}).status_code == 200 and token_only.get("/openapi.json").status_code == 200


def test_spec_documents_and_console_page(seeds: Any, seeds_fixture: Any) -> None:
    assert seeds.get("/openapi.json").json() == seeds_fixture
    assert "v1Batch_GetBatchTaskInfo" in seeds.get("/openapi.yaml").text
    page = seeds.get("/")
    assert page.headers["content-type"].startswith("text/html")
    assert "<title>" in page.text and "/__docmock/console/console.js" in page.text  # tests/mockserver/test_console.py


def test_unexpected_errors_become_a_logged_500_problem(seeds: Any, caplog: Any, monkeypatch: Any) -> None:
    import mockserver.steps as app_module

    def boom(*a: Any, **k: Any) -> Any:
        raise RuntimeError("kaboom")
    monkeypatch.setattr(app_module, "request_seed", boom)
    with caplog.at_level(logging.ERROR, logger="docmock.mockserver"):
        r = seeds.get(TASK, headers=AUTH)
    assert r.status_code == 500 and r.json()["status"] == 500 and "kaboom" not in r.text
    assert "kaboom" in caplog.text


def test_one_log_line_per_request(seeds: Any, caplog: Any) -> None:
    with caplog.at_level(logging.INFO, logger="docmock.mockserver"):
        seeds.get(TASK, headers=AUTH)
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1
    assert re.match(r"GET /api/v1/BatchTask/42 v1Batch_GetBatchTaskInfo 200 \d+\.\dms", lines[0])


def test_head_is_get_without_a_body(seeds: Any) -> None:
    r = seeds.head(TASK, headers=AUTH)
    assert r.status_code == 200 and r.content == b"" and int(r.headers["content-length"]) > 0


def test_openapi_30_documents_are_served(make_client: Any, petstore: Any) -> None:
    c = make_client(petstore)
    pets = c.get("/pets?limit=3", headers={"X-Request-Id": "0b6a2c1e-3f4d-4b7a-9c1e-2f3a4b5c6d7e"})
    assert pets.status_code == 200 and isinstance(pets.json(), list)
    missing = c.get("/pets?limit=99")
    assert {e["location"] for e in missing.json()["errors"]} == {"query.limit", "header.X-Request-Id"}
    assert c.post("/pets", json={"name": "Rex", "tag": None}).status_code == 201
    assert c.post("/pets", json={"name": "Rex", "extra": 1}).status_code == 400
    assert c.get("/pets/mine").headers["x-docmock-operation"] == "myPets"


def test_specs_that_cannot_be_served_raise_the_root_error() -> None:
    with pytest.raises(SpecError):
        create_app({"swagger": "2.0", "paths": {}})
    with pytest.raises(SpecError):
        create_app({"openapi": "3.1.0", "paths": {"/a": {"get": {"responses": {"200": {"$ref": "#/nope"}}}}}})


import re  # noqa: E402  (used by the log-line test)
