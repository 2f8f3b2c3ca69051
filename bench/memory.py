#!/usr/bin/env python3
"""Memory benchmark: resident memory (VmRSS) of `docmock serve --spec FILE` after start-up and after every
20,000 of 100,000 requests, for the full synthetic spec (3,348 operations) and, as the baseline in the same
run, for a 10-operation spec cut from it.

The load is a mix of detail GETs, list GETs and agent POSTs (JSON bodies) cycling over every such operation
of the spec (2,556 of the full one), the integer ids varying per request, sent over several keep-alive
connections from this process to the server subprocess on 127.0.0.1. Each step is bounded by its request
count and by --step-seconds. Each spec is run with the default in-memory state (agent creates add records)
and with --no-state.

    .venv/bin/python bench/memory.py [--requests 100000] [--step 20000] [--connections 8] [--spec FULL.json]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from startup import (DOCMOCK, Request, build_requests, ensure_full_spec, ensure_small_spec, free_port,  # noqa: E402
                     launch, operations, stop, wait_ready)

TARGET_MB = 250.0


def rss_mb(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of a process, in MB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            key, value = line.split(":", 1)
            fields[key] = int(value.split()[0]) / 1024
    return fields["VmRSS"], fields["VmHWM"]


def mix(requests: list[Request]) -> list[Request]:
    """detail, list, agent, detail, list, agent ... each kind cycling over its own operations."""
    kinds = [[r for r in requests if r.kind == k] for k in ("detail", "list", "agent")]
    kinds = [k for k in kinds if k]
    longest = max(len(k) for k in kinds)
    return [k[i % len(k)] for i in range(longest) for k in kinds]


async def _connection(port: int, plan: list[Request], counter: list[int], stop_at: int, deadline: float,
                      statuses: Counter[int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while counter[0] < stop_at and time.perf_counter() < deadline:
            i = counter[0]
            counter[0] += 1
            writer.write(plan[i % len(plan)].raw(1 + i % 5000))
            head = await reader.readuntil(b"\r\n\r\n")
            length, close = 0, False
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"connection" and value.strip().lower() == b"close":
                    close = True
            await reader.readexactly(length)
            statuses[int(head.split(b" ", 2)[1])] += 1
            if close:
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
    finally:
        writer.close()


async def _step(port: int, plan: list[Request], counter: list[int], stop_at: int, seconds: float,
                connections: int, statuses: Counter[int]) -> None:
    deadline = time.perf_counter() + seconds
    await asyncio.gather(*(_connection(port, plan, counter, stop_at, deadline, statuses)
                           for _ in range(connections)))


def run(spec: Path, extra: list[str], args: argparse.Namespace) -> list[tuple[int, float, float, float]]:
    """[(requests so far, RSS MB, peak RSS MB, req/s of the step)] and the statuses, for one server."""
    plan = mix(build_requests(json.loads(spec.read_text())))
    port = free_port()
    started = time.perf_counter()
    proc = launch([str(DOCMOCK), "serve", "--spec", str(spec), "--port", str(port), "--quiet", *extra])
    statuses: Counter[int] = Counter()
    try:
        wait_ready(proc, port, plan[0].raw(1), timeout=300)
        ready = time.perf_counter() - started
        time.sleep(1.0)
        rows = [(0, *rss_mb(proc.pid), 0.0)]
        counter = [0]
        while counter[0] < args.requests:
            before, t = counter[0], time.perf_counter()
            asyncio.run(_step(port, plan, counter, min(args.requests, counter[0] + args.step), args.step_seconds,
                              args.connections, statuses))
            rate = (counter[0] - before) / (time.perf_counter() - t)
            rows.append((counter[0], *rss_mb(proc.pid), rate))
            if counter[0] - before < args.step:
                break  # the step hit its time bound
    finally:
        stop(proc)
    codes = ", ".join(f"{code}: {n}" for code, n in sorted(statuses.items()))
    print(f"  ready in {ready:.1f}s; {len(plan)} distinct requests cycled; statuses {codes}", flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--step", type=int, default=20_000)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--step-seconds", type=float, default=120.0, help="time bound of each step")
    parser.add_argument("--spec", type=Path, help="full spec (default: generated from bench/.scale-corpus)")
    args = parser.parse_args()
    full = args.spec or ensure_full_spec()
    small = ensure_small_spec(full)
    n_full, n_small = (len(operations(json.loads(p.read_text()))) for p in (full, small))
    results = {}
    for label, spec in ((f"{n_small} ops", small), (f"{n_full} ops", full)):
        for mode, extra in (("state memory", []), ("--no-state", ["--no-state"])):
            print(f"{label}, {mode} ...", flush=True)
            results[(label, mode)] = run(spec, extra, args)
    steps = sorted({n for rows in results.values() for n, *_ in rows})
    print(f"\nVmRSS in MB of `docmock serve` after start-up and after each {args.step:,} requests "
          f"({args.connections} keep-alive connections; detail/list/agent mix)")
    print(f"{'spec':<10}{'mode':<14}" + "".join(f"{n:>9,}" for n in steps) + f"{'growth':>9}{'peak':>7}{'req/s':>7}")
    for (label, mode), rows in results.items():
        by_n = {n: rss for n, rss, _, _ in rows}
        cells = "".join(f"{by_n[n]:>9.1f}" if n in by_n else f"{'-':>9}" for n in steps)
        growth = rows[-1][1] - rows[1][1] if len(rows) > 2 else float("nan")
        rate = sum(r for *_, r in rows[1:]) / max(1, len(rows) - 1)
        print(f"{label:<10}{mode:<14}{cells}{growth:>+9.1f}{max(h for _, _, h, _ in rows):>7.0f}{rate:>7.0f}")
    print("(growth = last minus after the first step, i.e. after warm-up; target: <= 250 MB and flat)")
    for mode in ("state memory", "--no-state"):
        big, little = results[(f"{n_full} ops", mode)][-1][1], results[(f"{n_small} ops", mode)][-1][1]
        print(f"  {mode:<13} full / 10 ops = {big:.0f} / {little:.0f} MB = {big / little:.1f}x; "
              f"<= {TARGET_MB:.0f} MB {'met' if big <= TARGET_MB else 'MISSED'}")


if __name__ == "__main__":
    main()
