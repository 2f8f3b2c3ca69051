"""Writing a `DiffReport` out: text for people (grouped by operation, styled for a terminal), Markdown for a
pull-request comment, and the JSON shape that docs/diff-report.schema.json documents."""
from __future__ import annotations

import enum
import json
from collections.abc import Callable
from typing import Any

import click

from .model import REPORT_VERSION, DiffReport, Level, OperationDiff, OperationState


class Format(enum.Enum):
    TEXT = "text"
    MARKDOWN = "markdown"
    JSON = "json"


_COLOURS = {Level.BREAKING: "red", Level.NON_BREAKING: "green"}
_STATE_WORDS = {OperationState.ADDED: "added", OperationState.REMOVED: "removed", OperationState.CHANGED: "changed"}


def render(report: DiffReport, fmt: Format) -> str:
    return _RENDERERS[fmt](report)


def summary_line(report: DiffReport) -> str:
    counts = ", ".join(f"{report.count(state)} {word}" for state, word in _STATE_WORDS.items())
    return (f"{len(report.operations)} operation(s) differ ({counts}); {report.changes} change(s), "
            f"{report.breaking} breaking, {report.non_breaking} non-breaking")


def text(report: DiffReport) -> str:
    """Styled with click.style; `click.echo` drops the styles when stdout is not a terminal."""
    lines = [click.style(f"docmock diff {report.old} -> {report.new}", bold=True)]
    if not report.operations:
        lines.append("No changes to the API contract.")
        return "\n".join(lines) + "\n"
    width = max(len(level.value) for level in Level)
    for op in report.operations:
        lines.append("")
        state = "" if op.state is OperationState.CHANGED else f"  [{op.state.value}]"
        named = "" if op.operation_id == op.label else f"  ({op.operation_id})"
        lines.append(click.style(op.label, bold=True) + named + state)
        for change in op.changes:
            level = click.style(change.level.value.ljust(width), fg=_COLOURS[change.level], bold=change.breaking)
            where = "" if change.location == "operation" else f"{change.location}: "
            lines.append(f"  {level}  {where}{change.message}  " + click.style(f"[{change.id}]", dim=True))
            lines.append(" " * (width + 4) + click.style(f"why: {change.reason}", dim=True))
    lines.append("")
    lines.append(click.style(summary_line(report), bold=True,
                             fg=_COLOURS[Level.BREAKING] if report.breaking else None))
    return "\n".join(lines) + "\n"


def markdown(report: DiffReport) -> str:
    title = ("**{n} breaking change(s)**".format(n=report.breaking) if report.breaking
             else "no breaking changes")
    out = [f"### API contract: {title}", "",
           f"`docmock diff {_code(report.old)} {_code(report.new)}`: {summary_line(report)}."]
    if not report.operations:
        out += ["", "No changes to the API contract."]
        return "\n".join(out) + "\n"
    for op in report.operations:
        state = "" if op.state is OperationState.CHANGED else f" ({op.state.value})"
        out += ["", f"#### `{_code(op.label)}` {_cell(op.operation_id)}{state}", "",
                "| | Where | Change | Rule | Why |", "|---|---|---|---|---|"]
        for change in op.changes:
            level = "**breaking**" if change.breaking else "non-breaking"
            out.append(f"| {level} | `{_code(change.location)}` | {_cell(change.message)} | `{change.id}` | "
                       f"{_cell(change.reason)} |")
    return "\n".join(out) + "\n"


def _cell(value: str) -> str:
    # A table cell is one line, and a bare `|` would end it.
    return value.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _code(value: str) -> str:
    return value.replace("`", "'").replace("|", "\\|")


def as_json(report: DiffReport) -> dict[str, Any]:
    """The report as docs/diff-report.schema.json describes it."""
    return {
        "version": REPORT_VERSION,
        "old": report.old,
        "new": report.new,
        "summary": {
            "operations": {word: report.count(state) for state, word in _STATE_WORDS.items()},
            "changes": report.changes,
            "breaking": report.breaking,
            "non-breaking": report.non_breaking,
        },
        "operations": [_operation_json(op) for op in report.operations],
    }


def _operation_json(op: OperationDiff) -> dict[str, Any]:
    return {
        "method": op.method,
        "path": op.path,
        "operationId": op.operation_id,
        "state": op.state.value,
        "breaking": op.breaking,
        "changes": [{"id": c.id, "level": c.level.value, "location": c.location, "message": c.message,
                     "reason": c.reason} for c in op.changes],
    }


def json_text(report: DiffReport) -> str:
    return json.dumps(as_json(report), indent=2, ensure_ascii=False) + "\n"


_RENDERERS: dict[Format, Callable[[DiffReport], str]] = {
    Format.TEXT: text,
    Format.MARKDOWN: markdown,
    Format.JSON: json_text,
}
