"""The `docmock serve` command: build the mock from docs or an OpenAPI file, print what it serves, run uvicorn."""
from __future__ import annotations

import contextlib
import ctypes
import gc
import ipaddress
import json
import logging
import os
import signal
import socket
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from mockserver import DEFAULT_MAX_BODY, Config, ConfigError, Latency, MockServerError, create_app, load_spec
from mockserver.config import (DEFAULT_ANSWER_CACHE_MB, DEFAULT_BODY_TIMEOUT, DEFAULT_HEADER_TIMEOUT,
                               DEFAULT_IDLE_TIMEOUT, DEFAULT_JOURNAL_SIZE, DEFAULT_MAX_CONNECTIONS)
from mockserver.state.lifecycle import parse_duration
from mockserver.state.store import MIN_SESSION_TTL

DEFAULT_DOCS = Path("docs_src")
OVERRIDES_NAME = "docmock.overrides.yaml"  # an overrides file kept in the docs folder is read without --overrides
# Worker processes rebuild the app from this (JSON): the spec file and the Config, see `worker_app`.
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


def _watched_source(paths: tuple[Path, ...], spec_file: Path | None) -> tuple[Any, dict[str, Any]]:
    """What `--watch` follows, and its first document (diagnostics printed as without --watch)."""
    from docmock.watch import DocsSource, SpecSource

    if spec_file is not None:
        return SpecSource(spec_file), load_spec(spec_file)
    try:
        source = DocsSource(paths)
        spec, lines = source.first()
    except ImportError as exc:
        raise click.ClickException(
            f"the generator is not available ({exc}); pass an OpenAPI file with --spec") from exc
    except Exception as exc:
        from generator import DocsError

        if isinstance(exc, DocsError):
            raise click.ClickException(str(exc)) from exc
        raise
    for line in lines:
        click.echo(line, err=True)
    return source, spec


def _latency(ctx: click.Context, param: click.Parameter, value: str | None) -> Latency | None:
    if value is None:
        return None
    try:
        return Latency.parse(value)
    except ConfigError as exc:
        raise click.BadParameter(str(exc)) from None


def _session_ttl(ctx: click.Context, param: click.Parameter, value: str | None) -> float | None:
    if value is None:
        return None
    try:
        seconds = parse_duration(value, "--session-ttl")
    except MockServerError as exc:
        raise click.BadParameter(str(exc).removeprefix("--session-ttl: ")) from None
    if seconds < MIN_SESSION_TTL:
        raise click.BadParameter(f"{value!r} is less than a second")
    return seconds


def _timeout(ctx: click.Context, param: click.Parameter, value: str) -> float:
    name = param.opts[0]
    try:
        seconds = parse_duration(value, name)
    except MockServerError as exc:
        raise click.BadParameter(str(exc).removeprefix(f"{name}: ")) from None
    if seconds <= 0:
        raise click.BadParameter(f"{value!r} is no time at all: it would close every connection at once")
    return seconds


@click.command("serve")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--spec", "spec_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Serve this OpenAPI 3.0/3.1 or Swagger 2.0 file (JSON or YAML) instead of generating from docs.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=4010, show_default=True, type=int)
@click.option("--seed", default=0, show_default=True, type=int, help="Vary all generated data.")
@click.option("--no-auth", is_flag=True, help="Do not require the credentials the spec declares.")
@click.option("--cors-origin", "cors_origins", multiple=True, default=("*",), show_default=True,
              help="Origin allowed by CORS (repeatable; * allows any).")
@click.option("--max-body", default=DEFAULT_MAX_BODY, show_default=True, type=click.IntRange(min=0),
              help="Largest accepted request body in bytes (larger gets 413).")
@click.option("--credential", "credentials", multiple=True, metavar="VALUE",
              help="Accept only this Authorization header value or API key (repeatable); default: any. The "
                   "/__docmock/ endpoints then need one of them too.")
@click.option("--admin-token", metavar="TOKEN", envvar="DOCMOCK_ADMIN_TOKEN", show_envvar=True,
              help="The /__docmock/ endpoints (state, reset, journal) need 'Authorization: Bearer TOKEN'; without "
                   "it or --credential they are open to whoever reaches the port.")
@click.option("--quiet", is_flag=True, help="No per-request log lines.")
@click.option("--state", "state_option", default="memory", show_default=True,
              metavar="memory|sqlite:PATH|redis://HOST:PORT/DB",
              help="Where writes are remembered; a SQLite file keeps them across restarts and shares them "
                   "between workers; Redis shares them (and the request journal) between replicas on any "
                   "number of machines.")
@click.option("--session-ttl", callback=_session_ttl, metavar="DURATION",
              help="Forget a session this long after its last write (30s, 10m, 1h); default: keep it until reset.")
@click.option("--no-state", is_flag=True, help="Forget writes: every request gets generated data only.")
@click.option("--overrides", "--state-overrides", "overrides", type=click.Path(exists=True, dir_okay=False,
                                                                               path_type=Path),
              help="YAML file that corrects the inferred entities and operations, sets lifecycles and faults "
                   f"[default: {OVERRIDES_NAME} in the docs folder, when there is one].")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(min=1),
              help="Server processes (needs --state sqlite:PATH or redis://, so that they share what clients write).")
@click.option("--journal-size", default=DEFAULT_JOURNAL_SIZE, show_default=True, type=click.IntRange(min=0),
              help="How many requests /__docmock/requests remembers (per worker process; shared by every replica "
                   "with --state redis://); 0 turns it off.")
@click.option("--answer-cache", "answer_cache_mb", default=DEFAULT_ANSWER_CACHE_MB, show_default=True,
              type=click.IntRange(min=0), metavar="MB",
              help="Memory for answers to repeated reads, kept until the state changes (per worker process); 0 "
                   "turns it off.")
@click.option("--latency", callback=_latency, metavar="RANGE",
              help="Delay every answer: 100ms, 50..200ms or 1-2s (uniform, seeded). Per request: Prefer: delay=500.")
@click.option("--fault-rate", default=0.0, show_default=True, type=click.FloatRange(0, 1), metavar="SHARE",
              help="Share of requests that fail: a documented error status, or a dropped connection.")
@click.option("--fault-seed", type=int, default=None, help="Seed of the fault sequence [default: --seed].")
@click.option("--proxy", metavar="URL",
              help="Forward every request to this real server; check requests and answers against the spec and "
                   "report violations (log, X-Docmock-Violation headers, journal).")
@click.option("--record", type=click.Path(dir_okay=False, path_type=Path),
              help="With --proxy: append the real answers to this JSON Lines file (credentials and cookies left "
                   "out), for --replay.")
@click.option("--replay", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Answer requests recorded with --record as the real server did (and Prefer: example=recorded-N).")
@click.option("--idle-timeout", default=f"{DEFAULT_IDLE_TIMEOUT:g}s", show_default=True, callback=_timeout,
              metavar="DURATION", help="Close a connection that sends nothing this long after it opens or after an "
                                       "answer (5s, 500ms, 1m).")
@click.option("--header-timeout", default=f"{DEFAULT_HEADER_TIMEOUT:g}s", show_default=True, callback=_timeout,
              metavar="DURATION", help="Answer 408 and close when a request's line and headers are not whole this "
                                       "long after their first byte.")
@click.option("--body-timeout", default=f"{DEFAULT_BODY_TIMEOUT:g}s", show_default=True, callback=_timeout,
              metavar="DURATION", help="Answer 408 and close when a request's body is not whole this long after its "
                                       "headers.")
@click.option("--max-connections", default=DEFAULT_MAX_CONNECTIONS, show_default=True, type=click.IntRange(min=1),
              help="Open connections per server process; a new one beyond closes the longest idle, or gets 503 when "
                   "every one has a request in flight.")
@click.option("--watch", is_flag=True,
              help="Rebuild when the docs (or the --spec file) change and serve the new version from the next "
                   "request on; a change that does not build leaves the last good version serving.")
def serve(paths: tuple[Path, ...], spec_file: Path | None, host: str, port: int, seed: int, no_auth: bool,
          cors_origins: tuple[str, ...], max_body: int, credentials: tuple[str, ...], admin_token: str | None,
          quiet: bool, state_option: str,
          session_ttl: float | None, no_state: bool, overrides: Path | None, workers: int, journal_size: int,
          answer_cache_mb: int, latency: Latency | None,
          fault_rate: float, fault_seed: int | None, proxy: str | None, record: Path | None,
          replay: Path | None, idle_timeout: float, header_timeout: float, body_timeout: float,
          max_connections: int, watch: bool) -> None:
    """Serve a realistic mock of the API documented in PATH... (default: docs_src/) or in --spec FILE."""
    if spec_file is not None and paths:
        raise click.UsageError("give either docs PATHs or --spec, not both")
    if workers > 1 and not no_state and not state_option.lower().startswith(("sqlite:", "redis", "unix:")):
        raise click.UsageError("--workers needs --state sqlite:PATH or redis://HOST:PORT/DB (or --no-state): workers "
                               "share state only through a SQLite file or Redis")
    if record is not None and proxy is None:
        raise click.UsageError("--record keeps what a real server answers: it needs --proxy URL")
    if session_ttl is not None and no_state:
        raise click.UsageError("--session-ttl forgets sessions of the state: it does nothing with --no-state")
    if replay is not None and proxy is not None:
        raise click.UsageError("--replay answers as the mock; --proxy forwards to a real server: choose one")
    if overrides is None:
        overrides = overrides_beside(paths or (DEFAULT_DOCS,) if spec_file is None else (spec_file.parent,))
        if overrides is not None:
            click.echo(f"Overrides: {overrides} (kept beside the docs; --overrides FILE chooses another)")
    try:
        config = Config(host=host, port=port, workers=workers, access_log=not quiet, seed=seed, auth=not no_auth,
                        credentials=credentials, admin_token=admin_token, cors_origins=cors_origins,
                        max_body=max_body, state=None if no_state else state_option, session_ttl=session_ttl,
                        overrides=str(overrides) if overrides else None,
                        journal_size=journal_size, answer_cache_mb=answer_cache_mb, latency=latency, fault_rate=fault_rate, fault_seed=fault_seed,
                        proxy=proxy, record=str(record) if record else None, replay=str(replay) if replay else None,
                        idle_timeout=idle_timeout, header_timeout=header_timeout, body_timeout=body_timeout,
                        max_connections=max_connections)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from exc
    _check_port(host, port)  # before the build, which may take seconds, and again before serving
    from docmock.connections import fit_descriptors

    fit = fit_descriptors(config.max_connections)  # before workers start: they inherit the limit
    if fit.warning is not None:
        click.echo(fit.warning, err=True)
        config = config.replace(max_connections=fit.max_connections)
    source: Any = None
    try:
        if watch:
            source, spec = _watched_source(paths or (DEFAULT_DOCS,), spec_file)
        elif spec_file is None:
            spec = _spec_from_docs(paths or (DEFAULT_DOCS,))  # parsing pages makes garbage: collect as usual
        with _collector_paused(freeze=not watch):
            if spec_file is not None and not watch:
                spec = load_spec(spec_file)
            app = _build_app(spec, config)
    except MockServerError as exc:
        raise click.ClickException(str(exc)) from exc
    for line in app.report.lines():
        click.echo(line)
    _check_port(host, port)
    if not _loopback(host):
        admin = "the /__docmock/ endpoints need its credentials" if config.admin_token or config.credentials else \
            "read its state and reset it (--admin-token TOKEN guards the /__docmock/ endpoints)"
        click.echo(f"Warning: --host {host} serves every network this machine is on: whoever reaches it can use the "
                   f"mock; {admin}.", err=True)
    click.echo(f"Serving on http://{host}:{port}/  (spec at /openapi.json, index at /)"
               + (f" with {workers} workers" if workers > 1 else "")
               + (f"; watching {', '.join(str(p) for p in source.watched)}" if source is not None else ""))
    _configure_logging(quiet, "%(asctime)s %(message)s")
    import uvicorn  # imported here so `docmock --help` stays fast

    from docmock.connections import LOOP_NAME, PROTOCOL_NAME, GuardedH11Protocol

    # A proxy passes the real server's Date and Server headers on: uvicorn must not add its own beside them.
    # The protocol and the loop guard against slow, idle and surplus connections (docmock/connections.py); the
    # loop goes by name, so that the workers uvicorn spawns build it too. The backlog is what fits the descriptors.
    uvicorn_options = {"server_header": proxy is None, "date_header": proxy is None, "loop": LOOP_NAME,
                       "timeout_keep_alive": config.idle_timeout, "backlog": fit.backlog}
    if workers == 1:
        served: Any = app
        if source is not None:
            from docmock.watch import Reloader
            from mockserver.live import LiveApp

            served = LiveApp(app)
            served.background = Reloader(source, served).run
        GuardedH11Protocol.configure(config)
        uvicorn.run(served, host=host, port=port, log_level="warning", access_log=False, lifespan="on",
                    http=GuardedH11Protocol, **uvicorn_options)
        return
    # Workers import the app by name, so they rebuild it from a spec file written here.
    _bind_with_nodelay(uvicorn)
    with tempfile.TemporaryDirectory(prefix="docmock-") as folder:
        if source is not None:
            from docmock.watch import Publisher

            Publisher(source, Path(folder), spec).start()  # writes openapi-1.json and the status the workers follow
            worker = {"follow": folder}
        else:
            spec_path = Path(folder) / "openapi.json"
            spec_path.write_text(json.dumps(spec, default=str), encoding="utf-8")  # YAML dates load as dates
            worker = {"spec": str(spec_path)}
        os.environ[_WORKER_CONFIG] = json.dumps({**worker, "config": config.to_json(), "parent": os.getpid()})
        uvicorn.run("docmock.serve:worker_app", factory=True, host=host, port=port, workers=workers,
                    log_level="warning", access_log=False, lifespan="on", http=PROTOCOL_NAME, **uvicorn_options)


def _check_port(host: str, port: int) -> None:
    """A port another server holds is a one-line error, before anything says it serves (uvicorn would print
    "address already in use" among log lines, after the start-up report, and exit 3)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise click.ClickException(f"cannot serve on {host}:{port}: {exc.strerror}") from None
    family, _, _, _, address = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds: a closing socket is no reason
        try:
            probe.bind(address)
        except OSError as exc:
            raise click.ClickException(f"cannot serve on {host}:{port}: {exc.strerror or exc}; another server may "
                                       "hold it (choose another with --port)") from None


def _loopback(host: str) -> bool:
    try:
        return all(ipaddress.ip_address(info[4][0]).is_loopback
                   for info in socket.getaddrinfo(host, None, type=socket.SOCK_STREAM))
    except (socket.gaierror, ValueError):
        return False


def overrides_beside(folders: tuple[Path, ...]) -> Path | None:
    """The overrides file kept in a docs folder (or beside a --spec file) under its documented name."""
    for folder in folders:
        candidate = Path(folder) / OVERRIDES_NAME
        if Path(folder).is_dir() and candidate.is_file():
            return candidate
    return None


class _DroppedConnections(logging.Filter):
    """An injected fault drops a connection by ending the answer early; uvicorn reports that as an error of the
    app, which here it is not (the mock's own log line says `fault=drop`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "without completing response" not in record.getMessage()


def _configure_logging(quiet: bool, fmt: str) -> None:
    logging.basicConfig(level=logging.WARNING if quiet else logging.INFO, stream=sys.stderr, format=fmt)
    logging.getLogger("uvicorn.error").addFilter(_DroppedConnections())
    logging.getLogger("watchfiles").setLevel(logging.WARNING)  # the reload summary says what changed


@contextlib.contextmanager
def _collector_paused(freeze: bool = True) -> Iterator[None]:
    """Load the spec and build the app with the cyclic garbage collector paused, then freeze what was built.

    Start-up allocates millions of objects that live as long as the server (the parsed spec, routes, the state
    inference) and leaves next to no cyclic garbage, yet every burst of allocations made the collector walk
    all of them again: about 0.8 s of a 3,300-operation start-up. Frozen, they are also skipped by every
    collection while the server runs. Not with `--watch` (`freeze=False`): the first app is replaced by the
    first reload, and frozen objects are never collected.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
        if freeze:
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


def _build_app(spec: dict[str, Any], config: Config) -> Any:
    return create_app(spec, config)


def worker_app() -> Any:
    """The app of one worker process (`--workers N`): built from the spec file and Config the parent wrote."""
    data = json.loads(os.environ[_WORKER_CONFIG])
    _die_with(data.get("parent"))
    config = Config.from_json(data["config"])
    _configure_logging(not config.access_log, "%(asctime)s %(process)d %(message)s")
    from docmock.connections import GuardedH11Protocol

    # uvicorn calls this before the worker accepts: its connections get this process's limits.
    GuardedH11Protocol.configure(config)
    try:
        return _worker_app(data, config)
    except MockServerError as exc:  # a worker started again while Redis is down: one line, not a traceback
        click.echo(f"worker {os.getpid()}: Error: {exc}", err=True)
        sys.exit(1)


def _die_with(parent: int | None) -> None:
    """Ask Linux to stop this worker when the process that started it dies, however it dies: a `kill -9` of
    `docmock serve` would otherwise leave its workers serving, holding the port, with nobody to stop them."""
    if parent is None or parent == os.getpid() or not sys.platform.startswith("linux"):
        return  # (the same process: the app built in process, as the tests do)
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # it died before the request was made
        os.kill(os.getpid(), signal.SIGTERM)


_PR_SET_PDEATHSIG = 1


def _worker_app(data: dict[str, Any], config: Config) -> Any:
    if "follow" not in data:
        with _collector_paused():
            return _build_app(load_spec(Path(data["spec"])), config)
    from docmock.watch import follow_status, newest_spec
    from mockserver.live import LiveApp

    # A worker started again later (uvicorn replaces one that died) starts from the newest version.
    spec_file, version = newest_spec(Path(data["follow"]))
    with _collector_paused(freeze=False):
        app = _build_app(load_spec(spec_file), config)
    live = LiveApp(app)
    live.generation = version
    live.background = follow_status(Path(data["follow"]), live)
    return live
