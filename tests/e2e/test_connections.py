"""Slow, idle and surplus connections against `docmock serve` as a real process (docmock/connections.py): the
idle, header and body deadlines, the connection cap, and a process out of file descriptors.

Deadlines are set to about a second here; each test allows several seconds of slack on top (a loaded 2-core
machine), and never asserts a speed other than "closed within the deadline plus slack"."""
from __future__ import annotations

import asyncio
import errno
import json
import logging
import os
import re
import resource
import select
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from click.testing import CliRunner

import mockserver.layers
from docmock import connections
from docmock.connections import LOOP_NAME, PROTOCOL_NAME, GuardedH11Protocol, quiet_accept_failures
from serving import DOCMOCK, free_port, output_so_far, start_docmock, stop

SPEC = Path(__file__).resolve().parents[1] / "mockserver" / "fixtures" / "seeds-3.1.yaml"
AUTH = "Basic dXNlcjpwYXNz"
GET = f"GET /api/v1/BatchTask/42 HTTP/1.1\r\nHost: x\r\nAuthorization: {AUTH}\r\n\r\n".encode()
SLACK = 5.0  # seconds on top of a deadline before a test calls it missed

needs_docmock = pytest.mark.skipif(not DOCMOCK.exists(), reason="the docmock command is not installed beside this Python")


def post_head(length: int, auth: bool = True) -> bytes:
    credentials = f"Authorization: {AUTH}\r\n" if auth else ""
    return (f"POST /api/v1/BatchTask HTTP/1.1\r\nHost: x\r\n{credentials}Content-Type: application/json\r\n"
            f"Content-Length: {length}\r\n\r\n").encode()


def connect(base: str) -> socket.socket:
    host, port = base.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=10)


def until_closed(sock: socket.socket, limit: float, trickle: bytes | None = None,
                 every: float = 0.2) -> tuple[float, bytes]:
    """Read until the server closes the connection (EOF or reset); meanwhile send `trickle` every `every`
    seconds. Returns the seconds it took and what was read; fails when still open after `limit`."""
    started = time.monotonic()
    received = b""
    while time.monotonic() - started < limit:
        readable, _, _ = select.select([sock], [], [], every)
        if readable:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                return time.monotonic() - started, received
            if not chunk:
                return time.monotonic() - started, received
            received += chunk
        elif trickle and not received:  # a client that keeps sending until it is answered
            try:
                sock.sendall(trickle)
            except (BrokenPipeError, ConnectionResetError):
                pass
    pytest.fail(f"the connection is still open after {limit}s; received {received[:200]!r}")


def answer(raw: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), headers, body


def is_open(sock: socket.socket, wait: float = 0.3) -> bool:
    readable, _, _ = select.select([sock], [], [], wait)
    if not readable:
        return True
    try:
        return sock.recv(1, socket.MSG_PEEK) != b""
    except OSError:
        return False


def exchange(sock: socket.socket, request: bytes = GET) -> int:
    """One request on a keep-alive connection; its status (the seeds' answers carry a Content-Length)."""
    sock.sendall(request)
    raw = b""
    while b"\r\n\r\n" not in raw:
        chunk = sock.recv(65536)
        assert chunk, "closed before answering"
        raw += chunk
    status, headers, body = answer(raw)
    while len(body) < int(headers.get("content-length", 0)):
        body += sock.recv(65536)
    return status


@pytest.fixture(scope="module")
def quick() -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A server whose deadlines are all one second."""
    process, base = start_docmock("--spec", str(SPEC), "--idle-timeout", "1", "--header-timeout", "1",
                                  "--body-timeout", "1s")
    try:
        yield base, process
    finally:
        stop(process)


@needs_docmock
def test_a_connection_that_sends_nothing_is_closed_after_the_idle_timeout(quick) -> None:
    base, _ = quick
    with connect(base) as sock:
        seconds, received = until_closed(sock, 1 + SLACK)
    assert seconds >= 0.9 and received == b""  # closed without a word, as an idle keep-alive connection


@needs_docmock
def test_a_connection_is_closed_after_the_idle_timeout_following_an_answer(quick) -> None:
    base, _ = quick
    with connect(base) as sock:
        assert exchange(sock) == 200
        assert exchange(sock) == 200  # keep-alive still works
        seconds, received = until_closed(sock, 1 + SLACK)
    assert seconds >= 0.9 and received == b""


@needs_docmock
def test_trickled_headers_get_a_408_problem_and_are_closed_although_bytes_keep_coming(quick) -> None:
    base, _ = quick
    with connect(base) as sock:
        sock.sendall(b"GET /api/v1/BatchTask/42 HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        seconds, received = until_closed(sock, 1 + SLACK, trickle=b"a")  # a byte every 0.2 s
    assert seconds >= 0.9
    status, headers, body = answer(received)
    assert status == 408 and headers["content-type"] == "application/problem+json"
    assert headers["connection"] == "close"
    problem = json.loads(body)
    assert problem["type"] == "urn:docmock:problem:request-timeout" and problem["status"] == 408
    assert "headers did not arrive within 1s" in problem["detail"]


@needs_docmock
def test_a_body_that_never_finishes_gets_a_408_and_no_traceback(quick) -> None:
    base, process = quick
    with connect(base) as sock:
        sock.sendall(post_head(100) + b'{"Name": ')
        seconds, received = until_closed(sock, 1 + SLACK, trickle=b" ")
    assert seconds >= 0.9
    status, headers, body = answer(received)
    assert status == 408 and headers["content-type"] == "application/problem+json"
    assert json.loads(body)["detail"] == "The request body did not arrive whole within 1s."
    with connect(base) as sock:  # the server is none the worse
        assert exchange(sock) == 200
    time.sleep(0.5)
    log = output_so_far(process)
    assert "closed a connection whose request body took more than 1s (--body-timeout)" in log
    assert "Traceback" not in log and "Exception in ASGI application" not in log and "ERROR" not in log
    assert "POST /api/v1/BatchTask v1Batch_StartBatchJob - " in log  # the app saw the client go: no status


@needs_docmock
def test_a_body_answered_early_and_then_sent_whole_leaves_an_idle_connection_that_is_closed(quick) -> None:
    # No credentials: a 401 before the body is read. uvicorn's idle timer, armed by that answer, is cancelled by
    # the body's bytes and never armed again; here it is, once the body is whole.
    base, _ = quick
    with connect(base) as sock:
        assert exchange(sock, post_head(5, auth=False)) == 401
        time.sleep(0.5)
        sock.sendall(b"{}   ")
        seconds, received = until_closed(sock, 1 + SLACK)
    assert seconds >= 0.9 and received == b""


@needs_docmock
def test_above_the_cap_the_longest_waiting_connections_are_closed_for_new_clients() -> None:
    process, base = start_docmock("--spec", str(SPEC), "--max-connections", "3", "--idle-timeout", "60",
                                  "--header-timeout", "60")
    try:
        answered = connect(base)            # waiting since its answer
        assert exchange(answered) == 200
        trickling = connect(base)           # a head that is not whole counts as waiting too
        trickling.sendall(b"GET /api/v1/BatchTask/42 HTTP/1.1\r\n")
        idle = connect(base)
        time.sleep(connections.EVICTABLE_AFTER + 0.5)  # a connection newer than that is not closed for another
        assert all(is_open(s) for s in (answered, trickling, idle))
        with connect(base) as newcomer:     # the fourth: the longest waiting goes
            assert exchange(newcomer) == 200
            until_closed(answered, SLACK)
            assert is_open(trickling) and is_open(idle)
            with connect(base) as another:  # newcomer is waiting again since its answer: trickling goes
                assert exchange(another) == 200
                until_closed(trickling, SLACK)
                assert is_open(idle) and is_open(newcomer)
        for s in (answered, trickling, idle):
            s.close()
    finally:
        output = stop(process)
    assert "Traceback" not in output


@needs_docmock
def test_in_a_burst_beyond_the_cap_the_newcomers_get_503_and_no_request_is_dropped_unanswered() -> None:
    process, base = start_docmock("--spec", str(SPEC), "--max-connections", "5", "--idle-timeout", "60")
    try:
        burst = [connect(base) for _ in range(20)]  # each sends a whole request at once, as a client would
        for sock in burst:
            sock.sendall(GET.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n"))
        statuses = []
        for sock in burst:
            _, received = until_closed(sock, SLACK)
            statuses.append(answer(received)[0] if received else None)
            sock.close()
    finally:
        output = stop(process)
    assert None not in statuses, statuses  # every request got an answer: none was closed unanswered
    assert set(statuses) <= {200, 503} and statuses.count(200) >= 5, statuses
    assert "Traceback" not in output


@needs_docmock
def test_a_client_that_never_reads_its_answers_is_closed_after_the_body_timeout() -> None:
    process, base = start_docmock("--spec", str(SPEC), "--max-connections", "2", "--body-timeout", "2",
                                  "--idle-timeout", "60")
    try:
        spec = b"GET /openapi.json HTTP/1.1\r\nHost: x\r\n\r\n"
        readers = [connect(base) for _ in range(2)]
        for sock in readers:  # 1,000 answers of 8 KB, pipelined, never read: more than the kernel buffers hold
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            sock.sendall(spec * 1000)
        time.sleep(1.0)
        with connect(base) as blocked:  # both connections are busy writing: no room
            blocked.sendall(GET)
            _, received = until_closed(blocked, SLACK)
            assert answer(received)[0] == 503
        started = time.monotonic()
        for sock in readers:
            while is_open(sock, wait=0.1) and time.monotonic() - started < 2 + SLACK:
                time.sleep(0.2)
        with connect(base) as later:
            assert exchange(later) == 200
        for sock in readers:
            sock.close()
    finally:
        output = stop(process)
    assert "read nothing of its answer for 2s (--body-timeout)" in output and "Traceback" not in output


@needs_docmock
def test_when_every_connection_has_a_request_in_flight_a_new_one_gets_503() -> None:
    process, base = start_docmock("--spec", str(SPEC), "--max-connections", "2", "--body-timeout", "60")
    try:
        busy = [connect(base) for _ in range(2)]
        for sock in busy:
            sock.sendall(post_head(100) + b"{")
        time.sleep(0.5)
        with connect(base) as refused:
            refused.sendall(GET)
            _, received = until_closed(refused, SLACK)
        status, headers, body = answer(received)
        assert status == 503 and headers["retry-after"] == "1" and headers["connection"] == "close"
        problem = json.loads(body)
        assert problem["type"] == "urn:docmock:problem:too-many-connections"
        assert problem["title"] == "Too many connections"
        busy.pop().close()
        time.sleep(0.5)
        with connect(base) as welcome:
            assert exchange(welcome) == 200
        for sock in busy:
            sock.close()
    finally:
        output = stop(process)
    assert output.count("new connections are answered 503") == 1


@needs_docmock
def test_workers_apply_the_same_limits(tmp_path: Path) -> None:
    # The workers uvicorn spawns import the protocol and the loop by name and take the limits from the Config.
    process, base = start_docmock("--spec", str(SPEC), "--workers", "2", "--no-state", "--idle-timeout", "1",
                                  "--header-timeout", "1")
    try:
        for _ in range(4):  # new connections: both workers get some
            with connect(base) as sock:
                sock.sendall(b"GET /api/v1/BatchTask/42 HTTP/1.1\r\n")
                seconds, received = until_closed(sock, 1 + SLACK)
            assert seconds >= 0.9 and received.startswith(b"HTTP/1.1 408 ")
            with connect(base) as sock:
                seconds, received = until_closed(sock, 1 + SLACK)
            assert seconds >= 0.9 and received == b""
    finally:
        stop(process)


@needs_docmock
def test_out_of_file_descriptors_is_one_log_line_and_the_server_recovers() -> None:
    # 2,000 descriptors, not to be raised, and a cap above them: start-up lowers the cap and says so. Then the
    # server is given most of its descriptors as files it inherits (a process near its limit for other reasons),
    # so that a burst of idle connections exhausts it long before the cap: asyncio fails every accept.
    limit, files = 2000, 1900
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 4000 and (hard == resource.RLIM_INFINITY or hard >= 4000):
        resource.setrlimit(resource.RLIMIT_NOFILE, (4000, hard))  # the files and 800 sockets, here
    elif soft < 4000:
        pytest.skip("this test needs 4,000 file descriptors")
    port = free_port()
    log = tempfile.TemporaryFile()
    held = [os.open(os.devnull, os.O_RDONLY) for _ in range(files)]
    try:
        server = subprocess.Popen(
            [str(DOCMOCK), "serve", "--spec", str(SPEC), "--port", str(port), "--quiet", "--max-connections", "3000",
             "--idle-timeout", "120"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True, pass_fds=held,
            preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit)))
    finally:
        for fd in held:
            os.close(fd)
    base = f"http://127.0.0.1:{port}"
    sockets: list[socket.socket] = []
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with connect(base) as sock:
                    assert exchange(sock) == 200
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, "the server did not start"
                time.sleep(0.1)
        log.flush()
        start_up = Path(f"/proc/self/fd/{log.fileno()}").read_text()
        assert re.search(r"Warning: --max-connections 3000 needs at least \d+ file descriptors and this process may "
                         r"open 2000 .*: serving at most \d+ connections at once per process", start_up), start_up
        for _ in range(800):  # a burst, without waiting for the server
            sock = socket.socket()
            sock.setblocking(False)
            try:
                sock.connect(("127.0.0.1", port))
            except BlockingIOError:
                pass
            sockets.append(sock)
        time.sleep(4)
        size = os.fstat(log.fileno()).st_size
        assert size < 20_000, f"{size} bytes of log"
        for sock in sockets:
            sock.close()
        sockets.clear()
        deadline = time.monotonic() + 30
        while True:  # asyncio tries accepting again a second after a failure
            try:
                with connect(base) as sock:
                    assert exchange(sock) == 200
                break
            except OSError:
                assert time.monotonic() < deadline, "the server does not answer after its connections closed"
                time.sleep(0.2)
    finally:
        for sock in sockets:
            sock.close()
        os.killpg(server.pid, 15)
        server.wait(timeout=20)
        log.seek(0)
        output = log.read().decode(errors="replace")
        log.close()
    lines = output.count(f"cannot accept new connections: Too many open files (EMFILE; ulimit -n is {limit})")
    assert 1 <= lines <= 2, output[-3000:]  # once per 10 s, and the test takes less than 20 s
    assert "Traceback" not in output and "out of system resource" not in output


# -- the pieces, in this process ------------------------------------------------------------------------------

def test_a_failed_accept_is_logged_once_per_interval(monkeypatch: Any, caplog: Any) -> None:
    now = [1000.0]
    monkeypatch.setattr(mockserver.layers, "time", SimpleNamespace(monotonic=lambda: now[0]))
    monkeypatch.setattr(connections, "out_of_descriptors", mockserver.layers.OncePerInterval(10.0))
    loop = asyncio.new_event_loop()
    others: list[dict[str, Any]] = []
    monkeypatch.setattr(loop, "default_exception_handler", others.append)
    failure = {"message": "socket.accept() out of system resource", "socket": object(),
               "exception": OSError(errno.EMFILE, "Too many open files")}
    try:
        with caplog.at_level(logging.WARNING, logger="docmock.mockserver"):
            for _ in range(2048):  # what asyncio does on one wake-up (uvicorn's backlog)
                quiet_accept_failures(loop, failure)
            now[0] += 5
            quiet_accept_failures(loop, {**failure, "exception": OSError(errno.ENFILE, "Too many open files in system")})
            now[0] += 6
            quiet_accept_failures(loop, failure)
            other = {"message": "Task exception was never retrieved", "exception": RuntimeError("x")}
            quiet_accept_failures(loop, other)
            refused = {"message": "socket.accept() out of system resource",
                       "exception": OSError(errno.ECONNABORTED, "aborted")}
            quiet_accept_failures(loop, refused)
            # A retry asyncio scheduled for a failed accept, due after the server closed its socket (a stop).
            quiet_accept_failures(loop, {"message": "Exception in callback BaseSelectorEventLoop._start_serving("
                                                    "<function Server.startup.<locals>.create_protocol>, ...)",
                                         "exception": ValueError("Invalid file descriptor: -1")})
    finally:
        loop.close()
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 2
    assert warnings[0].startswith("cannot accept new connections: Too many open files (EMFILE; ulimit -n is ")
    assert warnings[1].endswith("(2048 more in the 11s since the last warning)")
    assert others == [other, refused]  # everything else goes to asyncio's own handler


def test_the_loop_uvicorn_builds_has_the_handler() -> None:
    import uvicorn

    config = uvicorn.Config("docmock.serve:worker_app", loop=LOOP_NAME, http=PROTOCOL_NAME)
    loop = config.get_loop_factory()()
    try:
        assert loop.get_exception_handler() is quiet_accept_failures
    finally:
        loop.close()


def test_the_descriptor_limit_is_raised_or_the_cap_fitted_to_it() -> None:
    probe = ("from docmock.connections import fit_descriptors; import resource, json; fit = fit_descriptors({cap}); "
             "print(json.dumps([fit.max_connections, fit.backlog, fit.warning, "
             "resource.getrlimit(resource.RLIMIT_NOFILE)[0]]))")

    def run(cap: int, soft: int, hard: int) -> list[Any]:
        result = subprocess.run([sys.executable, "-c", probe.format(cap=cap)], capture_output=True,
                                text=True, timeout=60,
                                preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard)))
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    # Room for the cap, 64 other files and four accept batches in flight: raised as far as that, no further.
    assert run(1000, 1024, 20_000) == [1000, 2048, None, 1000 + 64 + 4 * 2048]
    assert run(1000, 1024, 4096) == [1000, 758, None, 4096]  # the hard limit: fewer accepted at a time
    cap, backlog, warning, soft = run(1000, 1024, 1024)       # and then a lower cap, said once
    assert (cap, backlog, soft) == (720, 60, 1024)
    assert warning == ("Warning: --max-connections 1000 needs at least 1320 file descriptors and this process may "
                       "open 1024 (ulimit -n, hard limit 1024): serving at most 720 connections at once per "
                       "process, accepting 60 at a time")
    assert run(10, 64, 64)[:3] == [10, 8, None]
    assert run(100, 64, 64)[:2] == [16, 8]  # a tiny limit keeps a quarter for the other files


@pytest.fixture
def captured(monkeypatch: Any) -> Iterator[dict[str, Any]]:
    import gc

    import uvicorn

    import docmock.serve

    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: seen.update(app=app, **kw))
    monkeypatch.setattr(docmock.serve, "_check_port", lambda host, port: None)
    monkeypatch.setattr(GuardedH11Protocol, "settings", GuardedH11Protocol.settings)  # restored afterwards
    yield seen
    gc.unfreeze()


def test_the_limits_reach_the_protocol_and_uvicorn(captured: dict[str, Any]) -> None:
    from docmock.serve import serve

    result = CliRunner().invoke(serve, ["--spec", str(SPEC), "--idle-timeout", "2s", "--header-timeout", "500ms",
                                        "--body-timeout", "1m", "--max-connections", "50"])
    assert result.exit_code == 0, result.output
    config = captured["app"].config
    assert (config.idle_timeout, config.header_timeout, config.body_timeout, config.max_connections) == \
        (2, 0.5, 60, 50)
    assert GuardedH11Protocol.settings == config
    assert captured["http"] is GuardedH11Protocol and captured["loop"] == LOOP_NAME
    assert captured["timeout_keep_alive"] == 2 and captured["backlog"] >= 64


def test_the_defaults_are_the_documented_ones(captured: dict[str, Any]) -> None:
    from docmock.serve import serve

    result = CliRunner().invoke(serve, ["--spec", str(SPEC)])
    assert result.exit_code == 0, result.output
    config = captured["app"].config
    assert (config.idle_timeout, config.header_timeout, config.body_timeout, config.max_connections) == \
        (5, 10, 30, 1000)


@pytest.mark.parametrize(("args", "message"), [
    (["--header-timeout", "0"], "'0' is no time at all"),
    (["--body-timeout", "0ms"], "'0ms' is no time at all"),
    (["--idle-timeout", "soon"], "'soon' is not a duration such as 1s, 500ms, 2m or 1h"),
    (["--header-timeout", "-1"], "is not a duration"),
    (["--max-connections", "0"], "x>=1"),
    (["--max-connections", "many"], "'many' is not a valid integer"),
])
def test_unusable_limits_are_usage_errors(captured: dict[str, Any], args: list[str], message: str) -> None:
    from docmock.serve import serve

    result = CliRunner().invoke(serve, ["--spec", str(SPEC), *args])
    assert result.exit_code == 2 and message in result.output and "app" not in captured
    assert f"Invalid value for '{args[0]}'" in result.output
