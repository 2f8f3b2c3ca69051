"""The `docmock diff` command: its options, reading both inputs, the report, and the exit code CI acts on."""
from __future__ import annotations

import enum
from collections.abc import Callable
from typing import NoReturn

import click

from generator.collector import without_cycle_collection

from .compare import compare_documents
from .model import EXIT_ERROR, EXIT_FAILED, EXIT_OK, DiffError, DiffReport
from .report import Format, render
from .sources import load_source


class FailOn(enum.Enum):
    """Which changes make `docmock diff` exit 1."""

    BREAKING = "breaking"
    ANY = "any"
    NONE = "none"


_MEETS: dict[FailOn, Callable[[DiffReport], bool]] = {
    FailOn.BREAKING: lambda report: report.breaking > 0,
    FailOn.ANY: lambda report: report.changes > 0,
    FailOn.NONE: lambda report: False,
}

_EPILOG = """\b
OLD and NEW are each one of:
  an OpenAPI 3.0/3.1 or Swagger 2.0 file (.json, .yaml, .yml)
  a docs folder or page (the spec is generated from it, as `docmock generate` does)
  git:REF:PATH   PATH as it is at the git revision REF (PATH from the current folder)

\b
Exit codes:
  0  the comparison ran, and no change met --fail-on
  1  a change met --fail-on (breaking: a breaking change; any: any change)
  2  usage error, or an input that cannot be read (no such file, unknown revision, not OpenAPI)

\b
Examples:
  docmock diff git:origin/main:docs_src docs_src --fail-on breaking
  docmock diff vendor.json docs/ --format markdown > contract.md
"""


@click.command("diff", epilog=_EPILOG)
@click.argument("old", metavar="OLD")
@click.argument("new", metavar="NEW")
@click.option("--format", "fmt", type=click.Choice([f.value for f in Format]), default=Format.TEXT.value,
              show_default=True,
              help="text for people, markdown for a pull-request comment, json (docs/diff-report.schema.json).")
@click.option("--fail-on", "fail_on", type=click.Choice([f.value for f in FailOn]), default=FailOn.NONE.value,
              show_default=True, help="Exit 1 when there is a change of this class.")
@click.option("-q", "--quiet", is_flag=True, help="Of what generating the docs said, print only warnings and errors.")
def diff_command(old: str, new: str, fmt: str, fail_on: str, quiet: bool) -> None:
    """What the change from OLD to NEW does to the API contract, and what it breaks for existing clients.

    Every change, per operation, is classed breaking or non-breaking, with its oasdiff rule id and why.
    """
    try:
        report = run(old, new, quiet=quiet)
    except DiffError as exc:
        _fail(str(exc))
    click.echo(render(report, Format(fmt)), nl=False)
    raise SystemExit(EXIT_FAILED if _MEETS[FailOn(fail_on)](report) else EXIT_OK)


def run(old: str, new: str, *, quiet: bool = False) -> DiffReport:
    """Reads both inputs (printing what generating the docs said to stderr, as `docmock generate` does) and
    compares them."""
    with without_cycle_collection():
        sources = [load_source(old), load_source(new)]
    for source in sources:
        for diagnostic in source.diagnostics:
            if not quiet or diagnostic.severity.value != "note":
                click.echo(diagnostic.format(), err=True)
    return compare_documents(sources[0].document, sources[1].document, old_label=old, new_label=new)


def _fail(message: str) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    raise SystemExit(EXIT_ERROR)
