"""docmock's generator: Markdown API reference pages in, one OpenAPI 3.1 document out."""
from __future__ import annotations

from .errors import Diagnostic, DocsError, Severity
from .pipeline import GenerationResult, build_spec

__all__ = ["Diagnostic", "DocsError", "GenerationResult", "Severity", "build_spec"]
