"""The console in a real headless Chromium: a browser per test session, and mocks of the seeds and the corpus
served by uvicorn on free loopback ports. Without Chromium the tests are skipped, saying what to install;
where `.ci/run` installed it (DOCMOCK_BROWSER_REQUIRED=1) a missing browser fails them instead."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from chromium import INSTALL_HINT, find_browser, start_chromium
from needs import skip_unless_required
from serving import asgi_server


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if find_browser() is None:
        skip_unless_required(f"the console's browser tests need Chromium and its driver: {INSTALL_HINT}",
                             "DOCMOCK_BROWSER_REQUIRED")
    pytest.importorskip("selenium", reason="the console's browser tests need selenium (pip install -e '.[test]')")
    driver = start_chromium()
    yield driver
    driver.quit()


def _served(spec: dict[str, Any]) -> Iterator[str]:
    from mockserver import create_app

    with asgi_server(create_app(spec, state="memory")) as base:
        yield base


@pytest.fixture(scope="module")
def seeds_url(seeds_result: Any) -> Iterator[str]:
    yield from _served(seeds_result.spec)


@pytest.fixture(scope="module")
def corpus_url(corpus_result: Any) -> Iterator[str]:
    yield from _served(corpus_result.spec)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: Any, call: Any) -> Any:
    """Keeps each phase's report on the test item, so a fixture can take a screenshot when the test failed."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
