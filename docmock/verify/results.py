"""What a verify run is asked to do and what it found: its options, its results, exit codes and errors."""
from __future__ import annotations

from dataclasses import dataclass

MISSING_SCHEMATHESIS = "docmock verify needs schemathesis: pip install 'docmock[verify]'"
# Exit codes, as `docmock verify --help` and the README document them.
EXIT_PASSED, EXIT_FAILED, EXIT_ERROR = 0, 1, 2

DEFAULT_MAX_EXAMPLES = 25
DEFAULT_MAX_STEPS = 6
DEFAULT_REQUEST_TIMEOUT = 10.0


class VerifyError(Exception):
    """The run could not start or could not go on: unusable spec, nothing selected, target unreachable."""


@dataclass(frozen=True, slots=True)
class VerifyOptions:
    target: str                                   # base URL the spec's paths are appended to
    headers: tuple[tuple[str, str], ...] = ()     # sent with every request (credentials), and in every curl
    operations: tuple[str, ...] = ()              # globs over operationId or "METHOD /path"; empty: all
    max_examples: int = DEFAULT_MAX_EXAMPLES      # generated requests per operation, and stateful sequences
    max_steps: int = DEFAULT_MAX_STEPS            # requests in one stateful sequence, at most
    time_budget: float | None = None              # seconds; no new request starts after it
    seed: int | None = None                       # None: a random seed, reported so the run can be repeated
    stateful: bool = True
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT


@dataclass(frozen=True, slots=True)
class Finding:
    """One distinct way an operation broke its contract; repeats are counted, not listed."""

    check: str                  # the schemathesis check that failed, e.g. status_code_conformance
    title: str                  # e.g. "Undocumented status code"
    message: str                # what was wrong, in short: "Received: 201\nDocumented: 200"
    reproduce: tuple[str, ...]  # curl commands: the failing request last, after the earlier steps of its sequence
    stateful: bool              # found in a sequence of requests (create, then read ...)
    occurrences: int = 1
    details: str = ""           # schemathesis' whole message: the schema and the value, when it is the body


@dataclass(frozen=True, slots=True)
class OperationReport:
    method: str
    path: str
    operation_id: str | None
    requests: int                 # sent for this operation, alone and within sequences
    seconds: float = 0.0          # spent sending them and checking the answers
    findings: tuple[Finding, ...] = ()
    error: str | None = None      # the operation could not be tested: no request can be built from its spec
    not_run: str | None = None    # why no request was sent (the time budget), when none was

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def name(self) -> str:
        return self.operation_id or self.label

    @property
    def passed(self) -> bool:
        return not self.findings and self.error is None


@dataclass(frozen=True, slots=True)
class StatefulReport:
    links: int                # links the sequences can follow: the spec's own and the ones docmock added
    added_links: int          # of those, the ones docmock added from its entity inference
    sequences: int            # sequences started
    requests: int
    note: str | None = None   # why no sequence ran, or why they stopped early
    entities_error: str | None = None  # why docmock's entity inference added no links, when it failed


@dataclass(frozen=True, slots=True)
class VerifyResult:
    target: str
    seed: int
    operations: tuple[OperationReport, ...]
    stateful: StatefulReport | None  # None: switched off
    seconds: float
    budget_spent: bool = False

    @property
    def failures(self) -> int:
        return sum(len(op.findings) + (op.error is not None) for op in self.operations)

    @property
    def requests(self) -> int:
        return sum(op.requests for op in self.operations)

    @property
    def passed(self) -> bool:
        return self.failures == 0

    @property
    def exit_code(self) -> int:
        return EXIT_PASSED if self.passed else EXIT_FAILED
