"""The comparison: walks two OpenAPI documents operation by operation, follows `$ref`s on both sides, and
reports every difference in the contract as a finding, classed by the rules into a `DiffReport`."""
from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from mockserver.errors import SpecError
from mockserver.spec import HTTP_METHODS, RefFollower, deref, iter_operation_objects, normalise

from generator.collector import without_cycle_collection

from .model import DiffError, DiffReport, Finding, Kind, OperationDiff, OperationState, Scope
from .rules import classify

K = Kind
_ANY: dict[str, Any] = {}  # the schema that allows anything: a missing schema, `true`, `additionalProperties` unset
_PATH_PARAM = re.compile(r"\{([^}/]*)\}")
_METHOD_ORDER = {m.upper(): i for i, m in enumerate(HTTP_METHODS)}
# Formats where the first's values are all valid under the second: a change from first to second widens.
_FORMAT_WIDENS = {("int32", "int64"), ("float", "double")}
_ENUM_SHOWN = 12  # values listed in "restricted to the values ...", at most

# A raw difference inside a schema, relative to the schema compared: (kind, path, subject, old, new), and once
# it leaves `schemas()`, the schema pairs its path passes through (to drop a path that goes round a reference
# cycle). Plain tuples, not records: the comparison builds and re-prefixes these by the thousand.
Raw = tuple[Any, ...]


def compare_documents(old: Mapping[str, Any], new: Mapping[str, Any], *, old_label: str = "old",
                      new_label: str = "new") -> DiffReport:
    """What changed in the API contract from `old` to `new` (OpenAPI 3.0 or 3.1 documents, as loaded)."""
    with without_cycle_collection():
        try:
            old_doc, new_doc = normalise(old), normalise(new)
        except SpecError as exc:
            raise DiffError(str(exc)) from exc
        try:
            operations = _Comparison(old_doc, new_doc).operations()
        except SpecError as exc:  # a dangling or external $ref met on the way
            raise DiffError(str(exc)) from exc
    return DiffReport(old_label, new_label, tuple(operations))


class _Operation:
    """One operation of one document, its path item's parameters merged into its own and its $refs to
    parameters, bodies and responses followed (schemas are followed as they are compared)."""

    __slots__ = ("method", "path", "raw", "parameters", "body", "responses", "security")

    def __init__(self, doc: Mapping[str, Any], path: str, item: Mapping[str, Any], method: str,
                 raw: Mapping[str, Any]) -> None:
        self.method = method.upper()
        self.path = path
        self.raw = raw
        self.parameters: dict[tuple[str, str], Mapping[str, Any]] = {}
        for p in [*(item.get("parameters") or ()), *(raw.get("parameters") or ())]:
            p = deref(doc, p)
            if _is_map(p) and "name" in p and "in" in p:
                self.parameters[_param_key(str(p["in"]), str(p["name"]))] = p
        body = deref(doc, raw.get("requestBody"))
        self.body: Mapping[str, Any] | None = body if isinstance(body, Mapping) else None
        responses = raw.get("responses")
        self.responses: dict[str, Any] = {str(code): deref(doc, r) for code, r in responses.items()} \
            if isinstance(responses, Mapping) else {}
        security = raw.get("security", doc.get("security"))
        self.security: list[Any] | None = security if isinstance(security, list) else None

    @property
    def operation_id(self) -> str:
        given = self.raw.get("operationId")
        return given if isinstance(given, str) and given else f"{self.method} {self.path}"


def _operations(doc: Mapping[str, Any]) -> list[_Operation]:
    return [_Operation(doc, path, item, method, raw) for path, item, method, raw in iter_operation_objects(doc)]


class _View:
    """A schema as the comparison reads it: `allOf` merged, a null alternative or type turned into
    `nullable`, null taken out of the enum, and the type an object or array schema leaves implicit."""

    __slots__ = ("types", "format", "nullable", "enum", "properties", "required", "additional", "items",
                 "any_of", "one_of")

    def __init__(self) -> None:
        self.types: frozenset[str] | None = None  # None: any type
        self.format: str | None = None
        self.nullable = False
        self.enum: tuple[Any, ...] | None = None
        self.properties: dict[str, Any] = {}
        self.required: frozenset[str] = frozenset()
        self.additional: Any = _ANY  # _ANY, False, or a schema
        self.items: Any = None
        self.any_of: tuple[Any, ...] = ()
        self.one_of: tuple[Any, ...] = ()


class _Side:
    """One document as the comparison reads it: each `$ref` followed once, each schema viewed once."""

    def __init__(self, doc: Mapping[str, Any]) -> None:
        self.doc = doc
        self._follow = RefFollower(doc)
        self._views: dict[int, _View] = {}

    def resolve(self, schema: Any) -> dict[str, Any]:
        if type(schema) is not dict:
            return _ANY  # `true`, a missing schema; `false` is handled where it can occur
        if "$ref" in schema:
            target = self._follow(schema)
            return target if type(target) is dict else _ANY
        return schema

    def view(self, schema: dict[str, Any]) -> _View:
        """The view of a resolved schema. Only the schema dicts are keys (by identity): they live as long as the
        document, which outlives the comparison."""
        view = self._views.get(id(schema))
        if view is None:
            view = self._views[id(schema)] = _UNDER_CONSTRUCTION
            try:
                view = self._views[id(schema)] = self._make_view(schema)
            except BaseException:
                del self._views[id(schema)]
                raise
        return view

    def _make_view(self, s: dict[str, Any]) -> _View:
        v = _View()
        t = s.get("type")
        if isinstance(t, str):
            v.types = frozenset() if t == "null" else frozenset((t,))
            v.nullable = t == "null"
        elif isinstance(t, list):
            v.types = frozenset(x for x in t if x != "null")
            v.nullable = "null" in t
        v.format = s.get("format") if isinstance(s.get("format"), str) else None
        enum = s.get("enum")
        if isinstance(enum, list):
            v.nullable = v.nullable or None in enum
            v.enum = tuple(x for x in enum if x is not None)
        elif "const" in s:
            v.enum = () if s["const"] is None else (s["const"],)
            v.nullable = v.nullable or s["const"] is None
        props = s.get("properties")
        if isinstance(props, dict):
            v.properties = props
        req = s.get("required")
        if isinstance(req, list):
            v.required = frozenset(x for x in req if isinstance(x, str))
        if "additionalProperties" in s:
            ap = s["additionalProperties"]
            v.additional = False if ap is False else (ap if type(ap) is dict and ap else _ANY)
        if "items" in s:
            v.items = s["items"]
        for keyword in ("anyOf", "oneOf"):
            branches = s.get(keyword)
            if not isinstance(branches, list):
                continue
            kept = []
            for branch in branches:
                if self._is_null(branch):
                    v.nullable = True  # 3.0's `nullable: true` on a $ref, once normalised
                else:
                    kept.append(branch)
            setattr(v, "any_of" if keyword == "anyOf" else "one_of", tuple(kept))
        # `anyOf: [X, {type: null}]` is X, nullable: compare it as X, so a 3.0 and a 3.1 document that say the
        # same thing compare equal.
        only = v.any_of if not v.one_of else v.one_of if not v.any_of else ()
        if len(only) == 1 and v.types is None and not v.properties and v.enum is None:
            inner = self.view(self.resolve(only[0]))
            merged = _copy_view(inner)
            merged.nullable = merged.nullable or v.nullable
            v = merged
        all_of = s.get("allOf")
        if isinstance(all_of, list):
            for branch in all_of:
                _merge_into(v, self.view(self.resolve(branch)))
        # Object and array schemas often leave their type implicit: read them as what they plainly are, so
        # a writer that spells `type: object` out and one that does not agree.
        if v.types is None:
            if v.properties or v.additional is not _ANY:
                v.types = frozenset(("object",))
            elif v.items is not None:
                v.types = frozenset(("array",))
        return v

    def _is_null(self, branch: Any) -> bool:
        target = self.resolve(branch)
        return target.get("type") == "null" or target.get("type") == ["null"]


_UNDER_CONSTRUCTION = _View()  # what a schema that (through allOf) contains itself sees of itself


def _copy_view(view: _View) -> _View:
    copy = _View()
    for name in _View.__slots__:
        setattr(copy, name, getattr(view, name))
    return copy


def _merge_into(v: _View, branch: _View) -> None:
    """`allOf`: a value must satisfy every branch, so the properties and required names add up, and null is
    allowed only where every branch that says anything about types allows it."""
    if branch.types is not None or branch.enum is not None:
        if v.types is None and v.enum is None:
            v.nullable = branch.nullable
        else:
            v.nullable = v.nullable and branch.nullable
    if branch.types is not None:
        v.types = branch.types if v.types is None else (v.types & branch.types or v.types)
    v.format = v.format or branch.format
    if branch.enum is not None and v.enum is None:
        v.enum = branch.enum
    if branch.properties:
        v.properties = {**v.properties, **{k: s for k, s in branch.properties.items() if k not in v.properties}}
    v.required = v.required | branch.required
    if branch.additional is not _ANY and v.additional is _ANY:
        v.additional = branch.additional
    if branch.items is not None and v.items is None:
        v.items = branch.items


def _pure_variants(view: _View) -> bool:
    """Only alternatives, of one keyword, and nothing besides them that constrains a value's shape."""
    return bool(view.any_of) != bool(view.one_of) and view.types is None and not view.properties \
        and view.enum is None


def _type_label(view: _View) -> str:
    if view.types is None:
        base = "any"
    elif not view.types:
        base = "null"
    else:
        base = "|".join(sorted(view.types))
    return f"{base}/{view.format}" if view.format else base


def _with_numbers(types: frozenset[str]) -> frozenset[str]:
    # Every integer is a number: {number} already holds what {integer, number} does.
    return types | {"integer"} if "number" in types else types


def _type_change(old: _View, new: _View) -> Kind | None:
    if old.types != new.types:
        if new.types is None:
            return K.TYPE_WIDENED
        if old.types is None:
            return K.TYPE_NARROWED
        o, n = _with_numbers(old.types), _with_numbers(new.types)
        if o == n:
            return None
        return K.TYPE_WIDENED if o <= n else K.TYPE_NARROWED if n <= o else K.TYPE_CHANGED
    if old.format == new.format:
        return None
    if new.format is None or (old.format, new.format) in _FORMAT_WIDENS:
        return K.TYPE_WIDENED
    if old.format is None or (new.format, old.format) in _FORMAT_WIDENS:
        return K.TYPE_NARROWED
    return K.TYPE_CHANGED


def _enum_key(value: Any) -> Any:
    # As JSON compares values: `true` and `1` differ (though Python's `True == 1`), `1` and `1.0` do not.
    if isinstance(value, bool) or isinstance(value, str):
        return type(value).__name__, value
    if isinstance(value, (int, float)):
        return "number", float(value)
    return "json", json.dumps(value, sort_keys=True)


def _shown(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _prefixed(raws: Iterable[Raw], segment: str) -> list[Raw]:
    return [(kind, segment + path, subject, old, new, pairs) for kind, path, subject, old, new, pairs in raws]


def _same(a: tuple[Raw, ...], b: tuple[Raw, ...]) -> bool:
    """Whether two results say the same, whichever schema objects they came from."""
    return len(a) == len(b) and all(x[:5] == y[:5] for x, y in zip(a, b))


def _branch_key(branch: Any, index: int) -> str:
    ref = branch.get("$ref") if type(branch) is dict else None
    return ref.rsplit("/", 1)[-1] if isinstance(ref, str) else f"#{index}"


def _flat(schema: Any) -> bool:
    """Whether a schema holds no subschema, and so no $ref: two equal flat schemas mean the same thing in any
    document, which spares comparing the thousands of `{"type": "string"}` parameters one by one."""
    if type(schema) is not dict or "$ref" in schema:
        return False
    for value in schema.values():
        if type(value) is dict or (type(value) is list and any(type(x) is dict for x in value)):
            return False
    return True


class _Comparison:
    def __init__(self, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
        self.old, self.new = _Side(old), _Side(new)
        # Compared schema pairs, by identity of the resolved schemas: a component referenced from hundreds of
        # operations (and six media types each) is compared once.
        self._memo: dict[tuple[int, int], tuple[Raw, ...]] = {}
        # Pairs being compared, with their depth: meeting one again is a reference cycle, cut there.
        self._active: dict[tuple[int, int], int] = {}
        self._cut_at = 1 << 30  # the shallowest active pair a cycle was cut at, since the current pair began

    # -- schemas -----------------------------------------------------------------------------------------

    def schemas(self, old: Any, new: Any) -> tuple[Raw, ...]:
        o, n = self.old.resolve(old), self.new.resolve(new)
        key = (id(o), id(n))
        done = self._memo.get(key)
        if done is not None:
            return done
        depth = self._active.get(key)
        if depth is not None:
            # A cycle: what differs along it is reported where the walk first entered it.
            self._cut_at = min(self._cut_at, depth)
            return ()
        depth = len(self._active)
        self._active[key] = depth
        outer_cut, self._cut_at = self._cut_at, 1 << 30
        try:
            vo, vn = self.old.view(o), self.new.view(n)
            rewrapped = self._rewrapped(o, n, vo, vn)
            found = rewrapped if rewrapped is not None else self._compare(vo, vn)
        finally:
            del self._active[key]
        # A difference reached by going round a cycle back to this pair is the one found here without going
        # round: kept once, at its shortest path, whichever operation entered the cycle first.
        result = tuple((*raw[:5], (raw[5] if len(raw) > 5 else frozenset()) | {key}) for raw in found
                       if len(raw) == 5 or key not in raw[5])
        # A result that leaned on a cut above this pair is incomplete from anywhere else: not remembered.
        if self._cut_at >= depth:
            self._memo[key] = result
        self._cut_at = min(outer_cut, self._cut_at)
        return result

    def _rewrapped(self, o: dict[str, Any], n: dict[str, Any], vo: _View, vn: _View) -> list[Raw] | None:
        """A schema that became alternatives of which it is one (`X` -> `oneOf: [X, Y]`) gained alternatives,
        and the other way round lost them: compared as that, not as an object that lost every property."""
        if _pure_variants(vn) and not (vo.any_of or vo.one_of):
            branches, kind, keep = vn.any_of or vn.one_of, K.ANY_OF_ADDED if vn.any_of else K.ONE_OF_ADDED, \
                lambda branch: not self.schemas(o, branch)
        elif _pure_variants(vo) and not (vn.any_of or vn.one_of):
            branches, kind, keep = vo.any_of or vo.one_of, K.ANY_OF_REMOVED if vo.any_of else K.ONE_OF_REMOVED, \
                lambda branch: not self.schemas(branch, n)
        else:
            return None
        for index, branch in enumerate(branches):
            if keep(branch):
                out: list[Raw] = [(kind, "", _branch_key(other, i), None, None)
                                  for i, other in enumerate(branches) if i != index]
                if vo.nullable != vn.nullable:
                    out.append((K.BECAME_NULLABLE if vn.nullable else K.BECAME_NOT_NULLABLE, "", "", None, None))
                return out
        return None

    def _compare(self, vo: _View, vn: _View) -> list[Raw]:
        out: list[Raw] = []
        kind = _type_change(vo, vn)
        if kind is not None:
            out.append((kind, "", "", _type_label(vo), _type_label(vn)))
        if vo.nullable != vn.nullable:
            out.append((K.BECAME_NULLABLE if vn.nullable else K.BECAME_NOT_NULLABLE, "", "", None, None))
        self._enums(vo, vn, out)
        if kind is K.TYPE_CHANGED:
            return out  # an object that became a string: its properties did not each go away, the type changed
        self._properties(vo, vn, out)
        if vo.items is not None or vn.items is not None:
            out.extend(_prefixed(self.schemas(vo.items, vn.items), "[]"))
        ao, an = vo.additional, vn.additional
        if ao is False and an is not False:
            out.append((K.ADDITIONAL_PROPERTIES_ALLOWED, "", "", None, None))
        elif an is False and ao is not False:
            out.append((K.ADDITIONAL_PROPERTIES_FORBIDDEN, "", "", None, None))
        elif ao is not False and (ao is not _ANY or an is not _ANY):
            out.extend(_prefixed(self.schemas(ao, an), "{}"))
        self._variants("anyOf", vo.any_of, vn.any_of, K.ANY_OF_ADDED, K.ANY_OF_REMOVED, out)
        self._variants("oneOf", vo.one_of, vn.one_of, K.ONE_OF_ADDED, K.ONE_OF_REMOVED, out)
        return out

    @staticmethod
    def _enums(vo: _View, vn: _View, out: list[Raw]) -> None:
        if vo.enum == vn.enum:
            return
        if vo.enum is None:
            values = vn.enum or ()
            shown = ", ".join(_shown(x) for x in values[:_ENUM_SHOWN]) + (", ..." if len(values) > _ENUM_SHOWN else "")
            out.append((K.BECAME_ENUM, "", shown, None, None))
            return
        if vn.enum is None:
            out.append((K.BECAME_NOT_ENUM, "", "", None, None))
            return
        old_keys = {_enum_key(x) for x in vo.enum}
        new_keys = {_enum_key(x) for x in vn.enum}
        for value in vo.enum:
            if _enum_key(value) not in new_keys:
                out.append((K.ENUM_VALUE_REMOVED, "", _shown(value), None, None))
        for value in vn.enum:
            if _enum_key(value) not in old_keys:
                out.append((K.ENUM_VALUE_ADDED, "", _shown(value), None, None))

    def _properties(self, vo: _View, vn: _View, out: list[Raw]) -> None:
        old_props, new_props = vo.properties, vn.properties
        if not old_props and not new_props:
            return
        for name, sub in old_props.items():
            segment = "." + name
            if name not in new_props:
                kind = K.REQUIRED_PROPERTY_REMOVED if name in vo.required else K.OPTIONAL_PROPERTY_REMOVED
                out.append((kind, segment, name, None, None))
                continue
            was, now = name in vo.required, name in vn.required
            if was != now:
                out.append((K.BECAME_REQUIRED if now else K.BECAME_OPTIONAL, segment, name, None, None))
            other = new_props[name]
            if sub == other and _flat(sub):
                continue
            out.extend(_prefixed(self.schemas(sub, other), segment))
        for name in new_props:
            if name not in old_props:
                kind = K.REQUIRED_PROPERTY_ADDED if name in vn.required else K.OPTIONAL_PROPERTY_ADDED
                out.append((kind, "." + name, name, None, None))

    def _variants(self, keyword: str, old: tuple[Any, ...], new: tuple[Any, ...], added: Kind, removed: Kind,
                  out: list[Raw]) -> None:
        if not old and not new:
            return
        # Alternatives that are references pair up by name, so reordering them is no change; inline ones by
        # position.
        old_keyed = {_branch_key(b, i): b for i, b in enumerate(old)}
        new_keyed = {_branch_key(b, i): b for i, b in enumerate(new)}
        for key, branch in old_keyed.items():
            if key not in new_keyed:
                out.append((removed, "", key, None, None))
            else:
                out.extend(_prefixed(self.schemas(branch, new_keyed[key]), f"({keyword} {key})"))
        for key in new_keyed:
            if key not in old_keyed:
                out.append((added, "", key, None, None))

    # -- operations --------------------------------------------------------------------------------------

    def operations(self) -> list[OperationDiff]:
        old_ops = _operations(self.old.doc)
        new_ops = _operations(self.new.doc)
        pairs, removed, added = _match(old_ops, new_ops)
        new_shapes = {_shape(op.path) for op in new_ops}
        result: list[OperationDiff] = []
        for old_op, new_op in pairs:
            findings = self._operation(old_op, new_op)
            if findings:
                result.append(_operation_diff(new_op, OperationState.CHANGED, findings))
        for op in removed:
            deprecated = bool(op.raw.get("deprecated"))
            if _shape(op.path) in new_shapes:
                kind = K.DEPRECATED_OPERATION_REMOVED if deprecated else K.OPERATION_REMOVED
            else:
                kind = K.DEPRECATED_PATH_REMOVED if deprecated else K.PATH_REMOVED
            result.append(_operation_diff(op, OperationState.REMOVED, [Finding(kind, Scope.OPERATION, "operation")]))
        for op in added:
            result.append(_operation_diff(op, OperationState.ADDED,
                                          [Finding(K.OPERATION_ADDED, Scope.OPERATION, "operation")]))
        result.sort(key=lambda d: (d.path, _METHOD_ORDER.get(d.method, 99), d.method))
        return result

    def _operation(self, old: _Operation, new: _Operation) -> list[Finding]:
        found: list[Finding] = []
        raw_old, raw_new = old.raw, new.raw
        was, now = bool(raw_old.get("deprecated")), bool(raw_new.get("deprecated"))
        if was != now:
            found.append(Finding(K.OPERATION_DEPRECATED if now else K.OPERATION_REACTIVATED, Scope.OPERATION,
                                 "operation"))
        old_id, new_id = raw_old.get("operationId"), raw_new.get("operationId")
        if isinstance(old_id, str) and isinstance(new_id, str) and old_id != new_id:
            found.append(Finding(K.OPERATION_ID_CHANGED, Scope.OPERATION, "operation", "", old_id, new_id))
        self._parameters(old, new, found)
        self._request_body(old.body, new.body, found)
        self._responses(old.responses, new.responses, found)
        self._security(old.security, new.security, found)
        return found

    def _parameters(self, old: _Operation, new: _Operation, found: list[Finding]) -> None:
        # A path parameter renamed (`{id}` -> `{Id}`) is the same parameter: clients only fill in the position.
        renamed = dict(zip(_PATH_PARAM.findall(old.path), _PATH_PARAM.findall(new.path)))
        old_params = {(place, renamed.get(name, name) if place == "path" else name): p
                      for (place, name), p in old.parameters.items()}
        new_params = new.parameters
        for key, p in old_params.items():
            q = new_params.get(key)
            if q is None:
                found.append(Finding(K.PARAMETER_REMOVED, Scope.PARAMETER, _param_label(p)))
                continue
            if p == q and _flat(p.get("schema")):
                continue
            location = _param_label(q)
            was, now = _param_required(p), _param_required(q)
            if was != now:
                found.append(Finding(K.BECAME_REQUIRED if now else K.BECAME_OPTIONAL, Scope.PARAMETER, location))
            old_schema, new_schema = _param_schema(p), _param_schema(q)
            if old_schema == new_schema and _flat(old_schema):
                continue
            found.extend(_findings(self.schemas(old_schema, new_schema), location, Scope.PARAMETER,
                                   Scope.PARAMETER))
        for key, q in new_params.items():
            if key not in old_params:
                kind = K.REQUIRED_PARAMETER_ADDED if _param_required(q) else K.OPTIONAL_PARAMETER_ADDED
                found.append(Finding(kind, Scope.PARAMETER, _param_label(q)))

    def _request_body(self, old: Mapping[str, Any] | None, new: Mapping[str, Any] | None,
                      found: list[Finding]) -> None:
        where = "request body"
        if old is None and new is None:
            return
        if old is None:
            assert new is not None
            kind = K.REQUIRED_BODY_ADDED if new.get("required") else K.OPTIONAL_BODY_ADDED
            found.append(Finding(kind, Scope.REQUEST_BODY, where))
            return
        if new is None:
            found.append(Finding(K.BODY_REMOVED, Scope.REQUEST_BODY, where))
            return
        was, now = bool(old.get("required")), bool(new.get("required"))
        if was != now:
            found.append(Finding(K.BECAME_REQUIRED if now else K.BECAME_OPTIONAL, Scope.REQUEST_BODY, where))
        self._content(old.get("content"), new.get("content"), where, where, Scope.REQUEST_BODY, Scope.REQUEST_BODY,
                      Scope.REQUEST_PROPERTY, found)

    def _content(self, old: Any, new: Any, where: str, body: str, media_scope: Scope, root: Scope, below: Scope,
                 found: list[Finding]) -> None:
        """The media types of a request body or response (at `where`) and their schemas (at `body`)."""
        old_media = _media_types(old)
        new_media = _media_types(new)
        for name in old_media:
            if name not in new_media:
                found.append(Finding(K.MEDIA_TYPE_REMOVED, media_scope, where, name))
        results: list[tuple[str, tuple[Raw, ...]]] = []
        last: tuple[Any, Any, tuple[Raw, ...]] | None = None
        for name in new_media:
            if name not in old_media:
                continue
            old_schema, new_schema = _schema_of(old_media[name]), _schema_of(new_media[name])
            # Media types of one body nearly always carry equal schemas: equal within one document, they
            # compare the same (a cheap test, where comparing inline schemas again is not).
            if last is not None and old_schema == last[0] and new_schema == last[1]:
                results.append((name, last[2]))
                continue
            raws = self.schemas(old_schema, new_schema)
            results.append((name, raws))
            last = (old_schema, new_schema, raws)
        # The same schema is usually served under several media types (JSON, XML, ...): a change they all share
        # is reported once; one that only some have, once per media type.
        if results and all(_same(raws, results[0][1]) for _, raws in results[1:]):
            found.extend(_findings(results[0][1], body, root, below))
        else:
            for name, raws in results:
                found.extend(_findings(raws, f"{body} ({name})", root, below))
        for name in new_media:
            if name not in old_media:
                found.append(Finding(K.MEDIA_TYPE_ADDED, media_scope, where, name))

    def _responses(self, old: Mapping[str, Any], new: Mapping[str, Any], found: list[Finding]) -> None:
        for code, response in old.items():
            where = f"response {code}"
            if code not in new:
                kind = K.SUCCESS_STATUS_REMOVED if code.startswith("2") else K.OTHER_STATUS_REMOVED
                found.append(Finding(kind, Scope.RESPONSE, where))
                continue
            other = new[code]
            if not isinstance(response, Mapping) or not isinstance(other, Mapping):
                continue
            self._headers(response.get("headers"), other.get("headers"), where, found)
            self._content(response.get("content"), other.get("content"), where, f"{where} body", Scope.RESPONSE,
                          Scope.RESPONSE_BODY, Scope.RESPONSE_PROPERTY, found)
        for code in new:
            if code not in old:
                kind = K.SUCCESS_STATUS_ADDED if code.startswith("2") else K.OTHER_STATUS_ADDED
                found.append(Finding(kind, Scope.RESPONSE, f"response {code}"))

    def _headers(self, old: Any, new: Any, where: str, found: list[Finding]) -> None:
        old_headers = self._header_map(self.old.doc, old)
        new_headers = self._header_map(self.new.doc, new)
        for key, (name, header) in old_headers.items():
            if key not in new_headers:
                kind = K.REQUIRED_HEADER_REMOVED if header.get("required") else K.OPTIONAL_HEADER_REMOVED
                found.append(Finding(kind, Scope.RESPONSE_HEADER, f"{where} header {name}"))
                continue
            new_name, other = new_headers[key]
            location = f"{where} header {new_name}"
            was, now = bool(header.get("required")), bool(other.get("required"))
            if was != now:
                found.append(Finding(K.BECAME_REQUIRED if now else K.BECAME_OPTIONAL, Scope.RESPONSE_HEADER,
                                     location))
            found.extend(_findings(self.schemas(header.get("schema"), other.get("schema")), location,
                                   Scope.RESPONSE_HEADER, Scope.RESPONSE_HEADER))
        for key, (name, _) in new_headers.items():
            if key not in old_headers:
                found.append(Finding(K.HEADER_ADDED, Scope.RESPONSE_HEADER, f"{where} header {name}"))

    @staticmethod
    def _header_map(doc: Mapping[str, Any], headers: Any) -> dict[str, tuple[str, Mapping[str, Any]]]:
        if not isinstance(headers, Mapping):
            return {}
        out = {}
        for name, header in headers.items():
            header = deref(doc, header)
            # HTTP header names are case-insensitive, and OpenAPI says Content-Type is ignored here.
            if isinstance(header, Mapping) and str(name).lower() != "content-type":
                out[str(name).lower()] = (str(name), header)
        return out

    @staticmethod
    def _security(old: list[Any] | None, new: list[Any] | None, found: list[Finding]) -> None:
        if old == new:
            return
        old_ways, new_ways = _security_ways(old), _security_ways(new)
        old_open, new_open = frozenset() in old_ways, frozenset() in new_ways
        if old_open and not new_open:
            found.append(Finding(K.SECURITY_REQUIRED, Scope.SECURITY, "security", _ways_label(new_ways)))
            return
        if new_open and not old_open:
            found.append(Finding(K.SECURITY_DROPPED, Scope.SECURITY, "security"))
            return
        for schemes, scopes in old_ways.items():
            if not schemes:
                continue
            label = " + ".join(sorted(schemes))
            if schemes not in new_ways:
                found.append(Finding(K.SECURITY_REMOVED, Scope.SECURITY, "security", label))
                continue
            now = new_ways[schemes]
            for scope in sorted(now - scopes):
                found.append(Finding(K.SCOPE_ADDED, Scope.SECURITY, "security", scope, label))
            for scope in sorted(scopes - now):
                found.append(Finding(K.SCOPE_REMOVED, Scope.SECURITY, "security", scope, label))
        for schemes in new_ways:
            if schemes and schemes not in old_ways:
                found.append(Finding(K.SECURITY_ADDED, Scope.SECURITY, "security", " + ".join(sorted(schemes))))


def _findings(raws: Iterable[Raw], where: str, root: Scope, below: Scope) -> list[Finding]:
    return [Finding(kind, root if not path else below, f"{where} {path}" if path else where, subject, old, new)
            for kind, path, subject, old, new, _ in raws]


def _is_map(obj: Any) -> bool:
    # `type(...) is dict` first: the ABC check alone is slow, and this runs for every parameter and media type.
    return type(obj) is dict or isinstance(obj, Mapping)


def _media_types(content: Any) -> dict[str, Any]:
    if not _is_map(content):
        return {}
    return {str(name).lower().replace(" ", ""): media for name, media in content.items()}


def _schema_of(media: Any) -> Any:
    return media.get("schema") if _is_map(media) else None


def _param_key(place: str, name: str) -> tuple[str, str]:
    # Header names are case-insensitive; the others are not.
    return place, name.lower() if place == "header" else name


def _param_label(p: Mapping[str, Any]) -> str:
    return f"{p['in']} parameter {p['name']}"


def _param_required(p: Mapping[str, Any]) -> bool:
    return bool(p.get("required", p.get("in") == "path"))


def _param_schema(p: Mapping[str, Any]) -> Any:
    schema = p.get("schema")
    if schema is None and isinstance(p.get("content"), Mapping):
        # A parameter described by `content` carries its schema one level down.
        media = next(iter(p["content"].values()), None)
        schema = media.get("schema") if isinstance(media, Mapping) else None
    return schema


def _security_ways(requirements: list[Any] | None) -> dict[frozenset[str], frozenset[str]]:
    """The accepted ways in: each a set of schemes used together, with the scopes they need; an empty set is
    "no credentials", which no stated security (or an empty requirement) means."""
    if not requirements:
        return {frozenset(): frozenset()}
    ways: dict[frozenset[str], frozenset[str]] = {}
    for requirement in requirements:
        if not isinstance(requirement, Mapping):
            continue
        schemes = frozenset(str(name) for name in requirement)
        scopes = frozenset(f"{name}:{s}" if len(requirement) > 1 else str(s)
                           for name, listed in requirement.items() for s in (listed or ()))
        ways[schemes] = ways.get(schemes, frozenset()) | scopes
    return ways


def _ways_label(ways: Mapping[frozenset[str], frozenset[str]]) -> str:
    return " or ".join(" + ".join(sorted(schemes)) for schemes in sorted(ways, key=sorted) if schemes)


def _shape(path: str) -> str:
    return _PATH_PARAM.sub("{}", path)


def _match(old: list[_Operation], new: list[_Operation]) -> tuple[
        list[tuple[_Operation, _Operation]], list[_Operation], list[_Operation]]:
    """Pairs operations by method and path; those left over, by method and path shape when the shape is
    unambiguous on both sides (a renamed path parameter), since the docs can hold `GET /X/{id}` and
    `GET /X/{state}` side by side."""
    new_by_path = {(op.method, op.path): op for op in new}
    pairs: list[tuple[_Operation, _Operation]] = []
    left_old: list[_Operation] = []
    for op in old:
        other = new_by_path.pop((op.method, op.path), None)
        if other is None:
            left_old.append(op)
        else:
            pairs.append((op, other))
    left_new = list(new_by_path.values())
    if not left_old or not left_new:
        return pairs, left_old, left_new
    old_shapes: dict[tuple[str, str], list[_Operation]] = {}
    new_shapes: dict[tuple[str, str], list[_Operation]] = {}
    for op in left_old:
        old_shapes.setdefault((op.method, _shape(op.path)), []).append(op)
    for op in left_new:
        new_shapes.setdefault((op.method, _shape(op.path)), []).append(op)
    matched: set[int] = set()
    for key, ops in old_shapes.items():
        others = new_shapes.get(key, [])
        if len(ops) == 1 and len(others) == 1:
            pairs.append((ops[0], others[0]))
            matched.update((id(ops[0]), id(others[0])))
    return (pairs, [op for op in left_old if id(op) not in matched],
            [op for op in left_new if id(op) not in matched])


def _operation_diff(op: _Operation, state: OperationState, findings: list[Finding]) -> OperationDiff:
    return OperationDiff(op.method, op.path, op.operation_id, state, tuple(classify(f) for f in findings))
