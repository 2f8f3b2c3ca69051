"""Replicas behind a load balancer: `docmock serve --state redis://...` processes sharing one real Redis. What one
replica is told, every replica answers; concurrent writers split across replicas lose nothing; a replica killed
or Redis stopped under load loses no acknowledged write, and an outage is a 503 with Retry-After."""
from __future__ import annotations

import concurrent.futures
import contextlib
import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from serving import DOCMOCK, free_port, output_so_far, start_docmock, stop
from testdata import SEEDS

pytestmark = pytest.mark.skipif(not DOCMOCK.exists(), reason="the docmock command is not installed beside this Python")

AUTH = {"Authorization": "Basic dXNlcjpwYXNz"}


@contextlib.contextmanager
def replicas(count: int, *args: str) -> Iterator[list[tuple[subprocess.Popen, str]]]:
    started = [start_docmock(*args, "--quiet") for _ in range(count)]
    try:
        yield started
    finally:
        for process, _ in started:
            if process.poll() is None:
                stop(process)


def create_task(base: str, name: str, client: httpx.Client | None = None) -> httpx.Response:
    post = client.post if client is not None else httpx.post
    return post(f"{base}/api/v1/BatchTask", json={"Name": name, "State": "New"}, headers=AUTH, timeout=10)


def test_what_one_replica_is_told_every_replica_answers(redis_url):
    with replicas(2, str(SEEDS), "--state", redis_url) as [(_, a), (_, b)]:
        created = create_task(a, "through A")
        assert created.status_code == 200
        ident = created.json()
        read = httpx.get(f"{b}/api/v1/BatchTask/{ident}", headers=AUTH, timeout=10)
        assert read.status_code == 200 and read.json()["Name"] == "through A"
        listed = httpx.post(f"{b}/api/v1/Agents/Batch/GetBatchTaskInfosByAssociatesAndState",
                            json={"State": "New"}, headers=AUTH, timeout=10)
        assert listed.status_code == 200 and ident in [row["Id"] for row in listed.json()]
        # The request journal is shared: B lists the request A answered, with its body.
        journal = httpx.get(f"{b}/__docmock/requests", params={"operation": "v1Batch_StartBatchJob"}, timeout=10)
        [entry] = journal.json()["requests"]
        assert entry["method"] == "POST" and entry["status"] == 200 and entry["body"]["Name"] == "through A"
        assert entry["headers"]["authorization"] == "[redacted]"
        # A reset through one replica is a reset for all of them.
        assert httpx.post(f"{a}/__docmock/reset", timeout=10).status_code == 204
        assert httpx.get(f"{b}/api/v1/BatchTask/{ident}", headers=AUTH, timeout=10).status_code == 404
        assert httpx.get(f"{b}/__docmock/sessions", timeout=10).json() == {"sessions": []}


def test_concurrent_json_patch_increments_across_replicas_lose_nothing(redis_url, corpus_spec, tmp_path):
    spec = tmp_path / "corpus.json"
    spec.write_text(json.dumps(corpus_spec))
    with replicas(2, "--spec", str(spec), "--state", redis_url) as [(_, a), (_, b)]:
        record = f"{a}/api/v1/Person/42"
        start = httpx.patch(record, json=[{"op": "replace", "path": "/SentInfo", "value": 0}], headers=AUTH,
                            timeout=10)
        assert start.status_code == 200
        clients, rounds = 8, 10
        conflicts = []

        def increment(n: int) -> int:
            done = 0
            base = (a, b)[n % 2]
            with httpx.Client(headers=AUTH, timeout=30) as http:
                while done < rounds:
                    current = http.get(f"{base}/api/v1/Person/42").json()["SentInfo"]
                    patch = [{"op": "test", "path": "/SentInfo", "value": current},
                             {"op": "replace", "path": "/SentInfo", "value": current + 1}]
                    reply = http.patch(f"{base}/api/v1/Person/42", json=patch)
                    if reply.status_code == 409:  # someone else incremented first: read again
                        conflicts.append(n)
                        continue
                    assert reply.status_code == 200, reply.text
                    assert reply.json()["SentInfo"] == current + 1
                    done += 1
            return done

        with concurrent.futures.ThreadPoolExecutor(clients) as pool:
            acknowledged = sum(pool.map(increment, range(clients)))
        assert acknowledged == clients * rounds
        final = httpx.get(f"{b}/api/v1/Person/42", headers=AUTH, timeout=10).json()["SentInfo"]
        assert final == acknowledged  # every acknowledged increment is there, none twice
        assert conflicts  # the clients did race


def test_a_replica_killed_under_load_loses_no_acknowledged_write(redis_url):
    with replicas(2, str(SEEDS), "--state", redis_url) as [(victim, a), (_, b)]:
        acknowledged: list[tuple[int, str]] = []
        lock = threading.Lock()
        stop_at = time.monotonic() + 4

        def writer(n: int) -> None:
            base = (a, b)[n % 2]
            i = 0
            with httpx.Client(timeout=5) as http:
                while time.monotonic() < stop_at:
                    name = f"w{n}-{i}"
                    i += 1
                    try:
                        reply = create_task(base, name, http)
                    except httpx.TransportError:
                        time.sleep(0.05)  # the killed replica: nothing was acknowledged
                        continue
                    if reply.status_code == 200:
                        with lock:
                            acknowledged.append((reply.json(), name))

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            futures = [pool.submit(writer, n) for n in range(8)]
            time.sleep(1.5)
            os.killpg(victim.pid, signal.SIGKILL)
            for future in futures:
                future.result()
        ids = [ident for ident, _ in acknowledged]
        assert len(ids) == len(set(ids)) > 20  # ids never collide across replicas
        with httpx.Client(headers=AUTH, timeout=10) as http:
            for ident, name in acknowledged:
                reply = http.get(f"{b}/api/v1/BatchTask/{ident}")
                assert reply.status_code == 200 and reply.json()["Name"] == name


def test_redis_stopped_under_load_gives_503_then_recovers_with_nothing_lost(redis_server, redis_url):
    with replicas(1, str(SEEDS), "--state", redis_url) as [(_, a)]:
        acknowledged: list[tuple[int, str]] = []
        outages: list[httpx.Response] = []
        done = threading.Event()

        def writer() -> None:
            i = 0
            with httpx.Client(timeout=10) as http:
                while not done.is_set():
                    i += 1
                    reply = create_task(a, f"t{i}", http)
                    if reply.status_code == 200:
                        acknowledged.append((reply.json(), f"t{i}"))
                    else:
                        outages.append(reply)
                        time.sleep(0.05)

        thread = threading.Thread(target=writer)
        thread.start()
        try:
            time.sleep(1)
            redis_server.stop(signal.SIGKILL)
            time.sleep(2)
            during = len(acknowledged)
            redis_server.start()
            deadline = time.monotonic() + 20
            while len(acknowledged) < during + 10 and time.monotonic() < deadline:
                time.sleep(0.1)
        finally:
            done.set()
            thread.join()
        assert len(acknowledged) >= during + 10  # answers came back on their own
        assert outages and all(r.status_code == 503 for r in outages)
        assert outages[0].headers["content-type"] == "application/problem+json"
        assert outages[0].headers["retry-after"] == "1"
        assert "cannot be reached" in outages[0].json()["detail"]
        with httpx.Client(headers=AUTH, timeout=10) as http:
            for ident, name in acknowledged:
                reply = http.get(f"{a}/api/v1/BatchTask/{ident}")
                assert reply.status_code == 200 and reply.json()["Name"] == name


def test_an_unreachable_redis_at_start_up_is_a_one_line_error():
    url = f"redis://127.0.0.1:{free_port()}/0"
    result = subprocess.run([str(DOCMOCK), "serve", str(SEEDS), "--state", url], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()[-1:]
    assert line.startswith(f"Error: cannot reach the state store {url}: ") and "refused" in line
    assert "Traceback" not in result.stderr and "Serving on" not in result.stdout


def test_workers_share_redis_and_sessions_expire(redis_url):
    port = free_port()
    process, base = start_docmock(str(SEEDS), "--quiet", "--state", redis_url, "--workers", "2",
                                  "--session-ttl", "2s", port=port)
    try:
        session = {**AUTH, "X-Mock-Session": "ci-job-7"}
        ids = [create_task(base, f"n{i}").json() for i in range(6)]  # new connections: both workers answer
        assert len(set(ids)) == 6
        ident = httpx.post(f"{base}/api/v1/BatchTask", json={"Name": "short-lived"}, headers=session,
                           timeout=10).json()
        assert httpx.get(f"{base}/api/v1/BatchTask/{ident}", headers=session, timeout=10).status_code == 200
        time.sleep(2.5)
        assert httpx.get(f"{base}/api/v1/BatchTask/{ident}", headers=session, timeout=10).status_code == 404
        assert httpx.get(f"{base}/__docmock/sessions", timeout=10).json() == {"sessions": []}
    finally:
        output = stop(process)
    assert "Traceback" not in output


def test_a_hung_redis_costs_a_second_at_most_and_pages_keep_answering(redis_server, redis_url):
    with replicas(1, str(SEEDS), "--state", redis_url) as [(process, a)]:
        ident = create_task(a, "before").json()
        redis_server.process.send_signal(signal.SIGSTOP)  # Redis stops answering, its connections stay open
        try:
            with httpx.Client(headers=AUTH, timeout=30) as http:
                slowest = 0.0
                for _ in range(3):
                    for path in ("/openapi.json", f"/api/v1/BatchTask/{ident}"):
                        started = time.monotonic()
                        reply = http.get(a + path)
                        slowest = max(slowest, time.monotonic() - started)
                        if path == "/openapi.json":
                            assert reply.status_code == 200  # the spec needs no state
                        else:
                            assert reply.status_code == 503 and reply.headers["retry-after"] == "1"
                assert slowest < 2.5  # one timeout (1 s) at most, never one per call
        finally:
            redis_server.process.send_signal(signal.SIGCONT)
        deadline = time.monotonic() + 10
        while httpx.get(f"{a}/api/v1/BatchTask/{ident}", headers=AUTH, timeout=10).status_code != 200:
            assert time.monotonic() < deadline
            time.sleep(0.2)
        log = output_so_far(process)
        assert "Traceback" not in log and log.count("cannot be reached") == 1  # one warning for the outage
