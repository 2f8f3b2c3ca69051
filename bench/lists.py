#!/usr/bin/env python3
"""Lists over many stored records: `GET /api/v1/Person?$top=10&$skip=N` (an OData list of the corpus) with
100,000 stored persons in a SQLite state file, next to the same with 100 stored persons (the baseline, measured
in the same run: these machines are shared and noisy).

A list in id order finds its page from the store's index of keys and reads only the records on the page; a
`$filter` or `$orderby` on a column still reads every stored record of the entity (in a thread, so the server
keeps answering meanwhile). Both are printed. The persons are the record the mock makes for a POST (about
14 KB each), copied with new ids through the store's own transaction. Requests go through the app in this
process (httpx's ASGI transport), with the answer cache off, so every request does the work.

    .venv/bin/python bench/lists.py [--records 100000] [--requests 300]
"""
from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from generator import build_spec  # noqa: E402
from mockserver import create_app  # noqa: E402
from mockserver.config import Config  # noqa: E402

CORPUS = REPO.parent / "shared" / "corpus"
AUTH = {"Authorization": "Basic dXNlcjpwYXNz"}
TARGET_P99_MS = 20.0


async def _fill(client: httpx.AsyncClient, app, records: int) -> None:
    """`records` persons in the default session: the one a POST makes, copied with new ids."""
    answer = await client.post("/api/v1/Person", json={"Firstname": "Ada", "Lastname": "Lovelace"}, headers=AUTH)
    person = answer.json()
    first = person["PersonId"]
    for start in range(1, records, 5_000):  # transactions of a few thousand: one of 100,000 grows huge
        with app.state.store.transaction("default") as tx:
            for n in range(start, min(start + 5_000, records)):
                person["PersonId"] = first + n
                person["Firstname"] = f"Person {n}"
                tx.put("Person", str(first + n), person)


async def _timed(client: httpx.AsyncClient, params: dict[str, str]) -> float:
    started = time.perf_counter()
    answer = await client.get("/api/v1/Person", params=params, headers=AUTH)
    elapsed = time.perf_counter() - started
    if answer.status_code != 200:
        raise RuntimeError(f"{params}: {answer.status_code} {answer.text[:200]}")
    return elapsed * 1000


async def _measure(spec: dict, records: int, requests: int, folder: Path) -> dict[str, float]:
    app = create_app(spec, Config(state=f"sqlite:{folder / f'state-{records}.db'}", answer_cache_mb=0,
                                  access_log=False))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        started = time.perf_counter()
        await _fill(client, app, records)
        filled = time.perf_counter() - started
        r = random.Random(7)
        for _ in range(20):  # warm-up: the generated rows, the statements
            await _timed(client, {"$top": "10", "$skip": str(r.randrange(records))})
        pages = sorted([await _timed(client, {"$top": "10", "$skip": str(r.randrange(records))})
                        for _ in range(requests)])
        first = sorted([await _timed(client, {"$top": "10"}) for _ in range(requests)])
        filtered = await _timed(client, {"$top": "10", "$filter": "firstname begins 'Person 1'"})
        ordered = await _timed(client, {"$top": "10", "$orderby": "firstname desc"})
    app.state.close()
    return {"fill_s": filled, "page_p50": statistics.median(pages), "page_p99": pages[int(len(pages) * 0.99) - 1],
            "first_p50": statistics.median(first), "first_p99": first[int(len(first) * 0.99) - 1],
            "filter_ms": filtered, "orderby_ms": ordered}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--baseline", type=int, default=100)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    spec = build_spec([CORPUS]).spec
    with tempfile.TemporaryDirectory(prefix="docmock-lists-") as folder:
        base = asyncio.run(_measure(spec, args.baseline, args.requests, Path(folder)))
        big = asyncio.run(_measure(spec, args.records, args.requests, Path(folder)))
    print(f"GET /api/v1/Person (corpus), SQLite state, answer cache off, {args.requests} requests per figure")
    print(f"{'stored persons':>16} {'$top=10 at random $skip p50/p99 ms':>36} {'first page p50/p99 ms':>24} "
          f"{'$filter ms':>11} {'$orderby ms':>12}")
    for n, m in ((args.baseline, base), (args.records, big)):
        print(f"{n:>16,} {m['page_p50']:>20.2f} / {m['page_p99']:<13.2f} {m['first_p50']:>11.2f} / "
              f"{m['first_p99']:<10.2f} {m['filter_ms']:>11.0f} {m['orderby_ms']:>12.0f}")
    print(f"ratio {args.records:,} / {args.baseline:,}: pages p99 x{big['page_p99'] / base['page_p99']:.2f}, "
          f"first page p99 x{big['first_p99'] / base['first_p99']:.2f}; "
          f"$filter x{big['filter_ms'] / base['filter_ms']:.0f}, $orderby x{big['orderby_ms'] / base['orderby_ms']:.0f}")
    met = big["page_p99"] <= TARGET_P99_MS and big["first_p99"] <= TARGET_P99_MS
    print(f"target: $top=10 p99 <= {TARGET_P99_MS:.0f} ms with {args.records:,} records: "
          + ("met" if met else "MISSED") + f" (filled in {big['fill_s']:.1f} s)")


if __name__ == "__main__":
    main()
