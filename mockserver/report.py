"""The start-up report: what the server serves, which routes it cannot tell apart, and what it warns about."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .routing import Ambiguity


@dataclass(frozen=True, slots=True)
class OperationInfo:
    method: str
    path: str
    operation_id: str
    summary: str


@dataclass(frozen=True, slots=True)
class StartupReport:
    """What the server serves and which routes it cannot tell apart; the CLI prints this."""

    title: str
    operations: tuple[OperationInfo, ...]
    ambiguities: tuple[Ambiguity, ...]
    overlaps: tuple[Ambiguity, ...]
    state: tuple[str, ...] = ()
    malformed: tuple[str, ...] = ()  # schemas that are not JSON Schemas: their operations answer 500
    notes: tuple[str, ...] = ()      # the CI settings in force (proxy, latency, faults, journal)

    def to_json(self) -> dict[str, Any]:
        """What `GET /__docmock/report` answers (the console's Report tab)."""
        return {"title": self.title, "operations": len(self.operations),
                "ambiguities": [a.format() for a in self.ambiguities], "overlaps": [a.format() for a in self.overlaps],
                "state": list(self.state), "malformed": list(self.malformed), "notes": list(self.notes)}

    def lines(self) -> list[str]:
        out = [f"{len(self.operations)} operations from {self.title!r}:"]
        out.extend(f"  {o.method:<7} {o.path}  {o.operation_id}" for o in self.operations)
        if self.ambiguities:
            out.append(f"{len(self.ambiguities)} route ambiguities not resolved by literals or parameter types:")
            out.extend("  " + a.format() for a in self.ambiguities)
        else:
            out.append("No unresolved route ambiguities.")
        if self.overlaps:
            out.append(f"{len(self.overlaps)} overlaps resolved by parameter type (more specific type wins):")
            out.extend("  " + a.format() for a in self.overlaps)
        if self.malformed:
            out.append(f"warning: {len(self.malformed)} malformed schema(s); the operations using them answer 500 "
                       f"until the spec is fixed:")
            out.extend("  " + problem for problem in self.malformed)
        out.extend(self.state)
        out.extend(self.notes)
        return out
