#!/usr/bin/env python3
"""`docmock diff` benchmark: loading and comparing two full-size specs (3,348 operations each), in process, next
to json.loads of the same two files alone (the floor: docmock cannot compare documents it has not parsed),
measured in the same run; and the whole command in a fresh interpreter, next to `docmock --help`.

The old spec is generated from the synthetic corpus (bench/scale_corpus.py), the new one from a copy of it with
real edits of five clones' Batch pages: a carrier property removed, an enum value added, a query parameter made
required, an operation page added, a carrier renamed. Both are generated once into $DOCMOCK_BENCH_DIR
(/tmp/docmock-bench), and again when the corpus is newer. Each figure is the best of --repeat runs.

    .venv/bin/python bench/diff.py [--repeat 5]
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import scale_corpus  # noqa: E402

WORK = Path(os.environ.get("DOCMOCK_BENCH_DIR", "/tmp/docmock-bench"))
OLD_SPEC, NEW_SPEC = WORK / "diff-old.json", WORK / "diff-new.json"
EDITED = WORK / "diff-edited-corpus"
DOCMOCK = REPO / ".venv" / "bin" / "docmock"
TARGET_S = 1.0


def _pages(clone: int) -> Path:
    return EDITED / "docs" / "api" / "api-reference" / "restful" / "rest" / f"BatchK{clone}"


def _replace(page: Path, old: str, new: str) -> int:
    text = page.read_text(encoding="utf-8")
    page.write_text(text.replace(old, new), encoding="utf-8")
    return text.count(old)


def edit_corpus() -> list[str]:
    """Copies the corpus and edits it as a writer would; returns what was done, for the printout."""
    if EDITED.exists():
        shutil.rmtree(EDITED)
    shutil.copytree(scale_corpus.DEFAULT_OUT, EDITED)
    done = []
    row, sample = re.compile(r"^\| Description \|[^\n]*\n", re.M), re.compile(r'\n\s*"Description": [^\n]*?,(?=\n)')
    touched = 0
    # The carrier is documented on the resource's REST pages and its agent's: the property goes from both.
    agent = EDITED / "docs" / "api" / "api-reference" / "restful" / "agent" / "BatchK1_Agent"
    for page in [*_pages(1).glob("*.md"), *agent.glob("*.md")]:
        text = page.read_text(encoding="utf-8")
        edited = sample.sub("", row.sub("", text))
        touched += edited != text
        page.write_text(edited, encoding="utf-8")
    done.append(f"BatchK1: property Description removed from {touched} pages")
    n = _replace(_pages(2) / "v1BatchK2_GetBatchTaskK2InfosByState.md", "Failed, All |", "Failed, All, Paused |")
    done.append(f"BatchK2: enum value Paused added ({n} table)")
    n = _replace(_pages(3) / "v1BatchK3_GetAll.md", "|  Number of rows to return in results |",
                 "|  Number of rows to return in results **Required** |")
    done.append(f"BatchK3: query parameter $top made required ({n} row)")
    stop, pause = _pages(4) / "v1BatchK4_StopBatchK4Job.md", _pages(4) / "v1BatchK4_PauseBatchK4Job.md"
    pause.write_text(stop.read_text(encoding="utf-8").replace("v1BatchK4_StopBatchK4Job", "v1BatchK4_PauseBatchK4Job")
                     .replace("/{id}/Stop", "/{id}/Pause"), encoding="utf-8")
    done.append("BatchK4: operation page added (POST .../{id}/Pause)")
    for page in _pages(5).glob("*.md"):
        text = page.read_text(encoding="utf-8")
        page.write_text(re.sub(r"\b([Bb])atchTaskK5Info\b", r"\1atchTaskK5Details", text), encoding="utf-8")
    done.append("BatchK5: carrier BatchTaskK5Info renamed BatchTaskK5Details")
    return done


def ensure_specs() -> list[str]:
    corpus = scale_corpus.DEFAULT_OUT
    if not corpus.exists():
        print(f"building the synthetic corpus: {scale_corpus.build(36, corpus)} pages", flush=True)
    fresh = all(p.exists() and p.stat().st_mtime >= corpus.stat().st_mtime for p in (OLD_SPEC, NEW_SPEC))
    edits = edit_corpus() if not fresh else ["(specs generated earlier; delete them to regenerate)"]
    if fresh:
        return edits
    from generator import build_spec
    from generator.render import to_json

    WORK.mkdir(parents=True, exist_ok=True)
    for source, target in ((corpus, OLD_SPEC), (EDITED, NEW_SPEC)):
        print(f"generating {target} from {source} (once) ...", flush=True)
        target.write_text(to_json(build_spec([source]).spec), encoding="utf-8")
    return edits


def best(repeat: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def subprocess_best(repeat: int, *args: str) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run([str(DOCMOCK), *args], cwd=REPO, capture_output=True, check=False)
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    for line in ensure_specs():
        print(f"  edit: {line}")

    from docmock.diff import compare_documents
    from docmock.diff.command import run
    from generator.collector import without_cycle_collection

    texts = [OLD_SPEC.read_bytes(), NEW_SPEC.read_bytes()]
    sizes = ", ".join(f"{len(t) / 1e6:.1f} MB" for t in texts)

    def json_only() -> None:
        for text in texts:
            json.loads(text)

    def json_paused() -> None:
        with without_cycle_collection():
            json_only()

    with without_cycle_collection():
        old, new = json.loads(texts[0]), json.loads(texts[1])
    report = compare_documents(old, new)
    ops = sum(1 for item in old["paths"].values() for m in item if m in ("get", "put", "post", "delete", "patch"))

    floor = best(args.repeat, json_only)
    floor_paused = best(args.repeat, json_paused)
    compare = best(args.repeat, lambda: compare_documents(old, new))
    whole = best(args.repeat, lambda: run(str(OLD_SPEC), str(NEW_SPEC)))
    cli = subprocess_best(max(1, args.repeat // 2), "diff", str(OLD_SPEC), str(NEW_SPEC), "--format", "json")
    cli_help = subprocess_best(max(1, args.repeat // 2), "--help")

    print(f"\ntwo specs of {ops} operations ({sizes}); the diff finds {report.changes} change(s) in "
          f"{len(report.operations)} operation(s), {report.breaking} breaking")
    for op in report.operations:
        print(f"  {op.label}: " + ", ".join(sorted({c.id for c in op.changes})))
    print(f"\n{'':44} {'best (s)':>9} {'/ json.loads':>13}")
    rows = [
        ("baseline: json.loads of both files", floor),
        ("json.loads of both, cycle collector paused", floor_paused),
        ("compare_documents alone (parsed documents)", compare),
        ("docmock diff in process: load both + compare", whole),
        ("`docmock diff` command (fresh interpreter)", cli),
        ("`docmock --help` (interpreter + CLI import)", cli_help),
    ]
    for name, seconds in rows:
        print(f"{name:44} {seconds:9.3f} {seconds / floor:12.2f}x")
    verdict = "within" if whole <= TARGET_S else "OVER"
    print(f"\nload + compare in process: {whole:.3f} s, {verdict} the {TARGET_S:.0f} s target")


if __name__ == "__main__":
    main()
