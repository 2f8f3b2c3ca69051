"""Renders the API model to the OpenAPI document with Jinja2, then checks it with openapi-spec-validator."""
from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

import yaml
from jinja2 import Environment, PackageLoader, StrictUndefined
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from .errors import DocsError
from .model import ApiModel, Operation, Schema

OPENAPI_VERSION = "3.1.0"
_METHOD_ORDER = {m: i for i, m in enumerate(("get", "put", "post", "delete", "options", "head", "patch", "trace"))}
# YAML rejects these even inside quoted scalars; JSON escaping leaves them as they are.
_YAML_UNPRINTABLE = re.compile("[^\x09\x0a\x0d\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]|[\u2028\u2029\ufeff]")
_JSON_MEDIA = re.compile(r"^(application|text)/([\w.+-]*\+)?json$")


def _escape_unprintable(text: str) -> str:
    def escape(match: re.Match[str]) -> str:
        code = ord(match.group(0))
        if code > 0xFFFF:
            code -= 0x10000
            return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
        return f"\\u{code:04x}"

    return _YAML_UNPRINTABLE.sub(escape, text)


def yaml_scalar(value: Any) -> str:
    return _escape_unprintable(json.dumps(value, ensure_ascii=False))


def json_value(value: Any, indent: int) -> str:
    text = _escape_unprintable(json.dumps(value, ensure_ascii=False, indent=2))
    return text.replace("\n", "\n" + " " * indent)


def _with_description(schema: Schema, description: str) -> Schema:
    return dataclasses.replace(schema, description=description) if description else schema


def _or_empty(rendered: str) -> str:
    return rendered if rendered.strip() else " {}"


_ENV = Environment(loader=PackageLoader("generator", "templates"), undefined=StrictUndefined, autoescape=False,
                   keep_trailing_newline=True)
def _example_media(media_types: tuple[str, ...]) -> str | None:
    """Samples are JSON: they are shown once, under the first JSON media type."""
    return next((m for m in media_types if _JSON_MEDIA.match(m)), None)


_ENV.filters.update(q=yaml_scalar, json_value=json_value, with_description=_with_description, or_empty=_or_empty,
                    example_media=_example_media)
_TEMPLATE = _ENV.get_template("openapi.yaml.j2")


def render_yaml(model: ApiModel, version: str = "1.0.0") -> str:
    grouped: dict[str, list[Operation]] = {}
    for op in model.operations:
        grouped.setdefault(op.path, []).append(op)
    paths = [(path, sorted(ops, key=lambda o: _METHOD_ORDER.get(o.method, 99))) for path, ops in sorted(grouped.items())]
    secured = any(op.secured for op in model.operations)
    text = _TEMPLATE.render(model=model, paths=paths, secured=secured, version=version)
    return text if text.endswith("\n") else text + "\n"


def load_yaml(text: str) -> dict[str, Any]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(text, Loader=loader)


def validate_spec(spec: dict[str, Any]) -> None:
    try:
        validate(spec)
    except OpenAPIValidationError as exc:
        raise DocsError(f"the generated document is not valid OpenAPI: {exc.message}") from exc


def to_json(spec: dict[str, Any]) -> str:
    return json.dumps(spec, indent=2, ensure_ascii=False) + "\n"
