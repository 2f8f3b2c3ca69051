"""Valid values of an OData list's options, for tools that generate requests from the spec (`docmock verify`).

The spec types `$filter`, `$orderBy` and `$select` as plain strings, so a request generator sends random text,
which a real server refuses as a malformed query (400) just as the mock does. `with_query_examples` gives a
copy of the spec where these options of each OData list list a few expressions in the documented grammar,
built on the columns of the list's sample rows, so the generated requests are ones the API accepts.
"""
from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from ..spec import success_examples

_OPTIONS = ("$filter", "$orderby", "$select")
_MARKERS = ("$filter", "$orderby")
_METHODS = ("get", "post")


def _sample_columns(op: Mapping[str, Any]) -> dict[str, Any]:
    """The columns of the first sample row the operation's success answers document (column -> sample value)."""
    for example in success_examples(op.get("responses") or {}):
        rows = example.get("value") if isinstance(example, Mapping) else None
        if isinstance(rows, list) and rows and isinstance(rows[0], Mapping):
            return {k: v for k, v in rows[0].items() if k not in ("PrimaryKey", "EntityName")}
    return {}


def option_examples(columns: Mapping[str, Any]) -> dict[str, list[str]]:
    """Valid `$filter`, `$orderby` and `$select` values over these columns (by lower-case option name)."""
    numbers = [c for c, v in columns.items() if isinstance(v, int) and not isinstance(v, bool)] or ["contactId"]
    texts = [c for c, v in columns.items() if isinstance(v, str) and not (v[:4].isdigit() and v[4:5] == "-")] \
        or ["name"]
    n, t = numbers[0], texts[0]
    filters = [f"{n} gt 10", f"{t} begins 'S'", f"{n} between (1, 50000) and {t} contains 'a'",
               f"startswith({t}, 'A') or {n} oneOf (1, 2, 3)", f"not {t} eq 'x'"]
    dates = [c for c, v in columns.items() if isinstance(v, str) and v[:4].isdigit() and v[4:5] == "-"]
    filters += [f"{d} thisYear" for d in dates[:1]]
    every = list(columns) or [t, n]
    return {"$filter": filters, "$orderby": [t, f"{n} desc", f"{t} asc,{n} desc"],
            "$select": [",".join(every), t, f"{t},{n}"]}


def with_query_examples(spec: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of `spec` whose OData list options are enums of valid expressions (see the module)."""
    out = copy.deepcopy(dict(spec))
    for item in (out.get("paths") or {}).values():
        if not isinstance(item, dict):
            continue
        for method, op in item.items():
            if method not in _METHODS or not isinstance(op, dict):
                continue
            params = [p for p in op.get("parameters") or () if isinstance(p, dict) and p.get("in") == "query"]
            if not any(str(p.get("name", "")).lower() in _MARKERS for p in params):
                continue
            examples = option_examples(_sample_columns(op))
            for p in params:
                values = examples.get(str(p.get("name", "")).lower())
                if values is not None:
                    p["schema"] = {"type": "string", "enum": values}
    return out
