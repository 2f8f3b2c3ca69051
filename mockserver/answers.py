"""Answers to repeated reads, remembered by the request's exact bytes.

The mock's answer to a GET is a function of the request (method, path, query, headers: credentials, Accept,
the session) and of the state: generated data is seeded by the request, and the store says what clients wrote.
So a read repeated while the store has not changed gets the bytes it got before, without routing, checking,
generating or rendering again: what a frontend polling a screen, or a load test reading the same records,
costs the server is then close to what fixed bytes cost.

What is not remembered: anything but GET and HEAD, a request with a body or a `Prefer` header (dynamic data,
examples, status codes and delays are asked for there), an answer outside 2xx, and the operations whose
answers are not a function of the request (latency, injected faults, replayed recordings, the proxy: see
`Handler.repeatable`). Any write, reset or reload changes the store's `version()`, and an answer remembered
under another version is not used. An answer is kept the second time its request comes, and the memory is
bounded: the least recently used answers go first.
"""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any

from .context import Reply, Scope
from .jsoncodec import exact

Key = tuple[Any, ...]
# What an entry costs beyond its body and header bytes: the key's tuple, the entry, the dict slot.
_ENTRY_OVERHEAD = 400
SEEN_ONCE = 4096  # how many requests answered once are remembered (their keys only, a few hundred bytes each)


@dataclass(frozen=True, slots=True)
class Answer:
    version: Hashable
    status: int
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes
    operation_id: str
    size: int

    def reply(self) -> Reply:
        return Reply(self.status, list(self.headers), self.body)


class AnswerCache:
    """At most `max_bytes` of answers, by request; `version()` is the store's, read before an answer is made."""

    def __init__(self, max_bytes: int, version: Callable[[], Hashable]) -> None:
        self.max_bytes = max_bytes
        self.version = version
        self.size = 0
        self._answers: OrderedDict[Key, Answer] = OrderedDict()
        # The requests seen once lately: an answer is kept the second time its request comes, so a client
        # reading thousands of records once each (a scan) neither pays for keeping them nor pushes out the
        # answers that are read again and again.
        self._seen: OrderedDict[Key, None] = OrderedDict()

    def __len__(self) -> int:
        return len(self._answers)

    @staticmethod
    def key(scope: Scope, headers: Mapping[str, str]) -> Key | None:
        """The request as far as its answer depends on it, or None when its answer is not to be remembered."""
        method = scope["method"]
        if method != "GET" and method != "HEAD":
            return None
        if "prefer" in headers or "transfer-encoding" in headers or headers.get("content-length", "0") != "0":
            return None
        try:
            return method, scope["path"], scope.get("query_string") or b"", tuple(scope["headers"])
        except TypeError:  # header pairs given as lists: nothing to hash them by
            return None

    def get(self, key: Key, version: Hashable) -> Answer | None:
        answer = self._answers.get(key)
        if answer is None:
            return None
        if answer.version != version:
            self._drop(key)
            return None
        self._answers.move_to_end(key)
        return answer

    def put(self, key: Key, version: Hashable, reply: Reply, operation_id: str) -> None:
        if not 200 <= reply.status < 300 or reply.drop or reply.length is not None:
            return
        if key not in self._seen:
            self._seen[key] = None
            if len(self._seen) > SEEN_ONCE:
                self._seen.popitem(last=False)
            return
        size = len(reply.body) + sum(len(a) + len(b) for a, b in reply.headers) + \
            sum(len(a) + len(b) for a, b in key[3]) + len(key[1]) + len(key[2]) + _ENTRY_OVERHEAD
        if size > self.max_bytes:
            return
        if key in self._answers:
            self._drop(key)
        # A body straight from orjson sits in a buffer many times its size: keep a copy of its own size.
        self._answers[key] = Answer(version, reply.status, tuple(reply.headers), exact(reply.body), operation_id, size)
        self.size += size
        while self.size > self.max_bytes:
            self._drop(next(iter(self._answers)))

    def _drop(self, key: Key) -> None:
        self.size -= self._answers.pop(key).size

    def clear(self) -> None:
        self._answers.clear()
        self._seen.clear()
        self.size = 0

