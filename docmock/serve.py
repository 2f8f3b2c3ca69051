"""The `docmock serve` command: build the mock from docs or an OpenAPI file, print what it serves, run uvicorn."""
from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import click

from mockserver import DEFAULT_MAX_BODY, MockServerError, create_app, load_spec

DEFAULT_DOCS = Path("docs_src")


def _spec_from_docs(paths: tuple[Path, ...]) -> dict[str, Any]:
    try:
        from generator import DocsError, build_spec  # imported late: serving a spec file must not need it
    except ImportError as exc:
        raise click.ClickException(
            f"the generator is not available ({exc}); pass an OpenAPI file with --spec") from exc
    try:
        result = build_spec(list(paths))
    except DocsError as exc:
        raise click.ClickException(str(exc)) from exc
    for diagnostic in getattr(result, "diagnostics", ()):
        click.echo(diagnostic.format(), err=True)
    return result.spec


@click.command("serve")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@click.option("--spec", "spec_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Serve this OpenAPI 3.0/3.1 file (JSON or YAML) instead of generating from docs.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=4010, show_default=True, type=int)
@click.option("--seed", default=0, show_default=True, type=int, help="Vary all generated data.")
@click.option("--no-auth", is_flag=True, help="Do not require the credentials the spec declares.")
@click.option("--cors-origin", "cors_origins", multiple=True, default=("*",), show_default=True,
              help="Origin allowed by CORS (repeatable; * allows any).")
@click.option("--max-body", default=DEFAULT_MAX_BODY, show_default=True, type=int,
              help="Largest accepted request body in bytes (larger gets 413).")
@click.option("--credential", "credentials", multiple=True, metavar="VALUE",
              help="Accept only this Authorization header value or API key (repeatable); default: any.")
@click.option("--quiet", is_flag=True, help="No per-request log lines.")
def serve(paths: tuple[Path, ...], spec_file: Path | None, host: str, port: int, seed: int, no_auth: bool,
          cors_origins: tuple[str, ...], max_body: int, credentials: tuple[str, ...],
          quiet: bool) -> None:
    """Serve a realistic mock of the API documented in PATH... (default: docs_src/) or in --spec FILE."""
    if spec_file is not None and paths:
        raise click.UsageError("give either docs PATHs or --spec, not both")
    try:
        spec = load_spec(spec_file) if spec_file is not None else _spec_from_docs(paths or (DEFAULT_DOCS,))
        app = create_app(spec, seed=seed, auth=not no_auth, cors_origins=cors_origins, max_body=max_body,
                         credentials=credentials)
    except MockServerError as exc:
        raise click.ClickException(str(exc)) from exc
    for line in app.report.lines():
        click.echo(line)
    click.echo(f"Serving on http://{host}:{port}/  (spec at /openapi.json, index at /)")
    logging.basicConfig(level=logging.WARNING if quiet else logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(message)s")
    import uvicorn  # imported here so `docmock --help` stays fast

    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False, lifespan="on")
