"""docmock's generator: Markdown API reference pages in, one OpenAPI 3.1 document out."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import Diagnostic, DocsError, Severity

if TYPE_CHECKING:
    from .pipeline import GenerationResult, build_spec

__all__ = ["Diagnostic", "DocsError", "GenerationResult", "Severity", "build_spec"]
_LAZY = ("GenerationResult", "build_spec")


def __getattr__(name: str) -> Any:
    # The pipeline (renderer, validator, cache) is imported on first use: the worker processes that parse
    # pages import only `generator.reading` and what it needs.
    if name in _LAZY:
        from . import pipeline
        return getattr(pipeline, name)
    raise AttributeError(f"module 'generator' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
