#!/usr/bin/env python3
"""Where a big record's request spends its time: `docmock serve` sampled by py-spy under wrk load.

Serves the corpus's spec (state in memory), loads `GET /api/v1/Person/{id}` with ids 1..5000 in turn (a 14 KB
PersonEntity each; `--path` for another), samples the server with py-spy, and splits the samples into the
stages of a request: receiving it (uvicorn's HTTP parsing), routing and checking it, the state overlay, making
the record (generation), `$select`, writing the answer (JSON or XML), sending it (the ASGI send down to the
socket) and the rest (event loop, layers, the journal). `--against REF` samples another git revision the same
way, in the same run, so the two breakdowns compare.

    .venv/bin/python bench/profile_record.py [--seconds 6] [--against REF] [--path /api/v1/Person/{id}]

Needs wrk (apt-get install -y wrk) and py-spy (`pip install -e ".[bench]"`); py-spy needs ptrace rights
(root, or kernel.yama.ptrace_scope=0).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from serve import (AUTH, PYTHON, REPO, _await_200, _export, _free_port, _lua, _stop,  # noqa: E402
                   big_spec)

# A sample belongs to the first stage (in this order) one of whose markers is in one of its frames.
STAGES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("send (ASGI send, h11, socket)", ("send_reply", "RequestResponseCycle.send", "_SelectorSocketTransport.write")),
    ("write the answer (JSON, XML)", ("xmlcodec", "jsoncodec", "json/encoder", "orjson", "responses.py:2",
                                      "render (")),
    ("$select", ("apply_select",)),
    ("make the record (generation)", ("fakedata", "docmock generator", "GeneratedData.value", "random.py")),
    ("state overlay (engine, store, caches)", ("state/engine", "state/store", "state/records", "stateful")),
    ("route and check (router, validation, auth)", ("routing", "validation", "auth.py", "Validate", "Authorize",
                                                    "negotiation")),
    ("receive (HTTP parsing)", ("data_received", "h11/_readers", "h11/_connection.py:4", "next_event")),
)
OTHER = "the rest (event loop, layers, journal)"


def _tool(name: str) -> str:
    """A command on the PATH, or installed beside this Python (py-spy from `pip install -e ".[bench]"`)."""
    return shutil.which(name) or str(Path(sys.executable).with_name(name))


def stage_of(frames: list[str]) -> str:
    for stage, markers in STAGES:
        if any(marker in frame for frame in frames for marker in markers):
            return stage
    return OTHER


def sample(code: Path, spec: Path, path: str, accept: str | None, seconds: float) -> tuple[Counter[str], float]:
    """py-spy's samples of one server (importing `code`), by stage, and the req/s wrk measured meanwhile."""
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(code)}
    server = subprocess.Popen([str(PYTHON), "-c", "from docmock.cli import main; main()", "serve", "--spec",
                               str(spec), "--quiet", "--port", str(port)], cwd=code, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    folder = Path(tempfile.mkdtemp(prefix="docmock-profile-"))
    try:
        _await_200(server, port, path.replace("{id}", "1"))
        headers = {"Authorization": AUTH, **({"Accept": accept} if accept else {})}
        script = folder / "load.lua"
        script.write_text(
            f"local counter = 0\nrequest = function()\n  counter = counter % 5000 + 1\n"
            f"  return wrk.format('GET', ({_lua(path)}):gsub('{{id}}', tostring(counter)), "
            f"{{{', '.join(f'[{_lua(k)}] = {_lua(v)}' for k, v in headers.items())}}})\nend\n")
        load = subprocess.Popen(["wrk", "-t1", "-c16", f"-d{int(seconds) + 3}s", "-s", str(script),
                                 f"http://127.0.0.1:{port}"], stdout=subprocess.PIPE, text=True)
        time.sleep(1.5)  # past the first requests' compiling
        raw = folder / "raw.txt"
        subprocess.run([_tool("py-spy"), "record", "--rate", "500", "--duration", str(int(seconds)), "--format", "raw",
                        "--output", str(raw), "--pid", str(server.pid)], check=True, capture_output=True)
        out, _ = load.communicate(timeout=60)
        rps = float(out.split("Requests/sec:")[1].split()[0])
        stages: Counter[str] = Counter()
        for line in raw.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            stages[stage_of(stack.split(";"))] += int(count)
        return stages, rps
    finally:
        _stop(server)
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--against", metavar="REF", help="also profile this git revision, in the same run")
    parser.add_argument("--path", default="/api/v1/Person/{id}")
    parser.add_argument("--accept", help="an Accept header, e.g. application/xml")
    args = parser.parse_args()
    for tool in ("wrk", "py-spy"):
        if not Path(_tool(tool)).exists():
            raise SystemExit(f"{tool} is not on the PATH (see this script's docstring)")
    folder = Path(tempfile.mkdtemp(prefix="docmock-profile-spec-"))
    trees = {"working tree": REPO}
    try:
        spec = folder / "big.json"
        spec.write_text(json.dumps(big_spec()))
        if args.against:
            trees[args.against] = _export(args.against)
        results = {name: sample(code, spec, args.path, args.accept, args.seconds) for name, code in trees.items()}
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        for name, code in trees.items():
            if code != REPO:
                shutil.rmtree(code, ignore_errors=True)
    # The server is saturated (one process, one core): a stage's share of the samples times the time per
    # request is its cost per request.
    print(f"\n== Where the time of GET {args.path} goes: share of the server's samples (py-spy under wrk load), "
          "and microseconds per request")
    names = list(results)
    print(f"{'stage':<46}" + "".join(f"{name:>22}" for name in names))
    for stage in [s for s, _ in STAGES] + [OTHER]:
        cells = ""
        for n in names:
            share = results[n][0][stage] / max(1, sum(results[n][0].values()))
            cells += f"{100 * share:>12.1f}% {share * 1e6 / results[n][1]:>6.0f} us"
        print(f"{stage:<46}{cells}")
    print(f"{'req/s under the profiler':<46}" + "".join(f"{results[n][1]:>22.0f}" for n in names))


if __name__ == "__main__":
    main()
