"""What the console loads: an index of every operation, and the spec one tag at a time.

A 3,300-operation spec is 30 MB of JSON, which no browser page turns into a usable view in a second. So the
console starts from a small index (method, path, operationId, summary and tag of each operation) for the tag
list and the search, and loads the spec of one tag (its operations and the components they reference, about
30 operations) when the user opens it. No document is downloaded twice and the whole spec not at all.

In a tag's spec each operation is what the console's "Try it out" form needs:
- path and required parameters carry an `example` the mock accepts (examples.py), and the request body's first
  example is one the mock accepts, in the media type the form sends first;
- the success answer lists, after the documented examples, one generated for the prefilled request;
- `servers` are dropped, so the form sends its requests to this mock and not to the documented host.
"""
from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from ..endpoints import Endpoint, Operations
from ..fakedata import DataFactory
from ..negotiation import media_key, structured_kind
from ..odata.step import is_odata_list
from ..responses import success_code
from ..reloading import refs_in
from ..spec import deref
from ..stateful import GeneratedData
from .examples import ExampleRequest, encoded_body, example_request, param_text

UNTAGGED = "default"  # where Swagger UI itself puts an operation without tags
GENERATED_EXAMPLE = "docmock"
DOCUMENTED = "documented"  # the name a media type's single `example` gets among the console's named ones


def operation_tag(source: Mapping[str, Any]) -> str:
    tags = source.get("tags")
    return str(tags[0]) if isinstance(tags, list) and tags else UNTAGGED


class ConsoleDocument:
    """The index and the per-tag specs of one app's document (the console keeps what it sent of them)."""

    def __init__(self, doc: Mapping[str, Any], operations: Operations, factory: DataFactory, seed: int) -> None:
        self.doc = doc
        self.operations = operations
        self.factory = factory
        self.generated = GeneratedData(operations, seed)  # what the stateless mock answers
        self._by_tag: dict[str, list[Endpoint]] = {}
        for endpoint in operations.by_id.values():
            self._by_tag.setdefault(operation_tag(endpoint.source or {}), []).append(endpoint)
        self._examples: dict[str, ExampleRequest] = {}

    @property
    def tags(self) -> list[str]:
        """Tags in the order the document lists them, then those only operations name."""
        listed = [str(t.get("name")) for t in self.doc.get("tags") or () if isinstance(t, Mapping)]
        return [t for t in listed if t in self._by_tag] + sorted(t for t in self._by_tag if t not in listed)

    def index(self) -> dict[str, Any]:
        descriptions = {str(t.get("name")): str(t.get("description") or "")
                        for t in self.doc.get("tags") or () if isinstance(t, Mapping)}
        info = self.doc.get("info") or {}
        return {
            "title": str(info.get("title") or "OpenAPI document"),
            "version": str(info.get("version") or ""),
            "tags": [{"name": tag, "description": descriptions.get(tag, ""), "count": len(self._by_tag[tag])}
                     for tag in self.tags],
            "operations": [{"tag": tag, "method": e.op.method, "path": e.op.path,
                            "operationId": e.op.operation_id, "summary": e.op.summary,
                            "deprecated": bool((e.source or {}).get("deprecated"))}
                           for tag in self.tags for e in self._by_tag[tag]],
        }

    def example(self, endpoint: Endpoint) -> ExampleRequest:
        """The operation's prefilled request, kept (worked out again at worst when two threads ask at once)."""
        op_id = endpoint.op.operation_id
        found = self._examples.get(op_id)
        if found is None:
            found = self._examples[op_id] = example_request(endpoint, self.operations.compiled(endpoint),
                                                            self.factory)
        return found

    def has_tag(self, tag: str) -> bool:
        return tag in self._by_tag

    def tag_spec(self, tag: str) -> dict[str, Any]:
        """The spec of one tag's operations, ready for the console (see the module)."""
        doc = self.doc
        paths: dict[str, dict[str, Any]] = {}
        for endpoint in self._by_tag[tag]:
            item = (doc.get("paths") or {}).get(endpoint.op.path) or {}
            operation = copy.deepcopy(dict(endpoint.source or {}))
            operation.pop("servers", None)
            operation["tags"] = [tag]  # shown under this tag only: the others have specs of their own
            self._prefill(endpoint, item, operation)
            paths.setdefault(endpoint.op.path, {})[endpoint.op.method.lower()] = operation
        listed = [t for t in doc.get("tags") or () if isinstance(t, Mapping) and t.get("name") == tag]
        spec: dict[str, Any] = {key: copy.deepcopy(doc[key]) for key in ("openapi", "info", "security",
                                                                          "jsonSchemaDialect") if key in doc}
        spec.update({"tags": copy.deepcopy(listed) or [{"name": tag}], "paths": paths})
        components = _referenced_components(doc, paths)
        schemes = (doc.get("components") or {}).get("securitySchemes")
        if schemes:
            components.setdefault("securitySchemes", {}).update(copy.deepcopy(schemes))
        if components:
            spec["components"] = components
        return spec

    def _prefill(self, endpoint: Endpoint, item: Mapping[str, Any], operation: dict[str, Any]) -> None:
        example = self.example(endpoint)
        # Path-level parameters join the operation's own (which win), resolved, so each can carry its example.
        merged: dict[tuple[str, str], dict[str, Any]] = {}
        for raw in [*(item.get("parameters") or ()), *(operation.get("parameters") or ())]:
            param = copy.deepcopy(dict(deref(self.doc, raw)))
            merged[(str(param.get("in")), str(param.get("name")))] = param
        for key, value in example.params.items():
            if key in merged:
                merged[key].pop("examples", None)
                merged[key]["example"] = value
        if merged:
            operation["parameters"] = list(merged.values())
        body = operation.get("requestBody")
        if example.media is not None and isinstance(body, Mapping):
            body = operation["requestBody"] = copy.deepcopy(dict(deref(self.doc, body)))
            content = body.get("content") or {}
            first = dict(content[example.media])
            documented = _named_examples(first)
            # The form sends the first example: the documented one the mock accepts, else a generated one.
            if example.body_documented is None:
                prefilled = {"valid": {"summary": "A request the mock accepts", "value": example.body}}
            else:
                key = DOCUMENTED if example.body_documented == "example" else example.body_documented
                prefilled = {key: documented.pop(key)}
            first["examples"] = {**prefilled, **documented}
            body["content"] = {example.media: first, **{k: v for k, v in content.items() if k != example.media}}
        self._add_generated_answer(endpoint, example, operation)

    def _add_generated_answer(self, endpoint: Endpoint, example: ExampleRequest, operation: dict[str, Any]) -> None:
        compiled = self.operations.compiled(endpoint)
        plan = compiled.success
        if plan is None or not plan.has_body or is_odata_list(endpoint.op, compiled, self.doc):
            return  # (an OData list answers rows of its own archive, not the schema's generated value)
        code = success_code(endpoint.op)
        response = (operation.get("responses") or {}).get(code)
        if response is None or not any(m.kind == "json" for m in plan.media.values()):
            return
        response = operation["responses"][code] = copy.deepcopy(dict(deref(self.doc, response)))
        media = next((m for m in response.get("content") or {} if structured_kind(media_key(m)) == "json"), None)
        if media is None:
            return
        path_params = {name: param_text(value) for name, value in example.values("path").items()}
        query = {name: [param_text(value)] for name, value in example.values("query").items()}
        value = self.generated.value(endpoint, plan, path_params, query, encoded_body(example.media, example.body))
        content = response["content"][media] = dict(response["content"][media])
        examples = _named_examples(content)
        examples[GENERATED_EXAMPLE] = {"summary": "What the mock generates for the prefilled request",
                                       "value": value}
        content["examples"] = examples


def _named_examples(media: dict[str, Any]) -> dict[str, Any]:
    """A media type's examples by name, its single `example` (taken out of it) among them as "documented": a
    media type has one or the other, and the console adds to them."""
    examples = dict(media.get("examples") or {})
    if "example" in media:
        examples.setdefault(DOCUMENTED, {"value": media.pop("example")})
    return examples


def _referenced_components(doc: Mapping[str, Any], paths: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The components `paths` reference, directly or through each other."""
    components = doc.get("components") or {}
    out: dict[str, dict[str, Any]] = {}
    pending = list(refs_in(paths))
    while pending:
        parts = [part.replace("~1", "/").replace("~0", "~") for part in pending.pop().split("/")]
        if len(parts) < 4 or parts[:2] != ["#", "components"]:
            continue
        section, name = parts[2], parts[3]
        if name in out.get(section, {}):
            continue
        target = (components.get(section) or {}).get(name)
        if target is None:
            continue
        out.setdefault(section, {})[name] = copy.deepcopy(target)
        pending.extend(refs_in(target))
    return out
