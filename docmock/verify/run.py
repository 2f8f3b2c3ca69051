"""One verify run: schemathesis loads the spec, sends generated requests alone and in sequences, and every
answer is checked; the time budget and a target that stops answering end the run early."""
from __future__ import annotations

import random
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from mockserver.odata.examples import with_query_examples

from .results import MISSING_SCHEMATHESIS, Finding, StatefulReport, VerifyError, VerifyOptions, VerifyResult
from .selection import add_entity_links, check_document, count_links, select_operations
from .tally import Tally, clean

if TYPE_CHECKING:  # schemathesis is optional: imported when a run starts, never when this module is
    from schemathesis import Case, Response
    from schemathesis.schemas import APIOperation, BaseSchema

_MESSAGE_LINES = 6     # of a finding's message in the summary; the JUnit file has all of it


class _BudgetSpent(BaseException):
    """Raised instead of sending a request once the time budget is over. Not an Exception, so that Hypothesis
    does not take it for a failing example to replay and shrink: it unwinds the run at once."""


class _ServerGone(BaseException):
    """Raised when the target stopped answering altogether; unwinds the run like `_BudgetSpent`."""


class _SequenceBroken(BaseException):
    """A step of a sequence got no answer (already recorded as a finding): the sequences stop there, at once,
    rather than have Hypothesis replay the sequence to a server that does not answer."""


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
        # Every answer: no 5xx; a valid request not refused (a 400 or 422 even where documented); a documented
        # status code and media type; a body and headers as documented.
        self.checks = [not_a_server_error, checks.positive_data_acceptance, checks.status_code_conformance,
                       checks.content_type_conformance, checks.response_schema_conformance,
                       checks.response_headers_conformance]
        # And within sequences: a record just created can be read back, one deleted cannot.
        self.sequence_checks = [*self.checks, checks.ensure_resource_availability, checks.use_after_free]
        self.tallies: dict[str, Tally] = {}

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
            self.tallies.setdefault(f"{method} {path}", Tally(method, path, None)).error = \
                f"cannot be tested: {_first_line(error)}"
        return operations

    def tally(self, operation: APIOperation) -> Tally:
        found = self.tallies.get(operation.label)
        if found is None:
            found = self.tallies[operation.label] = Tally(
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
            curl = clean(case.as_curl_command(headers=self.headers, base_url=self.base_url))
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
                reproduce = tuple(clean(self.curl(c, r)) for c, r in (*earlier, (case, response)))
                for failure in group.exceptions:
                    tally.record(check.__name__, failure, Finding(
                        check.__name__, clean(failure.title), clean(_short(failure.message)), reproduce,
                        stateful=recorder is not None, details=clean(failure.message.strip())))
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

        links = count_links(self.schema.raw_schema)
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


def verify(spec: Mapping[str, Any], options: VerifyOptions) -> VerifyResult:
    """Send generated requests for the selected operations of `spec` (an OpenAPI 3.0/3.1 dict) to
    `options.target`, alone and in create-then-use sequences, and check every answer against the spec.

    Raises VerifyError when the run cannot start (schemathesis missing, an unusable spec, nothing selected, the
    target unreachable) or the target stops answering altogether during the run.
    """
    started = time.monotonic()
    check_document(spec)
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
            stateful = StatefulReport(count_links(schema.raw_schema), added, 0, 0,
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
        # $filter, $orderBy and $select as expressions the API accepts, not random text it must refuse.
        return schemathesis.openapi.from_dict(with_query_examples(spec), config=config)
    except LoaderError as exc:
        raise VerifyError(f"schemathesis cannot read the spec: {_first_line(exc)}") from exc


