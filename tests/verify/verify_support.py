"""Helpers of the `docmock verify` tests: the mock they verify, and what they send."""
from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from serving import docmock_server

HERE = Path(__file__).resolve().parent
# docmock serve accepts any credential; a real server would want its own. Every curl must show it.
AUTH = "Authorization: Basic dmVyaWZ5OnNlY3JldA=="
THINGS = HERE / "fixtures" / "things.yaml"


@contextlib.contextmanager
def docmock_serve(*args: str) -> Iterator[str]:
    """A running `docmock serve ARGS`; yields its base URL. Quiet: a run sends thousands of requests, and
    their log lines would tell the tests nothing."""
    with docmock_server(*args, "--quiet") as (url, _output):
        yield url
