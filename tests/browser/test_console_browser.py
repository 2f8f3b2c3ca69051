"""The console at `/` in a real headless Chromium: open it, search, expand an operation, try it, see the answer,
see the request in the log, see and reset a session's state, and nothing loaded from anywhere else."""
from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from testdata import PNG

WAIT = 20  # seconds: a shared 2-core machine under a full test run


def wait(browser: Any) -> WebDriverWait:
    return WebDriverWait(browser, WAIT)


def open_console(browser: Any, url: str, session: str = "") -> None:
    browser.get(url + "/")
    browser.execute_script("localStorage.clear()")
    browser.get(url + "/")
    wait(browser).until(EC.presence_of_element_located((By.CSS_SELECTOR, "#dm-swagger .opblock")))
    if session:
        field = browser.find_element(By.ID, "dm-session")
        field.clear()
        field.send_keys(session)
        browser.execute_script("document.getElementById('dm-session').dispatchEvent(new Event('change'))")


def operation_block(browser: Any, operation_id: str) -> Any:
    return wait(browser).until(lambda b: next((e for e in b.find_elements(By.CSS_SELECTOR, "#dm-swagger .opblock")
                                               if e.get_attribute("id").endswith("-" + operation_id)), None))


def execute(browser: Any, operation_id: str, upload: str | None = None) -> Any:
    """Expand the operation, press Execute on its prefilled form (choosing the file `upload` for a binary body)
    and return the block once the answer shows."""
    block = operation_block(browser, operation_id)
    if "is-open" not in block.get_attribute("class"):
        # Centred first: an operation left under the console's fixed top bar would take the click there.
        summary = block.find_element(By.CSS_SELECTOR, ".opblock-summary-control")
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", summary)
        summary.click()
    if upload is not None:
        wait(browser).until(lambda b: block.find_element(By.CSS_SELECTOR, "input[type=file]")).send_keys(upload)
    button = wait(browser).until(lambda b: block.find_element(By.CSS_SELECTOR, "button.execute"))
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", button)
    button.click()
    wait(browser).until(lambda b: block.find_elements(By.CSS_SELECTOR, ".live-responses-table tbody .response-col_status"))
    return block


def severe_errors(browser: Any) -> list[str]:
    return [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]


def test_opens_with_every_tag_and_loads_nothing_from_elsewhere(browser: Any, corpus_url: str) -> None:
    open_console(browser, corpus_url)
    tags = browser.find_elements(By.CSS_SELECTOR, "#dm-tags button")
    assert [t.get_attribute("data-tag") for t in tags][:3] == ["Appointment", "Archive Agent", "BLOB Agent"]
    assert len(tags) == 13 and "93 operations in 13 tags" in browser.find_element(By.ID, "dm-count").text
    shown = browser.find_elements(By.CSS_SELECTOR, "#dm-swagger .opblock")
    assert len(shown) == 3  # the first tag's operations, not all 93
    loaded = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert loaded and all(urlsplit(u).netloc == urlsplit(corpus_url).netloc for u in loaded), loaded
    assert sum("spec.json" in u for u in loaded) == 1 and not any("openapi.json" in u for u in loaded)
    assert severe_errors(browser) == []


def test_search_finds_by_path_operation_id_and_summary_and_opens_the_operation(browser: Any, corpus_url: str) -> None:
    open_console(browser, corpus_url)
    search = browser.find_element(By.ID, "dm-search")
    search.send_keys("consent")
    results = wait(browser).until(lambda b: b.find_elements(By.CSS_SELECTOR, "#dm-results button"))
    texts = [r.text.lower() for r in results]
    assert texts and all("consent" in t for t in texts)
    search.clear()
    search.send_keys("PatchPersonEntity")
    result = wait(browser).until(lambda b: b.find_element(By.CSS_SELECTOR, "#dm-results button"))
    assert result.get_attribute("data-operation") == "v1PersonEntity_PatchPersonEntity"
    result.click()
    block = operation_block(browser, "v1PersonEntity_PatchPersonEntity")
    wait(browser).until(lambda b: "is-open" in block.get_attribute("class"))
    assert "#op=v1PersonEntity_PatchPersonEntity" in browser.current_url
    assert len(browser.find_elements(By.CSS_SELECTOR, "#dm-swagger .opblock")) == 41  # the Person tag
    browser.back()  # to the tag shown before
    wait(browser).until(lambda b: b.current_url.endswith("#tag=Appointment")
                        and len(b.find_elements(By.CSS_SELECTOR, "#dm-swagger .opblock")) == 3)


def test_try_it_answers_the_prefilled_request_and_offers_curl(browser: Any, seeds_url: str) -> None:
    open_console(browser, seeds_url, session="browser-try")
    browser.find_element(By.CSS_SELECTOR, "#dm-tags button[data-tag='BatchTask']").click()
    block = execute(browser, "v1Batch_GetBatchTaskInfo")
    status = block.find_element(By.CSS_SELECTOR, ".live-responses-table tbody .response-col_status").text
    assert status.startswith("200")
    body = block.find_element(By.CSS_SELECTOR, ".live-responses-table tbody .response-col_description pre").text
    assert json.loads(body)["Id"] == 42
    curl = block.find_element(By.CSS_SELECTOR, ".request-snippets pre, .curl-command pre").text
    assert "curl" in curl and "/api/v1/BatchTask/42" in curl and "X-Mock-Session: browser-try" in curl
    assert block.find_elements(By.CSS_SELECTOR, ".request-snippets .copy-to-clipboard, .curl-command .copy-to-clipboard")
    # The copied command, run as it is, gets the same answer.
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed: the copied command was not run")
    ran = subprocess.run(["bash", "-c", curl.replace("\\\n", " ") + " -s -w '\\n%{http_code}'"], capture_output=True,
                         text=True, timeout=30)
    assert ran.stdout.strip().endswith("200") and json.loads(ran.stdout.rsplit("\n", 1)[0]) == json.loads(body)


def test_try_it_sends_the_prefilled_bodies(browser: Any, seeds_url: str, corpus_url: str, tmp_path: Any) -> None:
    open_console(browser, seeds_url, session="browser-bodies")
    browser.find_element(By.CSS_SELECTOR, "#dm-tags button[data-tag='BatchTask']").click()
    created = execute(browser, "v1Batch_StartBatchJob")
    assert created.find_element(By.CSS_SELECTOR, ".live-responses-table tbody .response-col_status").text[0] == "2"
    records = httpx.get(seeds_url + "/__docmock/state?session=browser-bodies").json()["sessions"]
    assert records["browser-bodies"]["BatchTask"]["records"]  # the JSON body was sent and stored
    open_console(browser, corpus_url, session="browser-bodies")
    browser.find_element(By.CSS_SELECTOR, "#dm-tags button[data-tag='Person']").click()
    picture = tmp_path / "portrait.png"
    picture.write_bytes(PNG)
    image = execute(browser, "v1PersonEntity_SaveImage", upload=str(picture))  # a binary body: the user's file
    assert image.find_element(By.CSS_SELECTOR, ".live-responses-table tbody .response-col_status").text[0] == "2"


def test_nothing_from_the_docs_the_state_or_the_log_runs_as_script(browser: Any, seeds_result: Any) -> None:
    import copy

    from mockserver import create_app
    from serving import asgi_server

    spec = copy.deepcopy(seeds_result.spec)
    spec["info"]["title"] = "<img src=x onerror='window.pwned=1'>"
    spec["info"]["description"] = "<script>window.pwned=2</script><img src=x onerror='window.pwned=3'>"
    for item in spec["paths"].values():
        for op in item.values():
            if isinstance(op, dict) and "summary" in op:
                op["summary"] = "<img src=x onerror='window.pwned=4'>"
                op["description"] = "<iframe src=javascript:window.parent.pwned=5></iframe>"
    hostile = "<img src=x onerror='window.pwned=6'>"
    with asgi_server(create_app(spec, state="memory")) as url:
        headers = {"Authorization": "Basic eDp5", "X-Mock-Session": hostile}
        httpx.post(url + "/api/v1/BatchTask", json={"Name": hostile}, headers=headers)
        httpx.get(url + "/api/v1/BatchTask/" + hostile, headers=headers)
        open_console(browser, url)
        browser.find_element(By.CSS_SELECTOR, "#dm-tags button[data-tag='BatchTask']").click()
        operation_block(browser, "v1Batch_GetBatchTaskInfo").find_element(
            By.CSS_SELECTOR, ".opblock-summary-control").click()
        assert browser.find_element(By.ID, "dm-title").text == spec["info"]["title"]  # as text
        browser.find_element(By.CSS_SELECTOR, "[role=tab][data-panel=requests]").click()
        wait(browser).until(lambda b: len(b.find_elements(By.CSS_SELECTOR, "#dm-log tr.dm-entry")) >= 2)
        for row in browser.find_elements(By.CSS_SELECTOR, "#dm-log tr.dm-entry"):
            row.click()
        browser.find_element(By.ID, "dm-session").send_keys(hostile)
        browser.execute_script("document.getElementById('dm-session').dispatchEvent(new Event('change'))")
        browser.find_element(By.CSS_SELECTOR, "[role=tab][data-panel=state]").click()
        wait(browser).until(lambda b: b.find_elements(By.CSS_SELECTOR, "#dm-state-body details.dm-record"))
        browser.find_element(By.CSS_SELECTOR, "[role=tab][data-panel=report]").click()
        wait(browser).until(lambda b: "operations" in b.find_element(By.ID, "dm-report").text)
        assert browser.execute_script("return window.pwned === undefined")
        assert not browser.find_elements(By.CSS_SELECTOR, "#dm-log img, #dm-state-body img, #dm-title img")


def test_the_request_log_shows_what_was_tried(browser: Any, seeds_url: str) -> None:
    open_console(browser, seeds_url, session="browser-log")
    browser.find_element(By.CSS_SELECTOR, "#dm-tags button[data-tag='Batch Agent']").click()
    operation_id = browser.find_element(By.CSS_SELECTOR, "#dm-swagger .opblock").get_attribute("id").rsplit("-", 1)[-1]
    execute(browser, operation_id)
    browser.find_element(By.CSS_SELECTOR, "[role=tab][data-panel=requests]").click()
    row = wait(browser).until(lambda b: b.find_element(By.CSS_SELECTOR, "#dm-log tbody tr.dm-entry"))
    assert "browser-log" in row.text and operation_id in row.text
    # Live: a request from elsewhere shows up without a reload.
    httpx.get(seeds_url + "/api/v1/BatchTask/7", headers={"Authorization": "Basic eDp5", "X-Mock-Session": "browser-log"})
    wait(browser).until(lambda b: "/api/v1/BatchTask/7" in b.find_element(By.CSS_SELECTOR, "#dm-log tbody tr.dm-entry").text)
    # Filtered by operation: only that operation's requests.
    operation = browser.find_element(By.ID, "dm-log-operation")
    operation.send_keys("v1Batch_GetBatchTaskInfo")
    browser.execute_script("document.getElementById('dm-log-operation').dispatchEvent(new Event('change'))")
    wait(browser).until(lambda b: {r.find_elements(By.TAG_NAME, "td")[5].text
                                   for r in b.find_elements(By.CSS_SELECTOR, "#dm-log tr.dm-entry")}
                        == {"v1Batch_GetBatchTaskInfo"})


def test_state_of_a_session_and_its_reset(browser: Any, seeds_url: str) -> None:
    created = httpx.post(seeds_url + "/api/v1/BatchTask", json={"Name": "Nightly <b>export</b>"},
                         headers={"Authorization": "Basic eDp5", "X-Mock-Session": "browser-state"})
    assert created.status_code in (200, 201)
    open_console(browser, seeds_url, session="browser-state")
    browser.find_element(By.CSS_SELECTOR, "[role=tab][data-panel=state]").click()
    record = wait(browser).until(lambda b: b.find_element(By.CSS_SELECTOR, "#dm-state-body details.dm-record"))
    assert not browser.find_element(By.ID, "dm-search").is_displayed()  # one panel at a time
    record.click()
    assert "Nightly <b>export</b>" in record.text  # shown as text, not as markup
    assert browser.find_element(By.ID, "dm-state-session").get_attribute("value") == "browser-state"
    browser.find_element(By.ID, "dm-reset-session").click()
    browser.switch_to.alert.accept()
    wait(browser).until(lambda b: "has no records" in b.find_element(By.ID, "dm-state-body").text)
    state = httpx.get(seeds_url + "/__docmock/state?session=browser-state").json()
    assert state["sessions"] == {}
    httpx.post(seeds_url + "/api/v1/BatchTask", json={"Name": "Other"},
               headers={"Authorization": "Basic eDp5", "X-Mock-Session": "browser-other"})
    browser.find_element(By.ID, "dm-reset-all").click()
    browser.switch_to.alert.accept()
    wait(browser).until(lambda b: "Every session was reset" in b.find_element(By.ID, "dm-state-status").text)
    assert httpx.get(seeds_url + "/__docmock/sessions").json()["sessions"] == []


def test_report_tab(browser: Any, seeds_url: str) -> None:
    open_console(browser, seeds_url)
    browser.find_element(By.CSS_SELECTOR, "[role=tab][data-panel=report]").click()
    panel = wait(browser).until(lambda b: b.find_element(By.ID, "dm-report") if "operations" in
                                b.find_element(By.ID, "dm-report").text else None)
    assert "4 operations" in panel.text and "Route ambiguities" in panel.text and "BatchTask" in panel.text


@pytest.fixture(autouse=True)
def _screenshot_on_failure(request: Any, browser: Any, tmp_path_factory: Any) -> Any:
    browser.get_log("browser")  # each test reads only its own page's messages
    yield
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        path = tmp_path_factory.getbasetemp() / f"{request.node.name}.png"
        browser.save_screenshot(str(path))
        print(f"screenshot: {path}")


def test_every_documented_kind_of_credential_is_filled_in(browser: Any, seeds_result: Any) -> None:
    import copy

    from mockserver import create_app
    from serving import asgi_server

    spec = copy.deepcopy(seeds_result.spec)
    spec["components"]["securitySchemes"] = {
        "OAuth": {"type": "oauth2", "flows": {"clientCredentials": {"tokenUrl": "/token", "scopes": {}}}},
        "Key": {"type": "apiKey", "in": "header", "name": "X-Api-Key"},
        "QueryKey": {"type": "apiKey", "in": "query", "name": "key"}}
    spec["security"] = [{"OAuth": []}]
    spec["paths"]["/api/v1/BatchTask/{id}"]["get"]["security"] = [{"Key": []}]
    spec["paths"]["/api/v1/BatchTask"]["post"]["security"] = [{"QueryKey": []}]
    with asgi_server(create_app(spec, state="memory")) as url:
        open_console(browser, url, session="browser-auth")
        browser.find_element(By.CSS_SELECTOR, "#dm-tags button[data-tag='BatchTask']").click()
        for operation_id in ("v1Batch_GetBatchTaskInfo", "v1Batch_StartBatchJob", "v1Batch_GetBatchTaskInfosByState"):
            status = execute(browser, operation_id).find_element(
                By.CSS_SELECTOR, ".live-responses-table tbody .response-col_status").text
            assert status.startswith("2"), (operation_id, status)
        kinds = {e["operationId"]: e["headers"].get("authorization") or e["headers"].get("x-api-key") or e["query"]
                 for e in httpx.get(url + "/__docmock/requests?session=browser-auth").json()["requests"]}
        assert kinds["v1Batch_GetBatchTaskInfo"] == "[redacted]" and kinds["v1Batch_StartBatchJob"]


def test_hash_links_tabs_and_history(browser: Any, corpus_url: str) -> None:
    browser.get(corpus_url + "/#op=%E0%A4%A")  # a hash the console did not write: the first tag opens
    wait(browser).until(lambda b: len(b.find_elements(By.CSS_SELECTOR, "#dm-swagger .opblock")) == 3)
    browser.execute_script("location.hash = 'tag=Sale'")
    wait(browser).until(lambda b: len(b.find_elements(By.CSS_SELECTOR, "#dm-swagger .opblock")) == 4)
    browser.find_element(By.CSS_SELECTOR, "[role=tab][data-panel=state]").click()
    assert browser.current_url.endswith("#state")
    browser.back()  # from the State tab back to the Sale operations
    wait(browser).until(lambda b: b.find_element(By.ID, "dm-search").is_displayed())
    assert browser.current_url.endswith("#tag=Sale")
    assert severe_errors(browser) == []


def test_a_session_name_that_cannot_travel_in_a_header_is_refused(browser: Any, seeds_url: str) -> None:
    open_console(browser, seeds_url, session="plain")
    browser.execute_script("const field = document.getElementById('dm-session'); field.value = arguments[0];"
                           "field.dispatchEvent(new Event('change'))", "Jürgen→1")
    assert "Latin-1" in browser.execute_script("return document.getElementById('dm-session').validationMessage")
    assert browser.execute_script("return localStorage.getItem('docmock.session')") == "plain"
    browser.find_element(By.CSS_SELECTOR, "#dm-tags button[data-tag='BatchTask']").click()
    status = execute(browser, "v1Batch_GetBatchTaskInfo").find_element(
        By.CSS_SELECTOR, ".live-responses-table tbody .response-col_status").text
    assert status.startswith("200")  # sent in the last session that could travel


def test_a_slow_journal_does_not_make_the_live_log_repeat_rows(browser: Any, seeds_result: Any) -> None:
    import asyncio
    import time

    from mockserver import create_app
    from serving import asgi_server

    app = create_app(seeds_result.spec, state="memory")

    async def slow_journal(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == "/__docmock/requests":
            await asyncio.sleep(1.5)  # longer than the polling interval
        await app(scope, receive, send)

    with asgi_server(slow_journal) as url:
        open_console(browser, url)
        browser.find_element(By.CSS_SELECTOR, "[role=tab][data-panel=requests]").click()
        for n in range(8):
            httpx.get(f"{url}/api/v1/BatchTask/{n + 1}", headers={"Authorization": "Basic eDp5"})
            time.sleep(0.5)
        wait(browser).until(lambda b: "/api/v1/BatchTask/8" in b.find_element(By.CSS_SELECTOR, "#dm-log tr.dm-entry").text)
        ids = [int(r.get_attribute("data-id")) for r in browser.find_elements(By.CSS_SELECTOR, "#dm-log tr.dm-entry")]
        assert ids == sorted(set(ids), reverse=True) and len(ids) >= 8


def test_the_console_asks_once_for_the_admin_credential_and_sends_it(browser: Any, seeds_result: Any) -> None:
    from mockserver import create_app
    from serving import asgi_server

    app = create_app(seeds_result.spec, state="memory", admin_token="t0ken")
    with asgi_server(app) as url:
        httpx.post(url + "/api/v1/BatchTask", json={"Name": "Guarded"},
                   headers={"Authorization": "Basic eDp5", "X-Mock-Session": "guarded"})
        open_console(browser, url, session="guarded")
        browser.execute_script("sessionStorage.clear()")
        browser.find_element(By.CSS_SELECTOR, "[role=tab][data-panel=state]").click()
        wait(browser).until(EC.alert_is_present())
        prompt = browser.switch_to.alert
        assert "--admin-token" in prompt.text
        prompt.send_keys("t0ken")  # a bare token is sent as a Bearer token
        prompt.accept()
        record = wait(browser).until(lambda b: b.find_element(By.CSS_SELECTOR, "#dm-state-body details.dm-record"))
        assert "Guarded" in record.get_attribute("textContent")
        assert browser.execute_script("return sessionStorage.getItem('docmock.admin')") == "Bearer t0ken"
        # The Requests tab uses it too, without asking again.
        browser.find_element(By.CSS_SELECTOR, "[role=tab][data-panel=requests]").click()
        wait(browser).until(lambda b: "/api/v1/BatchTask" in b.find_element(By.ID, "dm-log").text)
        assert not EC.alert_is_present()(browser)
