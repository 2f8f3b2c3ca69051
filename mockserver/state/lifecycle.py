"""Records that move on their own: an entity's lifecycle (the overrides file's `lifecycles`), and the clock it
moves by.

A record created through the mock starts a run. Its lifecycle says, for some of its properties, what they are
at each moment after the start: an enum property steps through values (`State: {New: 0s, Started: 1s,
Succeeded: 10s}`), a number rises over the run (`ProgressPercent: [0, 100]`, from the second step to the last).
A seeded share of runs fails at a seeded moment (`fail`), and the stop operations end a run early (`stop`).
The values are worked out when the record is read, from the run and the session's clock, so nothing is written
as time passes and every worker agrees. The clock is real time plus an offset per session, which a test moves
forward instead of sleeping (`POST /__docmock/clock`, or `Prefer: at=+10s` for one request).
"""
from __future__ import annotations

import math
import random
import re
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import OverridesError

# Where runs and clocks live in the store: names no entity can have, kept by reloads, cleared by resets.
RUNS = "~run:"
CLOCK = "~clock"
CLOCK_KEY = "offset"
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|min|h)?\s*$", re.IGNORECASE)
_UNITS = {"ms": 0.001, "s": 1.0, "": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0}
MAX_SECONDS = 100 * 365.25 * 86400  # durations, offsets and a session's clock stay within a hundred years
_OFFSET = re.compile(r"^\s*([+-]?)\s*(\d+(?:\.\d+)?\s*(?:ms|s|m|min|h)?)\s*$", re.IGNORECASE)


def parse_duration(text: Any, where: str) -> float:
    """Seconds from `10s`, `1.5s`, `500ms`, `2m`, `1h` or a bare number of seconds, up to a hundred years."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        seconds = float(text) if abs(text) <= MAX_SECONDS else math.nan  # a 400-digit integer overflows float()
    else:
        m = _DURATION.match(str(text))
        seconds = float(m.group(1)) * _UNITS[(m.group(2) or "").lower()] if m is not None else math.nan
    if not 0 <= seconds <= MAX_SECONDS:  # also NaN
        raise OverridesError(f"{where}: {text!r} is not a duration such as 1s, 500ms, 2m or 1h "
                             "(at most a hundred years)")
    return seconds


def parse_offset(text: str) -> float | None:
    """Seconds from `+10s`, `-1m`, `90` (for `Prefer: at=` and the clock endpoint); None when malformed or
    more than a hundred years."""
    m = _OFFSET.match(text)
    if m is None:
        return None
    try:
        seconds = parse_duration(m.group(2), "offset")
    except OverridesError:
        return None
    return -seconds if m.group(1) == "-" else seconds


@dataclass(frozen=True, slots=True)
class Run:
    """One record's run: when it started (mock clock, epoch seconds), when it was stopped, and when it fails
    (seconds after the start; None: it does not fail)."""

    start: float
    stop: float | None = None
    fails_at: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {"start": self.start, "stop": self.stop, "failsAt": self.fails_at}

    @classmethod
    def from_json(cls, data: Any) -> Run | None:
        if not isinstance(data, Mapping) or not isinstance(data.get("start"), (int, float)):
            return None
        return cls(float(data["start"]), data.get("stop"), data.get("failsAt"))


@dataclass(frozen=True, slots=True)
class Lifecycle:
    entity: str
    steps: Mapping[str, tuple[tuple[float, Any], ...]]          # property -> ((seconds, value), ...) ascending
    rises: Mapping[str, tuple[float, float, bool]]              # property -> (from, to, whole numbers)
    rise_from: float                                            # when numbers start rising (the second step)
    end: float                                                  # when the run is over (the last step)
    fail_share: float = 0.0
    fail_values: Mapping[str, Any] = field(default_factory=dict)
    stop_values: Mapping[str, Any] = field(default_factory=dict)
    stop_operations: tuple[str, ...] = ()

    def start(self, now: float, seed: int, ident: Any) -> Run:
        """A new run for record `ident`, created at `now`: whether and when it fails is drawn from the seed."""
        r = random.Random(f"{seed}\x00{self.entity}\x00{ident}")
        fails_at = None
        if self.fail_share > 0 and r.random() < self.fail_share:
            fails_at = self.rise_from + r.random() * max(0.0, self.end - self.rise_from)
        return Run(now, None, fails_at)

    def values(self, run: Run, now: float) -> dict[str, Any]:
        """The lifecycle's properties of a record in `run`, at `now`."""
        elapsed = max(0.0, (min(now, run.stop) if run.stop is not None else now) - run.start)
        failed = run.fails_at is not None and elapsed >= run.fails_at
        if failed:
            elapsed = run.fails_at  # type: ignore[assignment]
        out: dict[str, Any] = {}
        for prop, schedule in self.steps.items():
            value = schedule[0][1]
            for at, v in schedule:
                if at <= elapsed:
                    value = v
            out[prop] = value
        span = self.end - self.rise_from
        share = 1.0 if span <= 0 else min(1.0, max(0.0, (elapsed - self.rise_from) / span))
        for prop, (low, high, whole) in self.rises.items():
            value = low + (high - low) * share
            out[prop] = int(value) if whole else round(value, 2)
        if run.stop is not None and (run.stop - run.start) < self.end and not failed:
            out.update(self.stop_values)
        if failed:
            out.update(self.fail_values)
        return out

    def running(self, run: Run, now: float) -> bool:
        elapsed = now - run.start
        return run.stop is None and elapsed < self.end and not (run.fails_at is not None and elapsed >= run.fails_at)


KindOf = Callable[[Any, str], "str | None"]  # (entity, property) -> its JSON type, when known


def compile_lifecycles(raw: Any, entities: Mapping[str, Any], operations: Collection[str],
                       kind_of: KindOf = lambda entity, prop: None) -> dict[str, Lifecycle]:
    """The overrides file's `lifecycles` section, checked against the inferred entities (by lower-case name,
    each with `prop()` and `enums`), the spec's operationIds and the properties' JSON types (`kind_of`)."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise OverridesError("lifecycles: a mapping of entity name -> lifecycle")
    out: dict[str, Lifecycle] = {}
    for name, spec in raw.items():
        where = f"lifecycles.{name}"
        entity = entities.get(str(name).lower())
        if entity is None:
            known = ", ".join(sorted(e.name for e in entities.values())) or "none"
            raise OverridesError(f"{where}: {name!r} is not a stateful entity (known: {known})")
        if entity.name in out:
            raise OverridesError(f"{where}: {entity.name} has a lifecycle already (names are not case-sensitive)")
        if not isinstance(spec, Mapping):
            raise OverridesError(f"{where}: a mapping with 'values' (and 'fail', 'stop')")
        extra = set(map(str, spec)) - {"values", "fail", "stop"}
        if extra:
            raise OverridesError(f"{where}: unknown key(s) {', '.join(sorted(extra))}; allowed: fail, stop, values")
        values = spec.get("values")
        if not isinstance(values, Mapping) or not values:
            raise OverridesError(f"{where}.values: name the properties that change, e.g. "
                                 "State: {New: 0s, Started: 1s, Succeeded: 10s}")
        steps: dict[str, tuple[tuple[float, Any], ...]] = {}
        rises: dict[str, tuple[float, float, bool]] = {}
        for prop, schedule in values.items():
            at = f"{where}.values.{prop}"
            real = _property(entity, prop, at)
            if real in steps or real in rises:
                raise OverridesError(f"{at}: {real} is named twice (names are not case-sensitive)")
            kind = kind_of(entity, real)
            if isinstance(schedule, Mapping):
                pairs = tuple((parse_duration(t, f"{at}.{v}"), _value(entity, real, kind, v, f"{at}.{v}"))
                              for v, t in schedule.items())
                if not pairs or [p[0] for p in pairs] != sorted(p[0] for p in pairs):
                    raise OverridesError(f"{at}: the times must rise from the first value to the last")
                steps[real] = pairs
            elif isinstance(schedule, list) and len(schedule) == 2 and all(
                    isinstance(x, (int, float)) and not isinstance(x, bool) and abs(x) < 2**31 for x in schedule):
                if kind not in ("integer", "number", None):
                    raise OverridesError(f"{at}: {real} is a {kind}; only a number can rise from one value to another")
                whole = kind == "integer" or (kind is None and all(isinstance(x, int) for x in schedule))
                rises[real] = (float(schedule[0]), float(schedule[1]), whole)
            else:
                raise OverridesError(f"{at}: either value -> time ({{New: 0s, Started: 1s}}) or [from, to] numbers "
                                     "(each below 2**31 in size)")
        times = sorted({t for pairs in steps.values() for t, _ in pairs})
        end = times[-1] if times else 0.0
        rise_from = times[1] if len(times) > 1 else 0.0
        fail_share, fail_values = 0.0, {}
        if spec.get("fail") is not None:
            fail = spec["fail"]
            if not isinstance(fail, Mapping):
                raise OverridesError(f"{where}.fail: a mapping with 'share' and 'values'")
            _known_keys(fail, ("share", "values"), f"{where}.fail")
            share = fail.get("share", 0)
            if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 <= share <= 1:
                raise OverridesError(f"{where}.fail.share: a number from 0 to 1, not {share!r}")
            fail_share = float(share)
            fail_values = _fixed_values(entity, fail.get("values"), f"{where}.fail.values", kind_of)
        stop_values: dict[str, Any] = {}
        stop_operations: tuple[str, ...] = ()
        if spec.get("stop") is not None:
            stop = spec["stop"]
            if not isinstance(stop, Mapping):
                raise OverridesError(f"{where}.stop: a mapping with 'operations' and 'values'")
            _known_keys(stop, ("operations", "values"), f"{where}.stop")
            ops = stop.get("operations") or []
            ops = [ops] if isinstance(ops, str) else ops
            if not isinstance(ops, list) or not ops or not all(isinstance(op, str) for op in ops):
                raise OverridesError(f"{where}.stop.operations: the operationIds that stop a run")
            for op in ops:
                if op not in operations:
                    raise OverridesError(f"{where}.stop.operations: no operation {op!r}")
            stop_operations = tuple(map(str, ops))
            stop_values = _fixed_values(entity, stop.get("values"), f"{where}.stop.values", kind_of)
        out[entity.name] = Lifecycle(entity.name, steps, rises, rise_from, end, fail_share, fail_values,
                                     stop_values, stop_operations)
    return out


def _property(entity: Any, prop: Any, where: str) -> str:
    real = entity.prop(str(prop))
    if real is None:
        raise OverridesError(f"{where}: {prop!r} is not a property of {entity.name}")
    return real


_FITS: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v),
    "boolean": lambda v: isinstance(v, bool),
}


def _value(entity: Any, prop: str, kind: str | None, value: Any, where: str) -> Any:
    """`value` for `prop`, when it is one the property can hold (its enum, its JSON type)."""
    allowed = entity.enums.get(prop)
    if allowed and str(value) not in allowed:
        raise OverridesError(f"{where}: {value!r} is not one of {prop}'s values ({', '.join(allowed)})")
    if kind in ("object", "array"):
        raise OverridesError(f"{where}: {prop} is an {kind}; a lifecycle moves text, numbers and true/false")
    fits = _FITS.get(kind or "")
    if fits is not None and not fits(value):
        raise OverridesError(f"{where}: {value!r} does not fit {prop}, which is a JSON {kind}")
    return value


def _known_keys(block: Mapping[str, Any], keys: tuple[str, ...], where: str) -> None:
    extra = set(map(str, block)) - set(keys)
    if extra:
        raise OverridesError(f"{where}: unknown key(s) {', '.join(sorted(extra))}; allowed: {', '.join(keys)}")


def _fixed_values(entity: Any, values: Any, where: str, kind_of: KindOf) -> dict[str, Any]:
    if not isinstance(values, Mapping) or not values:
        raise OverridesError(f"{where}: the values a run ends with, e.g. State: Failed")
    out = {}
    for prop, value in values.items():
        real = _property(entity, prop, f"{where}.{prop}")
        out[real] = _value(entity, real, kind_of(entity, real), value, f"{where}.{prop}")
    return out


class Clock:
    """The mock's time: real time plus each session's offset, kept in the store so that every worker agrees."""

    def __init__(self, store: Any, real: Any = time.time) -> None:
        self.store = store
        self.real = real

    def offset(self, session: str) -> float:
        return _seconds(self.store.get(session, CLOCK, CLOCK_KEY))

    def now(self, session: str, extra: float = 0.0) -> float:
        """Real time plus the session's offset and `extra` (`Prefer: at`), never more than a hundred years away."""
        return self.real() + max(-MAX_SECONDS, min(MAX_SECONDS, self.offset(session) + extra))

    def advance(self, session: str, seconds: float) -> float | None:
        """Move the session's clock by `seconds`; the new offset, or None (and nothing moved) when it would be
        more than a hundred years from real time."""
        with self.store.transaction(session) as tx:
            current = _seconds(tx.get(CLOCK, CLOCK_KEY))
            if not abs(current + seconds) <= MAX_SECONDS:
                return None
            tx.put(CLOCK, CLOCK_KEY, {"seconds": current + seconds})
        return current + seconds


def _seconds(stored: Any) -> float:
    value = stored.get("seconds") if isinstance(stored, Mapping) else None
    return float(value) if isinstance(value, (int, float)) and math.isfinite(value) else 0.0
