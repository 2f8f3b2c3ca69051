"""The records `docmock diff` passes between its stages: what changed (findings), how it is classed (changes),
and the report per operation, with the package's one root exception, its exit codes, and the one helper every
stage shares."""
from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

# Exit codes, as `docmock diff --help` and the README document them.
EXIT_OK, EXIT_FAILED, EXIT_ERROR = 0, 1, 2
# The version of the `--format json` shape (docs/diff-report.schema.json); raised only when a field changes
# meaning or goes away, not when one is added.
REPORT_VERSION = 1


class DiffError(Exception):
    """An input cannot be read or compared: no such file, unknown git revision, a spec that is not OpenAPI."""


class Level(enum.Enum):
    BREAKING = "breaking"
    NON_BREAKING = "non-breaking"


class Scope(enum.Enum):
    """Where a finding sits; with the kind it decides whose code can break (a client that writes or reads)."""

    OPERATION = "operation"
    PARAMETER = "parameter"                # a request parameter's own schema (query, path, header, cookie)
    REQUEST_BODY = "request-body"          # the request body as a whole, or the root of its schema
    REQUEST_PROPERTY = "request-property"  # anything below the root of a request schema
    RESPONSE = "response"                  # a response status as a whole: its presence, its media types
    RESPONSE_BODY = "response-body"        # the root of a response schema
    RESPONSE_PROPERTY = "response-property"
    RESPONSE_HEADER = "response-header"
    SECURITY = "security"


class Kind(enum.Enum):
    """What changed, told apart as far as the comparison can tell (widened vs narrowed, required vs optional);
    whether it breaks anyone is the rules' business, not the comparison's."""

    # operations
    OPERATION_ADDED = enum.auto()
    OPERATION_REMOVED = enum.auto()
    DEPRECATED_OPERATION_REMOVED = enum.auto()
    PATH_REMOVED = enum.auto()               # the operation went, and no operation is left on its path
    DEPRECATED_PATH_REMOVED = enum.auto()
    OPERATION_DEPRECATED = enum.auto()
    OPERATION_REACTIVATED = enum.auto()
    OPERATION_ID_CHANGED = enum.auto()
    # parameters and bodies
    REQUIRED_PARAMETER_ADDED = enum.auto()
    OPTIONAL_PARAMETER_ADDED = enum.auto()
    PARAMETER_REMOVED = enum.auto()
    BECAME_REQUIRED = enum.auto()            # a parameter, a request body, a property, a response header
    BECAME_OPTIONAL = enum.auto()
    REQUIRED_BODY_ADDED = enum.auto()
    OPTIONAL_BODY_ADDED = enum.auto()
    BODY_REMOVED = enum.auto()
    MEDIA_TYPE_ADDED = enum.auto()
    MEDIA_TYPE_REMOVED = enum.auto()
    # responses
    SUCCESS_STATUS_ADDED = enum.auto()
    OTHER_STATUS_ADDED = enum.auto()
    SUCCESS_STATUS_REMOVED = enum.auto()
    OTHER_STATUS_REMOVED = enum.auto()
    HEADER_ADDED = enum.auto()
    REQUIRED_HEADER_REMOVED = enum.auto()
    OPTIONAL_HEADER_REMOVED = enum.auto()
    # security
    SECURITY_REQUIRED = enum.auto()          # an endpoint anyone could call now asks for credentials
    SECURITY_DROPPED = enum.auto()           # ... and the other way round
    SECURITY_ADDED = enum.auto()             # one more accepted way to authenticate
    SECURITY_REMOVED = enum.auto()           # one accepted way fewer
    SCOPE_ADDED = enum.auto()
    SCOPE_REMOVED = enum.auto()
    # schemas
    REQUIRED_PROPERTY_ADDED = enum.auto()
    OPTIONAL_PROPERTY_ADDED = enum.auto()
    REQUIRED_PROPERTY_REMOVED = enum.auto()
    OPTIONAL_PROPERTY_REMOVED = enum.auto()
    TYPE_WIDENED = enum.auto()               # every value valid before is still valid (int32 -> int64)
    TYPE_NARROWED = enum.auto()              # every value valid now was valid before (number -> integer)
    TYPE_CHANGED = enum.auto()               # neither (string -> integer)
    ENUM_VALUE_ADDED = enum.auto()
    ENUM_VALUE_REMOVED = enum.auto()
    BECAME_ENUM = enum.auto()
    BECAME_NOT_ENUM = enum.auto()
    BECAME_NULLABLE = enum.auto()
    BECAME_NOT_NULLABLE = enum.auto()
    ADDITIONAL_PROPERTIES_ALLOWED = enum.auto()
    ADDITIONAL_PROPERTIES_FORBIDDEN = enum.auto()
    ANY_OF_ADDED = enum.auto()
    ANY_OF_REMOVED = enum.auto()
    ONE_OF_ADDED = enum.auto()
    ONE_OF_REMOVED = enum.auto()


class OperationState(enum.Enum):
    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"


@dataclass(frozen=True, slots=True)
class Finding:
    """One difference between the two documents, as the comparison found it."""

    kind: Kind
    scope: Scope
    location: str        # e.g. `response 200 body .Value[].Name`, `query parameter $top`
    subject: str = ""    # what the message names: a value, a media type, a status, a scheme
    old: Any = None      # the type, format or name before, where the message says "from ... to ..."
    new: Any = None


@dataclass(frozen=True, slots=True)
class Rule:
    """One row of the rule table: the oasdiff rule id, docmock's level and why, and how to say it."""

    id: str
    level: Level
    message: str         # a str.format template over the finding's subject, old and new
    reason: str
    oasdiff: bool = True  # False: oasdiff has no rule for this change; the id follows its naming


@dataclass(frozen=True, slots=True)
class Change:
    """A finding classed for existing clients: what `--format json` lists per operation."""

    id: str
    level: Level
    location: str
    message: str
    reason: str

    @property
    def breaking(self) -> bool:
        return self.level is Level.BREAKING


@dataclass(frozen=True, slots=True)
class OperationDiff:
    method: str          # upper case
    path: str            # the new document's path template (the old one's when the operation was removed)
    operation_id: str
    state: OperationState
    changes: tuple[Change, ...]

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def breaking(self) -> int:
        return sum(1 for c in self.changes if c.level is Level.BREAKING)


@dataclass(frozen=True, slots=True)
class DiffReport:
    """Everything `docmock diff` found: the operations that differ, in path and method order."""

    old: str             # the inputs as given on the command line
    new: str
    operations: tuple[OperationDiff, ...]

    @property
    def changes(self) -> int:
        return sum(len(op.changes) for op in self.operations)

    @property
    def breaking(self) -> int:
        return sum(op.breaking for op in self.operations)

    @property
    def non_breaking(self) -> int:
        return self.changes - self.breaking

    def count(self, state: OperationState) -> int:
        return sum(1 for op in self.operations if op.state is state)
