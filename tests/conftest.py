"""Fixtures shared by all tests: the generator's result for the seeds and for the real corpus."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

# Test modules import shared helpers (testdata, pagekit) by name; the import mode is importlib, so say where.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from testdata import CORPUS, SEEDS  # noqa: E402


@pytest.fixture(scope="session")
def seeds_result():
    from generator import build_spec

    return build_spec([SEEDS])


@pytest.fixture(scope="session")
def corpus_result():
    from generator import build_spec

    if not CORPUS.exists():
        pytest.skip("../shared/corpus is not beside the repository")
    return build_spec([CORPUS])
