"""Remembers what parsing a page produced, keyed by everything that determines it, so regeneration after a
docs change only re-reads the pages that changed.

The key is a hash of the page's bytes, the name it is reported under, and the source of the modules that
parse and infer pages: an edited page, a renamed page and an upgraded docmock all miss the cache. Entries
live in one SQLite file per docmock version, so concurrent runs and crashes never leave it half-written;
entries and files unused for KEEP_DAYS are deleted, so the cache does not grow with every edit.
"""
from __future__ import annotations

import hashlib
import os
from importlib import metadata
import pickle
import sqlite3
import time
from pathlib import Path
from typing import Any

# Everything a cached page read depends on: `reading.py` and every module it imports (a test checks the list),
# with this one, which decides how entries are stored.
_PARSER_MODULES = ("reading.py", "elements.py", "markdown_page.py", "table_rule.py", "block_state.py", "text_page.py",
                   "extract.py", "errors.py", "cache.py", "infer.py", "schemas.py", "registry.py", "model.py",
                   "text.py", "records.py", "collector.py", "prose_shapes.py")


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


def fingerprint() -> bytes:
    """Identifies the code and library versions that read pages: what any cached result depends on."""
    return _FINGERPRINT


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "docmock"


def page_key(display: str, data: bytes) -> str:
    digest = hashlib.sha256(_FINGERPRINT)
    digest.update(display.encode("utf-8") + b"\0")
    digest.update(data)
    return digest.hexdigest()


# An entry unused this many days is dropped, and so is the file of another docmock version left that long:
# the cache then holds roughly what the pages looked like over the last month, not every edit ever made.
KEEP_DAYS = 30
_FILE_PREFIX = "pages-"


def _today() -> int:
    return int(time.time() // 86400)


class PageCache:
    """Parsed pages in one SQLite file per docmock version (its parser fingerprint)."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self._path = folder / f"{_FILE_PREFIX}{_FINGERPRINT.hex()[:16]}.sqlite3"
        self._db = sqlite3.connect(self._path, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS pages (key TEXT PRIMARY KEY, value BLOB NOT NULL, used INTEGER NOT NULL)")
        self._today = _today()

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
        self._mark_used(list(found))
        return found

    def _mark_used(self, keys: list[str]) -> None:
        with self._db:
            for start in range(0, len(keys), 500):
                chunk = keys[start:start + 500]
                self._db.execute(f"UPDATE pages SET used = ? WHERE used < ? AND key IN ({','.join('?' * len(chunk))})",
                                 [self._today, self._today, *chunk])

    def put_many(self, entries: dict[str, Any]) -> None:
        if not entries:
            return
        with self._db:
            self._db.executemany("INSERT OR REPLACE INTO pages VALUES (?, ?, ?)",
                                 [(k, pickle.dumps(v, protocol=pickle.HIGHEST_PROTOCOL), self._today)
                                  for k, v in entries.items()])

    def close(self) -> None:
        """Drops what has not been used for KEEP_DAYS, here and in other versions' files, then closes."""
        with self._db:
            self._db.execute("DELETE FROM pages WHERE used < ?", (self._today - KEEP_DAYS,))
        self._db.close()
        cutoff = time.time() - KEEP_DAYS * 86400
        for other in self._path.parent.glob("*.sqlite3*"):
            if not other.name.startswith(self._path.name) and _modified(other) < cutoff:
                other.unlink(missing_ok=True)


def _modified(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return float("inf")
