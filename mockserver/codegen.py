"""Objects and arrays compiled to Python source, with their values drawn inline.

A record such as SuperOffice's PersonEntity holds about 200 objects and 500 leaf values. As a tree of closures,
every value costs a call or two of its own; compiled, an object is one function whose dict display holds its
fields' values as expressions: a pick from a pool, an enum, a bounded integer, a coin flip, and nested objects
and arrays too, down to `MAX_INLINE_NESTING` levels and `MAX_INLINE_SIZE` characters. The expressions draw from
the same `random.Random` in the same order as the closures do, so the data does not depend on which of the two
produced it (`tests/mockserver/test_fakedata.py` holds them to it).

A generator offers an inline form by carrying `inline`: a function of a `Source` and a depth offset `k` that
returns the expression's text. The expression draws its value at depth `d + k`, which it reads as the local
`d{k}`; it may also use `r` (the Random), `rnd` (`r.random`) and `ri` (`r.randint`).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

Gen = Callable[[Any, int], Any]
Inline = Callable[["Source", int], str]

# Past these, a nested object or array is called rather than written out in its parent: Python's parser allows
# 200 nested brackets, and a schema whose carriers share carriers could otherwise grow text exponentially.
MAX_INLINE_NESTING = 6
MAX_INLINE_SIZE = 40_000


def with_inline(gen: Gen, inline: Inline, size: int = 0) -> Gen:
    """`gen`, marked with the expression that draws the same value inside a compiled object or array; `size` is
    the expression's length when that is large enough to matter (objects and arrays)."""
    gen.inline = inline  # type: ignore[attr-defined]
    gen.inline_size = size  # type: ignore[attr-defined]
    return gen


class Source:
    """The text of one compiled function and the values it refers to by name."""

    def __init__(self) -> None:
        self.namespace: dict[str, Any] = {}
        self.deepest = 0

    def bind(self, value: Any) -> str:
        """A name for `value` in the compiled function's globals."""
        name = f"_v{len(self.namespace)}"
        self.namespace[name] = value
        return name

    def expr(self, gen: Gen, k: int) -> str:
        """The expression that draws one value of `gen` at depth `d + k`: inline where it can be, else a call."""
        inline = getattr(gen, "inline", None)
        if inline is None or k > MAX_INLINE_NESTING or getattr(gen, "inline_size", 0) > MAX_INLINE_SIZE:
            return f"{self.bind(gen)}(r, {self.depth(k)})"
        return inline(self, k)  # type: ignore[no-any-return]

    def depth(self, k: int) -> str:
        """The local that holds `d + k` (`d` itself for 0)."""
        if k == 0:
            return "d"
        self.deepest = max(self.deepest, k)
        return f"d{k}"

    def compile(self, name: str, body: Sequence[str]) -> Gen:
        """`def name(r, d)` with the common locals, then `body` (lines, already indented one level)."""
        depths = [f"    d{k} = d + {k}" for k in range(1, self.deepest + 1)]
        lines = [f"def {name}(r, d):", "    rnd = r.random", "    ri = r.randint", *depths, *body]
        code = compile("\n".join(lines), f"<docmock generator {name}>", "exec")
        exec(code, self.namespace)  # noqa: S102 - the text is built from bound names, numbers and repr()s only
        return self.namespace.pop(name)  # type: ignore[no-any-return]


def dict_display(src: Source, fields: Sequence[tuple[str, Gen]], k: int) -> str:
    """`{"Key": <expr>, ...}` for values at depth `d + k`: a dict display evaluates key, then value, left to
    right, as the closures do."""
    return "{" + ", ".join(f"{key!r}: {src.expr(gen, k)}" for key, gen in fields) + "}"
