"""The mock server's settings: one typed, frozen object carried from the command line to the app and its workers."""
from __future__ import annotations

import dataclasses
import math
import random
import re
from dataclasses import dataclass
from urllib.parse import urlsplit
from typing import Any

from .errors import MockServerError
from .state.errors import StateError
from .state.store import check_session_ttl

DEFAULT_MAX_BODY = 10 * 1024 * 1024
DEFAULT_JOURNAL_SIZE = 1000
DEFAULT_ANSWER_CACHE_MB = 16  # about 1,100 answers of 14 KB: a screen's worth of records, polled
MAX_DELAY_MS = 60_000.0  # `Prefer: delay=` and --latency never hold a request longer than a minute
# Slow and idle connections (docmock/connections.py). A connection that sends nothing is closed as soon as an
# idle keep-alive one is (uvicorn's 5 s); the body gets the longest, as it may be large and legitimately slow.
DEFAULT_IDLE_TIMEOUT = 5.0
DEFAULT_HEADER_TIMEOUT = 10.0
DEFAULT_BODY_TIMEOUT = 30.0
DEFAULT_MAX_CONNECTIONS = 1000  # per serving process; needs about as many file descriptors, see fit_descriptors

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

    def __post_init__(self) -> None:
        for bound in (self.low_ms, self.high_ms):
            if isinstance(bound, bool) or not isinstance(bound, (int, float)) or not 0 <= bound <= MAX_DELAY_MS:
                raise ConfigError(f"latency bounds must be milliseconds from 0 to {MAX_DELAY_MS:.0f}, not {bound!r}")
        if self.low_ms > self.high_ms:
            raise ConfigError("the lower bound is above the upper bound")

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
        if high > MAX_DELAY_MS:
            raise ConfigError(f"latency {text!r}: at most {MAX_DELAY_MS / 1000:.0f}s")
        try:
            return cls(low, high)
        except ConfigError as exc:
            raise ConfigError(f"latency {text!r}: {exc}") from None

    def __str__(self) -> str:
        low, high = _format_ms(self.low_ms), _format_ms(self.high_ms)
        return f"{low}ms" if low == high else f"{low}..{high}ms"

    def draw_ms(self, r: random.Random) -> float:
        return self.low_ms if self.low_ms == self.high_ms else r.uniform(self.low_ms, self.high_ms)


def _format_ms(ms: float) -> str:
    return str(int(ms)) if ms == int(ms) else repr(ms)


def _check_url(url: str) -> None:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - reading it is what checks it
    except ValueError as exc:
        raise ConfigError(f"proxy target {url!r} is not a URL: {exc}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"proxy target {url!r} must be an http:// or https:// URL")


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
    # Seconds a connection may take: to send its first byte or the next request (idle), a request's line and
    # headers (from its first byte), a request's whole body (from its headers); connections per process.
    idle_timeout: float = DEFAULT_IDLE_TIMEOUT
    header_timeout: float = DEFAULT_HEADER_TIMEOUT
    body_timeout: float = DEFAULT_BODY_TIMEOUT
    max_connections: int = DEFAULT_MAX_CONNECTIONS

    # What the mock answers.
    seed: int = 0
    auth: bool = True
    credentials: tuple[str, ...] = ()
    # The Bearer token the /__docmock/ endpoints need (besides any of `credentials`); None and no credentials:
    # they are open to whoever reaches the port.
    admin_token: str | None = None
    cors_origins: tuple[str, ...] = ()
    max_body: int = DEFAULT_MAX_BODY

    # Remembering writes: None (stateless), "memory", "sqlite:PATH" or "redis://HOST:PORT/DB"; the overrides file
    # corrects inference and sets faults per operation.
    state: str | None = None
    overrides: str | None = None
    # Seconds after its last write that a session is forgotten (None: kept until reset).
    session_ttl: float | None = None

    # For CI: the request journal, latency and faults, proxying and recording.
    journal_size: int = DEFAULT_JOURNAL_SIZE
    # Answers to repeated reads, remembered until the state changes (mockserver/answers.py); 0 turns it off.
    answer_cache_mb: int = DEFAULT_ANSWER_CACHE_MB
    latency: Latency | None = None
    fault_rate: float = 0.0
    fault_seed: int | None = None  # None: the same as `seed`
    proxy: str | None = None
    record: str | None = None
    replay: str | None = None

    def __post_init__(self) -> None:
        # A value of the wrong type would pass here and break a request later: name the setting now.
        for name in ("port", "workers", "seed", "max_body", "journal_size", "answer_cache_mb", "fault_seed",
                     "max_connections"):
            value = getattr(self, name)
            if not (value is None and name == "fault_seed") and (not isinstance(value, int) or isinstance(value, bool)):
                raise ConfigError(f"{name} must be a whole number, not {value!r}")
        for name in ("access_log", "auth"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigError(f"{name} must be true or false, not {getattr(self, name)!r}")
        for name in ("host", "state", "overrides", "proxy", "record", "replay", "admin_token"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                raise ConfigError(f"{name} must be text, not {value!r}")
        if isinstance(self.fault_rate, bool) or not isinstance(self.fault_rate, (int, float)) \
                or not 0.0 <= self.fault_rate <= 1.0:
            raise ConfigError(f"fault rate must be a number between 0 and 1, not {self.fault_rate!r}")
        if self.session_ttl is not None:
            try:
                check_session_ttl(self.session_ttl)
            except StateError as exc:
                raise ConfigError(str(exc)) from None
        if self.max_body < 0:
            raise ConfigError(f"max_body must be 0 or more, not {self.max_body}")
        if self.answer_cache_mb < 0:
            raise ConfigError(f"answer cache must be 0 (off) or more MB, not {self.answer_cache_mb}")
        if self.journal_size < 0:
            raise ConfigError(f"journal size must be 0 (off) or more, not {self.journal_size}")
        if self.workers < 1:
            raise ConfigError(f"workers must be 1 or more, not {self.workers}")
        for name in ("idle_timeout", "header_timeout", "body_timeout"):
            value = getattr(self, name)
            # Zero would close every connection at once; infinity is what the limit exists to prevent.
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < math.inf:
                raise ConfigError(f"{name} must be a number of seconds above 0, not {value!r}")
        if self.admin_token is not None and (not self.admin_token or not self.admin_token.isprintable()
                                             or any(c.isspace() for c in self.admin_token)):
            # It travels as `Authorization: Bearer TOKEN`: a header value of one printable word.
            raise ConfigError("the admin token must be one word of printable characters, without spaces")
        if self.max_connections < 1:
            raise ConfigError(f"max_connections must be 1 or more, not {self.max_connections}")
        if self.proxy is not None:
            _check_url(self.proxy)
        if self.record is not None and self.proxy is None:
            raise ConfigError("recording keeps a real server's answers: it needs a proxy target")
        # Sequences are stored as tuples, so the object stays hashable; one string is one value, not its letters.
        for name in ("credentials", "cors_origins"):
            value = getattr(self, name)
            values = (value,) if isinstance(value, str) else tuple(value)
            if not all(isinstance(v, str) for v in values):
                raise ConfigError(f"{name} must be text values, not {value!r}")
            object.__setattr__(self, name, values)
        latency = self.latency
        if isinstance(latency, str):
            object.__setattr__(self, "latency", Latency.parse(latency))
        elif isinstance(latency, (list, tuple)) and len(latency) == 2:  # [low, high] in ms, as to_json writes it
            object.__setattr__(self, "latency", Latency(*latency))
        elif latency is not None and not isinstance(latency, Latency):
            raise ConfigError(f"latency must be a duration such as 50..200ms, not {latency!r}")

    @property
    def effective_fault_seed(self) -> int:
        return self.seed if self.fault_seed is None else self.fault_seed

    def to_json(self) -> dict[str, Any]:
        """A JSON-able dict that `from_json` turns back into an equal Config (how workers receive it)."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            # A latency goes as its two numbers: text would round them.
            out[f.name] = list(value) if isinstance(value, tuple) else [value.low_ms, value.high_ms] \
                if isinstance(value, Latency) else value
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Config:
        return cls().replace(**data)

    def replace(self, **changes: Any) -> Config:
        unknown = set(changes) - {f.name for f in dataclasses.fields(self)}
        if unknown:
            raise ConfigError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        return dataclasses.replace(self, **changes)
