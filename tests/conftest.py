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


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    """A real redis-server for the session (tests/redisserver.py). Skipped when it is not installed, except
    where `.ci/run` installed it (DOCMOCK_REDIS_REQUIRED=1): then a Redis that cannot start fails the tests."""
    from needs import skip_unless_required
    from redisserver import INSTALL_HINT, RedisServer, find_redis
    from serving import free_port

    if find_redis() is None:
        skip_unless_required(f"the Redis tests need a redis-server: {INSTALL_HINT}", "DOCMOCK_REDIS_REQUIRED")
    pytest.importorskip("redis", reason="the Redis tests need redis-py (pip install -e '.[test]')")
    server = RedisServer(tmp_path_factory.mktemp("redis"), free_port()).start()
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server):
    """The session's Redis, emptied for this test."""
    if redis_server.process is None:  # a test stopped it
        redis_server.start()
    redis_server.flush()
    return redis_server.url


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
