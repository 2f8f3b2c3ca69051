"""The store a `--state` option names: memory, a SQLite file, or a Redis database."""
from __future__ import annotations

from .errors import StateError
from .store import MemoryStore, SqliteStore, Store, masked


def open_store(option: str | None, session_ttl: float | None = None) -> Store:
    """The store a `--state` option names: None, "" or "memory" -> MemoryStore; "sqlite:PATH" -> SqliteStore;
    "redis://HOST:PORT/DB" (or rediss://, unix://) -> RedisStore."""
    if option is None or option.strip().lower() in ("", "memory"):
        return MemoryStore(session_ttl)
    kind, sep, rest = option.partition(":")
    if kind.lower() == "sqlite" and sep and rest:
        return SqliteStore(rest, session_ttl=session_ttl)
    if kind.lower() in ("redis", "rediss", "unix") and rest.startswith("//"):
        from .redis_store import RedisStore  # redis-py (an extra) is only imported by a Redis store

        return RedisStore(option, session_ttl=session_ttl)
    raise StateError(f"--state {masked(option)!r}: use 'memory', 'sqlite:PATH' or 'redis://HOST:PORT/DB'")
