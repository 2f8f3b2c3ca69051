"""Scale-out benchmark: a mixed read/write load against 1, 2 and 4 `docmock serve` replicas sharing one Redis,
next to one `docmock serve --workers N --state sqlite:FILE` with the same number of processes, in one run.

Every target serves `docs_src/`. The replicas are separate processes on separate ports, as behind a load
balancer: the load generator (its own process) spreads its keep-alive connections over them round-robin.
Each connection is one client with its own session (`X-Mock-Session`), as CI jobs sharing one mock are, and
loops over a fixed mix: 70% reads of a record it created, 10% lists, 20% creates. Between targets the state
is reset. Redis runs as `docs/deploy.md` recommends: an append-only file fsynced every second.

Prints requests/s, p50, p99 and non-2xx answers per target, and each target's throughput as a ratio to the
SQLite target with one process (measured in the same run: these machines are shared and noisy); for Redis, the
commands Redis processed and the CPU time it spent per request, and the memory a stored record takes in Redis (what `docs/deploy.md`
works from).

    .venv/bin/python bench/scale_out.py [--seconds 8] [--connections 16] [--replicas 1,2,4]

Needs Debian's redis-server on the PATH.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from serve import _await_200, _exchange, _free_port  # noqa: E402  (bench/serve.py: servers, ports, requests)

REPO = Path(__file__).resolve().parents[1]
DOCMOCK = REPO / ".venv" / "bin" / "docmock"
AUTH = "Basic dXNlcjpwYXNz"
DOCS = REPO / "docs_src"


def _start(args: list[str], port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen([str(DOCMOCK), "serve", str(DOCS), "--quiet", "--port", str(port), *args],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    _await_200(process, port, "/openapi.json", timeout=90)
    return process


def _stop(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


# -- the load generator (its own process) --------------------------------------------------------------------

def _request(method: str, path: str, session: str, body: bytes = b"") -> bytes:
    head = (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {AUTH}\r\nX-Mock-Session: {session}\r\n"
            + (f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n" if body else "") + "\r\n")
    return head.encode() + body


async def _client(n: int, port: int, deadline: float, lat: list[float], failures: list[int]) -> None:
    """One client: its own session, a fixed mix of creates, reads of what it created, and lists."""
    session = f"client-{n}"
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    created: list[int] = []
    step = 0
    try:
        while time.perf_counter() < deadline:
            kind = step % 10
            step += 1
            if kind in (0, 5) or not created:
                body = json.dumps({"Name": f"job {n}-{step}", "State": "New"}).encode()
                request = _request("POST", "/api/v1/BatchTask", session, body)
            elif kind == 9:
                request = _request("GET", "/api/v1/BatchTask/New", session)
            else:
                request = _request("GET", f"/api/v1/BatchTask/{created[step % len(created)]}", session)
            started = time.perf_counter()
            status, payload = await _exchange(reader, writer, request)
            lat.append(time.perf_counter() - started)
            if not 200 <= status < 300:
                failures.append(status)
            elif request.startswith(b"POST"):
                created.append(int(payload))
    finally:
        writer.close()


def _load(ports: list[int], seconds: float, connections: int, out: Any) -> None:
    async def run() -> dict[str, float]:
        warm: list[float] = []
        await asyncio.gather(*(_client(10_000 + i, p, time.perf_counter() + 0.5, warm, [])
                               for i, p in enumerate(ports)))
        lat: list[float] = []
        failures: list[int] = []
        start = time.perf_counter()
        deadline = start + seconds
        await asyncio.gather(*(_client(i, ports[i % len(ports)], deadline, lat, failures)
                               for i in range(connections)))
        total = time.perf_counter() - start
        lat.sort()
        return {"rps": len(lat) / total, "p50": lat[len(lat) // 2] * 1e3,
                "p99": lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1e3, "errors": len(failures)}
    out.put(asyncio.run(run()))


def _measure(ports: list[int], seconds: float, connections: int) -> dict[str, float]:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    loader = ctx.Process(target=_load, args=(ports, seconds, connections, queue))
    loader.start()
    result = queue.get(timeout=seconds + 120)
    loader.join(timeout=10)
    return result


def _reset(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(b"POST /__docmock/reset HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        s.recv(100)


# -- targets ------------------------------------------------------------------------------------------------

def _redis(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    binary = shutil.which("redis-server")
    if binary is None:
        sys.exit("bench/scale_out.py needs redis-server (apt-get install -y redis-server)")
    port = _free_port()
    process = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder),
                                "--save", "", "--appendonly", "yes", "--appendfsync", "everysec"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                if s.recv(7) == b"+PONG\r\n":
                    return process, f"redis://127.0.0.1:{port}/0"
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("redis-server did not start")


def _redis_stats(url: str) -> tuple[int, float, float]:
    """Commands Redis has processed so far, the CPU seconds it has used, and the bytes a stored record takes
    (the largest session's records hash, measured whole, over its number of records; 0 before any)."""
    import redis

    with redis.Redis.from_url(url) as client:
        commands = int(client.info("stats")["total_commands_processed"])
        cpu = client.info("cpu")
        cpu_seconds = float(cpu["used_cpu_user"]) + float(cpu["used_cpu_sys"])
        hashes = [(client.hlen(key), key) for key in client.scan_iter("docmock:*:r:BatchTask")]
        count, key = max(hashes, default=(0, None))
        per_record = client.memory_usage(key, samples=0) / count if count else 0.0
        return commands, cpu_seconds, per_record


def run_redis(url: str, replicas: int, seconds: float, connections: int) -> dict[str, float]:
    ports = [_free_port() for _ in range(replicas)]
    servers = [_start(["--state", url], port) for port in ports]
    try:
        _reset(ports[0])
        commands, cpu, _ = _redis_stats(url)
        result = _measure(ports, seconds, connections)
        commands_after, cpu_after, result["record_bytes"] = _redis_stats(url)
        # The warm-up's requests are counted too (a few hundred): a slight overestimate.
        requests = result["rps"] * seconds
        result["commands"] = (commands_after - commands) / requests
        result["cpu_us"] = (cpu_after - cpu) / requests * 1e6
        return result
    finally:
        for server in servers:
            _stop(server)


def run_sqlite(folder: Path, workers: int, seconds: float, connections: int) -> dict[str, float]:
    port = _free_port()
    database = folder / f"state-{workers}.db"
    server = _start(["--state", f"sqlite:{database}", *(["--workers", str(workers)] if workers > 1 else [])], port)
    try:
        _reset(port)
        return _measure([port], seconds, connections)
    finally:
        _stop(server)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--replicas", default="1,2,4", help="process counts to measure, comma-separated")
    options = parser.parse_args()
    counts = [int(n) for n in options.replicas.split(",")]
    print(f"{os.cpu_count()} cores; {options.connections} clients, {options.seconds:g}s per target; "
          "mix: 70% reads, 20% creates, 10% lists")
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="docmock-scale-") as tmp:
        folder = Path(tmp)
        redis, url = _redis(folder)
        try:
            for n in counts:
                results[f"sqlite, {n} worker{'s' if n > 1 else ''}"] = run_sqlite(folder, n, options.seconds,
                                                                                  options.connections)
                results[f"redis, {n} replica{'s' if n > 1 else ''}"] = run_redis(url, n, options.seconds,
                                                                                 options.connections)
        finally:
            redis.terminate()
            redis.wait()
    baseline = next(iter(results.values()))["rps"]
    print(f"{'target':<22} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8} {'vs sqlite 1':>12} "
          f"{'Redis cmds/req':>15} {'Redis CPU us/req':>17} {'bytes/record':>13}")
    for name, r in results.items():
        redis_columns = f" {r['commands']:>15.1f} {r['cpu_us']:>17.0f} {r['record_bytes']:>13.0f}" \
            if "commands" in r else ""
        print(f"{name:<22} {r['rps']:>8.0f} {r['p50']:>8.2f} {r['p99']:>8.2f} {r['errors']:>8d} "
              f"{r['rps'] / baseline:>11.2f}x{redis_columns}")


if __name__ == "__main__":
    main()
