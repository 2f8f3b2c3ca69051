"""A request the mock accepts, for each operation: what the console's "Try it out" form is prefilled with.

Path parameters and required query, header and cookie parameters get a value, and an operation with a request
body gets a body. A documented example is used where the operation's own request checks accept it; otherwise a
generated value is drawn again (a few seeds) until they do. Ids get a friendly 42 where the schema allows it.
"""
from __future__ import annotations

import json
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from ..endpoints import Compiled, Endpoint
from ..fakedata import DataFactory
from ..negotiation import media_key, structured_kind
from ..spec import Parameter, success_examples
from ..problems import Violation
from ..validation import RequestValidator

FRIENDLY_ID = 42
_TRIES = 8  # seeds tried per parameter and per body before the last draw is kept as it is
_PREFERRED_MEDIA = ("application/json", "text/json", "application/x-www-form-urlencoded", "application/xml")


@dataclass(frozen=True, slots=True)
class ExampleRequest:
    """One operation's example request. Values are JSON values, as the console's form shows them."""

    params: dict[tuple[str, str], Any] = field(default_factory=dict)  # (location, name) -> value
    media: str | None = None
    body: Any = None
    body_documented: str | None = None  # the name of the documented example used as the body, if one was

    def values(self, location: str) -> dict[str, Any]:
        return {name: value for (where, name), value in self.params.items() if where == location}


def param_text(value: Any) -> str:
    """A parameter value as it travels in a URL or header (form/simple style)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(param_text(v) for v in value)
    if isinstance(value, (dict, type(None))):
        return json.dumps(value)
    return str(value)


def encoded_body(media: str | None, body: Any) -> bytes:
    """The example body as sent with `Content-Type: media`."""
    if media is None or body is None:
        return b""
    kind = structured_kind(media_key(media))
    if isinstance(body, str) and kind != "json":
        return body.encode()
    if media_key(media) == "application/x-www-form-urlencoded" and isinstance(body, Mapping):
        return urlencode({k: param_text(v) for k, v in body.items()}).encode()
    return json.dumps(body, ensure_ascii=False).encode()


def example_request(endpoint: Endpoint, compiled: Compiled, factory: DataFactory) -> ExampleRequest:
    op = endpoint.op
    validator = compiled.validator
    params: dict[tuple[str, str], Any] = {}
    for p in op.parameters:
        if p.location == "path" or p.required:
            params[(p.location, p.name)] = _parameter_value(p, validator, factory, params)
    media, body, documented = _body(op.request_body, validator, factory, params, _success_example(op.responses))
    return ExampleRequest(params, media, body, documented)


def _parameter_value(p: Parameter, validator: RequestValidator, factory: DataFactory,
                     known: Mapping[tuple[str, str], Any]) -> Any:
    generate = factory.generator(p.schema, p.name)
    candidates: list[Any] = []
    if p.name.lower().endswith("id"):
        candidates.append(FRIENDLY_ID)
    candidates.extend(generate(random.Random(seed), 0) for seed in range(_TRIES))
    key = (p.location, p.name)
    for value in candidates:  # (without a body yet: a required one is missing, which is not this value's fault)
        if not any(v.location == f"{p.location}.{p.name}" for v in _violations(validator, {**known, key: value})):
            return value
    return candidates[-1]


def _chosen_media(content: Mapping[str, Any]) -> str | None:
    """The media type the form sends: JSON where the operation takes it, else the first it documents."""
    keys = {media_key(m): m for m in content}
    for media in _PREFERRED_MEDIA:
        if media in keys:
            return keys[media]
    return next(iter(content), None)


def _success_example(responses: Mapping[str, Any]) -> Mapping[str, Any]:
    """The first documented example object of a 2xx answer (what a JSON Patch example can change)."""
    return next((e for e in success_examples(responses) if isinstance(e, Mapping)), {})


def _json_patch(compiler: Any, schema: Any, record: Mapping[str, Any]) -> list[Any]:
    """A JSON Patch that changes one text property of the documented record, when the body is a JSON Patch
    (an array of objects with `op` and `path`): a generated `op` would be a word the mock cannot apply."""
    resolved = compiler.resolve(schema) if isinstance(schema, Mapping) else {}
    items = compiler.resolve(resolved.get("items")) if isinstance(resolved.get("items"), Mapping) else {}
    if resolved.get("type") != "array" or not {"op", "path"} <= set(items.get("properties") or {}):
        return []
    name = next((k for k, v in record.items() if isinstance(v, str) and v and not k.lower().endswith("id")), None)
    return [[{"op": "replace", "path": f"/{name}", "value": record[name]}]] if name else [[]]


def _body(request_body: Mapping[str, Any] | None, validator: RequestValidator, factory: DataFactory,
          params: Mapping[tuple[str, str], Any], record: Mapping[str, Any]) -> tuple[str | None, Any, str | None]:
    content = (request_body or {}).get("content") or {}
    media = _chosen_media(content)
    if media is None:
        return None, None, None
    media_object = content[media] if isinstance(content[media], Mapping) else {}
    candidates: list[tuple[str | None, Any]] = [(name, example.get("value"))
                                                for name, example in (media_object.get("examples") or {}).items()
                                                if isinstance(example, Mapping) and "value" in example]
    if "example" in media_object:
        candidates.append(("example", media_object["example"]))
    schema = media_object.get("schema", {})
    candidates.extend((None, patch) for patch in _json_patch(validator.compiler, schema, record))
    generate = factory.generator(schema)
    drawn = [generate(random.Random(seed), 0) for seed in range(_TRIES)]
    candidates.extend((None, value) for first in drawn[:1] for value in (_friendly_ids(first), first))
    candidates.extend((None, value) for value in drawn[1:])
    for name, value in candidates:
        if not _violations(validator, params, media, value):
            return media, value, name
    return media, candidates[-1][1], None


def _friendly_ids(value: Any) -> Any:
    """`value` with the ids it holds made friendly: `"BatchTaskId": 42`, `"BatchTaskIds": [42, 43, 44]`."""
    if isinstance(value, list):
        return [_friendly_ids(v) for v in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for key, item in value.items():
        name = key.lower()
        if name.endswith("id") and type(item) is int:
            out[key] = FRIENDLY_ID
        elif name.endswith("ids") and isinstance(item, list) and all(type(v) is int for v in item):
            out[key] = [FRIENDLY_ID + n for n in range(len(item))]
        else:
            out[key] = _friendly_ids(item)
    return out


def _violations(validator: RequestValidator, params: Mapping[tuple[str, str], Any], media: str | None = None,
                body: Any = None) -> tuple[Violation, ...]:
    def texts(location: str) -> dict[str, str]:
        return {name: param_text(value) for (where, name), value in params.items() if where == location}

    query = {name: [param_text(v) for v in value] if isinstance(value, list) else [param_text(value)]
             for (where, name), value in params.items() if where == "query"}
    headers = {name.lower(): text for name, text in texts("header").items()}
    checked = validator.check(texts("path"), query, headers, texts("cookie"), media, encoded_body(media, body))
    return checked.violations
