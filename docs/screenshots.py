"""Takes the console screenshots the README shows, in headless Chromium, from mocks of the seeds and the corpus.

    .venv/bin/python docs/screenshots.py     # writes docs/console-*.png

Needs Debian's chromium and chromium-driver, and ../shared/corpus beside the repository.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import httpx

DOCS = Path(__file__).resolve().parent
REPO = DOCS.parent
sys.path.insert(0, str(REPO / "tests"))

from chromium import start_chromium  # noqa: E402
from serving import docmock_server  # noqa: E402
from testdata import CORPUS  # noqa: E402

AUTH = {"Authorization": "Basic ZG9jbW9jazpkb2Ntb2Nr"}


def settle(driver, script: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not driver.execute_script(script):
        if time.monotonic() > deadline:
            raise TimeoutError(script)
        time.sleep(0.05)
    time.sleep(0.4)  # let fonts and Swagger UI's transitions finish


def operations_view(driver, base: str, out: Path) -> None:
    """The corpus: the Person tag, searched for, with Try it out answered."""
    from selenium.webdriver.common.by import By

    driver.get(base + "/#op=v1PersonEntity_GetPersonEntity")
    settle(driver, "return [...document.querySelectorAll('.opblock.is-open')].length === 1")
    block = driver.find_element(By.CSS_SELECTOR, ".opblock.is-open")
    driver.find_element(By.ID, "dm-search").send_keys("person entity")
    block.find_element(By.CSS_SELECTOR, "button.execute").click()
    settle(driver, "return document.querySelector('.opblock.is-open .live-responses-table tbody') !== null")
    driver.execute_script("document.querySelector('.opblock.is-open .live-responses-table')"
                          ".scrollIntoView({block: 'start'}); window.scrollBy(0, -260)")
    time.sleep(0.3)
    driver.save_screenshot(str(out))


def state_and_log_views(driver, base: str, state_out: Path, log_out: Path) -> None:
    """The seeds: a session with records, then the request log that made them."""
    from selenium.webdriver.common.by import By

    session = {**AUTH, "X-Mock-Session": "checkout-test"}
    for name in ("Nightly export", "Quarterly report"):
        httpx.post(base + "/api/v1/BatchTask", json={"Name": name, "State": "New"}, headers=session)
    httpx.get(base + "/api/v1/BatchTask/1000001", headers=session)
    httpx.post(base + "/api/v1/BatchTask", json={"Name": 5, "State": "Sleeping"}, headers=session)  # a 400
    driver.get(base + "/")
    driver.execute_script("localStorage.setItem('docmock.session', 'checkout-test')")
    driver.get(base + "/#state")
    driver.refresh()  # the same page with another hash is not loaded again: reload it to read the session
    settle(driver, "return document.querySelectorAll('#dm-state-body details').length > 0")
    driver.find_element(By.CSS_SELECTOR, "#dm-state-body details").click()
    time.sleep(0.3)
    driver.save_screenshot(str(state_out))
    driver.find_element(By.CSS_SELECTOR, "[role=tab][data-panel=requests]").click()
    settle(driver, "return document.querySelectorAll('#dm-log tr.dm-entry').length >= 4")
    driver.find_elements(By.CSS_SELECTOR, "#dm-log tr.dm-entry")[0].click()  # the 400, with its violations
    time.sleep(0.3)
    driver.save_screenshot(str(log_out))


def main() -> None:
    driver = start_chromium(1400, 900)
    try:
        with docmock_server(str(CORPUS)) as (base, _):
            operations_view(driver, base, DOCS / "console-operations.png")
        with docmock_server(str(REPO / "docs_src")) as (base, _):
            state_and_log_views(driver, base, DOCS / "console-state.png", DOCS / "console-requests.png")
    finally:
        driver.quit()
    print("wrote", ", ".join(p.name for p in sorted(DOCS.glob("console-*.png"))))


if __name__ == "__main__":
    main()
