"""`docmock diff`: what a docs change does to the API contract, and what it breaks for existing clients."""
from __future__ import annotations

from .command import diff_command, run
from .compare import compare_documents
from .model import (EXIT_ERROR, EXIT_FAILED, EXIT_OK, REPORT_VERSION, Change, DiffError, DiffReport, Finding, Kind,
                    Level, OperationDiff, OperationState, Rule, Scope)
from .report import Format, as_json, render
from .rules import all_rules, classify, rule_for
from .sources import Source, load_source

__all__ = [
    "EXIT_ERROR", "EXIT_FAILED", "EXIT_OK", "REPORT_VERSION", "Change", "DiffError", "DiffReport", "Finding",
    "Format", "Kind", "Level", "OperationDiff", "OperationState", "Rule", "Scope", "Source", "all_rules",
    "as_json", "classify", "compare_documents", "diff_command", "load_source", "render", "rule_for", "run",
]
