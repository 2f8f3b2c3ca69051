"""Benchmark of the mock server: throughput and latency next to a bare Starlette endpoint, and at 3,000+ operations.

Prints requests/s, p50 and p99 for: a bare Starlette endpoint returning fixed bytes, the mock's detail and
list endpoints (generated data, and Prefer: dynamic=true), and the last-registered route of a synthetic
spec with 3,200 operations vs one with 10. Measured twice: in-process ASGI calls (no network noise) and
over real HTTP (uvicorn on 127.0.0.1, load from a separate process, bounded in count and time).

Then, with 1 and 2 server processes: `docmock serve --workers N` (a real subprocess, --no-state and
--state sqlite:FILE) against a bare Starlette app run by `uvicorn --workers N`, over HTTP, for the detail and
list endpoints with `Prefer: dynamic=true`. The load generator is one more process on the same (2-core)
machine, so 2 workers share the cores with it.

    .venv/bin/python bench/serve.py [--seconds 3] [--connections 8] [--no-http] [--no-workers]

Only some of the N-process targets, e.g. 2 workers with the SQLite store next to the bare app, best of 3:

    .venv/bin/python bench/serve.py --only-workers --select "sqlite 2w" --repeat 3

`--select TEXT` (repeatable) keeps the N-process targets whose name contains TEXT, plus the bare starlette
target they are compared with; `--repeat N` measures each target N times and keeps the best req/s.

Before and after a change, in the same run: `--against REF` measures the in-process and 1-process HTTP targets
for the working tree and for the git revision REF (exported to a temporary folder), alternating between the two,
and prints each one's ratio to the bare endpoint and the ratio of the two:

    .venv/bin/python bench/serve.py --against HEAD~3 --repeat 3 --no-workers
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import multiprocessing as mp
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
# Which code is measured: the working tree, or (for --against) another revision exported to a folder.
CODE_ENV = "DOCMOCK_BENCH_CODE"
CODE = Path(os.environ.get(CODE_ENV) or REPO)
sys.path.insert(0, str(CODE))

from mockserver import create_app  # noqa: E402

AUTH = "Basic dGplMDpUamUw"
FIXTURE = REPO / "tests" / "mockserver" / "fixtures" / "seeds-3.1.yaml"
logging.getLogger("docmock.mockserver").setLevel(logging.WARNING)  # both sides run without access logs


def seeds_spec() -> dict[str, Any]:
    try:
        from generator import build_spec

        return build_spec([CODE / "docs_src"]).spec
    except ImportError:
        return yaml.safe_load(FIXTURE.read_text())


def synthetic_spec(n: int) -> dict[str, Any]:
    """n operations over distinct resources, each with an int id and a small object response."""
    item = {"type": "object", "properties": {"Id": {"type": "integer", "format": "int32"},
                                             "Name": {"type": "string"}, "Email": {"type": "string"}}}
    paths = {f"/api/v1/Resource{i}/{{id}}": {"get": {
        "operationId": f"op{i}",
        "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
        "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": item}}}}}}
        for i in range(n)}
    return {"openapi": "3.1.0", "info": {"title": f"synthetic {n}", "version": "1"}, "paths": paths}


def bare_app() -> Any:
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route

    body = b'{"Id":42,"Name":"fixed"}'

    async def endpoint(request: Any) -> Response:
        return Response(body, media_type="application/json")
    return Starlette(routes=[Route("/bare", endpoint)])


def _routing_app(spec: dict[str, Any]) -> Any:
    """The mock without its answer cache (which answers a repeated read before the router), where the code
    measured has one (`--against` may measure a revision from before it)."""
    from mockserver import Config

    fields = getattr(Config, "__dataclass_fields__", {})
    return create_app(spec, answer_cache_mb=0) if "answer_cache_mb" in fields else create_app(spec)


# name -> (app factory, path, extra headers)
TARGETS: dict[str, tuple[Callable[[], Any], str, dict[str, str]]] = {
    "bare starlette (fixed bytes)": (bare_app, "/bare", {}),
    "mock detail GET /BatchTask/42": (lambda: create_app(seeds_spec()), "/api/v1/BatchTask/42", {}),
    "mock detail, Prefer dynamic": (lambda: create_app(seeds_spec()), "/api/v1/BatchTask/42",
                                    {"prefer": "dynamic=true"}),
    "mock list GET /BatchTask/Failed": (lambda: create_app(seeds_spec()), "/api/v1/BatchTask/Failed", {}),
    "synthetic 10 ops, last route": (lambda: _routing_app(synthetic_spec(10)), "/api/v1/Resource9/42", {}),
    "synthetic 3200 ops, last route": (lambda: _routing_app(synthetic_spec(3200)), "/api/v1/Resource3199/42", {}),
}


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


async def _asgi_once(app: Any, path: str, headers: dict[str, str]) -> None:
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": [(b"host", b"bench"), (b"authorization", AUTH.encode()),
                         *((k.encode(), v.encode()) for k, v in headers.items())],
             "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80)}

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            assert message["status"] == 200, message

    await app(scope, receive, send)


def bench_asgi(seconds: float) -> dict[str, tuple[float, float, float]]:
    results = {}
    for name, (factory, path, headers) in TARGETS.items():
        app = factory()

        async def run() -> tuple[float, float, float]:
            for _ in range(200):  # warm caches
                await _asgi_once(app, path, headers)
            lat: list[float] = []
            start = time.perf_counter()
            while time.perf_counter() - start < seconds and len(lat) < 200_000:
                t = time.perf_counter()
                await _asgi_once(app, path, headers)
                lat.append(time.perf_counter() - t)
            total = time.perf_counter() - start
            return len(lat) / total, _pct(lat, 0.5) * 1e3, _pct(lat, 0.99) * 1e3
        results[name] = asyncio.run(run())
    return results


def _serve(name: str, port: int) -> None:
    import uvicorn

    logging.getLogger("docmock.mockserver").setLevel(logging.WARNING)
    uvicorn.run(TARGETS[name][0](), host="127.0.0.1", port=port, log_level="error", access_log=False)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> tuple[int, bytes]:
    """One request on a keep-alive connection: the answer's status and body."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    return int(head[9:12]), await reader.readexactly(length)


async def _connection(port: int, request: bytes, deadline: float, budget: list[int], lat: list[float]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.perf_counter() < deadline and budget[0] > 0:
            budget[0] -= 1
            t = time.perf_counter()
            status, body = await _exchange(reader, writer, request)
            if status != 200:
                raise RuntimeError(f"answered {status}: {body[:200]!r}")
            lat.append(time.perf_counter() - t)
    finally:
        writer.close()


def _load(port: int, path: str, headers: dict[str, str], seconds: float, connections: int,
          out: Any) -> None:
    """The load generator: its own process, keep-alive connections, bounded by time and request count."""
    extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    request = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {AUTH}\r\n{extra}\r\n").encode()

    async def run() -> tuple[float, float, float]:
        warm: list[float] = []
        await _connection(port, request, time.perf_counter() + 0.5, [200], warm)
        lat: list[float] = []
        budget = [500_000]
        start = time.perf_counter()
        deadline = start + seconds
        await asyncio.gather(*(_connection(port, request, deadline, budget, lat) for _ in range(connections)))
        total = time.perf_counter() - start
        return len(lat) / total, _pct(lat, 0.5) * 1e3, _pct(lat, 0.99) * 1e3
    out.put(asyncio.run(run()))


def _measure(ctx: Any, port: int, path: str, headers: dict[str, str], seconds: float,
             connections: int) -> tuple[float, float, float]:
    """req/s, p50 and p99 (ms) from a load generator in its own process, so it does not share the server's."""
    queue = ctx.Queue()
    loader = ctx.Process(target=_load, args=(port, path, headers, seconds, connections, queue))
    loader.start()
    result = queue.get(timeout=seconds + 60)
    loader.join(timeout=10)
    return result


def bench_http(seconds: float, connections: int) -> dict[str, tuple[float, float, float]]:
    return {name: _http_in(CODE, name, seconds, connections) for name in TARGETS}


# -- N server processes: real `docmock serve --workers N` and `uvicorn --workers N` subprocesses --------------

PYTHON = REPO / ".venv" / "bin" / "python"
DOCMOCK = REPO / ".venv" / "bin" / "docmock"
DETAIL, LIST, DYNAMIC = "/api/v1/BatchTask/42", "/api/v1/BatchTask/Failed", {"prefer": "dynamic=true"}


def _await_200(proc: subprocess.Popen[bytes], port: int, path: str, timeout: float = 60.0) -> None:
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {AUTH}\r\n\r\n".encode()
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
                s.sendall(request)
                head = s.recv(65536)
                if head.startswith(b"HTTP/1.1 200"):
                    time.sleep(0.5)  # the other workers may still be starting
                    return
                raise RuntimeError(f"{path} answered {head[:60]!r}")
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"no answer on port {port} within {timeout}s")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Kills the server's whole session: the uvicorn supervisor and its workers."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    except ProcessLookupError:
        pass


# uvicorn --workers N binds the listener itself with proto 0, so asyncio never sets TCP_NODELAY on accepted
# connections and every keep-alive response waits ~40 ms for the client's delayed ACK (Kludex/uvicorn#3149).
# This launcher rebinds the listener's fd with proto IPPROTO_TCP, to show what the fix would give.
_NODELAY = """
import socket, sys
import uvicorn.config
_bind = uvicorn.config.Config.bind_socket
def bind_socket(self):
    sock = _bind(self)
    if sock.family in (socket.AF_INET, socket.AF_INET6):
        sock = socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())
    return sock
uvicorn.config.Config.bind_socket = bind_socket
if sys.argv[1] == "docmock":
    from docmock.cli import main
else:
    from uvicorn.main import main
sys.argv = sys.argv[1:]
sys.exit(main())
"""


def _tag(name: str) -> str:
    """The process-count tag of a worker target ("1w", "2w", "2w nodelay"): which bare target it is compared with."""
    return " ".join(name.split(" ")[-2:]) if name.endswith("nodelay") else name.rsplit(" ", 1)[-1]


def _selected(names: list[str], select: list[str] | None) -> set[str]:
    """The targets whose name contains one of `select`, plus the bare targets of their tags (all when None)."""
    if not select:
        return set(names)
    chosen = {n for n in names if any(s in n for s in select)}
    chosen |= {n for n in names if n.startswith("bare starlette ") and _tag(n) in {_tag(c) for c in chosen}}
    if not chosen:
        raise SystemExit(f"--select {select}: no target matches; targets are: {', '.join(names)}")
    return chosen


def bench_workers(seconds: float, connections: int, select: list[str] | None = None,
                  repeat: int = 1) -> dict[str, tuple[float, float, float]]:
    folder = Path(tempfile.mkdtemp(prefix="docmock-bench-"))
    spec = folder / "seeds.json"
    spec.write_text(json.dumps(seeds_spec()))
    bare = ["serve:bare_app", "--factory", "--app-dir", str(REPO / "bench"), "--log-level", "error", "--no-access-log"]
    targets: list[tuple[str, list[str], str, dict[str, str]]] = []
    for n, patched in ((1, False), (2, False), (2, True)):
        tag = f"{n}w" + (" nodelay" if patched else "")
        uvicorn_cmd = [str(PYTHON), "-c", _NODELAY, "uvicorn"] if patched else [str(PYTHON), "-m", "uvicorn"]
        docmock_cmd = [str(PYTHON), "-c", _NODELAY, "docmock"] if patched else [str(DOCMOCK)]
        targets.append((f"bare starlette {tag}", [*uvicorn_cmd, *bare, "--workers", str(n)], "/bare", {}))
        for state, flags in (("no-state", ["--no-state"]), ("sqlite", ["--state", f"sqlite:{folder}/{n}{patched}.db"])):
            if state == "sqlite" and n == 1:
                continue
            command = [*docmock_cmd, "serve", "--spec", str(spec), "--quiet", "--workers", str(n), *flags]
            targets.append((f"detail dyn, {state} {tag}", command, DETAIL, DYNAMIC))
            targets.append((f"list dyn, {state} {tag}", command, LIST, DYNAMIC))
    chosen = _selected([t[0] for t in targets], select)
    targets = [t for t in targets if t[0] in chosen]
    results: dict[str, tuple[float, float, float]] = {}
    ctx = mp.get_context("spawn")
    try:
        for name, command, path, headers in targets:
            port = _free_port()
            proc = subprocess.Popen([*command, "--port", str(port)], cwd=REPO, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL, start_new_session=True)
            try:
                _await_200(proc, port, path)
                runs = [_measure(ctx, port, path, headers, seconds, connections) for _ in range(max(1, repeat))]
                results[name] = max(runs, key=lambda r: r[0])  # best of N: the shared box adds only noise
            finally:
                _stop(proc)
    finally:
        for file in folder.iterdir():
            file.unlink()
        folder.rmdir()
    return results


def report_workers(results: dict[str, tuple[float, float, float]]) -> None:
    print("\n== HTTP, N server processes: `docmock serve --workers N` vs `uvicorn --workers N` on the bare app")
    print(f"{'target':<36} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'/ bare':>7}")
    for name, (rps, p50, p99) in results.items():
        bare = results[f"bare starlette {_tag(name)}"][0]
        print(f"{name:<36} {rps:>9.0f} {p50:>8.3f} {p99:>8.3f} {bare and rps / bare:>7.2f}")
    stems = [s for s in ("bare starlette", "detail dyn, no-state", "list dyn, no-state")
             if f"{s} 2w nodelay" in results and f"{s} 1w" in results]
    if stems:
        print("scaling, 2 workers (with TCP_NODELAY) / 1 worker:")
    for stem in stems:
        print(f"  {stem:<34} {results[f'{stem} 2w nodelay'][0] / results[f'{stem} 1w'][0]:.2f}")
    print("(target: dynamic JSON responses >= 0.5 of the bare endpoint; '2w' is uvicorn's multiprocess path as "
          "shipped, which leaves Nagle on (Kludex/uvicorn#3149); '2w nodelay' rebinds the listener with "
          "IPPROTO_TCP)")


def report(title: str, results: dict[str, tuple[float, float, float]]) -> None:
    print(f"\n== {title}")
    print(f"{'target':<36} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8}")
    for name, (rps, p50, p99) in results.items():
        print(f"{name:<36} {rps:>9.0f} {p50:>8.3f} {p99:>8.3f}")
    bare = results["bare starlette (fixed bytes)"][0]
    print("ratios (target >= 0.5 of bare for dynamic responses; 3200 ops within 10% of 10 ops):")
    for name in ("mock detail GET /BatchTask/42", "mock detail, Prefer dynamic", "mock list GET /BatchTask/Failed"):
        print(f"  {name:<34} / bare = {results[name][0] / bare:.2f}")
    big, small = results["synthetic 3200 ops, last route"][0], results["synthetic 10 ops, last route"][0]
    print(f"  3200 ops / 10 ops                  = {big / small:.2f}")


# -- big records: a 14 KB PersonEntity, each target next to a bare endpoint returning the same bytes -------------

CORPUS = REPO.parent / "shared" / "corpus" / "superoffice"
AGENT_PATH = "/api/v1/Agents/Person/GetPersonEntity"


def big_spec() -> dict[str, Any]:
    """The corpus's spec, plus the Person agent's GetPersonEntity, which the corpus does not document (the real
    API has it: `POST /api/v1/Agents/Person/GetPersonEntity?personEntityId=N` answers a PersonEntity)."""
    from generator import build_spec

    spec = build_spec([CORPUS]).spec
    spec["paths"][AGENT_PATH] = {"post": {
        "operationId": "v1PersonAgent_GetPersonEntity", "tags": ["Person Agent"],
        "parameters": [{"name": "personEntityId", "in": "query", "required": True,
                        "schema": {"type": "integer", "format": "int32"}}],
        "responses": {"200": {"description": "OK", "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/PersonEntity"}}}}}}}
    return spec


def bare_file_app() -> Any:
    """A bare Starlette endpoint answering every path with the bytes of BENCH_BODY_FILE (as BENCH_MEDIA)."""
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route

    body = Path(os.environ["BENCH_BODY_FILE"]).read_bytes()
    media = os.environ.get("BENCH_MEDIA", "application/json")

    async def endpoint(request: Any) -> Response:
        return Response(body, media_type=media)
    return Starlette(routes=[Route("/{path:path}", endpoint, methods=["GET", "POST"])])


# name, method, path ("{id}" runs through 1..ids), extra headers, which server, connections
BigTarget = tuple[str, str, str, dict[str, str], str, int]
LIST_SESSION = {"x-mock-session": "bench-list"}
# An OData list as it is, and filtered (the generated rows made to meet the filter), sorted and selected.
SALE_LIST = "/api/v1/Sale?$top=50"
SALE_QUERY = ("/api/v1/Sale?$top=50&$select=name,contactId,registered,amount&$orderBy=name%%20desc,amount"
              "&$filter=name%%20begins%%20'S'%%20and%%20contactId%%20gt%%20%s%%20and%%20registered%%20thisYear")
XML = {"accept": "application/xml"}


def big_targets(connections: int) -> list[BigTarget]:
    c, wide = connections, max(connections, 32)
    return [
        ("Person/{id}, ids 1..5000 in turn", "GET", "/api/v1/Person/{id}", {}, "state", c),
        ("Person/42, the same id repeated", "GET", "/api/v1/Person/42", {}, "state", c),
        ("Person/{id}, ids in turn, --no-state", "GET", "/api/v1/Person/{id}", {}, "no-state", c),
        ("Person/42 repeated, --no-state", "GET", "/api/v1/Person/42", {}, "no-state", c),
        ("Person/42 repeated, --answer-cache 0", "GET", "/api/v1/Person/42", {}, "state, no cache", c),
        ("list of 50 Person rows ($top=50)", "GET", "/api/v1/Person?$top=50", LIST_SESSION, "state", c),
        ("the same list, --answer-cache 0", "GET", "/api/v1/Person?$top=50", LIST_SESSION, "state, no cache", c),
        ("OData Sale list, $top=50, repeated", "GET", SALE_LIST, {}, "state", c),
        ("OData list filtered+sorted, repeated, no cache", "GET", SALE_QUERY % 100, {}, "state, no cache", c),
        ("OData list, a new filter each request", "GET", SALE_QUERY % "{id}", {}, "state, no cache", c),
        ("agent GetPersonEntity, ids in turn", "POST", AGENT_PATH + "?personEntityId={id}", {}, "state", c),
        ("Person/{id} as XML, ids in turn", "GET", "/api/v1/Person/{id}", XML, "state", c),
        ("BatchTask/{id} (small), ids in turn", "GET", "/api/v1/BatchTask/{id}", {}, "state", c),
        ("Person/{id}, ids in turn, 1 worker", "GET", "/api/v1/Person/{id}", {}, "sqlite 1w", wide),
        ("Person/{id}, ids in turn, 2 workers", "GET", "/api/v1/Person/{id}", {}, "sqlite 2w", wide),
    ]


_WRK_SCRIPT = """
local template, method, ids, body = %s, %s, %d, %s
local headers = {%s}
local counter = 0
request = function()
  counter = counter %% ids + 1
  return wrk.format(method, (template:gsub("{id}", tostring(counter))), headers, body)
end
"""


def _lua(text: str) -> str:
    return json.dumps(text)  # a JSON string is a Lua string literal for the characters used here


def _wrk(port: int, method: str, path: str, headers: dict[str, str], seconds: float, connections: int,
         ids: int = 5000) -> tuple[float, float, float]:
    """req/s, p50 and p99 (ms) from wrk, one thread, `connections` keep-alive connections."""
    every = {"Authorization": AUTH, **headers}
    script = _WRK_SCRIPT % (_lua(path), _lua(method), ids if "{id}" in path else 1, _lua(""),
                            ", ".join(f"[{_lua(k)}] = {_lua(v)}" for k, v in every.items()))
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
    try:
        out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency", "-s", f.name,
                              f"http://127.0.0.1:{port}"], check=True, capture_output=True, text=True).stdout
    finally:
        os.unlink(f.name)
    if "Non-2xx" in out:
        raise RuntimeError(f"{method} {path} answered errors under load:\n{out}")
    rps = float(out.split("Requests/sec:")[1].split()[0])

    def pct(label: str) -> float:
        found = re.search(rf"^\s*{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.MULTILINE)
        if found is None:
            raise RuntimeError(f"no {label} latency in wrk's output:\n{out}")
        return float(found.group(1)) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[found.group(2)]
    return rps, pct("50%"), pct("99%")


def _fetch(port: int, method: str, path: str, headers: dict[str, str], body: bytes | None = None) -> bytes:
    import urllib.request

    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body, method=method,
                                     headers={"Authorization": AUTH, **headers})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return answer.read()


def bench_big(seconds: float, connections: int, repeat: int, select: list[str] | None = None) -> None:
    import shutil

    if shutil.which("wrk") is None:
        raise SystemExit("--big needs wrk on the PATH (apt-get install -y wrk): a Python load generator cannot "
                         "read 14 KB answers as fast as a bare endpoint sends them")
    targets = [t for t in big_targets(connections) if not select or any(x in t[0] for x in select)]
    folder = Path(tempfile.mkdtemp(prefix="docmock-big-"))
    spec = folder / "big.json"
    spec.write_text(json.dumps(big_spec()))
    servers: dict[str, tuple[subprocess.Popen[bytes], int]] = {}
    flags = {"state": [], "state, no cache": ["--answer-cache", "0"], "no-state": ["--no-state"], "sqlite 1w": ["--state", f"sqlite:{folder}/1.db"],
             "sqlite 2w": ["--state", f"sqlite:{folder}/2.db", "--workers", "2"]}
    rows: list[tuple[str, int, tuple[float, float, float], tuple[float, float, float]]] = []
    try:
        for name, method, path, headers, server, conns in targets:
            if server not in servers:
                port = _free_port()
                # DOCMOCK_BENCH_CODE=FOLDER measures the docmock in FOLDER (another revision, exported).
                proc = subprocess.Popen([str(PYTHON), "-c", _NODELAY, "docmock", "serve", "--spec", str(spec),
                                         "--quiet", "--port", str(port), *flags[server]],
                                        cwd=CODE, env={**os.environ, "PYTHONPATH": str(CODE)},
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
                servers[server] = (proc, port)
                _await_200(proc, port, "/api/v1/Person/1")
                if server.startswith("state"):  # 50 records created in one session, for the list
                    for i in range(50):
                        _fetch(port, "POST", "/api/v1/Person", {**LIST_SESSION, "content-type": "application/json"},
                               json.dumps({"Firstname": f"Bench{i}", "Lastname": "Person"}).encode())
            proc, port = servers[server]
            sample = path.replace("{id}", "42")
            body = _fetch(port, method, sample, headers)
            (folder / "body").write_bytes(body)
            media = "application/xml" if headers is XML else "application/json"
            bare_port = _free_port()
            workers = "2" if server == "sqlite 2w" else "1"
            bare = subprocess.Popen([str(PYTHON), "-c", _NODELAY, "uvicorn", "serve:bare_file_app", "--factory",
                                     "--app-dir", str(REPO / "bench"), "--log-level", "error", "--no-access-log",
                                     "--workers", workers, "--port", str(bare_port)],
                                    env={**os.environ, "BENCH_BODY_FILE": str(folder / "body"), "BENCH_MEDIA": media},
                                    cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                    start_new_session=True)
            try:
                _await_200(bare, bare_port, "/bare")
                mock_runs, bare_runs = [], []
                for _ in range(max(1, repeat)):  # alternating, so both see the same machine
                    mock_runs.append(_wrk(port, method, path, headers, seconds, conns))
                    bare_runs.append(_wrk(bare_port, method, sample, {}, seconds, conns))
                rows.append((name, len(body), max(mock_runs), max(bare_runs)))
            finally:
                _stop(bare)
    finally:
        for proc, _ in servers.values():
            _stop(proc)
        shutil.rmtree(folder, ignore_errors=True)
    print(f"\n== Big records over HTTP (wrk, 1 thread, keep-alive; best of {max(1, repeat)}, {seconds}s each); "
          "each target next to a bare Starlette endpoint returning the same bytes")
    print(f"{'target':<40} {'bytes':>7} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'bare':>8} {'/ bare':>7}")
    for name, size, (rps, p50, p99), (bare_rps, _, _) in rows:
        print(f"{name:<40} {size:>7} {rps:>8.0f} {p50:>7.2f} {p99:>7.2f} {bare_rps:>8.0f} {rps / bare_rps:>7.2f}")
    by_name = {name: figures[0] for name, _, figures, _ in rows}
    one, two = by_name.get("Person/{id}, ids in turn, 1 worker"), by_name.get("Person/{id}, ids in turn, 2 workers")
    if one and two:
        print(f"2 workers / 1 worker (ids in turn, SQLite): {two / one:.2f}")
    print("(targets: ids in turn >= 0.5 of bare, the same id >= 0.85, the list and the agent >= 0.5, XML >= 0.4, "
          "2 workers >= 1.7x one)")


# -- before and after: the working tree against another revision, in the same run -------------------------------


def _export(ref: str) -> Path:
    """The revision's files in a temporary folder (`git archive`), to import its mockserver from."""
    folder = Path(tempfile.mkdtemp(prefix="docmock-against-"))
    archive = subprocess.run(["git", "-C", str(REPO), "archive", ref], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def _asgi_in(code: Path, seconds: float) -> dict[str, tuple[float, float, float]]:
    """The in-process figures of one code tree, measured in a fresh interpreter that imports that tree."""
    env = {**os.environ, CODE_ENV: str(code)}
    out = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--asgi-json", "--seconds", str(seconds)],
                         env=env, check=True, capture_output=True, text=True).stdout
    return {k: tuple(v) for k, v in json.loads(out.splitlines()[-1]).items()}  # type: ignore[misc]


def _http_in(code: Path, name: str, seconds: float, connections: int) -> tuple[float, float, float]:
    """One target over HTTP, its server importing `code` (the spawned process reads CODE_ENV at import)."""
    ctx = mp.get_context("spawn")
    port = _free_port()
    previous = os.environ.get(CODE_ENV)
    os.environ[CODE_ENV] = str(code)
    try:
        server = ctx.Process(target=_serve, args=(name, port), daemon=True)
        server.start()
    finally:
        if previous is None:
            os.environ.pop(CODE_ENV, None)
        else:
            os.environ[CODE_ENV] = previous
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        return _measure(ctx, port, TARGETS[name][1], TARGETS[name][2], seconds, connections)
    finally:
        server.terminate()
        server.join(timeout=10)


def bench_against(ref: str, seconds: float, connections: int, repeat: int, http: bool) -> None:
    old = _export(ref)
    try:
        label = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", ref], check=True,
                               capture_output=True, text=True).stdout.strip()
        trees = {"working tree": REPO, label: old}
        kinds = [("in-process ASGI", None)] + ([(f"HTTP, 1 process, {connections} connections", "http")]
                                                if http else [])
        for title, kind in kinds:
            best: dict[tuple[str, str], tuple[float, float, float]] = {}
            for _ in range(max(1, repeat)):  # alternate the trees, so both see the same machine
                for tree, code in trees.items():
                    if kind is None:
                        figures = _asgi_in(code, seconds)
                    else:
                        figures = {name: _http_in(code, name, seconds, connections) for name in TARGETS}
                    for name, result in figures.items():
                        if (tree, name) not in best or result[0] > best[(tree, name)][0]:
                            best[(tree, name)] = result
            # The bare endpoint is the same code in both trees: its best figure of the run is the baseline of both.
            bare = max(best[(tree, "bare starlette (fixed bytes)")][0] for tree in trees)
            print(f"\n== {title}: working tree against {label} (best of {max(1, repeat)}, alternating)")
            print(f"{'target':<36} {'tree':<13} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'/ bare':>7} {'new/old':>8}")
            for name in TARGETS:
                for tree in trees:
                    rps, p50, p99 = best[(tree, name)]
                    change = f"{rps / best[(label, name)][0]:>8.2f}" if tree == "working tree" else ""
                    print(f"{name:<36} {tree:<13} {rps:>9.0f} {p50:>8.3f} {p99:>8.3f} {rps / bare:>7.2f} {change}")
    finally:
        subprocess.run(["rm", "-rf", str(old)], check=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--no-http", action="store_true", help="only the in-process ASGI measurement")
    parser.add_argument("--no-workers", action="store_true", help="skip the 1- and 2-process HTTP figures")
    parser.add_argument("--only-workers", action="store_true", help="only the 1- and 2-process HTTP figures")
    parser.add_argument("--select", action="append", metavar="TEXT",
                        help="only the N-process targets whose name contains TEXT (repeatable), e.g. 'sqlite 2w', "
                             "with the bare target they are compared with")
    parser.add_argument("--repeat", type=int, default=1, metavar="N",
                        help="measure each N-process target N times and keep the best req/s")
    parser.add_argument("--against", metavar="REF",
                        help="also measure the git revision REF, alternating with the working tree (1 process)")
    parser.add_argument("--big", action="store_true",
                        help="only the big-record targets (a 14 KB PersonEntity of the corpus), with wrk")
    parser.add_argument("--asgi-json", action="store_true", help=argparse.SUPPRESS)  # one tree, for --against
    args = parser.parse_args()
    if args.asgi_json:
        print(json.dumps(bench_asgi(args.seconds)))
        return
    if args.big:
        bench_big(args.seconds, args.connections if args.connections != 8 else 16, args.repeat, args.select)
        return
    if args.against:
        bench_against(args.against, args.seconds, args.connections, args.repeat, not args.no_http)
        return
    if not args.only_workers:
        report("in-process ASGI (no network)", bench_asgi(args.seconds))
        if not args.no_http:
            report(f"HTTP via uvicorn on 127.0.0.1 ({args.connections} keep-alive connections, {args.seconds}s each)",
                   bench_http(args.seconds, args.connections))
    if not args.no_http and not args.no_workers:
        report_workers(bench_workers(args.seconds, args.connections, args.select, args.repeat))


if __name__ == "__main__":
    main()
