"""The `docmock` command line: a thin shell over the generator and the mock server."""
from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from generator import DocsError, Severity, build_spec

# Exit codes of `docmock generate`, as documented in the README.
EXIT_OK, EXIT_STRICT, EXIT_NOTHING = 0, 1, 2
_PROGRESS_THRESHOLD = 200  # pages; smaller inputs finish before a bar would be readable


@click.group()
@click.version_option(package_name="docmock")
def main() -> None:
    """Turn Markdown API reference pages into an OpenAPI 3.1 contract and a mock server."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("-o", "--output", default="openapi.yaml", show_default=True,
              help="File to write; .json writes JSON, anything else YAML; '-' writes YAML to stdout.")
@click.option("--format", "fmt", type=click.Choice(["yaml", "json"]), default=None,
              help="Output format, overriding the file extension.")
@click.option("--strict", is_flag=True, help="Exit 1 when any page has a warning or error.")
@click.option("-q", "--quiet", is_flag=True, help="Print only warnings and errors, no summary.")
def generate(paths: tuple[Path, ...], output: str, fmt: str | None, strict: bool, quiet: bool) -> None:
    """Generate one OpenAPI 3.1 document from every page under PATHS (default: docs_src/)."""
    inputs = list(paths) or [Path("docs_src")]
    started = time.perf_counter()
    try:
        result = build_spec(inputs, progress=_progress_bar)
    except DocsError as exc:
        for diagnostic in exc.diagnostics:
            click.echo(diagnostic.format(), err=True)
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_NOTHING)
    for diagnostic in result.diagnostics:
        if diagnostic.severity is not Severity.NOTE or not quiet:
            click.echo(diagnostic.format(), err=True)
    fmt = fmt or ("json" if output.lower().endswith(".json") else "yaml")
    text = result.render(fmt)
    if output == "-":
        click.echo(text, nl=False)
    else:
        Path(output).write_text(text, encoding="utf-8")
    problems = result.count(Severity.WARNING) + result.count(Severity.ERROR)
    if not quiet:
        elapsed = time.perf_counter() - started
        click.echo(f"{len(result.model.operations)} operations, {len(result.model.schemas)} schemas from "
                   f"{result.pages} pages ({result.merged} merged) in {elapsed:.2f}s; {problems} problem(s)"
                   + ("" if output == "-" else f"; wrote {output}"), err=True)
    if strict and problems:
        sys.exit(EXIT_STRICT)


def _progress_bar(files):
    """A progress bar on a terminal for large inputs; plain iteration otherwise (CI logs stay clean)."""
    files = list(files)
    if len(files) < _PROGRESS_THRESHOLD or not sys.stderr.isatty():
        yield from files
        return
    with click.progressbar(files, label="Reading pages", file=sys.stderr) as bar:
        yield from bar


try:  # the mock server's command lives with the server
    from docmock.serve import serve
except ImportError:  # pragma: no cover - only while the server package is absent
    serve = None
if serve is not None:
    main.add_command(serve)
