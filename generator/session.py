"""A docs tree's build kept in memory between edits, for `docmock serve --watch`: each rebuild reads only the
pages whose files changed, and the new document shares every unchanged part with the last one.

Two ways to a new document, as in `incremental.py` but without text or files in between:

* an edit that changes only its own page's operation (prose, examples, descriptions of parameters and
  responses) is applied to the last document: that operation is redone and put in place of the old one;
* anything else is a full build from the pages kept in memory (only the changed ones are parsed again).

A patched document shares every other path item and the components with the last one, object for object;
the mock server does the same for a full build's (mockserver.reloading.share_unchanged), so that it can
tell what changed by identity and keep what it compiled for the rest.
"""
from __future__ import annotations

import os
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .errors import Diagnostic, DocsError
from .incremental import redo_operation, valid_alone
from .openapi import operation_dict
from .pipeline import BuildMemo, BuildTrace, PageFile, build_spec, find_pages
from .reading import PageRead, read_page_bytes, without_cycle_collection
from .cache import page_key

# Past this many changed pages the full build is about as fast, and simpler to trust.
_MAX_PATCHED = 16


@dataclass(frozen=True, slots=True)
class Build:
    """One build of the session: the document, what was said about the pages, and how it was reached."""

    spec: dict[str, Any]
    diagnostics: tuple[Diagnostic, ...]
    pages: int
    incremental: bool  # only the edited pages' operations were redone
    unchanged: bool  # the document is the last one, object for object
    seconds: float


class _MemoryPages:
    """Parsed pages by page key (the build's PageStore); after each build only the current pages are kept."""

    def __init__(self) -> None:
        self.entries: dict[str, PageRead] = {}

    def get_many(self, keys: list[str]) -> dict[str, Any]:
        return {key: self.entries[key] for key in keys if key in self.entries}

    def put_many(self, entries: dict[str, Any]) -> None:
        self.entries.update(entries)

    def keep(self, keys: set[str]) -> None:
        self.entries = {key: read for key, read in self.entries.items() if key in keys}


class DocsSession:
    """Builds the document from `inputs` again and again, each time from the files as they are then.

    Not thread-safe: one builder at a time (the watcher runs builds one after another)."""

    def __init__(self, inputs: Sequence[str | Path], *, title: str = "SuperOffice WebAPI",
                 workers: int | None = None) -> None:
        self.inputs = [Path(i) for i in inputs]
        self.title = title
        self.workers = workers
        self._pages = _MemoryPages()
        self._memo = BuildMemo()
        self._spec: dict[str, Any] | None = None
        self._trace = BuildTrace()
        self._files: list[tuple[str, str, str]] = []  # (display, folder, source) of the last build's files
        self._stats: dict[str, tuple[int, int]] = {}  # display -> (mtime_ns, size) when its key was taken
        self._keys: dict[str, str] = {}  # display -> page key
        self._diagnostics: tuple[Diagnostic, ...] = ()
        self._found: tuple[list[PageFile], list[Diagnostic]] = ([], [])  # the last full build's find_pages
        self._by_path: dict[str, PageFile] = {}  # absolute path -> its file

    @property
    def reference_pages(self) -> frozenset[str]:
        """The pages that document an operation in the last build (by display name)."""
        return frozenset(self._trace.pages)

    @property
    def displays(self) -> frozenset[str]:
        """Every file of the last build (by display name)."""
        return frozenset(display for display, _, _ in self._files)

    @property
    def spec(self) -> dict[str, Any] | None:
        """The last good document, or None before the first build."""
        return self._spec

    def build(self, modified: Collection[str] | None = None) -> Build:
        """The document as the files are now. Raises DocsError as `build_spec` does; the session then keeps
        its last good document, and the next build starts from it.

        `modified`: the paths of the only files that may have changed since the last build, all pages of
        it that were modified in place (a watcher's report). Then the folders are not walked again and only
        those files are looked at; anything else (a file added, deleted or renamed) needs None."""
        started = time.perf_counter()
        with without_cycle_collection():
            quick = None  # what changed, when only the contents of known pages did (else a full build)
            known = self._known_files(modified) if modified is not None else None
            if known is not None:
                files, problems = self._found
                stats = {**self._stats, **{file.display: _stat(file.path) for file in known}}
                changed = self._changed(known, stats)
                if changed is not None and all(stats[file.display] is not None for file in known):
                    quick = changed
            if quick is None:
                files, problems = find_pages(self.inputs)
                stats = {file.display: _stat(file.path) for file in files}  # before any read: see _changed
                changed = self._changed(files, stats) if self._spec is not None else None
                if changed is not None and not problems and self._same_files(files) and self._same_links():
                    quick = changed
            if quick is not None:
                if not quick:
                    return self._result(started, incremental=True, unchanged=True)
                if self._patch(quick):
                    return self._result(started, incremental=True)
            self._full(files, problems, changed, stats)
        return self._result(started, incremental=False)

    # -- the two ways -------------------------------------------------------------------------------------

    def _known_files(self, paths: Collection[str]) -> list[PageFile] | None:
        """The last build's files at `paths`, or None when one of them is not one of its files."""
        found = [self._by_path.get(os.path.abspath(path)) for path in paths]
        return None if self._spec is None or any(file is None for file in found) else found  # type: ignore[return-value]

    def _full(self, files: list[PageFile], problems: list[Diagnostic], changed: list[Any] | None,
              stats: dict[str, tuple[int, int] | None]) -> None:
        trace = BuildTrace()
        # Files whose stat is the one seen when they were read need not be read again.
        edited = {display for display, *_ in changed} if changed is not None else None
        self._memo.found = (files, problems)
        self._memo.known_keys = {display: key for display, key in self._keys.items()
                                 if display not in edited and stats.get(display) == self._stats.get(display)} \
            if edited is not None else None
        try:
            result = build_spec(self.inputs, title=self.title, workers=self.workers, trace=trace,
                                page_cache=self._pages, memo=self._memo)
        finally:
            self._memo.found = self._memo.known_keys = None
        spec = result.spec
        self._spec, self._trace, self._diagnostics = spec, trace, result.diagnostics
        self._files = [entry[:3] for entry in trace.files]
        self._found = (files, problems)
        self._by_path = {os.path.abspath(file.path): file for file in files}
        self._keys = {display: key for display, _, _, key in trace.files}
        self._stats = {display: stat for display, stat in stats.items() if stat is not None}
        self._pages.keep(set(self._keys.values()))

    def _patch(self, changed: list[tuple[str, str, bytes, tuple[int, int]]]) -> bool:
        """Applies edits that change only their own page's operation to the last document; False (and nothing
        changed) when one of them may reach further."""
        if len(changed) > _MAX_PATCHED:
            return False
        spec = self._spec
        assert spec is not None
        secured = "security" in spec
        items: dict[str, dict[str, Any]] = {}
        pages: dict[str, tuple[Any, PageRead]] = {}
        for display, key, data, _ in changed:
            before = self._trace.pages.get(display)
            page = read_page_bytes(display, data)
            operation = redo_operation(display, before, page, self._trace.rest, self._trace.enum_types)
            if before is None or operation is None:
                return False
            item = items.get(operation.path) or dict(spec["paths"][operation.path])
            item[operation.method] = operation_dict(operation, secured)
            if not valid_alone(operation.path, item, secured):
                return False  # the full build says what is wrong
            items[operation.path] = item
            pages[display] = (before, page)
        paths = dict(spec["paths"])
        paths.update(items)
        self._spec = {**spec, "paths": paths}
        for display, key, _, stat in changed:
            before, page = pages[display]
            self._trace.pages[display] = replace(before, key=key, own=page.diagnostics + page.draft.diagnostics)
            self._pages.entries.pop(self._keys[display], None)
            self._pages.entries[key] = page
            self._keys[display], self._stats[display] = key, stat
        rest = self._trace.rest
        self._diagnostics = tuple(sorted([*rest, *(d for page in self._trace.pages.values() for d in page.own)],
                                         key=lambda d: (d.path, d.line, d.severity.value, d.message)))
        return True

    # -- what changed ----------------------------------------------------------------------------------------

    def _same_files(self, files: list[PageFile]) -> bool:
        return [(f.display, f.folder, f.source) for f in files] == self._files

    def _same_links(self) -> bool:
        return all(os.path.exists(target) == found for target, found in self._trace.link_checks)

    def _changed(self, files: list[PageFile], stats: dict[str, tuple[int, int] | None],
                 ) -> list[tuple[str, str, bytes, tuple[int, int]]] | None:
        # (The files of the last build that are gone are not listed: `_same_files` tells.)
        """(display, key, bytes, stat) of every page whose bytes differ from the last build's; None when one
        cannot be read (the full build reports it).

        A file whose modification time and size are those seen when it was last read is not read again. The
        stat is taken before the read, so a write between the two shows up as a new stat next time."""
        changed = []
        for file in files:
            stat = stats[file.display]
            if stat is None:
                return None
            if stat == self._stats.get(file.display):
                continue
            try:
                data = file.path.read_bytes()
            except OSError:
                return None
            key = page_key(file.display, data)
            if key == self._keys.get(file.display):
                self._stats[file.display] = stat
                continue
            changed.append((file.display, key, data, stat))
        return changed

    def _result(self, started: float, *, incremental: bool, unchanged: bool = False) -> Build:
        assert self._spec is not None
        return Build(self._spec, self._diagnostics, len(self._files), incremental, unchanged,
                     time.perf_counter() - started)


def _stat(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


__all__ = ["Build", "DocsError", "DocsSession"]
