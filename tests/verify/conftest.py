"""Servers for the `docmock verify` tests, each on a free loopback port: the deliberately wrong server beside
these tests, and `docmock serve` (helpers in verify_support.py and ../serving.py)."""
from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

sys.path.insert(0, str(Path(__file__).resolve().parent))  # test modules import verify_support and wrong_server

from serving import asgi_server  # noqa: E402
from testdata import CORPUS, SEEDS  # noqa: E402
from verify_support import docmock_serve  # noqa: E402


@pytest.fixture(scope="session")
def wrong_server() -> Iterator[str]:
    from wrong_server import app

    with asgi_server(app) as url:
        yield url


@pytest.fixture(scope="session")
def seeds_stateless() -> Iterator[str]:
    with docmock_serve(str(SEEDS), "--no-state") as url:
        yield url


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    if not CORPUS.exists():
        pytest.skip(f"the corpus is not at {CORPUS}: the corpus runs are skipped")
    return CORPUS


@pytest.fixture(scope="session")
def verify_cli(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Result]:
    """Run `docmock verify` in this process (the real command, through click), with a fixed seed unless given."""
    from docmock.cli import main

    # The command points Hypothesis' cache at docmock's unless the environment names one: name one for the
    # length of each run, so that the test process's environment is left as it was.
    runner = CliRunner(env={"HYPOTHESIS_STORAGE_DIRECTORY": str(tmp_path_factory.mktemp("hypothesis"))})

    def invoke(*args: str) -> Result:
        seeded = [*args] if "--seed" in args else [*args, "--seed", "7"]
        return runner.invoke(main, ["verify", *seeded], catch_exceptions=False)

    return invoke
