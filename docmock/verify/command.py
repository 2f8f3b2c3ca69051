"""The `docmock verify` command: its options, reading the spec or the docs, and one-line errors."""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, NoReturn

import click

from .report import junit_xml, summary_lines
from .results import (DEFAULT_MAX_EXAMPLES, DEFAULT_MAX_STEPS, DEFAULT_REQUEST_TIMEOUT, EXIT_ERROR,
                      MISSING_SCHEMATHESIS, VerifyError, VerifyOptions)
from .run import verify

_SPEC_SUFFIXES = (".json", ".yaml", ".yml")


def _parse_header(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    headers = []
    for value in values:
        name, colon, content = value.partition(":")
        if not colon or not name.strip() or any(c.isspace() for c in name.strip()):
            raise click.BadParameter(f"{value!r} is not 'Name: value'", ctx, param)
        headers.append((name.strip(), content.strip()))
    return tuple(headers)


def _load(paths: tuple[Path, ...]) -> dict[str, Any]:
    """An OpenAPI file (one .json/.yaml/.yml) or docs folders and pages, as `docmock serve` reads them."""
    specs = [p for p in paths if p.is_file() and p.suffix.lower() in _SPEC_SUFFIXES]
    if specs:
        if len(paths) > 1:
            raise click.UsageError("give one OpenAPI file, or docs folders and pages, not both or several files")
        from mockserver import MockServerError, load_spec

        try:
            return load_spec(specs[0])
        except MockServerError as exc:
            raise VerifyError(str(exc)) from exc
    try:
        from generator import DocsError, build_spec
    except ImportError as exc:
        raise VerifyError(f"the generator is not available ({exc}); pass an OpenAPI file") from exc
    try:
        generated = build_spec(list(paths))
    except DocsError as exc:
        for diagnostic in exc.diagnostics:
            click.echo(diagnostic.format(), err=True)
        raise VerifyError(str(exc)) from exc
    for diagnostic in generated.diagnostics:
        click.echo(diagnostic.format(), err=True)
    return generated.spec


_EPILOG = """\b
Exit codes:
  0  every check passed
  1  at least one failure (listed per operation, each with a curl command)
  2  usage error, unreadable spec or docs, target unreachable, or schemathesis missing

\b
Examples:
  docmock verify docs_src --target http://127.0.0.1:4010 --header 'Authorization: Basic dXNlcjpwYXNz'
  docmock verify openapi.yaml --target https://staging.example.com --operations 'v1Batch_*' --junit verify.xml
"""


@click.command("verify", epilog=_EPILOG)
@click.argument("sources", metavar="SPEC_OR_DOCS...", nargs=-1, required=True,
                type=click.Path(exists=True, path_type=Path))
@click.option("--target", required=True, metavar="URL",
              help="Base URL of the server under test; the spec's paths are appended to it.")
@click.option("--header", "headers", multiple=True, metavar="'NAME: VALUE'", callback=_parse_header,
              help="Sent with every request, e.g. credentials (repeatable); shown in the curl commands.")
@click.option("--operations", "patterns", multiple=True, metavar="PATTERN",
              help="Test only operations whose operationId matches this glob (v1Batch_*), or 'METHOD /path' "
                   "glob (repeatable).")
@click.option("--max-examples", default=DEFAULT_MAX_EXAMPLES, show_default=True, type=click.IntRange(min=1),
              help="Generated requests per operation, and the number of stateful sequences.")
@click.option("--max-steps", default=DEFAULT_MAX_STEPS, show_default=True, type=click.IntRange(min=2),
              help="Requests in one stateful sequence, at most.")
@click.option("--time-budget", type=click.FloatRange(min=0, min_open=True), metavar="SECONDS",
              help="Start no request after this many seconds, and report what ran.")
@click.option("--seed", type=int, help="Seed of the generated requests: the same seed sends the same requests.")
@click.option("--no-stateful", is_flag=True, help="Only single requests: no create-then-read sequences.")
@click.option("--request-timeout", default=DEFAULT_REQUEST_TIMEOUT, show_default=True,
              type=click.FloatRange(min=0, min_open=True), metavar="SECONDS",
              help="How long to wait for one answer; no answer in time is a failure.")
@click.option("--junit", "junit_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the results as JUnit XML (one testcase per operation) to this file.")
def verify_command(sources: tuple[Path, ...], target: str, headers: tuple[tuple[str, str], ...],
                   patterns: tuple[str, ...], max_examples: int, max_steps: int, time_budget: float | None,
                   seed: int | None, no_stateful: bool, request_timeout: float, junit_file: Path | None) -> None:
    """Contract-test a running server against its docs.

    SPEC_OR_DOCS is one OpenAPI 3.0/3.1 or Swagger 2.0 file (JSON or YAML), or docs folders and pages to
    generate the spec from, as `docmock serve` does. The server at --target gets generated valid requests for every operation,
    and sequences that create a record and then read, change or delete it. Every answer is checked: no 5xx, no
    valid request refused, a documented status code and media type, a body that matches the schema, the
    required headers.
    """
    if not target.lower().startswith(("http://", "https://")):
        raise click.BadParameter(f"{target!r} is not an http:// or https:// URL", param_hint="'--target'")
    try:
        import schemathesis  # noqa: F401  (fail early and plainly when the optional dependency is missing)
    except ImportError:
        _fail(MISSING_SCHEMATHESIS)
    # Hypothesis caches what it learns about the code under .hypothesis/ in the current folder unless told
    # otherwise; a command run from anywhere keeps it with docmock's other caches instead.
    from generator.cache import default_cache_dir

    os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", str(default_cache_dir() / "hypothesis"))
    options = VerifyOptions(target=target, headers=headers, operations=patterns, max_examples=max_examples,
                            max_steps=max_steps, time_budget=time_budget, seed=seed, stateful=not no_stateful,
                            request_timeout=request_timeout)
    try:
        result = verify(_load(sources), options)
    except VerifyError as exc:
        _fail(str(exc))
    for line in summary_lines(result):
        click.echo(line)
    if junit_file is not None:
        try:
            junit_file.write_text(junit_xml(result), encoding="utf-8")
        except OSError as exc:
            _fail(f"cannot write {junit_file}: {exc.strerror or exc}")
    raise SystemExit(result.exit_code)


def _fail(message: str) -> NoReturn:
    click.echo(f"error: {_one_line(message)}", err=True)
    raise SystemExit(EXIT_ERROR)


def _one_line(message: str) -> str:
    """Errors are one line; YAML's name the place on later lines, under a copy of the text: keep the place."""
    first, *rest = message.strip().splitlines() or [""]
    place = re.search(r"line \d+, column \d+", "\n".join(rest))
    return f"{first.rstrip(':')} ({place.group(0)})" if place else first
