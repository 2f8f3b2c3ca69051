"""Checking a request's path, query, header and body values against the operation, with validators compiled once."""
from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from .identity import ByIdentity
from .negotiation import media_key, structured_kind
from .problems import Violation
from .errors import SpecError
from .spec import OperationSpec, Parameter, RefFollower, declared_type, in_any_case
from .vocabulary import extends_enum
from .xmlcodec import XmlBodyError, XmlWriter, coerce_scalar, parse_xml

SPEC_URI = "urn:docmock:spec"
_INT = re.compile(r"[+-]?\d+\Z")
# Headers OpenAPI says to ignore as parameters: content negotiation and auth are handled elsewhere.
_IGNORED_HEADERS = frozenset({"accept", "content-type", "authorization"})
_TRIVIAL_KEYS = frozenset({"type", "description", "title", "examples", "example", "default", "deprecated",
                           "readOnly", "writeOnly", "xml", "externalDocs", "$comment"})

FORMAT_CHECKER = FormatChecker()


@FORMAT_CHECKER.checks("int32")
def _int32(value: object) -> bool:
    return not isinstance(value, int) or isinstance(value, bool) or -(2**31) <= value <= 2**31 - 1


@FORMAT_CHECKER.checks("int64")
def _int64(value: object) -> bool:
    return not isinstance(value, int) or isinstance(value, bool) or -(2**63) <= value <= 2**63 - 1


# RFC 3339 needs an offset; the real server (ASP.NET) takes a date-time without one as local time, and clients
# send them (`2024-05-01T12:00:00`, `2024-05-01T12:00`). A mock accepts what the real server accepts.
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:[Zz]|[+-]\d{2}:\d{2})?")


@FORMAT_CHECKER.checks("date-time", raises=ValueError)
def _date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _DATE_TIME.fullmatch(value):
        return False
    # The digits must make a real moment (no 25th hour, no 31st of June); fromisoformat reads up to microseconds.
    head, dot, fraction = value.partition(".")
    if dot:
        digits = re.match(r"\d+", fraction).group()  # type: ignore[union-attr]
        value = head + "." + digits[:6].ljust(6, "0") + fraction[len(digits):]
    datetime.fromisoformat(value.replace("z", "Z").replace("t", "T"))
    return True


class SchemaCompiler:
    """Builds jsonschema validators for subschemas of one document; refs resolve through a shared registry."""

    def __init__(self, doc: Mapping[str, Any]) -> None:
        self.doc = doc
        self._follow = RefFollower(doc)
        self.registry: Registry = Registry().with_resource(SPEC_URI, DRAFT202012.create_resource(doc))
        self.xml = XmlWriter(doc)

    def validator(self, schema: Any) -> Draft202012Validator:
        return Draft202012Validator(_absolute_refs(schema), registry=self.registry, format_checker=FORMAT_CHECKER)

    def resolve(self, schema: Any) -> Mapping[str, Any]:
        schema = self._follow(schema)
        return schema if isinstance(schema, Mapping) else {}


def _absolute_refs(schema: Any) -> Any:
    """Copy a subschema with local refs made absolute, so it validates outside the document it came from."""
    if isinstance(schema, Mapping):
        return {k: (SPEC_URI + v if k == "$ref" and isinstance(v, str) and v.startswith("#") else _absolute_refs(v))
                for k, v in schema.items()}
    if isinstance(schema, list):
        return [_absolute_refs(v) for v in schema]
    return schema


_INT_FORMATS = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}


def _is_trivial(schema: Mapping[str, Any]) -> bool:
    """Whether a parameter's coercion to its type (see `_scalar`) is its whole check, so no validator is needed:
    a string without a format, or an integer, number or boolean with nothing else but an integer format."""
    if not set(schema) <= _TRIVIAL_KEYS | {"format"}:
        return False
    kind, fmt = schema.get("type"), schema.get("format")
    if kind in (None, "string", ["string"]):
        return not isinstance(fmt, str)
    if kind == "integer":
        return fmt is None or fmt in _INT_FORMATS
    return kind in ("number", "boolean") and fmt is None


def _first_type(schema: Mapping[str, Any]) -> str:
    t = declared_type(schema, all_null="null")
    if t is not None:
        return t
    if "enum" in schema and schema["enum"] and all(isinstance(v, int) and not isinstance(v, bool)
                                                   for v in schema["enum"]):
        return "integer"
    return "string"


def _location_path(prefix: str, path: Sequence[Any]) -> str:
    return ".".join([prefix, *(str(p) for p in path)])


class BrokenSchema(SpecError):
    """A schema that is not valid JSON Schema (`required: 5`) failed while it checked a value: the spec's fault,
    never the client's. Raised only for the values that reach the broken keyword, so found at request time."""


def schema_violations(validator: Draft202012Validator, value: Any, prefix: str) -> list[Violation]:
    out: list[Violation] = []
    try:
        errors = sorted(validator.iter_errors(value), key=lambda e: [str(p) for p in e.absolute_path])
    except RecursionError:
        raise  # a value nested too deeply: the caller says so
    except Exception as exc:  # noqa: BLE001 - jsonschema fails in any way on a keyword of the wrong type
        raise BrokenSchema(f"the schema of {prefix} is not valid JSON Schema ({type(exc).__name__}: {exc})") \
            from None
    for err in errors:
        path = list(err.absolute_path)
        if err.validator == "required" and isinstance(err.validator_value, list):
            # Point at the missing property itself, not at its parent object.
            missing = re.match(r"'(.*)' is a required property", err.message)
            if missing:
                path.append(missing.group(1))
        out.append(Violation(_location_path(prefix, path), err.message))
    return out


@dataclass(frozen=True, slots=True)
class _ParamCheck:
    param: Parameter
    kind: str
    item_kind: str
    validator: Draft202012Validator | None
    location: str
    bounds: tuple[int, int] | None = None  # an integer format's range, checked without a validator
    codes: frozenset[str] = frozenset()    # a path parameter's documented enum of strings


@dataclass(frozen=True, slots=True)
class _BodyCheck:
    media: str
    parser: str
    schema: Any
    validator: Draft202012Validator | None
    props: Mapping[str, Any]


# How each media type's body is turned into a value before schema validation.
# XML and form encodings cannot carry JSON types faithfully (a one-item list looks like a scalar, an
# empty element is "", {} or [] alike), so their bodies are parsed but not judged by the JSON Schema:
# a strict check would reject valid requests. Their typed value is still held against the schema, to know
# whether it may be remembered as a record (see CheckedRequest.body_typed).
_SCHEMA_CHECKED = frozenset({"json"})
_TYPED_FROM_TEXT = frozenset({"xml", "form"})


def _parser_for(media: str) -> str:
    return structured_kind(media) or ("form" if media == "application/x-www-form-urlencoded" else "raw")


@dataclass(frozen=True, slots=True)
class _Untyped:
    """An XML or form body whose text did not all type as the schema says: accepted, but not remembered."""

    value: Any


@dataclass(frozen=True, slots=True)
class CheckedRequest:
    """What validation learned: typed parameter values, the parsed body and its media type, and violations."""

    params: dict[str, Any]
    body: Any
    violations: tuple[Violation, ...]
    unsupported_media: str | None = None
    warnings: tuple[str, ...] = ()  # what was accepted although the docs say otherwise
    body_typed: bool = True  # the body holds the spec's types: JSON, or XML or form text that typed cleanly


class RequestValidator:
    """All checks for one operation, compiled once (on the operation's first request, see MockApp.compiled)."""

    def __init__(self, op: OperationSpec, compiler: SchemaCompiler) -> None:
        self.compiler = compiler
        self.params: list[_ParamCheck] = []
        for p in _checked_params(op):
            kind, item_kind = _param_kinds(p, compiler)
            trivial = _is_trivial(p.schema)
            validator = None if trivial else compiler.validator(p.schema)
            bounds = _INT_FORMATS.get(p.schema.get("format")) if trivial and kind == "integer" else None
            enum = p.schema.get("enum") if p.location == "path" else None
            codes = frozenset(v for v in enum if isinstance(v, str)) if isinstance(enum, list) else frozenset()
            self.params.append(_ParamCheck(p, kind, item_kind, validator, f"{p.location}.{p.name}", bounds, codes))
        self.body_required = False
        self.bodies: dict[str, _BodyCheck] = {}
        self.wildcards: dict[str, _BodyCheck] = {}
        body = op.request_body
        if body is not None:
            self.body_required = bool(body.get("required", False))
            for media, schema in _body_schemas(body):
                key = media_key(media)
                parser = _parser_for(key)
                validator = compiler.validator(schema) if parser in _SCHEMA_CHECKED | _TYPED_FROM_TEXT else None
                props = compiler.resolve(schema).get("properties") or {}
                check = _BodyCheck(key, parser, schema, validator, props)
                if key.endswith("/*"):
                    self.wildcards[key[:-1]] = check
                else:
                    self.bodies[key] = check

    @property
    def media_types(self) -> tuple[str, ...]:
        return (*self.bodies, *(k + "*" for k in self.wildcards))

    def check(self, path_params: Mapping[str, str], query: Mapping[str, list[str]], headers: Mapping[str, str],
              cookies: Mapping[str, str], content_type: str | None, body: bytes) -> CheckedRequest:
        values: dict[str, Any] = {}
        violations: list[Violation] = []
        warnings: list[str] = []
        for pc in self.params:
            p = pc.param
            raw: list[str] | None
            if p.location == "path":
                raw = [path_params[p.name]] if p.name in path_params else None
            elif p.location == "query":
                raw = in_any_case(query, p.name)
            elif p.location == "header":
                h = headers.get(p.name.lower())
                raw = None if h is None else [h]
            else:
                c = cookies.get(p.name)
                raw = None if c is None else [c]
            if raw is None:
                if p.required:
                    violations.append(Violation(pc.location, f"required {p.location} parameter is missing"))
                continue
            documented = _spelled_as_documented(raw[0], pc.codes) if pc.codes and raw[0] not in pc.codes else None
            if documented is not None:  # the server binds enums without regard to case
                values[p.name] = documented
                continue
            if pc.codes and raw[0] not in pc.codes and extends_enum(raw[0], pc.codes):
                # Routed past the enum (see Router.match): the real API has codes the docs do not list yet.
                warnings.append(f"{pc.location}: {raw[0]!r} is not one of the documented values "
                                f"({', '.join(sorted(pc.codes))}); answered as if it were, since the docs' enum "
                                "may be older than the API")
                values[p.name] = raw[0]
                continue
            value, problem = _coerce_param(pc, raw)
            if problem is not None:
                violations.append(Violation(pc.location, problem))
                continue
            if pc.validator is not None:
                violations.extend(schema_violations(pc.validator, value, pc.location))
            elif pc.bounds is not None and not pc.bounds[0] <= value <= pc.bounds[1]:
                # jsonschema's own words for a format it rejects, so both paths read the same
                violations.append(Violation(pc.location, f"{value!r} is not a {p.schema['format']!r}"))
            values[p.name] = value
        parsed, body_violations, unsupported = self._check_body(content_type, body)
        violations.extend(body_violations)
        untyped = isinstance(parsed, _Untyped)
        return CheckedRequest(values, parsed.value if untyped else parsed, tuple(violations), unsupported,
                              tuple(warnings), body_typed=not untyped)

    def _check_body(self, content_type: str | None, body: bytes) -> tuple[Any, list[Violation], str | None]:
        if not self.bodies and not self.wildcards:
            return None, [], None
        if not body and content_type is None:
            if self.body_required:
                return None, [Violation("body", "request body is required")], None
            return None, [], None
        if content_type is None:
            # No Content-Type: assume the first documented type rather than refusing a body curl sent bare.
            check = next(iter(self.bodies.values()), None) or next(iter(self.wildcards.values()))
        else:
            key = media_key(content_type)
            check = self.bodies.get(key) or self.wildcards.get(key.split("/", 1)[0] + "/") \
                or self.wildcards.get("*/")
            if check is None:
                return None, [], key
        try:
            value = self._parse(check, body)
        except ValueError as exc:
            return None, [Violation("body", str(exc))], None
        if check.validator is None:  # a body of another media type (text, bytes): nothing to remember
            return _Untyped(value), [], None
        if check.parser in _TYPED_FROM_TEXT:
            try:
                fits = next(check.validator.iter_errors(value), None) is None
            except RecursionError:
                fits = False
            return (value if fits else _Untyped(value)), [], None
        try:
            return value, schema_violations(check.validator, value, "body"), None
        except RecursionError:
            return None, [Violation("body", "nested too deeply to check against the schema")], None

    def _parse(self, check: _BodyCheck, body: bytes) -> Any:
        if check.parser == "json":
            try:
                value = json.loads(body)
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise ValueError(f"malformed JSON: {exc}") from None
            except RecursionError:
                raise ValueError("malformed JSON: nested too deeply") from None
            # Half a surrogate pair, which no text can hold, comes as an escape (\ud800) or as the bytes that
            # would encode it (ED A0 80): Python's JSON reader lets both through.
            if b"\\u" in body or b"\xed" in body:
                try:
                    json.dumps(value, ensure_ascii=False).encode("utf-8")
                except UnicodeEncodeError:
                    raise ValueError("malformed JSON: a string holds an unpaired surrogate (\\ud800-\\udfff)") \
                        from None
            return value
        if check.parser == "xml":
            if not body.strip():
                return None  # an empty XML body is how an empty list/object serialises
            try:
                return parse_xml(body, check.schema, self.compiler.xml)
            except XmlBodyError as exc:
                raise ValueError(str(exc)) from None
        if check.parser == "form":
            try:
                fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
            except UnicodeDecodeError as exc:
                raise ValueError(f"form body is not UTF-8: {exc}") from None
            return self._form_value(_nest(fields), check.schema)
        return body

    def _form_value(self, value: Any, schema: Any) -> Any:
        """Form fields are all strings: type them by the schema so validation judges values, not encoding."""
        schema = self.compiler.resolve(schema)
        kind = _first_type(schema)
        if isinstance(value, dict):
            props = schema.get("properties") or {}
            addl = schema.get("additionalProperties")
            described = isinstance(addl, Mapping)
            # An empty field nothing describes is left out: "", null, {} and [] are all sent as `name=`.
            return {k: self._form_value(v, props.get(k, addl if described else {}))
                    for k, v in value.items() if k in props or described or v != [""]}
        if kind == "array":
            return [self._form_value([v], schema.get("items", {})) for v in value]
        raw = value[-1]
        if raw in ("", "null") and _allows_null(self.compiler, schema):
            return None
        if kind in ("object", "array") or "anyOf" in schema or "oneOf" in schema:
            try:
                return json.loads(raw)
            except ValueError:
                pass
            if not any(_first_type(self.compiler.resolve(b)) in ("string", "integer", "number", "boolean")
                       for key in ("anyOf", "oneOf") for b in schema.get(key) or ()):
                return raw  # a bare word where an object belongs: let validation say so
            kind = next(_first_type(self.compiler.resolve(b)) for key in ("anyOf", "oneOf")
                        for b in schema.get(key) or () if _first_type(self.compiler.resolve(b)) != "null")
        return coerce_scalar(raw, kind)


class MalformedSchemas:
    """`where: what is wrong` for every schema in the document that is not a JSON Schema (2020-12, which a
    normalised document uses). Compiling waits for an operation's first request; this lets start-up say
    which schemas (`required: 5`) will break the operations that use them. jsonschema-rs checks the full
    SuperOffice spec in about 0.1 s; a reload's check asks the previous one about every component schema and
    path item it already checked (by identity), so it checks only what changed."""

    def __init__(self, previous: MalformedSchemas | None = None) -> None:
        self._cache: ByIdentity[list[str]] = ByIdentity(previous._cache if previous is not None else None)

    def __call__(self, doc: Mapping[str, Any]) -> list[str]:
        problems: list[str] = []
        for name, schema in ((doc.get("components") or {}).get("schemas") or {}).items():
            problems.extend(self._check(f"components/schemas/{name}", schema, lambda w, s: [(w, s)]))
        for path, item in (doc.get("paths") or {}).items():
            problems.extend(self._check(f"paths/{path}", item, _places_of_schemas))
        self._cache.settle()
        return problems

    def _check(self, where: str, node: Any, places: Any) -> list[str]:
        return self._cache.get(node, lambda: [problem for place, schema in places(where, node)
                                              if (problem := _schema_problem(place, schema)) is not None], where)


def malformed_schemas(doc: Mapping[str, Any]) -> list[str]:
    """Every malformed schema of `doc` (see MalformedSchemas)."""
    return MalformedSchemas()(doc)


def _schema_problem(where: str, schema: Any) -> str | None:
    import jsonschema_rs  # only start-up needs it

    if isinstance(schema, (dict, bool)) and jsonschema_rs.meta.is_valid(schema):
        return None
    try:
        jsonschema_rs.meta.validate(schema)
        message = "not a schema object"
    except jsonschema_rs.ValidationError as exc:
        message = exc.message
    except Exception as exc:  # not even JSON-like: report it the same way
        message = str(exc)
    return f"{where}: {message}"


def _places_of_schemas(where: str, node: Any) -> Iterator[tuple[str, Any]]:
    """(where, schema) for every schema below a path item: under `schema` keys, outside examples."""
    stack: list[tuple[str, Any]] = [(where, node)]
    while stack:
        where, node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "schema":
                    yield f"{where}/schema", value
                elif key not in ("example", "examples"):  # example values are data, not the spec's structure
                    stack.append((f"{where}/{key}", value))
        elif isinstance(node, list):
            stack.extend((f"{where}/{index}", value) for index, value in enumerate(node))


def check_refs(op: OperationSpec, compiler: SchemaCompiler) -> None:
    """Raise the SpecError that compiling `op`'s RequestValidator would raise (a $ref it follows is dangling or
    external), without building validators: start-up runs this, the validator waits for the first request."""
    for p in _checked_params(op):
        _param_kinds(p, compiler)
    if op.request_body is not None:
        for _, schema in _body_schemas(op.request_body):
            compiler.resolve(schema)


def _checked_params(op: OperationSpec) -> list[Parameter]:
    return [p for p in op.parameters if not (p.location == "header" and p.name.lower() in _IGNORED_HEADERS)]


def _param_kinds(p: Parameter, compiler: SchemaCompiler) -> tuple[str, str]:
    """The type a parameter's text is coerced to, and that of its items when it is an array."""
    schema = compiler.resolve(p.schema)
    kind = _first_type(schema)
    item_kind = _first_type(compiler.resolve(schema.get("items", {}))) if kind == "array" else "string"
    return kind, item_kind


def _body_schemas(body: Mapping[str, Any]) -> list[tuple[str, Any]]:
    return [(media, obj.get("schema", {}) if isinstance(obj, Mapping) else {})
            for media, obj in (body.get("content") or {}).items()]


_BRACKETS = re.compile(r"\[([^\[\]]*)\]")


def _nest(fields: Mapping[str, list[str]]) -> dict[str, Any]:
    """`a[b][c]=1` -> {"a": {"b": {"c": ["1"]}}}, the usual way nested values travel in forms."""
    out: dict[str, Any] = {}
    for key, values in fields.items():
        head, _, rest = key.partition("[")
        parts = [head, *_BRACKETS.findall("[" + rest)] if rest else [key]
        node = out
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        node[parts[-1]] = values
    return out


def _allows_null(compiler: SchemaCompiler, schema: Mapping[str, Any]) -> bool:
    t = schema.get("type")
    if t == "null" or (isinstance(t, list) and "null" in t):
        return True
    return any(_allows_null(compiler, compiler.resolve(b)) for key in ("anyOf", "oneOf")
               for b in schema.get(key) or ())


def _spelled_as_documented(value: str, codes: frozenset[str]) -> str | None:
    folded = value.casefold()
    return next((code for code in codes if code.casefold() == folded), None)


def _coerce_param(pc: _ParamCheck, raw: list[str]) -> tuple[Any, str | None]:
    """Strings off the wire -> typed values; a message instead when they cannot be the declared type."""
    if pc.kind == "array":
        parts = raw if (pc.param.location == "query" and pc.param.explode) else \
            [x for r in raw for x in r.split(",")] if raw != [""] else []
        out = []
        for part in parts:
            value, problem = _scalar(pc.item_kind, part)
            if problem is not None:
                return None, problem
            out.append(value)
        return out, None
    if pc.kind == "object":
        try:
            return json.loads(raw[-1]), None
        except ValueError:
            return raw[-1], None
    return _scalar(pc.kind, raw[-1])


_MAX_INT_DIGITS = 300


def _scalar(kind: str, text: str) -> tuple[Any, str | None]:
    if kind == "integer":
        if _INT.match(text) and len(text) <= _MAX_INT_DIGITS:
            return int(text), None
        if _INT.match(text):  # Python refuses to read more than 4,300 digits; no integer format holds 300
            return None, f"an integer of {len(text.lstrip('+-'))} digits is out of range"
        return None, f"{text!r} is not an integer"
    if kind == "number":
        try:
            value = float(text)
        except ValueError:
            return None, f"{text!r} is not a number"
        if value != value or value in (float("inf"), float("-inf")):
            return None, f"{text!r} is not a finite number"
        return (int(value) if _INT.match(text) else value), None
    if kind == "boolean":
        if text in ("true", "false"):
            return text == "true", None
        return None, f"{text!r} is not a boolean (true or false)"
    if kind == "null":
        return (None, None) if text in ("", "null") else (None, f"{text!r} is not null")
    return text, None


