"""The pytest plugin: a `docmock_server` fixture backed by one real `docmock serve` per configuration and run."""
from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
import shlex
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:  # httpx is imported only by a test that uses `.client`: every pytest run imports this module
    import httpx

HOST = "127.0.0.1"
SESSION_HEADER = "X-Mock-Session"
MAX_SESSION_LENGTH = 200  # the server keeps only this much of X-Mock-Session
START_TIMEOUT = 60.0  # seconds; the seeds start in about one, the 3,300-operation reference in a few
PORT_ATTEMPTS = 5
# How uvicorn says the port was taken between our check and its bind (Linux/macOS, Windows).
_PORT_TAKEN = re.compile(r"address already in use|only one usage of each socket address", re.IGNORECASE)
_MARKER_KEYWORDS = frozenset({"docs", "spec", "args"})
_LOG_NUMBERS = itertools.count(1)
_THIS_SESSION: Any = object()  # the default of `session=`: the test's own session, where None means every session


class DocmockServerError(Exception):
    """The mock server could not be started, or did not answer an admin request as documented."""


def _option_value(args: tuple[str, ...], name: str) -> str | None:
    """The value of the first `name VALUE` or `name=VALUE` in a command line's arguments."""
    for i, arg in enumerate(args):
        if arg == name and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(name + "="):
            return arg[len(name) + 1:]
    return None


@dataclass(frozen=True, slots=True)
class ServerSettings:
    """What one server serves and how; tests with equal settings share its process for the whole run."""

    docs: tuple[str, ...] = ()
    spec: str | None = None
    args: tuple[str, ...] = ()

    def admin_authorization(self) -> str | None:
        """What the plugin sends to the server's admin endpoints: its --admin-token (from the args, or the
        DOCMOCK_ADMIN_TOKEN the server inherits) as a Bearer token, else its first --credential."""
        token = _option_value(self.args, "--admin-token") or os.environ.get("DOCMOCK_ADMIN_TOKEN")
        return f"Bearer {token}" if token else _option_value(self.args, "--credential")

    def command(self, port: int) -> list[str]:
        source = ["--spec", self.spec] if self.spec else list(self.docs)
        # Host and port come last, so they win over any in `args`: the plugin must know where to connect.
        return [sys.executable, "-m", "docmock", "serve", *source, *self.args, "--host", HOST, "--port", str(port)]


class RunningServer:
    """One `docmock serve` process on a loopback port; its stdout and stderr go to files, never to pipes, so a
    chatty server cannot fill a pipe nobody reads and stall."""

    def __init__(self, settings: ServerSettings, command: list[str], process: subprocess.Popen[bytes], port: int,
                 log: Path) -> None:
        self.settings = settings
        self.command = command
        self.process = process
        self.url = f"http://{HOST}:{port}"
        self.log = log

    @classmethod
    def start(cls, settings: ServerSettings, log_dir: Path, cwd: Path) -> RunningServer:
        for _ in range(PORT_ATTEMPTS):
            port = _free_port()
            command = settings.command(port)
            log = log_dir / f"server{next(_LOG_NUMBERS)}-port{port}"
            with open(log.with_suffix(".out"), "wb") as out, open(log.with_suffix(".err"), "wb") as err:
                process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out, stderr=err, cwd=cwd)
            server = cls(settings, command, process, port, log)
            try:
                up = server._wait_until_up()
            except BaseException:  # a failed start or Ctrl-C must not leave the process behind
                server.stop()
                raise
            if up:
                return server
            # Another process bound the port after _free_port released it: try a new one.
        raise DocmockServerError(f"docmock serve found its port taken {PORT_ATTEMPTS} times in a row; "
                                 f"its stderr:\n{server.stderr_tail()}")

    def _wait_until_up(self) -> bool:
        """True once the server answers; False if it exited because its port was taken; raises otherwise."""
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            code = self.process.poll()
            if code is not None:
                stderr = self.stderr_tail(lines=60)
                if _PORT_TAKEN.search(stderr):
                    return False
                raise DocmockServerError(f"docmock serve exited with code {code} before it answered.\n"
                                         f"command: {shlex.join(self.command)}\n"
                                         f"its stderr:\n{stderr}")
            if self._answers():
                return True
            if time.monotonic() > deadline:
                raise DocmockServerError(f"docmock serve did not answer at {self.url} within {START_TIMEOUT:.0f} s; "
                                         f"its stderr:\n{self.stderr_tail(lines=60)}")
            time.sleep(0.05)

    def _answers(self) -> bool:
        """Whether docmock answers on the port: anything else there (another program that took the port) is
        not taken for it, so its exit with "address already in use" comes next and another port is tried."""
        import http.client

        try:
            # A short timeout: whatever holds the port without answering must not stall the start for long.
            answer = self.admin("GET", "requests", {"limit": 0}, timeout=1.0)
        except DocmockServerError as exc:  # up, with its journal off (--journal-size 0)
            return "journal is off" in str(exc)
        except (OSError, http.client.HTTPException, ValueError):  # not listening yet, or not docmock's JSON
            return False
        return isinstance(answer, dict) and "lastId" in answer

    def admin(self, verb: str, name: str, query: dict[str, Any] | None = None, timeout: float = 10.0) -> Any:
        """Call `/__docmock/<name>?<query>` (None values left out); returns the JSON answer (None for 204).
        Raises DocmockServerError on 4xx/5xx."""
        import urllib.error
        import urllib.parse
        import urllib.request

        params = urllib.parse.urlencode({k: v for k, v in (query or {}).items() if v is not None})
        request = urllib.request.Request(f"{self.url}/__docmock/{name}" + (f"?{params}" if params else ""),
                                         method=verb)
        authorization = self.settings.admin_authorization()
        if authorization:
            request.add_header("Authorization", authorization)
        # No proxies from the environment: a loopback mock must never be reached through HTTP_PROXY.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(request, timeout=timeout) as answer:
                body = answer.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace")
            raise DocmockServerError(f"{verb} {request.full_url} answered {exc.code}: {detail}") from None
        return json.loads(body) if body else None

    def alive(self) -> bool:
        return self.process.poll() is None

    def stderr_tail(self, lines: int = 20) -> str:
        """The last lines the server wrote to stderr (errors, and request lines when not --quiet)."""
        try:
            text = self.log.with_suffix(".err").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class ServerPool:
    """The servers of one test run, one per distinct ServerSettings, started on first use."""

    def __init__(self, log_dir: Path, cwd: Path) -> None:
        self.log_dir = log_dir
        self.cwd = cwd
        self.servers: dict[ServerSettings, RunningServer] = {}
        # A configuration that failed to start fails every later test at once, with the same message.
        self.failures: dict[ServerSettings, str] = {}

    def get(self, settings: ServerSettings) -> RunningServer:
        if settings in self.failures:
            raise DocmockServerError(self.failures[settings])
        server = self.servers.get(settings)
        if server is None:
            try:
                server = self.servers[settings] = RunningServer.start(settings, self.log_dir, self.cwd)
            except DocmockServerError as exc:
                self.failures[settings] = str(exc)
                raise
        elif not server.alive():
            raise DocmockServerError(f"docmock serve at {server.url} exited with code {server.process.returncode} "
                                     f"during the run; its stderr ends with:\n{server.stderr_tail()}")
        return server

    def close(self) -> None:
        for server in self.servers.values():
            server.stop()


class DocmockServer:
    """What a test gets: the server's URL, a session of its own, and the journal of what the test caused."""

    def __init__(self, server: RunningServer, session: str) -> None:
        self._server = server
        self.url = server.url
        self.session = session
        self.headers = {SESSION_HEADER: session}
        self._client: httpx.Client | None = None
        # Tests that share an id (reruns, repeats) must not see what an earlier attempt left.
        server.admin("POST", "reset", {"session": session})
        self._since = self._last_id()

    def _last_id(self) -> int:
        try:
            return int(self._server.admin("GET", "requests", {"limit": 0})["lastId"])
        except DocmockServerError:  # the journal is off; requests() will say so when called
            return 0

    @property
    def client(self) -> httpx.Client:
        """An httpx.Client for the server, sending this test's session header; closed after the test."""
        if self._client is None:
            import httpx

            # trust_env=False: no HTTP_PROXY detour for a loopback server.
            self._client = httpx.Client(base_url=self.url, headers=self.headers, trust_env=False)
        return self._client

    def requests(self, operation: str | None = None, method: str | None = None, path: str | None = None,
                 session: str | None = _THIS_SESSION) -> list[dict[str, Any]]:
        """The journal entries since the test started (or since `reset()`), oldest first. `operation` is an
        operationId (any case), `path` exact or a glob; `session=None` means every session, e.g. for an app
        under test that does not send X-Mock-Session."""
        answer = self._server.admin("GET", "requests", {
            "session": self.session if session is _THIS_SESSION else session, "operation": operation,
            "method": method, "path": path, "since": self._since})
        return answer["requests"]

    def reset(self, session: str | None = _THIS_SESSION) -> None:
        """Forget the session's records, ids, tombstones and journal (`session=None`: every session's)."""
        name = self.session if session is _THIS_SESSION else session
        self._server.admin("POST", "reset", {"session": name})
        self._server.admin("DELETE", "requests", {"session": name})
        self._since = self._last_id()

    def stderr_tail(self, lines: int = 20) -> str:
        """The last lines of the server's stderr (shared by every test using this server)."""
        return self._server.stderr_tail(lines)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def __repr__(self) -> str:
        return f"<DocmockServer {self.url} session={self.session!r}>"


def session_name(nodeid: str) -> str:
    """The X-Mock-Session of a test: its nodeid as printable ASCII (a header value must be), at most 200 characters;
    a longer one keeps its start and ends with a hash of the whole, so long ids that share a start stay apart."""
    name = "".join(c if " " <= c <= "~" else c.encode("unicode_escape").decode("ascii") for c in nodeid).strip()
    if len(name) > MAX_SESSION_LENGTH:
        digest = hashlib.blake2b(name.encode("ascii"), digest_size=8).hexdigest()
        name = f"{name[:MAX_SESSION_LENGTH - len(digest) - 1]}#{digest}"
    return name


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _base_dir(config: pytest.Config) -> Path:
    return config.inipath.parent if config.inipath is not None else config.rootpath


def _as_list(value: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (str, os.PathLike)):
        return [os.fspath(value)]
    return [os.fspath(v) for v in value]


def settings_for(item: pytest.Item) -> ServerSettings:
    """The ini options, overridden by the closest `docmock` marker; raises pytest's failure if nothing to serve."""
    config = item.config
    docs: list[str] = config.getini("docmock_docs")
    spec: str | None = config.getini("docmock_spec") or None
    args: list[str] = config.getini("docmock_args")
    marker = item.get_closest_marker("docmock")
    if marker is not None:
        unknown = set(marker.kwargs) - _MARKER_KEYWORDS
        if marker.args or unknown:
            pytest.fail(f"@pytest.mark.docmock takes only the keywords docs=, spec= and args=; got "
                        f"{', '.join([*map(repr, marker.args), *sorted(unknown)])}", pytrace=False)
        if "docs" in marker.kwargs or "spec" in marker.kwargs:  # a marker that names a source replaces the ini's
            docs = _as_list(marker.kwargs.get("docs"))
            spec = marker.kwargs.get("spec")
        if "args" in marker.kwargs:
            value = marker.kwargs["args"]
            args = shlex.split(value) if isinstance(value, str) else _as_list(value)
    if not docs and not spec:
        pytest.fail("docmock_server has nothing to serve: set `docmock_docs` (docs folders or pages, one a line) or "
                    "`docmock_spec` (an OpenAPI file) in your pytest ini file, or mark the test with "
                    "@pytest.mark.docmock(docs=...) or @pytest.mark.docmock(spec=...)", pytrace=False)
    if docs and spec:
        pytest.fail("docmock_server serves either docs (docmock_docs, docs=) or an OpenAPI file (docmock_spec, "
                    "spec=), not both", pytrace=False)
    base = _base_dir(config)
    return ServerSettings(docs=tuple(str(base / d) for d in docs), spec=str(base / spec) if spec else None,
                          args=tuple(args))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("docmock_docs", "docmock_server: docs folders or pages to serve, one a line, relative to the "
                  "ini file's folder", type="linelist", default=[])
    parser.addini("docmock_spec", "docmock_server: an OpenAPI 3.0/3.1 file to serve instead of docs",
                  type="string", default="")
    parser.addini("docmock_args", "docmock_server: more `docmock serve` arguments, e.g. --no-auth --seed 3 "
                  "(default: --quiet)", type="args", default=["--quiet"])


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "docmock(docs=None, spec=None, args=None): what this test's docmock_server "
                            "serves and how, instead of the docmock_* ini options")


@pytest.fixture(scope="session")
def _docmock_pool(pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerPool]:
    # The servers' output stays in pytest's temporary folder (kept for the last runs) for a look after a failure.
    pool = ServerPool(tmp_path_factory.mktemp("docmock"), cwd=_base_dir(pytestconfig))
    yield pool
    pool.close()


@pytest.fixture
def docmock_server(request: pytest.FixtureRequest, _docmock_pool: ServerPool) -> Iterator[DocmockServer]:
    """A running docmock mock server (started once per run and configuration) with a session for this test."""
    settings = settings_for(request.node)
    try:
        handle = DocmockServer(_docmock_pool.get(settings), session_name(request.node.nodeid))
    except DocmockServerError as exc:
        # The server's own words are the message; a traceback through this plugin would only hide them.
        raise pytest.fail.Exception(str(exc), pytrace=False) from None
    yield handle
    handle.close()
