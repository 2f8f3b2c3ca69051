"""Programs from outside Python that some tests need (Chromium, redis-server): skipped when missing, saying
what to install, except where `.ci/run` installed them and says so in an environment variable."""
from __future__ import annotations

import os

import pytest


def skip_unless_required(message: str, required: str) -> None:
    """Skip the test, or fail it where the environment variable `required` is set (the program was installed,
    so its absence is a failure, not a machine without it)."""
    if os.environ.get(required):
        pytest.fail(message)
    pytest.skip(message)
