"""What was worked out from a document's objects, remembered by the objects' identity across reloads."""
from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

V = TypeVar("V")


class ByIdentity(Generic[V]):
    """Values computed from objects of a document (a path item, a schema), keyed by the object's identity and
    an optional label. A reloaded document shares its unchanged objects with the last one (share_unchanged),
    so a cache made from the previous one answers for them without computing again; it keeps only what the
    new document asks for, so the old document's objects are let go."""

    def __init__(self, previous: ByIdentity[V] | None = None) -> None:
        self._known: dict[Hashable, tuple[Any, V]] = {}
        self._previous = previous._known if previous is not None else {}

    def get(self, node: Any, compute: Callable[[], V], label: Hashable = None) -> V:
        key = (label, id(node))
        hit = self._known.get(key) or self._previous.get(key)
        if hit is None or hit[0] is not node:
            hit = (node, compute())
        self._known[key] = hit  # holding the node keeps its id from being reused
        return hit[1]

    def settle(self) -> None:
        """Let go of the previous cache (and the old document's objects it holds)."""
        self._previous = {}
