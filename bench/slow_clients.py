"""Slow and idle clients against `docmock serve` at its default limits (docmock/connections.py).

Part 1, closing: three connections at once, one that sends nothing, one that sends a request head a byte every
2 s, one that sends a whole head and then its body a byte every 2 s; the time until the server closes each (end
of stream or reset) and what it answered. Baseline in the same run, watched side by side: the same mock app under
uvicorn's own h11 protocol, which is what `docmock serve` ran before, given at most --limit seconds.

Part 2, a normal client beside idle connections: 200 sequential GETs of /api/v1/BatchTask/42, on one keep-alive
connection and on a new connection each; p50, p99 and max in ms. First alone (the baseline, same server, same
run), then beside 2,000 idle connections opened just before (this process raises its own RLIMIT_NOFILE for them).
The servers start with the usual soft limit of 1,024 descriptors and this process's hard limit, so docmock raises
its own as it does anywhere. At the default cap (1,000 per process) the server closes the longest idle to make
room; with --max-connections 3000 it holds all 2,000. The last column says how many of the 2,000 the server had
not closed when the client was done.

Part 3, near the descriptor limit: the same 2,000 idle connections and the same client, against docmock serve and
against the plain baseline, both started under `ulimit -n 1024` (soft and hard, so docmock cannot raise it: it
accepts 60 connections at a time and lowers its cap to 720). A request not answered within 2 s counts as timed
out and ends that client. Also the bytes each server logged.

    .venv/bin/python bench/slow_clients.py [--limit 45] [--idle 2000] [--requests 200] [--skip-closing]

Takes about `--limit` seconds for part 1 and a minute for parts 2 and 3.
"""
from __future__ import annotations

import argparse
import os
import resource
import select
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import IO

sys.path.insert(0, str(Path(__file__).resolve().parent))
from serve import _await_200, _free_port, _stop  # noqa: E402  (bench/serve.py: servers, ports)

REPO = Path(__file__).resolve().parents[1]
DOCMOCK = REPO / ".venv" / "bin" / "docmock"
PYTHON = REPO / ".venv" / "bin" / "python"
SPEC = REPO / "tests" / "mockserver" / "fixtures" / "seeds-3.1.yaml"
AUTH = "Basic dGplMDpUamUw"
GET = f"GET /api/v1/BatchTask/42 HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {AUTH}\r\n\r\n".encode()
TRICKLE_EVERY = 2.0
SOFT_DEFAULT = 1024  # the soft RLIMIT_NOFILE most Linux systems start processes with

# The same app, run by uvicorn with its own h11 protocol and loop: docmock serve before the limits.
_PLAIN = """
import sys, uvicorn
from mockserver import Config, create_app, load_spec
app = create_app(load_spec(sys.argv[1]), Config(state="memory", cors_origins=("*",), access_log=False))
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), http="h11", log_level="error", access_log=False)
"""


def _start(command: list[str], port: int, log: object, files: tuple[int, int] | None = None
           ) -> subprocess.Popen[bytes]:
    """A server in its own session; `files` sets its RLIMIT_NOFILE (soft, hard)."""
    limit = None if files is None else (lambda: resource.setrlimit(resource.RLIMIT_NOFILE, files))
    process = subprocess.Popen(command, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                               preexec_fn=limit)
    _await_200(process, port, "/api/v1/BatchTask/42")
    return process


def _docmock(port: int, *args: str, log: object = subprocess.DEVNULL, files: tuple[int, int] | None = None
             ) -> subprocess.Popen[bytes]:
    return _start([str(DOCMOCK), "serve", "--spec", str(SPEC), "--quiet", "--port", str(port), *args], port, log,
                  files)


def _plain(port: int, log: object = subprocess.DEVNULL, files: tuple[int, int] | None = None
           ) -> subprocess.Popen[bytes]:
    return _start([str(PYTHON), "-c", _PLAIN, str(SPEC), str(port)], port, log, files)


# -- part 1: how long a slow connection stays -------------------------------------------------------------------

KINDS = {
    "sends nothing": (b"", b""),
    f"a header byte every {TRICKLE_EVERY:g}s": (b"GET /api/v1/BatchTask/42 HTTP/1.1\r\nHost: x\r\nX-Slow: ", b"a"),
    f"a body byte every {TRICKLE_EVERY:g}s": (
        (f"POST /api/v1/BatchTask HTTP/1.1\r\nHost: x\r\nAuthorization: {AUTH}\r\nContent-Type: application/json\r\n"
         "Content-Length: 1000\r\n\r\n{").encode(), b" "),
}


def _watch(port: int, first: bytes, trickle: bytes, limit: float, out: dict[str, str], key: str) -> None:
    """Send `first`, then `trickle` every TRICKLE_EVERY seconds until answered; note when the server closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        started = time.monotonic()
        if first:
            sock.sendall(first)
        next_byte = started + TRICKLE_EVERY
        received = b""
        while (now := time.monotonic()) - started < limit:
            readable, _, _ = select.select([sock], [], [], max(0.0, min(next_byte - now, started + limit - now)))
            if readable:
                try:
                    chunk = sock.recv(65536)
                except ConnectionResetError:
                    chunk = b""
                if not chunk:
                    answered = f" ({received[9:12].decode()})" if received.startswith(b"HTTP/1.1 ") else ""
                    out[key] = f"{time.monotonic() - started:.1f}s{answered}"
                    return
                received += chunk
            elif trickle and not received and time.monotonic() >= next_byte:
                try:
                    sock.sendall(trickle)
                except OSError:
                    pass
                next_byte += TRICKLE_EVERY
        out[key] = f"open at {limit:g}s"


def part_closing(limit: float) -> None:
    guarded_port, plain_port = _free_port(), _free_port()
    guarded = _docmock(guarded_port)
    plain = _plain(plain_port)
    results: dict[str, str] = {}
    try:
        threads = [threading.Thread(target=_watch, args=(port, first, trickle, limit, results, f"{name}|{port}"))
                   for name, (first, trickle) in KINDS.items() for port in (guarded_port, plain_port)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        _stop(guarded)
        _stop(plain)
    print("Part 1: how long a slow connection stays open (default limits: idle 5s, headers 10s, body 30s)")
    print(f"{'connection':<26} {'docmock serve':>15} {'plain uvicorn h11':>18}")
    for name in KINDS:
        print(f"{name:<26} {results[f'{name}|{guarded_port}']:>15} {results[f'{name}|{plain_port}']:>18}")


# -- part 2: a normal client beside idle connections ------------------------------------------------------------

def _exchange(sock: socket.socket) -> None:
    sock.sendall(GET)
    raw = b""
    while b"\r\n\r\n" not in raw:
        chunk = sock.recv(65536)
        if not chunk:
            raise RuntimeError("closed before answering")
        raw += chunk
    head, _, body = raw.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200"):
        raise RuntimeError(f"answered {head[:40]!r}")
    length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length"))
    while len(body) < length:
        body += sock.recv(65536)


def _client(port: int, requests: int, timeout: float = 10.0) -> tuple[list[float] | str, list[float] | str]:
    """Milliseconds per GET: on one keep-alive connection, and each on a new connection (connect included); or
    what went wrong, for a client that gave up."""
    kept: list[float] | str = []
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            for _ in range(requests):
                started = time.perf_counter()
                _exchange(sock)
                kept.append((time.perf_counter() - started) * 1000)
    except (OSError, RuntimeError) as exc:
        kept = _failure(exc, timeout, len(kept))
    fresh: list[float] | str = []
    try:
        for _ in range(requests):
            started = time.perf_counter()
            with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                _exchange(sock)
            fresh.append((time.perf_counter() - started) * 1000)
    except (OSError, RuntimeError) as exc:
        fresh = _failure(exc, timeout, len(fresh))
    return kept, fresh


def _failure(exc: Exception, timeout: float, answered: int) -> str:
    what = f"timed out ({timeout:g}s)" if isinstance(exc, socket.timeout) else type(exc).__name__
    return f"{what} after {answered}"


def _still_open(sockets: list[socket.socket]) -> int:
    poller = select.poll()
    for sock in sockets:
        poller.register(sock, select.POLLIN | select.POLLHUP | select.POLLERR)
    return len(sockets) - len(poller.poll(0))  # an idle connection is readable only once the server closed it


def _stats(values: list[float] | str) -> str:
    if isinstance(values, str):
        return values
    ordered = sorted(values)
    p50 = ordered[len(ordered) // 2]
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"{p50:>6.2f} {p99:>6.2f} {ordered[-1]:>6.2f}"


def part_beside_idle(idle: int, requests: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = idle + 200
    if soft != resource.RLIM_INFINITY and soft < wanted:
        if hard != resource.RLIM_INFINITY and hard < wanted:
            sys.exit(f"part 2 needs {wanted} file descriptors; the hard limit is {hard}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    rows: list[tuple[str, str, str, str]] = []
    logs: list[str] = []
    for cap in (None, idle + 1000):
        port = _free_port()
        args = [] if cap is None else ["--max-connections", str(cap)]
        label = "default cap 1000" if cap is None else f"cap {cap}"
        with tempfile.TemporaryFile() as log:
            server = _docmock(port, *args, log=log, files=(SOFT_DEFAULT, hard))
            try:
                _client(port, 20)  # warm-up: the operation compiles on its first request
                kept, fresh = _client(port, requests)
                rows.append((f"alone, {label} (baseline)", _stats(kept), _stats(fresh), "-"))
                sockets = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(idle)]
                try:
                    time.sleep(1.0)  # the server accepts (and, at the cap, closes) them
                    kept, fresh = _client(port, requests)
                    rows.append((f"beside {idle:,} idle, {label}", _stats(kept), _stats(fresh),
                                 f"{_still_open(sockets):,}"))
                finally:
                    for sock in sockets:
                        sock.close()
            finally:
                _stop(server)
            logs.append(_log_summary(label, log))
    _print_rows(f"Part 2: a normal client, {requests} sequential GETs of /api/v1/BatchTask/42 (ms)", rows, logs)


def part_near_the_limit(idle: int, requests: int, files: int = 1024) -> None:
    rows: list[tuple[str, str, str, str]] = []
    logs: list[str] = []
    for name, start in (("docmock serve", _docmock), ("plain uvicorn h11", _plain)):
        port = _free_port()
        with tempfile.TemporaryFile() as log:
            server = start(port, log=log, files=(files, files))
            try:
                _client(port, 20)
                sockets: list[socket.socket] = []
                for _ in range(idle):  # without waiting for an answer: the server may never accept them
                    sock = socket.socket()
                    sock.setblocking(False)
                    try:
                        sock.connect(("127.0.0.1", port))
                    except BlockingIOError:
                        pass
                    sockets.append(sock)
                try:
                    time.sleep(1.0)
                    kept, fresh = _client(port, requests, timeout=2.0)
                    rows.append((name, _stats(kept), _stats(fresh), f"{_still_open(sockets):,}"))
                finally:
                    for sock in sockets:
                        sock.close()
            finally:
                _stop(server)
            logs.append(_log_summary(name, log))
    _print_rows(f"Part 3: the same beside {idle:,} idle connections, both servers under ulimit -n {files} "
                "(soft and hard)", rows, logs)


def _log_summary(name: str, log: IO[bytes]) -> str:
    log.seek(0)
    output = log.read()
    return f"{name}: {len(output):,} bytes of log, {output.count(b'Traceback'):,} tracebacks"


def _print_rows(title: str, rows: list[tuple[str, str, str, str]], logs: list[str]) -> None:
    print()
    print(title)
    print(f"{'target':<34} {'keep-alive p50    p99    max':>27} {'new conn p50    p99    max':>27} "
          f"{'idle not closed':>16}")
    for name, kept_stats, fresh_stats, still in rows:
        print(f"{name:<34} {kept_stats:>27} {fresh_stats:>27} {still:>16}")
    print("server log: " + "; ".join(logs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=float, default=45.0, help="seconds to watch a connection in part 1")
    parser.add_argument("--idle", type=int, default=2000, help="idle connections beside the client in part 2")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--skip-closing", action="store_true", help="part 2 only")
    options = parser.parse_args()
    print(f"{os.cpu_count()} cores")
    if not options.skip_closing:
        part_closing(options.limit)
    part_beside_idle(options.idle, options.requests)
    part_near_the_limit(options.idle, options.requests)


if __name__ == "__main__":
    main()
