"""Soak benchmark: `docmock serve --state sqlite:FILE` with 100,000 stored records, under a mixed load from 8
clients for 60 s. Counts 5xx answers and lost writes, and samples the server's resident memory.

The issue's target: 0 5xx, 0 lost writes, p99 <= 50 ms, RSS growth <= 20 MB after warm-up.

Pre-fill. Before the server starts, the state file gets `--records` records of one entity in the `default`
session, written through the store API (`SqliteStore.transaction`). They are real records: the script first
starts the server on a scratch file, creates one record over HTTP, stops it, and reads how that record was
stored (every row of table `docmock_records` under its key: for `BatchTask` also its lifecycle run). Each
copy gets a fresh key (1000001, 1000002 ...) and the record's id property set to match. The session's id
counter is moved past them, so the clients' creates never overwrite a copy.

Targets (`--target`, both by default):

* `docs_src` serves `docs_src/` (entity `BatchTask`, about 0.8 KB a record, with its lifecycle run beside it).
  It documents `POST /api/v1/BatchTask`, `GET /api/v1/BatchTask/{id}`, the list `GET /api/v1/BatchTask/{state}`
  and the agent `GetBatchTaskInfosByAssociatesAndState`: no PUT, PATCH or DELETE, and no OData list with
  `$top`/`$skip`. So this soak does creates and reads. Its list answers every stored record in the state, with
  no paging, and reads every stored record to find them: `--rest-lists` adds it to the mix (2 of 20 requests;
  the state cycles through Aquired, Unknown and Failed, states the pre-filled records are not in, so the answers
  stay small).
* `corpus` serves the spec generated from the corpus (`docmock generate ../shared/corpus`; entity `Person`,
  about 13.5 KB a record). It has the whole mix: `POST /api/v1/Person`, `GET /api/v1/Person/{id}`, `PUT` and
  `PATCH` (merge patch) of it, `DELETE` of it, and the OData archive list `GET /api/v1/Person?$top=10&$skip=N`
  over the stored records, `N` anywhere from 0 to past the last record.

Load. A load generator in its own process opens one keep-alive connection per client (raw asyncio HTTP/1.1,
as `scale_out.py`). There is no `X-Mock-Session` header: the pre-filled records are in the `default`
session, and the lists must see them. Each client repeats a fixed cycle of 20 requests (MIXES below):
creates; reads of a record it created; reads of a random pre-filled record; updates of a record it created
(in turn a `PUT` of the whole record as last acknowledged with `Firstname` changed, and a merge `PATCH` of
`Lastname`); deletes of a record it created; lists. Every acknowledged write (a 2xx answer) is recorded with
the content it acknowledged (the answer's record; for `BatchTask`, whose create answers only the id, the
name it sent, since its lifecycle moves `State` on). A read of the client's own record must show the last
acknowledged content (else a "stale read"). After the soak, every record a client wrote is read once more:
an acknowledged create or update must read back with the acknowledged content, an acknowledged delete must
read 404 ("lost writes" counts the records that do not; a write that got no answer or a 5xx may or may not
have happened, and either outcome is accepted).

Memory. The server's VmRSS, summed over its processes (the main one and its workers), is sampled every second.
"After warm-up" is the sample `--warmup` seconds into the soak; growth is the highest sample after it minus
that one. The growth over the second half of the soak, and a sample every 10 s, are printed too: they tell
caches that are still filling (RSS levels off) from a leak (it keeps rising).

Baseline (same run, same machine): the same soak against a state file pre-filled with `--baseline-records`
(100) records. Ratios are 100k / baseline.

    .venv/bin/python bench/soak.py [--seconds 60] [--clients 8] [--records 100000] [--workers 1]
                                   [--target both|docs_src|corpus] [--warmup 10] [--baseline-records 100]
                                   [--rate REQ_PER_S] [--rest-lists]

The clients send back to back by default (each waits for its answer, then sends the next): the server is
saturated and a latency is mostly waiting behind the other clients' requests. `--rate` paces them instead.

Exits 1 on any 5xx, lost write or stale read; a missed latency or memory target is printed as a miss.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import math
import multiprocessing as mp
import os
import random
import shlex
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from serve import _await_200, _exchange, _free_port

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DOCMOCK = REPO / ".venv" / "bin" / "docmock"
AUTH = "Basic dXNlcjpwYXNz"
DOCS = REPO / "docs_src"
CORPUS = REPO.parent / "shared" / "corpus"
FIRST_KEY = 1_000_001  # the first id the mock hands out in a session
TARGET_P99_MS = 50.0
TARGET_GROWTH_MB = 20.0
REQUEST_TIMEOUT = 60.0  # a request that takes longer is counted as a timeout, and the client reconnects
IDLE_RECONNECT = 2.0  # a connection idle this long is replaced before the next request: the server closes idle
# keep-alive connections (docmock serve --idle-timeout, 5 s), and a request sent as it closes would be lost

# The cycle each client repeats (20 requests). C create, R read of its own record, S read of a pre-filled
# record, U update (PUT and PATCH in turn), D delete, L list. docs_src documents no update and no delete.
MIXES = {
    "corpus": "CRULS" "RCLRU" "SRDLR" "CURSL",             # 3 C, 6 R, 3 S, 3 U, 1 D, 4 L
    "docs_src": "CRSRR" "RCRSR" "SRCRR" "CRSRR",           # 4 C, 12 R, 4 S
    "docs_src+lists": "CRSRL" "RCRSR" "SRCRL" "CRSRR",     # 4 C, 10 R, 4 S, 2 L (--rest-lists)
}
KINDS = {"C": "create", "R": "read own", "S": "read pre-filled", "U": "update", "D": "delete", "L": "list"}
UPDATES = ("update (PUT)", "update (PATCH)")  # U: a PUT and a PATCH in turn, timed apart
DOCS_SRC_LIST_STATES = ("Aquired", "Unknown", "Failed")


@dataclass(frozen=True)
class Target:
    name: str
    entity: str
    collection: str          # the create path; a record is at collection/{id}
    id_field: str
    serve: tuple[str, ...]   # what follows `docmock serve`


def _targets(folder: Path, which: str) -> list[Target]:
    out = []
    if which in ("both", "docs_src"):
        out.append(Target("docs_src", "BatchTask", "/api/v1/BatchTask", "Id", (str(DOCS),)))
    if which in ("both", "corpus"):
        spec = folder / "corpus.yaml"
        subprocess.run([str(DOCMOCK), "generate", str(CORPUS), "-o", str(spec), "-q"], check=True)
        out.append(Target("corpus", "Person", "/api/v1/Person", "PersonId", ("--spec", str(spec))))
    return out


# -- servers --------------------------------------------------------------------------------------------------

def _start(target: Target, database: Path, workers: int, log: Path,
           more: tuple[str, ...] = ()) -> tuple[subprocess.Popen[bytes], int]:
    port = _free_port()
    extra = [*(["--workers", str(workers)] if workers > 1 else []), *more]
    with open(log, "ab") as out:
        process = subprocess.Popen([str(DOCMOCK), "serve", *target.serve, "--quiet", "--port", str(port),
                                    "--state", f"sqlite:{database}", *extra],
                                   stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _await_200(process, port, "/openapi.json", timeout=120)
    except BaseException as exc:
        _stop(process)
        raise RuntimeError(f"docmock serve did not start ({exc}):\n{log.read_text(errors='replace')[-3000:]}") from exc
    return process, port


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Kills the server's whole session: the main process and its workers."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait(timeout=10)


def _tree(pid: int) -> list[int]:
    """A process and all its descendants (Linux: /proc/PID/task/TID/children)."""
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as f:
                    todo.extend(int(child) for child in f.read().split())
        except OSError:
            continue
    return out


def _rss_mb(pid: int) -> float:
    """VmRSS of a process and its descendants, in MB."""
    total = 0
    for each in _tree(pid):
        try:
            with open(f"/proc/{each}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        break
        except OSError:
            pass
    return total / 1024


class _Sampler(threading.Thread):
    """Samples the server's RSS every second, with time.monotonic() stamps (the same clock in every process)."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.samples: list[tuple[float, float]] = []
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            self.samples.append((time.monotonic(), _rss_mb(self.pid)))
            self.done.wait(1.0)


# -- pre-fill ---------------------------------------------------------------------------------------------------

def _request(method: str, path: str, body: bytes = b"", media: str = "application/json") -> bytes:
    head = (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {AUTH}\r\n"
            + (f"Content-Type: {media}\r\nContent-Length: {len(body)}\r\n" if body else "") + "\r\n")
    return head.encode() + body


def _create_body(target: Target, client: int, step: int) -> bytes:
    if target.entity == "BatchTask":
        return json.dumps({"Name": f"soak {client}-{step}", "State": "New"}).encode()
    return json.dumps({"Firstname": f"Soak{client}", "Lastname": f"Created {step}"}).encode()


def probe_rows(target: Target, folder: Path, log: Path) -> list[tuple[str, Any]]:
    """Creates one record through a real server and returns how it was stored: (entity, record) per row."""
    database = folder / f"probe-{target.name}.db"
    process, port = _start(target, database, 1, log)
    try:
        async def create() -> tuple[int, bytes]:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            try:
                return await _exchange(reader, writer, _request("POST", target.collection, _create_body(target, 0, 0)))
            finally:
                writer.close()
        status, payload = asyncio.run(create())
        if status != 200:
            raise RuntimeError(f"the probe create answered {status}: {payload[:200]!r}")
    finally:
        _stop(process)
    conn = sqlite3.connect(database)
    try:
        rows = conn.execute("SELECT entity, body FROM docmock_records WHERE session='default' AND key=?",
                            (str(FIRST_KEY),)).fetchall()
    finally:
        conn.close()
    if not any(entity == target.entity for entity, _ in rows):
        raise RuntimeError(f"the probe stored no {target.entity} under key {FIRST_KEY}: {rows!r}")
    return [(entity, json.loads(body)) for entity, body in rows]


def prefill(path: Path, rows: list[tuple[str, Any]], count: int, id_field: str) -> float:
    """`count` copies of the probe's rows under keys FIRST_KEY.., in the default session; returns seconds."""
    from mockserver.state.store import SqliteStore

    started = time.perf_counter()
    store = SqliteStore(path)
    try:
        for start in range(0, count, 10_000):
            with store.transaction("default") as tx:
                for n in range(start, min(count, start + 10_000)):
                    ident = FIRST_KEY + n
                    for entity, record in rows:
                        if isinstance(record, dict) and id_field in record:
                            record = {**record, id_field: ident}
                        tx.put(entity, str(ident), record)
        with store.transaction("default") as tx:
            for entity, _ in rows:
                if not entity.startswith("~"):
                    tx.next_id(entity, FIRST_KEY + count)  # the next create gets a key past the copies
    finally:
        store.close()
    return time.perf_counter() - started


# -- the load generator (its own process) --------------------------------------------------------------------

GONE = object()  # an acknowledged delete: the record must read 404
ANY = object()   # an update whose answer was lost: any content will do, but the record must be there


class _Client:
    def __init__(self, n: int, target: Target, mix: str, port: int, prefilled: int, results: dict[str, Any]) -> None:
        self.n = n
        self.target = target
        self.port = port
        self.prefilled = prefilled
        self.rng = random.Random(n)
        self.mix = mix
        self.updates = 0                          # a PUT, then a PATCH, in turn
        self.live: list[int] = []                 # own records, not deleted
        self.acked: dict[int, list[Any]] = {}     # id -> the acceptable final contents (more than one if unsure)
        self.results = results
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.last_used = 0.0

    async def _connect(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        self.last_used = time.perf_counter()

    async def _send(self, request: bytes) -> tuple[int, bytes]:
        """(status, body); status 0 for a timeout or a broken connection (then a new connection)."""
        if self.writer is None or time.perf_counter() - self.last_used > IDLE_RECONNECT:
            await self._connect()
        try:
            return await asyncio.wait_for(_exchange(self.reader, self.writer, request), REQUEST_TIMEOUT)
        except (TimeoutError, ConnectionError, asyncio.IncompleteReadError, OSError):
            self.results["transport errors"] += 1
            await self._connect()
            return 0, b""
        finally:
            self.last_used = time.perf_counter()

    def _same(self, expected: Any, payload: bytes) -> bool:
        """Whether a read answer shows the acknowledged content."""
        if expected is ANY:
            return True
        if isinstance(expected, bytes):  # the whole record, as the write answered it
            return payload == expected or json.loads(payload) == json.loads(expected)
        try:
            got = json.loads(payload)
        except ValueError:
            return False
        return isinstance(got, dict) and all(got.get(k) == v for k, v in expected.items())

    def _record(self, status: int, started: float, kind: str) -> None:
        self.results["latency"][kind].append(time.perf_counter() - started)
        self.results["status"][kind][status] += 1

    async def step(self, step: int) -> None:
        kind = self.mix[step % len(self.mix)]
        if kind == "S" and not self.prefilled:
            kind = "R"
        if kind in "RUD" and not self.live:
            kind = "C"
        target = self.target
        if kind == "C":
            body = _create_body(target, self.n, step)
            request = _request("POST", target.collection, body)
        elif kind == "R":
            ident = self.live[self.rng.randrange(len(self.live))]
            request = _request("GET", f"{target.collection}/{ident}")
        elif kind == "S":
            ident = FIRST_KEY + self.rng.randrange(self.prefilled)
            request = _request("GET", f"{target.collection}/{ident}")
        elif kind == "U":
            ident = self.live[self.rng.randrange(len(self.live))]
            current = next(e for e in reversed(self.acked[ident]) if isinstance(e, bytes))
            self.updates += 1
            if self.updates % 2 == 0:  # a merge patch of one field (UPDATES[1])
                body = json.dumps({"Lastname": f"Patched {self.n}-{step}"}).encode()
                request = _request("PATCH", f"{target.collection}/{ident}", body, "application/merge-patch+json")
            else:  # the whole record as last acknowledged, with one field changed
                record = json.loads(current)
                record["Firstname"] = f"Put{self.n}-{step}"
                request = _request("PUT", f"{target.collection}/{ident}", json.dumps(record).encode())
        elif kind == "D":
            ident = self.live.pop(self.rng.randrange(len(self.live)))
            request = _request("DELETE", f"{target.collection}/{ident}")
        else:  # "L"
            if target.name == "corpus":
                request = _request("GET", f"{target.collection}?$top=10&$skip={self.rng.randrange(self.prefilled + 200)}")
            else:
                request = _request("GET", f"{target.collection}/{DOCS_SRC_LIST_STATES[step % 3]}")
        started = time.perf_counter()
        status, payload = await self._send(request)
        self._record(status, started, UPDATES[1 - self.updates % 2] if kind == "U" else KINDS[kind])
        ok = 200 <= status < 300
        if kind == "C":
            if ok:
                if target.entity == "BatchTask":  # StartBatchJob answers the new id; the run moves State on
                    ident = int(payload)
                    expected: Any = {"Id": ident, "Name": json.loads(body)["Name"]}
                else:
                    ident = json.loads(payload)[target.id_field]
                    expected = payload
                self.live.append(ident)
                self.acked[ident] = [expected]
                self.results["acknowledged"]["create"] += 1
        elif kind == "R":
            if ok and not any(self._same(e, payload) for e in self.acked[ident]):
                self.results["stale reads"] += 1
                if len(self.results["examples"]) < 5:
                    self.results["examples"].append(f"stale read of {ident}: {payload[:200]!r}")
        elif kind == "S":
            if ok and f'"{target.id_field}":{ident},'.encode() not in payload:
                self.results["wrong pre-filled reads"] += 1
        elif kind == "U":
            if ok:
                self.acked[ident] = [payload]
                self.results["acknowledged"]["update"] += 1
            elif status == 0 or status >= 500:  # it may or may not have happened
                self.acked[ident].append(ANY)
        elif kind == "D":
            if ok:
                self.acked[ident] = [GONE]
                self.results["acknowledged"]["delete"] += 1
            elif status == 0 or status >= 500:
                self.acked[ident].append(GONE)
            else:
                self.live.append(ident)
        elif kind == "L" and ok:
            page = json.loads(payload)
            rows = page.get("value") if isinstance(page, dict) else page
            if not isinstance(rows, list) or (target.name == "corpus" and len(rows) > 10):
                self.results["bad lists"] += 1

    async def verify(self) -> None:
        """Reads every record this client wrote: the acknowledged content, or 404 after a delete."""
        for ident, acceptable in self.acked.items():
            for _ in range(3):  # a read that got no answer is asked again
                status, payload = await self._send(_request("GET", f"{self.target.collection}/{ident}"))
                if status:
                    break
            self.results["verified"] += 1
            if any((e is GONE and status == 404) or (e is not GONE and status == 200 and self._same(e, payload))
                   for e in acceptable):
                continue
            self.results["lost writes"] += 1
            if len(self.results["examples"]) < 5:
                self.results["examples"].append(f"lost write of {ident}: read {status} {payload[:200]!r}")

    async def run(self, deadline: float, interval: float) -> None:
        """Requests until the deadline: back to back, or one every `interval` seconds (--rate)."""
        await self._connect()
        step = 0
        next_at = time.perf_counter() + self.rng.random() * interval
        while time.perf_counter() < deadline:
            if interval:
                delay = next_at - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                next_at += interval
            await self.step(step)
            step += 1


def _new_results(mix: str) -> dict[str, Any]:
    names = [n for k, name in KINDS.items() if k in mix for n in (UPDATES if k == "U" else (name,))]
    return {"latency": {name: [] for name in names}, "status": {name: Counter() for name in names},
            "acknowledged": Counter(), "stale reads": 0, "lost writes": 0, "verified": 0, "transport errors": 0,
            "wrong pre-filled reads": 0, "bad lists": 0, "examples": []}


def _load(target: Target, mix: str, port: int, prefilled: int, seconds: float, clients: int, rate: float,
          out: Any) -> None:
    async def run() -> dict[str, Any]:
        results = _new_results(mix)
        crowd = [_Client(n, target, mix, port, prefilled, results) for n in range(clients)]
        started = time.perf_counter()
        cpu = time.process_time()
        results["start"] = time.monotonic()
        await asyncio.gather(*(client.run(started + seconds, clients / rate if rate else 0.0) for client in crowd))
        results["elapsed"] = time.perf_counter() - started
        results["end"] = time.monotonic()
        results["loader cpu"] = time.process_time() - cpu
        await asyncio.gather(*(client.verify() for client in crowd))
        for client in crowd:
            if client.writer is not None:
                client.writer.close()
        return results
    out.put(asyncio.run(run()))


# -- one soak -------------------------------------------------------------------------------------------------

def _mix(target: Target, options: argparse.Namespace) -> str:
    return MIXES["docs_src+lists" if target.name == "docs_src" and options.rest_lists else target.name]


def soak(target: Target, rows: list[tuple[str, Any]], records: int, options: argparse.Namespace,
         folder: Path) -> dict[str, Any]:
    database = folder / f"{target.name}-{records}.db"
    fill_seconds = prefill(database, rows, records, target.id_field)
    log = folder / f"{target.name}-{records}.log"
    process, port = _start(target, database, options.workers, log, tuple(shlex.split(options.server_args)))
    sampler = _Sampler(process.pid)
    try:
        sampler.start()
        ctx = mp.get_context("spawn")
        queue = ctx.Queue()
        loader = ctx.Process(target=_load, args=(target, _mix(target, options), port, records, options.seconds,
                                                 options.clients, options.rate, queue))
        loader.start()
        try:
            result = queue.get(timeout=options.seconds + 600)
        finally:
            loader.join(timeout=10)
            if loader.is_alive():
                loader.kill()
        sampler.done.set()
        sampler.join()
        result["alive"] = process.poll() is None
    finally:
        sampler.done.set()
        _stop(process)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)
    result["fill seconds"] = fill_seconds
    during = [(t, mb) for t, mb in sampler.samples if t <= result["end"] + 0.5]
    warm = [mb for t, mb in during if t >= result["start"] + options.warmup]
    result["rss"] = {"start": during[0][1], "after warm-up": warm[0] if warm else float("nan"),
                     "end": during[-1][1], "max": max(mb for _, mb in during)}
    result["rss"]["growth"] = max(warm, default=float("nan")) - result["rss"]["after warm-up"]
    half = [mb for t, mb in during if t >= result["start"] + options.seconds / 2]
    result["rss"]["second half"] = result["rss"]["end"] - half[0] if half else float("nan")
    result["rss"]["series"] = [mb for t, mb in during if t >= result["start"]][::10]  # every 10 s from the start
    result["log"] = log.read_text(errors="replace")[-3000:]
    return result


# -- report ---------------------------------------------------------------------------------------------------

def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1e3


def _summary(result: dict[str, Any]) -> dict[str, Any]:
    every = [v for values in result["latency"].values() for v in values]
    statuses = sum(result["status"].values(), Counter())
    return {"n": len(every), "rps": len(every) / result["elapsed"], "p50": _pct(every, 0.5),
            "p99": _pct(every, 0.99), "max": max(every, default=float("nan")) * 1e3,
            "5xx": sum(n for s, n in statuses.items() if s >= 500),
            "other": {s: n for s, n in sorted(statuses.items()) if not 200 <= s < 300 and s < 500}}


def _met(ok: bool, figure: Any) -> str:
    return "met" if ok else f"MISS ({figure})"


def report(target: Target, records: int, big: dict[str, Any], base: dict[str, Any] | None,
           options: argparse.Namespace) -> bool:
    """Prints one target's figures; returns whether it failed (5xx, lost writes, stale reads)."""
    workers = f"{options.workers} worker{'s' if options.workers > 1 else ''}"
    print(f"\n== {target.name}: {target.entity}, {records:,} pre-filled records"
          + (f" vs {options.baseline_records:,} (baseline)" if base else "")
          + f"; {options.clients} clients, {options.seconds:g} s, {workers}, --state sqlite")
    print(f"pre-fill: {big['fill seconds']:.1f} s" + (f" (baseline {base['fill seconds']:.1f} s)" if base else ""))
    head = f"{'kind':<16} {'n':>7} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}"
    print(head + (f" | {'n':>7} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} | {'p99 ratio':>9}" if base else ""))
    for kind, values in list(big["latency"].items()) + [("all", None)]:
        if values is None:
            values = [v for vs in big["latency"].values() for v in vs]
            other = [v for vs in base["latency"].values() for v in vs] if base else []
        else:
            other = base["latency"].get(kind, []) if base else []
        line = (f"{kind:<16} {len(values):>7} {_pct(values, 0.5):>8.2f} {_pct(values, 0.99):>8.2f} "
                f"{max(values, default=float('nan')) * 1e3:>8.1f}")
        if base:
            ratio = _pct(values, 0.99) / _pct(other, 0.99) if other else float("nan")
            line += (f" | {len(other):>7} {_pct(other, 0.5):>8.2f} {_pct(other, 0.99):>8.2f} "
                     f"{max(other, default=float('nan')) * 1e3:>8.1f} | {ratio:>8.2f}x")
        print(line)
    s = _summary(big)
    b = _summary(base) if base else None
    print(f"req/s: {s['rps']:,.0f}" + (f" (baseline {b['rps']:,.0f}, ratio {s['rps'] / b['rps']:.2f}x)" if b else "")
          + f"; the load generator used {big['loader cpu'] / big['elapsed']:.0%} of a core"
          + (f" ({base['loader cpu'] / base['elapsed']:.0%} in the baseline)" if base else ""))
    for name, r, x in ((f"{records:,}", big, s), ("baseline", base, b)):
        if r is None:
            continue
        ack = r["acknowledged"]
        print(f"{name}: 5xx {x['5xx']}; other non-2xx {x['other'] or 0}; transport errors {r['transport errors']}; "
              f"acknowledged creates {ack['create']}, updates {ack['update']}, deletes {ack['delete']}; "
              f"records verified {r['verified']}, lost writes {r['lost writes']}, stale reads {r['stale reads']}; "
              f"wrong pre-filled reads {r['wrong pre-filled reads']}, bad list pages {r['bad lists']}"
              + ("" if r["alive"] else "; THE SERVER DIED"))
        rss = r["rss"]
        print(f"{name}: RSS MB: start {rss['start']:.1f}, after {options.warmup:g} s warm-up "
              f"{rss['after warm-up']:.1f}, end {rss['end']:.1f}, max {rss['max']:.1f}, growth {rss['growth']:+.1f} "
              f"(in the second half of the soak {rss['second half']:+.1f}); "
              f"every 10 s: {' '.join(f'{mb:.0f}' for mb in rss['series'])}")
        for example in r["examples"][:5]:
            print(f"  {example}")
    failed = any(r is not None and (x["5xx"] or r["lost writes"] or r["stale reads"] or not r["alive"])
                 for r, x in ((big, s), (base, b)))
    growth = big["rss"]["growth"]
    print(f"targets ({records:,} records): "
          f"0 5xx: {_met(not s['5xx'], s['5xx'])}; "
          f"0 lost writes: {_met(not big['lost writes'], big['lost writes'])}; "
          f"p99 <= {TARGET_P99_MS:g} ms: {'met' if s['p99'] <= TARGET_P99_MS else 'MISS'} ({s['p99']:.1f} ms); "
          f"RSS growth <= {TARGET_GROWTH_MB:g} MB: "
          + (f"not measured (the soak is not longer than the {options.warmup:g} s warm-up)" if math.isnan(growth)
             else f"{'met' if growth <= TARGET_GROWTH_MB else 'MISS'} ({growth:+.1f} MB)"))
    if failed:
        for r in (big, base):
            if r is not None:
                print("server log (tail):\n" + r["log"])
    return failed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--target", choices=("both", "docs_src", "corpus"), default="both")
    parser.add_argument("--warmup", type=float, default=10.0, help="seconds before the RSS growth is measured")
    parser.add_argument("--baseline-records", type=int, default=100, help="0: no baseline run")
    parser.add_argument("--rate", type=float, default=0.0,
                        help="requests/s of all clients together, paced (default 0: back to back, as fast as answered)")
    parser.add_argument("--server-args", default="",
                        help="more options for docmock serve, e.g. \"--journal-size 0 --answer-cache 0\"")
    parser.add_argument("--rest-lists", action="store_true",
                        help="docs_src: add the unpaged list GET /api/v1/BatchTask/{state} to the mix (2 of 20)")
    options = parser.parse_args()
    if options.seconds <= options.warmup:
        parser.error(f"--seconds {options.seconds:g} leaves nothing after the {options.warmup:g} s warm-up: "
                     "give more seconds or a shorter --warmup")
    print(f"{os.cpu_count()} cores; {options.clients} clients"
          + (f" at {options.rate:g} req/s together" if options.rate else ", back to back")
          + f", {options.seconds:g} s per soak, "
          f"--workers {options.workers} {options.server_args}".rstrip() + ", SQLite state; "
          f"targets: p99 <= {TARGET_P99_MS:g} ms, "
          f"RSS growth <= {TARGET_GROWTH_MB:g} MB after {options.warmup:g} s; load average "
          f"{os.getloadavg()[0]:.2f} (other work on the machine skews every figure)")
    failed = False
    with tempfile.TemporaryDirectory(prefix="docmock-soak-") as tmp:
        folder = Path(tmp)
        for target in _targets(folder, options.target):
            mix = _mix(target, options)
            print(f"\n{target.name}: each client's cycle of {len(mix)}: "
                  + ", ".join(f"{mix.count(k)} {KINDS[k]}" for k in KINDS if k in mix), flush=True)
            rows = probe_rows(target, folder, folder / f"{target.name}-probe.log")
            print(f"{target.name}: a stored {target.entity} is {len(json.dumps(rows[0][1], separators=(',', ':'))):,} "
                  f"bytes of JSON; rows per record: {', '.join(e for e, _ in rows)}", flush=True)
            base = soak(target, rows, options.baseline_records, options, folder) if options.baseline_records else None
            big = soak(target, rows, options.records, options, folder)
            failed |= report(target, options.records, big, base, options)
            print(f"load average after {target.name}: {os.getloadavg()[0]:.2f}", flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
