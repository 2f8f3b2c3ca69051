#!/usr/bin/env python3
"""Generation benchmark: wall time, pages/s and peak memory of `docmock generate`, cold, warm and after one
page changed, next to markdown-it-py alone parsing the same pages (the floor for a Markdown-based parser),
measured in the same run.

    python bench/generate.py [--pages DIR] [--clones 36] [--repeat 3]

Without --pages it builds the synthetic full-size corpus (bench/scale_corpus.py) first. Each figure is the
best of --repeat runs, each run in a fresh interpreter (so imports and the OS cache are as for a user), with
the cache in a temporary folder.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))

import scale_corpus  # noqa: E402

# What `docmock generate` does: incremental with a cache, a full build without one.
_RUN = """
import json, resource, sys, time
started = time.perf_counter()
from generator.incremental import generate
from pathlib import Path
cache = Path(sys.argv[2]) if sys.argv[2] != "-" else None
result = generate([sys.argv[1]], cache_dir=cache, workers=int(sys.argv[3]))
Path(sys.argv[4]).write_text(result.text)
print(json.dumps({"seconds": time.perf_counter() - started, "operations": result.operations,
                  "pages": result.pages, "incremental": result.incremental,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "worker_peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
"""

# markdown-it-py alone, as the issue states the floor (commonmark + tables, every pass), and configured as
# docmock's parser runs it (block structure only: docmock reads inline tokens' raw text, never their children).
_BASELINE = """
import json, sys, time
started = time.perf_counter()
from pathlib import Path
from markdown_it import MarkdownIt
md = MarkdownIt("commonmark").enable("table")
if sys.argv[2] == "blocks":
    md.disable("inline")
pages = sorted(Path(sys.argv[1]).rglob("*.md"))
for page in pages:
    md.parse(page.read_text())
print(json.dumps({"seconds": time.perf_counter() - started, "pages": len(pages)}))
"""


def run(code: str, *args: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code, *args], check=True, capture_output=True, text=True, cwd=REPO)
    return json.loads(out.stdout.strip().splitlines()[-1])


def best(repeat: int, code: str, *args: str, before=None) -> dict:
    results = []
    for _ in range(repeat):
        if before:
            before()
        results.append(run(code, *args))
    return min(results, key=lambda r: r["seconds"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=Path, help="pages to generate from (default: the synthetic corpus)")
    parser.add_argument("--clones", type=int, default=36)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    pages = args.pages
    if pages is None:
        pages = scale_corpus.DEFAULT_OUT
        print(f"building the synthetic corpus: {scale_corpus.build(args.clones, pages)} pages")
    out = Path(tempfile.mkdtemp()) / "openapi.yaml"
    cache = Path(tempfile.mkdtemp())

    def clear_cache() -> None:
        for file in cache.glob("*"):
            file.unlink()

    baseline = best(args.repeat, _BASELINE, str(pages), "full")
    blocks = best(args.repeat, _BASELINE, str(pages), "blocks")
    cold = best(args.repeat, _RUN, str(pages), "-", str(args.workers), str(out))
    cold_one = best(args.repeat, _RUN, str(pages), "-", "1", str(out))
    first = best(1, _RUN, str(pages), str(cache), str(args.workers), str(out), before=clear_cache)
    warm = best(args.repeat, _RUN, str(pages), str(cache), str(args.workers), str(out))
    reference_pages = [p for p in sorted(pages.rglob("*.md")) if p.name != "index.md"]
    page = reference_pages[len(reference_pages) // 2]
    original = page.read_text()
    counter = iter(range(1000))

    def touch() -> None:  # prose: only the page's operation changes
        page.write_text(original.replace("\n\n", f"\n\nEdited {next(counter)}.\n\n", 1))

    def touch_table() -> None:  # a property added to the last table: a schema other pages share changes
        lines = original.split("\n")
        last = max(i for i, line in enumerate(lines) if line.startswith("| "))
        lines.insert(last + 1, f"| Edited{next(counter)} | string | Added by the benchmark. |")
        page.write_text("\n".join(lines))

    try:
        changed = best(args.repeat, _RUN, str(pages), str(cache), str(args.workers), str(out), before=touch)
        changed_table = best(args.repeat, _RUN, str(pages), str(cache), str(args.workers), str(out),
                             before=touch_table)
    finally:
        page.write_text(original)

    n = cold["pages"]
    base = baseline["seconds"]
    print(f"\n{n} pages, {cold['operations']} operations; best of {args.repeat}, each a fresh interpreter")
    print(f"{'run':<44}{'wall s':>8}{'pages/s':>10}{'vs parse':>10}{'peak MB':>9}{'worker MB':>10}")
    rows = [
        ("markdown-it-py parse only (baseline)", baseline),
        ("markdown-it-py, block passes only", blocks),
        (f"cold, no cache, {args.workers} workers", cold),
        ("cold, no cache, 1 worker", cold_one),
        ("cold, filling the cache", first),
        ("warm, nothing changed", warm),
        ("warm, one page's prose changed", changed),
        ("warm, one page's table changed", changed_table),
    ]
    for label, r in rows:
        print(f"{label:<44}{r['seconds']:>8.2f}{n / r['seconds']:>10.0f}{r['seconds'] / base:>9.2f}x"
              f"{r.get('peak_mb', float('nan')):>9.0f}{r.get('worker_peak_mb', float('nan')):>10.0f}"
              f"{'  incremental' if r.get('incremental') else ''}")
    print("\n(wall = interpreter start to the YAML written; 'vs parse' = wall / markdown-it-py alone; peak MB = the"
          "\n main process's peak RSS, worker MB = the largest child process's: page workers, and the forked copy"
          "\n that checks the document, whose RSS counts the pages it shares with the main process)")


if __name__ == "__main__":
    main()
