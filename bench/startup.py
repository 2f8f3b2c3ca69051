#!/usr/bin/env python3
"""Start-up benchmark: time from launching `docmock serve --spec FILE` to its first answered request.

A real subprocess (`.venv/bin/docmock serve --spec F --port P --quiet`, with `--no-state` and with the default
in-memory state) is launched and an operation of the spec is polled every 10 ms until it answers 2xx. The
full synthetic spec (3,348 operations, generated once from bench/.scale-corpus/) is measured next to a
10-operation spec cut from it (same schemas, components pruned to what the 10 operations reference), and
next to `docmock --help` (interpreter and CLI import only), all in the same run. Each figure is the best of
--repeat runs. With --profile, the start-up of the full spec is also split into its stages in-process
(load, state inference, create_app, compiling the probed operation on its first request).

    .venv/bin/python bench/startup.py [--repeat 5] [--spec FULL.json] [--profile]

The helpers here (the specs, the request builder, server processes) are shared with bench/memory.py.
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlencode

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

DOCMOCK = REPO / ".venv" / "bin" / "docmock"
WORK = Path(os.environ.get("DOCMOCK_BENCH_DIR", "/tmp/docmock-bench"))
FULL_SPEC = WORK / "full.json"
SMALL_SPEC = WORK / "small10.json"
AUTH = "Basic dGplMDpUamUw"
TARGET_S = 1.5


# -- the specs -------------------------------------------------------------------------------------------

def ensure_full_spec(path: Path = FULL_SPEC) -> Path:
    """The full synthetic spec as JSON, generated once (the corpus is built first if it is missing)."""
    import scale_corpus

    corpus = scale_corpus.DEFAULT_OUT
    if not corpus.exists():
        print(f"building the synthetic corpus: {scale_corpus.build(36, corpus)} pages", flush=True)
    if not path.exists() or path.stat().st_mtime < corpus.stat().st_mtime:
        path.parent.mkdir(parents=True, exist_ok=True)
        print(f"generating {path} from {corpus} (once) ...", flush=True)
        subprocess.run([str(DOCMOCK), "generate", str(corpus), "-o", str(path), "-q"], check=True, cwd=REPO)
    return path


def _refs(obj: Any, out: set[str]) -> None:
    if isinstance(obj, dict):
        ref = obj.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/"):
            out.add(ref)
        for v in obj.values():
            _refs(v, out)
    elif isinstance(obj, list):
        for v in obj:
            _refs(v, out)


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(m, p, o) for p, item in spec["paths"].items() for m, o in item.items()
            if m in ("get", "post", "put", "patch", "delete")]


def kind(method: str, path: str) -> str | None:
    """detail (GET .../{x}), list (GET ending in a literal), agent (POST /Agents/...), else None."""
    if method == "get":
        return "detail" if path.endswith("}") else "list"
    if method == "post" and "/Agents/" in path:
        return "agent"
    return None


def subset_spec(spec: dict[str, Any], picks: list[tuple[str, str]]) -> dict[str, Any]:
    """The spec with only the operations `picks` ((method, path)) and the components they reference."""
    paths: dict[str, Any] = {}
    for method, path in picks:
        paths.setdefault(path, {})[method] = copy.deepcopy(spec["paths"][path][method])
    components = spec.get("components", {})
    keep: set[str] = set()
    todo: set[str] = set()
    _refs(paths, todo)
    while todo:
        ref = todo.pop()
        if ref in keep:
            continue
        keep.add(ref)
        _, _, section, name = ref.split("/", 3)
        _refs(components.get(section, {}).get(name), todo)
    pruned: dict[str, Any] = {"securitySchemes": copy.deepcopy(components.get("securitySchemes", {}))}
    for ref in sorted(keep):
        _, _, section, name = ref.split("/", 3)
        pruned.setdefault(section, {})[name] = copy.deepcopy(components[section][name])
    small = {k: v for k, v in spec.items() if k not in ("paths", "components", "tags")}
    small["info"] = {**spec.get("info", {}), "title": f"{len(picks)} operations of {spec['info'].get('title')}"}
    small["paths"] = paths
    small["components"] = pruned
    return small


def ensure_small_spec(full: Path, path: Path = SMALL_SPEC, n: int = 10) -> Path:
    """10 operations of the first clone (4 detail, 3 list, 3 agent), spread over its resources."""
    if path.exists() and path.stat().st_mtime >= full.stat().st_mtime:
        return path
    spec = json.loads(full.read_text())
    by_kind: dict[str, list[tuple[str, str]]] = {"detail": [], "list": [], "agent": []}
    for method, p, _ in operations(spec):
        k = kind(method, p)
        if k and re.search(r"K0\b|K0/|K0$", p) and "K1" not in p:
            by_kind[k].append((method, p))
    picks: list[tuple[str, str]] = []
    for k, count in (("detail", 4), ("list", 3), ("agent", n - 7)):
        items = by_kind[k]
        step = max(1, len(items) // count)
        picks += items[::step][:count]
    path.write_text(json.dumps(subset_spec(spec, picks), indent=1))
    return path


# -- requests --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Request:
    kind: str
    method: str
    path: str          # may hold "{n}" where a varying integer id goes
    body: bytes
    content_type: str

    def raw(self, n: int, extra: str = "") -> bytes:
        path = self.path.replace("{n}", str(n))
        head = f"{self.method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {AUTH}\r\n{extra}"
        if self.method != "GET":
            head += f"Content-Type: {self.content_type}\r\nContent-Length: {len(self.body)}\r\n"
        return head.encode() + b"\r\n" + self.body


def build_requests(spec: dict[str, Any], kinds: tuple[str, ...] = ("detail", "list", "agent")) -> list[Request]:
    """One valid request per operation of the given kinds, its values drawn by the mock's own generators
    (integer ids vary per request), JSON bodies only."""
    from mockserver.fakedata import DataFactory
    from mockserver.spec import iter_operations, normalise

    doc = normalise(spec)
    factory = DataFactory(doc, 0)
    out: list[Request] = []
    for op in iter_operations(doc):
        k = kind(op.method.lower(), op.path)
        if k not in kinds:
            continue
        r = random.Random(op.operation_id)
        if any(p.required and p.location in ("header", "cookie") for p in op.parameters):
            continue
        path_schemas = {p.name: p.schema for p in op.parameters if p.location == "path"}

        def value(m: re.Match[str]) -> str:
            name = m.group(1)
            schema = path_schemas.get(name, {})
            if schema.get("type") == "integer" and "enum" not in schema:
                return "{n}"
            v = factory.generator(schema, name)(r, 0)
            if isinstance(v, bool):
                return "true" if v else "false"
            return quote(str(v), safe="")
        path = re.sub(r"\{([^{}]+)\}", value, op.path)
        query = {}
        for p in op.parameters:
            if p.location == "query" and p.required:
                v = factory.generator(p.schema, p.name)(r, 0)
                query[p.name] = ("true" if v else "false") if isinstance(v, bool) else str(v)
        if query:
            path += "?" + urlencode(query)
        body, media = b"", "application/json"
        content = (op.request_body or {}).get("content") or {}
        if content:
            if "application/json" not in content:
                continue
            schema = content["application/json"].get("schema", {})
            body = json.dumps(factory.generator(schema)(r, 0)).encode()
        out.append(Request(k, op.method, path, body, media))
    return out


# -- server processes ------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def launch(args: list[str]) -> subprocess.Popen[bytes]:
    """A server in its own session (so stop() can kill it and any workers), its output discarded."""
    return subprocess.Popen(args, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(timeout=10)
    else:  # the parent may have gone, workers not
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def get_once(port: int, raw: bytes, timeout: float = 5.0) -> int | None:
    """Status of one request on a fresh connection; None when nothing listens yet."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(raw)
            data = b""
            while b"\r\n" not in data:
                chunk = s.recv(65536)
                if not chunk:
                    return None
                data += chunk
            return int(data.split(b" ", 2)[1])
    except OSError:
        return None


def wait_ready(proc: subprocess.Popen[bytes], port: int, raw: bytes, timeout: float,
               interval: float = 0.01) -> float:
    """Polls until a 2xx answer; returns the seconds since `started` was set by the caller."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before answering")
        status = get_once(port, raw)
        if status is not None:
            if 200 <= status < 300:
                return time.perf_counter()
            raise RuntimeError(f"probe answered {status}")
        time.sleep(interval)
    raise TimeoutError(f"no answer within {timeout}s")


def probe_request(spec_path: Path) -> bytes:
    spec = json.loads(spec_path.read_text())
    request = next(r for r in build_requests(spec, ("detail",)))
    return request.raw(42)


def time_startup(spec: Path | None, extra: list[str], probe: bytes, timeout: float) -> float:
    port = free_port()
    if spec is None:  # the floor: interpreter + CLI import
        started = time.perf_counter()
        subprocess.run([str(DOCMOCK), "--help"], check=True, stdout=subprocess.DEVNULL, cwd=REPO)
        return time.perf_counter() - started
    started = time.perf_counter()
    proc = launch([str(DOCMOCK), "serve", "--spec", str(spec), "--port", str(port), "--quiet", *extra])
    try:
        return wait_ready(proc, port, probe, timeout) - started
    finally:
        stop(proc)


def profile_full(spec_path: Path, probe: bytes) -> None:
    """Where the full spec's start-up goes, stage by stage, in-process and in the order `docmock serve` runs them
    (the garbage collector paused while loading and building, as there); then the same stages under cProfile."""
    import cProfile
    import gc
    import pstats

    t0 = time.perf_counter()
    from docmock.serve import _collector_paused
    from mockserver import create_app, load_spec
    from mockserver.state import StateEngine, open_store
    t1 = time.perf_counter()
    with _collector_paused():
        spec = load_spec(spec_path)
        t2 = time.perf_counter()
        state = StateEngine.from_spec(spec, open_store("memory"))
        t3 = time.perf_counter()
        app = create_app(spec, state=state)
        t4 = time.perf_counter()
    method, target = (part.decode() for part in probe.split(b" ", 2)[:2])
    endpoint = app.router.match(method, unquote(target.split("?")[0])).payload  # type: ignore[union-attr]
    t5 = time.perf_counter()
    app.compiled(endpoint)
    t6 = time.perf_counter()
    gc.unfreeze()
    print(f"\nfull spec start-up, in-process stages (one run, collector paused as in `docmock serve`): "
          f"imports {t1 - t0:.2f}s, load JSON {t2 - t1:.2f}s, StateEngine.from_spec {t3 - t2:.2f}s, "
          f"create_app {t4 - t3:.2f}s, compiling the probed operation on its first request {t6 - t5:.3f}s "
          f"(other operations compile on their first request; the spec documents and the index page are built "
          f"on theirs)")
    profiler = cProfile.Profile()
    with _collector_paused():
        profiler.enable()
        create_app(spec, state=StateEngine.from_spec(spec, open_store("memory")))
        profiler.disable()
    gc.unfreeze()
    print("  StateEngine.from_spec + create_app under cProfile, mockserver functions by cumulative time:")
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(r"mockserver", 16)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--spec", type=Path, help="full spec (default: generated from bench/.scale-corpus)")
    parser.add_argument("--timeout", type=float, default=180.0, help="per start-up, seconds")
    parser.add_argument("--profile", action="store_true", help="also split the full start-up into stages")
    args = parser.parse_args()
    full = args.spec or ensure_full_spec()
    small = ensure_small_spec(full)
    n_full, n_small = (len(operations(json.loads(p.read_text()))) for p in (full, small))
    probes = {full: probe_request(full), small: probe_request(small)}
    modes = {"--no-state": ["--no-state"], "state memory": []}
    rows: dict[tuple[str, str], list[float]] = {}
    # Interleaved (small, full, small, full ...) so that noise hits both alike.
    for _ in range(args.repeat):
        rows.setdefault(("--help", "CLI import only"), []).append(time_startup(None, [], b"", args.timeout))
        for mode, extra in modes.items():
            for label, spec in ((f"{n_small} ops", small), (f"{n_full} ops", full)):
                rows.setdefault((label, mode), []).append(time_startup(spec, extra, probes[spec], args.timeout))
    print(f"\nstart-up to the first 2xx answer, best of {args.repeat} (each a new `docmock serve` process; "
          f"full spec {full.stat().st_size / 1e6:.1f} MB JSON)")
    print(f"{'spec':<12}{'mode':<16}{'best s':>8}{'median s':>10}")
    for (label, mode), times in rows.items():
        print(f"{label:<12}{mode:<16}{min(times):>8.2f}{sorted(times)[len(times) // 2]:>10.2f}")
    print("ratios (full / 10 ops) and target (full <= 1.5 s):")
    for mode in modes:
        big, little = min(rows[(f"{n_full} ops", mode)]), min(rows[(f"{n_small} ops", mode)])
        print(f"  {mode:<14} {big:.2f}s / {little:.2f}s = {big / little:.1f}x   "
              f"target {'met' if big <= TARGET_S else 'MISSED'}")
    if args.profile:
        profile_full(full, probes[full])


if __name__ == "__main__":
    main()
