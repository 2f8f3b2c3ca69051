"""Fixtures shared by all tests: the generator's result for the seeds and for the real corpus."""
from __future__ import annotations

import os

import sys
from pathlib import Path

import pytest

# Test modules import shared helpers (testdata, pagekit) by name; the import mode is importlib, so say where.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from testdata import CORPUS, SEEDS  # noqa: E402

# The pytest plugin's tests run whole pytest sessions in temporary projects (tests/plugin).
pytest_plugins = ["pytester"]


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


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory):
    """`docmock generate` caches in $XDG_CACHE_HOME by default: the tests use their own folder, not the user's."""
    previous = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg-cache"))
    yield
    if previous is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = previous
