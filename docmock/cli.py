"""The `docmock` command line: a thin shell over the generator and the mock server."""
from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from generator import DocsError, Severity

# Exit codes of `docmock generate`, as documented in the README.
EXIT_OK, EXIT_STRICT, EXIT_NOTHING = 0, 1, 2
_PROGRESS_THRESHOLD = 200  # pages; smaller inputs finish before a bar would be readable


class _Commands(click.Group):
    """Imports `serve` (and with it the whole mock server), `verify` and `diff` only when it is the command
    being run."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), "serve", "verify", "diff"})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name == "serve":
            from docmock.serve import serve

            return serve
        if name == "verify":
            from docmock.verify import verify_command

            return verify_command
        if name == "diff":
            from docmock.diff import diff_command

            return diff_command
        return super().get_command(ctx, name)


@click.group(cls=_Commands)
@click.version_option(package_name="docmock")
def main() -> None:
    """Turn Markdown API reference pages into an OpenAPI 3.1 contract and a mock server."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("-o", "--output", default="openapi.yaml", show_default=True,
              help="File to write; .json writes JSON, anything else YAML; '-' writes YAML to stdout.")
@click.option("--format", "fmt", type=click.Choice(["yaml", "json"]), default=None,
              help="Output format, overriding the file extension.")
@click.option("--strict", is_flag=True, help="Exit 1 when any page has a warning or error.")
@click.option("-q", "--quiet", is_flag=True, help="Print only warnings and errors, no summary.")
@click.option("--cache-dir", type=click.Path(path_type=Path), default=None,
              help="Where read pages are remembered [default: $XDG_CACHE_HOME/docmock].")
@click.option("--no-cache", is_flag=True, help="Read every page from scratch, and remember nothing.")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Processes that read (parse and infer) pages [default: one per core].")
def generate(paths: tuple[Path, ...], output: str, fmt: str | None, strict: bool, quiet: bool,
             cache_dir: Path | None, no_cache: bool, workers: int | None) -> None:
    """Generate one OpenAPI 3.1 document from every page under PATHS (default: docs_src/)."""
    # Imported here, not at the top: the worker processes that read pages start by importing this module.
    from generator.cache import default_cache_dir
    from generator.incremental import generate as generate_document
    from generator.prose_shapes import rule_counts

    inputs = list(paths) or [Path("docs_src")]
    started = time.perf_counter()
    cache = None if no_cache else (cache_dir or default_cache_dir())
    fmt = fmt or ("json" if output.lower().endswith(".json") else "yaml")
    try:
        result = generate_document(inputs, fmt=fmt, progress=_progress_bar, cache_dir=cache, workers=workers)
    except DocsError as exc:
        for diagnostic in exc.diagnostics:
            click.echo(diagnostic.format(), err=True)
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_NOTHING)
    for diagnostic in result.diagnostics:
        if diagnostic.severity is not Severity.NOTE or not quiet:
            click.echo(diagnostic.format(), err=True)
    text = result.text
    if output == "-":
        click.echo(text, nl=False)
    else:
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as exc:
            click.echo(f"error: cannot write {output}: {exc.strerror}", err=True)
            sys.exit(EXIT_NOTHING)
    problems = sum(1 for d in result.diagnostics if d.severity in (Severity.WARNING, Severity.ERROR))
    if not quiet:
        elapsed = time.perf_counter() - started
        how = " (only the changed pages' operations redone)" if result.incremental else ""
        fired = rule_counts(result.diagnostics)
        rules = "; shapes from prose: " + ", ".join(f"{rule} {n}" for rule, n in sorted(fired.items())) \
            if fired else ""
        click.echo(f"{result.operations} operations, {result.schemas} schemas from {result.pages} pages "
                   f"({result.merged} merged) in {elapsed:.2f}s{how}; {problems} problem(s){rules}"
                   + ("" if output == "-" else f"; wrote {output}"), err=True)
    if strict and problems:
        sys.exit(EXIT_STRICT)


def _progress_bar(items, total: int):
    """A progress bar on a terminal for large inputs; plain iteration otherwise (CI logs stay clean)."""
    if total < _PROGRESS_THRESHOLD or not sys.stderr.isatty():
        yield from items
        return
    with click.progressbar(items, length=total, label="Reading pages", file=sys.stderr) as bar:
        yield from bar

