"""`docmock serve --watch`: rebuild the mock whenever the docs (or the spec file) change and serve the new
version from the next request on; a version that does not build leaves the last good one serving.

One process: the watcher runs on the server's event loop and builds each version in a thread beside the
running app (`LiveApp`). With `--workers N`, the parent process watches and builds the document and
publishes each version (what changed, then the whole document, named by a `status.json`); every worker
follows it and rebuilds its own app (`Publisher`, `follow_status`).
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from generator.collector import without_cycle_collection
from mockserver import MockServerError, load_spec
from mockserver.app import MockApp
from mockserver.live import LiveApp
from mockserver.reloading import Changes, RefIndex, apply_delta, document_changes, share_unchanged, spec_delta

logger = logging.getLogger("docmock.reload")
# watchfiles yields a batch once no new change came for this long: editors write a file in a few steps.
_STEP_MS = 30
STATUS_FILE = "status.json"
_FULL_AFTER = 0.5  # seconds between a version's delta and its whole document (see Publisher.publish)


@dataclass(frozen=True, slots=True)
class Version:
    """A newly loaded document, or why none could be: `failure` is the text to print and to show on `/`."""

    spec: dict[str, Any] | None
    notes: tuple[str, ...] = ()  # diagnostics that are new since the last version (file:line: ...)
    failure: str | None = None
    unchanged: bool = False


class DocsSource:
    """The document generated from docs folders, kept in memory between builds (generator.session)."""

    def __init__(self, paths: tuple[Path, ...]) -> None:
        # Imported here: serving a spec file must not need the generator.
        from generator.pipeline import is_page_name
        from generator.session import DocsSession

        self.paths = paths
        self.session = DocsSession(paths)
        self._is_page_name = is_page_name
        self._said: set[str] = set()
        self._errors: set[tuple[str, str]] = set()  # the errors of the last version served: not new ones
        self._reference_pages: frozenset[str] = frozenset()  # the pages that documented an operation then
        # The session's last build when it was refused (an edit broke a page), and why: the session compares
        # the next build with it, so "unchanged" then means "still broken".
        self._refused: tuple[dict[str, Any], str] | None = None

    def first(self) -> tuple[dict[str, Any], list[str]]:
        """The first document and every diagnostic about it (raises DocsError)."""
        build = self.session.build()
        lines = [d.format() for d in build.diagnostics]
        self._served(build.diagnostics, lines)
        return build.spec, lines

    def load(self, modified: list[str] | None = None) -> Version:
        """The next version; `modified`: the only files that may have changed, all modified in place."""
        from generator import DocsError

        try:
            build = self.session.build(modified)
        except DocsError as exc:
            return Version(None, failure=str(exc))
        if build.unchanged:
            if self._refused is not None and self._refused[0] is build.spec:
                return Version(None, failure=self._refused[1])
            return Version(build.spec, unchanged=True)
        lines = [d.format() for d in build.diagnostics]
        new = tuple(line for line in lines if line not in self._said)
        # A page that no longer reads (front matter, no endpoint line) drops out of the document: serving
        # that would remove its operation because of a typo. The last good version stays until it is fixed.
        broken = _errors(build.diagnostics) - self._errors
        # A page that documented an operation and, still there, documents none (saved empty, or half-way
        # through a save) would take that operation out of the mock too.
        emptied = sorted((self._reference_pages - self.session.reference_pages) & self.session.displays)
        if broken or emptied:
            failure = "\n".join([*(d.format() for d in build.diagnostics if (d.path, d.message) in broken),
                                  *(f"{display}: documents no operation any more "
                                    f"({'; '.join(d.message for d in build.diagnostics if d.path == display) or 'empty'})"
                                    for display in emptied)])
            self._refused = (build.spec, failure)
            return Version(None, tuple(line for line in new if line not in failure), failure=failure)
        self._served(build.diagnostics, lines)
        return Version(build.spec, new)

    def _served(self, diagnostics: Any, lines: list[str]) -> None:
        """Remember what the version about to be served said, to tell what a later build says anew."""
        self._said, self._refused = set(lines), None
        self._errors, self._reference_pages = _errors(diagnostics), self.session.reference_pages

    def accepts(self, path: str) -> bool:
        # A page, a folder added, or a folder moved away (it is not there any more: its one event names it).
        name = os.path.basename(path)
        return self._is_page_name(name) or (not name.startswith(".") and (os.path.isdir(path) or
                                                                            not os.path.exists(path)))

    @property
    def watched(self) -> tuple[Path, ...]:
        return self.paths

    recursive = True


def _errors(diagnostics: Any) -> set[tuple[str, str]]:
    return {(d.path, d.message) for d in diagnostics if d.severity.value == "error"}


class SpecSource:
    """An OpenAPI (or Swagger 2.0) file, loaded again whenever it is written."""

    def __init__(self, path: Path) -> None:
        self.path = path.resolve()

    def load(self, modified: list[str] | None = None) -> Version:
        try:
            return Version(load_spec(self.path))
        except MockServerError as exc:
            return Version(None, failure=str(exc))

    def accepts(self, path: str) -> bool:
        return Path(path).resolve() == self.path

    @property
    def watched(self) -> tuple[Path, ...]:
        return (self.path.parent,)

    recursive = False  # the folder the spec file is in, not the tree below it (.git, node_modules ...)


Source = DocsSource | SpecSource


@dataclass(frozen=True, slots=True)
class Reload:
    """What one reload did: the app to serve (None: keep the running one), and what to tell the user."""

    app: MockApp | None
    lines: tuple[str, ...]
    failure: str | None = None  # why the newest version is not served


class Reloader:
    """Builds the next version of the served app beside the running one."""

    def __init__(self, source: Source, live: LiveApp) -> None:
        self.source = source
        self.live = live

    def build(self, modified: list[str] | None = None) -> Reload:
        """Runs in a thread: load the source, build the new app (keeping what is unchanged), and describe it.
        `modified`: what the watcher saw, when it saw only files modified in place."""
        started = time.perf_counter()
        current = self.live.app
        version = _next_version(self.source, current.spec, modified)
        if version.failure is not None:
            return Reload(None, (*version.notes, _failed(version.failure)), version.failure)
        if version.unchanged:
            return Reload(None, version.notes)
        spec = version.spec
        with without_cycle_collection():
            try:
                app = current.reloaded(spec)
            except MockServerError as exc:
                return Reload(None, (*version.notes, _failed(str(exc))), str(exc))
        changes = app.changes if app.changes is not None else document_changes(current.spec, spec, app.refs)
        return Reload(app, (*version.notes, _summary(changes, time.perf_counter() - started), *app.reload_notes))

    async def run(self) -> None:
        """Watch until cancelled; each batch of changes is one reload."""
        import watchfiles

        # What a reload asks of every operation (the schemas it names), worked out beside the watching.
        asyncio.get_running_loop().run_in_executor(None, self.live.app.warm_up)
        armed = False
        # The first yield (a change, or a second without one) comes once the watcher is armed: the docs are
        # checked then, so that an edit saved while the server was starting is not missed.
        async for changes in watchfiles.awatch(*self.source.watched, watch_filter=self._relevant, step=_STEP_MS,
                                               debounce=1600, rust_timeout=1000, yield_on_timeout=True,
                                               recursive=self.source.recursive):
            if not changes and armed:
                continue
            armed = True
            try:
                reload = await asyncio.to_thread(self.build, _modified_only(changes))
            except Exception as exc:  # a bug, not a broken page: say so, and go on watching
                logger.exception("reload failed")
                reload = Reload(None, (_failed(f"{type(exc).__name__}: {exc}"),), f"{type(exc).__name__}: {exc}")
            if reload.app is not None:
                self.live.swap(reload.app)
            elif reload.failure is not None or self.live.app.reload_failure is not None:
                self.live.app.reload_failed(reload.failure)  # or, back to what is served: no longer failing
            _echo(reload.lines)
            if reload.app is not None:
                _echo(tuple(await asyncio.to_thread(reload.app.forget_gone_entities)))

    def _relevant(self, change: Any, path: str) -> bool:
        return self.source.accepts(path)


def _next_version(source: Source, served: dict[str, Any], modified: list[str] | None) -> Version:
    """The source's next version, its document sharing every unchanged part with the one `served`;
    `unchanged` when it is that one (or the source saw no change), `failure` when it cannot be served."""
    with without_cycle_collection():
        version = source.load(modified)
        if version.spec is None:
            return Version(None, version.notes, version.failure or "reload failed")
        if version.unchanged:
            return version
        spec = share_unchanged(served, version.spec)
        return Version(spec, version.notes, unchanged=spec is served)


def _modified_only(changes: set[tuple[Any, str]]) -> list[str] | None:
    """The paths of a batch of changes when every one is a file modified in place (the folders need no new
    walk), else None."""
    import watchfiles

    if not changes or any(change != watchfiles.Change.modified for change, _ in changes):
        return None
    return sorted(path for _, path in changes)


_FAILED = "Reload failed, still serving the last good version:"


def _failed(message: str | None) -> str:
    return f"{_FAILED}\n{message or 'unknown error'}"


def _summary(changes: Changes, seconds: float) -> str:
    schemas = f"; {len(changes.schemas)} schema(s) changed" if changes.schemas else ""
    return f"Reloaded in {seconds:.2f} s: {changes.summary()}{schemas}"


def _echo(lines: tuple[str, ...]) -> None:
    for line in lines:
        click.echo(line)




# -- --workers N: the parent builds, the workers follow ----------------------------------------------------------


class Publisher:
    """In the parent process: watches the source, and writes each good version as `openapi-N.json` beside
    `status.json`, which names the version to serve or says why the newest did not load."""

    def __init__(self, source: Source, folder: Path, spec: dict[str, Any]) -> None:
        self.source = source
        self.folder = folder
        self.spec = spec
        self.generation = 1
        self.failure: str | None = None  # what the last status said
        self.index = RefIndex()
        self.stop = threading.Event()
        self.publish(spec, None)

    def publish(self, spec: dict[str, Any] | None, failure: str | None, delta: dict[str, Any] | None = None) -> None:
        """Tell the workers about a new version (or a failed one). A worker serving the version before gets
        what changed (`delta-N.json`, a few kilobytes) first; the whole document (`openapi-N.json`, for a
        worker further behind, or one started again) is written after the status, off the workers' path."""
        generation = self.generation
        self.failure = failure
        status: dict[str, Any] = {"generation": generation, "spec": f"openapi-{generation}.json", "failure": failure}
        if delta is not None:
            _write_atomically(self.folder / f"delta-{generation}.json", json.dumps(delta, default=str))
            status["delta"], status["base"] = f"delta-{generation}.json", generation - 1
        if spec is not None and delta is None:
            _write_atomically(self.folder / status["spec"], json.dumps(spec, default=str))
        _write_atomically(self.folder / STATUS_FILE, json.dumps(status))
        if spec is not None and delta is not None:
            # Dumping 16 MB takes a tenth of a second of a core the workers need now: it waits a moment, and
            # is skipped when a newer version came meanwhile (a worker that needs it looks again each second).
            timer = threading.Timer(_FULL_AFTER, self._write_full, (generation, spec))
            timer.daemon = True
            timer.start()

    def _write_full(self, generation: int, spec: dict[str, Any]) -> None:
        if generation != self.generation:
            return
        _write_atomically(self.folder / f"openapi-{generation}.json", json.dumps(spec, default=str))
        # A worker may still read the previous ones; the first stays for workers started again (worker_app).
        for old in (f"openapi-{generation - 2}.json", f"delta-{generation - 2}.json"):
            if old != "openapi-1.json":
                (self.folder / old).unlink(missing_ok=True)

    def once(self, modified: list[str] | None = None) -> None:
        started = time.perf_counter()
        version = _next_version(self.source, self.spec, modified)
        if version.failure is not None:
            self.publish(None, version.failure)
            _echo((*version.notes, _failed(version.failure)))
            return
        if version.unchanged:
            if self.failure is not None:  # back to the version served: no longer failing
                self.publish(None, None)
            _echo(version.notes)
            return
        spec = version.spec
        changes = document_changes(self.spec, spec, self.index)
        self.index = RefIndex(self.index)
        delta = spec_delta(self.spec, spec)
        self.spec = spec
        self.generation += 1
        self.publish(spec, None, delta)
        _echo((*version.notes, _summary(changes, time.perf_counter() - started) + " (workers follow)"))

    def run(self) -> None:
        import watchfiles

        armed = False
        for changes in watchfiles.watch(*self.source.watched, watch_filter=lambda c, p: self.source.accepts(p),
                                        step=_STEP_MS, stop_event=self.stop, rust_timeout=1000,
                                        yield_on_timeout=True, recursive=self.source.recursive):
            if not changes and armed:
                continue
            armed = True  # (the first check: see Reloader.run)
            try:
                self.once(_modified_only(changes))
            except Exception as exc:  # the watcher must never take the server down
                click.echo(_failed(f"{type(exc).__name__}: {exc}"), err=True)

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self.run, name="docmock-watch", daemon=True)
        thread.start()
        return thread


def newest_spec(folder: Path) -> tuple[Path, int]:
    """The newest whole document the parent has published, and its version: what a worker starts from."""
    try:
        status = json.loads((folder / STATUS_FILE).read_text(encoding="utf-8"))
        newest = folder / status["spec"]
        if newest.exists():
            return newest, int(status["generation"])
    except (OSError, ValueError, KeyError):
        pass
    return folder / "openapi-1.json", 1


def follow_status(folder: Path, live: LiveApp) -> Callable[[], Any]:
    """In a worker: the background task that serves each version the parent publishes."""
    status_file = folder / STATUS_FILE

    def read_status() -> dict[str, Any] | None:
        try:
            return json.loads(status_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def document(status: dict[str, Any], seen: int) -> dict[str, Any] | None:
        if status.get("base") == seen:  # the version before is served here: apply what changed
            try:
                return apply_delta(live.app.spec, json.loads((folder / status["delta"]).read_text(encoding="utf-8")))
            except (OSError, ValueError, KeyError):
                pass
        try:
            return share_unchanged(live.app.spec, load_spec(folder / status["spec"]))
        except MockServerError:
            return None  # not written yet, or superseded: the next look (within a second) finds it

    def build(status: dict[str, Any], seen: int) -> MockApp | str | None:
        """The app of the published version, None when it cannot be read yet, or why it cannot be served
        here (an overrides file that names an operation it lost, ...)."""
        with without_cycle_collection():
            try:
                spec = document(status, seen)
                return live.app.reloaded(spec) if spec is not None else None
            except Exception as exc:  # the parent built the document, not the app: the worker says what failed
                logger.debug("worker reload failed", exc_info=True)
                return f"{type(exc).__name__}: {exc}" if not isinstance(exc, MockServerError) else str(exc)

    async def follow() -> None:
        import watchfiles

        asyncio.get_running_loop().run_in_executor(None, live.app.warm_up)  # see Reloader.run
        seen = live.generation
        refused, why = 0, [""]  # a version this worker could not serve, and why
        # Also every second without an event: a status written before this worker's watcher was armed (the
        # parent publishes while workers start) would otherwise wait for the next edit.
        async for _ in watchfiles.awatch(folder, step=_STEP_MS, rust_timeout=1000, yield_on_timeout=True,
                                         watch_filter=lambda c, p: Path(p).name == STATUS_FILE):
            status = read_status()
            if status is None:
                continue
            failure = status["failure"]
            if status["generation"] != seen and status["generation"] != refused:
                app = await asyncio.to_thread(build, status, seen)
                if isinstance(app, MockApp):
                    seen = status["generation"]
                    live.swap(app, seen)
                    notes = await asyncio.to_thread(app.forget_gone_entities)
                    _echo(tuple(f"worker {os.getpid()}: {note}" for note in [*app.reload_notes, *notes]))
                elif isinstance(app, str):
                    refused, why[0] = status["generation"], app
                    click.echo(f"worker {os.getpid()}: {_failed(app)}")
            if status["generation"] == refused and status["generation"] != seen:
                failure = why[0]
            if live.app.reload_failure != failure:
                live.app.reload_failed(failure)

    return follow


def _write_atomically(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)
