"""Simulated failures: for a share of requests, a documented error status or a dropped connection, seeded so that
a failing run can be replayed; set for all operations (`--fault-rate`) or per operation (the overrides file)."""
from __future__ import annotations

import random
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .config import Config, ConfigError, Latency
from .context import Reply, RequestContext, problem_reply
from .endpoints import Compiled
from .negotiation import Negotiator
from .problems import Problem
from .responses import choose_media, plan_for_code, render, response_headers, status_for
from .seeding import stable_seed
from .steps import Delay
from .spec import OperationSpec
from .xmlcodec import XmlWriter

DROP = "drop"
MAX_SEQUENCES = 100_000  # (operation, session) fault sequences remembered, about 15 MB at most
_KEYS = frozenset({"rate", "statuses", "drop", "latency"})
# When an operation documents no error status, a fault is the one every client must expect anyway.
_UNDOCUMENTED_FAULT = 500


@dataclass(frozen=True, slots=True)
class FaultSettings:
    """One operation's faults: how often, which statuses (None: the documented error statuses), whether a dropped
    connection is among them, and its latency (None: the server's)."""

    rate: float = 0.0
    statuses: tuple[int, ...] | None = None
    drop: bool = True
    latency: Latency | None = None


def check_faults(section: Any, where: str) -> dict[str, FaultSettings]:
    """The `faults:` section of the overrides file: operationId -> {rate, statuses, drop, latency}."""
    if section is None:
        return {}
    if not isinstance(section, Mapping):
        raise ConfigError(f"{where}: 'faults' must map operationIds to settings")
    out: dict[str, FaultSettings] = {}
    for name, entry in section.items():
        here = f"{where}: faults.{name}"
        if entry is False or entry is None:
            out[str(name)] = FaultSettings(rate=0.0)
            continue
        if not isinstance(entry, Mapping):
            raise ConfigError(f"{here} must be a mapping (rate, statuses, drop, latency), or false")
        unknown = set(map(str, entry)) - _KEYS
        if unknown:
            raise ConfigError(f"{here}: unknown key(s) {', '.join(sorted(unknown))}; allowed: {', '.join(sorted(_KEYS))}")
        rate = entry.get("rate", 0.0)
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
            raise ConfigError(f"{here}.rate must be a number between 0 and 1, not {rate!r}")
        statuses = entry.get("statuses")
        if statuses is not None:
            if not isinstance(statuses, list) or not all(isinstance(s, int) and not isinstance(s, bool)
                                                         and 400 <= s <= 599 for s in statuses):
                raise ConfigError(f"{here}.statuses must be a list of error statuses (400 to 599), not {statuses!r}")
            statuses = tuple(statuses)
        drop = entry.get("drop", True)
        if not isinstance(drop, bool):
            raise ConfigError(f"{here}.drop must be true or false, not {drop!r}")
        if statuses == () and not drop and rate > 0:
            raise ConfigError(f"{here}: no statuses and no drop leave a fault nothing to be")
        latency = entry.get("latency")
        if latency is not None:
            try:
                latency = Latency.parse(str(latency))
            except ConfigError as exc:
                raise ConfigError(f"{here}.latency: {exc}") from None
        out[str(name)] = FaultSettings(float(rate), statuses, drop, latency)
    return out


class FaultPolicy:
    """The server's fault settings and the per-operation ones from the overrides file."""

    def __init__(self, config: Config, per_operation: Mapping[str, FaultSettings] | None = None) -> None:
        self.seed = config.effective_fault_seed
        self.default = FaultSettings(config.fault_rate, None, True, config.latency)
        self.per_operation = dict(per_operation or {})
        # How many requests each (operation, session) has made: the position in its fault sequence. Bounded:
        # the oldest sequences are forgotten first (they start again, as after a reset).
        self.counts: OrderedDict[tuple[str, str], int] = OrderedDict()

    def reset(self, session: str | None = None) -> None:
        """Start the sequences again (with the state, on `/__docmock/reset`)."""
        if session is None:
            self.counts.clear()
        else:
            for key in [k for k in self.counts if k[1] == session]:
                del self.counts[key]

    def check_names(self, operation_ids: set[str], where: str = "overrides") -> None:
        unknown = sorted(set(self.per_operation) - operation_ids)
        if unknown:
            raise ConfigError(f"{where}: faults name operations the spec does not have: {', '.join(unknown)}")

    def settings(self, operation_id: str) -> FaultSettings:
        own = self.per_operation.get(operation_id)
        if own is None:
            return self.default
        return own if own.latency is not None else FaultSettings(own.rate, own.statuses, own.drop,
                                                                 self.default.latency)

    def injector(self, op: OperationSpec, compiled: Compiled, negotiator: Negotiator,
                 xml: XmlWriter) -> InjectFault | None:
        """The operation's fault step, or None when its rate is 0."""
        settings = self.settings(op.operation_id)
        if settings.rate <= 0:
            return None
        statuses = settings.statuses
        if statuses is None:
            statuses = tuple(sorted({status_for(code) for code in op.responses if status_for(code) >= 400})) \
                or (_UNDOCUMENTED_FAULT,)
        choices: tuple[int | str, ...] = (*statuses, DROP) if settings.drop else statuses
        if not choices:
            return None
        return InjectFault(op.operation_id, settings.rate, choices, stable_seed(self.seed, "fault", op.operation_id),
                           self.counts, compiled, negotiator, xml)

    def delay(self, operation_id: str) -> Delay:
        """The operation's delay step: its latency, drawn from a sequence seeded per operation."""
        return Delay(self.settings(operation_id).latency, stable_seed(self.seed, "latency", operation_id))


class InjectFault:
    """Fails the request with the configured probability. The n-th request of a session to an operation fails or
    not by a hash of (seed, operation, session, n): the same sequence of requests fails the same way again."""

    __slots__ = ("operation_id", "rate", "choices", "seed", "counts", "compiled", "negotiator", "xml")

    def __init__(self, operation_id: str, rate: float, choices: tuple[int | str, ...], seed: int,
                 counts: OrderedDict[tuple[str, str], int], compiled: Compiled, negotiator: Negotiator,
                 xml: XmlWriter) -> None:
        self.operation_id = operation_id
        self.rate = rate
        self.choices = choices
        self.seed = seed
        self.compiled = compiled
        self.negotiator = negotiator
        self.xml = xml
        self.counts = counts

    def __call__(self, ctx: RequestContext) -> Reply | None:
        key = (self.operation_id, ctx.session)
        counts = self.counts
        n = counts.pop(key, 0)
        counts[key] = n + 1
        if len(counts) > MAX_SEQUENCES:
            counts.popitem(last=False)
        r = random.Random(stable_seed(self.seed, key[1], n))
        if r.random() >= self.rate:
            return None
        choice = r.choice(self.choices)
        if choice == DROP and ctx.method == "HEAD":
            # A HEAD answer has no body to cut short: it is complete once its headers are out.
            choice = next((c for c in self.choices if c != DROP), _UNDOCUMENTED_FAULT)
        ctx.trace.fault = str(choice)
        if choice == DROP:
            return Reply(200, [(b"content-type", b"application/json"), (b"x-docmock-fault", b"drop")], b"{}", drop=True)
        assert isinstance(choice, int)
        return self._error(ctx, choice, r)

    def _error(self, ctx: RequestContext, status: int, r: random.Random) -> Reply:
        marker = (b"x-docmock-fault", str(status).encode())
        plan = plan_for_code(self.compiled.plans, str(status))
        if plan is None:  # not documented: say what happened, as every other problem of the mock does
            reply = problem_reply(Problem(status, f"fault injected by docmock for {ctx.operation_id} "
                                                  "(--fault-rate or the overrides file's faults)"))
            reply.headers.append(marker)
            return reply
        headers = response_headers(plan, r)
        headers.append(marker)
        mp = choose_media(self.negotiator, ctx.headers.get("accept"), plan) if plan.has_body else None
        if mp is None:  # documented without a body (the usual case), or not in an acceptable form
            return Reply(status, headers, b"")
        headers.append((b"content-type", mp.content_type.encode()))
        return Reply(status, headers, render(mp, mp.gen(r, 0), self.xml, r))
