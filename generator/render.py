"""Renders the OpenAPI document as text: block YAML through the Jinja2 template, or JSON."""
from __future__ import annotations

import json
import re
from typing import Any

import yaml
from jinja2 import Environment, PackageLoader, StrictUndefined

# YAML rejects these even inside quoted scalars, or folds them (NEL, line and paragraph separators, BOM);
# JSON escaping leaves them as they are.
_YAML_UNPRINTABLE = re.compile("[^\x09\x0a\x0d\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]|[\u2028\u2029\ufeff]")
_PLAIN_KEY = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$.-]*$")
# Plain keys YAML 1.1 readers would take for booleans or null.
_RESERVED_KEYS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null"}


def _escape_unprintable(text: str) -> str:
    def escape(match: re.Match[str]) -> str:
        code = ord(match.group(0))
        if code > 0xFFFF:
            code -= 0x10000
            return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
        return f"\\u{code:04x}"

    return _YAML_UNPRINTABLE.sub(escape, text)


# What json.dumps(text, ensure_ascii=False) does for a string, without building an encoder per call.
_json_string = json.encoder.encode_basestring


def yaml_scalar(value: Any) -> str:
    if isinstance(value, str):
        return _escape_unprintable(_json_string(value))
    return _escape_unprintable(json.dumps(value, ensure_ascii=False))


def yaml_key(key: str) -> str:
    return key if _PLAIN_KEY.fullmatch(key) and key.lower() not in _RESERVED_KEYS else yaml_scalar(key)


def yaml_block(value: Any) -> str:
    """What follows `key:` for `value`: ` scalar`, or a newline and the indented block of a non-empty container.

    This is the template's `block` filter. A recursive template macro would state the same rules, several
    times slower: the full reference renders to more than 20 MB.
    """
    if not _is_block(value):
        return " " + yaml_scalar(value)
    lines: list[str] = []
    _write_block(value, "  ", lines, {}, {})
    return "\n" + "\n".join(lines)


def yaml_lines(mapping: dict[str, Any], pad: str) -> str:
    """The lines `mapping`'s entries take in a block at indent `pad`, as `block` writes them."""
    lines: list[str] = []
    _write_block(mapping, pad, lines, {}, {})
    return "\n".join(lines)


_CONTAINERS = (dict, list, tuple)


def _is_block(value: Any) -> bool:
    return isinstance(value, _CONTAINERS) and bool(value)


def _write_block(value: Any, pad: str, lines: list[str], scalars: dict[str, str], keys: dict[str, str]) -> None:
    """Appends `value`'s lines at indent `pad`. `scalars` and `keys` remember rendered strings: docs repeat them."""
    if isinstance(value, dict):
        for key, item in value.items():
            text = keys.get(key)
            if text is None:
                text = keys[key] = yaml_key(key)
            if item and isinstance(item, _CONTAINERS):
                lines.append(f"{pad}{text}:")
                _write_block(item, pad + "  ", lines, scalars, keys)
            else:
                lines.append(f"{pad}{text}: {_scalar(item, scalars)}")
        return
    for item in value:
        if isinstance(item, dict) and item:
            # A mapping in a list starts on the dash's line: `- key: value`.
            start = len(lines)
            _write_block(item, pad + "  ", lines, scalars, keys)
            lines[start] = f"{pad}- {lines[start][len(pad) + 2:]}"
        elif _is_block(item):
            lines.append(f"{pad}-")
            _write_block(item, pad + "  ", lines, scalars, keys)
        else:
            lines.append(f"{pad}- {_scalar(item, scalars)}")


def _scalar(value: Any, seen: dict[str, str]) -> str:
    if value is True or value is False or value is None:
        return _CONSTANTS[value]
    if type(value) is int:
        return str(value)
    if not isinstance(value, str):
        return yaml_scalar(value)
    text = seen.get(value)
    if text is None:
        text = seen[value] = yaml_scalar(value)
    return text


_CONSTANTS = {True: "true", False: "false", None: "null"}


_ENV = Environment(loader=PackageLoader("generator", "templates"), undefined=StrictUndefined, autoescape=False)
_ENV.filters.update(q=yaml_scalar, key=yaml_key, block=yaml_block)
_TEMPLATE = _ENV.get_template("openapi.yaml.j2")


def render_yaml(document: dict[str, Any]) -> str:
    return _TEMPLATE.render(document=document)


def load_yaml(text: str) -> dict[str, Any]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(text, Loader=loader)


def to_json(spec: dict[str, Any]) -> str:
    return json.dumps(spec, indent=2, ensure_ascii=False) + "\n"
