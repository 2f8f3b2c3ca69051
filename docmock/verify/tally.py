"""What one operation has seen during a verify run: its requests, its time and its distinct findings,
frozen into an OperationReport at the end."""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from .results import Finding, OperationReport

# Characters XML 1.0 cannot carry and UTF-8 cannot encode (lone surrogates): generated data may hold them.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass
class Tally:
    """What one operation has seen so far; mutable while the run goes, frozen into an OperationReport after."""

    method: str
    path: str
    operation_id: str | None
    requests: int = 0
    seconds: float = 0.0
    findings: dict[Any, list[Any]] = field(default_factory=dict)  # (check, failure) -> [Finding, count]
    error: str | None = None

    def record(self, check: str, failure: Any, finding: Finding) -> None:
        # schemathesis failures compare equal when they are the same kind of failure on the same operation and
        # the same thing failed (the status code, the schema keyword, the missing header): that is the dedup.
        key = (check, failure)
        seen = self.findings.get(key)
        if seen is None:
            self.findings[key] = [finding, 1]
            return
        seen[1] += 1
        if _weight(finding.reproduce) < _weight(seen[0].reproduce):
            seen[0] = finding  # the shortest reproduction of the same failure is the one worth reading

    def report(self, not_run: str | None) -> OperationReport:
        findings = tuple(replace(finding, occurrences=count) for finding, count in self.findings.values())
        return OperationReport(self.method, self.path, self.operation_id, self.requests, self.seconds, findings,
                               clean(self.error) if self.error else None,
                               not_run if self.requests == 0 and self.error is None else None)


def _weight(commands: Sequence[str]) -> int:
    return 1000 * len(commands) + sum(len(c) for c in commands)  # fewer steps first, then shorter ones


def clean(text: str) -> str:
    return _UNPRINTABLE.sub("\ufffd", text)


