"""The rule table: for each kind of change and where it sits, its oasdiff rule id, whether it breaks existing
clients, and why; and the lookup that turns a comparison's finding into a classed change."""
from __future__ import annotations

from collections.abc import Iterator

from .model import Change, Finding, Kind, Level, Rule, Scope

B, NB = Level.BREAKING, Level.NON_BREAKING
K, S = Kind, Scope

# Why, in the words the report prints. The direction decides: a client writes requests and reads responses,
# so what narrows a request or widens a response is what breaks it.
_WRITERS_REJECTED = "requests that existing clients send can now be rejected"
_WRITERS_FINE = "every request that was valid before is still valid"
_READERS_SURPRISED = "clients can now receive data they were not written to handle"
_READERS_FINE = "every response is still one that existing clients can read"
_STRICT_READERS = ("a client that checks or switches over the documented values (a generated enum type, a strict "
                   "deserializer) fails on the new one")
_ADDITION = "an addition: existing clients do not use it and are not affected"

_TABLE: dict[tuple[Kind, Scope], Rule] = {
    # -- operations --------------------------------------------------------------------------------------
    (K.OPERATION_ADDED, S.OPERATION): Rule("endpoint-added", NB, "operation added", _ADDITION),
    (K.OPERATION_REMOVED, S.OPERATION): Rule(
        "api-removed-without-deprecation", B, "operation removed without deprecation",
        "clients that call it get an error"),
    (K.DEPRECATED_OPERATION_REMOVED, S.OPERATION): Rule(
        "api-removed-with-deprecation", NB, "deprecated operation removed",
        "it was deprecated first, which told clients to stop calling it"),
    (K.PATH_REMOVED, S.OPERATION): Rule(
        "api-path-removed-without-deprecation", B, "path removed without deprecation (no operation is left on it)",
        "clients that call it get an error"),
    (K.DEPRECATED_PATH_REMOVED, S.OPERATION): Rule(
        "api-path-removed-with-deprecation", NB, "deprecated path removed",
        "it was deprecated first, which told clients to stop calling it"),
    (K.OPERATION_DEPRECATED, S.OPERATION): Rule(
        "endpoint-deprecated", NB, "operation deprecated", "it still works; clients are told to move off it"),
    (K.OPERATION_REACTIVATED, S.OPERATION): Rule(
        "endpoint-reactivated", NB, "operation no longer deprecated", "nothing on the wire changes"),
    (K.OPERATION_ID_CHANGED, S.OPERATION): Rule(
        "api-operation-id-removed", NB, "operation id {old} removed and replaced with {new}",
        "requests and responses are unchanged; code generated from the spec names the method differently"),
    # -- parameters ------------------------------------------------------------------------------------------
    (K.REQUIRED_PARAMETER_ADDED, S.PARAMETER): Rule(
        "new-required-request-parameter", B, "required parameter added",
        "requests from existing clients lack it and are rejected"),
    (K.OPTIONAL_PARAMETER_ADDED, S.PARAMETER): Rule("new-optional-request-parameter", NB, "optional parameter added",
                                                     _ADDITION),
    (K.PARAMETER_REMOVED, S.PARAMETER): Rule(
        "request-parameter-removed", B, "parameter removed",
        "clients that send it lose what it did: the server ignores it or rejects the request (oasdiff: warning)"),
    (K.BECAME_REQUIRED, S.PARAMETER): Rule("request-parameter-became-required", B, "parameter became required",
                                           "requests that leave it out are now rejected"),
    (K.BECAME_OPTIONAL, S.PARAMETER): Rule("request-parameter-became-optional", NB, "parameter became optional",
                                           _WRITERS_FINE),
    (K.TYPE_CHANGED, S.PARAMETER): Rule("request-parameter-type-changed", B, "type changed from {old} to {new}",
                                        _WRITERS_REJECTED),
    (K.TYPE_NARROWED, S.PARAMETER): Rule("request-parameter-type-changed", B, "type narrowed from {old} to {new}",
                                         _WRITERS_REJECTED),
    (K.TYPE_WIDENED, S.PARAMETER): Rule("request-parameter-type-generalized", NB,
                                        "type widened from {old} to {new}", _WRITERS_FINE),
    (K.ENUM_VALUE_ADDED, S.PARAMETER): Rule("request-parameter-enum-value-added", NB, "enum value {subject} added",
                                            _WRITERS_FINE),
    (K.ENUM_VALUE_REMOVED, S.PARAMETER): Rule("request-parameter-enum-value-removed", B,
                                              "enum value {subject} removed", "clients that send it are rejected"),
    (K.BECAME_ENUM, S.PARAMETER): Rule("request-parameter-became-enum", B, "restricted to the values {subject}",
                                       _WRITERS_REJECTED),
    (K.BECAME_NOT_ENUM, S.PARAMETER): Rule("request-parameter-became-not-enum", NB,
                                           "no longer restricted to a list of values", _WRITERS_FINE),
    (K.BECAME_NULLABLE, S.PARAMETER): Rule("request-parameter-became-nullable", NB, "became nullable", _WRITERS_FINE),
    (K.BECAME_NOT_NULLABLE, S.PARAMETER): Rule("request-parameter-became-not-nullable", B, "became not nullable",
                                               "clients that send null are rejected"),
    # -- the request body as a whole -------------------------------------------------------------------------
    (K.REQUIRED_BODY_ADDED, S.REQUEST_BODY): Rule("request-body-added-required", B, "required request body added",
                                                  "requests from existing clients have no body and are rejected"),
    (K.OPTIONAL_BODY_ADDED, S.REQUEST_BODY): Rule("request-body-added-optional", NB, "optional request body added",
                                                  _ADDITION),
    (K.BODY_REMOVED, S.REQUEST_BODY): Rule("request-body-removed", B, "request body removed",
                                           "clients that send a body lose what it did"),
    (K.BECAME_REQUIRED, S.REQUEST_BODY): Rule("request-body-became-required", B, "request body became required",
                                              "requests without a body are now rejected"),
    (K.BECAME_OPTIONAL, S.REQUEST_BODY): Rule("request-body-became-optional", NB, "request body became optional",
                                              _WRITERS_FINE),
    (K.MEDIA_TYPE_ADDED, S.REQUEST_BODY): Rule("request-body-media-type-added", NB, "media type {subject} added",
                                               _ADDITION),
    (K.MEDIA_TYPE_REMOVED, S.REQUEST_BODY): Rule("request-body-media-type-removed", B,
                                                 "media type {subject} removed",
                                                 "clients that send it are rejected (415)"),
    # -- the root of a request body's schema -----------------------------------------------------------------
    (K.TYPE_CHANGED, S.REQUEST_BODY): Rule("request-body-type-changed", B, "type changed from {old} to {new}",
                                           _WRITERS_REJECTED),
    (K.TYPE_NARROWED, S.REQUEST_BODY): Rule("request-body-type-changed", B, "type narrowed from {old} to {new}",
                                            _WRITERS_REJECTED),
    (K.TYPE_WIDENED, S.REQUEST_BODY): Rule("request-body-type-generalized", NB, "type widened from {old} to {new}",
                                           _WRITERS_FINE),
    (K.ENUM_VALUE_ADDED, S.REQUEST_BODY): Rule("request-body-enum-value-added", NB, "enum value {subject} added",
                                               _WRITERS_FINE),
    (K.ENUM_VALUE_REMOVED, S.REQUEST_BODY): Rule("request-body-enum-value-removed", B,
                                                 "enum value {subject} removed", "clients that send it are rejected"),
    (K.BECAME_ENUM, S.REQUEST_BODY): Rule("request-body-became-enum", B, "restricted to the values {subject}",
                                          _WRITERS_REJECTED),
    (K.BECAME_NOT_ENUM, S.REQUEST_BODY): Rule("request-body-became-not-enum", NB,
                                              "no longer restricted to a list of values", _WRITERS_FINE),
    (K.BECAME_NULLABLE, S.REQUEST_BODY): Rule("request-body-became-nullable", NB, "became nullable", _WRITERS_FINE),
    (K.BECAME_NOT_NULLABLE, S.REQUEST_BODY): Rule("request-body-became-not-nullable", B, "became not nullable",
                                                  "clients that send null are rejected"),
    (K.ANY_OF_ADDED, S.REQUEST_BODY): Rule("request-body-any-of-added", NB, "anyOf alternative {subject} added",
                                           _WRITERS_FINE),
    (K.ANY_OF_REMOVED, S.REQUEST_BODY): Rule("request-body-any-of-removed", B, "anyOf alternative {subject} removed",
                                             _WRITERS_REJECTED),
    (K.ONE_OF_ADDED, S.REQUEST_BODY): Rule("request-body-one-of-added", NB, "oneOf alternative {subject} added",
                                           _WRITERS_FINE),
    (K.ONE_OF_REMOVED, S.REQUEST_BODY): Rule("request-body-one-of-removed", B, "oneOf alternative {subject} removed",
                                             _WRITERS_REJECTED),
    # -- below the root of a request schema (and of an object parameter's) -----------------------------------
    (K.REQUIRED_PROPERTY_ADDED, S.REQUEST_PROPERTY): Rule(
        "new-required-request-property", B, "required property added",
        "requests from existing clients lack it and are rejected"),
    (K.OPTIONAL_PROPERTY_ADDED, S.REQUEST_PROPERTY): Rule("new-optional-request-property", NB,
                                                          "optional property added", _ADDITION),
    (K.REQUIRED_PROPERTY_REMOVED, S.REQUEST_PROPERTY): Rule(
        "request-property-removed", NB, "required property removed",
        "the server no longer reads it; requests that still send it stay valid (oasdiff: warning)"),
    (K.OPTIONAL_PROPERTY_REMOVED, S.REQUEST_PROPERTY): Rule(
        "request-property-removed", NB, "optional property removed",
        "the server no longer reads it; requests that still send it stay valid (oasdiff: warning)"),
    (K.BECAME_REQUIRED, S.REQUEST_PROPERTY): Rule("request-property-became-required", B, "property became required",
                                                  "requests that leave it out are now rejected"),
    (K.BECAME_OPTIONAL, S.REQUEST_PROPERTY): Rule("request-property-became-optional", NB,
                                                  "property became optional", _WRITERS_FINE),
    (K.TYPE_CHANGED, S.REQUEST_PROPERTY): Rule("request-property-type-changed", B,
                                               "type changed from {old} to {new}", _WRITERS_REJECTED),
    (K.TYPE_NARROWED, S.REQUEST_PROPERTY): Rule("request-property-type-changed", B,
                                                "type narrowed from {old} to {new}", _WRITERS_REJECTED),
    (K.TYPE_WIDENED, S.REQUEST_PROPERTY): Rule("request-property-type-generalized", NB,
                                               "type widened from {old} to {new}", _WRITERS_FINE),
    (K.ENUM_VALUE_ADDED, S.REQUEST_PROPERTY): Rule("request-property-enum-value-added", NB,
                                                   "enum value {subject} added", _WRITERS_FINE),
    (K.ENUM_VALUE_REMOVED, S.REQUEST_PROPERTY): Rule("request-property-enum-value-removed", B,
                                                     "enum value {subject} removed",
                                                     "clients that send it are rejected"),
    (K.BECAME_ENUM, S.REQUEST_PROPERTY): Rule("request-property-became-enum", B,
                                              "restricted to the values {subject}", _WRITERS_REJECTED),
    (K.BECAME_NOT_ENUM, S.REQUEST_PROPERTY): Rule("request-property-became-not-enum", NB,
                                                  "no longer restricted to a list of values", _WRITERS_FINE),
    (K.BECAME_NULLABLE, S.REQUEST_PROPERTY): Rule("request-property-became-nullable", NB, "became nullable",
                                                  _WRITERS_FINE),
    (K.BECAME_NOT_NULLABLE, S.REQUEST_PROPERTY): Rule("request-property-became-not-nullable", B,
                                                      "became not nullable", "clients that send null are rejected"),
    (K.ADDITIONAL_PROPERTIES_ALLOWED, S.REQUEST_PROPERTY): Rule(
        "request-property-additional-properties-allowed", NB, "properties beyond the listed ones now allowed",
        _WRITERS_FINE, oasdiff=False),
    (K.ADDITIONAL_PROPERTIES_FORBIDDEN, S.REQUEST_PROPERTY): Rule(
        "request-property-additional-properties-forbidden", B, "properties beyond the listed ones now forbidden",
        "requests that carry other properties are now rejected", oasdiff=False),
    (K.ANY_OF_ADDED, S.REQUEST_PROPERTY): Rule("request-property-any-of-added", NB,
                                               "anyOf alternative {subject} added", _WRITERS_FINE),
    (K.ANY_OF_REMOVED, S.REQUEST_PROPERTY): Rule("request-property-any-of-removed", B,
                                                 "anyOf alternative {subject} removed", _WRITERS_REJECTED),
    (K.ONE_OF_ADDED, S.REQUEST_PROPERTY): Rule("request-property-one-of-added", NB,
                                               "oneOf alternative {subject} added", _WRITERS_FINE),
    (K.ONE_OF_REMOVED, S.REQUEST_PROPERTY): Rule("request-property-one-of-removed", B,
                                                 "oneOf alternative {subject} removed", _WRITERS_REJECTED),
    # -- responses as a whole --------------------------------------------------------------------------------
    (K.SUCCESS_STATUS_ADDED, S.RESPONSE): Rule("response-success-status-added", NB, "success status added",
                                               _ADDITION),
    (K.OTHER_STATUS_ADDED, S.RESPONSE): Rule("response-non-success-status-added", NB, "non-success status added",
                                             _ADDITION),
    (K.SUCCESS_STATUS_REMOVED, S.RESPONSE): Rule(
        "response-success-status-removed", B, "success status removed",
        "clients that expect this status get another one"),
    (K.OTHER_STATUS_REMOVED, S.RESPONSE): Rule(
        "response-non-success-status-removed", NB, "non-success status removed",
        "a client's handling of an error the server no longer documents is not reached; nothing fails "
        "(oasdiff: optional)"),
    (K.MEDIA_TYPE_ADDED, S.RESPONSE): Rule("response-media-type-added", NB, "media type {subject} added",
                                           _ADDITION),
    (K.MEDIA_TYPE_REMOVED, S.RESPONSE): Rule("response-media-type-removed", B, "media type {subject} removed",
                                             "clients that ask for it (Accept) no longer get it"),
    # -- the root of a response body's schema ----------------------------------------------------------------
    (K.TYPE_CHANGED, S.RESPONSE_BODY): Rule("response-body-type-changed", B, "type changed from {old} to {new}",
                                            _READERS_SURPRISED),
    (K.TYPE_WIDENED, S.RESPONSE_BODY): Rule("response-body-type-changed", B, "type widened from {old} to {new}",
                                            _READERS_SURPRISED),
    (K.TYPE_NARROWED, S.RESPONSE_BODY): Rule("response-body-type-changed", NB, "type narrowed from {old} to {new}",
                                             _READERS_FINE),
    (K.ENUM_VALUE_ADDED, S.RESPONSE_BODY): Rule("response-mediatype-enum-value-added", B,
                                                "enum value {subject} added", _STRICT_READERS),
    (K.ENUM_VALUE_REMOVED, S.RESPONSE_BODY): Rule("response-mediatype-enum-value-removed", NB,
                                                  "enum value {subject} removed", _READERS_FINE),
    (K.BECAME_NULLABLE, S.RESPONSE_BODY): Rule("response-body-became-nullable", B, "became nullable",
                                               "clients that read it without checking for null fail"),
    (K.BECAME_NOT_NULLABLE, S.RESPONSE_BODY): Rule("response-body-became-not-nullable", NB, "became not nullable",
                                                   _READERS_FINE),
    (K.ANY_OF_ADDED, S.RESPONSE_BODY): Rule("response-body-any-of-added", B, "anyOf alternative {subject} added",
                                            _READERS_SURPRISED),
    (K.ANY_OF_REMOVED, S.RESPONSE_BODY): Rule("response-body-any-of-removed", NB,
                                              "anyOf alternative {subject} removed", _READERS_FINE),
    (K.ONE_OF_ADDED, S.RESPONSE_BODY): Rule("response-body-one-of-added", B, "oneOf alternative {subject} added",
                                            _READERS_SURPRISED),
    (K.ONE_OF_REMOVED, S.RESPONSE_BODY): Rule("response-body-one-of-removed", NB,
                                              "oneOf alternative {subject} removed", _READERS_FINE),
    # -- below the root of a response schema -----------------------------------------------------------------
    (K.REQUIRED_PROPERTY_ADDED, S.RESPONSE_PROPERTY): Rule("response-required-property-added", NB,
                                                           "required property added", _ADDITION),
    (K.OPTIONAL_PROPERTY_ADDED, S.RESPONSE_PROPERTY): Rule("response-optional-property-added", NB,
                                                           "optional property added", _ADDITION),
    (K.REQUIRED_PROPERTY_REMOVED, S.RESPONSE_PROPERTY): Rule(
        "response-required-property-removed", B, "required property removed",
        "clients that read it no longer get it"),
    (K.OPTIONAL_PROPERTY_REMOVED, S.RESPONSE_PROPERTY): Rule(
        "response-optional-property-removed", B, "optional property removed",
        "clients that read it no longer get it (oasdiff: warning)"),
    (K.BECAME_REQUIRED, S.RESPONSE_PROPERTY): Rule("response-property-became-required", NB,
                                                   "property became required", _READERS_FINE),
    (K.BECAME_OPTIONAL, S.RESPONSE_PROPERTY): Rule("response-property-became-optional", B,
                                                   "property became optional",
                                                   "clients that count on it can now find it missing"),
    (K.TYPE_CHANGED, S.RESPONSE_PROPERTY): Rule("response-property-type-changed", B,
                                                "type changed from {old} to {new}", _READERS_SURPRISED),
    (K.TYPE_WIDENED, S.RESPONSE_PROPERTY): Rule("response-property-type-changed", B,
                                                "type widened from {old} to {new}", _READERS_SURPRISED),
    (K.TYPE_NARROWED, S.RESPONSE_PROPERTY): Rule("response-property-type-changed", NB,
                                                 "type narrowed from {old} to {new}", _READERS_FINE),
    (K.ENUM_VALUE_ADDED, S.RESPONSE_PROPERTY): Rule("response-property-enum-value-added", B,
                                                    "enum value {subject} added", _STRICT_READERS),
    (K.ENUM_VALUE_REMOVED, S.RESPONSE_PROPERTY): Rule("response-property-enum-value-removed", NB,
                                                      "enum value {subject} removed", _READERS_FINE),
    (K.BECAME_ENUM, S.RESPONSE_PROPERTY): Rule("response-property-became-enum", NB,
                                               "restricted to the values {subject}", _READERS_FINE),
    (K.BECAME_NOT_ENUM, S.RESPONSE_PROPERTY): Rule("response-property-became-not-enum", B,
                                                   "no longer restricted to a list of values", _STRICT_READERS),
    (K.BECAME_NULLABLE, S.RESPONSE_PROPERTY): Rule("response-property-became-nullable", B, "became nullable",
                                                   "clients that read it without checking for null fail"),
    (K.BECAME_NOT_NULLABLE, S.RESPONSE_PROPERTY): Rule("response-property-became-not-nullable", NB,
                                                       "became not nullable", _READERS_FINE),
    (K.ADDITIONAL_PROPERTIES_ALLOWED, S.RESPONSE_PROPERTY): Rule(
        "response-property-additional-properties-allowed", NB, "properties beyond the listed ones now allowed",
        "clients ignore properties they do not know, as they do a new optional property", oasdiff=False),
    (K.ADDITIONAL_PROPERTIES_FORBIDDEN, S.RESPONSE_PROPERTY): Rule(
        "response-property-additional-properties-forbidden", NB, "properties beyond the listed ones now forbidden",
        _READERS_FINE, oasdiff=False),
    (K.ANY_OF_ADDED, S.RESPONSE_PROPERTY): Rule("response-property-any-of-added", B,
                                                "anyOf alternative {subject} added", _READERS_SURPRISED),
    (K.ANY_OF_REMOVED, S.RESPONSE_PROPERTY): Rule("response-property-any-of-removed", NB,
                                                  "anyOf alternative {subject} removed", _READERS_FINE),
    (K.ONE_OF_ADDED, S.RESPONSE_PROPERTY): Rule("response-property-one-of-added", B,
                                                "oneOf alternative {subject} added", _READERS_SURPRISED),
    (K.ONE_OF_REMOVED, S.RESPONSE_PROPERTY): Rule("response-property-one-of-removed", NB,
                                                  "oneOf alternative {subject} removed", _READERS_FINE),
    # -- response headers ------------------------------------------------------------------------------------
    (K.HEADER_ADDED, S.RESPONSE_HEADER): Rule("response-header-added", NB, "header added", _ADDITION),
    (K.REQUIRED_HEADER_REMOVED, S.RESPONSE_HEADER): Rule("required-response-header-removed", B,
                                                         "required header removed",
                                                         "clients that read it no longer get it"),
    (K.OPTIONAL_HEADER_REMOVED, S.RESPONSE_HEADER): Rule("optional-response-header-removed", B,
                                                         "optional header removed",
                                                         "clients that read it no longer get it (oasdiff: warning)"),
    (K.BECAME_OPTIONAL, S.RESPONSE_HEADER): Rule("response-header-became-optional", B, "header became optional",
                                                 "clients that count on it can now find it missing"),
    (K.BECAME_REQUIRED, S.RESPONSE_HEADER): Rule("response-header-became-required", NB, "header became required",
                                                 _READERS_FINE, oasdiff=False),
    (K.TYPE_CHANGED, S.RESPONSE_HEADER): Rule("response-header-type-changed", B,
                                              "type changed from {old} to {new}", _READERS_SURPRISED),
    (K.TYPE_WIDENED, S.RESPONSE_HEADER): Rule("response-header-type-generalized", B,
                                              "type widened from {old} to {new}", _READERS_SURPRISED),
    (K.TYPE_NARROWED, S.RESPONSE_HEADER): Rule("response-header-type-specialized", NB,
                                               "type narrowed from {old} to {new}", _READERS_FINE),
    (K.BECAME_NULLABLE, S.RESPONSE_HEADER): Rule("response-header-became-nullable", B, "became nullable",
                                                 "clients that read it without checking for null fail"),
    (K.BECAME_NOT_NULLABLE, S.RESPONSE_HEADER): Rule("response-header-became-not-nullable", NB,
                                                     "became not nullable", _READERS_FINE),
    # -- security --------------------------------------------------------------------------------------------
    (K.SECURITY_REQUIRED, S.SECURITY): Rule(
        "api-security-added", B, "now requires {subject}",
        "clients that called it without credentials are rejected (oasdiff: info, as it counts only the "
        "requirement added)"),
    (K.SECURITY_DROPPED, S.SECURITY): Rule("api-security-removed", NB, "no longer requires credentials",
                                           "requests with credentials are still accepted"),
    (K.SECURITY_ADDED, S.SECURITY): Rule("api-security-added", NB, "{subject} accepted as another way in",
                                         "the ways clients authenticate today are still accepted"),
    (K.SECURITY_REMOVED, S.SECURITY): Rule("api-security-removed", B, "{subject} no longer accepted",
                                           "clients that authenticate that way are rejected"),
    (K.SCOPE_ADDED, S.SECURITY): Rule("api-security-scope-added", B, "scope {subject} now required for {old}",
                                      "tokens without the scope are rejected"),
    (K.SCOPE_REMOVED, S.SECURITY): Rule("api-security-scope-removed", NB, "scope {subject} no longer required for "
                                        "{old}", "tokens that have it are still accepted"),
}

# A finding with no row of its own is classed as its more general scope classes it: a parameter's schema and a
# body's root behave as a request property does, a response header as a response property.
_FALLBACK: dict[Scope, Scope] = {
    S.PARAMETER: S.REQUEST_PROPERTY,
    S.REQUEST_BODY: S.REQUEST_PROPERTY,
    S.RESPONSE_BODY: S.RESPONSE_PROPERTY,
    S.RESPONSE_HEADER: S.RESPONSE_PROPERTY,
}


def rule_for(kind: Kind, scope: Scope) -> Rule:
    """The row that classes `kind` at `scope`, or at the scope it falls back to; KeyError if there is none."""
    at: Scope | None = scope
    while at is not None:
        rule = _TABLE.get((kind, at))
        if rule is not None:
            return rule
        at = _FALLBACK.get(at)
    raise KeyError(f"no rule for {kind.name} at {scope.value}")


def classify(finding: Finding) -> Change:
    rule = rule_for(finding.kind, finding.scope)
    message = rule.message.format(subject=finding.subject, old=finding.old, new=finding.new)
    return Change(rule.id, rule.level, finding.location, message, rule.reason)


def all_rules() -> Iterator[tuple[Kind, Scope, Rule]]:
    """Every row of the table, for the README's rule list and the tests."""
    for (kind, scope), rule in _TABLE.items():
        yield kind, scope, rule
