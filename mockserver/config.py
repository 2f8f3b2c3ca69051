"""The mock server's settings: one typed, frozen object carried from the command line to the app and its workers."""
from __future__ import annotations

import dataclasses
import random
import re
from dataclasses import dataclass
from typing import Any

from .errors import MockServerError

DEFAULT_MAX_BODY = 10 * 1024 * 1024
DEFAULT_JOURNAL_SIZE = 1000
MAX_DELAY_MS = 60_000.0  # `Prefer: delay=` and --latency never hold a request longer than a minute

_UNITS = {"ms": 1.0, "s": 1000.0, "": 1.0}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s)?\s*$", re.IGNORECASE)
_RANGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s)?\s*(?:\.\.|-)\s*(\d+(?:\.\d+)?)\s*(ms|s)?\s*$", re.IGNORECASE)


class ConfigError(MockServerError):
    """A setting has a value the server cannot use (a malformed latency, a fault rate above 1 ...)."""


@dataclass(frozen=True, slots=True)
class Latency:
    """A delay drawn uniformly from [low_ms, high_ms] for each answer: `100ms`, `50..200ms`, `0.5s`, `1-2s`."""

    low_ms: float
    high_ms: float

    @classmethod
    def parse(cls, text: str) -> Latency:
        """Read `50..200ms` (a range; the unit after the second number applies to both when the first has
        none), `120ms`, `1.5s` or a bare number of milliseconds."""
        single = _DURATION.match(text)
        if single:
            ms = float(single.group(1)) * _UNITS[(single.group(2) or "").lower()]
            return cls._checked(ms, ms, text)
        ranged = _RANGE.match(text)
        if ranged:
            low, low_unit, high, high_unit = ranged.groups()
            high_factor = _UNITS[(high_unit or "").lower()]
            low_factor = _UNITS[(low_unit or "").lower()] if low_unit else high_factor
            return cls._checked(float(low) * low_factor, float(high) * high_factor, text)
        raise ConfigError(f"latency {text!r} is not a duration or range such as 100ms, 50..200ms or 1-2s")

    @classmethod
    def _checked(cls, low: float, high: float, text: str) -> Latency:
        if low > high:
            raise ConfigError(f"latency {text!r}: the lower bound is above the upper bound")
        if high > MAX_DELAY_MS:
            raise ConfigError(f"latency {text!r}: at most {MAX_DELAY_MS / 1000:.0f}s")
        return cls(low, high)

    def draw_ms(self, r: random.Random) -> float:
        return self.low_ms if self.low_ms == self.high_ms else r.uniform(self.low_ms, self.high_ms)

    def __str__(self) -> str:
        low, high = _format_ms(self.low_ms), _format_ms(self.high_ms)
        return f"{low}ms" if low == high else f"{low}..{high}ms"


def _format_ms(ms: float) -> str:
    return str(int(ms)) if ms == int(ms) else f"{ms:g}"


@dataclass(frozen=True, slots=True)
class Config:
    """Every option of a mock server, from `docmock serve` or from a library caller (`create_app(spec, config)`).

    Defaults are the library's: no state, no CORS, an access log through the `docmock.mockserver` logger. The
    command line has its own defaults (state in memory, CORS for any origin) and says so in `--help`.
    """

    # Serving (read by `docmock serve`, not by the app).
    host: str = "127.0.0.1"
    port: int = 4010
    workers: int = 1
    access_log: bool = True

    # What the mock answers.
    seed: int = 0
    auth: bool = True
    credentials: tuple[str, ...] = ()
    cors_origins: tuple[str, ...] = ()
    max_body: int = DEFAULT_MAX_BODY

    # Remembering writes: None (stateless), "memory" or "sqlite:PATH"; the overrides file corrects inference and
    # sets faults per operation.
    state: str | None = None
    overrides: str | None = None

    # For CI: the request journal, latency and faults, proxying and recording.
    journal_size: int = DEFAULT_JOURNAL_SIZE
    latency: Latency | None = None
    fault_rate: float = 0.0
    fault_seed: int | None = None  # None: the same as `seed`
    proxy: str | None = None
    record: str | None = None
    replay: str | None = None

    def __post_init__(self) -> None:
        if self.max_body < 0:
            raise ConfigError(f"max_body must be 0 or more, not {self.max_body}")
        if not 0.0 <= self.fault_rate <= 1.0:
            raise ConfigError(f"fault rate must be between 0 and 1, not {self.fault_rate}")
        if self.journal_size < 0:
            raise ConfigError(f"journal size must be 0 (off) or more, not {self.journal_size}")
        if self.workers < 1:
            raise ConfigError(f"workers must be 1 or more, not {self.workers}")
        if self.proxy is not None and not re.match(r"^https?://[^/]", self.proxy):
            raise ConfigError(f"proxy target {self.proxy!r} must be an http:// or https:// URL")
        if self.record is not None and self.proxy is None:
            raise ConfigError("recording keeps a real server's answers: it needs a proxy target")
        # Sequences given as lists (JSON, keyword arguments) are stored as tuples, so the object stays hashable.
        for name in ("credentials", "cors_origins"):
            value = getattr(self, name)
            if not isinstance(value, tuple):
                object.__setattr__(self, name, tuple(value))
        if isinstance(self.latency, str):
            object.__setattr__(self, "latency", Latency.parse(self.latency))

    @property
    def effective_fault_seed(self) -> int:
        return self.seed if self.fault_seed is None else self.fault_seed

    def replace(self, **changes: Any) -> Config:
        return dataclasses.replace(self, **changes)

    def to_json(self) -> dict[str, Any]:
        """A JSON-able dict that `from_json` turns back into an equal Config (how workers receive it)."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            out[f.name] = list(value) if isinstance(value, tuple) else str(value) if isinstance(value, Latency) \
                else value
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Config:
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - names
        if unknown:
            raise ConfigError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        return cls(**data)
