"""The specs the end-to-end tests serve: the seeds and the corpus, generated once per session."""
from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(scope="session")
def seeds_spec(seeds_result) -> dict[str, Any]:
    return seeds_result.spec


@pytest.fixture(scope="session")
def corpus_spec(corpus_result) -> dict[str, Any]:
    return corpus_result.spec
