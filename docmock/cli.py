"""The `docmock` command line: a thin shell over the generator and the mock server."""
from __future__ import annotations

import click


@click.group()
@click.version_option(package_name="docmock")
def main() -> None:
    """Turn Markdown API reference pages into an OpenAPI 3.1 contract and a mock server."""
