"""Planning each documented response once (generator, media types, examples, id filling) and rendering it per request."""
from __future__ import annotations

import json
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from . import jsoncodec
from .fakedata import DataFactory, Gen
from .negotiation import Negotiator, media_key, structured_kind
from .spec import OperationSpec, declared_type, deref, in_any_case, ref_name
from .state.records import plain
from .xmlcodec import XmlWriter

_INT = re.compile(r"[+-]?\d+\Z")
_INT_BOUNDS = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}
# Tiny but real files, so an <img> pointed at the mock renders instead of showing a broken icon.
_PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000" "1f15c4890000000d49444154789c6360f8cfc0f01f0005"
    "0101ff7e0bd1e60000000049454e44ae426082")
_GIF_1PX = bytes.fromhex("47494638396101000100800000ffffff00000021f90401000000002c00000000010001000002024401003b")
_FIXED_BINARY = {"image/png": _PNG_1PX, "image/gif": _GIF_1PX}
# Placeholder types to answer with when the spec offers only a wildcard.
_WILDCARD_ANSWER = {"image/*": "image/png", "*/*": "application/octet-stream", "text/*": "text/plain",
                    "application/*": "application/octet-stream"}


def _serializer(media: str) -> str:
    return structured_kind(media) or ("text" if media.startswith("text/") else "binary")


@dataclass(frozen=True, slots=True)
class MediaPlan:
    """How to produce one media type of one response."""

    media: str
    content_type: str
    kind: str
    schema: Any
    gen: Gen
    examples: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class IdFill:
    """A request parameter whose value the answer echoes: `within` the nested properties, `prop` set to it."""

    location: str                      # path | query
    param: str
    within: tuple[str, ...]
    prop: str
    kind: str                          # integer | string
    bounds: tuple[int, int] | None     # of an integer property: a value outside is not echoed


@dataclass(frozen=True, slots=True)
class StatusPlan:
    """One documented response: its status, media types on offer, header generators and id-filling rules."""

    status: int
    media: Mapping[str, MediaPlan]
    offers: tuple[str, ...]
    headers: tuple[tuple[str, Gen], ...]
    id_fill: tuple[IdFill, ...]
    select_info: Mapping[str, tuple[bool, bool]]  # property -> (nullable, required), for $select

    @property
    def has_body(self) -> bool:
        return bool(self.media) and self.status not in (204, 304) and not (100 <= self.status < 200)


def status_for(code: str) -> int:
    """"200" -> 200, "4XX" -> 400, "default" -> 200 (the success it usually stands in for)."""
    if code.isdigit():
        return int(code)
    if len(code) == 3 and code[0].isdigit() and code[1:].upper() == "XX":
        return int(code[0]) * 100
    return 200


def success_code(op: OperationSpec) -> str | None:
    """The documented success response: lowest 2xx, else 2XX, else default, else the first documented."""
    codes = list(op.responses)
    twos = sorted(c for c in codes if c.isdigit() and c.startswith("2"))
    if twos:
        return twos[0]
    for candidate in ("2XX", "2xx", "default"):
        if candidate in codes:
            return candidate
    return codes[0] if codes else None


class ResponsePlanner:
    def __init__(self, doc: Mapping[str, Any], factory: DataFactory, xml: XmlWriter) -> None:
        self.doc = doc
        self.factory = factory
        self.xml = xml

    def plan(self, op: OperationSpec, code: str) -> StatusPlan:
        response = deref(self.doc, op.responses.get(code) or {})
        media: dict[str, MediaPlan] = {}
        for raw_media, obj in _contents(response):
            key = media_key(raw_media)
            schema = obj.get("schema", {})
            examples: dict[str, Any] = {}
            for name, ex in (obj.get("examples") or {}).items():
                ex = deref(self.doc, ex)
                if isinstance(ex, Mapping) and "value" in ex:
                    examples[name] = ex["value"]
            if "example" in obj:
                examples.setdefault("example", obj["example"])
            answer = _WILDCARD_ANSWER.get(key, key)
            kind = _serializer(answer)
            charset = "; charset=utf-8" if kind in ("json", "xml", "text") else ""
            media[key] = MediaPlan(key, answer + charset, kind, schema, self.factory.generator(schema), examples)
        headers = tuple((name, self.factory.generator(h.get("schema", {}), name))
                        for name, h in self._required_headers(response))
        return StatusPlan(status_for(code), media, tuple(media), headers, self._id_fill(op, media),
                          self._select_info(media))

    def check(self, op: OperationSpec) -> None:
        """Raise the SpecError `plan` would raise for any of `op`'s responses (a dangling, external or circular
        $ref), without compiling generators: start-up runs this, `plan` waits for the operation's first request."""
        for code in op.responses:
            response = deref(self.doc, op.responses.get(code) or {})
            for _, obj in _contents(response):
                self.factory.check(obj.get("schema", {}))
                for ex in (obj.get("examples") or {}).values():
                    deref(self.doc, ex)
            for _, h in self._required_headers(response):
                self.factory.check(h.get("schema", {}))

    def _required_headers(self, response: Any) -> list[tuple[str, Mapping[str, Any]]]:
        """The response headers an answer must carry (Content-Type is the answer's own), $refs resolved."""
        out = []
        for name, h in (response.get("headers") or {}).items() if isinstance(response, Mapping) else ():
            h = deref(self.doc, h)
            if isinstance(h, Mapping) and name.lower() != "content-type" and h.get("required", False):
                out.append((name, h))
        return out

    def _select_info(self, media: Mapping[str, MediaPlan]) -> Mapping[str, tuple[bool, bool]]:
        if not media:
            return {}
        resolved = _resolve(self.doc, next(iter(media.values())).schema)
        if declared_type(resolved) == "array":
            resolved = _resolve(self.doc, resolved.get("items", {}))
        props = resolved.get("properties") if isinstance(resolved.get("properties"), Mapping) else {}
        required = set(resolved.get("required") or ())
        return {k: (_nullable(self.doc, v), k in required) for k, v in props.items()}

    def _id_fill(self, op: OperationSpec, media: Mapping[str, MediaPlan]) -> tuple[IdFill, ...]:
        """Which path or query parameter fills which property of the answer, so that it echoes the id asked for:
        `/BatchTask/{id}` -> `Id`, `/Person/{id}` -> `PersonId`, `GetContactEntity?contactEntityId=` -> `ContactId`,
        and `/Person/{id}/Summary` -> `Person.PersonId` (the carrier the resource names, one level down)."""
        inputs = [p for p in op.parameters if p.location == "path" or
                  (p.location == "query" and p.name.lower().endswith("id"))]
        if not inputs or not media:
            return ()
        schema = next(iter(media.values())).schema
        top = self._id_targets(schema)
        if top is None:
            return ()
        resource = _resource_noun(op.path)
        out = []
        for p in inputs:
            within: tuple[str, ...] = ()
            found = self._id_target(top, p.name, p.location)
            if found is None and resource and p.location == "path":
                # A sub-resource (/Person/{id}/Summary) answers a carrier of its own that holds the resource's.
                nested = next((k for k in top[2] if k.lower() == resource), None)
                inner = self._id_targets(top[2][nested]) if nested is not None else None
                found = self._id_target(inner, p.name, p.location) if inner is not None else None
                within = (nested,) if nested is not None else ()
            if found is not None:
                out.append(IdFill(p.location, p.name, within, *found))
        return tuple(out)

    def _id_targets(self, schema: Any) -> tuple[str, dict[str, str], Mapping[str, Any]] | None:
        """(carrier stem, lower-case name -> property name, properties) of an object schema, else None."""
        name = ref_name(schema["$ref"]) if isinstance(schema, Mapping) and isinstance(schema.get("$ref"), str) else ""
        resolved = _resolve(self.doc, schema)
        props = resolved.get("properties") if isinstance(resolved.get("properties"), Mapping) else None
        if not props:
            return None
        return _carrier_stem(name), {k.lower(): k for k in props}, props

    def _id_target(self, targets: tuple[str, dict[str, str], Mapping[str, Any]], param: str,
                   location: str) -> tuple[str, str, tuple[int, int] | None] | None:
        """(property, its kind, integer bounds) the parameter `param` fills in an object, else None."""
        carrier, lower, props = targets
        wanted = param.lower()
        target = lower.get(wanted)
        if target is None and wanted == "id" and location == "path":
            target = lower.get(carrier + "id") if carrier else None
        if target is None and wanted != "id":
            # contactEntityId names a ContactEntity, whose id is ContactId (or Id in the carrier itself).
            noun = _carrier_stem(wanted[:-2])
            target = lower.get(noun + "id") or (lower.get("id") if noun and noun == carrier else None)
        if target is None:
            return None
        prop = _resolve(self.doc, props[target])
        kind = prop.get("type")
        if isinstance(kind, list):
            kind = next((t for t in kind if t != "null"), None)
        if kind not in ("integer", "string") or "enum" in prop or "const" in prop:
            return None
        if kind == "string" and any(k in prop for k in ("pattern", "format", "minLength", "maxLength")):
            return None  # an id of any length and shape may not fit: the generated value stays
        bounds = _INT_BOUNDS.get(str(prop.get("format")), None) if kind == "integer" else None
        if kind == "integer" and ("minimum" in prop or "maximum" in prop):
            low = prop.get("minimum", -(2**63))
            high = prop.get("maximum", 2**63 - 1)
            bounds = (max(low, (bounds or (low, high))[0]), min(high, (bounds or (low, high))[1]))
        return target, kind, bounds


def _carrier_stem(name: str) -> str:
    return re.sub(r"(entity|info|carrier|item)$", "", name, flags=re.I).lower()


def _resource_noun(path: str) -> str:
    """`person` for /api/v1/Person/{id}/Summary: the literal segment before the first parameter."""
    segments = path.strip("/").split("/")
    first = next((i for i, seg in enumerate(segments) if seg.startswith("{")), None)
    return segments[first - 1].lower() if first else ""


def _contents(response: Any) -> list[tuple[str, Mapping[str, Any]]]:
    """(media type, media type object) of a response; a malformed media type object counts as empty."""
    if not isinstance(response, Mapping):
        return []
    return [(media, obj if isinstance(obj, Mapping) else {}) for media, obj in (response.get("content") or {}).items()]


def _resolve(doc: Mapping[str, Any], schema: Any) -> Mapping[str, Any]:
    from .spec import follow_refs

    schema = follow_refs(doc, schema)
    if isinstance(schema, Mapping) and isinstance(schema.get("allOf"), list):
        props: dict[str, Any] = {}
        for sub in schema["allOf"]:
            props.update(_resolve(doc, sub).get("properties") or {})
        return {"type": "object", "properties": {**props, **(schema.get("properties") or {})}}
    return schema if isinstance(schema, Mapping) else {}


def _nullable(doc: Mapping[str, Any], schema: Any) -> bool:
    """Whether null validates: `type` lists null, an enum holds null, or an anyOf/oneOf branch is null."""
    if not isinstance(schema, Mapping):
        return schema is True
    if isinstance(schema.get("$ref"), str):
        return _nullable(doc, _resolve(doc, schema))
    if "const" in schema:
        return schema["const"] is None
    if isinstance(schema.get("enum"), list):
        return None in schema["enum"]
    for key in ("anyOf", "oneOf"):
        if isinstance(schema.get(key), list):
            return any(_nullable(doc, b) for b in schema[key])
    if isinstance(schema.get("allOf"), list) and schema["allOf"]:
        return all(_nullable(doc, b) for b in schema["allOf"]) and _nullable(
            doc, {k: v for k, v in schema.items() if k != "allOf"})
    t = schema.get("type")
    if t is None:
        return True
    return t == "null" or (isinstance(t, list) and "null" in t)


def fill_ids(value: Any, plan: StatusPlan, path_params: Mapping[str, str],
             query: Mapping[str, list[str]] | None = None) -> Any:
    """`value` with the ids the request names (path and query parameters, see `_id_fill`) in their properties."""
    if not plan.id_fill or not isinstance(value, dict):
        return value
    for fill in plan.id_fill:
        raw = path_params.get(fill.param) if fill.location == "path" else _query_value(query, fill.param)
        if raw is None:
            continue
        if fill.kind == "integer":
            if not _INT.match(raw):
                continue
            number: Any = int(raw)
            if fill.bounds is not None and not fill.bounds[0] <= number <= fill.bounds[1]:
                continue
        else:
            number = raw
        holder: Any = value
        for step in fill.within:
            inner = holder.get(step)
            if not isinstance(inner, dict):
                break
            # A nested carrier may be one of the values the data factory shares between answers: change a copy.
            holder[step] = holder = dict(inner)
        else:
            holder[fill.prop] = number
    return value


def _query_value(query: Mapping[str, list[str]] | None, name: str) -> str | None:
    """The value of a query parameter the request check judged (the last), its name in any case."""
    values = in_any_case(query, name) if query else None
    return values[-1] if values else None


def apply_select(value: Any, select: str, info: Mapping[str, tuple[bool, bool]]) -> Any:
    """`$select=Name,Id`: keep those top-level fields (any case) and null the rest, as the real API does.

    A field whose schema does not allow null is left out instead (or kept, if required), so the
    response still validates against the documented schema.
    """
    wanted = {s.strip().lower() for s in select.split(",") if s.strip()}
    if not wanted:
        return value
    if isinstance(value, list):
        return [apply_select(v, select, info) if isinstance(v, dict) else v for v in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for k, v in value.items():
        if k.lower() in wanted:
            out[k] = v
            continue
        nullable, required = info.get(k, (False, False))  # undeclared keys: leave them out
        if nullable:
            out[k] = None
        elif required:
            out[k] = v
    return out


def render(plan: MediaPlan, value: Any, xml: XmlWriter, r: random.Random) -> bytes:
    if plan.kind == "json":
        return jsoncodec.dumps(value)
    if plan.kind == "xml":
        return xml.dumps(plan.schema, plain(value))
    if plan.kind == "text":
        return (value if isinstance(value, str) else json.dumps(plain(value), ensure_ascii=False)).encode()
    fixed = _FIXED_BINARY.get(plan.content_type)
    if fixed is not None:
        return fixed
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    return r.randbytes(64)


def plan_for_code(plans: Mapping[str, StatusPlan], code: str) -> StatusPlan | None:
    """The plan that answers `Prefer: code=...`: the code itself, its range (`4XX`), or `default`."""
    if code in plans:
        return plans[code]
    if code.isdigit():
        ranged = f"{code[0]}XX"
        for key in (ranged, ranged.lower()):
            if key in plans:
                return replace(plans[key], status=int(code))
    if "default" in plans and code.isdigit() and 100 <= int(code) <= 599:
        return replace(plans["default"], status=int(code))
    return None


def choose_media(negotiator: Negotiator, accept: str | None, plan: StatusPlan) -> MediaPlan | None:
    """The representation of `plan` to send for this Accept header; None when nothing acceptable is on offer."""
    media = negotiator.choose(accept, plan.offers)
    if media is None:
        return None
    return plan.media.get(media) or plan.media[next(m for m in plan.offers if m.endswith("/*"))]


MISSING_EXAMPLE: Any = object()


def example_value(plan: StatusPlan, chosen: MediaPlan, name: str) -> Any:
    """The documented example `name` (`Prefer: example=`), or MISSING_EXAMPLE."""
    if name in chosen.examples:
        return chosen.examples[name]
    for mp in plan.media.values():  # a sample documented under JSON still answers an XML request
        if name in mp.examples:
            return mp.examples[name]
    return MISSING_EXAMPLE


def response_headers(plan: StatusPlan | None, r: random.Random) -> list[tuple[bytes, bytes]]:
    """The headers the documented response requires, with generated values."""
    if plan is None or not plan.headers:
        return []
    return [(name.lower().encode(), _header_text(gen(r, 0)).encode("latin-1", "replace")) for name, gen in plan.headers]


def _header_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(map(str, value))
    return str(value)
