"""The `docmock serve` command: build the mock from docs or an OpenAPI file, print what it serves, run uvicorn."""
from __future__ import annotations

import contextlib
import gc
import json
import logging
import os
import socket
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from mockserver import DEFAULT_MAX_BODY, MockServerError, create_app, load_spec
from mockserver.state import StateEngine, load_overrides, open_store

DEFAULT_DOCS = Path("docs_src")
# Worker processes rebuild the app from this (JSON): a spec file and the options, see `worker_app`.
_WORKER_CONFIG = "DOCMOCK_WORKER_CONFIG"


def _spec_from_docs(paths: tuple[Path, ...]) -> dict[str, Any]:
    try:
        from generator import DocsError, build_spec  # imported late: serving a spec file must not need it
    except ImportError as exc:
        raise click.ClickException(
            f"the generator is not available ({exc}); pass an OpenAPI file with --spec") from exc
    try:
        result = build_spec(list(paths))
    except DocsError as exc:
        raise click.ClickException(str(exc)) from exc
    for diagnostic in getattr(result, "diagnostics", ()):
        click.echo(diagnostic.format(), err=True)
    return result.spec


@click.command("serve")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--spec", "spec_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Serve this OpenAPI 3.0/3.1 file (JSON or YAML) instead of generating from docs.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=4010, show_default=True, type=int)
@click.option("--seed", default=0, show_default=True, type=int, help="Vary all generated data.")
@click.option("--no-auth", is_flag=True, help="Do not require the credentials the spec declares.")
@click.option("--cors-origin", "cors_origins", multiple=True, default=("*",), show_default=True,
              help="Origin allowed by CORS (repeatable; * allows any).")
@click.option("--max-body", default=DEFAULT_MAX_BODY, show_default=True, type=int,
              help="Largest accepted request body in bytes (larger gets 413).")
@click.option("--credential", "credentials", multiple=True, metavar="VALUE",
              help="Accept only this Authorization header value or API key (repeatable); default: any.")
@click.option("--quiet", is_flag=True, help="No per-request log lines.")
@click.option("--state", "state_option", default="memory", show_default=True, metavar="memory|sqlite:PATH",
              help="Where writes are remembered; a SQLite file keeps them across restarts and shares them "
                   "between workers.")
@click.option("--no-state", is_flag=True, help="Forget writes: every request gets generated data only.")
@click.option("--state-overrides", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="YAML file that adds or corrects the entities and operations inferred for state.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(min=1),
              help="Server processes (needs --state sqlite:PATH, so that they share what clients write).")
def serve(paths: tuple[Path, ...], spec_file: Path | None, host: str, port: int, seed: int, no_auth: bool,
          cors_origins: tuple[str, ...], max_body: int, credentials: tuple[str, ...],
          quiet: bool, state_option: str, no_state: bool, state_overrides: Path | None, workers: int) -> None:
    """Serve a realistic mock of the API documented in PATH... (default: docs_src/) or in --spec FILE."""
    if spec_file is not None and paths:
        raise click.UsageError("give either docs PATHs or --spec, not both")
    if workers > 1 and not no_state and not state_option.lower().startswith("sqlite:"):
        raise click.UsageError("--workers needs --state sqlite:PATH (or --no-state): workers share state only "
                               "through a SQLite file")
    options = {"seed": seed, "auth": not no_auth, "cors_origins": list(cors_origins), "max_body": max_body,
               "credentials": list(credentials), "quiet": quiet,
               "state": None if no_state else state_option,
               "overrides": str(state_overrides) if state_overrides else None}
    try:
        if spec_file is None:
            spec = _spec_from_docs(paths or (DEFAULT_DOCS,))  # parsing pages makes garbage: collect as usual
        with _collector_paused():
            if spec_file is not None:
                spec = load_spec(spec_file)
            app = _build_app(spec, options)
    except MockServerError as exc:
        raise click.ClickException(str(exc)) from exc
    for line in app.report.lines():
        click.echo(line)
    click.echo(f"Serving on http://{host}:{port}/  (spec at /openapi.json, index at /)"
               + (f" with {workers} workers" if workers > 1 else ""))
    logging.basicConfig(level=logging.WARNING if quiet else logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(message)s")
    import uvicorn  # imported here so `docmock --help` stays fast

    if workers == 1:
        uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False, lifespan="on")
        return
    # Workers import the app by name, so they rebuild it from a spec file written once here.
    _bind_with_nodelay(uvicorn)
    with tempfile.TemporaryDirectory(prefix="docmock-") as folder:
        spec_path = Path(folder) / "openapi.json"
        spec_path.write_text(json.dumps(spec), encoding="utf-8")
        os.environ[_WORKER_CONFIG] = json.dumps({"spec": str(spec_path), **options})
        uvicorn.run("docmock.serve:worker_app", factory=True, host=host, port=port, workers=workers,
                    log_level="warning", access_log=False, lifespan="on")


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Load the spec and build the app with the cyclic garbage collector paused, then freeze what was built.

    Start-up allocates millions of objects that live as long as the server (the parsed spec, routes, the state
    inference) and leaves next to no cyclic garbage, yet every burst of allocations made the collector walk
    all of them again: about 0.8 s of a 3,300-operation start-up. Frozen, they are also skipped by every
    collection while the server runs.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
        gc.freeze()
    finally:
        if enabled:
            gc.enable()


def _bind_with_nodelay(uvicorn: Any) -> None:
    """With --workers, uvicorn binds the listening socket with protocol 0, so asyncio never sets TCP_NODELAY on
    the connections and every keep-alive answer waits ~40 ms for a delayed ACK (uvicorn issue 3149). Rebinding
    the same descriptor as a TCP socket restores 1 ms answers; bench/serve.py measures both."""
    original = uvicorn.config.Config.bind_socket

    def bind_socket(self: Any) -> socket.socket:
        sock = original(self)
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            sock = socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())
        return sock

    uvicorn.config.Config.bind_socket = bind_socket


def _build_app(spec: dict[str, Any], options: dict[str, Any]) -> Any:
    state = None
    if options["state"] is not None:
        overrides = load_overrides(options["overrides"]) if options["overrides"] else None
        state = StateEngine.from_spec(spec, open_store(options["state"]), overrides)
    return create_app(spec, seed=options["seed"], auth=options["auth"], cors_origins=options["cors_origins"],
                      max_body=options["max_body"], credentials=options["credentials"], state=state)


def worker_app() -> Any:
    """The app of one worker process (`--workers N`): built from the configuration the parent wrote."""
    config = json.loads(os.environ[_WORKER_CONFIG])
    logging.basicConfig(level=logging.WARNING if config["quiet"] else logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(process)d %(message)s")
    with _collector_paused():
        return _build_app(load_spec(Path(config.pop("spec"))), config)
