"""Runs the whole generator: find pages, parse, extract, infer, merge, render, validate."""
from __future__ import annotations

import functools
import multiprocessing
import os
import re
from stat import S_ISREG
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from . import forking
from .cache import PageCache, page_key
from .errors import Diagnostic, DiagnosticSink, DocsError, Severity
from .extract import IndexDoc
from .infer import PageDraft, infer_operation, merge_operations
from .model import ApiModel, Operation, Tag
from .openapi import OpenApiMemo, to_openapi
from .reading import PageRead, read_batch, read_page_bytes, without_cycle_collection
from .records import record
from .registry import RegistryMemo, SchemaRegistry, rename_refs
from .render import render_yaml, to_json
from .text import clean_text
from .validation import validate_document

PAGE_SUFFIXES = (".md", ".txt")
_API_PREFIX = re.compile(r"^/api/v\d+/")


@record()
class PageFile:
    path: Path
    display: str  # how diagnostics name the file: relative to the current folder, so editors can open it
    folder: str  # folder relative to the input root ("" for pages directly in it)
    source: str  # how the spec names the file: the input folder's name and the path below it


@record()
class GenerationResult:
    spec: dict[str, Any]
    model: ApiModel
    diagnostics: tuple[Diagnostic, ...]
    pages: int
    merged: int
    # format -> text, when build_spec rendered it; not part of what the result is (equality, repr)
    rendered: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def render(self, fmt: str) -> str:
        """The document as text: `yaml` (block style, rendered by the Jinja2 template) or `json`."""
        if fmt in self.rendered:
            return self.rendered[fmt]
        with without_cycle_collection():
            return render_yaml(self.spec) if fmt == "yaml" else to_json(self.spec)

    @property
    def yaml_text(self) -> str:
        return self.render("yaml")

    def count(self, severity: Severity) -> int:
        return sum(1 for d in self.diagnostics if d.severity is severity)


def find_pages(inputs: Sequence[str | Path]) -> tuple[list[PageFile], list[Diagnostic]]:
    files: list[PageFile] = []
    problems: list[Diagnostic] = []
    seen: set[tuple[int, int]] = set()  # (device, inode): a page reached twice (overlapping inputs, links) counts once
    for raw in inputs:
        root = Path(raw)
        if root.is_dir():
            root_display, root_name = _display(root), root.resolve().name
            def unreadable(exc: OSError) -> None:
                problems.append(Diagnostic(_display(Path(exc.filename or root)), 0, Severity.WARNING,
                                           f"cannot read this folder ({exc.strerror or exc}); its pages are skipped"))

            for dirpath, dirnames, filenames in os.walk(root, onerror=unreadable):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))  # .git and the like
                for linked in [d for d in dirnames if Path(dirpath, d).is_symlink()]:
                    # Not followed (a link may lead back up, or out of the docs): said, so no page goes unnoticed.
                    problems.append(Diagnostic(_display(Path(dirpath, linked)), 0, Severity.WARNING,
                                               "a link to a folder is not followed; give its target as an input to "
                                               "read its pages"))
                folder = Path(dirpath).relative_to(root).as_posix()
                folder = "" if folder == "." else folder
                for filename in filenames:
                    if not is_page_name(filename):
                        continue
                    path = Path(dirpath, filename)
                    relative = f"{folder}/{filename}" if folder else filename
                    if _first_visit(path, seen):
                        files.append(PageFile(path, f"{root_display}/{relative}" if root_display != "." else relative,
                                              folder, f"{root_name}/{relative}"))
        elif root.is_file():
            if _first_visit(root, seen):
                files.append(PageFile(root, _display(root), "", root.name))
        else:
            problems.append(Diagnostic(str(raw), 0, Severity.ERROR, "no such file or folder"))
    return sorted(files, key=lambda f: f.display), problems


def is_page_name(filename: str) -> bool:
    """Whether a file of this name is read as a page: Markdown or text, not hidden (an editor's `.#page.md`
    lock) and not an autosave (`#page.md#`)."""
    return filename.lower().endswith(PAGE_SUFFIXES) and not filename.startswith((".", "#"))


def _first_visit(path: Path, seen: set[tuple[int, int]]) -> bool:
    try:
        stat = path.stat()
    except OSError:
        return True  # reported when it is read
    if not S_ISREG(stat.st_mode) or (stat.st_dev, stat.st_ino) in seen:
        return False
    seen.add((stat.st_dev, stat.st_ino))
    return True


def _display(path: Path) -> str:
    """How diagnostics name a file: relative to the current folder when it is below it, so editors open it."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


# A callable that wraps an iterable of `total` items to show progress (the CLI passes a progress bar).
Progress = Callable[[Iterable[Any], int], Iterable[Any]]
# Below this many pages to parse, starting worker processes costs more than it saves.
_PARALLEL_THRESHOLD = 150


@record()
class PlacedOperation:
    """An operation with where its page is, for the notes about merging it with another page's."""

    display: str
    page_line: int
    copied_from_web: bool
    operation: Operation


class PageStore(Protocol):
    """Where parsed pages are remembered by page key: the SQLite PageCache, or a session's memory."""

    def get_many(self, keys: list[str]) -> dict[str, Any]: ...

    def put_many(self, entries: dict[str, Any]) -> None: ...


def read_pages(files: list[PageFile], *, cache: PageStore | None = None, workers: int | None = None,
               progress: Progress | None = None, known: Mapping[str, str] | None = None,
               ) -> list[tuple[PageFile, str, PageRead]]:
    """Parses every page, reusing cached results and spreading the rest over worker processes.

    `known`: the page key of files the caller knows have not changed since it read them (by display name);
    those found in the cache are not read again. Returns each file with its page key ("" when it cannot be
    read) and what reading it gave."""
    results: dict[int, PageRead] = {}
    todo: list[tuple[int, str, bytes]] = []
    keys: dict[int, str] = {}
    if known and cache is not None:
        hits = cache.get_many([known[f.display] for f in files if f.display in known])
        for index, file in enumerate(files):
            key = known.get(file.display)
            if key is not None and key in hits:
                results[index], keys[index] = hits[key], key
    for index, file in enumerate(files):
        if index in results:
            continue
        try:
            data = file.path.read_bytes()
        except OSError as exc:
            results[index] = PageRead((Diagnostic(file.display, 0, Severity.ERROR, f"cannot read: {exc.strerror}"),))
            continue
        todo.append((index, file.display, data))
    keys.update((index, page_key(display, data)) for index, display, data in todo)
    if cache is not None and todo:
        hits = cache.get_many(list(keys.values()))
        for index, _, _ in todo:
            if keys[index] in hits:
                results[index] = hits[keys[index]]
        todo = [item for item in todo if item[0] not in results]
    parsed = _parse_all([(display, data) for _, display, data in todo], workers, progress)
    for (index, _, _), result in zip(todo, parsed):
        results[index] = result
    if cache is not None:
        cache.put_many({keys[index]: results[index] for index, _, _ in todo})
    return [(file, keys.get(index, ""), results[index]) for index, file in enumerate(files)]


def _parse_all(pages: list[tuple[str, bytes]], workers: int | None,
               progress: Progress | None) -> list[PageRead]:
    workers = workers if workers is not None else (os.cpu_count() or 1)
    if workers <= 1 or len(pages) < _PARALLEL_THRESHOLD:
        items: Iterable[tuple[str, bytes]] = progress(pages, len(pages)) if progress else pages
        return [read_page_bytes(display, data) for display, data in items]
    # Small batches: the workers finish within a batch's time of each other (225-page batches left one idle
    # for a tenth of the run).
    size = max(16, len(pages) // (workers * 32))
    batches = [pages[start:start + size] for start in range(0, len(pages), size)]
    with ProcessPoolExecutor(workers, mp_context=worker_start()) as pool:
        done: Iterable[list[Any]] = pool.map(read_batch, batches)
        if progress:
            done = _flatten_progress(done, progress, len(pages))
        return [result for batch in done for result in batch]


def worker_start() -> multiprocessing.context.BaseContext:
    """How the page workers start: forked where that is safe (see forking.py), so they begin at once with
    the parser imported; else spawned, each starting an interpreter and importing the parser (0.1 s)."""
    return multiprocessing.get_context("fork" if forking.can_fork() else "spawn")


def _flatten_progress(batches: Iterable[list[Any]], progress: Progress, total: int) -> Iterable[list[Any]]:
    bar = iter(progress(range(total), total))
    for batch in batches:
        for _ in batch:
            next(bar, None)
        yield batch
    for _ in bar:
        pass


@record()
class PageTrace:
    """What a build decided for one reference page, for regenerating after it alone changed (incremental.py)."""

    key: str
    digest: str
    method: str
    path: str
    operation_id: str  # as the page names it; `final_id` after duplicate ids were renamed
    final_id: str
    secured: bool
    resolved: dict[str, str]  # the page's local references -> final names
    tag: str
    source: str
    own: tuple[Diagnostic, ...]  # the page's parse and inference diagnostics
    alone: bool  # registered from its draft, and the only page documenting its method and path


@dataclass
class BuildTrace:
    """Filled by `build_spec(trace=...)`: what incremental regeneration needs to know of a full build."""

    # (display, folder, source, page key) of every input file: how it is named and what it held
    files: list[tuple[str, str, str, str]] = field(default_factory=list)
    link_checks: list[tuple[str, bool]] = field(default_factory=list)  # overview links' targets, found or not
    pages: dict[str, PageTrace] = field(default_factory=dict)
    rest: list[Diagnostic] = field(default_factory=list)  # the diagnostics that are not a page's own
    enum_types: dict[str, tuple[str, ...]] = field(default_factory=dict)


def build_spec(inputs: Sequence[str | Path] = ("docs_src",), *, title: str = "SuperOffice WebAPI",
               progress: Progress | None = None, cache_dir: Path | None = None,
               workers: int | None = None, trace: BuildTrace | None = None,
               render: str | None = None, page_cache: PageStore | None = None,
               memo: BuildMemo | None = None) -> GenerationResult:
    """Generates one OpenAPI 3.1 document from every page under `inputs`.

    Problems with single pages become diagnostics and the other pages still generate; DocsError is raised
    only when no operation at all could be generated or the result is not valid OpenAPI. With `cache_dir`,
    parsed pages are remembered there; `workers` caps the processes used to parse (default: one per core).
    With `render` ("yaml" or "json"), the document is also rendered as that text while it is checked.
    `page_cache` is another place to remember parsed pages in, and `memo` what the last build decided, for a
    build of mostly the same pages (session.py keeps both in memory between builds).
    """
    with without_cycle_collection():
        return _build_spec(inputs, title, progress, cache_dir, workers, trace, render, page_cache, memo)


def _build_spec(inputs: Sequence[str | Path], title: str, progress: Progress | None, cache_dir: Path | None,
                workers: int | None, trace: BuildTrace | None, render: str | None,
                page_cache: PageStore | None, memo: BuildMemo | None) -> GenerationResult:
    trace = trace if trace is not None else BuildTrace()
    found = memo.found if memo is not None and memo.found is not None else find_pages(inputs)
    files, diagnostics = found[0], list(found[1])
    trace.rest.extend(diagnostics)
    own: dict[str, list[Diagnostic]] = {}
    pages: list[tuple[PageFile, PageRead, PageDraft]] = []
    indexes: dict[str, IndexDoc] = {}
    if page_cache is not None:
        read = read_pages(files, cache=page_cache, workers=workers, progress=progress,
                          known=memo.known_keys if memo is not None else None)
    else:
        cache = PageCache(cache_dir) if cache_dir is not None else None
        try:
            read = read_pages(files, cache=cache, workers=workers, progress=progress)
        finally:
            if cache is not None:
                cache.close()
    found_paths = frozenset(os.path.normpath(file.path) for file in files)
    links = memo.links if memo is not None else None
    if links is not None and links[0] != found_paths:
        links = None  # pages came or went: links may have broken or mended
    next_links: dict[str, tuple[IndexDoc, list[Diagnostic], list[tuple[str, bool]]]] = {}
    for file, key, page in read:
        trace.files.append((file.display, file.folder, file.source, key))
        diagnostics.extend(page.diagnostics)
        own[file.display] = list(page.diagnostics)
        if page.index is not None:
            indexes[file.folder] = page.index
            known = links[1].get(file.display) if links is not None else None
            if known is None or known[0] is not page.index:
                checks: list[tuple[str, bool]] = []
                known = (page.index, _broken_links(file, page.index, checks, found_paths), checks)
            next_links[file.display] = known
            broken = known[1]
            trace.link_checks.extend(known[2])
            diagnostics.extend(broken)
            trace.rest.extend(broken)
        elif page.draft is not None:
            pages.append((file, page, page.draft))
        if page.draft is None:  # overview pages and pages that are no reference: their diagnostics stay put
            trace.rest.extend(page.diagnostics)
    if memo is not None:
        memo.links = (found_paths, next_links)

    # Every page was inferred on its own when it was read. The registry first learns what all pages say of
    # the carriers and enum types they name, then takes each page's proposals in page order, so that a type
    # guessed from a sample key can tell whether it is a type another page named or only shares its name.
    registry = SchemaRegistry.from_pages(((draft.proposals, draft.enum_notes) for _, _, draft in pages),
                                         memo.registry if memo is not None else None)
    placed: list[tuple[PageFile, PageDraft, Operation, dict[str, str]]] = []
    direct: set[str] = set()  # pages inferred against the registry, not registered from their drafts
    for file, page, draft in pages:
        diagnostics.extend(draft.diagnostics)
        own[file.display].extend(draft.diagnostics)
        local = registry.add_page(draft.proposals)
        if local is None:
            operation = infer_operation(page.endpoint_doc(), "", registry, DiagnosticSink(file.display))
            local = {}
            direct.add(file.display)
        else:
            operation = draft.operation
        placed.append((file, draft, operation, local))
    schemas, renames, conflicts = registry.finalize()
    found = [Diagnostic(c.source.path, c.source.line, Severity.WARNING, c.message) for c in conflicts]
    diagnostics.extend(found)
    trace.rest.extend(found)
    finish = memo.finish_operation if memo is not None else finish_operation
    drafts = [PlacedOperation(file.display, draft.page_line, draft.copied_from_web,
                              finish(operation, local, renames, registry.enum_types,
                                     _tag_for(file, operation.path, indexes), file.source))
              for file, draft, operation, local in placed]
    if memo is not None:
        memo.operations_finished()
    operations, merged, merge_notes = _merge_duplicates(drafts)
    diagnostics.extend(merge_notes)
    trace.rest.extend(merge_notes)
    _trace_pages(trace, placed, drafts, operations, renames, direct, own)
    trace.enum_types = dict(registry.enum_types)
    diagnostics.sort(key=lambda d: (d.path, d.line, d.severity.value, d.message))
    if not operations:
        raise DocsError("no operation could be generated from the given pages", tuple(diagnostics))

    tags = _tags(operations, indexes)
    model = ApiModel(title, tuple(operations), schemas, tags)
    spec = to_openapi(model, memo=memo.openapi if memo is not None else None)
    result = GenerationResult(spec, model, tuple(diagnostics), len(files), merged)
    if render is None:
        validate_document(spec, memo.valid if memo is not None else None)
        if memo is not None:
            memo.valid = spec
        return result
    # The check runs in a forked copy where it may (forking.py), on the other core, while this process renders.
    checked = forking.start(functools.partial(validate_document, spec))
    try:
        result.rendered[render] = result.render(render)
    except BaseException:
        checked()  # an invalid document is reported as that; and the copy is waited for
        raise
    checked()
    return result


class BuildMemo:
    """What one build decided, for the next build of mostly the same pages to reuse: the registry's
    decisions (RegistryMemo), each finished operation, the dicts of the document (OpenApiMemo) and the last
    valid document (only its changed parts are checked again). Every stage reuses an entry only when its
    inputs are the same objects or values, so the document is the one a build without the memo gives."""

    def __init__(self) -> None:
        self.registry = RegistryMemo()
        self.openapi = OpenApiMemo()
        self.valid: dict[str, Any] | None = None
        # Set by the caller for one build: the pages it found (find_pages' result) and the keys of the files
        # it knows have not changed (read_pages' `known`).
        self.found: tuple[list[PageFile], list[Diagnostic]] | None = None
        self.known_keys: Mapping[str, str] | None = None
        # The pages found last time, and each overview page's broken links and the targets it looked for.
        self.links: tuple[frozenset[str], dict[str, Any]] | None = None
        self._finished: dict[int, tuple[Any, ...]] = {}
        self._next_finished: dict[int, tuple[Any, ...]] = {}
        self._enum_types: dict[str, tuple[str, ...]] | None = None

    def finish_operation(self, operation: Operation, local: dict[str, str], renames: dict[str, str],
                         enum_types: dict[str, tuple[str, ...]], tag: str, source: str) -> Operation:
        """`finish_operation`, remembered per operation: the result depends on the names its local references
        resolve to, its enum types, its tag and its source. (Without local references, an operation names only
        documented types; a page inferred against the registry directly is a new operation every build.)"""
        if enum_types != self._enum_types:
            self._finished, self._enum_types = {}, dict(enum_types)
        key = (tuple(local.items()), tuple(renames.get(target, target) for target in local.values()), tag, source)
        hit = self._finished.get(id(operation))
        if hit is None or hit[0] is not operation or hit[1] != key:
            hit = (operation, key, finish_operation(operation, local, renames, enum_types, tag, source))
        self._next_finished[id(operation)] = hit
        return hit[2]

    def operations_finished(self) -> None:
        self._finished, self._next_finished = self._next_finished, {}


def finish_operation(operation: Operation, local: dict[str, str], renames: dict[str, str],
            enum_types: dict[str, tuple[str, ...]], tag: str, source: str) -> Operation:
    """The operation with its final names and enum values, its tag and its source as the spec names it."""
    resolved = {ref: renames.get(target, target) for ref, target in local.items()} if local else renames
    return replace(rename_refs(operation, resolved, enum_types), tags=(tag,) if tag else (),
                   sources=(replace(operation.sources[0], path=source),))


def _trace_pages(trace: BuildTrace, placed: list[tuple[PageFile, PageDraft, Operation, dict[str, str]]],
                 finished: list[PlacedOperation], operations: list[Operation], renames: dict[str, str],
                 direct: set[str], own: dict[str, list[Diagnostic]]) -> None:
    keys = {display: key for display, _, _, key in trace.files}
    documented_by: dict[tuple[str, str], int] = {}
    for page in finished:
        key = (page.operation.method, page.operation.path)
        documented_by[key] = documented_by.get(key, 0) + 1
    final_ids = {(op.method, op.path): op.operation_id for op in operations}
    for (file, draft, operation, local), page in zip(placed, finished):
        op = page.operation
        trace.pages[file.display] = PageTrace(
            key=keys[file.display], digest=draft.digest, method=op.method, path=op.path,
            operation_id=op.operation_id, final_id=final_ids[(op.method, op.path)], secured=op.secured,
            resolved={ref: renames.get(target, target) for ref, target in local.items()}, tag=op.tags[0] if op.tags else "",
            source=file.source, own=tuple(own[file.display]),
            alone=file.display not in direct and documented_by[(op.method, op.path)] == 1)


def _broken_links(file: PageFile, index: IndexDoc, checks: list[tuple[str, bool]] | None = None,
                  pages: frozenset[str] = frozenset()) -> list[Diagnostic]:
    """An overview page's links to pages that are not there: worth knowing, not an error in the spec.

    `checks` collects each target looked for and whether it was there; `pages` are files known to be there
    (the pages found), which need no look on disk."""
    broken = []
    for link in index.links:
        if "://" in link.target:
            continue
        target = os.path.normpath(os.path.join(os.path.dirname(file.path), link.target.split("#")[0]))
        exists = target in pages or os.path.exists(target)
        if checks is not None:
            checks.append((target, exists))
        if not exists:
            broken.append(Diagnostic(file.display, link.line, Severity.NOTE,
                                     f"links to {link.target}, which does not exist"))
    return broken


def _tag_for(file: PageFile, url: str, indexes: dict[str, IndexDoc]) -> str:
    if file.folder:
        index = indexes.get(file.folder)
        if index and index.title:
            return index.title.replace("_", " ")
        return file.folder.rsplit("/", 1)[-1].replace("_", " ")
    # Pages directly in the input folder: the resource after /api/v1/ (`Agents/Batch/...` -> `Batch Agent`).
    parts = [p for p in _API_PREFIX.sub("", url).strip("/").split("/") if p]
    if len(parts) >= 2 and parts[0].lower() == "agents":
        return f"{parts[1]} Agent"
    return parts[0] if parts and not parts[0].startswith("{") else "default"


def _tags(operations: list[Operation], indexes: dict[str, IndexDoc]) -> tuple[Tag, ...]:
    descriptions = {index.title.replace("_", " "): clean_text(index.description) for index in indexes.values() if index.title}
    used = sorted({tag for op in operations for tag in op.tags})
    return tuple(Tag(name, descriptions.get(name, "")) for name in used)


def _merge_duplicates(placed: list[PlacedOperation]) -> tuple[list[Operation], int, list[Diagnostic]]:
    """Pages documenting the same method and path become one operation: the union of both."""
    notes: list[Diagnostic] = []
    # Pages with an id in their front matter go first, so their operationId is the one kept.
    ordered = sorted(placed, key=lambda p: (p.copied_from_web, p.display))
    by_endpoint: dict[tuple[str, str], PlacedOperation] = {}
    merged = 0
    for page in ordered:
        op = page.operation
        key = (op.method, op.path)
        if key not in by_endpoint:
            by_endpoint[key] = page
            continue
        first = by_endpoint[key].operation
        combined, conflicts = merge_operations(first, op)
        merged += 1
        line = op.sources[0].line  # the page's endpoint line
        notes.append(Diagnostic(page.display, line, Severity.NOTE,
                                f"{op.method.upper()} {op.path} is also documented in {first.sources[0]}; merged into "
                                f"{first.operation_id}"))
        notes.extend(Diagnostic(page.display, line, Severity.WARNING,
                                f"contradicts {first.sources[0]} on {message}") for message in conflicts)
        by_endpoint[key] = replace(by_endpoint[key], operation=combined)
    operations: list[Operation] = []
    seen_ids: dict[str, Operation] = {}
    for key in sorted(by_endpoint, key=lambda k: (k[1], k[0])):
        page = by_endpoint[key]
        op = page.operation
        if op.operation_id in seen_ids:
            other = seen_ids[op.operation_id]
            new_id = f"{op.operation_id}_{op.method}"
            notes.append(Diagnostic(page.display, page.page_line, Severity.WARNING,
                                    f"operationId {op.operation_id} is already used by {other.method.upper()} "
                                    f"{other.path} ({other.sources[0]}); renamed to {new_id}"))
            op = replace(op, operation_id=new_id)
        seen_ids[op.operation_id] = op
        operations.append(op)
    return operations, merged, notes
