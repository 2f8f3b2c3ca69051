#!/usr/bin/env python3
"""Edit-to-served benchmark of `docmock serve --watch`: from the write of a docs page to the moment the server
serves the version built from it, for every kind of single-page edit, next to a cold build of the same docs
measured in the same run.

    python bench/watch.py [--clones 36] [--edits 20] [--kinds prose,row-added,...]

Without an existing copy it builds the synthetic full-size corpus (bench/scale_corpus.py, 3,600 pages), copies
it to a temporary folder, starts `docmock serve COPY --watch` on a free port, and edits the copy. "Served"
is when `GET /__docmock/version` names the new version: the swap, after which every answer comes from it.
Each edit waits for its version before the next one is made.
"""
from __future__ import annotations

import argparse
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
sys.path.insert(0, str(REPO))

import scale_corpus  # noqa: E402

DOCMOCK = Path(sys.executable).with_name("docmock")
ROW = "| Name | string | Name of the task. |"


class Docs:
    """The copy being edited, and one edit of each kind: `apply(n)` makes the n-th edit of that kind."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.page = next(root.rglob("v1BatchK7_GetBatchTaskK7Info.md"))
        self.overview = self.page.parent / "index.md"
        self.original = self.page.read_text(encoding="utf-8")

    def _rewrite(self, path: Path, change: Callable[[str], str]) -> None:
        path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")

    def prose(self, n: int) -> None:
        a, b = "Get a single BatchTaskK7Info", "Fetch one BatchTaskK7Info"
        old, new = (a, b) if n % 2 == 0 else (b, a)
        self._rewrite(self.page, lambda t: t.replace(old, new, 1))

    def row_added(self, n: int) -> None:
        self._rewrite(self.page, lambda t: t.replace(ROW, f"{ROW}\n| Extra{n} | string | Added. |", 1))

    def row_removed(self, n: int) -> None:
        self._rewrite(self.page, lambda t: t.replace(f"\n| Extra{n} | string | Added. |", "", 1))

    def type_changed(self, n: int) -> None:
        # The path parameter: the carrier's properties are documented on several pages, whose tables win.
        old, new = ("| id | int32 |", "| id | string |") if n % 2 == 0 else ("| id | string |", "| id | int32 |")
        self._rewrite(self.page, lambda t: t.replace(old, new, 1))

    def page_added(self, n: int) -> None:
        text = self.original.replace("/api/v1/BatchTaskK7/{id}", f"/api/v1/BatchTaskK7/{{id}}/Copy{n}") \
            .replace("id: v1BatchK7_GetBatchTaskK7Info", f"id: v1BatchK7_Copy{n}")
        (self.page.parent / f"v1BatchK7_Copy{n}.md").write_text(text, encoding="utf-8")

    def page_deleted(self, n: int) -> None:
        (self.page.parent / f"v1BatchK7_Copy{n}.md").unlink()

    def page_renamed(self, n: int) -> None:
        source = self.page if n % 2 == 0 else self.page.with_name("v1BatchK7_Renamed.md")
        target = self.page.with_name("v1BatchK7_Renamed.md") if n % 2 == 0 else self.page
        source.rename(target)

    def overview_edited(self, n: int) -> None:
        # The overview's description is its tag's description in the document.
        if n == 0:
            self._rewrite(self.overview, lambda t: t.replace("\n* [", "\nBatch tasks (0).\n\n* [", 1))
        else:
            self._rewrite(self.overview, lambda t: t.replace(f"Batch tasks ({n - 1}).", f"Batch tasks ({n}).", 1))


# Pairs undo each other, so every kind starts from the same docs: added then deleted, and so on.
KINDS = ("prose", "row_added", "row_removed", "type_changed", "page_added", "page_deleted", "page_renamed",
         "overview_edited")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def served_version(client: httpx.Client, base: str, workers: int) -> tuple[int, str | None]:
    """The version every server process serves (the lowest of them), asking until each has answered."""
    if workers == 1:
        body = client.get("/__docmock/version").json()
        return body["version"], body["reloadFailed"]
    seen: dict[int, tuple[int, str | None]] = {}
    while len(seen) < workers:  # a new connection each time: the kernel spreads them over the processes
        body = httpx.get(f"{base}/__docmock/version").json()
        seen[body["process"]] = (body["version"], body["reloadFailed"])
    return min(seen.values(), key=lambda answer: answer[0])


def measure(client: httpx.Client, base: str, workers: int, edit: Callable[[int], None], n: int,
            timeout: float = 30.0) -> float:
    before, _ = served_version(client, base, workers)
    started = time.perf_counter()
    edit(n)
    while True:
        version, failed = served_version(client, base, workers)
        if version != before:
            return time.perf_counter() - started
        if failed or time.perf_counter() - started > timeout:
            raise SystemExit(f"edit {n} was not served: {failed or 'timeout'}")
        time.sleep(0.01)


def cold_build(root: Path) -> float:
    code = ("import sys, time; from generator.session import DocsSession; s = DocsSession([sys.argv[1]]); "
            "t = time.perf_counter(); s.build(); print(time.perf_counter() - t)")
    out = subprocess.run([sys.executable, "-c", code, str(root)], check=True, capture_output=True, text=True, cwd=REPO)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clones", type=int, default=36)
    parser.add_argument("--edits", type=int, default=20, help="edits of each kind")
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--workers", type=int, default=1, help="server processes (with --state sqlite:)")
    args = parser.parse_args()
    source = scale_corpus.DEFAULT_OUT
    if not source.exists():
        scale_corpus.build(args.clones, source)
    with tempfile.TemporaryDirectory(prefix="docmock-watch-") as folder:
        root = Path(folder) / "docs"
        shutil.copytree(source, root)
        pages = sum(1 for _ in root.rglob("*.md"))
        cold = cold_build(root)
        port = free_port()
        log = open(Path(folder) / "server.log", "wb")
        workers = ["--workers", str(args.workers), "--state", f"sqlite:{folder}/state.db"] if args.workers > 1 else []
        server = subprocess.Popen([str(DOCMOCK), "serve", str(root), "--watch", "--no-auth", "--quiet",
                                   "--port", str(port), *workers], stdout=log, stderr=subprocess.STDOUT, cwd=folder)
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 120
            while True:
                try:
                    httpx.get(f"{base}/__docmock/version", timeout=1)
                    break
                except httpx.TransportError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise SystemExit((Path(folder) / "server.log").read_text())
                    time.sleep(0.2)
            docs = Docs(root)
            print(f"{pages} pages; cold build in this run: {cold:.2f} s (DocsSession, 2 workers); "
                  f"{args.workers} server process(es)")
            print(f"{'edit':<16} {'p50 s':>7} {'max s':>7} {'p50/cold':>9}  (n={args.edits})")
            with httpx.Client(base_url=base) as client:
                for kind in args.kinds.split(","):
                    edit = getattr(docs, kind)
                    times = [measure(client, base, args.workers, edit, n) for n in range(args.edits)]
                    p50 = statistics.median(times)
                    print(f"{kind:<16} {p50:7.3f} {max(times):7.3f} {p50 / cold:9.2f}", flush=True)
        finally:
            server.terminate()
            server.wait(timeout=30)
            log.close()


if __name__ == "__main__":
    main()
