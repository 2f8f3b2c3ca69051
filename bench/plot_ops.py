#!/usr/bin/env python3
"""Throughput of a request to the last-registered route against the number of operations, plotted.

For each operation count N, in-process ASGI calls (as bench/serve.py makes them, no network) to the last route
of: the mock built from a synthetic spec with N operations (bench/serve.py's `synthetic_spec`), and a
Starlette app whose Router has the same N routes (`/api/v1/Resource{i}/{id:int}`, fixed bytes), next to the
bare Starlette endpoint with one route as the horizontal baseline, all measured in the same run. Each point
is the best of --runs short runs (each bounded by --seconds and a request count). Writes
bench/throughput-vs-operations.png (needs matplotlib) and prints the table.

    .venv/bin/python bench/plot_ops.py [--counts 10,100,500,1000,2000,3300] [--runs 5] [--seconds 0.4]
"""
from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from serve import _asgi_once, bare_app, create_app, synthetic_spec  # noqa: E402

OUT = Path(__file__).resolve().parent / "throughput-vs-operations.png"


def starlette_routes(n: int) -> Any:
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route

    body = b'{"Id":42,"Name":"fixed"}'

    async def endpoint(request: Any) -> Response:
        return Response(body, media_type="application/json")
    return Starlette(routes=[Route(f"/api/v1/Resource{i}/{{id:int}}", endpoint) for i in range(n)])


def rate(app: Any, path: str, seconds: float, runs: int) -> float:
    async def one() -> float:
        count = 0
        start = time.perf_counter()
        while count < 100_000 and time.perf_counter() - start < seconds:
            await _asgi_once(app, path, {})
            count += 1
        return count / (time.perf_counter() - start)

    async def best() -> float:
        for _ in range(50):  # warm caches
            await _asgi_once(app, path, {})
        return max([await one() for _ in range(runs)])
    return asyncio.run(best())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--counts", default="10,100,500,1000,2000,3300")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=0.4)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    counts = [int(c) for c in args.counts.split(",")]
    bare_rates, mock_rates, router_rates = [], [], []
    for n in counts:
        mock, router = create_app(synthetic_spec(n)), starlette_routes(n)
        path = f"/api/v1/Resource{n - 1}/42"
        # Interleaved per count, so that noise on the shared machine hits the three alike.
        bare_rates.append(rate(bare_app(), "/bare", args.seconds, args.runs))
        mock_rates.append(rate(mock, path, args.seconds, args.runs))
        router_rates.append(rate(router, path, args.seconds, args.runs))
        print(f"{n:>5} ops: bare {bare_rates[-1]:>8.0f}  mock last route {mock_rates[-1]:>7.0f}  "
              f"starlette router last route {router_rates[-1]:>7.0f} req/s", flush=True)
    bare = max(bare_rates)
    print(f"\nin-process req/s to the last route, best of {args.runs} x {args.seconds}s; bare endpoint {bare:.0f}")
    print(f"{'ops':>5}{'mock':>9}{'/ 10 ops':>10}{'starlette':>11}{'/ 10 routes':>13}{'mock / starlette':>18}")
    for n, m, r in zip(counts, mock_rates, router_rates):
        print(f"{n:>5}{m:>9.0f}{m / mock_rates[0]:>10.2f}{r:>11.0f}{r / router_rates[0]:>13.3f}{m / r:>18.1f}")
    print(f"target: last of {counts[-1]} operations within 10% of a {counts[0]}-operation server: "
          f"{mock_rates[-1] / mock_rates[0]:.2f} -> {'met' if mock_rates[-1] >= 0.9 * mock_rates[0] else 'MISSED'}")
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed (.venv/bin/pip install matplotlib); no PNG written")
        return
    fig, ax = plt.subplots(figsize=(8, 5), dpi=110)
    ax.axhline(bare, color="grey", linestyle="--", label=f"bare Starlette endpoint, 1 route ({bare:,.0f}/s)")
    ax.plot(counts, mock_rates, "o-", color="tab:blue", label="docmock mock, last route (segment trie)")
    ax.plot(counts, router_rates, "s-", color="tab:red", label="Starlette Router, last of N routes")
    ax.set_xlabel("operations (routes) registered")
    ax.set_ylabel("requests/s, in-process ASGI calls")
    ax.set_yscale("log")
    ax.set_title("Throughput to the last-registered route vs number of operations")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="lower left")
    fig.tight_layout()
    fig.savefig(args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
