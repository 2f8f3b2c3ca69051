"""Compiling JSON Schemas into trees of small generator closures that produce realistic, valid, seeded data."""
from __future__ import annotations

import base64
import functools
import math
import random
import re
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from .codegen import Source, dict_display, with_inline
from .coherence import COUNTRIES, finisher, normalise
from .pools import Pools, pools_for
from .regexgen import compile_regex
from .spec import ref_name, resolve_pointer
from .vocabulary import sample_vocabulary

Gen = Callable[[random.Random, int], Any]

MAX_DEPTH = 4
NULL_CHANCE = 0.1
# A fixed "now" keeps dates recent-looking yet identical across days, restarts and machines.
ANCHOR = 1_735_689_600  # 2025-01-01T00:00:00Z
_YEAR = 365 * 86400
_OFFSETS = tuple(timezone(timedelta(hours=h)) for h in (0, 1, 2, -5))
_INT_FORMAT_BOUNDS = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1),
                      "uint32": (0, 2**32 - 1), "uint64": (0, 2**64 - 1), "int16": (-(2**15), 2**15 - 1),
                      "int8": (-128, 127), "uint8": (0, 255)}
_DEFAULT_INT = (0, 1000)
_DEFAULT_NUMBER = (0.0, 1000.0)

# Field-name hints, matched on the lower-cased name with "_" and "-" removed: exact names first, then suffixes.
_STRING_BY_NAME: dict[str, str] = {
    "name": "phrase_or_company", "fullname": "full_name", "firstname": "first_name", "lastname": "last_name",
    "middlename": "first_name", "surname": "last_name", "givenname": "first_name", "associatename": "username",
    "email": "email", "emailaddress": "email", "mail": "email", "phone": "phone", "phonenumber": "phone",
    "mobile": "phone", "mobilephone": "phone", "fax": "phone", "description": "sentence", "summary": "sentence",
    "text": "sentence", "comment": "sentence", "note": "sentence", "notes": "sentence", "title": "job",
    "jobtitle": "job", "city": "city", "country": "country", "countryname": "country", "countrycode": "country_code",
    "address": "street", "street": "street", "address1": "street", "zipcode": "zipcode", "zip": "zipcode",
    "postcode": "zipcode", "postalcode": "zipcode", "url": "url", "website": "url", "homepage": "url",
    "username": "username", "login": "username", "userid": "username", "filename": "filename",
    "company": "company", "companyname": "company", "orgname": "company", "organization": "company",
    "contactname": "company", "department": "department", "currency": "currency", "currencycode": "currency",
    "culture": "culture", "language": "culture", "locale": "culture", "color": "color", "colour": "color",
    "initials": "initials", "context": "word", "result": "word", "request": "word", "response": "word",
    "progressdescription": "phrase", "tooltip": "sentence", "heading": "phrase", "subject": "phrase",
    "mrmrs": "salutation", "salutation": "salutation", "twoletterisocountry": "country_code",
    "threeletterisocountry": "country_code3", "orgnr": "digits", "personnumber": "digits", "number": "digits",
    "dialinprefix": "dial_prefix", "interareaprefix": "international_prefix", "zipprefix": "country_code",
    "formatted": "street", "formattedaddress": "street", "domainname": "hostname",
}
_STRING_BY_SUFFIX: tuple[tuple[str, str], ...] = (
    ("email", "email"), ("emailaddress", "email"), ("phone", "phone"), ("fax", "phone"), ("description", "sentence"),
    ("fullname", "full_name"), ("firstname", "first_name"), ("lastname", "last_name"), ("url", "url"),
    ("uri", "url"), ("filename", "filename"), ("city", "city"), ("country", "country"), ("address", "street"),
    ("companyname", "company"), ("username", "username"), ("text", "sentence"), ("comment", "sentence"),
    ("title", "phrase"), ("name", "phrase_or_company"), ("department", "department"),
)
_INT_BY_NAME: dict[str, tuple[int, int]] = {
    "progresspercent": (0, 100), "percent": (0, 100), "percentage": (0, 100), "probability": (0, 100),
    "age": (18, 90), "year": (1995, 2030), "month": (1, 12), "day": (1, 28), "hour": (0, 23),
    "minute": (0, 59), "second": (0, 59), "rank": (1, 100), "priority": (1, 5), "rating": (1, 5),
    "mask": (0, 255), "version": (1, 20), "page": (1, 50), "size": (1, 100), "length": (1, 255),
}
_INT_BY_SUFFIX: tuple[tuple[str, tuple[int, int]], ...] = (
    ("percent", (0, 100)), ("id", (1, 99_999)), ("count", (0, 500)), ("number", (1, 99_999)),
    ("length", (1, 255)), ("no", (1, 99_999)), ("table", (1, 500)), ("record", (1, 99_999)),
)
_NUMBER_BY_SUFFIX: tuple[tuple[str, tuple[float, float]], ...] = (
    ("latitude", (-90.0, 90.0)), ("longitude", (-180.0, 180.0)), ("percent", (0.0, 100.0)), ("amount", (10.0, 10_000.0)), ("price", (1.0, 2_000.0)),
    ("cost", (1.0, 5_000.0)), ("rate", (0.0, 1.0)), ("probability", (0.0, 100.0)),
)
# The keywords DataFactory compiles into subschema generators (`check` walks the same ones).
_SUBSCHEMA_KEYS = ("items", "additionalProperties")
_SUBSCHEMA_LIST_KEYS = ("allOf", "anyOf", "oneOf", "prefixItems")
_FUTURE_HINTS = ("expir", "deadline", "due", "end", "until", "scheduled", "next")


# Codes and words Faker has no pool for; the countries' rows keep names and codes of one country together.
_FIXED_POOLS: dict[str, tuple[str, ...]] = {
    "salutation": ("Mr", "Mrs", "Ms", "Dr"),
    "country_code3": tuple(row[2] for row in COUNTRIES),
    "dial_prefix": tuple(row[3] for row in COUNTRIES),
    "international_prefix": ("00", "011"),
    "department": ("Sales", "Marketing", "Support", "Finance", "Engineering", "Operations", "Human Resources",
                   "Purchasing", "Legal", "Customer Success"),
}


def _by_name(name: str, exact: Mapping[str, Any], suffixes: tuple[tuple[str, Any], ...]) -> Any:
    key = normalise(name)
    if key in exact:
        return exact[key]
    for suffix, value in suffixes:
        if key.endswith(suffix):
            return value
    return None


def _string_kind(p: Pools, kind: str) -> Callable[[random.Random], str]:
    """One pick function per kind; a table of closures so the per-value cost is one rng call."""
    simple = {
        "full_name": p.full_names, "first_name": p.first_names, "last_name": p.last_names, "email": p.emails,
        "phone": p.phones, "sentence": p.sentences, "phrase": p.phrases, "job": p.jobs, "city": p.cities,
        "country": p.countries, "country_code": p.country_codes, "street": p.streets, "zipcode": p.zipcodes,
        "url": p.urls, "username": p.usernames, "filename": p.filenames, "company": p.companies,
        "word": p.words, "currency": p.currencies, "culture": p.cultures, "color": p.colors,
        "hostname": p.domains,
    }
    if kind in simple:
        return _pool_pick(simple[kind])
    if kind in _FIXED_POOLS:
        return _pool_pick(_FIXED_POOLS[kind])
    if kind == "digits":
        return lambda r: str(100_000_000 + int(r.random() * 900_000_000))
    if kind == "phrase_or_company":
        return _pool_pick(p.phrases + p.companies)
    if kind == "initials":
        return lambda r: p.first_names[int(r.random() * len(p.first_names))][0] + \
            p.last_names[int(r.random() * len(p.last_names))][0]
    raise KeyError(kind)


def _pool_pick(pool: tuple[str, ...]) -> Callable[[random.Random], str]:
    n = len(pool)
    pick = lambda r: pool[int(r.random() * n)]  # noqa: E731
    pick.inline = lambda src, k: f"{src.bind(pool)}[int(rnd() * {n})]"  # type: ignore[attr-defined]
    return pick


def _picked(pick: Callable[[random.Random], Any]) -> Gen:
    """The generator of one `pick(r)`, inline in compiled objects."""
    inline = getattr(pick, "inline", None) or (lambda src, k: f"{src.bind(pick)}(r)")
    return with_inline(lambda r, d: pick(r), inline)


def _constant(value: Any) -> Gen:
    return with_inline(lambda r, d: value, lambda src, k: src.bind(value))


_NONE: Gen = _constant(None)


# Dates and date-times are picked from pools drawn once (the same on every machine): formatting one costs more
# than drawing every other value of a record together.
_DATE_POOL_SIZE = 4096


@functools.cache
def _moments(future: bool) -> tuple[str, ...]:
    """ISO date-times within a year after ANCHOR (future) or two years before it, in a few UTC offsets."""
    r = random.Random(f"docmock-moments-{future}")
    out = []
    for _ in range(_DATE_POOL_SIZE):
        delta = int(r.random() * 2 * _YEAR)
        ts = ANCHOR + delta // 2 if future else ANCHOR - delta
        out.append(datetime.fromtimestamp(ts, _OFFSETS[int(r.random() * len(_OFFSETS))]).isoformat())
    return tuple(out)


def _datetime_gen(future: bool) -> Callable[[random.Random], str]:
    return _pool_pick(_moments(future))


@functools.cache
def _days(future: bool) -> tuple[str, ...]:
    return tuple(moment[:10] for moment in _moments(future))


def _date_gen(future: bool) -> Callable[[random.Random], str]:
    return _pool_pick(_days(future))


@functools.cache
def _birthdays(with_time: bool) -> tuple[str, ...]:
    """Birth dates of working-age adults: 20 to 75 years before ANCHOR (a date-time at midnight UTC)."""
    r = random.Random("docmock-birthdays")
    out = []
    for _ in range(_DATE_POOL_SIZE):
        day = datetime.fromtimestamp(ANCHOR - int((20 + r.random() * 55) * _YEAR), timezone.utc).date()
        out.append(f"{day.isoformat()}T00:00:00+00:00" if with_time else day.isoformat())
    return tuple(out)


def _format_gens(p: Pools) -> dict[str, Callable[[random.Random], str]]:
    return {
        "email": _string_kind(p, "email"), "idn-email": _string_kind(p, "email"),
        "uri": _string_kind(p, "url"), "url": _string_kind(p, "url"), "iri": _string_kind(p, "url"),
        "uri-reference": _string_kind(p, "url"), "iri-reference": _string_kind(p, "url"),
        "hostname": _string_kind(p, "hostname"), "idn-hostname": _string_kind(p, "hostname"),
        "uuid": lambda r: str(uuid.UUID(int=r.getrandbits(128), version=4)),
        "ipv4": lambda r: f"10.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}",
        "ipv6": lambda r: "fd00::" + ":".join(f"{r.getrandbits(16):x}" for _ in range(3)),
        "byte": lambda r: base64.b64encode(r.randbytes(12)).decode(),
        "binary": lambda r: base64.b64encode(r.randbytes(12)).decode(),
        "time": lambda r: f"{r.randint(7, 18):02d}:{r.choice((0, 15, 30, 45)):02d}:00Z",
        "duration": lambda r: f"P{r.randint(1, 30)}D",
        "password": lambda r: _string_kind(p, "word")(r) + str(r.randint(100, 999)) + "!",
        "phone": _string_kind(p, "phone"),
    }


class DataFactory:
    """Compiles schemas of one document into generators, once each, and caches them by schema identity."""

    def __init__(self, doc: Mapping[str, Any], seed: int = 0) -> None:
        self.doc = doc
        self.pools = pools_for(seed)
        self.seed = seed
        self._formats = _format_gens(self.pools)
        self._cache: dict[tuple[int, str], tuple[Any, Gen]] = {}
        self._refs: dict[tuple[str, str], Gen] = {}
        self._kinds: dict[str, Callable[[random.Random], str]] = {}
        self._checked_refs: set[str] = set()
        self.variants: dict[tuple[str, str], Variants] = {}  # the nested carriers' variants, by ($ref, name)
        # The ids of the variants' values: they live as long as the factory, and nobody may change them.
        self.shared: set[int] = set()
        self._vocabulary: dict[int, tuple[str, ...]] | None = None

    def vocabulary(self, schema: Mapping[str, Any]) -> tuple[str, ...]:
        """The identifier-like values the document's examples give this plain string schema (see vocabulary)."""
        if self._vocabulary is None:  # on the first string compiled: a spec served without examples pays nothing
            self._vocabulary = sample_vocabulary(self.doc)
        return self._vocabulary.get(id(schema), ())

    def generator(self, schema: Any, name: str = "") -> Gen:
        """The generator for `schema`; `name` is the property name that hints at realistic values."""
        if schema is True or schema is None:
            schema = {}
        if schema is False:
            return _NONE
        key = (id(schema), name)
        hit = self._cache.get(key)
        if hit is not None:
            return hit[1]
        gen = self._compile(schema, name)
        self._cache[key] = (schema, gen)  # holding the schema keeps its id() from being reused
        return gen

    def generate(self, schema: Any, r: random.Random) -> Any:
        return self.generator(schema)(r, 0)

    def check(self, schema: Any) -> None:
        """Raise the SpecError that compiling `schema` would raise (a dangling or external $ref), without
        compiling it: the server compiles generators on an operation's first request, but a broken spec must
        still fail at start-up. Walks the keywords the compiler follows, each $ref target once; it may also meet a
        $ref the compiler skips (past a `const` or `enum`, deep in a oneOf branch after the first)."""
        stack = [schema]
        while stack:
            s = stack.pop()
            if not (type(s) is dict or isinstance(s, Mapping)):  # the exact type first: the ABC check is slow
                continue
            ref = s.get("$ref")
            if isinstance(ref, str):
                if ref not in self._checked_refs:
                    self._checked_refs.add(ref)
                    stack.append(resolve_pointer(self.doc, ref))
                if len(s) == 1:
                    continue  # a bare $ref, as most response schemas are: nothing else to walk
            for key in _SUBSCHEMA_KEYS:
                sub = s.get(key)
                if sub is not None:
                    stack.append(sub)
            for key in _SUBSCHEMA_LIST_KEYS:
                if isinstance(s.get(key), list):
                    stack.extend(s[key])
            if isinstance(s.get("properties"), Mapping):
                stack.extend(s["properties"].values())

    # -- compiling -------------------------------------------------------------------------------

    def _compile(self, schema: Mapping[str, Any], name: str) -> Gen:
        if not isinstance(schema, Mapping):
            return _NONE
        if "$ref" in schema and isinstance(schema["$ref"], str):
            siblings = {k: v for k, v in schema.items() if k not in _REF_ANNOTATIONS}
            if not siblings:
                return self._ref(schema["$ref"], name)
            return self._compile({"allOf": [{"$ref": schema["$ref"]}, siblings]}, name)
        if "const" in schema:
            return _constant(schema["const"])
        if isinstance(schema.get("enum"), list) and schema["enum"]:
            values = tuple(schema["enum"])
            return _picked(_pool_pick(tuple(v for v in values if v is not None) or values))
        if isinstance(schema.get("allOf"), list) and schema["allOf"]:
            return self._compile(self._merge_all_of(schema), name)
        for key in ("oneOf", "anyOf"):
            if isinstance(schema.get(key), list) and schema[key]:
                return self._choice(schema, key, name)
        types = schema.get("type")
        if isinstance(types, list):
            concrete = [t for t in types if t != "null"]
            if not concrete:
                return _NONE
            inner = self._compile({**schema, "type": concrete[0]}, name)
            if "null" in types:
                return _maybe_null(inner)
            return inner
        if types is None:
            types = _infer_type(schema)
        builder = _BUILDERS.get(types)
        if builder is None:
            return _NONE
        return builder(self, schema, name)

    def _ref(self, ref: str, name: str) -> Gen:
        key = (ref, name)
        gen = self._refs.get(key)
        if gen is not None:
            return gen
        holder: list[Gen] = []
        # A trampoline stands in while the target compiles, so recursive schemas terminate.
        self._refs[key] = lambda r, d: holder[0](r, d)
        target = resolve_pointer(self.doc, ref)
        variants = None
        if isinstance(target, Mapping) and isinstance(target.get("properties"), Mapping) and len(target["properties"]) > 1:
            # Known before the target compiles, so that an array of it finds it whatever was compiled first.
            variants = self.variants[key] = Variants(f"{self.seed}|{ref}|{name}", self.shared)
        compiled = self.generator(target, name)
        if variants is not None:
            variants.gen = compiled
            compiled = variants.pick
        holder.append(compiled)
        self._refs[key] = compiled
        return compiled

    def _resolve(self, schema: Any) -> Any:
        seen = 0
        while isinstance(schema, Mapping) and isinstance(schema.get("$ref"), str) and seen < 50:
            extra = {k: v for k, v in schema.items() if k != "$ref"}
            schema = resolve_pointer(self.doc, schema["$ref"])
            if extra:
                schema = {**schema, **extra}
            seen += 1
        return schema

    def _merge_all_of(self, schema: Mapping[str, Any]) -> dict[str, Any]:
        merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
        for sub in schema["allOf"]:
            sub = self._resolve(sub)
            if not isinstance(sub, Mapping):
                continue
            if "allOf" in sub:
                sub = self._merge_all_of(sub)
            for k, v in sub.items():
                if k == "properties" and isinstance(v, Mapping):
                    merged["properties"] = {**merged.get("properties", {}), **v}
                elif k == "required" and isinstance(v, list):
                    merged["required"] = list(dict.fromkeys([*merged.get("required", []), *v]))
                elif k in ("minimum", "minLength", "minItems", "minProperties", "exclusiveMinimum") and k in merged:
                    merged[k] = max(merged[k], v)
                elif k in ("maximum", "maxLength", "maxItems", "maxProperties", "exclusiveMaximum") and k in merged:
                    merged[k] = min(merged[k], v)
                elif k == "type" and "type" in merged:
                    a = merged["type"] if isinstance(merged["type"], list) else [merged["type"]]
                    b = v if isinstance(v, list) else [v]
                    both = [t for t in a if t in b] or ([ "integer"] if "integer" in a + b else a)
                    merged["type"] = both if len(both) > 1 else both[0]
                else:
                    merged.setdefault(k, v)
        return merged

    def _choice(self, schema: Mapping[str, Any], key: str, name: str) -> Gen:
        base = {k: v for k, v in schema.items() if k not in (key, "discriminator")}
        branches = [b for b in schema[key] if isinstance(b, Mapping)]
        nullable = any(_is_null_schema(self._resolve(b)) for b in branches)
        concrete = [b for b in branches if not _is_null_schema(self._resolve(b))]
        if not concrete:
            return _NONE
        # oneOf must match exactly one branch, so always take the first; anyOf may vary.
        chosen = concrete[:1] if key == "oneOf" else concrete
        gens = tuple(self.generator({"allOf": [b, base]} if _has_constraints(base) else b, name) for b in chosen)
        if len(gens) == 1:
            gen = gens[0]
        else:
            gen = lambda r, d: gens[int(r.random() * len(gens))](r, d)  # noqa: E731
        return _maybe_null(gen) if nullable else gen

    def kind_gen(self, kind: str) -> Gen:
        return _picked(self.kind(kind))

    def kind(self, kind: str) -> Callable[[random.Random], str]:
        fn = self._kinds.get(kind)
        if fn is None:
            fn = self._kinds[kind] = _string_kind(self.pools, kind)
        return fn


# A carrier nested in a record (an address, a TableRight, a FieldProperty) is picked from this many values
# drawn once, per depth, from a generator seeded by its $ref: a record costs a draw per carrier instead of a
# draw per value. Enough that records differ; few enough that the full reference's 325 pools of variants take
# about 8 MB. An array of them takes items in a row of one of RUNS shuffled orders, so it shows none twice.
VARIANTS = 32
RUNS = 4


class Variants:
    """One carrier's values for where it is nested: VARIANTS values per depth, drawn once from a generator seeded
    by the carrier's $ref. At the top of an answer (depth 0) the carrier is drawn afresh."""

    def __init__(self, label: str, shared: set[int]) -> None:
        self.label = label
        self.shared = shared  # the ids of every variant, for writers that remember what they wrote of one
        self.gen: Gen = _NONE  # the carrier's own generator, set once it is compiled
        self.by_depth: dict[int, tuple[Any, ...]] = {}
        self.runs: dict[int, tuple[tuple[Any, ...], ...]] = {}  # per depth: RUNS orders of the variants, twice over
        by_depth, at, gen_of = self.by_depth, self.at, self

        def pick(r: random.Random, d: int) -> Any:
            if d == 0:
                return gen_of.gen(r, 0)
            return (by_depth.get(d) or at(d))[int(r.random() * VARIANTS)]
        self.pick: Gen = with_inline(pick, self._inline)

    def at(self, depth: int) -> tuple[Any, ...]:
        """The variants at `depth` (the same below MAX_DEPTH, where only required properties are drawn)."""
        level = min(depth, MAX_DEPTH)
        values = self.by_depth.get(level)
        if values is None:
            r = random.Random(f"{self.label}|{level}")
            values = self.by_depth[level] = tuple(self.gen(r, level) for _ in range(VARIANTS))
            self.shared.update(map(id, values))
            orders = []
            for _ in range(RUNS):
                order = list(values)
                r.shuffle(order)
                orders.append(tuple(order + order))
            self.runs[level] = tuple(orders)
        self.by_depth[depth] = values
        self.runs[depth] = self.runs[level]
        return values

    def _inline(self, src: Source, k: int) -> str:
        dk = src.depth(k)  # d + k >= 1: nested
        return f"({src.bind(self.by_depth)}.get({dk}) or {src.bind(self.at)}({dk}))[int(rnd() * {VARIANTS})]"

    def distinct(self, r: random.Random, d: int, n: int) -> list[Any]:
        """n different variants for an array's items at depth d: n in a row of one of RUNS orders of them."""
        if n > VARIANTS:
            return [self.gen(r, d) for _ in range(n)]
        runs = self.runs.get(d)
        if runs is None:
            self.at(d)
            runs = self.runs[d]
        start = int(r.random() * VARIANTS)
        return list(runs[int(r.random() * RUNS)][start:start + n])

    def fresh(self, r: random.Random, d: int) -> Any:
        return self.gen(r, d)


# What may stand beside a $ref without changing what it generates.
_REF_ANNOTATIONS = frozenset({"$ref", "description", "title", "examples", "example", "default"})


def _is_bare_ref(schema: Any) -> bool:
    """`{"$ref": ...}` with nothing beside it that changes what it generates (what `_compile` sends to `_ref`)."""
    return isinstance(schema, Mapping) and isinstance(schema.get("$ref"), str) and _REF_ANNOTATIONS.issuperset(schema)


def _is_null_schema(s: Any) -> bool:
    return isinstance(s, Mapping) and (s.get("type") == "null" or s.get("type") == ["null"])


def _has_constraints(base: Mapping[str, Any]) -> bool:
    return any(k not in ("description", "title", "examples", "example", "default", "nullable", "xml",
                         "deprecated", "readOnly", "writeOnly", "externalDocs") for k in base)


def _infer_type(schema: Mapping[str, Any]) -> str:
    if any(k in schema for k in ("properties", "additionalProperties", "required", "minProperties",
                                 "patternProperties")):
        return "object"
    if any(k in schema for k in ("items", "prefixItems", "minItems", "maxItems")):
        return "array"
    if any(k in schema for k in ("minimum", "maximum", "multipleOf", "exclusiveMinimum", "exclusiveMaximum")):
        return "number"
    return "string"


def _maybe_null(gen: Gen) -> Gen:
    def nullable(r: random.Random, d: int) -> Any:
        if d >= MAX_DEPTH or r.random() < NULL_CHANCE:
            return None
        return gen(r, d)
    return with_inline(nullable, lambda src, k: f"(None if {src.depth(k)} >= {MAX_DEPTH} or rnd() < {NULL_CHANCE!r} "
                                                f"else {src.expr(gen, k)})", getattr(gen, "inline_size", 0))


def _build_string(f: DataFactory, schema: Mapping[str, Any], name: str) -> Gen:
    fmt = schema.get("format")
    pick: Callable[[random.Random], str] | None = None
    if isinstance(schema.get("pattern"), str):
        pick = compile_regex(schema["pattern"])
        if pick is None:
            fallback = next((e for e in schema.get("examples") or () if isinstance(e, str)), None)
            fallback = fallback if fallback is not None else schema.get("default")
            if isinstance(fallback, str):
                return _constant(fallback)
    if pick is None and fmt in ("date-time", "date") and "birth" in normalise(name):
        pick = _pool_pick(_birthdays(fmt == "date-time"))
    if pick is None and fmt in ("date-time", "date"):
        future = any(h in normalise(name) for h in _FUTURE_HINTS)
        pick = (_datetime_gen if fmt == "date-time" else _date_gen)(future)
    if pick is None and isinstance(fmt, str) and fmt in f._formats:
        pick = f._formats[fmt]
    if pick is None:
        kind = _by_name(name, _STRING_BY_NAME, _STRING_BY_SUFFIX) if name else None
        # A property the name says nothing about (Type, Status, FieldType) takes the values the docs' samples
        # show for it: they are the codes a client switches on, where a random word is none of them.
        vocabulary = f.vocabulary(schema) if kind is None else ()
        pick = _pool_pick(vocabulary) if vocabulary else f.kind(kind or "word")
    lo = schema.get("minLength")
    hi = schema.get("maxLength")
    if not isinstance(lo, int) and not isinstance(hi, int):
        return _picked(pick)
    lo = lo if isinstance(lo, int) else 0
    hi = hi if isinstance(hi, int) else None
    filler = f.pools.words

    def sized(r: random.Random, d: int) -> str:
        s = pick(r)
        while len(s) < lo:
            s += " " + filler[int(r.random() * len(filler))] if s else filler[int(r.random() * len(filler))]
        if hi is not None and len(s) > hi:
            s = s[:hi].rstrip() if len(s[:hi].rstrip()) >= lo else s[:hi]
        return s
    return sized


def _int_bounds(schema: Mapping[str, Any]) -> tuple[int, int]:
    low, high = _INT_FORMAT_BOUNDS.get(str(schema.get("format")), (-(2**63), 2**63 - 1))
    if isinstance(schema.get("minimum"), (int, float)):
        low = max(low, math.ceil(schema["minimum"]))
    if isinstance(schema.get("maximum"), (int, float)):
        high = min(high, math.floor(schema["maximum"]))
    ex_lo, ex_hi = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
    if isinstance(ex_lo, (int, float)) and not isinstance(ex_lo, bool):
        low = max(low, math.floor(ex_lo) + 1)
    if isinstance(ex_hi, (int, float)) and not isinstance(ex_hi, bool):
        high = min(high, math.ceil(ex_hi) - 1)
    return low, high


def _build_integer(f: DataFactory, schema: Mapping[str, Any], name: str) -> Gen:
    low, high = _int_bounds(schema)
    hint = _by_name(name, _INT_BY_NAME, _INT_BY_SUFFIX) if name else None
    want_lo, want_hi = hint or _DEFAULT_INT
    lo, hi = max(low, want_lo), min(high, want_hi)
    if lo > hi:  # the hint does not fit the schema's bounds: stay near whichever bound it missed
        lo, hi = (max(low, high - 1000), high) if want_lo > high else (low, min(high, low + 1000))
    step = schema.get("multipleOf")
    if isinstance(step, int) and step > 0:
        first, last = -(-lo // step), hi // step
        if first > last:
            first = last = -(-low // step)
        draw = _uniform_int(first, last)
        return with_inline(lambda r, d: step * draw(r, d), lambda src, k: f"({step} * {src.expr(draw, k)})")
    return _uniform_int(lo, hi)


# Below this many values an integer is lo + int(random() * span): a third of randint's cost, and uniform to
# within span / 2**53, nothing for the ids, counts and percentages a mock draws. Wider spans keep randint.
_FAST_SPAN = 2**32


def _uniform_int(lo: int, hi: int) -> Gen:
    """A uniform integer in [lo, hi], inline in compiled objects and arrays."""
    span = hi - lo + 1
    if span > _FAST_SPAN:
        return with_inline(lambda r, d: r.randint(lo, hi), lambda src, k: f"ri({lo}, {hi})")
    return with_inline(lambda r, d: lo + int(r.random() * span), lambda src, k: f"({lo} + int(rnd() * {span}))")


def _build_number(f: DataFactory, schema: Mapping[str, Any], name: str) -> Gen:
    low, high = -1e15, 1e15
    if isinstance(schema.get("minimum"), (int, float)):
        low = max(low, float(schema["minimum"]))
    if isinstance(schema.get("maximum"), (int, float)):
        high = min(high, float(schema["maximum"]))
    ex_lo, ex_hi = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
    if isinstance(ex_lo, (int, float)) and not isinstance(ex_lo, bool):
        low = max(low, float(ex_lo) + 0.01)
    if isinstance(ex_hi, (int, float)) and not isinstance(ex_hi, bool):
        high = min(high, float(ex_hi) - 0.01)
    hint = _by_name(name, {}, _NUMBER_BY_SUFFIX) if name else None
    want_lo, want_hi = hint or _DEFAULT_NUMBER
    lo, hi = max(low, want_lo), min(high, want_hi)
    if lo > hi:
        lo, hi = (max(low, high - 1000.0), high) if want_lo > high else (low, min(high, low + 1000.0))
    step = schema.get("multipleOf")
    if isinstance(step, (int, float)) and step > 0:
        first, last = math.ceil(lo / step), math.floor(hi / step)
        if first > last:
            return lambda r, d: lo
        return lambda r, d: round(step * r.randint(first, last), 10) if isinstance(step, float) else step * r.randint(first, last)

    def number(r: random.Random, d: int) -> float:
        v = round(lo + r.random() * (hi - lo), 2)
        return min(max(v, lo), hi)
    return number


_BOOLEAN: Gen = with_inline(lambda r, d: r.random() < 0.5, lambda src, k: "(rnd() < 0.5)")


def _build_boolean(f: DataFactory, schema: Mapping[str, Any], name: str) -> Gen:
    return _BOOLEAN


def _build_null(f: DataFactory, schema: Mapping[str, Any], name: str) -> Gen:
    return _NONE


def _build_array(f: DataFactory, schema: Mapping[str, Any], name: str) -> Gen:
    items = schema.get("items", {})
    item_name = name[:-1] if name.endswith("s") else name
    item = f.generator(items, item_name)
    # Carriers in an array nested in a record are different variants (no item twice); the rows of a list that is
    # the whole answer (depth 0) are drawn afresh, so that lists do not share a small set of rows.
    variants = f.variants.get((items["$ref"], item_name)) if _is_bare_ref(items) else None
    if variants is not None:
        item = variants.fresh
    prefix = tuple(f.generator(s, item_name) for s in schema.get("prefixItems") or ())
    lo = schema.get("minItems", 0) if isinstance(schema.get("minItems"), int) else 0
    hi = schema.get("maxItems") if isinstance(schema.get("maxItems"), int) else None
    want_lo, want_hi = max(lo, len(prefix), 1), max(lo, len(prefix), 3)
    if hi is not None:
        want_lo, want_hi = min(want_lo, hi), min(want_hi, hi)
    unique = bool(schema.get("uniqueItems"))
    if items is False:
        want_hi = want_lo = min(len(prefix), want_hi)
    count = _uniform_int(want_lo, want_hi)
    if not prefix and not unique:
        # `range(...)` is evaluated before the first item: the count is drawn first, as below.
        def size(src: Source, k: int) -> str:
            return f"{lo} if {src.depth(k)} >= {MAX_DEPTH} else {src.expr(count, k)}"

        def fresh(src: Source, k: int) -> str:
            return f"[{src.expr(item, k + 1)} for _ in range({size(src, k)})]"
        if variants is None:
            return _compiled("array", fresh)
        distinct = variants.distinct

        def nested(src: Source, k: int) -> str:
            return f"{src.bind(distinct)}(r, {src.depth(k + 1)}, {size(src, k)})"
        src = Source()
        text = f"{nested(src, 0)} if d else {fresh(src, 0)}"
        return with_inline(src.compile("array", [f"    return {text}"]), nested, len(text))

    def array(r: random.Random, d: int) -> list[Any]:
        d1 = d + 1
        n = lo if d >= MAX_DEPTH else count(r, 0)
        out = [g(r, d1) for g in prefix[:n]]
        if not unique:
            out.extend(item(r, d1) for _ in range(n - len(out)))
            return out
        seen = {repr(v) for v in out}
        for _ in range(n * 8):
            if len(out) >= n:
                break
            v = item(r, d1)
            if repr(v) not in seen:
                seen.add(repr(v))
                out.append(v)
        return out
    return array


def _build_object(f: DataFactory, schema: Mapping[str, Any], name: str) -> Gen:
    """The object's generator; where its values must agree with each other (see coherence), each object drawn
    is finished by the shape's finisher, in the closure and in the compiled text alike."""
    gen = _build_fields(f, schema, name)
    props = schema.get("properties") if isinstance(schema.get("properties"), Mapping) else {}
    finish = finisher(name, props, f.pools, f.kind, f._resolve) if props else None
    if finish is None:
        return gen

    def finished(r: random.Random, d: int) -> Any:
        return finish(gen(r, d), r)
    return with_inline(finished, lambda src, k: f"{src.bind(finish)}({src.expr(gen, k)}, r)",
                       getattr(gen, "inline_size", 0))


def _build_fields(f: DataFactory, schema: Mapping[str, Any], name: str) -> Gen:
    props = schema.get("properties") if isinstance(schema.get("properties"), Mapping) else {}
    listed = schema.get("required")
    required = dict.fromkeys(k for k in listed if isinstance(k, str)) if isinstance(listed, list) else {}
    fields = tuple((key, f.generator(sub, key), key in required) for key, sub in props.items())
    required_only = tuple(x for x in fields if x[2])
    # Required names without a declared property still need a value (in the order the schema lists them).
    extra_required = tuple(k for k in required if k not in props)
    addl = schema.get("additionalProperties", True if not props else None)
    min_props = schema.get("minProperties", 0) if isinstance(schema.get("minProperties"), int) else 0
    max_props = schema.get("maxProperties") if isinstance(schema.get("maxProperties"), int) else None
    addl_gen: Gen | None = None
    addl_count = 0
    if isinstance(addl, Mapping):
        addl_gen, addl_count = f.generator(addl, ""), 1
    elif addl is True:
        addl_gen, addl_count = f.kind_gen("word"), 2
    if addl_gen is not None:
        addl_count = max(addl_count, min_props - len(fields))
    if max_props is not None:
        addl_count = max(0, min(addl_count, max_props - len(fields)))
    # One function per object: its fields' values drawn in a dict display, the optional ones left out below the
    # depth limit, then the required names without a declared property, then the additional properties.
    all_fields = tuple((key, gen) for key, gen, _ in fields)
    required_fields = tuple((key, gen) for key, gen, _ in required_only)

    def display(src: Source, k: int) -> str:
        if len(required_fields) == len(all_fields):
            return dict_display(src, all_fields, k + 1)
        return (f"({dict_display(src, required_fields, k + 1)} if {src.depth(k)} >= {MAX_DEPTH} "
                f"else {dict_display(src, all_fields, k + 1)})")
    if not extra_required and not (addl_gen is not None and addl_count):
        return _compiled("obj", display)
    src = Source()
    body = [f"    out = {display(src, 0)}"]
    if extra_required:
        any_gen = f.kind_gen("word")
        body += [f"    for key in {src.bind(extra_required)}:", f"        out[key] = {src.expr(any_gen, 1)}"]
    if addl_gen is not None and addl_count:
        words, declared = f.pools.words, src.bind(frozenset(props))
        body += [f"    if d < {MAX_DEPTH}:",
                 f"        for i in range({addl_count}):",
                 f"            key = {src.bind(words)}[int(rnd() * {len(words)})]",
                 f"            if key in out or key in {declared}:",
                 f"                key = {src.bind(name or 'field')} + str(i + 1)",
                 f"            out[key] = {src.expr(addl_gen, 1)}"]
    return src.compile("obj", [*body, "    return out"])


def _compiled(name: str, inline: Callable[[Source, int], str]) -> Gen:
    """The function `def name(r, d): return <inline at depth d>`, carrying `inline` for its parents."""
    src = Source()
    text = inline(src, 0)
    return with_inline(src.compile(name, [f"    return {text}"]), inline, len(text))


_BUILDERS: dict[str, Callable[[DataFactory, Mapping[str, Any], str], Gen]] = {
    "string": _build_string, "integer": _build_integer, "number": _build_number, "boolean": _build_boolean,
    "null": _build_null, "array": _build_array, "object": _build_object,
}


def schema_display_name(doc: Mapping[str, Any], schema: Any) -> str | None:
    """The carrier name of a schema (`BatchTaskInfo` for a $ref to it), used as an XML element name."""
    if isinstance(schema, Mapping):
        if isinstance(schema.get("$ref"), str):
            return ref_name(schema["$ref"])
        if isinstance(schema.get("title"), str) and re.fullmatch(r"[A-Za-z_][\w.-]*", schema["title"]):
            return schema["title"]
    return None
