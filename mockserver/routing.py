"""Compiling path templates into a segment trie once, and matching a request path against it by types."""
from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from .vocabulary import extends_enum

T = TypeVar("T")

_PARAM = re.compile(r"\{([^{}]+)\}")
_INT = re.compile(r"[+-]?\d+\Z")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\Z")
_UUID = re.compile(r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}\Z")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?\Z")
_FORMAT_BOUNDS = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}
_STRING_FORMATS = {"uuid": (_UUID, "a UUID"), "date": (_DATE, "a date (YYYY-MM-DD)"),
                   "date-time": (_DATETIME, "a date-time")}


@dataclass(frozen=True, slots=True)
class Matcher:
    """What one templated segment accepts; `rank` orders siblings (lower is tried first)."""

    rank: int
    key: tuple[Any, ...]
    description: str
    regex: re.Pattern[str] | None = None
    values: frozenset[str] = frozenset()
    low: float = -math.inf
    high: float = math.inf

    def accepts(self, segment: str) -> bool:
        if not segment:
            return False
        if self.values:
            return segment in self.values
        if self.regex is not None and self.regex.match(segment) is None:
            return False
        if self.low != -math.inf or self.high != math.inf:
            try:
                number = float(segment)
            except ValueError:
                return False
            return self.low <= number <= self.high
        return True


def matcher_for(schema: Mapping[str, Any]) -> Matcher:
    """Pick the matcher of a path parameter from its schema: enum, boolean, integer, number, format, string."""
    types = schema.get("type")
    if isinstance(types, list):
        types = next((t for t in types if t != "null"), "string")
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        values = frozenset(_wire(v) for v in enum if v is not None)
        shown = ", ".join(sorted(values))
        return Matcher(0, ("enum", values), f"one of {shown}", values=values)
    if types == "boolean":
        return Matcher(1, ("boolean",), "true or false", values=frozenset({"true", "false"}))
    if types == "integer":
        low, high = _bounds(schema, *_FORMAT_BOUNDS.get(str(schema.get("format")), (-math.inf, math.inf)))
        desc = f"an integer ({schema['format']})" if schema.get("format") in _FORMAT_BOUNDS else "an integer"
        return Matcher(2, ("integer", low, high), desc, regex=_INT, low=low, high=high)
    if types == "number":
        low, high = _bounds(schema, -math.inf, math.inf)
        return Matcher(3, ("number", low, high), "a number", regex=_NUMBER, low=low, high=high)
    fmt = _STRING_FORMATS.get(str(schema.get("format")))
    if fmt is not None:
        return Matcher(4, ("format", schema["format"]), fmt[1], regex=fmt[0])
    if isinstance(schema.get("pattern"), str):
        try:
            rx = re.compile(schema["pattern"])
        except re.error:
            rx = None
        if rx is not None:
            return Matcher(5, ("pattern", schema["pattern"]), f"a string matching {schema['pattern']}",
                           regex=_Search(rx))  # type: ignore[arg-type]
    return Matcher(6, ("string",), "any string")


class _Search:
    """Adapter so a JSON Schema `pattern` (an unanchored search) fits the Matcher's `regex.match` call."""

    __slots__ = ("rx",)

    def __init__(self, rx: re.Pattern[str]) -> None:
        self.rx = rx

    def match(self, s: str) -> re.Match[str] | None:
        return self.rx.search(s)


def _wire(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _bounds(schema: Mapping[str, Any], low: float, high: float) -> tuple[float, float]:
    if isinstance(schema.get("minimum"), (int, float)):
        low = max(low, schema["minimum"])
    if isinstance(schema.get("maximum"), (int, float)):
        high = min(high, schema["maximum"])
    # Exclusive bounds only matter for the (rare) integer edge value; nudging keeps one comparison per request.
    if isinstance(schema.get("exclusiveMinimum"), (int, float)) and not isinstance(schema["exclusiveMinimum"], bool):
        low = max(low, math.nextafter(schema["exclusiveMinimum"], math.inf))
    if isinstance(schema.get("exclusiveMaximum"), (int, float)) and not isinstance(schema["exclusiveMaximum"], bool):
        high = min(high, math.nextafter(schema["exclusiveMaximum"], -math.inf))
    return low, high


@dataclass(frozen=True, slots=True)
class Segment:
    """One segment of a template: a literal, a whole-segment parameter, or a mixed one like `{id}.json`."""

    literal: str | None
    names: tuple[str, ...]
    matcher: Matcher | None
    mixed: re.Pattern[str] | None = None


@dataclass(frozen=True, slots=True)
class Route(Generic[T]):
    """A method + template to compile, carrying the caller's payload (the operation)."""

    method: str
    template: str
    param_schemas: Mapping[str, Mapping[str, Any]]
    payload: T
    label: str


@dataclass(frozen=True, slots=True)
class Ambiguity:
    """Two routes a request can match where types do not decide (`unresolved`) or only by rank (`shadowed`)."""

    kind: str
    method: str
    winner: str
    loser: str
    detail: str
    winner_template: str = ""
    loser_template: str = ""

    def format(self) -> str:
        return f"{self.kind}: {self.method} {self.winner} vs {self.loser}: {self.detail}"


@dataclass(frozen=True, slots=True)
class Found(Generic[T]):
    payload: T
    params: dict[str, str]


@dataclass(frozen=True, slots=True)
class MethodNotAllowed:
    allow: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Mismatch:
    """The path has the shape of known templates but a parameter segment fits none of their types."""

    reasons: tuple[tuple[str, str], ...]  # (parameter name, message)


@dataclass(frozen=True, slots=True)
class NotFound:
    pass


@dataclass(slots=True)
class _Leaf(Generic[T]):
    route: Route[T]
    segments: tuple[Segment, ...]

    def params(self, parts: Sequence[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        for seg, value in zip(self.segments, parts):
            if seg.mixed is not None:
                m = seg.mixed.match(value)
                if m:
                    out.update(m.groupdict())
            elif seg.names:
                out[seg.names[0]] = value
        return out


@dataclass(slots=True)
class _Node(Generic[T]):
    literals: dict[str, _Node[T]] = field(default_factory=dict)
    folded: dict[str, _Node[T]] = field(default_factory=dict)
    params: list[tuple[Matcher, _Node[T]]] = field(default_factory=list)
    methods: dict[str, _Leaf[T]] = field(default_factory=dict)


def parse_template(template: str, param_schemas: Mapping[str, Mapping[str, Any]]) -> tuple[Segment, ...]:
    out: list[Segment] = []
    for part in _split(template):
        names = tuple(_PARAM.findall(part))
        if not names:
            out.append(Segment(part, (), None))
        elif part == "{" + names[0] + "}":
            out.append(Segment(None, names, matcher_for(param_schemas.get(names[0], {}))))
        else:
            pattern = "".join(
                f"(?P<{_group(tok[1:-1])}>[^/]+?)" if tok.startswith("{") else re.escape(tok)
                for tok in re.split(r"(\{[^{}]+\})", part) if tok
            )
            rx = re.compile(pattern + r"\Z")
            out.append(Segment(None, names, Matcher(5, ("mixed", part), f"the form {part}", regex=rx), mixed=rx))
    return tuple(out)


def _group(name: str) -> str:
    return name if name.isidentifier() else re.sub(r"\W", "_", name)


def _parsed_before(parsed: Mapping[str, list[tuple[Mapping[str, Any], tuple[Segment, ...]]]],
                   route: Route[Any]) -> tuple[Segment, ...] | None:
    for schemas, segments in parsed.get(route.template, ()):
        if schemas is route.param_schemas or schemas == route.param_schemas:
            return segments
    return None


def _same_shapes(old: list[Route[Any]], new: list[Route[Any]]) -> bool:
    return len(old) == len(new) and all(
        a.method == b.method and a.template == b.template and a.label == b.label and a.param_schemas == b.param_schemas
        for a, b in zip(old, new))


def _rebound(node: _Node[T], routes: dict[int, Route[T]], memo: dict[int, _Node[T]]) -> _Node[T]:
    """A copy of the trie under `node` whose leaves carry the routes `routes` maps the old ones to."""
    done = memo.get(id(node))
    if done is not None:
        return done
    copy: _Node[T] = _Node()
    memo[id(node)] = copy
    copy.literals = {key: _rebound(child, routes, memo) for key, child in node.literals.items()}
    copy.folded = {key: _rebound(child, routes, memo) for key, child in node.folded.items()}
    copy.params = [(matcher, _rebound(child, routes, memo)) for matcher, child in node.params]
    copy.methods = {method: _Leaf(routes[id(leaf.route)], leaf.segments) for method, leaf in node.methods.items()}
    return copy


def _split(path: str) -> list[str]:
    parts = path.strip("/").split("/")
    return [] if parts == [""] else parts


class Router(Generic[T]):
    """A segment trie: per request it costs one dict lookup per literal level plus a few typed checks."""

    def __init__(self, routes: Iterable[Route[T]], previous: Router[T] | None = None) -> None:
        """With `previous` (a reload) whose routes have the same methods, templates, labels and parameter
        schemas, its trie and ambiguities are copied with the new payloads instead of being worked out again."""
        self.routes = list(routes)
        self.root: _Node[T] = _Node()
        self.ambiguities: list[Ambiguity] = []
        self._leaves: list[_Leaf[T]] = []
        # Parsed templates, by template: a reload whose routes differ (a page added) parses only new ones.
        self._parsed: dict[str, list[tuple[Mapping[str, Any], tuple[Segment, ...]]]] = {}
        self._previous_parsed = previous._parsed if previous is not None else {}
        if previous is not None and _same_shapes(previous.routes, self.routes):
            self._parsed = previous._parsed
            by_old = {id(old): new for old, new in zip(previous.routes, self.routes)}
            self.root = _rebound(previous.root, by_old, {})
            self.ambiguities = list(previous.ambiguities)
            self.overlapping_templates = previous.overlapping_templates
            return
        for route in self.routes:
            self._add(route)
        self._previous_parsed = {}
        self._sort(self.root)
        shadowed, overlapping = _find_overlaps(self.root)
        unresolved = {t for a in self.ambiguities for t in (a.winner_template, a.loser_template)}
        self.overlapping_templates: frozenset[str] = overlapping | unresolved
        self.ambiguities.extend(shadowed)

    def _segments(self, route: Route[T]) -> tuple[Segment, ...]:
        segments = _parsed_before(self._parsed, route)
        if segments is None:
            segments = _parsed_before(self._previous_parsed, route)
            if segments is None:
                segments = parse_template(route.template, route.param_schemas)
            self._parsed.setdefault(route.template, []).append((route.param_schemas, segments))
        return segments

    def _add(self, route: Route[T]) -> None:
        segments = self._segments(route)
        node = self.root
        for seg in segments:
            if seg.literal is not None:
                nxt = node.literals.get(seg.literal)
                if nxt is None:
                    nxt = node.literals[seg.literal] = _Node()
                    node.folded.setdefault(seg.literal.casefold(), nxt)
                node = nxt
            else:
                assert seg.matcher is not None
                for matcher, child in node.params:
                    if matcher.key == seg.matcher.key:
                        node = child
                        break
                else:
                    child = _Node()
                    node.params.append((seg.matcher, child))
                    node = child
        leaf = _Leaf(route, segments)
        existing = node.methods.get(route.method)
        if existing is not None:
            self.ambiguities.append(Ambiguity(
                "unresolved", route.method, existing.route.label, route.label,
                "same path shape and parameter types; the first one is served",
                existing.route.template, route.template))
            return
        node.methods[route.method] = leaf
        self._leaves.append(leaf)

    def _sort(self, node: _Node[T]) -> None:
        node.params.sort(key=lambda mc: mc[0].rank)
        for child in node.literals.values():
            self._sort(child)
        for _, child in node.params:
            self._sort(child)

    def match(self, method: str, path: str) -> Found[T] | MethodNotAllowed | Mismatch | NotFound:
        parts = _split(path)
        leaf = _find(self.root, parts, 0, method)
        if leaf is not None:
            return Found(leaf.route.payload, leaf.params(parts))
        # Slow path, only for misses. A documented code in another case (/BatchTask/succeeded), or a code the
        # documented enum lacks where the rest of the path fits (/BatchTask/SucceededManualCleanup): the real
        # server takes both, so route them; the request check spells the first as documented and says so of
        # the second in a warning (see validation).
        leaf = _find_past_enums(self.root, parts, 0, method)
        if leaf is not None:
            return Found(leaf.route.payload, leaf.params(parts))
        # Explain why nothing matched.
        allowed = self._allowed(parts)
        if allowed:
            return MethodNotAllowed(tuple(sorted(allowed)))
        reasons: list[tuple[str, str]] = []
        _collect_mismatches(self.root, parts, 0, reasons)
        if reasons:
            return Mismatch(tuple(dict.fromkeys(reasons)))
        return NotFound()

    def methods_for(self, path: str) -> tuple[str, ...]:
        return tuple(sorted(self._allowed(_split(path))))

    def _allowed(self, parts: list[str]) -> set[str]:
        """The methods a path answers, the routes a newer enum code reaches (see `_find_past_enums`) included."""
        allowed: set[str] = set()
        _collect_methods(self.root, parts, 0, allowed, past_enums=True)
        return allowed


def _children(node: _Node[T], part: str, past_enums: bool = False) -> list[_Node[T]]:
    out: list[_Node[T]] = []
    lit = node.literals.get(part)
    if lit is None:
        lit = node.folded.get(part.casefold())
    if lit is not None:
        out.append(lit)
    out.extend(child for m, child in node.params if _takes(m, part, past_enums))
    return out


def _takes(matcher: Matcher, part: str, past_enums: bool) -> bool:
    if matcher.accepts(part):
        return True
    if not past_enums or matcher.key[0] != "enum":
        return False
    # ASP.NET binds an enum in any case (`succeeded`), and an API's enum may have grown past the docs'.
    folded = part.casefold()
    return any(code.casefold() == folded for code in matcher.values) or extends_enum(part, matcher.values)


def _find(node: _Node[T], parts: list[str], i: int, method: str) -> _Leaf[T] | None:
    if i == len(parts):
        return node.methods.get(method)
    part = parts[i]
    lit = node.literals.get(part)
    if lit is None:
        lit = node.folded.get(part.casefold())
    if lit is not None:
        found = _find(lit, parts, i + 1, method)
        if found is not None:
            return found
    for matcher, child in node.params:
        if matcher.accepts(part):
            found = _find(child, parts, i + 1, method)
            if found is not None:
                return found
    return None


def _find_past_enums(node: _Node[T], parts: list[str], i: int, method: str) -> _Leaf[T] | None:
    """`_find`, where an enum parameter also takes what looks like a newer code of it (see `extends_enum`)."""
    if i == len(parts):
        return node.methods.get(method)
    part = parts[i]
    lit = node.literals.get(part) or node.folded.get(part.casefold())
    if lit is not None:
        found = _find_past_enums(lit, parts, i + 1, method)
        if found is not None:
            return found
    for matcher, child in node.params:
        if _takes(matcher, part, True):
            found = _find_past_enums(child, parts, i + 1, method)
            if found is not None:
                return found
    return None


def _collect_methods(node: _Node[T], parts: list[str], i: int, out: set[str], past_enums: bool = False) -> None:
    if i == len(parts):
        out.update(node.methods)
        return
    for child in _children(node, parts[i], past_enums):
        _collect_methods(child, parts, i + 1, out, past_enums)


def _collect_mismatches(node: _Node[T], parts: list[str], i: int, out: list[tuple[str, str]]) -> None:
    """Walk as if every parameter accepted anything, and record the parameters that actually refused."""
    if i == len(parts):
        return
    part = parts[i]
    lit = node.literals.get(part) or node.folded.get(part.casefold())
    if lit is not None:
        _collect_mismatches(lit, parts, i + 1, out)
    for matcher, child in node.params:
        if matcher.accepts(part):
            _collect_mismatches(child, parts, i + 1, out)
        elif _reaches_leaf(child, len(parts) - i - 1):
            for leaf in _leaves_under(child, len(parts) - i - 1):
                seg = leaf.segments[i]
                name = seg.names[0] if seg.names else "?"
                out.append((name, f"{part!r} is not {matcher.description} "
                                  f"(for {leaf.route.method} {leaf.route.template})"))


def _reaches_leaf(node: _Node[T], depth: int) -> bool:
    return next(iter(_leaves_under(node, depth)), None) is not None


def _leaves_under(node: _Node[T], depth: int) -> Iterable[_Leaf[T]]:
    if depth == 0:
        yield from node.methods.values()
        return
    for child in node.literals.values():
        yield from _leaves_under(child, depth - 1)
    for _, child in node.params:
        yield from _leaves_under(child, depth - 1)


def _matchers_overlap(ma: Matcher, mb: Matcher) -> bool:
    if ma.key == mb.key:
        return True
    if ma.values and mb.values:
        return bool(ma.values & mb.values)
    if ma.values or mb.values:
        vals, other = (ma, mb) if ma.values else (mb, ma)
        return any(other.accepts(v) for v in vals.values)
    kinds = {ma.key[0], mb.key[0]}
    if kinds == {"integer", "number"} or kinds & {"string", "pattern", "mixed"}:
        return True
    return False  # integer vs boolean vs uuid/date formats: disjoint


def _edges(node: _Node[T]) -> list[tuple[str | None, Matcher | None, _Node[T]]]:
    return [(lit, None, child) for lit, child in node.literals.items()] + \
        [(None, m, child) for m, child in node.params]


def _edge_overlap(a: tuple[str | None, Matcher | None, _Node[T]],
                  b: tuple[str | None, Matcher | None, _Node[T]]) -> tuple[bool, str]:
    """Whether one segment can take both edges, and (for two parameters) how the tie is broken."""
    (la, ma, _), (lb, mb, _) = a, b
    if la is not None and lb is not None:
        return la == lb, ""
    if la is not None:
        return mb.accepts(la), ""  # type: ignore[union-attr]
    if lb is not None:
        return ma.accepts(lb), ""  # type: ignore[union-attr]
    assert ma is not None and mb is not None
    if not _matchers_overlap(ma, mb):
        return False, ""
    first, second = (ma, mb) if ma.rank <= mb.rank else (mb, ma)
    return True, f"{first.description} is tried before {second.description}"


_Pair = tuple["_Leaf[Any]", "_Leaf[Any]", tuple[str, ...]]


def _overlapping_pairs(root: _Node[T]) -> list[_Pair]:
    """Every pair of routes (any method) whose templates can match the same request path.

    Walks pairs of trie nodes that one path can reach together, so the cost follows the number of
    real overlaps rather than the square of the number of routes.
    """
    out: list[_Pair] = []

    def same(node: _Node[T]) -> None:
        leaves = list(node.methods.values())
        for i, la in enumerate(leaves):
            for lb in leaves[i + 1:]:
                if la.route.template != lb.route.template:
                    out.append((la, lb, ()))
        edges = _edges(node)
        for i, ea in enumerate(edges):
            same(ea[2])
            for eb in edges[i + 1:]:
                ok, note = _edge_overlap(ea, eb)
                if ok:
                    pair(ea[2], eb[2], (note,) if note else ())

    def pair(a: _Node[T], b: _Node[T], notes: tuple[str, ...]) -> None:
        for la in a.methods.values():
            for lb in b.methods.values():
                out.append((la, lb, notes))
        for ea in _edges(a):
            for eb in _edges(b):
                ok, note = _edge_overlap(ea, eb)
                if ok:
                    pair(ea[2], eb[2], (*notes, note) if note else notes)

    same(root)
    return out


def _find_overlaps(root: _Node[T]) -> tuple[list[Ambiguity], frozenset[str]]:
    """Same-method overlaps decided only by parameter type (reported), and every overlapping template."""
    reports: list[Ambiguity] = []
    templates: set[str] = set()
    for la, lb, notes in _overlapping_pairs(root):
        templates.update((la.route.template, lb.route.template))
        if la.route.method == lb.route.method and notes:
            reports.append(Ambiguity("shadowed", la.route.method, la.route.label, lb.route.label,
                                     "; ".join(dict.fromkeys(notes)), la.route.template, lb.route.template))
    return reports, frozenset(templates)
