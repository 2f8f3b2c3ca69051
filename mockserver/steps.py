"""The steps an operation's request goes through, and the handler compiled from them once per operation.

auth -> body (limits) -> validate -> Prefer -> delay -> faults -> negotiate -> state -> generate -> render

Each step reads and fills the request context; the first one that returns a reply answers the request. An
operation's handler holds only the steps that can do something for it (no auth step for an open operation,
no state step for a stateless one), so the common path stays short. Negotiation comes before the state, so
that a request the mock cannot answer in an acceptable form (406) changes nothing.
"""
from __future__ import annotations

import asyncio
import os
import random
from collections.abc import Awaitable, Sequence
from typing import Protocol

from .auth import AuthPolicy
from .config import ConfigError, Latency
from .context import UNSET, Reply, RequestContext, problem_reply, read_body
from .endpoints import Compiled
from .negotiation import Negotiator
from .prefer import parse_prefer
from .problems import Problem, Violation
from .responses import (MISSING_EXAMPLE, apply_select, choose_media, example_value, fill_ids, plan_for_code, render,
                        response_headers)
from .seeding import request_seed
from .state import NO_BODY
from .state.records import plain
from .validation import BrokenSchema, CheckedRequest, RequestValidator
from .xmlcodec import XmlWriter

StepResult = Reply | None | Awaitable[Reply | None]


class Step(Protocol):
    """Reads and fills the context. Returns None to pass the request on, or the Reply that answers it; a step
    that has to wait (for the body, a delay, a store in another process) returns an awaitable of either, and
    only when it does wait: a plain call costs a third of a coroutine's, and most steps never wait."""

    def __call__(self, ctx: RequestContext) -> StepResult: ...


class Handler:
    """An operation's steps, run in order until one answers (the last one always does)."""

    __slots__ = ("steps", "repeatable")

    def __init__(self, steps: Sequence[Step], repeatable: bool = False) -> None:
        self.steps = tuple(steps)
        # Whether the same request, with the state unchanged, always gets the same answer: false where latency,
        # injected faults, a recording or a real server take part (mockserver/answers.py relies on it).
        self.repeatable = repeatable

    async def __call__(self, ctx: RequestContext) -> Reply:
        for step in self.steps:
            result = step(ctx)
            if result is None:
                continue
            if result.__class__ is not Reply:  # the step has to wait
                result = await result  # type: ignore[misc]
                if result is None:
                    continue
            return result  # type: ignore[return-value]
        raise AssertionError("an operation's last step always answers")

    @property
    def names(self) -> tuple[str, ...]:
        """The steps by class name, in order (for the tests and for readers)."""
        return tuple(type(step).__name__ for step in self.steps)


class Authorize:
    """401 unless the request carries a credential of a kind the operation's security names."""

    __slots__ = ("policy", "credentials", "cookies")

    def __init__(self, policy: AuthPolicy, credentials: frozenset[str], cookies: bool) -> None:
        self.policy = policy
        self.credentials = credentials
        self.cookies = cookies

    def __call__(self, ctx: RequestContext) -> Reply | None:
        if self.policy.allows(ctx.headers, ctx.query, ctx.cookie_jar() if self.cookies else {}, self.credentials):
            return None
        return problem_reply(Problem(
            401, "this operation requires credentials the spec declares: an Authorization header (Basic, Bearer, "
                 "...) or an API key" + (" with an accepted value" if self.credentials else ""),
            headers=(("WWW-Authenticate", self.policy.challenge),)))


class ReadBody:
    """Reads the body, up to the size limit: a Content-Length over it is refused unread, a body sent without one
    is refused once it grows past it (413). It comes after the credentials, so a 401 never reads a body."""

    __slots__ = ("limit",)

    def __init__(self, limit: int) -> None:
        self.limit = limit

    def __call__(self, ctx: RequestContext) -> StepResult:
        length = ctx.headers.get("content-length")
        if length is not None and length.isascii() and length.isdigit() and int(length) > self.limit:
            return problem_reply(Problem(413, f"request body of {length} bytes exceeds the limit of {self.limit}"))
        return self._read(ctx)

    async def _read(self, ctx: RequestContext) -> Reply | None:
        body = await read_body(ctx.receive, self.limit)
        if body is None:
            return problem_reply(Problem(413, f"request body exceeds the limit of {self.limit} bytes"))
        ctx.take_body(body)
        return None


class Broken:
    """The operation's schemas cannot be compiled: every request gets a 500 that says why."""

    __slots__ = ("message",)

    def __init__(self, message: str) -> None:
        self.message = message

    def __call__(self, ctx: RequestContext) -> Reply:
        return problem_reply(Problem(500, f"the spec is broken for this operation: {self.message}"))


class Validate:
    """Path, query, header, cookie and body against the spec: 415 for an undocumented Content-Type, else one 400
    listing every violation."""

    __slots__ = ("compiled", "cookies")

    def __init__(self, compiled: Compiled, cookies: bool) -> None:
        self.compiled = compiled
        self.cookies = cookies

    def __call__(self, ctx: RequestContext) -> Reply | None:
        validator = self.compiled.validator
        try:
            checked = check_request(validator, ctx, self.cookies)
        except BrokenSchema as exc:
            return Broken(str(exc))(ctx)
        if checked.unsupported_media is not None:
            return problem_reply(Problem(415, f"Content-Type {checked.unsupported_media} is not accepted; "
                                              f"send one of: {', '.join(validator.media_types)}"))
        if checked.violations:
            n = len(checked.violations)
            # The journal and the access log say why, as they do for the proxy's checks.
            ctx.trace.violations.extend(f"request.{v.location}: {v.message}" for v in checked.violations)
            return problem_reply(Problem(400, f"the request has {n} problem{'s' if n > 1 else ''}; see errors",
                                         checked.violations))
        ctx.parsed_body = checked.body
        ctx.body_typed = checked.body_typed
        for name, raw in ctx.path_params.items():
            value = checked.params.get(name)
            if isinstance(value, str) and value != raw:  # a code as the docs spell it (`succeeded` -> `Succeeded`)
                ctx.path_params[name] = value
        ctx.trace.warnings.extend(checked.warnings)
        return None


def check_request(validator: RequestValidator, ctx: RequestContext, cookies: bool) -> CheckedRequest:
    """The request's parameters and body against its operation (the mock refuses what fails, the proxy reports it)."""
    return validator.check(ctx.path_params, ctx.query, ctx.headers, ctx.cookie_jar() if cookies else {},
                           ctx.headers.get("content-type"), ctx.body or b"")


class ApplyPrefer:
    """Reads `Prefer` and picks the documented response to answer with (`code=` chooses another one)."""

    __slots__ = ("compiled", "operation_id", "codes")

    def __init__(self, compiled: Compiled, operation_id: str, codes: Sequence[str]) -> None:
        self.compiled = compiled
        self.operation_id = operation_id
        self.codes = ", ".join(codes)

    def __call__(self, ctx: RequestContext) -> Reply | None:
        prefs = ctx.prefs = parse_prefer(ctx.headers.get("prefer"))
        if prefs.code is None:
            ctx.plan = self.compiled.success
            return None
        # An informational status (1xx) is not an answer: HTTP servers refuse to send one as the final status.
        ctx.plan = plan_for_code(self.compiled.plans, prefs.code) if not prefs.code.startswith("1") else None
        if ctx.plan is None:
            return problem_reply(Problem(
                400, f"Prefer: code={prefs.code} is not documented for {self.operation_id}; documented: {self.codes}",
                (Violation("header.Prefer", f"code={prefs.code} is not documented"),)))
        return None


class ReadPrefer:
    """Reads `Prefer` for the steps that follow, choosing no response (the proxy: the real server answers)."""

    __slots__ = ()

    def __call__(self, ctx: RequestContext) -> None:
        ctx.prefs = parse_prefer(ctx.headers.get("prefer"))


class Delay:
    """Holds the answer back: `Prefer: delay=500` (milliseconds, or `1s`, `100..300ms`), else the configured
    latency, drawn from a generator seeded per operation so that a run's delays repeat."""

    __slots__ = ("latency", "seed", "_rng")
    sleep = staticmethod(asyncio.sleep)  # how the delay is waited out (the tests watch it here)

    def __init__(self, latency: Latency | None, seed: int) -> None:
        self.latency = latency
        self.seed = seed
        self._rng: random.Random | None = None

    @property
    def rng(self) -> random.Random:
        # Made on the first delay: a Random holds 2.5 KB of state, and most operations are never delayed.
        if self._rng is None:
            self._rng = random.Random(self.seed)
        return self._rng

    def __call__(self, ctx: RequestContext) -> StepResult:
        asked = ctx.prefs.delay
        if asked is not None:
            try:
                ms = Latency.parse(asked).draw_ms(self.rng)
            except ConfigError as exc:
                return problem_reply(Problem(400, f"Prefer: delay={asked} cannot be used: {exc}",
                                             (Violation("header.Prefer", str(exc)),)))
        elif self.latency is not None:
            ms = self.latency.draw_ms(self.rng)
        else:
            return None
        return self.sleep(ms / 1000) if ms > 0 else None


class Negotiate:
    """Chooses the representation of the planned answer from `Accept` (406 when none is acceptable)."""

    __slots__ = ("negotiator",)

    def __init__(self, negotiator: Negotiator) -> None:
        self.negotiator = negotiator

    def __call__(self, ctx: RequestContext) -> Reply | None:
        plan = ctx.plan
        if plan is None or not plan.has_body:
            return None
        ctx.media = choose_media(self.negotiator, ctx.headers.get("accept"), plan)
        return None if ctx.media is not None else not_acceptable(ctx.headers.get("accept"), plan.offers)


def not_acceptable(accept: str | None, offers: Sequence[str]) -> Reply:
    return problem_reply(Problem(406, f"cannot answer with {accept}; available: {', '.join(offers)}"))


class Generate:
    """Generated data for the planned answer (unless the state already answered): seeded by the request, so the
    same request gets the same data; `Prefer: example=` answers a documented example instead."""

    __slots__ = ("seed", "operation_id")

    def __init__(self, seed: int, operation_id: str) -> None:
        self.seed = seed
        self.operation_id = operation_id

    def __call__(self, ctx: RequestContext) -> Reply | None:
        plan, mp = ctx.plan, ctx.media
        if ctx.value is not UNSET or plan is None or mp is None:
            return None
        prefs = ctx.prefs
        seed = int.from_bytes(os.urandom(8), "big") if prefs.dynamic else request_seed(
            self.seed, self.operation_id, plan.status, ctx.path_params, ctx.query, ctx.body or b"")
        r = ctx.rng = random.Random(seed)
        if prefs.example is None:
            ctx.value = fill_ids(mp.gen(r, 0), plan, ctx.path_params, ctx.query)
            return None
        value = example_value(plan, mp, prefs.example)
        if value is MISSING_EXAMPLE:
            names = sorted({n for m in plan.media.values() for n in m.examples})
            return problem_reply(Problem(
                400, f"Prefer: example={prefs.example} is not documented; documented examples: "
                     f"{', '.join(names) or 'none'}",
                (Violation("header.Prefer", f"no example named {prefs.example}"),)))
        ctx.value = value
        return None


_TEXT_KINDS = frozenset({"json", "xml", "text"})  # what `render` writes without drawing random bytes


class Render:
    """The answer: status, the documented response headers, and the value in the negotiated representation
    (`$select` applied)."""

    __slots__ = ("negotiator", "xml")

    def __init__(self, negotiator: Negotiator, xml: XmlWriter) -> None:
        self.negotiator = negotiator
        self.xml = xml

    def __call__(self, ctx: RequestContext) -> Reply:
        plan = ctx.plan
        status = ctx.status if ctx.status is not None else plan.status if plan is not None else 200
        value = ctx.value
        if plan is None or not plan.has_body or value is NO_BODY or value is UNSET:
            return Reply(status, response_headers(plan, random.Random(0)), b"")
        mp = ctx.media
        if mp is None:  # the state answered with another documented response than the one negotiated
            mp = ctx.media = choose_media(self.negotiator, ctx.headers.get("accept"), plan)
            if mp is None:
                return not_acceptable(ctx.headers.get("accept"), plan.offers)
        select = ctx.query.get("$select")
        if select and not ctx.shaped:
            value = apply_select(plain(value), select[-1], plan.select_info)
        r = ctx.rng
        if r is None and (plan.headers or mp.kind not in _TEXT_KINDS):  # a new Random costs more than a 14 KB dump
            r = random.Random(0)
        headers = response_headers(plan, r)  # type: ignore[arg-type]
        headers.append((b"content-type", mp.content_type.encode()))
        return Reply(status, headers, render(mp, value, self.xml, r))  # type: ignore[arg-type]
