"""docmock's generator: Markdown API reference pages in, one OpenAPI 3.1 document out."""
from __future__ import annotations

from typing import Any

from .errors import Diagnostic, DocsError, Severity

__all__ = ["Diagnostic", "DocsError", "GenerationResult", "Severity", "build_spec"]


def __getattr__(name: str) -> Any:
    # The pipeline (renderer, validator, cache) is imported on first use: the worker processes that parse
    # pages import only `generator.reading` and what it needs.
    if name in ("GenerationResult", "build_spec"):
        from . import pipeline
        return getattr(pipeline, name)
    raise AttributeError(f"module 'generator' has no attribute {name!r}")
