"""Real servers for the tests: `docmock serve` as a process, or any ASGI app under uvicorn in a thread, each on
a free loopback port, stopped when the test is done."""
from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

DOCMOCK = Path(sys.executable).with_name("docmock")
_LOGS: dict[int, Any] = {}  # pid -> the file a started server writes its output to


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_docmock(*args: str, port: int | None = None, ready: str = "/openapi.json",
                  timeout: float = 60) -> tuple[subprocess.Popen[bytes], str]:
    """`docmock serve ARGS --port P` in its own session; returns the process and its base URL once `ready`
    answers 200. Its output (stdout and stderr together) goes to a file, which `stop` reads: a pipe nobody
    reads would stop a talkative server once it is full."""
    port = port or free_port()
    log = tempfile.TemporaryFile()
    process = subprocess.Popen([str(DOCMOCK), "serve", *args, "--port", str(port)], stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    _LOGS[process.pid] = log
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(base + ready, timeout=1).status_code == 200:
                return process, base
        except httpx.TransportError:
            time.sleep(0.1)
    output = stop(process)
    pytest.fail(f"docmock serve {' '.join(args)} did not start:\n{output[-3000:]}")


def stop(process: subprocess.Popen[bytes]) -> str:
    """Stop the server's whole session and return what it printed."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    log = _LOGS.pop(process.pid, None)
    if log is None:
        return ""
    with log:
        log.seek(0)
        return log.read().decode(errors="replace")


def output_so_far(process: subprocess.Popen[bytes]) -> str:
    """What a running server has printed so far."""
    log = _LOGS[process.pid]
    log.flush()
    with open(f"/proc/self/fd/{log.fileno()}", "rb") as again:  # a second handle: the server keeps appending
        return again.read().decode(errors="replace")


@contextlib.contextmanager
def docmock_server(*args: str) -> Iterator[tuple[str, list[str]]]:
    """A running `docmock serve ARGS`: yields its base URL and a list that holds its output once it stopped."""
    process, base = start_docmock(*args)
    output: list[str] = []
    try:
        yield base, output
    finally:
        output.append(stop(process))


@contextlib.contextmanager
def asgi_server(app: Any) -> Iterator[str]:
    """Any ASGI app served by uvicorn in a thread of this process; yields its base URL."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.02)
    if not server.started:
        pytest.fail("the test's upstream server did not start")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
