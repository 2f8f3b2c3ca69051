"""The console at `/`: the operations to read and try (Swagger UI, shipped in the package), the state per session,
the request log and the start-up report. Everything it loads is served from under `/__docmock/console/`, so it
works without a network; what it shows of the docs, the state and the log is escaped (Jinja2's autoescape for
the page, text nodes in console.js, Swagger UI's own sanitising of descriptions)."""
from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Callable, Mapping
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import parse_qs

import jinja2
from starlette.concurrency import run_in_threadpool

from ..context import Reply, problem_reply
from ..endpoints import Operations
from ..fakedata import DataFactory
from ..problems import Problem, Violation
from .document import ConsoleDocument

CONSOLE_PREFIX = "/__docmock/console/"
_STATIC = resources.files(__package__) / "static"
_TYPES = {".js": b"text/javascript; charset=utf-8", ".css": b"text/css; charset=utf-8",
          ".txt": b"text/plain; charset=utf-8", ".png": b"image/png"}
# The files a browser loads; the licences travel with them in the package (static/swagger-ui/).
ASSETS = ("console.js", "console.css", "swagger-ui/swagger-ui-bundle.js", "swagger-ui/swagger-ui.css")
_IMMUTABLE = b"public, max-age=31536000, immutable"  # asset URLs carry their content's hash


@cache
def _asset(name: str) -> tuple[bytes, bytes, str]:
    """(content, gzipped content, short hash) of a shipped file, read on first use."""
    content = (_STATIC / name).read_bytes()
    return content, gzip.compress(content, 6, mtime=0), hashlib.sha256(content).hexdigest()[:12]


@cache
def _template() -> jinja2.Template:
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    return env.from_string((_STATIC / "console.html.j2").read_text(encoding="utf-8"))


def asset_url(name: str) -> str:
    return f"{CONSOLE_PREFIX}{name}?v={_asset(name)[2]}"


def _accepts_gzip(headers: Mapping[str, str]) -> bool:
    """Whether Accept-Encoding takes gzip (`gzip`, `*`), and not with `q=0`."""
    for item in headers.get("accept-encoding", "").lower().split(","):
        coding, *params = (part.strip() for part in item.split(";"))
        if coding in ("gzip", "x-gzip", "*"):
            q = next((p[2:] for p in params if p.startswith("q=")), "1")
            try:
                return float(q) > 0
            except ValueError:
                return False
    return False


def _reply(content: bytes, content_type: bytes, headers: Mapping[str, str], cache_control: bytes,
           zipped: bytes) -> Reply:
    """`content`, or `zipped` (the same gzipped) when the client takes gzip and it pays."""
    out = [(b"content-type", content_type), (b"cache-control", cache_control), (b"vary", b"Accept-Encoding")]
    if _accepts_gzip(headers) and len(content) > 1024:
        out.append((b"content-encoding", b"gzip"))
        return Reply(200, out, zipped)
    return Reply(200, out, content)


class Console:
    """Answers `/` and `/__docmock/console/...` for one app."""

    def __init__(self, doc: Mapping[str, Any], operations: Operations, factory: DataFactory, seed: int,
                 any_credential: bool) -> None:
        self.document = ConsoleDocument(doc, operations, factory, seed)
        self.title = str((doc.get("info") or {}).get("title") or "OpenAPI document")
        self.any_credential = any_credential
        # What was sent, by key: (JSON, gzipped JSON).
        self._json: dict[str, tuple[bytes, bytes]] = {}

    def page(self, reload_failure: str | None) -> str:
        """The console's HTML. Nothing of the request (not even the Host header) goes into it."""
        tags = self.document.tags
        config = {"anyCredential": self.any_credential, "prefix": CONSOLE_PREFIX,
                  "firstTag": tags[0] if tags else None}
        return _template().render(title=self.title, reload_failure=reload_failure, config=config,
                                  assets={name: asset_url(name) for name in ASSETS})

    async def handle(self, method: str, path: str, query_string: bytes, headers: Mapping[str, str]) -> Reply:
        if method not in ("GET", "HEAD"):
            return problem_reply(Problem(405, f"{method} is not supported for {path}; allowed: GET, HEAD",
                                         headers=(("Allow", "GET, HEAD"),)))
        name = path[len(CONSOLE_PREFIX):]
        if name in ASSETS:
            content, zipped, _ = _asset(name)
            kind = _TYPES.get(name[name.rfind("."):], b"application/octet-stream")
            return _reply(content, kind, headers, _IMMUTABLE, zipped)
        if name == "index.json":
            return await self._json_reply("index", self.document.index, headers)
        if name == "spec.json":
            tag = (parse_qs(query_string.decode("latin-1"), keep_blank_values=True).get("tag") or [""])[-1]
            if not self.document.has_tag(tag):
                message = f"no operation has the tag {tag!r}; the tags are listed in {CONSOLE_PREFIX}index.json"
                return problem_reply(Problem(404, message, (Violation("query.tag", message),)))
            return await self._json_reply("spec:" + tag, lambda: self.document.tag_spec(tag), headers)
        known = ", ".join(CONSOLE_PREFIX + n for n in (*ASSETS, "index.json", "spec.json?tag=NAME"))
        return problem_reply(Problem(404, f"no console file {path}; there are {known}"))

    async def _json_reply(self, key: str, build: Callable[[], Any], headers: Mapping[str, str]) -> Reply:
        kept = self._json.get(key)
        if kept is None:
            # Built in a thread: the largest tag of a 3,300-operation spec takes a fifth of a second, which the
            # mock's other clients should not wait for. Two first requests for one key may both build it.
            kept = self._json[key] = await run_in_threadpool(_encoded, build)
        return _reply(kept[0], b"application/json", headers, b"no-cache", kept[1])


def _encoded(build: Callable[[], Any]) -> tuple[bytes, bytes]:
    # default=str: a YAML spec's unquoted dates load as date objects.
    content = json.dumps(build(), ensure_ascii=False, default=str).encode()
    return content, gzip.compress(content, 6, mtime=0)
