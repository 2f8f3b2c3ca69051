"""`docmock verify`: contract-tests a running server against an OpenAPI document, with schemathesis as a library."""
from __future__ import annotations

# Cheap to import: schemathesis, an optional dependency, is imported only when a run starts.
from .command import verify_command
from .report import junit_xml, summary_lines
from .results import (DEFAULT_MAX_EXAMPLES, DEFAULT_MAX_STEPS, DEFAULT_REQUEST_TIMEOUT, EXIT_ERROR, EXIT_FAILED,
                      EXIT_PASSED, MISSING_SCHEMATHESIS, Finding, OperationReport, StatefulReport, VerifyError,
                      VerifyOptions, VerifyResult)
from .run import unreachable, verify
from .selection import add_entity_links, matches, select_operations

__all__ = [
    "DEFAULT_MAX_EXAMPLES", "DEFAULT_MAX_STEPS", "DEFAULT_REQUEST_TIMEOUT", "EXIT_ERROR", "EXIT_FAILED", "EXIT_PASSED",
    "MISSING_SCHEMATHESIS", "Finding", "OperationReport", "StatefulReport", "VerifyError", "VerifyOptions",
    "VerifyResult", "add_entity_links", "junit_xml", "matches", "select_operations", "summary_lines", "unreachable",
    "verify", "verify_command",
]
