"""The state engine's exceptions; all derive from the mock server's root exception so the CLI reports them."""
from __future__ import annotations

from ..errors import MockServerError


class StateError(MockServerError):
    """Root of the state package's deliberate errors (bad overrides file, bad --state option, bad store)."""


class OverridesError(StateError):
    """The overrides YAML file is unreadable or does not follow the documented format."""


class PatchError(StateError):
    """A JSON Patch / Merge Patch document is malformed (answered with 400)."""


class PatchConflict(PatchError):
    """A `test` failed or a patch target does not exist (answered with 409)."""


class StoreUnavailable(StateError):
    """The shared store cannot be reached or stays busy (Redis down, a session locked too long): answered with
    503 and Retry-After, since the same request may well succeed a moment later."""

    def __init__(self, message: str, retry_after: int = 1, public: str | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        # What a client is told: nothing of where the store is (its host, its port).
        self.public = public or message
