"""Regeneration that redoes only the operations of the pages that changed, when nothing else can change.

A build with a cache leaves a snapshot beside the page cache: the YAML document, where each path item's
block is in it, each path item as JSON, and what each page contributed (pipeline.BuildTrace). A later run
whose changed pages are reference pages that

* propose exactly the schemas and enum types they proposed before (equal digests: every name the registry
  decides, every merged schema and every contradiction is then what it was), and
* document the same method, path and operationId, alone (no other page documents that endpoint),

can only have changed those pages' operations. Their path items are rebuilt, checked on their own and put
in place of the old blocks; diagnostics are the old ones with those pages' own replaced. That is the common
edit: prose, examples, descriptions of parameters and responses. Anything else (a page added, removed or
renamed, an overview page edited, a property added to a table, a broken link mended) runs the full build,
which leaves a new snapshot. The tests compare both with a cold build, byte for byte.
"""
from __future__ import annotations

import functools
import hashlib
import json
import os
import pickle
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from importlib import metadata
from pathlib import Path
from typing import Any

from .cache import KEEP_DAYS, PageCache, fingerprint, page_key
from .errors import Diagnostic, DocsError
from .openapi import OPENAPI_VERSION, SECURITY_SCHEMES, operation_dict
from .pipeline import BuildTrace, PageTrace, Progress, build_spec, find_pages, finish_operation
from .reading import read_page_bytes
from .records import record
from .render import yaml_key, yaml_lines
from .validation import component_stubs, validate_document

# Past this many changed pages the full build is about as fast, and simpler to trust.
_MAX_CHANGED = 16
_SNAPSHOT_PREFIX = "snapshot-"
_NEXT_SECTION = re.compile(r"\n(?! )")


@dataclass(frozen=True, slots=True)
class Generated:
    """The document as text, with what `docmock generate` reports about it."""

    text: str
    diagnostics: tuple[Diagnostic, ...]
    operations: int
    schemas: int
    pages: int
    merged: int
    incremental: bool  # only the changed pages' operations were redone


@record()
class Snapshot:
    files: tuple[tuple[str, str, str, str], ...]  # (display, folder, source, page key) of every input file, in order
    link_checks: tuple[tuple[str, bool], ...]
    pages: dict[str, PageTrace]
    rest: tuple[Diagnostic, ...]  # every diagnostic that is not a reference page's own
    enum_types: dict[str, tuple[str, ...]]
    secured_api: bool
    text: str
    spans: dict[str, tuple[int, int]]  # path -> where its block is in `text`
    items: dict[str, str]  # path -> its path item as JSON
    counts: tuple[int, int, int, int]  # operations, schemas, pages, merged


def generate(inputs: Sequence[str | Path], *, fmt: str = "yaml", title: str = "SuperOffice WebAPI",
             cache_dir: Path | None = None, workers: int | None = None,
             progress: Progress | None = None) -> Generated:
    """The document from every page under `inputs` as `fmt` text; with a cache, YAML regenerates incrementally.

    Raises DocsError as `build_spec` does."""
    snapshot_file = _snapshot_file(cache_dir, inputs, title) if cache_dir is not None and fmt == "yaml" else None
    if snapshot_file is not None:
        done = _regenerate(inputs, cache_dir, snapshot_file)
        if done is not None:
            return done
    trace = BuildTrace()
    result = build_spec(inputs, title=title, progress=progress, cache_dir=cache_dir, workers=workers, trace=trace,
                        render=fmt)
    text = result.render(fmt)
    counts = (len(result.model.operations), len(result.model.schemas), result.pages, result.merged)
    if snapshot_file is not None:
        _save(snapshot_file, _snapshot(trace, result.spec, text, counts))
    return Generated(text, result.diagnostics, *counts, incremental=False)


@functools.lru_cache(maxsize=1)
def _output_fingerprint() -> bytes:
    """Everything that turns pages into the document: the generator package's code, template and schemas, and
    the libraries it leans on. A snapshot another version made is never spliced into."""
    digest = hashlib.sha256(fingerprint())
    package = Path(__file__).resolve().parent
    for path in sorted(package.rglob("*")):
        if path.suffix in (".py", ".j2", ".json") and path.is_file():
            digest.update(path.relative_to(package).as_posix().encode("utf-8") + b"\0" + path.read_bytes())
    for name in ("docmock", "Jinja2", "jsonschema-rs"):
        try:
            digest.update(f"{name}={metadata.version(name)};".encode())
        except metadata.PackageNotFoundError:
            continue
    return digest.digest()


def _snapshot_file(cache_dir: Path, inputs: Sequence[str | Path], title: str) -> Path:
    # Diagnostics name files relative to the current folder, so it is part of what a snapshot is for.
    digest = hashlib.sha256(_output_fingerprint())
    for part in (title, str(Path.cwd().resolve()), *sorted(str(Path(i).resolve()) for i in inputs)):
        digest.update(part.encode("utf-8") + b"\0")
    return cache_dir / f"{_SNAPSHOT_PREFIX}{digest.hexdigest()[:24]}.pickle"


def _snapshot(trace: BuildTrace, spec: dict[str, Any], text: str, counts: tuple[int, int, int, int]) -> Snapshot:
    paths = spec.get("paths", {})
    return Snapshot(
        files=tuple(trace.files), link_checks=tuple(trace.link_checks), pages=dict(trace.pages),
        rest=tuple(trace.rest), enum_types=dict(trace.enum_types), secured_api="security" in spec, text=text,
        spans=_spans(text, list(paths)), items={path: json.dumps(item) for path, item in paths.items()},
        counts=counts)


def _spans(text: str, paths: list[str]) -> dict[str, tuple[int, int]]:
    """Where each path item's block is: from its key line to its last line, without the final newline."""
    if not paths:
        return {}
    starts = []
    position = text.index("\npaths:\n")
    for path in paths:
        position = text.index(f"\n  {yaml_key(path)}:", position) + 1
        starts.append(position)
    end_of_paths = _NEXT_SECTION.search(text, starts[-1]).start()
    ends = [start - 1 for start in starts[1:]] + [end_of_paths]
    return dict(zip(paths, zip(starts, ends)))


def _regenerate(inputs: Sequence[str | Path], cache_dir: Path, snapshot_file: Path) -> Generated | None:
    """The document with only the changed pages' operations redone, or None when that cannot be trusted."""
    snapshot = _load(snapshot_file)
    if snapshot is None:
        return None
    files, problems = find_pages(inputs)
    # The same files, named the same way: with overlapping inputs, which input reaches a page first decides its
    # folder (so its tag) and its source.
    if problems or [(f.display, f.folder, f.source) for f in files] != [entry[:3] for entry in snapshot.files]:
        return None
    if any(os.path.exists(target) != found for target, found in snapshot.link_checks):
        return None
    changed = []
    for file, (display, _, _, old_key) in zip(files, snapshot.files):
        try:
            data = file.path.read_bytes()
        except OSError:
            return None
        key = page_key(display, data)
        if key != old_key:
            changed.append((display, key, data))
    if len(changed) > _MAX_CHANGED:
        return None
    pages = dict(snapshot.pages)
    items = dict(snapshot.items)
    edits: dict[str, str] = {}
    reads = {}
    for display, key, data in changed:
        before = pages.get(display)
        page = read_page_bytes(display, data)
        operation = redo_operation(display, before, page, snapshot.rest, snapshot.enum_types)
        if before is None or operation is None:
            return None
        item = json.loads(items[operation.path])
        item[operation.method] = operation_dict(operation, snapshot.secured_api)
        if not valid_alone(operation.path, item, snapshot.secured_api):
            return None  # the full build says what is wrong
        items[operation.path] = json.dumps(item)
        edits[operation.path] = yaml_lines({operation.path: item}, "  ")
        pages[display] = replace(before, key=key, own=page.diagnostics + page.draft.diagnostics)
        reads[key] = page
    text, spans = _splice(snapshot.text, snapshot.spans, edits)
    if changed:
        keys = {display: key for display, key, _ in changed}
        cache = PageCache(cache_dir)
        try:
            cache.put_many(reads)
        finally:
            cache.close()
        files_now = tuple((*entry[:3], keys.get(entry[0], entry[3])) for entry in snapshot.files)
        _save(snapshot_file, replace(snapshot, files=files_now, pages=pages, text=text, spans=spans, items=items))
    diagnostics = sorted([*snapshot.rest, *(d for page in pages.values() for d in page.own)],
                         key=lambda d: (d.path, d.line, d.severity.value, d.message))
    return Generated(text, tuple(diagnostics), *snapshot.counts, incremental=True)


def redo_operation(display: str, before: PageTrace | None, page: Any, rest: Sequence[Diagnostic],
                   enum_types: dict[str, tuple[str, ...]]) -> Any:
    """The page's new operation as the full build would finish it, if nothing but that operation changes;
    None when the edit may reach further. `rest` and `enum_types` are the last full build's (BuildTrace)."""
    draft = page.draft
    if before is None or not before.alone or draft is None or draft.digest != before.digest:
        return None
    operation = draft.operation
    if (operation.method, operation.path, operation.operation_id, operation.secured) != \
            (before.method, before.path, before.operation_id, before.secured):
        return None
    if any(d.path == display or display in d.message or before.source in d.message for d in rest):
        return None  # a contradiction or a rename names a line of this page, which may have moved
    finished = finish_operation(operation, before.resolved, {}, enum_types, before.tag, before.source)
    return finished if finished.operation_id == before.final_id else replace(finished, operation_id=before.final_id)


def valid_alone(path: str, item: dict[str, Any], secured_api: bool) -> bool:
    """Whether one path item, with stubs for the schemas it names, is valid OpenAPI on its own."""
    fragment: dict[str, Any] = {"openapi": OPENAPI_VERSION, "info": {"title": "fragment", "version": "0"},
                                "paths": {path: item}}
    components: dict[str, Any] = {"securitySchemes": SECURITY_SCHEMES} if secured_api else {}
    fragment["components"] = {**components, **component_stubs(item)}
    if secured_api:
        fragment["security"] = [{name: []} for name in SECURITY_SCHEMES]
    try:
        validate_document(fragment)
    except DocsError:
        return False
    return True


def _splice(text: str, spans: dict[str, tuple[int, int]], edits: dict[str, str]) -> tuple[str, dict[str, tuple[int, int]]]:
    """`text` with the blocks of the edited paths replaced, and every block's new span."""
    if not edits:
        return text, spans
    parts: list[str] = []
    new_spans: dict[str, tuple[int, int]] = {}
    position, shift = 0, 0
    for path, (start, end) in sorted(spans.items(), key=lambda item: item[1][0]):
        if path in edits:
            parts.append(text[position:start])
            parts.append(edits[path])
            new_spans[path] = (start + shift, start + shift + len(edits[path]))
            shift += len(edits[path]) - (end - start)
            position = end
        else:
            new_spans[path] = (start + shift, end + shift)
    parts.append(text[position:])
    return "".join(parts), new_spans


def _load(snapshot_file: Path) -> Snapshot | None:
    try:
        snapshot = pickle.loads(snapshot_file.read_bytes())
    except Exception:  # missing, half-written by a crash, or from an incompatible Python: build in full
        return None
    return snapshot if isinstance(snapshot, Snapshot) else None


def _save(snapshot_file: Path, snapshot: Snapshot) -> None:
    """Written whole or not at all (a temporary file renamed); snapshots left alone for a month are deleted."""
    snapshot_file.parent.mkdir(parents=True, exist_ok=True)
    temporary = snapshot_file.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_bytes(pickle.dumps(snapshot, protocol=pickle.HIGHEST_PROTOCOL))
    os.replace(temporary, snapshot_file)
    cutoff = time.time() - KEEP_DAYS * 86400
    for other in snapshot_file.parent.glob(f"{_SNAPSHOT_PREFIX}*"):
        try:
            if other != snapshot_file and other.stat().st_mtime < cutoff:
                other.unlink()
        except OSError:
            continue
