"""Small helpers for generator tests: write hand-made pages, index a spec's operations."""
from __future__ import annotations

from pathlib import Path
from typing import Any

PAGE_TEMPLATE = """---
title: {method} {title_path}
id: {operation_id}
---

# {method} {title_path}

```http
{method} /api/v1/{path}
```

{description}

{extra}
"""


def write_page(folder: Path, name: str, *, method: str = "GET", path: str = "Thing/{{id}}",
               operation_id: str = "v1Thing_Get", description: str = "Gets a thing.", extra: str = "") -> Path:
    text = PAGE_TEMPLATE.format(method=method, title_path=path, path=path, operation_id=operation_id,
                                description=description, extra=extra)
    target = folder / name
    target.write_text(text.replace("{{", "{").replace("}}", "}"), encoding="utf-8")
    return target


def operations(spec: dict[str, Any]) -> dict[str, tuple[str, str, dict[str, Any]]]:
    return {op["operationId"]: (path, method, op)
            for path, item in spec["paths"].items() for method, op in item.items()}


def success_schema(op: dict[str, Any]) -> dict[str, Any] | None:
    for code in sorted(op["responses"]):
        content = op["responses"][code].get("content")
        if content:
            return next(iter(content.values()))["schema"]
    return None


def params(op: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(p["in"], p["name"]): p for p in op.get("parameters", [])}
