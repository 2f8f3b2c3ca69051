"""Converting a Swagger 2.0 document into the equivalent OpenAPI 3.1 document, by the rules swagger2openapi uses."""
from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import unquote

from .errors import SpecError

OPENAPI_VERSION = "3.1.0"
JSON = "application/json"
FORM_URLENCODED = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"

# Swagger 2.0 has no `trace`; anything else under a path item that is not one of these is copied or dropped.
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch")

# OpenAPI 3 component names must match ^[a-zA-Z0-9._-]+$; Swagger 2.0 definition names need not.
_NAME_INVALID = re.compile(r"[^A-Za-z0-9._-]")

# Schema keywords whose value is one subschema, a list of them, or a name -> subschema map: only these are
# walked, so that a *property* named `x-nullable` or `discriminator` is never rewritten.
_SUBSCHEMA_ONE = ("additionalProperties", "not", "contains", "propertyNames", "if", "then", "else",
                  "unevaluatedItems", "unevaluatedProperties")
_SUBSCHEMA_LIST = ("allOf", "anyOf", "oneOf", "prefixItems")
_SUBSCHEMA_MAP = ("properties", "patternProperties", "dependentSchemas", "definitions", "$defs")

# What a non-body parameter or a header says about its value, in the order the converted `schema` lists it.
_SIMPLE_SCHEMA_FIELDS = ("type", "format", "items", "enum", "default", "minimum", "exclusiveMinimum", "maximum",
                         "exclusiveMaximum", "multipleOf", "minLength", "maxLength", "pattern", "minItems",
                         "maxItems", "uniqueItems", "x-nullable")

# Extensions on a parameter or header that the conversion turns into OpenAPI fields (example, schema type).
_CONSUMED_EXTENSIONS = ("x-example", "x-nullable")

# collectionFormat -> (style, explode), per parameter location. Swagger's default for an array is csv, which is
# NOT OpenAPI 3's default for a query parameter (form, explode true): arrays always get an explicit style.
_COLLECTION_STYLES: dict[tuple[str, str], tuple[str, bool]] = {
    ("query", "csv"): ("form", False),
    ("query", "multi"): ("form", True),
    ("query", "ssv"): ("spaceDelimited", False),
    ("query", "pipes"): ("pipeDelimited", False),
    ("path", "csv"): ("simple", False),
    ("header", "csv"): ("simple", False),
    ("formData", "csv"): ("form", False),
    ("formData", "multi"): ("form", True),
    ("formData", "ssv"): ("spaceDelimited", False),
    ("formData", "pipes"): ("pipeDelimited", False),
}

# Swagger oauth2 `flow` -> OpenAPI 3 flow name, and which URLs that flow carries.
_OAUTH_FLOWS: dict[str, tuple[str, tuple[str, ...]]] = {
    "implicit": ("implicit", ("authorizationUrl",)),
    "password": ("password", ("tokenUrl",)),
    "application": ("clientCredentials", ("tokenUrl",)),
    "accessCode": ("authorizationCode", ("authorizationUrl", "tokenUrl")),
}


def is_swagger2(doc: Any) -> bool:
    """Whether `doc` is a Swagger 2.0 document: `swagger: "2.0"` (YAML may read it as the number 2.0), no `openapi`."""
    return isinstance(doc, Mapping) and "openapi" not in doc and str(doc.get("swagger", "")).startswith("2")


def to_openapi31(doc: Mapping[str, Any]) -> dict[str, Any]:
    """The OpenAPI 3.1 equivalent of a Swagger 2.0 document. `doc` is not changed and shares nothing with the
    result; the same input always gives the same output. A $ref to something the document lacks is rewritten
    but kept, so that whoever resolves it reports it."""
    if not is_swagger2(doc):
        raise SpecError("not a Swagger 2.0 document (it needs `swagger: \"2.0\"` and no `openapi`)")
    return _Converter(doc).document()


def _copy(value: Any) -> Any:
    return copy.deepcopy(value)


def _extensions(obj: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _copy(v) for k, v in obj.items() if isinstance(k, str) and k.startswith("x-")}


def _media_list(value: Any) -> tuple[str, ...]:
    """A consumes/produces value as distinct media types; a bare string (not allowed, but seen) counts as one."""
    items = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    return tuple(dict.fromkeys(str(v) for v in items if v))


def _component_names(names: Iterable[Any]) -> dict[str, str]:
    """Original name -> OpenAPI 3 component name. Valid names are kept; each invalid one gets its characters
    replaced and, if that collides, a numeric suffix: so renaming never takes a name the document already uses."""
    originals = [str(n) for n in names]
    table = {n: n for n in originals if not _NAME_INVALID.search(n)}
    taken = set(table)
    for name in originals:
        if name in table:
            continue
        base = _NAME_INVALID.sub("_", name) or "_"
        candidate, n = base, 2
        while candidate in taken:
            candidate, n = f"{base}_{n}", n + 1
        table[name] = candidate
        taken.add(candidate)
    return table


def _pointer_segment(raw: str) -> str:
    """One segment of a $ref fragment, decoded: percent-escapes first (it is a URI fragment), then ~1 and ~0."""
    return unquote(raw).replace("~1", "/").replace("~0", "~")


class _Converter:
    """One conversion: the source document and the name tables its references are rewritten with."""

    def __init__(self, doc: Mapping[str, Any]) -> None:
        self.doc = doc
        self.definitions = self._section("definitions")
        self.parameters = self._section("parameters")
        self.responses = self._section("responses")
        self.security_definitions = self._section("securityDefinitions")
        self.schema_names = _component_names(self.definitions)
        self.parameter_names = _component_names(self.parameters)
        self.response_names = _component_names(self.responses)
        self.scheme_names = _component_names(self.security_definitions)
        self.consumes = _media_list(doc.get("consumes")) or (JSON,)
        self.produces = _media_list(doc.get("produces")) or (JSON,)

    def _section(self, key: str) -> Mapping[str, Any]:
        value = self.doc.get(key)
        return value if isinstance(value, Mapping) else {}

    # -- the document ------------------------------------------------------------------------------------------

    def document(self) -> dict[str, Any]:
        doc = self.doc
        out: dict[str, Any] = {"openapi": OPENAPI_VERSION}
        if "info" in doc:
            out["info"] = _copy(doc["info"])
        servers = self._servers(doc.get("schemes"))
        if servers:
            out["servers"] = servers
        paths = doc.get("paths")
        if isinstance(paths, Mapping):
            out["paths"] = {str(path): self._path_item(item) if not str(path).startswith("x-") else _copy(item)
                            for path, item in paths.items()}
        elif paths is not None:
            out["paths"] = _copy(paths)  # not a mapping: the loader downstream says so
        components = self._components()
        if components:
            out["components"] = components
        if "security" in doc:
            out["security"] = self._security(doc["security"])
        for key in ("tags", "externalDocs"):
            if key in doc:
                out[key] = _copy(doc[key])
        out.update(_extensions(doc))
        return out

    def _servers(self, schemes: Any) -> list[dict[str, str]]:
        host = self.doc.get("host")
        base_path = str(self.doc.get("basePath") or "")
        if host:
            base = base_path.rstrip("/")
            if base and not base.startswith("/"):
                base = "/" + base
            names = [str(s) for s in schemes] if isinstance(schemes, list) and schemes else []
            # Without schemes Swagger means "the scheme the document was fetched with": a scheme-relative URL.
            return [{"url": f"{s}://{host}{base}"} for s in names] or [{"url": f"//{host}{base}"}]
        if base_path:
            return [{"url": "/" + base_path.strip("/")}]
        return []

    def _components(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.definitions:
            out["schemas"] = {self.schema_names[str(n)]: self._schema(s) for n, s in self.definitions.items()}
        if self.responses:
            out["responses"] = {self.response_names[str(n)]: self._response(r, self.produces)
                                for n, r in self.responses.items()}
        parameters: dict[str, Any] = {}
        bodies: dict[str, Any] = {}
        for name, p in self.parameters.items():
            location = p.get("in") if isinstance(p, Mapping) else None
            if location == "body":
                bodies[self.parameter_names[str(name)]] = self._request_body(p, self.consumes)
            elif location != "formData":  # form fields have no component form: they are inlined where used
                parameters[self.parameter_names[str(name)]] = self._parameter(p)
        if parameters:
            out["parameters"] = parameters
        if bodies:
            out["requestBodies"] = bodies
        if self.security_definitions:
            out["securitySchemes"] = {self.scheme_names[str(n)]: self._security_scheme(s)
                                      for n, s in self.security_definitions.items()}
        return out

    def _security(self, requirements: Any) -> Any:
        if not isinstance(requirements, list):
            return _copy(requirements)
        return [{self.scheme_names.get(str(k), str(k)): _copy(v) for k, v in r.items()}
                if isinstance(r, Mapping) else _copy(r) for r in requirements]

    def _security_scheme(self, scheme: Any) -> Any:
        if not isinstance(scheme, Mapping):
            return _copy(scheme)
        kind = scheme.get("type")
        out: dict[str, Any]
        if kind == "basic":
            out = {"type": "http"}
            self._copy_keys(scheme, out, ("description",))
            out["scheme"] = "basic"
        elif kind == "apiKey":
            out = {"type": "apiKey"}
            self._copy_keys(scheme, out, ("description", "name", "in"))
        elif kind == "oauth2":
            out = {"type": "oauth2"}
            self._copy_keys(scheme, out, ("description",))
            flows: dict[str, Any] = {}
            known = _OAUTH_FLOWS.get(str(scheme.get("flow")))
            if known is not None:
                name, urls = known
                flow: dict[str, Any] = {k: _copy(scheme[k]) for k in urls if k in scheme}
                flow["scopes"] = _copy(scheme.get("scopes") or {})
                flows[name] = flow
            out["flows"] = flows
        else:
            return _copy(scheme)  # not a Swagger 2.0 kind: left for the validator to name
        out.update(_extensions(scheme))
        return out

    @staticmethod
    def _copy_keys(source: Mapping[str, Any], target: dict[str, Any], keys: Iterable[str]) -> None:
        for key in keys:
            if key in source:
                target[key] = _copy(source[key])

    # -- references ---------------------------------------------------------------------------------------------

    def _ref(self, ref: str) -> str:
        """A local Swagger reference rewritten to where its target lives in OpenAPI 3; other references as they
        are (an external document is not ours to rewrite). A missing target keeps a rewritten, dangling ref."""
        if not ref.startswith("#/"):
            return ref
        section, _, rest = ref[2:].partition("/")
        raw_name, slash, tail = rest.partition("/")
        if not raw_name:
            return ref
        name = _pointer_segment(raw_name)
        # A name the document lacks keeps its spelling: the reference stays dangling, and says what it wanted.
        if section == "definitions":
            target = f"schemas/{self.schema_names.get(name, raw_name)}"
        elif section == "parameters":
            p = self.parameters.get(name)
            kind = "requestBodies" if isinstance(p, Mapping) and p.get("in") == "body" else "parameters"
            target = f"{kind}/{self.parameter_names.get(name, raw_name)}"
        elif section == "responses":
            target = f"responses/{self.response_names.get(name, raw_name)}"
        else:
            return ref
        return f"#/components/{target}{slash}{tail}"

    def _global(self, section: Mapping[str, Any], ref: Any, prefix: str) -> Mapping[str, Any] | None:
        """The object a local `#/<prefix>/NAME` reference names in `section`, or None."""
        if not isinstance(ref, str) or not ref.startswith(f"#/{prefix}/"):
            return None
        target = section.get(_pointer_segment(ref[len(prefix) + 3:]))
        return target if isinstance(target, Mapping) else None

    # -- schemas ------------------------------------------------------------------------------------------------

    def _schema(self, schema: Any) -> Any:
        """A Swagger 2.0 (JSON Schema draft 4 subset) schema as JSON Schema 2020-12."""
        if not isinstance(schema, Mapping):
            return _copy(schema)
        out: dict[str, Any] = {}
        for key, value in schema.items():
            if key == "$ref" and isinstance(value, str):
                out[key] = self._ref(value)
            elif key == "type":
                self._type(value, schema, out)
            elif key == "format" and "format" in out:
                continue  # already set by `type: file`
            elif key in ("exclusiveMinimum", "exclusiveMaximum") and isinstance(value, bool):
                continue  # draft 4's boolean form: folded into the bound below
            elif key in ("minimum", "maximum"):
                flag = "exclusiveMinimum" if key == "minimum" else "exclusiveMaximum"
                out[flag if schema.get(flag) is True else key] = _copy(value)
            elif key == "discriminator" and isinstance(value, str):
                out[key] = {"propertyName": value}
            elif key == "x-nullable":
                continue  # applied below, once the type is known
            elif key == "items":
                if isinstance(value, list):  # draft 4 tuple form
                    out["prefixItems"] = [self._schema(s) for s in value]
                else:
                    out[key] = self._schema(value)
            elif key == "additionalItems":
                if isinstance(schema.get("items"), list):
                    out["items"] = self._schema(value)
                else:
                    continue  # meaningless without a tuple `items`, and not a 2020-12 keyword
            elif key == "additionalProperties" and _is_dotnet_object(value):
                # Swashbuckle writes .NET's `object` (any value) as a bare object schema: the archive's rows
                # (`Dictionary<string, object>`) hold numbers and text, as the docs' samples show.
                out[key] = {}
            elif key in _SUBSCHEMA_ONE:
                out[key] = self._schema(value)
            elif key in _SUBSCHEMA_LIST and isinstance(value, list):
                out[key] = [self._schema(s) for s in value]
            elif key in _SUBSCHEMA_MAP and isinstance(value, Mapping):
                out[key] = {k: self._schema(s) for k, s in value.items()}
            else:
                out[key] = _copy(value)
        if schema.get("x-nullable") is True:
            _make_nullable(out)
        return out

    @staticmethod
    def _type(value: Any, schema: Mapping[str, Any], out: dict[str, Any]) -> None:
        """`type: file` is a binary string in OpenAPI 3; a list of types (not Swagger, but seen) is kept as one."""
        if value == "file":
            out["type"] = "string"
            out["format"] = "binary"
        elif isinstance(value, list):
            types = list(dict.fromkeys("string" if t == "file" else t for t in value))
            out["type"] = types
            if "file" in value:
                out["format"] = "binary"
        else:
            out["type"] = _copy(value)

    # -- parameters and request bodies --------------------------------------------------------------------------

    def _parameter(self, p: Any) -> Any:
        """A query, path or header parameter (or one in an unknown place, kept as such)."""
        if not isinstance(p, Mapping):
            return _copy(p)
        if isinstance(p.get("$ref"), str):
            return {"$ref": self._ref(p["$ref"])}
        location = str(p.get("in", ""))
        out: dict[str, Any] = {"name": _copy(p.get("name")), "in": location}
        self._copy_keys(p, out, ("description",))
        if location == "path":
            out["required"] = True  # OpenAPI 3 insists; Swagger 2.0 did too, but not every document says so
        elif "required" in p:
            out["required"] = bool(p["required"])
        if location == "query" and "allowEmptyValue" in p:
            out["allowEmptyValue"] = bool(p["allowEmptyValue"])
        collection = _collection(p, location) or {}
        if "style" in collection:
            out.update(collection)
        out["schema"] = self._schema(_simple_schema(p))
        example = _example(p)
        if example is not None:
            out["example"] = example[0]
        if "x-collectionFormat" in collection:
            out["x-collectionFormat"] = collection["x-collectionFormat"]
        out.update((k, v) for k, v in _extensions(p).items() if k not in _CONSUMED_EXTENSIONS)
        return out

    def _request_body(self, p: Mapping[str, Any], consumes: tuple[str, ...]) -> dict[str, Any]:
        """A body parameter: one content entry per media type the operation consumes, each with the schema."""
        out: dict[str, Any] = {}
        self._copy_keys(p, out, ("description",))
        schema = self._schema(p.get("schema", {}))
        content = {media: {"schema": _copy(schema)} for media in consumes}
        examples = p.get("x-examples")
        if isinstance(examples, Mapping):  # the usual extension for body examples, by media type
            for media, example in examples.items():
                content.setdefault(str(media), {"schema": _copy(schema)})["example"] = _copy(example)
        out["content"] = content
        if "required" in p:
            out["required"] = bool(p["required"])
        out.update((k, v) for k, v in _extensions(p).items() if k != "x-examples")
        return out

    def _form_body(self, fields: list[Mapping[str, Any]], consumes: tuple[str, ...]) -> dict[str, Any]:
        """formData parameters as one object schema, sent as multipart/form-data or urlencoded."""
        properties: dict[str, Any] = {}
        required: list[str] = []
        encoding: dict[str, Any] = {}
        for p in fields:
            name = str(p.get("name"))
            prop: dict[str, Any] = {}
            self._copy_keys(p, prop, ("description",))
            prop.update(self._schema(_simple_schema(p)))
            example = _example(p)
            if example is not None:
                prop["example"] = example[0]
            prop.update((k, v) for k, v in _extensions(p).items() if k not in _CONSUMED_EXTENSIONS)
            properties[name] = prop
            if p.get("required") is True:
                required.append(name)
            collection = _collection(p, "formData")
            if collection is not None:
                encoding[name] = collection
        schema: dict[str, Any] = {"type": "object", "properties": properties}
        if required:
            schema["required"] = required
        has_file = any(p.get("type") == "file" for p in fields)
        media_types = [m for m in consumes if m in (FORM_URLENCODED, MULTIPART)]
        if not media_types:  # a file needs multipart; anything else reads as a plain form
            media_types = [MULTIPART if has_file else FORM_URLENCODED]
        content: dict[str, Any] = {}
        for media in media_types:
            entry: dict[str, Any] = {"schema": _copy(schema)}
            if encoding and media == FORM_URLENCODED:  # OpenAPI 3.1 applies style/explode to urlencoded only
                entry["encoding"] = _copy(encoding)
            content[media] = entry
        out: dict[str, Any] = {"content": content}
        if required:
            out["required"] = True
        return out

    # -- paths and operations -----------------------------------------------------------------------------------

    def _resolve_parameter(self, p: Any) -> Mapping[str, Any] | None:
        """The parameter itself, or the global one its $ref names (None: not a mapping, or a dangling ref)."""
        if not isinstance(p, Mapping):
            return None
        if "$ref" in p:
            return self._global(self.parameters, p["$ref"], "parameters")
        return p

    @staticmethod
    def _key(p: Mapping[str, Any] | None) -> tuple[str, str] | None:
        if p is None:
            return None
        location = str(p.get("in", ""))
        # A body is one per operation whatever its name: an operation's body replaces the path's.
        return (location, "") if location == "body" else (location, str(p.get("name", "")))

    def _path_item(self, item: Any) -> Any:
        if not isinstance(item, Mapping):
            return _copy(item)
        out: dict[str, Any] = {}
        if "$ref" in item:
            out["$ref"] = _copy(item["$ref"])  # an external path item: not ours to convert
        shared = item.get("parameters") if isinstance(item.get("parameters"), list) else []
        # OpenAPI 3 has no path-level body: body and form parameters move into every operation below.
        kept = [p for p in shared if self._location(p) not in ("body", "formData")]
        carried = [p for p in shared if self._location(p) in ("body", "formData")]
        if kept:
            out["parameters"] = [self._parameter(p) for p in kept]
        for key, value in item.items():
            if key in _METHODS:
                out[key] = self._operation(value, carried)
        out.update(_extensions(item))
        return out

    def _location(self, p: Any) -> str | None:
        resolved = self._resolve_parameter(p)
        return str(resolved.get("in")) if resolved is not None else None

    def _operation(self, op: Any, carried: list[Any]) -> Any:
        if not isinstance(op, Mapping):
            return _copy(op)
        out: dict[str, Any] = {}
        self._copy_keys(op, out, ("tags", "summary", "description", "externalDocs", "operationId"))
        consumes = _media_list(op.get("consumes")) or self.consumes
        produces = _media_list(op.get("produces")) or self.produces
        own = op.get("parameters") if isinstance(op.get("parameters"), list) else []
        # The operation's own parameters replace path-level ones of the same place and name.
        overridden = {self._key(self._resolve_parameter(p)) for p in own} - {None}
        merged = [p for p in carried if self._key(self._resolve_parameter(p)) not in overridden] + list(own)
        parameters: list[Any] = []
        body: Any = None
        fields: list[Mapping[str, Any]] = []
        for p in merged:
            resolved = self._resolve_parameter(p)
            location = resolved.get("in") if resolved is not None else None
            if location == "body" and resolved is not None and body is None:
                body = self._body_for(p, resolved, consumes)
            elif location == "formData" and resolved is not None:
                fields.append(resolved)
            elif location != "body":
                parameters.append(self._parameter(p))
        if parameters:
            out["parameters"] = parameters
        if body is not None:
            out["requestBody"] = body  # a body and form fields together are not valid Swagger: the body wins
        elif fields:
            out["requestBody"] = self._form_body(fields, consumes)
        if "responses" in op:
            responses = op["responses"]
            out["responses"] = ({str(code): self._operation_response(r, produces) for code, r in responses.items()}
                                if isinstance(responses, Mapping) else _copy(responses))
        if "deprecated" in op:
            out["deprecated"] = _copy(op["deprecated"])
        if "security" in op:
            out["security"] = self._security(op["security"])
        schemes = op.get("schemes")
        if isinstance(schemes, list) and schemes and schemes != self.doc.get("schemes"):
            servers = self._servers(schemes)
            if servers:
                out["servers"] = servers
        out.update(_extensions(op))
        return out

    def _body_for(self, p: Mapping[str, Any], resolved: Mapping[str, Any], consumes: tuple[str, ...]) -> Any:
        """A body parameter of an operation; a reference to a global one stays a reference (to the requestBody
        component) when the operation consumes what the component was built for."""
        if "$ref" in p and consumes == self.consumes:
            return {"$ref": self._ref(str(p["$ref"]))}
        return self._request_body(resolved, consumes)

    def _operation_response(self, r: Any, produces: tuple[str, ...]) -> Any:
        """An operation's response; a reference to a global one whose content depends on what the operation
        produces is inlined when the operation produces something else than the component was built for."""
        if isinstance(r, Mapping) and "$ref" in r and produces != self.produces:
            target = self._global(self.responses, r["$ref"], "responses")
            if target is not None and ("schema" in target or "examples" in target):
                return self._response(target, produces)
        return self._response(r, produces)

    def _response(self, r: Any, produces: tuple[str, ...]) -> Any:
        if not isinstance(r, Mapping):
            return _copy(r)
        if isinstance(r.get("$ref"), str):
            return {"$ref": self._ref(r["$ref"])}
        out: dict[str, Any] = {"description": _copy(r.get("description", ""))}  # required in OpenAPI 3
        headers = r.get("headers")
        if isinstance(headers, Mapping) and headers:
            out["headers"] = {str(name): self._header(h) for name, h in headers.items()}
        content: dict[str, Any] = {}
        has_schema = "schema" in r
        schema = self._schema(r["schema"]) if has_schema else None
        if has_schema:
            content = {media: {"schema": _copy(schema)} for media in produces}
        examples = r.get("examples")
        if isinstance(examples, Mapping):
            for media, example in examples.items():
                entry = content.setdefault(str(media), {"schema": _copy(schema)} if has_schema else {})
                entry["example"] = _copy(example)
        if content:
            out["content"] = content
        out.update(_extensions(r))
        return out

    def _header(self, h: Any) -> Any:
        if not isinstance(h, Mapping):
            return _copy(h)
        if isinstance(h.get("$ref"), str):
            return {"$ref": self._ref(h["$ref"])}
        out: dict[str, Any] = {}
        self._copy_keys(h, out, ("description",))
        collection = _collection(h, "header")
        out["schema"] = self._schema(_simple_schema(h))
        example = _example(h)
        if example is not None:
            out["example"] = example[0]
        if collection is not None and "x-collectionFormat" in collection:
            out["x-collectionFormat"] = collection["x-collectionFormat"]  # csv is a header's default already
        out.update((k, v) for k, v in _extensions(h).items() if k not in _CONSUMED_EXTENSIONS)
        return out


def _is_dotnet_object(schema: Any) -> bool:
    return isinstance(schema, Mapping) and dict(schema) == {"type": "object"}


def _simple_schema(p: Mapping[str, Any]) -> dict[str, Any]:
    """The schema a non-body parameter or a header describes inline (still Swagger-shaped: `_schema` converts it)."""
    out = {k: p[k] for k in _SIMPLE_SCHEMA_FIELDS if k in p}
    if isinstance(out.get("items"), Mapping):
        out["items"] = _items(out["items"])
    return out


def _items(items: Mapping[str, Any]) -> dict[str, Any]:
    """An Items Object as a schema: its own collectionFormat (nested arrays) has no OpenAPI 3 equivalent."""
    out = {k: v for k, v in items.items() if k != "collectionFormat"}
    if isinstance(out.get("items"), Mapping):
        out["items"] = _items(out["items"])
    return out


def _collection(p: Mapping[str, Any], location: str) -> dict[str, Any] | None:
    """style/explode for an array parameter (csv when it names no collectionFormat), or an x-collectionFormat
    that keeps a format OpenAPI 3 cannot express (tsv; ssv, pipes or multi outside the query); None otherwise."""
    if p.get("type") != "array":
        return None
    fmt = str(p.get("collectionFormat") or "csv")
    known = _COLLECTION_STYLES.get((location, fmt))
    if known is None:
        return {"x-collectionFormat": fmt}
    style, explode = known
    return {"style": style, "explode": explode}


def _example(p: Mapping[str, Any]) -> tuple[Any] | None:
    """The example a parameter or header gives (`x-example`, the usual extension, or `example`), boxed so that
    an example of null is told apart from none."""
    for key in ("x-example", "example"):
        if key in p:
            return (_copy(p[key]),)
    return None


def _make_nullable(schema: dict[str, Any]) -> None:
    """x-nullable: true as JSON Schema 2020-12 says it: "null" among the types (or beside a reference)."""
    t = schema.get("type")
    if isinstance(t, str):
        schema["type"] = [t, "null"]
    elif isinstance(t, list):
        if "null" not in t:
            schema["type"] = [*t, "null"]
    elif any(k in schema for k in ("$ref", "allOf", "oneOf", "anyOf")):
        inner = {k: schema.pop(k) for k in ("$ref", "allOf", "oneOf", "anyOf") if k in schema}
        schema["anyOf"] = [inner, {"type": "null"}]
    if isinstance(schema.get("enum"), list) and None not in schema["enum"]:
        schema["enum"] = [*schema["enum"], None]
