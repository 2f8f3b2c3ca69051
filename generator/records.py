"""Frozen records: `@dataclass(frozen=True, slots=True)` that pickle fast.

Parsed pages and their drafts are cached as pickles, and a large input holds hundreds of thousands of these
records. The dataclass default rebuilds a frozen, slotted record by looking up its fields once per object;
rebuilding it through its constructor is several times faster.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from operator import attrgetter
from typing import Any, Callable, TypeVar

T = TypeVar("T")


def record(*, order: bool = False) -> Callable[[type[T]], type[T]]:
    def make(cls: type[T]) -> type[T]:
        built = dataclass(frozen=True, slots=True, order=order)(cls)
        names = [f.name for f in fields(built)]
        values = attrgetter(*names)
        if len(names) == 1:
            def __reduce__(self: Any) -> tuple[Any, ...]:
                return built, (values(self),)
        else:
            def __reduce__(self: Any) -> tuple[Any, ...]:
                return built, values(self)
        built.__reduce__ = __reduce__  # type: ignore[method-assign]
        return built

    return make
