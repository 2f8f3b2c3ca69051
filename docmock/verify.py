"""`docmock verify`: contract-tests a running server against an OpenAPI document, with schemathesis as a library."""
from __future__ import annotations

import copy
import fnmatch
import os
import random
import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

if TYPE_CHECKING:  # schemathesis is optional: imported when a run starts, never when this module is
    from schemathesis import Case, Response
    from schemathesis.schemas import APIOperation, BaseSchema

MISSING_SCHEMATHESIS = "docmock verify needs schemathesis: pip install 'docmock[verify]'"
# Exit codes, as `docmock verify --help` and the README document them.
EXIT_PASSED, EXIT_FAILED, EXIT_ERROR = 0, 1, 2

DEFAULT_MAX_EXAMPLES = 25
DEFAULT_MAX_STEPS = 6
DEFAULT_REQUEST_TIMEOUT = 10.0
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_SPEC_SUFFIXES = (".json", ".yaml", ".yml")
_MESSAGE_LINES = 6     # of a finding's message in the summary; the JUnit file has all of it
_LINK_PREFIX = "docmock-"  # names of the links docmock adds, so that they never replace one the spec names
# Characters XML 1.0 cannot carry and UTF-8 cannot encode (lone surrogates): generated data may hold them.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


class VerifyError(Exception):
    """The run could not start or could not go on: unusable spec, nothing selected, target unreachable."""


# -- what a run is asked to do, and what it found -------------------------------------------------------------


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


# -- selecting operations and linking them -------------------------------------------------------------------


def _iter_operations(spec: Mapping[str, Any]) -> Iterator[tuple[str, str, Mapping[str, Any]]]:
    for path, item in (spec.get("paths") or {}).items():
        if isinstance(item, Mapping):
            for method, operation in item.items():
                if method in _METHODS and isinstance(operation, Mapping):
                    yield path, method, operation


def matches(pattern: str, method: str, path: str, operation_id: str | None) -> bool:
    """A pattern names operationIds (`v1Batch_*`) or a method and paths (`GET /api/v1/BatchTask/*`)."""
    verb, _, paths = pattern.strip().partition(" ")
    if paths and verb.lower() in _METHODS:
        return verb.lower() == method and fnmatch.fnmatchcase(path, paths.strip())
    return operation_id is not None and fnmatch.fnmatchcase(operation_id, pattern.strip())


def select_operations(spec: Mapping[str, Any], patterns: Sequence[str]) -> dict[str, Any]:
    """A copy of `spec` with the operations some pattern matches (all when there is none); every pattern must
    match at least one operation, so that a typo is an error rather than a run that tests nothing."""
    selected = copy.deepcopy(dict(spec))
    if not patterns:
        return selected
    used: set[str] = set()
    paths: dict[str, Any] = {}
    for path, item in (selected.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        kept = {}
        for key, value in item.items():
            if key not in _METHODS:
                kept[key] = value  # path-level parameters, summary, servers
                continue
            hits = [p for p in patterns if isinstance(value, Mapping)
                    and matches(p, key, path, value.get("operationId"))]
            used.update(hits)
            if hits:
                kept[key] = value
        if any(key in _METHODS for key in kept):
            paths[path] = kept
    unused = [p for p in patterns if p not in used]
    if unused:
        raise VerifyError("no operation matches --operations " + ", ".join(repr(p) for p in unused))
    selected["paths"] = paths
    return selected


def add_entity_links(spec: dict[str, Any]) -> int:
    """Add OpenAPI links from each operation that creates a record to the operations that take its id; returns
    how many were added.

    docmock's state inference (mockserver.state) knows, per entity, which operation creates a record, whether it
    answers the new id or the record, and which operations take that id in which path parameter or body field:
    exactly the links a create-then-read sequence needs. schemathesis' own dependency analysis guesses some of
    them, but it takes the id for `GET /Person/{id}` from the create's request body (which the server ignores
    and replaces) and sets array fields (`BatchTaskIds`) to a single id, so it is left off. Links the spec
    names itself are kept as they are.
    """
    from mockserver.state import Reply, Role, infer  # the inference only: no store, no app

    inference = infer(spec)
    by_id = {op.get("operationId"): op for _, _, op in _iter_operations(spec)}
    added = 0
    for create in inference.actions.values():
        if create.role is not Role.CREATE or create.reply not in (Reply.ID, Reply.RECORD):
            continue
        response = ((by_id.get(create.operation_id) or {}).get("responses") or {}).get(str(create.status))
        if not isinstance(response, dict):
            continue
        new_id = "$response.body" if create.reply is Reply.ID else f"$response.body#/{create.entity.id_field}"
        links = response.setdefault("links", {})
        for user in inference.actions.values():
            if (user.entity.name != create.entity.name or user.id_source is None or user.operation_id not in by_id
                    or user.role not in (Role.READ, Role.REPLACE, Role.PATCH, Role.DELETE)):
                continue
            where, name = user.id_source
            if where == "path":
                link = {"operationId": user.operation_id, "parameters": {f"path.{name}": new_id}}
            elif where == "body":  # merged into the body schemathesis generates for the target
                link = {"operationId": user.operation_id, "requestBody": {name: new_id}}
            else:
                continue
            key = f"{_LINK_PREFIX}{user.role.value}-{user.operation_id}"
            if key not in links:
                links[key] = link
                added += 1
    return added


def _count_links(spec: Mapping[str, Any]) -> int:
    return sum(len(response.get("links") or {}) for _, _, operation in _iter_operations(spec)
               for response in (operation.get("responses") or {}).values() if isinstance(response, Mapping))


# -- running -------------------------------------------------------------------------------------------------


class _BudgetSpent(BaseException):
    """Raised instead of sending a request once the time budget is over. Not an Exception, so that Hypothesis
    does not take it for a failing example to replay and shrink: it unwinds the run at once."""


class _ServerGone(BaseException):
    """Raised when the target stopped answering altogether; unwinds the run like `_BudgetSpent`."""


class _SequenceBroken(BaseException):
    """A step of a sequence got no answer (already recorded as a finding): the sequences stop there, at once,
    rather than have Hypothesis replay the sequence to a server that does not answer."""


@dataclass
class _Tally:
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
                               _clean(self.error) if self.error else None,
                               not_run if self.requests == 0 and self.error is None else None)


def _weight(commands: Sequence[str]) -> int:
    return 1000 * len(commands) + sum(len(c) for c in commands)  # fewer steps first, then shorter ones


class _Run:
    """One verify run: sends cases, checks every answer, and keeps a tally per operation."""

    def __init__(self, schema: BaseSchema, options: VerifyOptions, seed: int) -> None:
        import requests
        from schemathesis.checks import not_a_server_error
        from schemathesis.specs.openapi import checks

        self.schema = schema
        self.options = options
        self.seed = seed
        self.base_url = options.target.rstrip("/")
        self.headers = dict(options.headers)
        self.session = requests.Session()  # keep-alive: one connection for the whole run
        self.no_answer = (requests.exceptions.ConnectionError, requests.exceptions.Timeout)
        self.deadline = None if options.time_budget is None else time.monotonic() + options.time_budget
        self.budget_spent = False
        # Every answer: no 5xx; a documented status code and media type; a body and headers as documented.
        self.checks = [not_a_server_error, checks.status_code_conformance, checks.content_type_conformance,
                       checks.response_schema_conformance, checks.response_headers_conformance]
        # And within sequences: a record just created can be read back, one deleted cannot.
        self.sequence_checks = [*self.checks, checks.ensure_resource_availability, checks.use_after_free]
        self.tallies: dict[str, _Tally] = {}

    def operations(self) -> list[APIOperation]:
        """The operations to test, each with its tally; a part of the spec schemathesis cannot read is an error
        on its operation, which then cannot be tested."""
        from schemathesis.core.result import Ok

        operations = []
        for result in self.schema.get_all_operations():
            if isinstance(result, Ok):
                operations.append(result.ok())
                self.tally(result.ok())
                continue
            error = result.err()
            method, path = (getattr(error, "method", None) or "?").upper(), getattr(error, "path", None) or "?"
            self.tallies.setdefault(f"{method} {path}", _Tally(method, path, None)).error = \
                f"cannot be tested: {_first_line(error)}"
        return operations

    def tally(self, operation: APIOperation) -> _Tally:
        found = self.tallies.get(operation.label)
        if found is None:
            found = self.tallies[operation.label] = _Tally(
                operation.method.upper(), operation.path, operation.definition.raw.get("operationId"))
        return found

    def call_kwargs(self) -> dict[str, Any]:
        return {"base_url": self.base_url, "headers": dict(self.headers), "session": self.session,
                "timeout": self.options.request_timeout}

    # one request -------------------------------------------------------------------------------------------

    def send(self, case: Case, **kwargs: Any) -> Response | None:
        """Send `case`: None when it got no answer (recorded as a finding); unwinds when the server is gone."""
        if self.deadline is not None and time.monotonic() >= self.deadline:
            self.budget_spent = True
            raise _BudgetSpent
        tally = self.tally(case.operation)
        tally.requests += 1
        started = time.monotonic()
        try:
            return case.call(**(kwargs or self.call_kwargs()))
        except self.no_answer as exc:
            gone = unreachable(self.base_url, self.options.request_timeout)
            if gone is not None:
                raise _ServerGone(f"{self.base_url} stopped answering: {gone}") from None
            # The server is there, but this request got no answer (a dropped connection, a timeout).
            curl = _clean(case.as_curl_command(headers=self.headers, base_url=self.base_url))
            tally.record("no_answer", type(exc), Finding(
                "no_answer", "No answer", _why(exc, self.options.request_timeout), (curl,), stateful=False))
            return None
        finally:
            tally.seconds += time.monotonic() - started

    def validate(self, case: Case, response: Response, *, recorder: Any = None,
                 earlier: Sequence[tuple[Case, Response]] = ()) -> None:
        from schemathesis.errors import FailureGroup

        tally = self.tally(case.operation)
        started = time.monotonic()
        transport = {"base_url": self.base_url, "headers": dict(self.headers)}
        # One check at a time, so that each failure is reported under the check that found it.
        for check in self.sequence_checks if recorder is not None else self.checks:
            try:
                case.validate_response(response, checks=[check], headers=self.headers,
                                       transport_kwargs=transport, recorder=recorder)
            except FailureGroup as group:
                reproduce = tuple(_clean(self.curl(c, r)) for c, r in (*earlier, (case, response)))
                for failure in group.exceptions:
                    tally.record(check.__name__, failure, Finding(
                        check.__name__, _clean(failure.title), _clean(_short(failure.message)), reproduce,
                        stateful=recorder is not None, details=_clean(failure.message.strip())))
        tally.seconds += time.monotonic() - started

    def curl(self, case: Case, response: Response) -> str:
        # The headers the request really carried: generated ones and --header values.
        return case.as_curl_command(headers=dict(response.request.headers), base_url=self.base_url)

    def settings(self, **overrides: Any) -> Any:
        import hypothesis

        # No example database: a verify run must not write .hypothesis/ into the user's folder.
        return hypothesis.settings(
            deadline=None, database=None, derandomize=False, report_multiple_bugs=False, print_blob=False,
            suppress_health_check=list(hypothesis.HealthCheck), verbosity=hypothesis.Verbosity.quiet, **overrides)

    # single requests ---------------------------------------------------------------------------------------

    def requests_for(self, operation: APIOperation) -> None:
        import hypothesis
        from hypothesis.errors import Unsatisfiable
        from schemathesis import GenerationMode

        tally = self.tally(operation)

        def exercise(case: Case) -> None:
            response = self.send(case)
            if response is not None:
                self.validate(case, response)

        try:
            # Only valid requests: the docs promise nothing about how invalid ones are refused.
            test = hypothesis.given(case=operation.as_strategy(generation_mode=GenerationMode.POSITIVE))(exercise)
            for example in self.documented_examples(operation):  # the docs' own sample requests go first
                test = hypothesis.example(case=example)(test)
            test = self.settings(max_examples=self.options.max_examples,
                                 phases=(hypothesis.Phase.explicit, hypothesis.Phase.generate))(test)
            hypothesis.seed(self.seed)(test)()
        except Unsatisfiable:
            tally.error = "no valid request can be generated from this operation's parameters and body"
        except Exception as exc:  # schemathesis cannot build requests from this part of the spec
            tally.error = f"could not generate requests: {_first_line(exc)}"

    def documented_examples(self, operation: APIOperation) -> list[Case]:
        import hypothesis

        cases: list[Case] = []
        try:
            strategies = operation.get_strategies_from_examples()
        except Exception:  # an example that makes no request is the spec's problem, and not this check's
            return cases
        for strategy in strategies:
            @hypothesis.given(strategy)
            @self.settings(max_examples=1, phases=(hypothesis.Phase.generate,))
            def draw(case: Case) -> None:
                cases.append(case)

            try:
                hypothesis.seed(self.seed)(draw)()
            except Exception:
                continue
        return cases

    # sequences ---------------------------------------------------------------------------------------------

    def sequences(self, added_links: int) -> StatefulReport:
        import hypothesis
        from schemathesis.errors import NoLinksFound

        links = _count_links(self.schema.raw_schema)
        no_links = StatefulReport(links, added_links, 0, 0, note="no operation's answer links to another operation")
        if not links:
            return no_links
        try:
            base = self.schema.as_state_machine()
        except NoLinksFound:
            return no_links
        run, counts = self, {"sequences": 0, "requests": 0}

        class Scenario(base):  # type: ignore[misc, valid-type]
            rule_order_seed = run.seed  # which operations start sequences, reproducibly

            def setup(self) -> None:
                counts["sequences"] += 1
                self.answers: dict[str, tuple[Case, Response]] = {}

            def get_call_kwargs(self, case: Case) -> dict[str, Any]:
                return run.call_kwargs()

            def call(self, case: Case, **kwargs: Any) -> Response:
                response = run.send(case, **kwargs)
                counts["requests"] += 1
                if response is None:
                    raise _SequenceBroken
                return response

            def after_call(self, response: Response, case: Case) -> None:
                super().after_call(response, case)  # the recorder the stateful checks read
                self.answers[case.id] = (case, response)

            def validate_response(self, response: Response, case: Case, additional_checks: Any = None,
                                  **kwargs: Any) -> None:
                # Every earlier step reproduces, not only the links that led here: a sibling step (a delete of
                # the same record) can be what changed this answer.
                earlier = [answer for key, answer in self.answers.items() if key != case.id]
                run.validate(case, response, recorder=self.recorder, earlier=earlier)

        settings = self.settings(max_examples=self.options.max_examples, stateful_step_count=self.options.max_steps,
                                 phases=(hypothesis.Phase.generate,))
        note = None
        try:
            hypothesis.seed(self.seed)(Scenario).run(settings=settings)
        except NoLinksFound:  # raised when the first sequence starts: the links lead nowhere it can go
            return no_links
        except _SequenceBroken:
            note = "a step got no answer, so the sequences stopped there"
        except _BudgetSpent:
            note = "the time budget ran out during them"
        except Exception as exc:  # schemathesis could not build a step: what ran is still reported
            note = f"the sequences stopped early: {_first_line(exc)}"
        finally:
            _forget(Scenario)
        return StatefulReport(links, added_links, counts["sequences"], counts["requests"], note)


def _forget(machine: type) -> None:
    """Drop Hypothesis' per-class caches of a state machine class that will not run again (a library may run
    many verifies in one process); schemathesis knows where they are."""
    try:
        from schemathesis.generation.stateful.state_machine import release_state_machines
    except ImportError:
        return
    release_state_machines(machine)


def _clean(text: str) -> str:
    return _UNPRINTABLE.sub("\ufffd", text)


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def _short(message: str) -> str:
    """schemathesis' message without the indented dumps (the schema, the value): what failed, and where."""
    lines = [line.rstrip() for line in message.strip().splitlines() if line.strip()]
    kept: list[str] = []
    for line, following in zip(lines, [*lines[1:], ""]):
        if line[0].isspace() or line in ("Schema:", "Value:"):
            continue
        kept.append(line[:-1] if line.endswith(":") and following[:1].isspace() else line)
    return "\n".join(kept[:_MESSAGE_LINES] + (["..."] if len(kept) > _MESSAGE_LINES else []))


def unreachable(base_url: str, timeout: float) -> str | None:
    """Why nothing answers HTTP at `base_url`, or None when something does (any status: a 404 for / is an answer)."""
    import requests

    try:
        requests.get(base_url, timeout=timeout, allow_redirects=False)
    except requests.exceptions.RequestException as exc:
        return _why(exc, timeout)
    return None


def _why(exc: BaseException, timeout: float) -> str:
    """requests' messages nest urllib3's: the operating system's own words are the readable part."""
    import requests

    if isinstance(exc, requests.exceptions.Timeout):
        return f"no answer within {timeout:g}s"
    reason = re.search(r"\[Errno -?\d+\] ([^'\")\]]+)", str(exc))
    if reason:
        return reason.group(1).strip()
    tls = re.search(r"\[SSL: [^\]]+\][^'\"(]*", str(exc))
    if tls:
        return f"TLS error {tls.group(0).strip()}"
    return _first_line(exc)


# -- the library entry point ---------------------------------------------------------------------------------


def verify(spec: Mapping[str, Any], options: VerifyOptions) -> VerifyResult:
    """Send generated requests for the selected operations of `spec` (an OpenAPI 3.0/3.1 dict) to
    `options.target`, alone and in create-then-use sequences, and check every answer against the spec.

    Raises VerifyError when the run cannot start (schemathesis missing, an unusable spec, nothing selected, the
    target unreachable) or the target stops answering altogether during the run.
    """
    started = time.monotonic()
    _check_document(spec)
    selected = select_operations(spec, options.operations)
    added, entities_error = _link_entities(selected) if options.stateful else (0, None)
    seed = options.seed if options.seed is not None else random.SystemRandom().randrange(2**31)
    schema = _load_schema(selected, options, seed)
    gone = unreachable(options.target, options.request_timeout)
    if gone is not None:
        raise VerifyError(f"cannot reach {options.target}: {gone}")
    run = _Run(schema, options, seed)
    operations = run.operations()
    stateful = None
    try:
        for operation in operations:
            run.requests_for(operation)
        if options.stateful:
            stateful = run.sequences(added)
    except _BudgetSpent:  # during the single requests (the sequences catch their own): none of them ran
        if options.stateful:
            stateful = StatefulReport(_count_links(schema.raw_schema), added, 0, 0,
                                      note="the time budget was spent before them")
    except _ServerGone as exc:
        raise VerifyError(str(exc)) from None
    if stateful is not None and entities_error is not None:
        stateful = replace(stateful, entities_error=entities_error)
    not_run = "the time budget was spent first" if run.budget_spent else None
    reports = tuple(t.report(not_run) for t in run.tallies.values())
    return VerifyResult(options.target, seed, reports, stateful, time.monotonic() - started, run.budget_spent)


def _link_entities(spec: dict[str, Any]) -> tuple[int, str | None]:
    from mockserver import MockServerError

    try:
        return add_entity_links(spec), None
    except MockServerError as exc:  # the sequences can still follow the links the spec names itself
        return 0, _first_line(exc)


def _load_schema(spec: dict[str, Any], options: VerifyOptions, seed: int) -> BaseSchema:
    try:
        import schemathesis
        from schemathesis.errors import LoaderError
    except ImportError as exc:
        raise VerifyError(MISSING_SCHEMATHESIS) from exc
    config = schemathesis.Config.from_dict({
        "seed": seed,
        "generation": {"mode": "positive", "max-examples": options.max_examples,
                       # Requests carry the credentials given with --header and nothing else: random values
                       # for the spec's security schemes would only be refused by a real server.
                       "with-security-parameters": False},
        "phases": {"stateful": {"enabled": options.stateful, "max-steps": max(2, options.max_steps),
                                "inference": {"algorithms": []}}},  # see add_entity_links
        # The report's curl commands must replay the request as it was sent, credentials and all.
        "output": {"sanitization": {"enabled": False}, "truncation": {"enabled": False}},
        "request-timeout": options.request_timeout,
    })
    try:
        return schemathesis.openapi.from_dict(spec, config=config)
    except LoaderError as exc:
        raise VerifyError(f"schemathesis cannot read the spec: {_first_line(exc)}") from exc


def _check_document(spec: Mapping[str, Any]) -> None:
    version = str(spec.get("openapi", ""))
    if not version.startswith(("3.0", "3.1")):
        what = "Swagger 2.0" if "swagger" in spec else f"OpenAPI version {version or '(none)'}"
        raise VerifyError(f"{what} is not supported: docmock verify reads OpenAPI 3.0 and 3.1 documents")
    if not isinstance(spec.get("paths"), Mapping):
        raise VerifyError("the spec has no 'paths' mapping")
    if next(_iter_operations(spec), None) is None:
        raise VerifyError("the spec documents no operation: there is nothing to verify")


# -- reports -------------------------------------------------------------------------------------------------


def summary_lines(result: VerifyResult) -> list[str]:
    """The human summary: failures grouped by operation, each with what was wrong and a curl that reproduces it."""
    lines: list[str] = []
    failing = [op for op in result.operations if not op.passed]
    for op in failing:
        problems = len(op.findings) + (op.error is not None)
        lines.append(f"FAIL {op.name}  {op.label}  ({_count(problems, 'problem')}, {_count(op.requests, 'request')})")
        if op.error is not None:
            lines.append(f"  - error: {op.error}")
        for number, finding in enumerate(op.findings, 1):
            times = f", {finding.occurrences} times" if finding.occurrences > 1 else ""
            where = ", in a sequence" if finding.stateful else ""
            lines.append(f"  {number}. {finding.check}: {finding.title}{times}{where}")
            lines.extend(f"     {line}" for line in finding.message.splitlines())
            steps = finding.reproduce
            lines.append("     reproduce:" if len(steps) == 1 else f"     reproduce ({len(steps)} requests in order):")
            lines.extend(f"       {command}" for command in steps)
        lines.append("")
    not_run = [op for op in result.operations if op.not_run]
    if not_run:
        lines.append(f"not run ({not_run[0].not_run}): " + ", ".join(op.name for op in not_run))
    stateful = result.stateful
    if stateful is None:
        sequences = "sequences off"
    elif not stateful.sequences:
        sequences = f"no sequences: {stateful.note}"
    else:
        sequences = (f"{stateful.requests} of them in {_count(stateful.sequences, 'sequence')} over "
                     f"{_count(stateful.links, 'link')}, {stateful.added_links} from docmock's entities"
                     + (f"; {stateful.note}" if stateful.note else ""))
    if stateful is not None and stateful.entities_error:
        lines.append(f"note: docmock could not infer the spec's entities, so it linked no operations: "
                     f"{stateful.entities_error}")
    tested = sum(1 for op in result.operations if op.requests)
    verdict = ("all checks passed" if result.passed else
               f"{_count(result.failures, 'failure')} in {_count(len(failing), 'operation')}")
    lines.append(f"{tested} of {_count(len(result.operations), 'operation')} tested with "
                 f"{_count(result.requests, 'request')} ({sequences}) in {result.seconds:.1f}s: {verdict}")
    if result.budget_spent:
        lines.append("The time budget ran out: what ran is reported above.")
    lines.append(f"Seed {result.seed}: add --seed {result.seed} to send the same requests again.")
    return lines


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'s' * (number != 1)}"


def junit_xml(result: VerifyResult) -> str:
    """JUnit XML for CI: one testcase per operation, one failure element listing its findings with curls."""
    suite = ET.Element("testsuite", {
        "name": "docmock verify", "tests": str(len(result.operations)),
        "failures": str(sum(1 for op in result.operations if op.findings)),
        "errors": str(sum(1 for op in result.operations if op.error is not None)),
        "skipped": str(sum(1 for op in result.operations if op.not_run)),
        "time": f"{result.seconds:.3f}"})
    properties = ET.SubElement(suite, "properties")
    for name, value in (("target", result.target), ("seed", str(result.seed)), ("requests", str(result.requests))):
        ET.SubElement(properties, "property", {"name": name, "value": value})
    for op in result.operations:
        case = ET.SubElement(suite, "testcase", {
            "classname": "docmock.verify", "name": f"{op.name} ({op.label})" if op.operation_id else op.label,
            "time": f"{op.seconds:.3f}"})
        if op.error is not None:
            ET.SubElement(case, "error", {"message": op.error, "type": "error"}).text = op.error
        if op.findings:
            checks = sorted({f.check for f in op.findings})
            failure = ET.SubElement(case, "failure", {
                "message": f"{_count(len(op.findings), 'failure')}: "
                           + "; ".join(f"{f.check}: {f.title}" for f in op.findings),
                "type": ", ".join(checks)})
            failure.text = "\n\n".join(_finding_text(number, f) for number, f in enumerate(op.findings, 1))
        if op.not_run:
            ET.SubElement(case, "skipped", {"message": op.not_run})
    ET.indent(suite)
    return ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"


def _finding_text(number: int, finding: Finding) -> str:
    head = f"{number}. {finding.check}: {finding.title} ({finding.occurrences} time{'s' * (finding.occurrences > 1)}"
    head += ", in a sequence)" if finding.stateful else ")"
    return "\n".join([head, finding.details or finding.message, "reproduce:", *finding.reproduce])


# -- the command ---------------------------------------------------------------------------------------------


def _parse_header(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    headers = []
    for value in values:
        name, colon, content = value.partition(":")
        if not colon or not name.strip() or any(c.isspace() for c in name.strip()):
            raise click.BadParameter(f"{value!r} is not 'Name: value'", ctx, param)
        headers.append((name.strip(), content.strip()))
    return tuple(headers)


def _load(paths: tuple[Path, ...]) -> dict[str, Any]:
    """An OpenAPI file (one .json/.yaml/.yml) or docs folders and pages, as `docmock serve` reads them."""
    specs = [p for p in paths if p.is_file() and p.suffix.lower() in _SPEC_SUFFIXES]
    if specs:
        if len(paths) > 1:
            raise click.UsageError("give one OpenAPI file, or docs folders and pages, not both or several files")
        from mockserver import MockServerError, load_spec

        try:
            return load_spec(specs[0])
        except MockServerError as exc:
            raise VerifyError(str(exc)) from exc
    try:
        from generator import DocsError, build_spec
    except ImportError as exc:
        raise VerifyError(f"the generator is not available ({exc}); pass an OpenAPI file") from exc
    try:
        generated = build_spec(list(paths))
    except DocsError as exc:
        for diagnostic in exc.diagnostics:
            click.echo(diagnostic.format(), err=True)
        raise VerifyError(str(exc)) from exc
    for diagnostic in generated.diagnostics:
        click.echo(diagnostic.format(), err=True)
    return generated.spec


_EPILOG = """\b
Exit codes:
  0  every check passed
  1  at least one failure (listed per operation, each with a curl command)
  2  usage error, unreadable spec or docs, target unreachable, or schemathesis missing

\b
Examples:
  docmock verify docs_src --target http://127.0.0.1:4010 --header 'Authorization: Basic dXNlcjpwYXNz'
  docmock verify openapi.yaml --target https://staging.example.com --operations 'v1Batch_*' --junit verify.xml
"""


@click.command("verify", epilog=_EPILOG)
@click.argument("sources", metavar="SPEC_OR_DOCS...", nargs=-1, required=True,
                type=click.Path(exists=True, path_type=Path))
@click.option("--target", required=True, metavar="URL",
              help="Base URL of the server under test; the spec's paths are appended to it.")
@click.option("--header", "headers", multiple=True, metavar="'NAME: VALUE'", callback=_parse_header,
              help="Sent with every request, e.g. credentials (repeatable); shown in the curl commands.")
@click.option("--operations", "patterns", multiple=True, metavar="PATTERN",
              help="Test only operations whose operationId matches this glob (v1Batch_*), or 'METHOD /path' "
                   "glob (repeatable).")
@click.option("--max-examples", default=DEFAULT_MAX_EXAMPLES, show_default=True, type=click.IntRange(min=1),
              help="Generated requests per operation, and the number of stateful sequences.")
@click.option("--max-steps", default=DEFAULT_MAX_STEPS, show_default=True, type=click.IntRange(min=2),
              help="Requests in one stateful sequence, at most.")
@click.option("--time-budget", type=click.FloatRange(min=0, min_open=True), metavar="SECONDS",
              help="Start no request after this many seconds, and report what ran.")
@click.option("--seed", type=int, help="Seed of the generated requests: the same seed sends the same requests.")
@click.option("--no-stateful", is_flag=True, help="Only single requests: no create-then-read sequences.")
@click.option("--request-timeout", default=DEFAULT_REQUEST_TIMEOUT, show_default=True,
              type=click.FloatRange(min=0, min_open=True), metavar="SECONDS",
              help="How long to wait for one answer; no answer in time is a failure.")
@click.option("--junit", "junit_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the results as JUnit XML (one testcase per operation) to this file.")
def verify_command(sources: tuple[Path, ...], target: str, headers: tuple[tuple[str, str], ...],
                   patterns: tuple[str, ...], max_examples: int, max_steps: int, time_budget: float | None,
                   seed: int | None, no_stateful: bool, request_timeout: float, junit_file: Path | None) -> None:
    """Contract-test a running server against its docs.

    SPEC_OR_DOCS is one OpenAPI 3.0/3.1 file (JSON or YAML), or docs folders and pages to generate the spec
    from, as `docmock serve` does. The server at --target gets generated valid requests for every operation,
    and sequences that create a record and then read, change or delete it. Every answer is checked: no 5xx, a
    documented status code and media type, a body that matches the schema, the required headers.
    """
    if not target.lower().startswith(("http://", "https://")):
        raise click.BadParameter(f"{target!r} is not an http:// or https:// URL", param_hint="'--target'")
    try:
        import schemathesis  # noqa: F401  (fail early and plainly when the optional dependency is missing)
    except ImportError:
        _fail(MISSING_SCHEMATHESIS)
    # Hypothesis caches what it learns about the code under .hypothesis/ in the current folder unless told
    # otherwise; a command run from anywhere keeps it with docmock's other caches instead.
    from generator.cache import default_cache_dir

    os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", str(default_cache_dir() / "hypothesis"))
    options = VerifyOptions(target=target, headers=headers, operations=patterns, max_examples=max_examples,
                            max_steps=max_steps, time_budget=time_budget, seed=seed, stateful=not no_stateful,
                            request_timeout=request_timeout)
    try:
        result = verify(_load(sources), options)
    except VerifyError as exc:
        _fail(str(exc))
    for line in summary_lines(result):
        click.echo(line)
    if junit_file is not None:
        try:
            junit_file.write_text(junit_xml(result), encoding="utf-8")
        except OSError as exc:
            _fail(f"cannot write {junit_file}: {exc.strerror or exc}")
    raise SystemExit(result.exit_code)


def _fail(message: str) -> NoReturn:
    click.echo(f"error: {_one_line(message)}", err=True)
    raise SystemExit(EXIT_ERROR)


def _one_line(message: str) -> str:
    """Errors are one line; YAML's name the place on later lines, under a copy of the text: keep the place."""
    first, *rest = message.strip().splitlines() or [""]
    place = re.search(r"line \d+, column \d+", "\n".join(rest))
    return f"{first.rstrip(':')} ({place.group(0)})" if place else first
