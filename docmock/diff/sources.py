"""Reading one side of `docmock diff`: a spec file, a docs folder or page, or either at a git revision
(`git:REF:PATH`), into an OpenAPI document, with the diagnostics generating it gave."""
from __future__ import annotations

import dataclasses
import io
import posixpath
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator.collector import without_cycle_collection

from .model import DiffError

if TYPE_CHECKING:  # the generator is imported only when a docs folder is read
    from generator import Diagnostic

SPEC_SUFFIXES = (".json", ".yaml", ".yml")
GIT_PREFIX = "git:"


@dataclass(frozen=True, slots=True)
class Source:
    """One side of the comparison: the document, what the input was called, and what generating it said."""

    label: str                            # as given on the command line
    document: dict[str, Any]
    diagnostics: tuple[Diagnostic, ...] = ()  # what generating the spec from docs said


def load_source(spec: str, *, cwd: Path | None = None) -> Source:
    """The OpenAPI document an input names: a .json/.yaml/.yml spec (OpenAPI 3.x or Swagger 2.0), a docs
    folder or page, or `git:REF:PATH` for either as it was at a revision (PATH relative to `cwd`)."""
    cwd = cwd or Path.cwd()
    if spec.startswith(GIT_PREFIX):
        return _from_git(spec, cwd)
    path = Path(spec)
    if not path.is_absolute():
        path = cwd / path
    if not path.exists():
        raise DiffError(f"{spec}: no such file or folder")
    return _load_path(path, spec)


def _load_path(path: Path, label: str, display: tuple[str, str] | None = None) -> Source:
    """`display`: (a folder, the name to show instead), so diagnostics about pages extracted from git name
    them as `git:REF:...`, not by the temporary folder they were read from."""
    if path.is_file() and path.suffix.lower() in SPEC_SUFFIXES:
        return Source(label, _load_spec(path, label))
    return _load_docs(path, label, display)


def _load_spec(path: Path, label: str) -> dict[str, Any]:
    from mockserver import MockServerError, load_spec

    try:
        with without_cycle_collection():
            return load_spec(path)
    except MockServerError as exc:
        raise DiffError(_named(str(exc), path, label)) from exc


def _named(message: str, path: Path, label: str) -> str:
    return message.replace(str(path), label)


def _load_docs(path: Path, label: str, display: tuple[str, str] | None) -> Source:
    from generator import DocsError, build_spec

    try:
        result = build_spec([path])
    except DocsError as exc:
        shown = "\n".join(_shown(d, display).format() for d in exc.diagnostics if d.severity.value == "error")
        raise DiffError(f"{label}: {exc}" + (f"\n{shown}" if shown else "")) from exc
    return Source(label, result.spec, tuple(_shown(d, display) for d in result.diagnostics))


def _shown(diagnostic: Diagnostic, display: tuple[str, str] | None) -> Diagnostic:
    if display is None:
        return diagnostic
    folder, name = display
    if not diagnostic.path.startswith(folder):
        return diagnostic
    return dataclasses.replace(diagnostic, path=name + diagnostic.path[len(folder):])


# -- git revisions -----------------------------------------------------------------------------------------

def parse_git_spec(spec: str) -> tuple[str, str]:
    """(REF, PATH) of `git:REF:PATH`. A ref cannot contain ':' (git forbids it), so the first one ends it."""
    rest = spec[len(GIT_PREFIX):]
    ref, colon, path = rest.partition(":")
    if not colon or not ref:
        raise DiffError(f"{spec}: expected git:REF:PATH, e.g. git:origin/main:docs_src")
    return ref, path or "."


def _from_git(spec: str, cwd: Path) -> Source:
    ref, path = parse_git_spec(spec)
    top = _git(cwd, "rev-parse", "--show-toplevel", error=f"{spec}: {cwd} is not in a git repository").strip()
    _git(cwd, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}",
         error=f"{spec}: unknown git revision '{ref}'")
    # PATH is read from the current folder, as the other input is: `git:main:docs_src` beside `docs_src`.
    prefix = _git(cwd, "rev-parse", "--show-prefix", error=f"{spec}: cannot locate {cwd} in the repository").strip()
    inside = posixpath.normpath(posixpath.join(prefix, path)) if not path.startswith("/") else \
        posixpath.normpath(path.lstrip("/") or ".")
    if inside == ".." or inside.startswith("../"):
        raise DiffError(f"{spec}: {path} is outside the repository at {top}")
    # From here on the paths are the repository's (from its top), as `REF:PATH` reads them anyway.
    repo = Path(top)
    what = _git(repo, "cat-file", "-t", f"{ref}:{'' if inside == '.' else inside}",
                error=f"{spec}: '{path}' does not exist at {ref}").strip()
    with _checkout(repo, ref, inside, what, spec) as extracted:
        return _load_path(extracted, spec, (str(extracted.resolve()), f"{GIT_PREFIX}{ref}:{path.rstrip('/')}"))


@contextmanager
def _checkout(repo: Path, ref: str, inside: str, what: str, spec: str) -> Iterator[Path]:
    """PATH at REF, written to a temporary folder (removed afterwards) under the same name, so that the
    generated spec names its pages as it would from the working tree."""
    with tempfile.TemporaryDirectory(prefix="docmock-diff-") as tmp:
        root = Path(tmp)
        if what == "blob":
            data = _git_bytes(repo, "cat-file", "blob", f"{ref}:{inside}", error=f"{spec}: cannot read it at {ref}")
            target = root / posixpath.basename(inside)
            target.write_bytes(data)
            yield target
            return
        if what != "tree":
            raise DiffError(f"{spec}: '{inside}' at {ref} is a {what}, not a file or folder")
        # `git archive` writes the tree as it is at REF, whatever the working tree holds.
        args = ["archive", "--format=tar", ref] + ([] if inside == "." else ["--", inside])
        data = _git_bytes(repo, *args, error=f"{spec}: cannot read '{inside}' at {ref}")
        with tarfile.open(fileobj=io.BytesIO(data)) as archive:
            archive.extractall(root, filter="data")
        yield root if inside == "." else root / inside


def _git(cwd: Path, *args: str, error: str) -> str:
    return _git_bytes(cwd, *args, error=error).decode("utf-8", "replace")


def _git_bytes(cwd: Path, *args: str, error: str) -> bytes:
    # `git -C`: the repository is the one the command is run in; the paths in the arguments are git's.
    try:
        done = subprocess.run(["git", "-C", str(cwd), *args], capture_output=True, check=False)
    except FileNotFoundError as exc:
        raise DiffError("git:REF:PATH needs git, which is not installed") from exc
    if done.returncode != 0:
        raise DiffError(error)
    return done.stdout
