"""Diagnostics about the docs and the generator's one root exception."""
from __future__ import annotations

import enum

from .records import record


class Severity(enum.Enum):
    NOTE = "note"
    WARNING = "warning"
    ERROR = "error"


@record(order=True)
class Diagnostic:
    """One problem found in one page, pointing at the line that shows it."""

    path: str
    line: int
    severity: Severity
    message: str

    def format(self) -> str:
        return f"{self.path}:{self.line}: {self.severity.value}: {self.message}"


class DocsError(Exception):
    """Raised when nothing could be generated; carries every diagnostic found on the way."""

    def __init__(self, message: str, diagnostics: tuple[Diagnostic, ...] = ()) -> None:
        super().__init__(message)
        self.diagnostics = diagnostics


class DiagnosticSink:
    """Collects diagnostics for one page, so a stage can report and carry on."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.items: list[Diagnostic] = []

    def warn(self, line: int, message: str) -> None:
        self.items.append(Diagnostic(self.path, line, Severity.WARNING, message))

    def error(self, line: int, message: str) -> None:
        self.items.append(Diagnostic(self.path, line, Severity.ERROR, message))

    def note(self, line: int, message: str) -> None:
        self.items.append(Diagnostic(self.path, line, Severity.NOTE, message))
