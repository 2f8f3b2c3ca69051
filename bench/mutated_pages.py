"""Mutated real pages: the corpus's pages cut, shuffled and corrupted, read one by one and built in batches.

Each mutation is drawn from a seeded generator: truncation at a random byte, a line deleted or repeated, a table
cell split or merged, a code fence removed, bytes that are not UTF-8, a NUL, a byte-order mark, Markdown
punctuation sprinkled in, a line indented deeply. Every mutated page is read as `docmock generate` reads it
(`read_page_bytes`) and timed; each batch of 100 is then built into a spec (merging, rendering) as a whole.

Prints how many pages ended as an operation, as diagnostics only, or as a failure nobody foresaw (the
"could not read this page" error, which also counts as a diagnostic), the slowest page next to the median
one, and whether any build raised.

    .venv/bin/python bench/mutated_pages.py [--pages 10000] [--seed 1]
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from generator import DocsError, build_spec  # noqa: E402
from generator.reading import read_page_bytes  # noqa: E402

CORPUS = REPO.parent / "shared" / "corpus" / "superoffice"


def mutate(data: bytes, r: random.Random) -> bytes:
    lines = data.split(b"\n")
    kind = r.randrange(10)
    if kind == 0:
        return data[: r.randrange(len(data) + 1)]
    if kind == 1 and lines:
        del lines[r.randrange(len(lines))]
    elif kind == 2 and lines:
        i = r.randrange(len(lines))
        lines.insert(i, lines[i])
    elif kind == 3:
        tables = [i for i, line in enumerate(lines) if line.startswith(b"|")]
        if tables:
            i = r.choice(tables)
            lines[i] = lines[i].replace(b"|", b"||", 1) if r.random() < 0.5 else lines[i].replace(b"|", b"", 2)
    elif kind == 4:
        fences = [i for i, line in enumerate(lines) if line.startswith(b"```")]
        if fences:
            del lines[r.choice(fences)]
    elif kind == 5:
        at = r.randrange(len(data) + 1)
        return data[:at] + bytes(r.choice([0xff, 0xfe, 0xc3, 0x80])) + data[at:]
    elif kind == 6:
        at = r.randrange(len(data) + 1)
        return data[:at] + r.choice([b"\x00", b"\xef\xbb\xbf", b"\r"]) + data[at:]
    elif kind == 7:
        out = bytearray(data)
        for _ in range(r.randrange(1, 20)):
            out.insert(r.randrange(len(out) + 1), r.choice(b"[]()<>{}|`*_#!-:\\\"'"))
        return bytes(out)
    elif kind == 8 and lines:
        i = r.randrange(len(lines))
        lines[i] = b" " * r.randrange(1, 400) + lines[i]
    else:
        a, b = r.randrange(len(lines)), r.randrange(len(lines))
        lines[a], lines[b] = lines[b], lines[a]
    return b"\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args()
    sources = sorted(p for p in CORPUS.rglob("*.md") if p.name != "MANIFEST.md")
    if not sources:
        sys.exit(f"no pages under {CORPUS}")
    originals = [(p.name, p.read_bytes()) for p in sources]
    r = random.Random(options.seed)
    outcomes = {"operation": 0, "diagnostics only": 0, "unforeseen failure": 0}
    times: list[tuple[float, str]] = []
    build_failures: list[str] = []
    batch: list[tuple[str, bytes]] = []
    for n in range(options.pages):
        name, data = r.choice(originals)
        for _ in range(r.randrange(1, 4)):
            data = mutate(data, r)
        display = f"{n:05d}-{name}"
        started = time.perf_counter()
        read = read_page_bytes(display, data)
        times.append((time.perf_counter() - started, display))
        if any("could not read this page" in d.message for d in read.diagnostics):
            outcomes["unforeseen failure"] += 1
        elif read.draft is not None:
            outcomes["operation"] += 1
        else:
            outcomes["diagnostics only"] += 1
        batch.append((display, data))
        if len(batch) == 100 or n == options.pages - 1:
            with tempfile.TemporaryDirectory() as folder:
                for page, content in batch:
                    Path(folder, page).write_bytes(content)
                try:
                    build_spec([folder])
                except DocsError:
                    pass  # nothing in the batch could be generated: said, as documented
                except Exception as exc:  # noqa: BLE001 - what this benchmark looks for
                    build_failures.append(f"batch ending {display}: {type(exc).__name__}: {exc}")
            batch = []
    times.sort()
    print(f"{options.pages} mutated pages (seed {options.seed}) from {len(originals)} corpus pages")
    for outcome, count in outcomes.items():
        print(f"  {outcome:<20} {count:>6}")
    worst, worst_page = times[-1]
    print(f"  slowest page {worst * 1000:.1f} ms ({worst_page}); median {statistics.median(t for t, _ in times) * 1000:.2f} "
          f"ms; ratio {worst / statistics.median(t for t, _ in times):.0f}")
    print(f"  builds of 100 pages that raised: {len(build_failures)}")
    for failure in build_failures[:10]:
        print(f"    {failure}")


if __name__ == "__main__":
    main()
