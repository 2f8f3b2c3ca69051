"""The request journal: what the server answered, per session, bounded, queried by tests and tools.

Each process keeps its journal in memory, unless the state is shared through Redis: then the entries go to the
store (`RedisStore.shared_journal`), so that any replica lists what every replica answered.
"""
from __future__ import annotations

import base64
import time
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from fnmatch import fnmatchcase
from typing import Any, NamedTuple, Protocol
from urllib.parse import parse_qs, parse_qsl, urlencode

import orjson

from .bodies import body_fields
from .context import Scope, Trace
from .state import SESSION_HEADER, session_name

MAX_BODY_KEPT = 64 * 1024  # a journal of 1,000 uploads stays tens of MB at most
REDACTED = "[redacted]"
# Headers that carry credentials whatever the spec says; the spec's API keys are added per app.
CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie", "x-xsrf-token"})


class Entry(NamedTuple):
    """One answered request, kept as the server had it: the JSON view, the session and the redaction are worked
    out only when someone asks (a journal is read far less often than it is written)."""

    id: int
    time: float
    method: str
    path: str
    query_string: bytes
    headers: list[tuple[bytes, bytes]]  # as the ASGI server gave them
    operation_id: str                   # "-": no operation was routed to
    status: int                         # 0: no answer (a dropped connection, a client gone)
    body: bytes | None                  # at most MAX_BODY_KEPT bytes of it, never the whole of a larger one
    body_size: int
    duration_ms: float
    violations: tuple[str, ...]
    fault: str | None

    def header(self, name: bytes) -> str | None:
        for key, value in self.headers:
            if key.lower() == name:
                return value.decode("latin-1")
        return None

    @property
    def session(self) -> str:
        return session_name(self.header(_SESSION_HEADER))


_SESSION_HEADER = SESSION_HEADER.encode()


@dataclass(frozen=True, slots=True)
class Query:
    """Which entries to return: every given filter must match (names and methods without regard to case)."""

    session: str | None = None
    operation: str | None = None
    method: str | None = None
    path: str | None = None      # exact, or a glob with * and ?
    since: float | None = None   # entries after this time (epoch seconds)
    after_id: int | None = None  # entries with a larger id
    limit: int | None = None     # the newest N of those that match

    @classmethod
    def from_params(cls, params: Mapping[str, list[str]]) -> Query:
        """From a query string: session, operation, method, path, since (an entry id or an ISO date-time),
        limit. Raises ValueError naming the parameter that cannot be read."""
        def last(name: str) -> str | None:
            values = params.get(name)
            return values[-1] if values else None

        since_text, limit_text = last("since"), last("limit")
        since: float | None = None
        after_id: int | None = None
        if since_text:
            if since_text.isascii() and since_text.isdigit():
                after_id = int(since_text)
            else:
                try:
                    stamp = datetime.fromisoformat(since_text.replace("Z", "+00:00"))
                except ValueError:
                    raise ValueError(f"since={since_text!r} is neither an entry id nor an ISO 8601 date-time") \
                        from None
                if stamp.tzinfo is None:  # a date-time without an offset is UTC, as the journal writes them
                    stamp = stamp.replace(tzinfo=timezone.utc)
                since = stamp.timestamp()
        limit: int | None = None
        if limit_text:
            if not (limit_text.isascii() and limit_text.isdigit()):
                raise ValueError(f"limit={limit_text!r} is not a whole number")
            limit = int(limit_text)
        return cls(last("session"), last("operation"), last("method"), last("path"), since, after_id, limit)

    def matches(self, entry: Entry) -> bool:
        if self.session is not None and entry.session != self.session:
            return False
        if self.operation is not None and entry.operation_id.lower() != self.operation.lower():
            return False
        if self.method is not None and entry.method != self.method.upper():
            return False
        if self.path is not None and not (entry.path == self.path or fnmatchcase(entry.path, self.path)):
            return False
        if self.after_id is not None and entry.id <= self.after_id:
            return False
        return self.since is None or entry.time > self.since


class SharedEntries(Protocol):
    """Entries kept outside the process, as text (`state.redis_store.RedisJournalEntries`)."""

    def append(self, text: str) -> int: ...
    def since(self, after_id: int | None) -> list[tuple[int, str]]: ...
    def newest(self, count: int) -> list[tuple[int, str]]: ...
    def last_id(self) -> int: ...
    def delete(self, ids: list[int] | None) -> None: ...


def _to_text(entry: Entry, secret_headers: frozenset[str], secret_query: frozenset[str]) -> str:
    """An entry (without its id, which the shared store assigns) as JSON text, its credentials redacted already:
    the text is kept in Redis (and its append-only file), not in this process. Bytes travel as Latin-1 text, the
    body as base64."""
    body = base64.b64encode(entry.body).decode() if entry.body is not None else None
    query = entry.query_string.decode("latin-1")
    pairs = parse_qsl(query, keep_blank_values=True) if secret_query else []
    if any(name in secret_query for name, _ in pairs):
        query = urlencode([(name, REDACTED if name in secret_query else value) for name, value in pairs])
    headers = [[name, REDACTED if name.lower() in secret_headers else value.decode("latin-1")]
               for name, value in ((k.decode("latin-1"), v) for k, v in entry.headers)]
    return orjson.dumps([entry.time, entry.method, entry.path, query, headers, entry.operation_id, entry.status,
                         body, entry.body_size, entry.duration_ms, list(entry.violations), entry.fault]).decode()


def _from_text(ident: int, text: str) -> Entry:
    (stamp, method, path, query, headers, operation_id, status, body, size, duration, violations,
     fault) = orjson.loads(text)
    return Entry(ident, stamp, method, path, query.encode("latin-1"),
                 [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers], operation_id, status,
                 base64.b64decode(body) if body is not None else None, size, duration, tuple(violations), fault)


class Journal:
    """The last `size` requests, oldest first: in a deque of this process, or in `shared` entries every replica
    writes to. Appends to a deque come from the event loop; `blocks` says the calls wait on another machine
    and belong on a thread."""

    def __init__(self, size: int, secret_headers: Iterable[str] = (), secret_query: Iterable[str] = (),
                 shared: SharedEntries | None = None) -> None:
        self.size = size
        self._entries: deque[Entry] = deque(maxlen=size)
        self._last_id = 0
        self.shared = shared
        self.blocks = shared is not None
        self.keep_secret(secret_headers, secret_query)

    def keep_secret(self, secret_headers: Iterable[str], secret_query: Iterable[str]) -> None:
        """The spec's credential headers and query parameters, whose values entries leave out (a reloaded
        spec may name others)."""
        self.secret_headers = CREDENTIAL_HEADERS | {h.lower() for h in secret_headers}
        self.secret_query = frozenset(secret_query)

    @property
    def last_id(self) -> int:
        """The id of the newest entry ever added (0 before the first): `since=` this id returns what follows."""
        return self.shared.last_id() if self.shared is not None else self._last_id

    def record(self, scope: Scope, trace: Trace, duration_ms: float) -> None:
        """Keep one answered request. Called for every request, so it only keeps references: no parsing here
        (a shared journal writes the entry as text, on a thread)."""
        body = trace.body
        size = 0
        if body is not None:
            size = len(body)
            if size > MAX_BODY_KEPT:
                body = body[:MAX_BODY_KEPT]
        entry = Entry(self._last_id + 1, time.time(), scope["method"], scope["path"], scope.get("query_string") or b"",
                      scope["headers"], trace.operation_id, trace.status, body, size, duration_ms,
                      tuple(trace.violations) if trace.violations else (), trace.fault)
        if self.shared is not None:
            self.shared.append(_to_text(entry, self.secret_headers, self.secret_query))
            return
        self._last_id += 1
        self._entries.append(entry)

    def _kept(self, query: Query | None = None) -> list[Entry] | deque[Entry]:
        if self.shared is None:
            return self._entries
        if query is not None and query.limit is not None and query == Query(limit=query.limit):
            kept = self.shared.newest(query.limit)  # the newest N of all: no need to read the others
        else:
            kept = self.shared.since(query.after_id if query is not None else None)
        return [_from_text(ident, text) for ident, text in kept]

    def entries(self, query: Query | None = None) -> list[Entry]:
        found = [e for e in self._kept(query) if query is None or query.matches(e)]
        if query is not None and query.limit is not None:
            found = found[-query.limit:] if query.limit else []
        return found

    def clear(self, session: str | None = None) -> int:
        """Forget every entry, or one session's; returns how many were forgotten."""
        if self.shared is not None:
            kept = self._kept()
            gone = [e.id for e in kept if session is None or e.session == session]
            self.shared.delete(None if session is None else gone)
            return len(gone)
        before = len(self._entries)
        if session is None:
            self._entries.clear()
        else:
            kept = [e for e in self._entries if e.session != session]
            self._entries.clear()
            self._entries.extend(kept)
        return before - len(self._entries)

    def to_json(self, entry: Entry) -> dict[str, Any]:
        """The entry as the admin endpoint shows it, credentials replaced by "[redacted]"."""
        query = parse_qs(entry.query_string.decode("latin-1"), keep_blank_values=True)
        for name in query:
            if name in self.secret_query:
                query[name] = [REDACTED] * len(query[name])
        headers: dict[str, str] = {}
        for k, v in entry.headers:
            name = k.decode("latin-1").lower()
            value = REDACTED if name in self.secret_headers else v.decode("latin-1")
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        out: dict[str, Any] = {
            "id": entry.id,
            "time": datetime.fromtimestamp(entry.time, timezone.utc).isoformat(timespec="milliseconds")
                            .replace("+00:00", "Z"),
            "session": entry.session,
            "operationId": entry.operation_id,
            "method": entry.method,
            "path": entry.path,
            "query": query,
            "headers": headers,
            "body": None,
            "status": entry.status or None,
            "durationMs": round(entry.duration_ms, 3),
            "violations": list(entry.violations),
            "fault": entry.fault,
        }
        if entry.body:
            out.update(body_fields(entry.body, entry.header(b"content-type")))
            if entry.body_size > len(entry.body):
                out["bodyTruncated"] = entry.body_size
        return out


def secret_names(spec: Mapping[str, Any]) -> tuple[frozenset[str], frozenset[str]]:
    """The header and query parameter names the spec's API-key schemes carry credentials in."""
    headers: set[str] = set()
    query: set[str] = set()
    schemes = (spec.get("components") or {}).get("securitySchemes") or {}
    for scheme in schemes.values() if isinstance(schemes, Mapping) else ():
        if isinstance(scheme, Mapping) and scheme.get("type") == "apiKey" and isinstance(scheme.get("name"), str):
            if scheme.get("in") == "header":
                headers.add(scheme["name"].lower())
            elif scheme.get("in") == "query":
                query.add(scheme["name"])
    return frozenset(headers), frozenset(query)
