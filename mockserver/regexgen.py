"""Generating a string that matches a regular expression (for `pattern` schemas), from its parsed form."""
from __future__ import annotations

import random
import re
from collections.abc import Callable
from typing import Any

try:  # Python 3.11+ moved the parser; the old name still works with a warning on older versions.
    import re._parser as _sre_parse  # type: ignore[import-not-found]
    import re._constants as _sre_const  # type: ignore[import-not-found]
except ImportError:  # pragma: no cover
    import sre_constants as _sre_const  # type: ignore[no-redef]
    import sre_parse as _sre_parse  # type: ignore[no-redef]

_MAX_EXTRA_REPEAT = 3
_CATEGORY_CHARS = {
    _sre_const.CATEGORY_DIGIT: "0123456789",
    _sre_const.CATEGORY_NOT_DIGIT: "abcXYZ_-",
    _sre_const.CATEGORY_SPACE: " ",
    _sre_const.CATEGORY_NOT_SPACE: "abcXYZ019",
    _sre_const.CATEGORY_WORD: "abcdefxyzABC0123_",
    _sre_const.CATEGORY_NOT_WORD: "-.,:; ",
}
_PRINTABLE = [chr(c) for c in range(0x21, 0x7F)]

Gen = Callable[[random.Random], str]


def compile_regex(pattern: str) -> Gen | None:
    """Return a generator of matching strings, or None if the pattern uses features we cannot honour."""
    try:
        parsed = _sre_parse.parse(pattern)
        rx = re.compile(pattern)
    except (re.error, TypeError, ValueError):
        return None

    def gen(r: random.Random) -> str:
        groups: dict[int, str] = {}
        return _emit(parsed, r, groups)

    probe = random.Random(0)
    try:
        if all(rx.search(gen(probe)) for _ in range(5)):
            return gen
    except (_Unsupported, RecursionError, IndexError):
        return None
    return None


class _Unsupported(Exception):
    pass


def _emit(items: Any, r: random.Random, groups: dict[int, str]) -> str:
    out: list[str] = []
    for op, av in items:
        out.append(_one(op, av, r, groups))
    return "".join(out)


def _one(op: Any, av: Any, r: random.Random, groups: dict[int, str]) -> str:
    C = _sre_const
    if op is C.LITERAL:
        return chr(av)
    if op is C.NOT_LITERAL:
        return next(c for c in "aZ0_" if ord(c) != av)
    if op is C.ANY:
        return r.choice("abcxyz0129")
    if op is C.IN:
        return _in(av, r)
    if op in (C.MAX_REPEAT, C.MIN_REPEAT, getattr(C, "POSSESSIVE_REPEAT", None)):
        lo, hi, sub = av
        hi = min(hi, lo + _MAX_EXTRA_REPEAT) if hi != C.MAXREPEAT else lo + _MAX_EXTRA_REPEAT
        return "".join(_emit(sub, r, groups) for _ in range(r.randint(lo, hi)))
    if op is C.SUBPATTERN:
        gid, _, _, sub = av
        text = _emit(sub, r, groups)
        if gid is not None:
            groups[gid] = text
        return text
    if op is getattr(C, "ATOMIC_GROUP", None):
        return _emit(av, r, groups)
    if op is C.BRANCH:
        return _emit(r.choice(av[1]), r, groups)
    if op is C.AT:
        return ""
    if op is C.GROUPREF:
        return groups.get(av, "")
    if op is C.CATEGORY:
        return r.choice(_CATEGORY_CHARS.get(av, "a"))
    raise _Unsupported(str(op))


def _in(av: Any, r: random.Random) -> str:
    C = _sre_const
    negate = bool(av) and av[0][0] is C.NEGATE
    chars: list[str] = []
    for op, val in av:
        if op is C.LITERAL:
            chars.append(chr(val))
        elif op is C.RANGE:
            lo, hi = val
            chars.extend(chr(c) for c in range(lo, min(hi, lo + 60) + 1))
        elif op is C.CATEGORY:
            chars.extend(_CATEGORY_CHARS.get(val, "a"))
    if negate:
        banned = set(chars)
        allowed = [c for c in _PRINTABLE if c not in banned]
        return r.choice(allowed) if allowed else "a"
    return r.choice(chars) if chars else "a"
