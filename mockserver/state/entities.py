"""Inferring stateful entities and each operation's role on them from an OpenAPI document (rules in the README)."""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any

from ..coherence import derived_names
from ..responses import success_code, status_for
from ..errors import SpecError
from ..spec import OperationSpec, RefFollower, declared_type, iter_operations, normalise, ref_name
from .errors import OverridesError

# Ids the server hands out for POST/Create start here: the data generator draws ids from 1..99,999, so a created
# record can never collide with a generated one, and an id at or above this that was not created is unknown (404).
CREATED_ID_START = 1_000_001

_PARAM = re.compile(r"^\{([^{}]+)\}$")
_VERB = re.compile(r"^([A-Z][a-z]+)(.*)$")
_STEM = re.compile(r"(WithLinks|Entity|Info|Carrier|Item|Summary)$")
_CREATED = ("created", "createddate", "registered", "registereddate", "createdat")
_UPDATED = ("updated", "updateddate", "lastmodified", "modified", "updatedat", "modifieddate")


class Role(str, Enum):
    CREATE = "create"            # POST /X, Agents/.../Create|Start|Add|Insert<carrier>: fresh id, store, answer
    READ = "read"                # GET /X/{id}, Agents/.../Get<carrier> {Id}
    REPLACE = "replace"          # PUT /X/{id}, Agents/.../Update<carrier>
    UPSERT = "upsert"            # Agents/.../Save<carrier>: id 0/absent creates, otherwise replaces
    PATCH = "patch"              # PATCH /X/{id}: JSON Patch or Merge Patch by Content-Type
    DELETE = "delete"            # DELETE /X/{id}, Agents/.../Delete<carrier> {XId}
    DELETE_MANY = "delete_many"  # Agents/.../Delete<carrier>s {XIds}
    LIST = "list"                # GET /X, GET /X/{enum}, Agents/.../Get<carrier>s[By...]
    STOP = "stop"                # a lifecycle's stop operation (overrides file): ends the record's run


class Reply(str, Enum):
    """What the documented success response carries, so the engine answers in the documented shape."""

    NONE = "none"          # no body (204)
    ID = "id"              # the record's id (int32 for StartBatchJob)
    RECORD = "record"      # the stored record
    LIST = "list"          # an array of records
    ENVELOPE = "envelope"  # an OData-style object with a `value` array of rows
    TRUE = "true"          # a boolean: true
    GENERATE = "generate"  # anything else: the server generates the documented body as usual


@dataclass(frozen=True, slots=True)
class Filter:
    """`source` (a parameter or body field, where = path|query|body) selects records whose `prop` matches it."""

    source: str
    where: str
    prop: str
    many: bool  # the source is a list (AssociateIds): a record matches if its prop is any of the values


@dataclass(frozen=True, slots=True)
class Entity:
    name: str
    id_field: str
    id_type: str                          # "integer" | "string"
    carriers: tuple[str, ...]             # components.schemas names that carry this entity
    base_operation: str | None            # the operation whose generated body is the canonical base record
    base_param: str | None                # its path parameter for the id (None: the id is not in the path)
    created_fields: tuple[str, ...] = ()  # set when a record is created
    updated_fields: tuple[str, ...] = ()  # set on every write
    origin: str = "inferred"              # inferred | overrides
    wildcards: frozenset[str] = frozenset()  # properties whose enum lists "All": filtering by All matches any
    enums: Mapping[str, tuple[str, ...]] = field(default_factory=dict, compare=False)  # property -> allowed values
    properties: Mapping[str, str] = field(default_factory=dict, compare=False)  # lower -> top-level name
    names: Mapping[str, str] = field(default_factory=dict, compare=False)       # lower -> any property name
    full_name: tuple[str, str, str] | None = None  # first, last, full name, when the full name is derived

    def prop(self, name: str) -> str | None:
        return self.properties.get(name.lower())


@dataclass(frozen=True, slots=True)
class Action:
    """One operation's compiled stateful behaviour."""

    operation_id: str
    method: str
    path: str
    entity: Entity
    role: Role
    reply: Reply
    status: int                               # the documented success status
    id_source: tuple[str, str] | None = None  # ("path", "id") | ("query", "personId") | ("body", "BatchTaskId")
    body_prop: str | None = None              # body field that wraps the record ({"BatchTaskInfo": {...}})
    filters: tuple[Filter, ...] = ()
    paging: bool = False                      # $top / $skip are documented
    ignored: tuple[str, ...] = ()             # list inputs that name no property (reported, not applied)
    origin: str = "inferred"

    def line(self) -> str:
        extra = []
        if self.id_source:
            extra.append(f"id from {self.id_source[0]} {self.id_source[1]}")
        if self.body_prop:
            extra.append(f"record in body.{self.body_prop}")
        if self.filters:
            extra.append("filters " + ", ".join(
                f"{f.where}.{f.source}{'[]' if f.many else ''}->{f.prop}" for f in self.filters))
        if self.paging:
            extra.append("$top/$skip")
        if self.ignored:
            extra.append("ignored " + ", ".join(self.ignored))
        if self.reply is not Reply.RECORD:
            extra.append(f"replies {self.reply.value}")
        if self.origin != "inferred":
            extra.append(self.origin)
        tail = f"  ({'; '.join(extra)})" if extra else ""
        return f"    {self.role.value:<11} {self.method:<6} {self.path}  {self.operation_id}{tail}"


@dataclass(frozen=True, slots=True)
class Inference:
    entities: tuple[Entity, ...]
    actions: Mapping[str, Action]
    notes: tuple[str, ...]  # what inference looked at and skipped, for describe()
    memo: InferenceMemo | None = field(default=None, compare=False, repr=False)


class InferenceMemo:
    """What inference worked out per operation and per component schema, for inferring a reloaded spec
    again: an operation's summary (by the identity of its OperationSpec, which a reload keeps for unchanged
    operations) and the property names reachable from each `$ref` whose meaning did not change."""

    def __init__(self, previous: InferenceMemo | None = None, stale: frozenset[str] = frozenset()) -> None:
        self.ops: dict[int, tuple[OperationSpec, _Op]] = dict(previous.ops) if previous is not None else {}
        # Agent operations' actions. Which entity an agent operation acts on depends on its operation and on
        # each entity's name, id field and carriers (`entities`); what the action holds, on that one entity.
        self.agent: dict[int, tuple[_Op, Action | None]] = dict(previous.agent) if previous is not None else {}
        self.entities: list[Any] | None = previous.entities if previous is not None else None
        self.names: dict[str, dict[str, str]] = {ref: found for ref, found in previous.names.items()
                                                 if ref not in stale} if previous is not None else {}

    def op(self, spec: OperationSpec) -> _Op:
        hit = self.ops.get(id(spec))
        if hit is None or hit[0] is not spec:
            hit = self.ops[id(spec)] = (spec, _compile_op(spec))
        return hit[1]

    def keep_only(self, specs: Iterable[OperationSpec]) -> None:
        self.ops = {id(spec): self.ops[id(spec)] for spec in specs if id(spec) in self.ops}


# -- schema helpers -----------------------------------------------------------------------------------------------


class _Schemas:
    """Schema questions inference asks many times over: every $ref chain is followed once and remembered."""

    def __init__(self, doc: Mapping[str, Any], names: dict[str, dict[str, str]] | None = None) -> None:
        self.doc = doc
        self.components: Mapping[str, Any] = (doc.get("components") or {}).get("schemas") or {}
        self._follow = RefFollower(doc)
        self._names: dict[str, dict[str, str]] = names if names is not None else {}  # $ref -> all_names' finds

    def resolve(self, schema: Any) -> Mapping[str, Any]:
        try:
            schema = self._follow(schema)
        except SpecError:  # a dangling reference: nothing to infer from
            return {}
        # `type(...) is dict` first: the ABC check alone was a tenth of inference on a large spec.
        if not (type(schema) is dict or isinstance(schema, Mapping)):
            return {}
        if isinstance(schema.get("allOf"), list):
            props: dict[str, Any] = {}
            for sub in schema["allOf"]:
                props.update(self.resolve(sub).get("properties") or {})
            return {"type": "object", "properties": {**props, **(schema.get("properties") or {})}}
        return schema

    @staticmethod
    def name(schema: Any) -> str | None:
        if isinstance(schema, Mapping) and isinstance(schema.get("$ref"), str):
            return ref_name(schema["$ref"])
        return None

    def props(self, schema: Any) -> Mapping[str, Any]:
        p = self.resolve(schema).get("properties")
        return p if isinstance(p, Mapping) else {}

    def kind(self, schema: Any) -> str | None:
        s = self.resolve(schema)
        t = declared_type(s)
        return "object" if t is None and "properties" in s else t

    def is_record(self, schema: Any) -> bool:
        """An object with properties that is not a list envelope."""
        props = self.props(schema)
        return bool(props) and not self.is_envelope(schema)

    def is_envelope(self, schema: Any) -> bool:
        props = self.props(schema)
        value = props.get("value")
        return value is not None and self.kind(value) == "array"

    def items(self, schema: Any) -> Any:
        s = self.resolve(schema)
        return s.get("items") if self.kind(s) == "array" else None

    def all_names(self, schema: Any, out: dict[str, str]) -> None:
        """Every property name reachable from `schema` (lower -> spelling), for case-insensitive patch paths."""
        ref = schema.get("$ref") if isinstance(schema, Mapping) else None
        found = self._names.get(ref) if isinstance(ref, str) else None
        if found is None:
            # An entity's record and its carriers are usually the same $ref: walk each once.
            found = self._walk_names(schema)
            if isinstance(ref, str):
                self._names[ref] = found
        for lower, name in found.items():
            out.setdefault(lower, name)

    def _walk_names(self, schema: Any) -> dict[str, str]:
        """lower -> first spelling of each property reachable within 6 levels (depth first, each schema once)."""
        found: dict[str, str] = {}
        seen: set[int] = set()

        def visit(s: Mapping[str, Any], depth: int) -> None:
            if id(s) in seen:  # each schema once: shared components would be walked again and again
                return
            seen.add(id(s))
            deeper = depth < 6
            for k, v in (s.get("properties") or {}).items():
                found.setdefault(k.lower(), k)
                if deeper:
                    visit(self.resolve(v), depth + 1)
            if deeper and isinstance(s.get("items"), Mapping):
                visit(self.resolve(s["items"]), depth + 1)
            if deeper and isinstance(s.get("additionalProperties"), Mapping):
                visit(self.resolve(s["additionalProperties"]), depth + 1)

        visit(self.resolve(schema), 0)
        return found


def _media_schema(content: Any) -> Any:
    if not isinstance(content, Mapping) or not content:
        return None
    media = content.get("application/json") or next(
        (v for k, v in content.items() if "json" in k), None) or next(iter(content.values()))
    return media.get("schema") if isinstance(media, Mapping) else None


@dataclass(frozen=True, slots=True)
class _Op:
    spec: OperationSpec
    segments: tuple[str, ...]
    path_params: Mapping[str, Mapping[str, Any]]
    query_params: tuple[str, ...]
    body: Any
    response: Any
    status: int
    has_body: bool
    prefix: str         # the lower-case path: what a collection's operations share
    parent_prefix: str  # the same without the last segment: what an item's operations share with it

    @property
    def id(self) -> str:
        return self.spec.operation_id


def _prefix(segments: tuple[str, ...]) -> str:
    return "/" + "/".join(segments).lower()


def _compile_op(op: OperationSpec) -> _Op:
    code = success_code(op)
    response = op.responses.get(code) if code else None
    content = response.get("content") if isinstance(response, Mapping) else None
    schema = _media_schema(content)
    segments = tuple(s for s in op.path.split("/") if s)
    return _Op(
        spec=op,
        segments=segments,
        path_params={p.name: p.schema for p in op.parameters if p.location == "path"},
        query_params=tuple(p.name for p in op.parameters if p.location == "query"),
        body=_media_schema((op.request_body or {}).get("content")),
        response=schema,
        status=status_for(code) if code else 200,
        has_body=bool(content),
        prefix=_prefix(segments),
        parent_prefix=_prefix(segments[:-1]),
    )


def stem(schema_name: str) -> str:
    """`PersonEntityWithLinks` -> `Person`, `BatchTaskInfo` -> `BatchTask`: the noun a carrier name is built on."""
    previous = None
    while previous != schema_name:
        previous = schema_name
        schema_name = _STEM.sub("", schema_name) or previous
    return schema_name


# -- inference ----------------------------------------------------------------------------------------------------


class _Inferrer:
    def __init__(self, doc: Mapping[str, Any], overrides: Mapping[str, Any],
                 operations: Iterable[OperationSpec] | None = None, memo: InferenceMemo | None = None) -> None:
        self.memo = memo if memo is not None else InferenceMemo()
        self.s = _Schemas(doc, self.memo.names)
        specs = list(operations) if operations is not None else list(iter_operations(doc))
        self.memo.keep_only(specs)
        self.ops = [self.memo.op(op) for op in specs]
        self.by_id = {op.id: op for op in self.ops}
        # Each entity's REST operations are those at its path prefix or one segment below: index them once
        # (in document order) instead of scanning every operation per entity.
        self.by_prefix: dict[str, list[_Op]] = {}
        for op in self.ops:
            if op.segments:
                self.by_prefix.setdefault(op.prefix, []).append(op)
            if len(op.segments) >= 2:
                self.by_prefix.setdefault(op.parent_prefix, []).append(op)
        self.overrides = overrides
        self.notes: list[str] = []
        self._id_names_of: dict[Entity, set[str]] = {}

    # entities ---------------------------------------------------------------------------------------------------

    def _item_param(self, op: _Op) -> str | None:
        if not op.segments:
            return None
        m = _PARAM.match(op.segments[-1])
        if not m:
            return None
        schema = self.s.resolve(op.path_params.get(m.group(1), {}))
        if "enum" in schema or self.s.kind(schema) not in ("integer", "string", None):
            return None
        return m.group(1)

    def _id_field(self, props: Mapping[str, Any], candidates: Iterable[str]) -> str | None:
        lower = {k.lower(): k for k in props}
        for c in candidates:
            k = lower.get(c.lower())
            if k is not None and self.s.kind(props[k]) in ("integer", "string"):
                return k
        return None

    def _make_entity(self, name: str, carriers: list[str], record_schema: Any, id_field: str,
                     base_operation: str | None, base_param: str | None, origin: str) -> Entity:
        props: dict[str, str] = {}
        names: dict[str, str] = {}
        for schema in [record_schema, *({"$ref": f"#/components/schemas/{c}"} for c in carriers
                                         if c in self.s.components)]:
            for k in self.s.props(schema):
                props.setdefault(k.lower(), k)
            self.s.all_names(schema, names)
        id_schema = self.s.props(record_schema).get(id_field) or {}
        date_props = {k.lower(): k for k, v in self.s.props(record_schema).items()
                      if self.s.kind(v) == "string"}
        enums = {k: tuple(str(x) for x in self.s.resolve(v).get("enum") or ())
                 for k, v in self.s.props(record_schema).items() if self.s.resolve(v).get("enum")}
        wildcards = frozenset(k for k, values in enums.items() if "All" in values)
        return Entity(
            name=name,
            id_field=id_field,
            id_type="integer" if self.s.kind(id_schema) == "integer" else "string",
            carriers=tuple(dict.fromkeys(carriers)),
            base_operation=base_operation,
            base_param=base_param,
            created_fields=tuple(date_props[n] for n in _CREATED if n in date_props),
            updated_fields=tuple(date_props[n] for n in _UPDATED if n in date_props),
            origin=origin,
            wildcards=wildcards,
            enums=enums,
            properties=props,
            names=names,
            full_name=derived_names(self.s.props(record_schema), self.s.resolve),
        )

    def rest_entities(self) -> dict[str, tuple[Entity, str]]:
        """Entities from collection/item path pairs, keyed by lower-case name, with their path prefix."""
        items: dict[str, list[_Op]] = {}
        for op in self.ops:
            param = self._item_param(op)
            if param is None or op.spec.method not in ("GET", "PUT", "PATCH", "DELETE"):
                continue
            prefix = op.segments[:-1]
            if not prefix or any(_PARAM.match(s) for s in prefix):
                continue  # nested resources (/Person/{id}/Consent/{purpose}) are not entities
            items.setdefault(op.parent_prefix, []).append(op)
        collections: dict[str, list[_Op]] = {}
        for op in self.ops:
            if op.segments and not _PARAM.match(op.segments[-1]):
                collections.setdefault(op.prefix, []).append(op)
        found: dict[str, tuple[Entity, str]] = {}
        for prefix, ops in items.items():
            get = next((o for o in ops if o.spec.method == "GET" and self.s.is_record(o.response)), None)
            name = ops[0].segments[-2]
            if get is None:
                shown = "/" + "/".join(ops[0].segments[:-1])
                self.notes.append(f"{name}: no GET {shown}/{{id}} answering an object; not stateful")
                continue
            writes = [o for o in ops if o.spec.method != "GET"] + [
                o for o in collections.get(prefix, ()) if o.spec.method == "POST"]
            if not writes:
                continue  # read-only resources need no memory
            carriers = [n for n in (self.s.name(get.response),) if n]
            for o in writes:
                for schema in (o.body, o.response):
                    n = self.s.name(schema)
                    if n and self.s.is_record(schema):
                        carriers.append(n)
            param = self._item_param(get) or "id"
            props = self.s.props(get.response)
            candidates = [param, "Id", f"{name}Id", *(f"{stem(c)}Id" for c in carriers)]
            id_field = self._id_field(props, candidates)
            if id_field is None:
                self.notes.append(f"{name}: {self.s.name(get.response) or 'the record'} has no id property "
                                  f"({', '.join(dict.fromkeys(candidates))}); not stateful")
                continue
            entity = self._make_entity(name, carriers, get.response, id_field, get.id, param, "inferred")
            found[name.lower()] = (entity, prefix)
        return found

    # actions ----------------------------------------------------------------------------------------------------

    def _reply(self, op: _Op, role: Role) -> Reply:
        if not op.has_body:
            return Reply.NONE
        kind = self.s.kind(op.response)
        if role is Role.LIST:
            if kind == "array":
                return Reply.LIST
            return Reply.ENVELOPE if self.s.is_envelope(op.response) else Reply.GENERATE
        if role in (Role.DELETE, Role.DELETE_MANY, Role.STOP):
            return Reply.TRUE if kind == "boolean" else Reply.RECORD if self.s.is_record(op.response) \
                else Reply.GENERATE
        if self.s.is_record(op.response):
            return Reply.RECORD
        if kind in ("integer", "string") and role in (Role.CREATE, Role.UPSERT):
            return Reply.ID
        if kind == "boolean":
            return Reply.TRUE
        return Reply.GENERATE

    def _filters(self, entity: Entity, inputs: Iterable[tuple[str, str, Any]]) -> tuple[tuple[Filter, ...], tuple[str, ...]]:
        filters: list[Filter] = []
        ignored: list[str] = []
        for source, where, schema in inputs:
            if source.startswith("$"):
                continue
            many = self.s.kind(schema) == "array"
            prop = entity.prop(source)
            if prop is None and source.lower().endswith("s"):
                prop = entity.prop(source[:-1])
                many = many or prop is not None
            if prop is None:
                ignored.append(f"{where}.{source}")
            else:
                filters.append(Filter(source, where, prop, many))
        return tuple(filters), tuple(ignored)

    def _action(self, op: _Op, entity: Entity, role: Role, **kw: Any) -> Action:
        return Action(op.id, op.spec.method, op.spec.path, entity, role, self._reply(op, role), op.status, **kw)

    def rest_actions(self, entity: Entity, prefix: str) -> list[Action]:
        out = []
        for op in self.by_prefix.get(prefix, ()):
            segs = op.segments
            method = op.spec.method
            if op.prefix == prefix:
                if method == "POST":
                    out.append(self._action(op, entity, Role.CREATE))
                elif method == "GET" and (self.s.is_envelope(op.response) or self.s.kind(op.response) == "array"):
                    filters, ignored = self._filters(entity, [(q, "query", {}) for q in op.query_params])
                    out.append(self._action(op, entity, Role.LIST, filters=filters, ignored=ignored,
                                            paging=self._paging(op)))
                continue
            if len(segs) < 2 or op.parent_prefix != prefix or not _PARAM.match(segs[-1]):
                continue
            param = _PARAM.match(segs[-1]).group(1)  # type: ignore[union-attr]
            if self._item_param(op) is None or (method == "GET" and self.s.kind(op.response) == "array"):
                if method == "GET" and self.s.kind(op.response) == "array":
                    inputs = [(param, "path", op.path_params[param])] + [(q, "query", {}) for q in op.query_params]
                    filters, ignored = self._filters(entity, inputs)
                    out.append(self._action(op, entity, Role.LIST, filters=filters, ignored=ignored,
                                            paging=self._paging(op)))
                continue
            role = {"GET": Role.READ, "PUT": Role.REPLACE, "PATCH": Role.PATCH, "DELETE": Role.DELETE}.get(method)
            if role is not None:
                out.append(self._action(op, entity, role, id_source=("path", param)))
        return out

    @staticmethod
    def _paging(op: _Op) -> bool:
        return "$top" in op.query_params or "$skip" in op.query_params

    def _id_names(self, entity: Entity) -> set[str]:
        names = self._id_names_of.get(entity)
        if names is None:  # asked once per agent operation and entity: thousands of times on a large spec
            names = {"id", entity.name.lower() + "id", entity.id_field.lower()}
            names.update(stem(c).lower() + "id" for c in entity.carriers)
            names.update(c.lower() + "id" for c in entity.carriers)  # contactEntityId names a ContactEntity
            self._id_names_of[entity] = names
        return names

    def _body_carriers(self, op: _Op) -> list[tuple[str | None, str | None]]:
        """(wrapping field or None for the body itself, the schema name there): where a record may ride."""
        return [(None, self.s.name(op.body)), *((k, self.s.name(v)) for k, v in self.s.props(op.body).items())]

    @staticmethod
    def _carrier_prop(body_carriers: list[tuple[str | None, str | None]], entity: Entity) -> tuple[bool, str | None]:
        """Whether the body carries a record of `entity`, and the wrapping field (None: the body is the record)."""
        for prop, name in body_carriers:
            if name is not None and name in entity.carriers:
                return True, prop
        return False, None

    def agent_action(self, op: _Op, entities: list[Entity], by_carrier: Mapping[str, Entity]) -> Action | None:
        """`by_carrier` maps each of `entities`' carriers to its entity (the last entity listing it wins)."""
        if op.spec.method != "POST" or not op.segments or _PARAM.match(op.segments[-1]):
            return None
        m = _VERB.match(op.segments[-1])
        if not m:
            return None
        verb, noun = m.group(1), m.group(2)
        if noun.startswith("Default"):
            return None  # CreateDefaultX answers a blank template; nothing is stored
        response_carrier = self.s.name(op.response) or self.s.name(self.s.items(op.response))
        body_props = self.s.props(op.body)
        if verb in ("Create", "Start", "Add", "Insert", "Update", "Save", "Store"):
            body_carriers = self._body_carriers(op)
            for e in entities:
                carries, prop = self._carrier_prop(body_carriers, e)
                if carries:
                    role = {"Update": Role.REPLACE, "Save": Role.UPSERT, "Store": Role.UPSERT}.get(verb, Role.CREATE)
                    return self._action(op, e, role, body_prop=prop)
            return None
        if verb == "Get":
            entity = by_carrier.get(response_carrier or "")
            if entity is None:
                return None
            if self.s.kind(op.response) == "array":
                filters, ignored = self._filters(entity, [(k, "body", v) for k, v in body_props.items()])
                return self._action(op, entity, Role.LIST, filters=filters, ignored=ignored)
            ids = self._id_names(entity)
            field_ = next((k for k, v in body_props.items()
                           if k.lower() in ids and self.s.kind(v) in ("integer", "string")), None)
            if field_ is not None:
                return self._action(op, entity, Role.READ, id_source=("body", field_))
            # GetContactEntity?contactEntityId=5: the id in the query.
            param = next((q for q in op.query_params if q.lower() in ids), None)
            return self._action(op, entity, Role.READ, id_source=("query", param)) if param else None
        if verb in ("Delete", "Remove"):
            for e in entities:
                # What is deleted is what the name says: RemoveOwnerContact {ContactId} unlinks an owner from a
                # contact and deletes no contact, although its body names one.
                if stem(noun).lower().rstrip("s") not in {e.name.lower(), *(stem(c).lower() for c in e.carriers)}:
                    continue
                ids = self._id_names(e)
                for k, v in body_props.items():
                    low = k.lower()
                    kind = self.s.kind(v)
                    if kind in ("integer", "string") and low in ids:
                        return self._action(op, e, Role.DELETE, id_source=("body", k))
                    if kind == "array" and low.endswith("s") and low[:-1] in ids:
                        return self._action(op, e, Role.DELETE_MANY, id_source=("body", k))
            return None
        return None

    # overrides --------------------------------------------------------------------------------------------------

    def override_entity(self, name: str, spec: Mapping[str, Any], existing: Entity | None) -> Entity:
        if not isinstance(spec, Mapping):
            raise OverridesError(f"entities.{name}: expected a mapping or false")
        carriers = spec.get("carriers", list(existing.carriers) if existing else [])
        if isinstance(carriers, str):
            carriers = [carriers]
        if not isinstance(carriers, list) or not carriers or not all(isinstance(c, str) for c in carriers):
            raise OverridesError(f"entities.{name}.carriers: a list of components.schemas names is required")
        for c in carriers:
            if c not in self.s.components:
                raise OverridesError(f"entities.{name}.carriers: {c!r} is not in components.schemas")
        record = {"$ref": f"#/components/schemas/{carriers[0]}"}
        id_field = spec.get("id") or (existing.id_field if existing else None) or self._id_field(
            self.s.props(record), ["Id", f"{name}Id", *(f"{stem(c)}Id" for c in carriers)])
        if not isinstance(id_field, str):
            raise OverridesError(f"entities.{name}.id: name the id property of {carriers[0]}")
        base = spec.get("base", existing.base_operation if existing else None)
        if base is not None and base not in self.by_id:
            raise OverridesError(f"entities.{name}.base: no operation {base!r}")
        base_param = existing.base_param if existing and base == existing.base_operation else None
        if base is not None and base_param is None:
            base_param = self._item_param(self.by_id[base])
        entity = self._make_entity(name, list(carriers), record, id_field, base, base_param, "overrides")
        if entity.prop(id_field) is None:
            raise OverridesError(f"entities.{name}.id: {id_field!r} is not a property of {carriers[0]}")
        return entity

    def override_action(self, op_id: str, spec: Mapping[str, Any], entities: Mapping[str, Entity]) -> Action:
        where = f"operations.{op_id}"
        if not isinstance(spec, Mapping):
            raise OverridesError(f"{where}: expected a mapping or false")
        op = self.by_id.get(op_id)
        if op is None:
            raise OverridesError(f"{where}: no operation with that operationId")
        entity = entities.get(str(spec.get("entity", "")).lower())
        if entity is None:
            raise OverridesError(f"{where}.entity: {spec.get('entity')!r} is not an entity "
                                 f"(known: {', '.join(e.name for e in entities.values()) or 'none'})")
        try:
            role = Role(str(spec.get("role", "")).lower())
        except ValueError:
            raise OverridesError(f"{where}.role: one of {', '.join(r.value for r in Role)}") from None
        id_source = None
        if "id" in spec:
            name = str(spec["id"])
            id_source = ("path", name) if name in op.path_params else ("body", name)
        elif role in (Role.READ, Role.REPLACE, Role.PATCH, Role.DELETE, Role.DELETE_MANY) and op.path_params:
            id_source = ("path", next(reversed(list(op.path_params))))
        if role in (Role.READ, Role.PATCH, Role.DELETE, Role.DELETE_MANY) and id_source is None:
            raise OverridesError(f"{where}.id: role {role.value} needs the path parameter or body field of the id")
        filters: list[Filter] = []
        raw_filters = spec.get("filters") or {}
        if not isinstance(raw_filters, Mapping):
            raise OverridesError(f"{where}.filters: a mapping of request field -> record property")
        body_props = self.s.props(op.body)
        for source, prop in raw_filters.items():
            target = entity.prop(str(prop))
            if target is None:
                raise OverridesError(f"{where}.filters.{source}: {prop!r} is not a property of {entity.name}")
            if source in op.path_params:
                where_ = "path"
            elif source in op.query_params:
                where_ = "query"
            else:
                where_ = "body"
            schema = op.path_params.get(source) or body_props.get(source) or {}
            filters.append(Filter(str(source), where_, target, self.s.kind(schema) == "array"))
        body_prop = spec.get("body")
        return Action(op.id, op.spec.method, op.spec.path, entity, role, self._reply(op, role), op.status,
                      id_source=id_source, body_prop=str(body_prop) if body_prop else None,
                      filters=tuple(filters), paging=self._paging(op), origin="overrides")

    def stop_action(self, op_id: str, entity: Entity) -> Action | None:
        """A lifecycle's stop operation: the id from its last path parameter, else from a body field that names
        the entity's id (`Id`, `BatchTaskId`)."""
        op = self.by_id.get(op_id)
        if op is None:
            return None  # compile_lifecycles names the unknown operation
        if op.path_params:
            return self._action(op, entity, Role.STOP, id_source=("path", next(reversed(list(op.path_params)))),
                                origin="overrides")
        ids = self._id_names(entity)
        field_ = next((k for k, v in self.s.props(op.body).items()
                       if k.lower() in ids and self.s.kind(v) in ("integer", "string")), None)
        return self._action(op, entity, Role.STOP, id_source=("body", field_) if field_ else None,
                            origin="overrides")

    def lifecycle_actions(self, entities: Mapping[str, Entity]) -> dict[str, Action]:
        """The stop operations the overrides file's `lifecycles` name (the rest is checked by compile_lifecycles)."""
        out: dict[str, Action] = {}
        raw = self.overrides.get("lifecycles")
        for name, spec in (raw.items() if isinstance(raw, Mapping) else ()):
            entity = entities.get(str(name).lower())
            stop = spec.get("stop") if isinstance(spec, Mapping) else None
            ops = stop.get("operations") if isinstance(stop, Mapping) else None
            for op_id in ([ops] if isinstance(ops, str) else ops if isinstance(ops, list) else []):
                action = self.stop_action(str(op_id), entity) if entity is not None else None
                if action is not None:
                    out[action.operation_id] = action
        return out

    # all --------------------------------------------------------------------------------------------------------

    def run(self) -> Inference:
        ov_entities = self.overrides.get("entities") or {}
        ov_ops = self.overrides.get("operations") or {}
        rest = self.rest_entities()
        entities: dict[str, Entity] = {k: e for k, (e, _) in rest.items()}
        prefixes = {k: p for k, (_, p) in rest.items()}
        for name, spec in ov_entities.items():
            key = str(name).lower()
            if spec is False or spec is None:
                entities.pop(key, None)
                self.notes.append(f"{name}: disabled by the overrides file")
                continue
            entities[key] = self.override_entity(str(name), spec, entities.get(key))
        actions: dict[str, Action] = {}
        for key, entity in entities.items():
            if key in prefixes:
                for a in self.rest_actions(entity, prefixes[key]):
                    actions[a.operation_id] = a
        ordered = list(entities.values())
        by_carrier = {c: e for e in ordered for c in e.carriers}
        decision = [(e.name, e.id_field, e.carriers) for e in ordered]
        known = self.memo.agent if decision == self.memo.entities else {}
        current = {e.name: e for e in ordered}
        agent: dict[int, tuple[_Op, Action | None]] = {}
        for op in self.ops:
            if op.id in actions:
                continue
            hit = known.get(id(op))
            if hit is not None and hit[0] is op and (hit[1] is None or _same_entity(hit[1].entity, current)):
                a = hit[1]
            else:
                a = self.agent_action(op, ordered, by_carrier)
            agent[id(op)] = (op, a)
            if a is not None:
                actions[op.id] = a
        self.memo.agent, self.memo.entities = agent, decision
        for op_id, spec in ov_ops.items():
            if spec is False or spec is None:
                actions.pop(str(op_id), None)
                if str(op_id) not in self.by_id:
                    raise OverridesError(f"operations.{op_id}: no operation with that operationId")
                continue
            actions[str(op_id)] = self.override_action(str(op_id), spec, entities)
        actions.update(self.lifecycle_actions(entities))
        # Entities whose base operation has no action still need one canonical generator; fall back to any read.
        fixed: dict[str, Entity] = {}
        for key, e in entities.items():
            if e.base_operation is None:
                read = next((a for a in actions.values() if a.entity.name == e.name and a.role is Role.READ), None)
                if read is not None:
                    fixed[key] = replace(e, base_operation=read.operation_id,
                                         base_param=read.id_source[1] if read.id_source[0] == "path" else None)
        if fixed:
            entities.update(fixed)
            actions = {k: replace(a, entity=fixed.get(a.entity.name.lower(), a.entity)) for k, a in actions.items()}
        # Keep the action's entity object identical to the listed one (overrides may have rebuilt it).
        actions = {k: (a if entities.get(a.entity.name.lower()) is a.entity
                       else replace(a, entity=entities[a.entity.name.lower()])) for k, a in actions.items()}
        used = {a.entity.name for a in actions.values()}
        final = tuple(e for e in entities.values() if e.name in used)
        return Inference(final, actions, tuple(self.notes), self.memo)


def _same_entity(entity: Entity, current: Mapping[str, Entity]) -> bool:
    """Whether `entity` is, in everything an action uses, the entity of that name in `current`."""
    now = current.get(entity.name)
    return now is not None and (now is entity or (now == entity and now.enums == entity.enums and
                                                   now.properties == entity.properties and now.names == entity.names))


def infer(spec: Mapping[str, Any], overrides: Mapping[str, Any] | None = None, *,
          operations: Iterable[OperationSpec] | None = None, memo: InferenceMemo | None = None) -> Inference:
    """Entities and per-operation actions for `spec` (an OpenAPI 3.0/3.1 dict), corrected by `overrides`.

    `operations`: the spec's operations, when the caller has them already (the server routes them); `memo`:
    what inferring the spec this one was reloaded from worked out (InferenceMemo)."""
    return _Inferrer(normalise(spec), overrides or {}, operations, memo).run()
