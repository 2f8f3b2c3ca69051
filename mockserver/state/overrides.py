"""The overrides file: a small YAML document that adds, corrects or disables inferred entities and roles."""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from ..spec import YAML_LOADER
from .errors import OverridesError

# `faults` belongs to the server (mockserver.faults reads it); the state only lets it through.
_TOP = frozenset({"entities", "operations", "faults", "lifecycles"})
_ENTITY_KEYS = frozenset({"id", "carriers", "base"})
_OPERATION_KEYS = frozenset({"entity", "role", "id", "body", "filters"})


def check_overrides(data: Any, where: str = "overrides") -> dict[str, Any]:
    """Validate the shape (names are checked against the spec later, by inference) and return a plain dict."""
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise OverridesError(f"{where}: the document must be a mapping with 'entities' and/or 'operations'")
    unknown = set(map(str, data)) - _TOP
    if unknown:
        raise OverridesError(f"{where}: unknown top-level key(s) {', '.join(sorted(unknown))}; "
                             "use 'entities', 'operations', 'lifecycles' and 'faults'")
    for section, keys in (("entities", _ENTITY_KEYS), ("operations", _OPERATION_KEYS)):
        block = data.get(section) or {}
        if not isinstance(block, Mapping):
            raise OverridesError(f"{where}: '{section}' must be a mapping")
        for name, spec in block.items():
            if spec is False or spec is None:
                continue
            if not isinstance(spec, Mapping):
                raise OverridesError(f"{where}: {section}.{name} must be a mapping, or false to disable it")
            extra = set(map(str, spec)) - keys
            if extra:
                raise OverridesError(f"{where}: {section}.{name}: unknown key(s) {', '.join(sorted(extra))}; "
                                     f"allowed: {', '.join(sorted(keys))}")
    if data.get("lifecycles") is not None and not isinstance(data.get("lifecycles"), Mapping):
        raise OverridesError(f"{where}: 'lifecycles' must be a mapping of entity name -> lifecycle")
    return {"entities": dict(data.get("entities") or {}), "operations": dict(data.get("operations") or {}),
            "lifecycles": dict(data.get("lifecycles") or {})}


def read_overrides(path: str | Path) -> Any:
    """The overrides YAML file as data, unchecked (its sections are checked by the parts that use them)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise OverridesError(f"cannot read the overrides file {path}: {exc}") from exc
    try:
        return yaml.load(text, Loader=YAML_LOADER)
    except yaml.YAMLError as exc:
        raise OverridesError(f"{path}: not valid YAML: {exc}") from exc


def load_overrides(path: str | Path) -> dict[str, Any]:
    """Read and check an overrides YAML file's state sections (see the README's "Stateful mocking")."""
    return check_overrides(read_overrides(path), str(path))
