"""Recorded answers: what a proxied real server answered (`--record FILE`, JSON Lines, credentials and cookies
left out), served again by the mock (`--replay FILE`) to the same requests and as named examples."""
from __future__ import annotations

import base64
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

from .bodies import body_bytes, body_fields
from .config import ConfigError
from .context import Reply, RequestContext
from .negotiation import is_json_media

# Never written to a recording: they carry credentials or belong to one connection, not to the answer.
_DROPPED_HEADERS = frozenset({"set-cookie", "authorization", "proxy-authenticate", "www-authenticate", "connection",
                              "keep-alive", "transfer-encoding", "content-length", "content-encoding", "date",
                              "server", "te", "trailer", "upgrade"})
EXAMPLE_PREFIX = "recorded-"


def canonical_query(query_string: bytes | str, secret: frozenset[str] = frozenset()) -> str:
    """A query string with its parameters in a stable order, so `b=2&a=1` matches `a=1&b=2`, and without the
    parameters that carry credentials (the spec's API keys in the query): those are never written down."""
    text = query_string.decode("latin-1") if isinstance(query_string, bytes) else query_string
    return urlencode(sorted((k, v) for k, v in parse_qsl(text, keep_blank_values=True) if k not in secret))


def canonical_body(body: bytes, content_type: str | None) -> str:
    """A JSON body by its value (whitespace and key order do not matter), any other body by its bytes."""
    if body and is_json_media(content_type):
        try:
            return json.dumps(json.loads(body), sort_keys=True, separators=(",", ":"))
        except ValueError:
            pass
    return base64.b64encode(body).decode("ascii")


class Recorder:
    """Appends one JSON line per proxied exchange of a documented operation; safe to call from any thread."""

    def __init__(self, path: str | Path, secret_query: frozenset[str] = frozenset()) -> None:
        self.path = Path(path)
        self.secret_query = secret_query
        self._lock = threading.Lock()
        try:
            self._file = self.path.open("a", encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot write recordings to {path}: {exc.strerror or exc}") from exc
        self.count = 0

    def record(self, ctx: RequestContext, status: int, headers: Mapping[str, str], body: bytes) -> None:
        request_type = ctx.headers.get("content-type")
        answer_type = headers.get("content-type")
        line = {
            "operationId": ctx.operation_id,
            "method": ctx.method,
            "path": ctx.path,
            "query": canonical_query(ctx.scope.get("query_string") or b"", self.secret_query),
            "request": {"contentType": request_type, **body_fields(ctx.body or b"", request_type)},
            "status": status,
            # docmock's own headers describe this exchange (the operation, violations), not the real answer.
            "headers": {k: v for k, v in headers.items()
                        if k not in _DROPPED_HEADERS and not k.startswith("x-docmock-")},
            **body_fields(body, answer_type),
        }
        text = json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n"
        with self._lock:
            self._file.write(text)
            self._file.flush()  # a recording survives the proxy being killed
            self.count += 1

    def close(self) -> None:
        with self._lock:
            self._file.close()


@dataclass(frozen=True, slots=True)
class Recording:
    name: str
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def reply(self) -> Reply:
        headers = [(k.encode("latin-1"), v.encode("latin-1", "replace")) for k, v in self.headers]
        headers.append((b"x-docmock-replayed", self.name.encode()))
        return Reply(self.status, headers, self.body)


class Recordings:
    """A recording file loaded for serving: by operation and request, and by example name. A request recorded
    more than once is answered with its latest recording."""

    def __init__(self, path: str | Path, secret_query: frozenset[str] = frozenset()) -> None:
        self.path = Path(path)
        self.secret_query = secret_query  # left out of the recordings' queries, so left out of the match too
        self.exact: dict[tuple[str, str, str, str, str], Recording] = {}
        self.named: dict[str, dict[str, Recording]] = {}
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise ConfigError(f"cannot read recordings {path}: {exc.strerror or exc}") from exc
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
                operation = str(entry["operationId"])
                headers = {str(k).lower(): str(v) for k, v in (entry.get("headers") or {}).items()}
                answer_type = headers.get("content-type")
                named = self.named.setdefault(operation, {})
                recording = Recording(f"{EXAMPLE_PREFIX}{len(named) + 1}", int(entry["status"]),
                                      tuple(headers.items()), body_bytes(entry, answer_type))
                request = entry.get("request") or {}
                request_type = request.get("contentType")
                key = (operation, str(entry["method"]).upper(), str(entry["path"]), canonical_query(entry.get("query") or ""),
                       canonical_body(body_bytes(request, request_type), request_type))
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                raise ConfigError(f"{path}:{number}: not a recording ({exc})") from None
            named[recording.name] = recording
            self.exact[key] = recording

    def __len__(self) -> int:
        return sum(len(n) for n in self.named.values())

    def step_for(self, operation_id: str) -> Replay | None:
        return Replay(self, operation_id) if operation_id in self.named else None


class Replay:
    """Answers a request that was recorded (same operation, path, query and body) with the recorded answer, and
    `Prefer: example=recorded-N` with the operation's N-th recording."""

    __slots__ = ("recordings", "operation_id")

    def __init__(self, recordings: Recordings, operation_id: str) -> None:
        self.recordings = recordings
        self.operation_id = operation_id

    def __call__(self, ctx: RequestContext) -> Reply | None:
        example = ctx.prefs.example
        if example is not None:
            named = self.recordings.named[self.operation_id].get(example)
            return named.reply() if named is not None else None
        content_type = ctx.headers.get("content-type")
        key = (self.operation_id, ctx.method, ctx.path,
               canonical_query(ctx.scope.get("query_string") or b"", self.recordings.secret_query),
               canonical_body(ctx.body or b"", content_type))
        found = self.recordings.exact.get(key)
        return found.reply() if found is not None else None
