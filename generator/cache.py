"""Remembers what parsing a page produced, keyed by everything that determines it, so regeneration after a
docs change only re-reads the pages that changed.

The key is a hash of the page's bytes, the name it is reported under, and the source of the modules that
parse pages: an edited page, a renamed page and an upgraded docmock all miss the cache. Entries live in one
SQLite file, so concurrent runs and crashes never leave it half-written.
"""
from __future__ import annotations

import hashlib
import os
from importlib import metadata
import pickle
import sqlite3
from pathlib import Path
from typing import Any

# Everything a cached page read depends on: the parsers, and the inference its survey runs.
_PARSER_MODULES = ("elements.py", "markdown_page.py", "text_page.py", "extract.py", "errors.py", "pipeline.py",
                   "cache.py", "infer.py", "schemas.py", "registry.py", "model.py", "text.py")


def _parser_fingerprint() -> bytes:
    """Our parsing code and the versions of the libraries it leans on."""
    here = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for package in ("markdown-it-py", "PyYAML"):
        digest.update(f"{package}={metadata.version(package)};".encode())
    for name in _PARSER_MODULES:
        digest.update((here / name).read_bytes())
    return digest.digest()


_FINGERPRINT = _parser_fingerprint()


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "docmock"


def page_key(display: str, data: bytes) -> str:
    digest = hashlib.sha256(_FINGERPRINT)
    digest.update(display.encode("utf-8") + b"\0")
    digest.update(data)
    return digest.hexdigest()


class PageCache:
    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(folder / "pages.sqlite3", timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS pages (key TEXT PRIMARY KEY, value BLOB NOT NULL)")

    def get_many(self, keys: list[str]) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for start in range(0, len(keys), 500):  # SQLite caps the number of bound parameters
            chunk = keys[start:start + 500]
            rows = self._db.execute(f"SELECT key, value FROM pages WHERE key IN ({','.join('?' * len(chunk))})", chunk)
            for key, value in rows:
                try:
                    found[key] = pickle.loads(value)
                except Exception:  # an entry from an incompatible Python: parse the page again
                    continue
        return found

    def put_many(self, entries: dict[str, Any]) -> None:
        if not entries:
            return
        with self._db:
            self._db.executemany("INSERT OR REPLACE INTO pages VALUES (?, ?)",
                                 [(k, pickle.dumps(v, protocol=pickle.HIGHEST_PROTOCOL)) for k, v in entries.items()])

    def close(self) -> None:
        self._db.close()
