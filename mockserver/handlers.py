"""Assembling an operation's request handler from the steps, once per operation, on its first request."""
from __future__ import annotations

import logging
from dataclasses import dataclass

from .config import Config
from .endpoints import Endpoint, Operations
from .errors import SpecError
from .faults import FaultPolicy
from .negotiation import Negotiator
from .recording import Recordings
from .stateful import ApplyState, GeneratedData
from .state import StateEngine
from .steps import (ApplyPrefer, Authorize, Broken, Generate, Handler, Negotiate, ReadBody, Render, Step,
                    Validate)

logger = logging.getLogger("docmock.mockserver")


@dataclass(frozen=True, slots=True)
class Services:
    """What the steps of every operation share: the settings, the compiled operations, negotiation, the state and
    its generated base data, and the fault policy."""

    config: Config
    operations: Operations
    negotiator: Negotiator
    faults: FaultPolicy
    state: StateEngine | None = None
    generated: GeneratedData | None = None
    recordings: Recordings | None = None
    secret_query: frozenset[str] = frozenset()  # query parameters that carry credentials (the spec's API keys)

    @property
    def credentials(self) -> frozenset[str]:
        return frozenset(self.config.credentials)


def entry_steps(endpoint: Endpoint, services: Services) -> list[Step]:
    """What every request of an operation goes through first, mocked or proxied: credentials, then the body."""
    steps: list[Step] = []
    if services.config.auth and endpoint.policy.alternatives:
        steps.append(Authorize(endpoint.policy, services.credentials, endpoint.has_cookies))
    steps.append(ReadBody(services.config.max_body))
    return steps


def build_mock_handler(endpoint: Endpoint, services: Services) -> Handler:
    """auth -> body -> validate -> Prefer -> delay -> faults -> replay -> negotiate -> state -> generate -> render,
    each step only where the operation has something for it to do."""
    op = endpoint.op
    steps = entry_steps(endpoint, services)
    try:
        compiled = services.operations.compiled(endpoint)
    except SpecError as exc:  # a flaw start-up does not look for: every request says what it is
        logger.error("%s", exc)
        steps.append(Broken(str(exc)))
        return Handler(steps)
    faults = services.faults
    xml = services.operations.xml
    steps.append(Validate(compiled, endpoint.has_cookies))
    steps.append(ApplyPrefer(compiled, op.operation_id, list(op.responses)))
    steps.append(faults.delay(op.operation_id))
    injector = faults.injector(op, compiled, services.negotiator, xml)
    if injector is not None:
        steps.append(injector)
    replay = services.recordings.step_for(op.operation_id) if services.recordings is not None else None
    if replay is not None:
        steps.append(replay)
    steps.append(Negotiate(services.negotiator))
    action = services.state.action_for(op.operation_id) if services.state is not None else None
    if action is not None and services.generated is not None and services.state is not None:
        steps.append(ApplyState(services.state, action, endpoint, compiled, services.generated))
    steps.append(Generate(services.config.seed, op.operation_id))
    steps.append(Render(services.negotiator, xml))
    return Handler(steps)
