"""The console at `/`, in process: its page, its files, its index and per-tag specs, and the requests its
"Try it out" forms are prefilled with (every one answers 2xx). The browser tests are in tests/browser."""
from __future__ import annotations

import copy
import gzip
import hashlib
import re
from typing import Any

import pytest
from openapi_spec_validator import validate
from starlette.testclient import TestClient

from mockserver import create_app
from mockserver.console import ASSETS, CONSOLE_PREFIX
from mockserver.console.document import GENERATED_EXAMPLE
from mockserver.console.examples import encoded_body, param_text
from testdata import PNG  # a form cannot prefill a file: for a binary body the user chooses one

AUTH = {"Authorization": "Basic ZG9jbW9jazpkb2Ntb2Nr"}


@pytest.fixture(scope="module")
def seeds_client(seeds_result: Any) -> TestClient:
    return TestClient(create_app(seeds_result.spec, state="memory"))


@pytest.fixture(scope="module")
def corpus_client(corpus_result: Any) -> TestClient:
    return TestClient(create_app(corpus_result.spec, state="memory"))


def tag_specs(client: TestClient) -> dict[str, dict[str, Any]]:
    index = client.get(CONSOLE_PREFIX + "index.json").json()
    return {t["name"]: client.get(CONSOLE_PREFIX + "spec.json", params={"tag": t["name"]}).json()
            for t in index["tags"]}


def prefilled_request(path: str, method: str, op: dict[str, Any]) -> dict[str, Any]:
    """What Swagger UI's form sends for an operation of a console spec: each parameter's `example`, and the
    first example of the first media type of the body."""
    url, query, headers = path, {}, dict(AUTH)
    for p in op.get("parameters", []):
        if "example" not in p:
            continue
        text = param_text(p["example"])
        if p["in"] == "path":
            url = url.replace("{" + p["name"] + "}", text)
        elif p["in"] == "query":
            query[p["name"]] = text
        elif p["in"] == "header":
            headers[p["name"]] = text
    content = None
    body = op.get("requestBody")
    if body:
        media, media_object = next(iter(body["content"].items()))
        if media_object.get("schema", {}).get("format") == "binary":
            content, headers["Content-Type"] = PNG, media
        else:
            example = next(iter(media_object["examples"].values()))["value"]
            content, headers["Content-Type"] = encoded_body(media, example), media
    return {"method": method.upper(), "url": url, "params": query, "headers": headers, "content": content}


def every_prefilled(client: TestClient) -> list[tuple[str, dict[str, Any]]]:
    return [(op["operationId"], prefilled_request(path, method, op))
            for spec in tag_specs(client).values() for path, item in spec["paths"].items()
            for method, op in item.items()]


# -- the page ------------------------------------------------------------------------------------------------


def test_the_page_loads_the_console_from_this_server_only(seeds_client: TestClient) -> None:
    page = seeds_client.get("/", headers={"Host": "evil.example\"><script>alert(1)</script>"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "evil.example" not in page.text  # nothing of the request goes into the page
    sources = re.findall(r'(?:src|href)="([^"]*)"', page.text)
    assert sources and all(s.startswith("/") or s.startswith("data:") for s in sources), sources
    for name in ASSETS:
        assert f"{CONSOLE_PREFIX}{name}?v=" in page.text


def test_the_page_escapes_the_docs_it_shows(seeds_result: Any) -> None:
    spec = copy.deepcopy(seeds_result.spec)
    spec["info"]["title"] = "Orders <img src=x onerror=alert(1)> </script>"
    app = create_app(spec)
    app.reload_failed("docs_src/x.md:3: <script>alert(2)</script>")
    text = TestClient(app).get("/").text
    assert "<img src=x" not in text and "&lt;img src=x onerror=alert(1)&gt;" in text
    assert "<script>alert(2)" not in text and "&lt;script&gt;alert(2)&lt;/script&gt;" in text
    config = re.search(r'<script id="docmock-config" type="application/json">(.*?)</script>', text, re.S)
    assert config is not None and "</" not in config.group(1)


@pytest.mark.parametrize("name", ASSETS)
def test_each_console_file_is_served_gzipped_and_cached_by_its_hash(seeds_client: TestClient, name: str) -> None:
    page = seeds_client.get("/").text
    url = re.search(re.escape(CONSOLE_PREFIX + name) + r"\?v=(\w+)", page)
    assert url is not None
    plain = seeds_client.get(CONSOLE_PREFIX + name, headers={"Accept-Encoding": "identity"})
    assert plain.status_code == 200 and "content-encoding" not in plain.headers
    assert hashlib.sha256(plain.content).hexdigest().startswith(url.group(1))
    assert "immutable" in plain.headers["cache-control"]
    zipped = seeds_client.get(CONSOLE_PREFIX + name, headers={"Accept-Encoding": "gzip"})  # httpx unzips it
    assert zipped.headers.get("content-encoding") == "gzip" and zipped.content == plain.content
    assert plain.headers["content-type"].startswith("text/javascript" if name.endswith(".js") else "text/css")


def test_swagger_ui_ships_with_its_licence() -> None:
    from importlib import resources

    folder = resources.files("mockserver.console") / "static" / "swagger-ui"
    assert "Apache License" in (folder / "LICENSE").read_text()
    assert (folder / "swagger-ui-bundle.js").read_bytes()[:3] != b""


def test_unknown_console_files_and_methods_are_problems(seeds_client: TestClient) -> None:
    missing = seeds_client.get(CONSOLE_PREFIX + "nope.js")
    assert missing.status_code == 404 and "index.json" in missing.json()["detail"]
    assert seeds_client.post(CONSOLE_PREFIX + "index.json").status_code == 405
    unknown = seeds_client.get(CONSOLE_PREFIX + "spec.json", params={"tag": "<b>Nope</b>"})
    assert unknown.status_code == 404 and unknown.headers["content-type"] == "application/problem+json"


# -- the index and the tag specs -----------------------------------------------------------------------------


def test_the_index_lists_every_operation_under_its_tag(corpus_client: TestClient, corpus_result: Any) -> None:
    index = corpus_client.get(CONSOLE_PREFIX + "index.json").json()
    documented = {op["operationId"]: (op.get("tags") or ["default"])[0]
                  for item in corpus_result.spec["paths"].values() for op in item.values() if isinstance(op, dict)
                  and "operationId" in op}
    assert {op["operationId"]: op["tag"] for op in index["operations"]} == documented
    assert sum(t["count"] for t in index["tags"]) == len(documented) == 93
    assert [t["name"] for t in index["tags"]] == [t["name"] for t in corpus_result.spec["tags"]]


def test_each_tag_spec_is_a_valid_self_contained_openapi_document(corpus_client: TestClient) -> None:
    specs = tag_specs(corpus_client)
    assert len(specs) == 13
    for tag, spec in specs.items():
        validate(spec)  # raises on an unresolvable $ref or a malformed example
        assert "servers" not in spec  # Try it out goes to this mock, not to the documented host
        assert {t for item in spec["paths"].values() for op in item.values() for t in op["tags"]} == {tag}


def test_the_whole_spec_is_never_sent_to_the_console(corpus_client: TestClient, corpus_result: Any) -> None:
    import json

    whole = len(json.dumps(corpus_result.spec))
    sizes = [len(json.dumps(spec)) for spec in tag_specs(corpus_client).values()]
    assert max(sizes) < whole


# -- what Try it out sends ---------------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["seeds", "corpus"])
def test_every_prefilled_request_answers_2xx(which: str, request: Any) -> None:
    client = request.getfixturevalue(f"{which}_client")
    prefilled = every_prefilled(client)
    assert len(prefilled) == (4 if which == "seeds" else 93)
    failures = []
    for n, (op_id, call) in enumerate(prefilled):
        response = client.request(**{**call, "headers": {**call["headers"], "X-Mock-Session": f"prefill-{n}"}})
        if not 200 <= response.status_code < 300 or response.headers.get("x-docmock-operation") != op_id:
            failures.append(f"{op_id}: {call['method']} {call['url']} {call['params']} -> {response.status_code} "
                            f"{response.text[:200]}")
    assert not failures, "\n".join(failures)


def test_required_query_parameters_and_bodies_are_prefilled(corpus_client: TestClient) -> None:
    calls = dict(every_prefilled(corpus_client))
    delete_blob = calls["v1BLOBAgent_DeleteBlobEntity"]
    assert delete_blob["params"] or delete_blob["content"]  # the page's BlobEntityId, in whichever place it goes
    consent = next(call for op_id, call in calls.items() if "Consent" in call["url"] and call["method"] == "PUT")
    assert {"source", "legalBase"} <= set(consent["params"])


def test_a_json_patch_example_changes_a_documented_property(corpus_client: TestClient) -> None:
    call = dict(every_prefilled(corpus_client))["v1PersonEntity_PatchPersonEntity"]
    import json

    patch = json.loads(call["content"])
    assert patch[0]["op"] == "replace" and patch[0]["path"] == "/Firstname"
    response = corpus_client.request(**{**call, "headers": {**call["headers"], "X-Mock-Session": "patch"}})
    assert response.status_code == 200 and response.json()["Firstname"] == patch[0]["value"]


def test_the_generated_answer_is_what_the_mock_answers_to_the_prefilled_request(seeds_result: Any) -> None:
    client = TestClient(create_app(seeds_result.spec))  # stateless: the answer is a function of the request
    spec = tag_specs(client)["BatchTask"]
    op = spec["paths"]["/api/v1/BatchTask/{id}"]["get"]
    examples = op["responses"]["200"]["content"]["application/json"]["examples"]
    assert list(examples)[-1] == GENERATED_EXAMPLE and len(examples) > 1  # after the documented ones
    answer = client.request(**prefilled_request("/api/v1/BatchTask/{id}", "get", op))
    assert answer.status_code == 200 and answer.json() == examples[GENERATED_EXAMPLE]["value"]


# -- the admin endpoints the console reads -----------------------------------------------------------------


def test_sessions_and_report_endpoints(seeds_client: TestClient) -> None:
    created = seeds_client.post("/api/v1/BatchTask", json={"Name": "Export"},
                                headers={**AUTH, "X-Mock-Session": "console-a"})
    assert created.status_code in (200, 201)
    sessions = seeds_client.get("/__docmock/sessions").json()["sessions"]
    mine = next(s for s in sessions if s["session"] == "console-a")
    assert mine["entities"]["BatchTask"]["records"] == 1
    report = seeds_client.get("/__docmock/report").json()
    assert report["operations"] == 4 and report["reloadFailure"] is None
    assert any("BatchTask" in line for line in report["state"])
    seeds_client.post("/__docmock/reset?session=console-a")
    assert all(s["session"] != "console-a" for s in seeds_client.get("/__docmock/sessions").json()["sessions"])


def test_gzip_of_a_tag_spec(corpus_client: TestClient) -> None:
    raw = corpus_client.get(CONSOLE_PREFIX + "spec.json", params={"tag": "Person"},
                            headers={"Accept-Encoding": "identity"})
    assert raw.headers["content-type"] == "application/json" and "content-encoding" not in raw.headers
    assert len(gzip.compress(raw.content)) < len(raw.content) / 4


def test_a_documented_body_is_prefilled_where_the_mock_accepts_it(seeds_client: TestClient, seeds_result: Any) -> None:
    documented = seeds_result.spec["paths"]["/api/v1/BatchTask"]["post"]["requestBody"]["content"]["application/json"]
    console = tag_specs(seeds_client)["BatchTask"]["paths"]["/api/v1/BatchTask"]["post"]["requestBody"]["content"]
    first_name, first = next(iter(console["application/json"]["examples"].items()))
    assert first_name in documented["examples"] and first == documented["examples"][first_name]


def test_generated_bodies_carry_friendly_ids(corpus_client: TestClient) -> None:
    import json

    calls = dict(every_prefilled(corpus_client))
    assert json.loads(calls["v1BatchAgent_DeleteBatchTask"]["content"]) == {"BatchTaskId": 42}
    assert json.loads(calls["v1BatchAgent_DeleteBatchTasks"]["content"]) == {"BatchTaskIds": [42, 43, 44]}


@pytest.mark.parametrize(("accept", "zipped"), [("gzip", True), ("gzip, deflate, br", True), ("*", True),
                                               ("br;q=1, gzip;q=0.5", True), ("gzip;q=0", False),
                                               ("identity", False), ("", False), ("gzip;q=x", False)])
def test_gzip_only_where_the_client_takes_it(seeds_client: TestClient, accept: str, zipped: bool) -> None:
    response = seeds_client.get(CONSOLE_PREFIX + "console.js", headers={"Accept-Encoding": accept})
    assert (response.headers.get("content-encoding") == "gzip") is zipped


def test_an_odata_list_shows_no_generated_answer_it_would_not_give(corpus_client: TestClient) -> None:
    sale = tag_specs(corpus_client)["Sale"]["paths"]
    listed = sale["/api/v1/Sale"]["get"]["responses"]["200"]["content"]["application/json"]["examples"]
    assert GENERATED_EXAMPLE not in listed and listed  # the documented rows only
    read = sale["/api/v1/Sale/{saleId}/NextDueDate"]["get"]["responses"]["200"]["content"]["application/json"]["examples"]
    assert GENERATED_EXAMPLE in read


def test_building_a_tag_spec_does_not_hold_up_the_mocks_other_clients(seeds_result: Any, monkeypatch: Any) -> None:
    import asyncio
    import threading

    import httpx

    from mockserver.console.document import ConsoleDocument

    release = threading.Event()
    real = ConsoleDocument.tag_spec

    def slow_tag_spec(self: ConsoleDocument, tag: str) -> dict[str, Any]:
        release.wait(30)  # a big tag being built
        return real(self, tag)

    monkeypatch.setattr(ConsoleDocument, "tag_spec", slow_tag_spec)
    app = create_app(seeds_result.spec)

    async def scenario() -> tuple[int, int, bool]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mock") as client:
            building = asyncio.create_task(client.get(CONSOLE_PREFIX + "spec.json", params={"tag": "BatchTask"}))
            await asyncio.sleep(0.05)
            other = await client.get("/api/v1/BatchTask/42", headers=AUTH)  # answered while the spec is built
            still_building = not building.done()
            release.set()
            return other.status_code, (await building).status_code, still_building

    assert asyncio.run(scenario()) == (200, 200, True)
