#!/usr/bin/env python3
"""Fidelity benchmark: how closely our generated OpenAPI 3.1 matches the vendor's Swagger 2.0 specs.

Usage::

    python bench/fidelity.py [--corpus DIR] [--vendor DIR] [--spec FILE] [--worst N] [--json]

Our spec is built with ``generator.build_spec([corpus])`` (or loaded from ``--spec``, JSON or YAML) and
compared, operation by operation, matched by ``operationId``, with every operation of the vendor specs
(``<vendor>/*.json``). Importable: ``compare(ours, vendor_specs) -> FidelityReport``.

Scoring
-------
Every comparison is a list of *checks*; each check passes or fails. A component's score is
``passed / total`` of its checks, in [0, 1]. An operation's score is the mean of the components that
apply to it; the overall score is the mean over **all vendor operations** (an operation missing from
ours scores 0). Operations only in ours are listed but not scored.

Components (each applies only where stated):

``parameters`` (applies if either side has a path/query/header/cookie parameter)
    Parameters are matched by (location, name); header names case-insensitively, all others exactly.
    Path-item level parameters are merged into the operation's (operation wins). For each vendor
    parameter: *present*, *type+format* (Swagger ``type/format`` vs our ``schema.type/format``),
    *required* flag, and *enum* (as a set; only when either side has one) -- one check each. A vendor
    parameter missing from ours fails all of its checks. Each extra parameter of ours is one failed
    check. Headers ``Accept``, ``Content-Type`` and ``Authorization`` are skipped on both sides
    (OpenAPI 3.x says such header parameters "SHALL be ignored"; media types are out of scope, below).

``request_body`` (applies if the vendor has an ``in: body``/``formData`` parameter or ours has a
``requestBody``)
    Vendor ``in: body`` schema, or the ``formData`` parameters (a single ``type: file`` parameter is a
    raw binary body; several become an object of properties), against our
    ``requestBody.content[media].schema`` where media is ``application/json`` if present, else the
    first listed. If the vendor body is a single file and our chosen schema is an object with exactly
    one binary property (``multipart/form-data``), that property is compared instead. Schema rules below.

``response`` (always applies)
    The schema of the lowest 2xx response on each side (Swagger ``schema``; ours
    ``content[media].schema``, media chosen as above). No schema on both sides (e.g. 204) is one passing
    check; a schema on one side only fails the whole vendor subtree (or one check for an extra one).

``status_codes`` (always applies)
    Each code in the union of both sides' response codes is a check that passes when both have it
    (= Jaccard index). ``default`` counts like any code.

Schema rules (request body and response):
    * ``$ref`` is resolved on both sides (``#/definitions/X``, ``#/components/schemas/X``; any local
      JSON pointer), ignoring ``$ref`` siblings such as ``description``.
    * 3.1 nullability is unwrapped: ``type: [X, "null"]`` -> X; ``anyOf``/``oneOf`` with one non-null
      branch -> that branch; a single-element ``allOf`` -> its element. A ``null`` in an enum is dropped.
    * Each node has one *type* check: normalized type+format must be equal (``integer/int32`` !=
      ``integer`` != ``integer/int64``). Binary: Swagger ``type: file`` and ``string`` with format
      ``binary``/``byte`` on either side, and our ``string`` with ``contentMediaType``/``contentEncoding``,
      are all the type ``binary``; a non-JSON media type with no schema is binary too (OpenAPI 3.1's way
      to say "raw bytes"). A node without ``type`` is ``object`` if it has ``properties``/
      ``additionalProperties``, ``array`` if it has ``items``, else ``any`` (matches nothing else).
    * A node with an ``enum`` on either side gets one *enum* check (sets equal, case-sensitive).
    * Objects: each property in the union is compared recursively (property names exact). A property
      check passes when the name is present and the type is equal (that is the node's type check). A
      vendor property missing from ours fails its whole subtree (all the checks it would have had); each
      extra property of ours (only counted when the vendor node is an object) is one failed check.
    * Arrays compare their ``items``; dictionaries (``additionalProperties`` schema) compare their value
      schemas (``{*}`` in messages); neither consumes a nesting level. An extra non-empty
      ``additionalProperties`` schema of ours is one failed check.
    * Depth: the root is level 0; properties are compared down to level 2 (the root's properties and
      their properties, e.g. ``BatchTaskInfo.TableRight.Mask``); deeper levels are not compared.

Deliberately ignored (not scored): descriptions, summaries, tags, examples, ``security`` /
``securityDefinitions``, ``consumes``/``produces`` and our media type lists, default values, schema
``required`` lists, readOnly and other annotations, and the ``required`` flag of the request body. The
route (method + path template) of a matched operation is *reported* as a mismatch (``route``) but not
scored, since matching is by operationId.
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = REPO.parent / "shared" / "corpus" / "superoffice"
DEFAULT_VENDOR = REPO.parent / "shared" / "corpus" / "superoffice-openapi"

MAX_DEPTH = 2
MAX_CONTAINER_STEPS = 12  # guards against self-referencing array/dictionary schemas
IGNORED_HEADERS = frozenset({"accept", "content-type", "authorization"})
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
COMPONENTS = ("parameters", "request_body", "response", "status_codes")
BINARY_FORMATS = frozenset({"binary", "byte"})


# --------------------------------------------------------------------------- report model


@dataclass(frozen=True, slots=True)
class Mismatch:
    operation_id: str
    component: str
    where: str
    kind: str  # missing | extra | type | enum | required | status | route | missing-operation
    ours: Any = None
    vendor: Any = None
    checks: int = 1  # how many failed checks this mismatch stands for

    def message(self) -> str:
        head = f"{self.operation_id}: {self.where}"
        match self.kind:
            case "missing":
                detail = f"missing (vendor {self.vendor})" if self.vendor is not None else "missing"
            case "extra":
                detail = f"extra in ours ({self.ours}), not in vendor"
            case "missing-operation":
                detail = "operation missing from ours"
            case _:
                detail = f"{self.kind} differs: ours {_show(self.ours)} vendor {_show(self.vendor)}"
        suffix = f" [{self.checks} checks]" if self.checks > 1 else ""
        return f"{head} {detail}{suffix}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "operation_id": self.operation_id,
            "component": self.component,
            "where": self.where,
            "kind": self.kind,
            "ours": self.ours,
            "vendor": self.vendor,
            "checks": self.checks,
            "message": self.message(),
        }


def _show(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value)


@dataclass(slots=True)
class ComponentResult:
    name: str
    passed: int = 0
    total: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)

    @property
    def score(self) -> float:
        return self.passed / self.total if self.total else 1.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "score": round(self.score, 4),
            "passed": self.passed,
            "total": self.total,
            "mismatches": [m.to_dict() for m in self.mismatches],
        }


@dataclass(slots=True)
class OperationResult:
    operation_id: str
    method: str
    path: str
    found: bool
    components: dict[str, ComponentResult] = field(default_factory=dict)
    notes: list[Mismatch] = field(default_factory=list)  # reported, not scored (route)

    @property
    def score(self) -> float:
        if not self.found or not self.components:
            return 0.0
        return sum(c.score for c in self.components.values()) / len(self.components)

    @property
    def mismatches(self) -> list[Mismatch]:
        out = [m for c in self.components.values() for m in c.mismatches]
        return out + list(self.notes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "operation_id": self.operation_id,
            "method": self.method,
            "path": self.path,
            "found": self.found,
            "score": round(self.score, 4),
            "components": {k: v.to_dict() for k, v in self.components.items()},
            "notes": [m.to_dict() for m in self.notes],
        }


@dataclass(slots=True)
class FidelityReport:
    operations: list[OperationResult]
    extra_operations: list[str]
    duplicate_operation_ids: list[str] = field(default_factory=list)

    @property
    def score(self) -> float:
        if not self.operations:
            return 0.0
        return sum(o.score for o in self.operations) / len(self.operations)

    @property
    def matched(self) -> list[OperationResult]:
        return [o for o in self.operations if o.found]

    @property
    def missing(self) -> list[str]:
        return [o.operation_id for o in self.operations if not o.found]

    def component_averages(self) -> dict[str, tuple[float, int]]:
        """Mean score of each component over the matched operations where it applies."""
        out: dict[str, tuple[float, int]] = {}
        for name in COMPONENTS:
            scores = [o.components[name].score for o in self.matched if name in o.components]
            out[name] = (sum(scores) / len(scores) if scores else 1.0, len(scores))
        return out

    def mismatch_kinds(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for op in self.operations:
            for m in op.mismatches:
                key = f"{m.component}/{m.kind}"
                counts[key] = counts.get(key, 0) + 1
        return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))

    def worst(self, n: int) -> list[OperationResult]:
        return sorted(self.operations, key=lambda o: (o.score, o.operation_id))[:n]

    def to_dict(self) -> dict[str, Any]:
        return {
            "fidelity": round(self.score, 4),
            "vendor_operations": len(self.operations),
            "matched": len(self.matched),
            "missing": self.missing,
            "extra_operations": self.extra_operations,
            "duplicate_operation_ids": self.duplicate_operation_ids,
            "component_averages": {
                k: {"score": round(v, 4), "operations": n} for k, (v, n) in self.component_averages().items()
            },
            "mismatch_kinds": self.mismatch_kinds(),
            "operations": [o.to_dict() for o in sorted(self.operations, key=lambda o: o.operation_id)],
        }

    def render_text(self, worst: int = 10, max_lines_per_op: int = 40) -> str:
        lines = [f"fidelity: {self.score:.3f}"]
        lines.append(
            f"operations: {len(self.operations)} vendor, {len(self.matched)} matched, "
            f"{len(self.missing)} missing, {len(self.extra_operations)} extra in ours (not scored)"
        )
        if self.missing:
            lines.append("missing: " + ", ".join(sorted(self.missing)))
        if self.extra_operations:
            lines.append("extra (not in vendor): " + ", ".join(self.extra_operations))
        if self.duplicate_operation_ids:
            lines.append("duplicate operationIds in ours: " + ", ".join(self.duplicate_operation_ids))
        lines.append("components (mean over matched operations where the component applies):")
        for name, (avg, n) in self.component_averages().items():
            lines.append(f"  {name:<13} {avg:.3f}  ({n} ops)")
        kinds = self.mismatch_kinds()
        if kinds:
            lines.append("mismatches by kind: " + ", ".join(f"{k} {v}" for k, v in kinds.items()))
        if worst > 0:
            lines.append(f"worst {min(worst, len(self.operations))} operations:")
            for op in self.worst(worst):
                parts = " ".join(f"{k}={c.score:.2f}" for k, c in op.components.items())
                lines.append(f"  {op.score:.3f} {op.operation_id} ({op.method.upper()} {op.path}) {parts}")
                ms = op.mismatches
                for m in ms[:max_lines_per_op]:
                    lines.append(f"      {m.message()}")
                if len(ms) > max_lines_per_op:
                    lines.append(f"      ... {len(ms) - max_lines_per_op} more")
        return "\n".join(lines)


# --------------------------------------------------------------------------- schema normalization


class Doc:
    """One spec document, for resolving local ``$ref`` JSON pointers."""

    def __init__(self, root: dict[str, Any]):
        self.root = root

    def resolve(self, node: Any) -> Any:
        seen: set[str] = set()
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            if ref in seen or not ref.startswith("#"):
                return {}
            seen.add(ref)
            node = self._pointer(ref)
        return node

    def _pointer(self, ref: str) -> Any:
        node: Any = self.root
        for raw in ref[1:].split("/")[1:]:
            token = raw.replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and token in node:
                node = node[token]
            elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
                node = node[int(token)]
            else:
                return {}
        return node


def _is_null_schema(s: Any) -> bool:
    if not isinstance(s, dict):
        return False
    return s.get("type") == "null" or s.get("enum") == [None] or ("const" in s and s["const"] is None)


_STRUCTURE_KEYS = ("type", "properties", "items", "additionalProperties", "enum")


def unwrap(schema: Any, doc: Doc) -> dict[str, Any]:
    """Resolve refs and strip 3.1 nullability wrappers; returns a (possibly shallow-copied) dict."""
    s: Any = schema
    for _ in range(32):
        s = doc.resolve(s)
        if not isinstance(s, dict):
            return {}
        has_structure = any(k in s for k in _STRUCTURE_KEYS)
        if "allOf" in s and isinstance(s["allOf"], list) and len(s["allOf"]) == 1 and not has_structure:
            s = s["allOf"][0]
            continue
        unwrapped = False
        for key in ("anyOf", "oneOf"):
            branches = s.get(key)
            if isinstance(branches, list) and not has_structure:
                rest = [b for b in branches if not _is_null_schema(doc.resolve(b))]
                if len(rest) == 1:
                    s = rest[0]
                    unwrapped = True
                    break
        if unwrapped:
            continue
        break
    t = s.get("type")
    if isinstance(t, list):
        non_null = [x for x in t if x != "null"]
        s = dict(s)
        if len(non_null) == 1:
            s["type"] = non_null[0]
        elif not non_null:
            s["type"] = "null"
        else:
            s["type"] = sorted(non_null)
    return s


def kind(s: dict[str, Any] | None) -> str:
    """Normalized type+format of an unwrapped schema node."""
    if s is None:
        return "none"
    t = s.get("type")
    fmt = s.get("format")
    if t is None:
        if "properties" in s or isinstance(s.get("additionalProperties"), dict):
            t = "object"
        elif "items" in s:
            t = "array"
        else:
            return "any"
    if isinstance(t, list):
        return "|".join(str(x) for x in t)
    if t == "file":
        return "binary"
    if t == "string" and (fmt in BINARY_FORMATS or "contentMediaType" in s or "contentEncoding" in s):
        return "binary"
    return f"{t}/{fmt}" if fmt else str(t)


def enum_set(s: dict[str, Any] | None) -> list[str] | None:
    if not s or not isinstance(s.get("enum"), list):
        return None
    return sorted({v if isinstance(v, str) else json.dumps(v) for v in s["enum"] if v is not None})


def _properties(s: dict[str, Any], doc: Doc) -> dict[str, Any]:
    props = s.get("properties")
    return props if isinstance(props, dict) else {}


def _dict_values(s: dict[str, Any]) -> Any:
    ap = s.get("additionalProperties")
    return ap if isinstance(ap, dict) and ap else None


# --------------------------------------------------------------------------- comparison core


class Tally:
    """Accumulates checks for one component of one operation."""

    def __init__(self, operation_id: str, component: str, record: bool = True):
        self.result = ComponentResult(component)
        self.operation_id = operation_id
        self.record = record

    def ok(self, n: int = 1) -> None:
        self.result.passed += n
        self.result.total += n

    def fail(self, where: str, kind_: str, ours: Any = None, vendor: Any = None, n: int = 1) -> None:
        self.result.total += n
        if self.record:
            self.result.mismatches.append(
                Mismatch(self.operation_id, self.result.name, where, kind_, ours, vendor, n)
            )


def compare_schema(
    vendor: Any, ours: Any, vdoc: Doc, odoc: Doc, tally: Tally, where: str, max_depth: int = MAX_DEPTH
) -> None:
    """Compare two schemas (either may be None = absent) and record checks into ``tally``."""
    if vendor is None and ours is None:
        tally.ok()
        return
    if vendor is None:
        tally.fail(where, "extra", ours=kind(unwrap(ours, odoc)))
        return
    _compare_node(vendor, ours, vdoc, odoc, tally, where, 0, 0, max_depth)


def _compare_node(
    vendor: Any,
    ours: Any,
    vdoc: Doc,
    odoc: Doc,
    tally: Tally,
    where: str,
    depth: int,
    steps: int,
    max_depth: int = MAX_DEPTH,
) -> None:
    vs = unwrap(vendor, vdoc)
    os_: dict[str, Any] | None = None
    if ours is None:
        if tally.record:
            # One message for the whole missing subtree, counting every check it would have had.
            silent = Tally("", "", record=False)
            _compare_node(vendor, None, vdoc, odoc, silent, where, depth, steps, max_depth)
            tally.fail(where, "missing", vendor=kind(vs), n=silent.result.total)
            return
    else:
        os_ = unwrap(ours, odoc)

    kv = kind(vs)
    if os_ is None:
        tally.fail(where, "missing", vendor=kv)
    else:
        ko = kind(os_)
        if kv == ko:
            tally.ok()
        else:
            tally.fail(where, "type", ours=ko, vendor=kv)

    ev, eo = enum_set(vs), enum_set(os_)
    if ev is not None or eo is not None:
        if os_ is not None and ev == eo:
            tally.ok()
        else:
            tally.fail(where, "enum", ours=eo, vendor=ev)

    if steps >= MAX_CONTAINER_STEPS:
        return

    # Object properties (each consumes one level).
    if depth < max_depth:
        vprops = _properties(vs, vdoc)
        oprops = _properties(os_, odoc) if os_ is not None else {}
        for name, vsub in vprops.items():
            child = f"{where}.{name}" if where else name
            _compare_node(vsub, oprops.get(name), vdoc, odoc, tally, child, depth + 1, steps, max_depth)
        if kv == "object" and os_ is not None:
            for name, osub in oprops.items():
                if name not in vprops:
                    child = f"{where}.{name}" if where else name
                    tally.fail(child, "extra", ours=kind(unwrap(osub, odoc)))

    # Array items and dictionary values (containers: do not consume a level).
    if "items" in vs and isinstance(vs.get("items"), dict):
        oitems = os_.get("items") if os_ is not None and isinstance(os_.get("items"), dict) else None
        _compare_node(vs["items"], oitems, vdoc, odoc, tally, f"{where}[]", depth, steps + 1, max_depth)
    vvals = _dict_values(vs)
    ovals = _dict_values(os_) if os_ is not None else None
    if vvals is not None:
        _compare_node(vvals, ovals, vdoc, odoc, tally, f"{where}{{*}}", depth, steps + 1, max_depth)
    elif ovals is not None and kv == "object":
        tally.fail(f"{where}{{*}}", "extra", ours=kind(unwrap(ovals, odoc)))


# --------------------------------------------------------------------------- spec access


@dataclass(slots=True)
class OpRef:
    operation_id: str
    method: str
    path: str
    op: dict[str, Any]
    path_item: dict[str, Any]
    doc: Doc


def iter_operations(spec: dict[str, Any]) -> Iterable[OpRef]:
    doc = Doc(spec)
    for path, item in (spec.get("paths") or {}).items():
        item = doc.resolve(item)
        if not isinstance(item, dict):
            continue
        for method in HTTP_METHODS:
            op = item.get(method)
            if isinstance(op, dict):
                yield OpRef(str(op.get("operationId", "")), method, path, op, item, doc)


def _merged_parameters(ref: OpRef) -> list[dict[str, Any]]:
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for source in (ref.path_item.get("parameters") or [], ref.op.get("parameters") or []):
        for p in source:
            p = ref.doc.resolve(p)
            if isinstance(p, dict) and "name" in p and "in" in p:
                merged[(p["in"], p["name"])] = p
    return list(merged.values())


def _param_key(p: dict[str, Any]) -> tuple[str, str]:
    loc = str(p["in"])
    name = str(p["name"])
    return (loc, name.lower() if loc == "header" else name)


def _is_ignored_param(p: dict[str, Any]) -> bool:
    return p["in"] == "header" and str(p["name"]).lower() in IGNORED_HEADERS


def _vendor_param_schema(p: dict[str, Any]) -> dict[str, Any]:
    # Swagger 2.0 non-body parameters carry their schema inline.
    return {k: p[k] for k in ("type", "format", "enum", "items") if k in p}


def _our_param_schema(p: dict[str, Any]) -> Any:
    if "schema" in p:
        return p["schema"]
    content = p.get("content")
    if isinstance(content, dict) and content:
        first = next(iter(content.values()))
        if isinstance(first, dict):
            return first.get("schema", {})
    return {}


def _is_json_media(media: str) -> bool:
    m = media.split(";")[0].strip().lower()
    return m == "application/json" or m.endswith("+json") or m.endswith("/json")


def _pick_media(content: Any) -> tuple[str, dict[str, Any]] | None:
    if not isinstance(content, dict) or not content:
        return None
    if "application/json" in content:
        return "application/json", content["application/json"] or {}
    media = next(iter(content))
    return media, content[media] or {}


def _our_content_schema(content: Any) -> Any:
    """Schema of our chosen media type; None if there is no content at all."""
    picked = _pick_media(content)
    if picked is None:
        return None
    media, obj = picked
    schema = obj.get("schema") if isinstance(obj, dict) else None
    if schema is None or schema == {}:
        if not _is_json_media(media) and "xml" not in media:
            return {"type": "string", "format": "binary"}  # OpenAPI 3.1: no schema = raw bytes
        return schema if schema is not None else {}
    return schema


def _lowest_2xx(responses: dict[str, Any]) -> str | None:
    codes = sorted(c for c in responses if str(c).isdigit() and 200 <= int(c) < 300)
    return codes[0] if codes else None


# --------------------------------------------------------------------------- components


def compare_parameters(v: OpRef, o: OpRef, tally: Tally) -> bool:
    vparams = {
        _param_key(p): p
        for p in _merged_parameters(v)
        if p["in"] not in ("body", "formData") and not _is_ignored_param(p)
    }
    oparams = {_param_key(p): p for p in _merged_parameters(o) if not _is_ignored_param(p)}
    if not vparams and not oparams:
        return False
    for key, vp in vparams.items():
        where = f"{vp['in']} {vp['name']}"
        vs = unwrap(_vendor_param_schema(vp), v.doc)
        ev = enum_set(vs)
        op_ = oparams.get(key)
        if op_ is None:
            tally.fail(where, "missing", vendor=kind(vs), n=3 + (ev is not None))
            continue
        tally.ok()  # present
        os_ = unwrap(_our_param_schema(op_), o.doc)
        kv, ko = kind(vs), kind(os_)
        if kv == ko:
            tally.ok()
        else:
            tally.fail(where, "type", ours=ko, vendor=kv)
        eo = enum_set(os_)
        if ev is not None or eo is not None:
            if ev == eo:
                tally.ok()
            else:
                tally.fail(where, "enum", ours=eo, vendor=ev)
        rv, ro = bool(vp.get("required")), bool(op_.get("required"))
        if rv == ro:
            tally.ok()
        else:
            tally.fail(where, "required", ours=ro, vendor=rv)
    for key, op_ in oparams.items():
        if key not in vparams:
            tally.fail(f"{op_['in']} {op_['name']}", "extra", ours=kind(unwrap(_our_param_schema(op_), o.doc)))
    return True


def _vendor_body_schema(v: OpRef) -> Any:
    params = [p for p in _merged_parameters(v) if p["in"] in ("body", "formData")]
    body = [p for p in params if p["in"] == "body"]
    if body:
        return body[0].get("schema", {})
    if not params:
        return None
    if len(params) == 1 and params[0].get("type") == "file":
        return {"type": "file"}
    return {"type": "object", "properties": {p["name"]: _vendor_param_schema(p) for p in params}}


def compare_request_body(v: OpRef, o: OpRef, tally: Tally) -> bool:
    vschema = _vendor_body_schema(v)
    rb = o.doc.resolve(o.op.get("requestBody")) if "requestBody" in o.op else None
    oschema = _our_content_schema(rb.get("content")) if isinstance(rb, dict) else None
    if isinstance(rb, dict) and oschema is None:
        oschema = {}  # a requestBody without content still claims a body
    if vschema is None and oschema is None:
        return False
    if vschema is not None and oschema is not None and kind(unwrap(vschema, v.doc)) == "binary":
        os_ = unwrap(oschema, o.doc)
        props = _properties(os_, o.doc)
        if kind(os_) == "object" and len(props) == 1:
            only = next(iter(props.values()))
            if kind(unwrap(only, o.doc)) == "binary":
                oschema = only
    compare_schema(vschema, oschema, v.doc, o.doc, tally, "request body")
    return True


def compare_response(v: OpRef, o: OpRef, tally: Tally) -> bool:
    vresps = v.op.get("responses") or {}
    oresps = o.op.get("responses") or {}
    vcode, ocode = _lowest_2xx(vresps), _lowest_2xx(oresps)
    vschema = None
    if vcode is not None:
        vr = v.doc.resolve(vresps[vcode])
        vschema = vr.get("schema") if isinstance(vr, dict) else None
    oschema = None
    if ocode is not None:
        orr = o.doc.resolve(oresps[ocode])
        oschema = _our_content_schema(orr.get("content")) if isinstance(orr, dict) else None
    label = vcode or ocode or "2xx"
    where = f"response {label} body" if vcode == ocode or ocode is None else f"response {vcode}/ours {ocode} body"
    compare_schema(vschema, oschema, v.doc, o.doc, tally, where)
    return True


def compare_status_codes(v: OpRef, o: OpRef, tally: Tally) -> bool:
    vcodes = {str(c) for c in (v.op.get("responses") or {})}
    ocodes = {str(c) for c in (o.op.get("responses") or {})}
    if not vcodes and not ocodes:
        return False
    both = vcodes & ocodes
    tally.ok(len(both))
    diff = (vcodes | ocodes) - both
    if diff:
        tally.fail(
            "status codes", "status", ours=sorted(ocodes), vendor=sorted(vcodes), n=len(diff)
        )
    return True


COMPARATORS = {
    "parameters": compare_parameters,
    "request_body": compare_request_body,
    "response": compare_response,
    "status_codes": compare_status_codes,
}


def compare_operation(v: OpRef, o: OpRef | None) -> OperationResult:
    res = OperationResult(v.operation_id, v.method, v.path, found=o is not None)
    if o is None:
        # Only to list which components the vendor would have scored; all are 0.
        for name, fn in COMPARATORS.items():
            tally = Tally(v.operation_id, name)
            empty = OpRef(v.operation_id, v.method, v.path, {}, {}, Doc({}))
            if fn(v, empty, tally):
                res.components[name] = ComponentResult(name, 0, max(tally.result.total, 1))
        res.components.setdefault("response", ComponentResult("response", 0, 1))
        res.notes.append(Mismatch(v.operation_id, "operation", "", "missing-operation"))
        return res
    for name, fn in COMPARATORS.items():
        tally = Tally(v.operation_id, name)
        if fn(v, o, tally):
            res.components[name] = tally.result
    if (v.method, v.path) != (o.method, o.path):
        res.notes.append(
            Mismatch(
                v.operation_id,
                "route",
                "route",
                "route",
                ours=f"{o.method.upper()} {o.path}",
                vendor=f"{v.method.upper()} {v.path}",
            )
        )
    return res


def compare(ours: dict[str, Any], vendor_specs: list[dict[str, Any]]) -> FidelityReport:
    """Score our OpenAPI 3.1 dict against the vendor's Swagger 2.0 dicts (see module docstring)."""
    our_ops: dict[str, OpRef] = {}
    duplicates: list[str] = []
    for ref in iter_operations(ours):
        if ref.operation_id in our_ops:
            duplicates.append(ref.operation_id)
            continue
        our_ops[ref.operation_id] = ref
    vendor_ops: dict[str, OpRef] = {}
    for spec in vendor_specs:
        for ref in iter_operations(spec):
            vendor_ops.setdefault(ref.operation_id, ref)
    results = [compare_operation(v, our_ops.get(oid)) for oid, v in sorted(vendor_ops.items())]
    extra = sorted(oid for oid in our_ops if oid not in vendor_ops)
    return FidelityReport(results, extra, sorted(set(duplicates)))


# --------------------------------------------------------------------------- command line


def load_vendor_specs(vendor_dir: Path) -> list[dict[str, Any]]:
    files = sorted(vendor_dir.glob("*.json"))
    if not files:
        raise FileNotFoundError(f"no vendor specs (*.json) in {vendor_dir}")
    return [json.loads(f.read_text(encoding="utf-8")) for f in files]


def load_spec_file(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".json":
        return json.loads(text)
    import yaml

    return yaml.safe_load(text)


def build_our_spec(corpus: Path) -> tuple[dict[str, Any], list[Any]]:
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from generator import build_spec  # type: ignore[import-not-found]

    result = build_spec([corpus])
    return result.spec, list(getattr(result, "diagnostics", []) or [])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="docs pages to generate from")
    ap.add_argument("--vendor", type=Path, default=DEFAULT_VENDOR, help="dir of vendor Swagger 2.0 *.json")
    ap.add_argument("--spec", type=Path, help="compare this OpenAPI file instead of generating one")
    ap.add_argument("--worst", type=int, default=10, help="list the N worst operations (default 10)")
    ap.add_argument("--json", action="store_true", help="print a machine-readable JSON report")
    args = ap.parse_args(argv)

    vendor = load_vendor_specs(args.vendor)
    diagnostics: list[Any] = []
    if args.spec:
        ours = load_spec_file(args.spec)
    else:
        try:
            ours, diagnostics = build_our_spec(args.corpus)
        except ImportError as exc:
            print(f"fidelity: cannot import generator.build_spec ({exc}); use --spec FILE", file=sys.stderr)
            return 2
    report = compare(ours, vendor)
    if args.json:
        out = report.to_dict()
        out["generator_diagnostics"] = len(diagnostics)
        print(json.dumps(out, indent=2, sort_keys=False, default=str))
    else:
        print(report.render_text(worst=args.worst))
        if diagnostics:
            print(f"generator diagnostics: {len(diagnostics)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
