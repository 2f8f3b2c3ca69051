"""Assembling an operation's request handler from the steps, once per operation, on its first request."""
from __future__ import annotations

import logging
from dataclasses import dataclass

from .config import Config
from .endpoints import Endpoint, Operations
from .errors import SpecError
from .faults import FaultPolicy
from .negotiation import Negotiator
from .odata.step import ODataList, build_archive, is_odata_list
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


def build_mock_handler(endpoint: Endpoint, services: Services) -> Handler:
    """auth -> body -> validate -> Prefer -> delay -> faults -> replay -> negotiate -> state -> generate -> render,
    each step only where the operation has something for it to do; an OData list's own step negotiates and
    answers from its rows and the state (mockserver/odata)."""
    op = endpoint.op
    config = services.config
    steps: list[Step] = []
    if config.auth and endpoint.policy.alternatives:
        steps.append(Authorize(endpoint.policy, frozenset(config.credentials), endpoint.has_cookies))
    steps.append(ReadBody(config.max_body))
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
    delay = faults.delay(op.operation_id)
    steps.append(delay)
    injector = faults.injector(op, compiled, services.negotiator, xml)
    if injector is not None:
        steps.append(injector)
    replay = services.recordings.step_for(op.operation_id) if services.recordings is not None else None
    if replay is not None:
        steps.append(replay)
    repeatable = delay.latency is None and injector is None and replay is None
    state, generated = services.state, services.generated
    action = state.action_for(op.operation_id) if state is not None else None
    if action is not None and state is not None and state.moves(action):
        repeatable = False  # its records move on as time passes: the same request gets a newer answer
    doc = services.operations.planner.doc
    if is_odata_list(op, compiled, doc):
        archive = build_archive(op, compiled, doc, services.operations.planner.factory, config.seed, action, generated)
        steps.append(ODataList(archive, services.negotiator, state, action))
    else:
        steps.append(Negotiate(services.negotiator))
        if action is not None and state is not None and generated is not None:  # a state comes with its base data
            steps.append(ApplyState(state, action, endpoint, compiled, generated))
    steps.append(Generate(config.seed, op.operation_id))
    steps.append(Render(services.negotiator, xml))
    return Handler(steps, repeatable)
