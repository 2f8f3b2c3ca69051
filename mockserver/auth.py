"""Checking that a request carries credentials of a kind the spec's security requirements name."""
from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# A check returns the credential it found (to compare with accepted credentials), or None.
Check = Callable[[Mapping[str, str], Mapping[str, list[str]], Mapping[str, str]], "str | None"]
ANY = ""  # what an unverifiable scheme "finds": always present, always accepted


def _authorization(scheme: str) -> Check:
    prefix = scheme.lower() + " "

    def check(headers: Mapping[str, str], query: Mapping[str, list[str]], cookies: Mapping[str, str]) -> str | None:
        value = headers.get("authorization", "")
        return value if value.lower().startswith(prefix) and value[len(prefix):].strip() else None
    return check


def _api_key(location: str, name: str) -> Check:
    if location == "header":
        key = name.lower()
        return lambda headers, query, cookies: headers.get(key) or None
    if location == "query":
        return lambda headers, query, cookies: (query.get(name) or [None])[-1] or None
    return lambda headers, query, cookies: cookies.get(name) or None


def _always(headers: Mapping[str, str], query: Mapping[str, list[str]], cookies: Mapping[str, str]) -> str | None:
    return ANY


def _scheme_check(scheme: Mapping[str, Any]) -> tuple[Check, str | None]:
    """A presence check for one security scheme, and its WWW-Authenticate challenge (if HTTP has one)."""
    kind = scheme.get("type")
    if kind == "http":
        name = str(scheme.get("scheme") or "basic")
        pretty = name[:1].upper() + name[1:]
        return _authorization(name), f'{pretty} realm="docmock"'
    if kind == "apiKey":
        return _api_key(str(scheme.get("in", "header")), str(scheme.get("name", ""))), None
    if kind in ("oauth2", "openIdConnect"):
        return _authorization("bearer"), 'Bearer realm="docmock"'
    return _always, None  # mutualTLS and unknown kinds cannot be checked by a mock


@dataclass(frozen=True, slots=True)
class AuthPolicy:
    """Alternatives (any one suffices), each a set of checks that must all pass; empty means open."""

    alternatives: tuple[tuple[Check, ...], ...]
    challenge: str

    @property
    def open(self) -> bool:
        return not self.alternatives or any(not alt for alt in self.alternatives)

    def allows(self, headers: Mapping[str, str], query: Mapping[str, list[str]], cookies: Mapping[str, str],
               accepted: frozenset[str] = frozenset()) -> bool:
        """Any credential of a declared kind passes, unless `accepted` names the only values that do."""
        for alt in self.alternatives:
            for check in alt:
                found = check(headers, query, cookies)
                if found is None or (accepted and found != ANY and found not in accepted):
                    break
            else:
                return True
        return False


OPEN = AuthPolicy((), "")


@functools.lru_cache(maxsize=256)
def _cached_scheme_check(scheme_json: str) -> tuple[Check, str | None]:
    """Every operation of a spec shares a few schemes: compile each once."""
    return _scheme_check(json.loads(scheme_json))


def compile_policy(requirements: Sequence[Mapping[str, Any]] | None, schemes: Mapping[str, Any]) -> AuthPolicy:
    if not requirements:
        return OPEN
    alternatives: list[tuple[Check, ...]] = []
    challenges: list[str] = []
    for req in requirements:
        checks: list[Check] = []
        for name in req:
            scheme = schemes.get(name)
            if not isinstance(scheme, Mapping):
                continue  # an undeclared scheme cannot be checked; do not lock everyone out for it
            check, challenge = _cached_scheme_check(json.dumps(scheme, sort_keys=True))
            checks.append(check)
            if challenge and challenge not in challenges:
                challenges.append(challenge)
        alternatives.append(tuple(checks))
    if any(not alt for alt in alternatives):
        return OPEN
    return AuthPolicy(tuple(alternatives), ", ".join(challenges) or 'ApiKey realm="docmock"')
