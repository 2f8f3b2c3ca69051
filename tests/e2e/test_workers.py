"""`docmock serve --workers 2 --state sqlite:PATH` as a real process: workers share what clients write, and
the file keeps it across a restart."""
from __future__ import annotations

import concurrent.futures
import subprocess

import httpx
import pytest

from serving import DOCMOCK, free_port, start_docmock, stop
from testdata import SEEDS

AUTH = {"Authorization": "Basic dXNlcjpwYXNz"}


def start(port: int, *args: str) -> subprocess.Popen:
    return start_docmock(str(SEEDS), "--quiet", *args, port=port)[0]


@pytest.mark.skipif(not DOCMOCK.exists(), reason="the docmock command is not installed beside this Python")
def test_workers_share_state_and_it_survives_a_restart(tmp_path):
    database = tmp_path / "state.db"
    port = free_port()
    server = start(port, "--state", f"sqlite:{database}", "--workers", "2")
    base = f"http://127.0.0.1:{port}"
    try:
        def create(n: int) -> int:
            # A new connection per request, so requests spread over both workers.
            reply = httpx.post(f"{base}/api/v1/BatchTask", json={"Name": f"task {n}", "State": "New"},
                               headers=AUTH, timeout=10)
            assert reply.status_code == 200
            return reply.json()

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            ids = list(pool.map(create, range(40)))
        assert len(set(ids)) == 40
        for new_id in ids:
            reply = httpx.get(f"{base}/api/v1/BatchTask/{new_id}", headers=AUTH, timeout=10)
            assert reply.status_code == 200 and reply.json()["Name"].startswith("task ")
    finally:
        stop(server)
    port = free_port()
    server = start(port, "--state", f"sqlite:{database}")
    try:
        reply = httpx.get(f"http://127.0.0.1:{port}/api/v1/BatchTask/{ids[0]}", headers=AUTH, timeout=10)
        assert reply.status_code == 200 and reply.json()["Name"].startswith("task ")
    finally:
        stop(server)


def test_workers_without_a_shared_store_are_refused():
    result = subprocess.run([str(DOCMOCK), "serve", str(SEEDS), "--workers", "2"], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 2 and "--workers needs --state sqlite:PATH" in result.stderr


@pytest.mark.skipif(not DOCMOCK.exists(), reason="the docmock command is not installed beside this Python")
def test_workers_stop_and_free_the_port_when_their_parent_is_killed(tmp_path):
    import os
    import signal
    import socket
    import time

    port = free_port()
    server = start(port, "--no-state", "--workers", "2")
    try:
        workers = [int(p) for p in open(f"/proc/{server.pid}/task/{server.pid}/children").read().split()]
        assert len(workers) >= 2
        os.kill(server.pid, signal.SIGKILL)  # the parent only, as an OOM killer or `kill -9` would
        server.wait(timeout=10)
        deadline = time.monotonic() + 10  # not a timing test: without the fix the workers serve on for ever
        while any(os.path.exists(f"/proc/{w}") and "zombie" not in open(f"/proc/{w}/status").read()
                  for w in workers):
            assert time.monotonic() < deadline, "the workers outlived their parent"
            time.sleep(0.05)
        with socket.socket() as probe:  # the port is free for the next start
            probe.bind(("127.0.0.1", port))
    finally:
        stop(server)
