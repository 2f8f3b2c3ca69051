"""Turns one EndpointDoc into an Operation: parameters, bodies, responses and their schemas."""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import pickle
import re
from pathlib import PurePosixPath
from typing import Any

from .records import record
from .elements import Row
from .errors import Diagnostic, DiagnosticSink
from .extract import BodyDoc, EndpointDoc, ResponseDoc, Sample
from .model import (ANY, BINARY, Content, Example, Operation, Parameter, Property, RequestBody, Response, Schema,
                    Source)
from .prose_shapes import note as prose_note
from .prose_shapes import shape_from_prose
from .registry import PageRecorder, Proposal, SchemaRegistry
from .schemas import (Namer, TypeCell, dictionary_values, infer_from_sample, infer_items, merge_schemas,
                      parse_type_cell, schema_name, singular)
from .text import clean_text, one_line, summary_of

# `**Required**` anywhere; text copied from the web page has lost the bold, so a bare word at either end.
_REQUIRED = re.compile(r"\*\*Required\*\*|^\s*Required\b|\bRequired\s*$")
_BACKTICKED = re.compile(r"`([^`]+)`")
_PATH_PARAM = re.compile(r"\{([^}/]+)\}")
_CARRIER_PROSE = (
    re.compile(r"Carrier object for (\w+)"),
)
# `PersonEntity entity with API _Links added.` names a variant of the carrier with one more property.
_LINKS_VARIANT = re.compile(r"^(\w+) entity with API _Links added")
# Headers that the spec states elsewhere: credentials become security schemes, content negotiation becomes
# media types. The rest of the Request Headers table are header parameters.
_SECURITY_HEADERS = {"authorization", "x-xsrf-token"}
_MEDIA_HEADERS = {"content-type", "accept"}
_DEFAULT_MEDIA = ("application/json",)
_TYPE_WORD = r"(?:string|object|number|integer|int32|array|bool(?:ean)?)"
_EITHER_TYPE = re.compile(rf"\b{_TYPE_WORD}\s+or\s+(?:an?\s+)?{_TYPE_WORD}\b", re.I)
_MERGE_PATCH = "application/merge-patch+json"
# A PATCH page whose Content-Type row lists nothing: the two patch formats the docs describe, and plain JSON.
_PATCH_MEDIA = ("application/json-patch+json", "application/json", _MERGE_PATCH)
_STRUCTURED_MEDIA = re.compile(r"^(application|text)/([\w.+-]*\+)?(json|xml)$|^application/x-www-form-urlencoded$")
_BINARY_WORDS = {"byte", "binary", "stream", ""}
# Words that qualify a body's name without naming its type (`newEntity` is an Entity).
_BODY_NAME_ADJECTIVES = {"new", "updated", "changed", "existing", "modified"}
_NO_CONTENT = {"204", "304"}
# Inference records what it proposes (PageRecorder), or registers it directly when names must be decided as it goes.
Registry = PageRecorder | SchemaRegistry


def operation_name(operation_id: str) -> str:
    """`v1BatchAgent_StartBatchJob` -> `StartBatchJob`."""
    return schema_name(operation_id.rsplit("_", 1)[-1]) or "Operation"


def derived_operation_id(method: str, url: str) -> str:
    words = [w for w in re.split(r"[^A-Za-z0-9]+", url) if w and w.lower() not in ("api", "v1")]
    return method.lower() + "".join(w[:1].upper() + w[1:] for w in words)


def infer_operation(doc: EndpointDoc, tag: str, registry: Registry, sink: DiagnosticSink,
                    source_name: str = "") -> Operation:
    """`source_name` is how the spec names the page (stable across machines); diagnostics use `doc.path`."""
    operation_id = doc.front_matter.get("id") or doc.front_matter.get("uid") or ""
    if not operation_id:
        operation_id = derived_operation_id(doc.method, doc.url)
        if not doc.copied_from_web:
            sink.warn(doc.line, f"front matter has no 'id' or 'uid'; operationId derived as '{operation_id}'")
    source = Source(doc.path, doc.endpoint_line)
    name = operation_name(operation_id)

    def namer(proposed: str, schema: Schema, parent: str) -> Schema:
        return registry.propose(proposed or name + "Item", schema, source, documented=False, parent=parent)

    headers = {row.cells[0].strip().lower(): row for row in doc.header_rows}
    path, repeats = _unique_path_parts(doc.url, doc.endpoint_line, sink)
    parameters = _path_parameters(doc, path, repeats, registry, sink) + _query_parameters(doc, registry, sink) \
        + _header_parameters(doc)
    request_body = _request_body(doc, headers, name, registry, namer, sink)
    responses = _responses(doc, headers, name, registry, namer, sink)
    description = clean_text(doc.description)
    summary = summary_of(doc.description) or doc.title
    if description == summary:
        description = ""
    return Operation(
        operation_id=operation_id, method=doc.method.lower(), path=path,
        summary=summary, description=description, tags=(tag,) if tag else (),
        parameters=parameters, request_body=request_body, responses=responses,
        secured=bool(_SECURITY_HEADERS & headers.keys()),
        sources=(Source(source_name or doc.path, doc.endpoint_line),),
    )


@record()
class PageDraft:
    """One page inferred on its own (see PageRecorder): a pure function of the page, so it is made in the
    worker that parsed the page and cached with it.

    The operation has no tag and names its source by the page's display path; both depend on more than the
    page and are set when the draft is used. Its references to guessed and anonymous names are page-local.
    """

    operation: Operation
    proposals: tuple[Proposal, ...]
    enum_notes: dict[str, tuple[str, ...]]
    diagnostics: tuple[Diagnostic, ...]
    page_line: int  # where the page starts, and whether it is text copied from the web page: for merge notes
    copied_from_web: bool
    # What other pages see of this one: its proposals and enum notes, hashed without their source lines
    # (lines only reach the document through diagnostics). Equal digests, equal registry.
    digest: str = ""


def draft_operation(doc: EndpointDoc) -> PageDraft:
    recorder = PageRecorder()
    sink = DiagnosticSink(doc.path)
    operation = infer_operation(doc, "", recorder, sink)
    proposals = tuple(recorder.proposals)
    shapes = [(p.name, p.schema, p.documented, p.parent, p.anonymous, p.ref) for p in proposals]
    notes = sorted(recorder.enum_notes.items())
    return PageDraft(operation, proposals, recorder.enum_notes, tuple(sink.items), doc.line, doc.copied_from_web,
                     _digest((shapes, notes)))


def _digest(value: Any) -> str:
    # Pickled: fast, and different values never pickle alike. Equal values built differently (other objects
    # shared) could, rarely, pickle apart: that only costs the one run a full build.
    return hashlib.sha256(pickle.dumps(value, protocol=5)).hexdigest()


@functools.lru_cache(maxsize=8192)  # repeated wording, as clean_text
def _split_description(cell: str) -> tuple[str, bool]:
    required = bool(_REQUIRED.search(cell))
    return one_line(_REQUIRED.sub("", cell)), required


def _scalar_parameter_schema(name: str, cell: TypeCell, raw: str, line: int, sink: DiagnosticSink) -> Schema:
    if cell.kind in ("scalar", "enum"):
        return cell.schema
    if cell.kind == "array":
        return Schema(type="array", items=Schema(type="string"))
    if cell.kind == "empty":
        # A property row's empty cell is a nested carrier whose shape the sample shows; a parameter has no
        # sample to take a type from, so string is a guess, and a guess is said.
        sink.warn(line, f"parameter '{name}' has no type in its table; taken as string")
        return Schema(type="string")
    sink.warn(line, f"parameter type '{raw}' is not a type docmock knows; using string")
    return Schema(type="string")


def _typed_row(row: Row, registry: Registry, sink: DiagnosticSink) -> tuple[str, Schema, str, bool]:
    """A parameter table row: name, schema, description and whether `**Required**` marks it."""
    name, type_cell, description = (row.cells + ("", ""))[:3]
    text, required = _split_description(description)
    schema = _scalar_parameter_schema(name, parse_type_cell(type_cell), type_cell, row.line, sink)
    if schema.enum:
        registry.note_enum(text, schema.enum)
    return name, schema, text, required


def _unique_path_parts(url: str, line: int, sink: DiagnosticSink) -> tuple[str, dict[str, str]]:
    """The path with each part named once, and which new name repeats which part. OpenAPI names a path part
    once (`/Task/{id}/{id}` fails every validator): a repeat is named `id_2`, and said."""
    names = _PATH_PARAM.findall(url)
    if len(set(names)) == len(names):
        return url, {}
    seen: dict[str, int] = {}
    repeats: dict[str, str] = {}

    def rename(match: re.Match[str]) -> str:
        name = match.group(1)
        seen[name] = seen.get(name, 0) + 1
        if seen[name] == 1:
            return match.group(0)
        n = seen[name]
        while f"{name}_{n}" in names or f"{name}_{n}" in repeats:
            n += 1
        repeats[f"{name}_{n}"] = name
        return f"{{{name}_{n}}}"

    unique = _PATH_PARAM.sub(rename, url)
    sink.warn(line, f"the path {url} names {', '.join(sorted(set(repeats.values())))} more than once; served as "
                    f"{unique} (a path part is named once)")
    return unique, repeats


def _path_parameters(doc: EndpointDoc, path: str, repeats: dict[str, str], registry: Registry,
                     sink: DiagnosticSink) -> tuple[Parameter, ...]:
    in_url = _PATH_PARAM.findall(path)
    documented: dict[str, Parameter] = {}
    for row in doc.path_rows:
        name, schema, text, _ = _typed_row(row, registry, sink)
        if name not in in_url:
            sink.warn(row.line, f"path part '{name}' does not appear in the path {doc.url}; ignored")
            continue
        documented[name] = Parameter(name, "path", schema, True, text)
    for name, repeated in repeats.items():  # a repeat is typed and described as the part it repeats
        if repeated in documented:
            documented[name] = dataclasses.replace(documented[repeated], name=name)
    result = []
    for name in in_url:
        if name not in documented:
            sink.warn(doc.endpoint_line, f"path part '{{{name}}}' has no row in the path-part table; typed string")
            documented[name] = Parameter(name, "path", Schema(type="string"), True, "")
        result.append(documented[name])
    return tuple(result)


def _query_parameters(doc: EndpointDoc, registry: Registry, sink: DiagnosticSink) -> tuple[Parameter, ...]:
    result: list[Parameter] = []
    for row in doc.query_rows:
        name, schema, text, required = _typed_row(row, registry, sink)
        result.append(Parameter(name, "query", schema, required, text))
    return tuple(result)


def _header_parameters(doc: EndpointDoc) -> tuple[Parameter, ...]:
    result = []
    for row in doc.header_rows:
        name = row.cells[0].strip()
        if name.lower() in _SECURITY_HEADERS | _MEDIA_HEADERS:
            continue
        text, required = _split_description(row.cells[1] if len(row.cells) > 1 else "")
        result.append(Parameter(name, "header", Schema(type="string"), required, text))
    return tuple(result)


def _media_types(headers: dict[str, Any], name: str) -> tuple[str, ...]:
    row = headers.get(name)
    if row is None or len(row.cells) < 2:
        return ()
    cell = row.cells[1]
    found = _BACKTICKED.findall(cell)
    if not found and ":" in cell:  # text copied from the web page has lost its backticks
        found = [part.strip() for part in cell.split(":", 1)[1].split(",")]
    return tuple(dict.fromkeys(m.strip() for m in found if "/" in m))


MAX_SAMPLE_DEPTH = 64  # real samples nest a handful of levels; this leaves Python's stack room to walk them


def _deeper_than(value: Any, limit: int) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _parse_json(sample: Sample | None, what: str, sink: DiagnosticSink, binary: bool) -> tuple[bool, Any]:
    """(parsed?, value) for a sample body; strict JSON only (no NaN/Infinity, no unpaired surrogates)."""
    if sample is None or not sample.body.strip():
        return False, None
    try:
        value = json.loads(sample.body, parse_constant=_reject_constant)
        if _deeper_than(value, MAX_SAMPLE_DEPTH):  # inference walks samples recursively: a limit, said
            sink.warn(sample.body_line, f"{what} sample is nested more than {MAX_SAMPLE_DEPTH} levels deep; shape "
                                        "taken from the tables only")
            return False, None
        json.dumps(value, ensure_ascii=False).encode("utf-8")  # unpaired surrogates cannot be written out
        return True, value
    except RecursionError:  # deeper than Python's JSON reader goes
        sink.warn(sample.body_line, f"{what} sample is nested more than {MAX_SAMPLE_DEPTH} levels deep; shape "
                                    "taken from the tables only")
    except json.JSONDecodeError as exc:
        if not binary:
            sink.warn(sample.body_line + exc.lineno - 1,
                      f"{what} sample is not JSON ({exc.msg}); shape taken from the tables only")
    except (ValueError, UnicodeEncodeError) as exc:
        if not binary:
            reason = "an unpaired surrogate escape" if isinstance(exc, UnicodeEncodeError) else str(exc)
            sink.warn(sample.body_line, f"{what} sample is not JSON ({reason}); shape taken from the tables only")
    return False, None


def _examples(found: bool, value: Any, doc: EndpointDoc) -> tuple[Example, ...]:
    if not found:
        return ()
    return (Example("sample", f"Sample from {PurePosixPath(doc.path).name}", value),)


def _object_from_rows(rows, sample: Any, namer: Namer, sink: DiagnosticSink, parent: str,
                      registry: Registry) -> Schema:
    """An object schema from a property table, completed by the sample (which alone shows nested shapes)."""
    sample_dict = sample if isinstance(sample, dict) else {}
    properties: list[Property] = []
    first_line: dict[str, int] = {}
    for row in rows:
        name, type_cell, description = (row.cells + ("", ""))[:3]
        if name in first_line:
            sink.warn(row.line, f"property '{name}' is listed twice in this table (first at line {first_line[name]}); "
                                "the first row is kept")
            continue
        first_line[name] = row.line
        schema = _property_schema(name, type_cell, sample_dict.get(name), row.line, namer, sink, parent, description)
        if _EITHER_TYPE.search(description):
            # `| value | object | New/Replaced value - string or object. |`: the prose widens the Type cell.
            schema = ANY
        if schema == Schema(type="string"):
            # Agent pages type enums as string; a description naming a documented enum type recovers it.
            values = registry.enum_named_in(description)
            schema = Schema(type="string", enum=values) if values else schema
        properties.append(Property(name, schema, one_line(description)))
    documented = {p.name for p in properties}
    for key, value in sample_dict.items():
        if key not in documented:
            properties.append(Property(key, infer_from_sample(value, key, namer, parent)))
    return Schema(type="object", properties=tuple(properties))


def _property_schema(name: str, type_cell: str, sample: Any, line: int, namer: Namer, sink: DiagnosticSink,
                     parent: str, description: str = "") -> Schema:
    cell = parse_type_cell(type_cell)
    if cell.kind in ("scalar", "enum"):
        return cell.schema
    if cell.kind == "object":
        values = dictionary_values(sample, name, namer, parent)
        if values == ANY:  # no sample shows the values: the description may say what they are
            stated = _from_prose("object", name, description, line, namer, sink, parent)
            if stated is not None:
                return stated
        return Schema(type="object", additional=values)
    if cell.kind == "array":
        if isinstance(sample, list) and sample:
            return Schema(type="array", items=infer_items(sample, singular(name), namer, parent))
        stated = _from_prose("array", name, description, line, namer, sink, parent)
        if stated is not None:
            return stated
        # No sample to show the items: SuperOffice names id lists `...Ids` (AssociateIds, BatchTaskIds).
        return Schema(type="array", items=Schema(type="integer", format="int32") if name.endswith("Ids") else ANY)
    if cell.kind == "named":
        # The Type cell names the carrier (`TableRight`); the sample, when there is one, shows its shape.
        inferred = infer_from_sample(sample, cell.name, namer, parent) if isinstance(sample, dict) and sample else None
        shape = inferred if inferred is not None and inferred.ref else Schema(type="object", properties=())
        return namer(schema_name(cell.name), shape, parent) if not shape.ref else shape
    if cell.kind == "unknown":
        sink.warn(line, f"property '{name}' has type '{type_cell}', which is not a type docmock knows; shape taken from the sample")
    if sample is None or sample == {}:
        # An empty Type cell is a nested carrier; other pages' samples may show its shape (merged by name).
        return namer(schema_name(name), Schema(type="object", properties=()), parent)
    return infer_from_sample(sample, name, namer, parent)


def _from_prose(container: str, name: str, description: str, line: int, namer: Namer, sink: DiagnosticSink,
                parent: str) -> Schema | None:
    """The shape the description of an `array` or `object` gives (see prose_shapes), noted on its line."""
    shape = shape_from_prose(container, description)
    if shape is None:
        return None
    sink.note(line, prose_note(f"property '{name}'", shape, description))
    if shape.schema is not None:
        return shape.schema
    # The carrier the words name: a reference merged by name with what other pages document of it.
    return Schema(type="array", items=namer(schema_name(shape.carrier), Schema(type="object", properties=()), parent))


def _body_words(heading: str) -> tuple[str, str]:
    words = heading.split()
    return (words[0] if words else "", words[1].lower() if len(words) > 1 else "")


def _body_carrier(body_name: str, operation: str) -> tuple[str, bool]:
    """The schema name a request body's name suggests, and whether it is a name (True) or only a hint.

    Agent bodies are all called `request` and get `<Operation>Request`. A name of two or more words
    (`batchTaskInfo`, `personEntity`) names the carrier. A one-word name (`entity`, `fields`; `newEntity`
    once its adjective is dropped) is only a hint: the table is matched to the carriers other pages name.
    """
    if not body_name or body_name.lower() == "request":
        return operation + "Request", True
    words = re.findall(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])", body_name)
    while len(words) > 1 and words[0].lower() in _BODY_NAME_ADJECTIVES:
        words = words[1:]
    return schema_name("".join(w[:1].upper() + w[1:] for w in words)), len(words) > 1


def _request_body(doc: EndpointDoc, headers: dict[str, Any], name: str, registry: Registry, namer: Namer,
                  sink: DiagnosticSink) -> RequestBody | None:
    body: BodyDoc | None = doc.body
    if body is None:
        return None
    body_name, type_word = _body_words(body.name)
    media = _media_types(headers, "content-type") or (_PATCH_MEDIA if doc.method == "PATCH" else _DEFAULT_MEDIA)
    source = Source(doc.path, body.line)
    # Agent pages repeat the property names as the body's description (`AssociateIds, State`): not prose.
    listed_names = ", ".join(r.cells[0] for r in body.rows)
    description = clean_text(body.description) if body.description and body.description != listed_names else ""
    structured = any(_STRUCTURED_MEDIA.match(m) for m in media)
    declared_binary = type_word in ("binary", "byte", "stream")
    found, sample = _parse_json(doc.request_sample, "request", sink, binary=declared_binary or not structured)
    if declared_binary or (not body.has_table and not found and not structured):
        binary_media = tuple(m for m in media if not _STRUCTURED_MEDIA.match(m)) or ("application/octet-stream",)
        return RequestBody(description, Content(binary_media, BINARY))
    examples = _examples(found, sample, doc)
    if not body.has_table:
        declared = parse_type_cell(type_word)
        schema = infer_from_sample(sample, body_name, namer, name) if found else declared.schema
        return RequestBody(description, Content(media, schema, examples))
    carrier, named = _body_carrier(body_name, name)
    if isinstance(sample, list):
        carrier = singular(carrier) if body_name else name + "Item"
        item = _object_from_rows(body.rows, _first_object(sample), namer, sink, carrier, registry)
        schema = Schema(type="array", items=registry.anonymous(carrier, item, source))
    else:
        obj = _object_from_rows(body.rows, sample, namer, sink, carrier, registry)
        schema = registry.propose(carrier, obj, source) if named else registry.anonymous(carrier, obj, source)
    if doc.method == "PATCH" and schema.type == "array":
        # A list of operations is a JSON Patch (RFC 6902); the same endpoint takes a JSON Merge Patch (RFC 7396),
        # which is an object with the changed properties.
        patch_media = tuple(m for m in media if m != _MERGE_PATCH)
        merge = Content((_MERGE_PATCH,), Schema(type="object"))
        return RequestBody(description, Content(patch_media, schema, examples), alternatives=(merge,))
    return RequestBody(description, Content(media, schema, examples))


def _carrier_from_prose(prose: tuple[str, ...]) -> str:
    for paragraph in prose:
        variant = _LINKS_VARIANT.search(" ".join(paragraph.split()))
        if variant:
            return variant.group(1) + "WithLinks"
    for paragraph in prose:
        for pattern in _CARRIER_PROSE:
            match = pattern.search(" ".join(paragraph.split()))
            if match:
                return match.group(1)
    return ""


def _responses(doc: EndpointDoc, headers: dict[str, Any], name: str, registry: Registry, namer: Namer,
               sink: DiagnosticSink) -> tuple[Response, ...]:
    response: ResponseDoc | None = doc.response
    codes: list[tuple[str, str, int]] = []
    for row in (response.codes if response else ()):
        code = row.cells[0].strip()
        if not re.fullmatch(r"[1-5]\d\d|default|[1-5]XX", code):
            sink.warn(row.line, f"response code '{code}' is not an HTTP status code; row skipped")
            continue
        codes.append((code, one_line(row.cells[1]) if len(row.cells) > 1 else "", row.line))
    if not codes:
        sink.warn(response.line if response else doc.endpoint_line, "no documented response codes; assuming 200 OK")
        codes.append(("200", "OK", doc.endpoint_line))
    success = next((c for c, _, _ in sorted(codes) if c.startswith("2") and c not in _NO_CONTENT), None)
    content = _success_content(doc, response, headers, name, registry, namer, sink) if success else None
    seen: dict[str, Response] = {}
    for code, description, line in codes:
        if code in seen:
            sink.warn(line, f"response code {code} is documented twice; the first row is kept")
            continue
        seen[code] = Response(code, description or "", content if code == success else None)
    return tuple(seen[c] for c in sorted(seen))


def _success_content(doc: EndpointDoc, response: ResponseDoc | None, headers: dict[str, Any], name: str,
                     registry: Registry, namer: Namer, sink: DiagnosticSink) -> Content | None:
    if response is None or (response.body_type_word is None and not response.has_table and not response.type_word):
        return None
    type_word = (response.body_type_word if response.body_type_word is not None else response.type_word).strip()
    accept = _media_types(headers, "accept") or _DEFAULT_MEDIA
    cell = parse_type_cell(type_word)
    sample_content_type = dict((k.lower(), v) for k, v in doc.response_sample.headers).get("content-type", "") \
        if doc.response_sample else ""
    binary = type_word.lower() in _BINARY_WORDS and (
        type_word.lower() in ("byte", "binary", "stream") or "octet" in sample_content_type or not response.has_table)
    if binary and not response.has_table:
        binary_media = tuple(m for m in accept if not _STRUCTURED_MEDIA.match(m)) or ("application/octet-stream",)
        return Content(_sampled_first(binary_media, sample_content_type), BINARY)
    found, sample = _parse_json(doc.response_sample, "response", sink, binary=False)
    examples = _examples(found, sample, doc)
    source = Source(doc.path, response.line)
    carrier = _carrier_from_prose(response.prose)
    if cell.kind in ("scalar", "enum"):
        return Content(accept, cell.schema, examples)
    if cell.kind == "array":
        if not response.has_table:
            items = infer_items(sample, name + "Item", namer, name) if isinstance(sample, list) else ANY
            return Content(accept, Schema(type="array", items=items), examples)
        item_sample = _first_object(sample)
        item = _object_from_rows(response.rows, item_sample, namer, sink, carrier or name + "Item", registry)
        ref = registry.propose(carrier, item, source) if carrier else registry.anonymous(name + "Item", item, source)
        return Content(accept, Schema(type="array", items=ref), examples)
    if not response.has_table:
        additional = dictionary_values(sample, name, namer, name) if found else ANY
        return Content(accept, Schema(type="object", additional=additional), examples)
    obj = _object_from_rows(response.rows, sample, namer, sink, carrier or name + "Result", registry)
    ref = registry.propose(carrier, obj, source) if carrier else registry.anonymous(name + "Result", obj, source)
    return Content(accept, ref, examples)


def _sampled_first(media: tuple[str, ...], sample_content_type: str) -> tuple[str, ...]:
    """The listed media types, the one the sample answer shows first: what a client that accepts anything gets.
    Samples write `binary/octet-stream` for `application/octet-stream`; the subtype decides."""
    subtype = sample_content_type.split(";", 1)[0].strip().lower().rpartition("/")[2]
    shown = next((m for m in media if subtype and m.lower().rpartition("/")[2] == subtype), None)
    return (shown, *(m for m in media if m != shown)) if shown else media


def _first_object(sample: Any) -> dict[str, Any]:
    if isinstance(sample, list):
        merged: dict[str, Any] = {}
        for item in sample:
            if isinstance(item, dict):
                for key, value in item.items():
                    merged.setdefault(key, value)
        return merged
    return sample if isinstance(sample, dict) else {}


def merge_operations(first: Operation, other: Operation) -> tuple[Operation, list[str]]:
    """One operation documented twice: the union of what both pages say; contradictions are returned."""
    conflicts: list[str] = []
    params = {(p.location, p.name.lower()): p for p in first.parameters}
    merged_params = list(first.parameters)
    for p in other.parameters:
        key = (p.location, p.name.lower())
        if key in params:
            mine = params[key]
            schema = merge_schemas(mine.schema, p.schema, conflicts, f"{p.location} parameter {p.name}")
            merged_params[merged_params.index(mine)] = Parameter(
                mine.name, mine.location, schema, mine.required or p.required, mine.description or p.description)
        else:
            merged_params.append(p)
    body = first.request_body or other.request_body
    if first.request_body and other.request_body:
        body = RequestBody(first.request_body.description or other.request_body.description,
                           _merge_content(first.request_body.content, other.request_body.content, conflicts, "request body"),
                           alternatives=first.request_body.alternatives or other.request_body.alternatives)
    responses = {r.status: r for r in first.responses}
    for r in other.responses:
        mine = responses.get(r.status)
        if mine is None:
            responses[r.status] = r
        elif mine.content and r.content:
            responses[r.status] = Response(r.status, mine.description or r.description,
                                           _merge_content(mine.content, r.content, conflicts, f"response {r.status}"))
        else:
            responses[r.status] = Response(r.status, mine.description or r.description, mine.content or r.content)
    operation = Operation(
        operation_id=first.operation_id, method=first.method, path=first.path,
        summary=first.summary or other.summary,
        description=first.description if len(first.description) >= len(other.description) else other.description,
        tags=tuple(dict.fromkeys(first.tags + other.tags)), parameters=tuple(merged_params), request_body=body,
        responses=tuple(responses[c] for c in sorted(responses)), secured=first.secured or other.secured,
        sources=first.sources + other.sources,
    )
    return operation, conflicts


def _merge_content(a: Content, b: Content, conflicts: list[str], where: str) -> Content:
    media = tuple(dict.fromkeys(a.media_types + b.media_types))
    examples = list(a.examples)
    names = {e.name for e in examples}
    for example in b.examples:
        name, n = example.name, 2
        while name in names:  # Prism-style `Prefer: example=<name>` needs unique names
            name, n = f"{example.name}{n}", n + 1
        names.add(name)
        examples.append(Example(name, example.summary, example.value))
    return Content(media, merge_schemas(a.schema, b.schema, conflicts, where), tuple(examples))
