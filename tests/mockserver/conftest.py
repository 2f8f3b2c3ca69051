"""Fixtures for the mock server tests (helpers live in mock_support.py)."""
from __future__ import annotations

import copy
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # so test modules can import mock_support

from mock_support import CORPUS, TestClient, corpus_spec, load_fixture

from mockserver import create_app


@pytest.fixture(scope="session")
def seeds_fixture() -> dict[str, Any]:
    return load_fixture("seeds-3.1.yaml")


@pytest.fixture(scope="session")
def petstore() -> dict[str, Any]:
    return load_fixture("petstore-3.0.yaml")


@pytest.fixture(scope="session")
def corpus() -> dict[str, Any]:
    if not (CORPUS / "superoffice").exists():
        pytest.skip("shared/corpus is not beside the repository")
    return corpus_spec()


@pytest.fixture
def make_client() -> Iterator[Callable[..., TestClient]]:
    clients: list[TestClient] = []

    def make(spec: dict[str, Any], **options: Any) -> TestClient:
        client = TestClient(create_app(copy.deepcopy(spec), **options), raise_server_exceptions=False)
        clients.append(client)
        return client
    yield make
    for c in clients:
        c.close()


@pytest.fixture
def seeds(make_client: Callable[..., TestClient], seeds_fixture: dict[str, Any]) -> TestClient:
    return make_client(seeds_fixture)
