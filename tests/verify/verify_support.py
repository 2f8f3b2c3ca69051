"""Helpers of the `docmock verify` tests: the server processes they start, and what they send."""
from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO

import httpx
import pytest

from testdata import REPO

HERE = Path(__file__).resolve().parent
DOCMOCK = Path(sys.executable).with_name("docmock")
# docmock serve accepts any credential; a real server would want its own. Every curl must show it.
AUTH = "Authorization: Basic dmVyaWZ5OnNlY3JldA=="
THINGS = HERE / "fixtures" / "things.yaml"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running(command: Sequence[str], port: int, cwd: Path = REPO) -> Iterator[str]:
    """Start `command` (a server listening on `port`), wait until it answers HTTP, yield its URL, stop it."""
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(list(command), cwd=cwd, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        try:
            _wait_until_answering(process, url, log)
            yield url
        finally:
            _stop(process)


def _wait_until_answering(process: subprocess.Popen, url: str, log: IO[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            httpx.get(url, timeout=1)  # any answer will do
            return
        except httpx.TransportError:
            time.sleep(0.1)
    log.seek(0)
    output = log.read().decode(errors="replace")[-3000:]
    pytest.fail(f"{url} did not start answering:\n{output}")


def _stop(process: subprocess.Popen) -> None:
    # The server was started in its own session: its group is this process and whatever it started, no other.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def docmock_serve(*args: str) -> contextlib.AbstractContextManager[str]:
    if not DOCMOCK.exists():
        pytest.skip("the docmock command is not installed beside this Python")
    port = free_port()
    return running([str(DOCMOCK), "serve", *args, "--port", str(port), "--quiet"], port)
