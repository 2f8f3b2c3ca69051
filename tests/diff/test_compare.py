"""The comparison and the rules, one change at a time on a small hand-written document: each rule's id, level and
location, the direction that decides them (request vs response), and the changes that are none (3.0 vs 3.1
spellings, a renamed schema, a renamed path parameter)."""
from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
from diff_support import as_30, base, changes, diff, nullable_31, put, schema, thing

from docmock.diff import DiffError, Kind, Level, Scope, compare_documents
from docmock.diff.rules import rule_for

B, NB = "breaking", "non-breaking"
PUT, LIST = "putThing", "listThings"
Mutation = Callable[[dict[str, Any]], None]
CASES: list[Any] = []


def case(*expected: tuple[str, str, str, str]) -> Callable[[Mutation], Mutation]:
    """Registers a mutation of `base()` with the changes it must give, exactly."""
    def register(mutate: Mutation) -> Mutation:
        CASES.append(pytest.param(mutate, set(expected), id=mutate.__name__))
        return mutate
    return register


# -- schemas: direction decides ------------------------------------------------------------------------------

@case((PUT, "response-optional-property-removed", B, "response 200 body .Name"),
      (LIST, "response-optional-property-removed", B, "response 200 body [].Name"))
def response_property_removed(doc):
    del schema(doc, "Thing")["properties"]["Name"]


@case((PUT, "response-required-property-removed", B, "response 200 body .Id"),
      (LIST, "response-required-property-removed", B, "response 200 body [].Id"))
def response_required_property_removed(doc):
    del schema(doc, "Thing")["properties"]["Id"]


@case((PUT, "request-property-removed", NB, "request body .Name"))
def request_property_removed(doc):
    del schema(doc, "ThingIn")["properties"]["Name"]


@case((PUT, "new-required-request-property", B, "request body .Code"))
def request_required_property_added(doc):
    schema(doc, "ThingIn")["properties"]["Code"] = {"type": "string"}
    schema(doc, "ThingIn")["required"].append("Code")


@case((PUT, "new-optional-request-property", NB, "request body .Code"))
def request_optional_property_added(doc):
    schema(doc, "ThingIn")["properties"]["Code"] = {"type": "string"}


@case((PUT, "response-optional-property-added", NB, "response 200 body .Code"),
      (LIST, "response-optional-property-added", NB, "response 200 body [].Code"))
def response_property_added(doc):
    schema(doc, "Thing")["properties"]["Code"] = {"type": "string"}


@case((PUT, "request-property-became-required", B, "request body .Name"))
def request_property_became_required(doc):
    schema(doc, "ThingIn")["required"].append("Name")


@case((PUT, "request-property-became-optional", NB, "request body .Id"))
def request_property_became_optional(doc):
    schema(doc, "ThingIn")["required"].remove("Id")


@case((PUT, "response-property-became-optional", B, "response 200 body .Id"),
      (LIST, "response-property-became-optional", B, "response 200 body [].Id"))
def response_property_became_optional(doc):
    schema(doc, "Thing")["required"].remove("Id")


@case((PUT, "response-property-became-required", NB, "response 200 body .Name"),
      (LIST, "response-property-became-required", NB, "response 200 body [].Name"))
def response_property_became_required(doc):
    schema(doc, "Thing")["required"].append("Name")


@case((PUT, "request-property-enum-value-added", NB, "request body .State"))
def request_enum_value_added(doc):
    schema(doc, "ThingIn")["properties"]["State"]["enum"].append("Paused")


@case((PUT, "response-property-enum-value-added", B, "response 200 body .State"),
      (LIST, "response-property-enum-value-added", B, "response 200 body [].State"))
def response_enum_value_added(doc):
    schema(doc, "Thing")["properties"]["State"]["enum"].append("Paused")


@case((PUT, "request-property-enum-value-removed", B, "request body .State"))
def request_enum_value_removed(doc):
    schema(doc, "ThingIn")["properties"]["State"]["enum"].remove("Done")


@case((PUT, "response-property-enum-value-removed", NB, "response 200 body .State"),
      (LIST, "response-property-enum-value-removed", NB, "response 200 body [].State"))
def response_enum_value_removed(doc):
    schema(doc, "Thing")["properties"]["State"]["enum"].remove("Done")


@case((PUT, "request-property-became-enum", B, "request body .Name"))
def request_property_became_enum(doc):
    schema(doc, "ThingIn")["properties"]["Name"]["enum"] = ["a", "b"]


@case((PUT, "response-property-became-not-enum", B, "response 200 body .State"),
      (LIST, "response-property-became-not-enum", B, "response 200 body [].State"))
def response_property_became_not_enum(doc):
    del schema(doc, "Thing")["properties"]["State"]["enum"]


@case((PUT, "request-property-type-changed", B, "request body .Name"))
def request_type_narrowed(doc):
    schema(doc, "ThingIn")["properties"]["Name"]["format"] = "date-time"


@case((PUT, "request-property-type-generalized", NB, "request body .Id"))
def request_type_widened(doc):
    schema(doc, "ThingIn")["properties"]["Id"]["format"] = "int64"


@case((PUT, "response-property-type-changed", B, "response 200 body .Id"),
      (LIST, "response-property-type-changed", B, "response 200 body [].Id"))
def response_type_widened(doc):
    schema(doc, "Thing")["properties"]["Id"]["format"] = "int64"


@case((PUT, "response-property-type-changed", NB, "response 200 body .Name"),
      (LIST, "response-property-type-changed", NB, "response 200 body [].Name"))
def response_type_narrowed(doc):
    schema(doc, "Thing")["properties"]["Name"]["format"] = "date-time"
    schema(doc, "Thing")["properties"]["Name"]["maxLength"] = 10  # constraints are not compared


@case((PUT, "response-property-type-changed", B, "response 200 body .Tags[]"),
      (LIST, "response-property-type-changed", B, "response 200 body [].Tags[]"))
def response_items_type_changed(doc):
    schema(doc, "Thing")["properties"]["Tags"]["items"] = {"type": "integer"}


@case((PUT, "response-property-became-nullable", B, "response 200 body .Name"),
      (LIST, "response-property-became-nullable", B, "response 200 body [].Name"))
def response_became_nullable(doc):
    schema(doc, "Thing")["properties"]["Name"]["type"] = ["string", "null"]


@case((PUT, "request-property-became-nullable", NB, "request body .Name"))
def request_became_nullable(doc):
    schema(doc, "ThingIn")["properties"]["Name"]["type"] = ["string", "null"]


@case((PUT, "request-property-additional-properties-forbidden", B, "request body"))
def request_additional_properties_forbidden(doc):
    schema(doc, "ThingIn")["additionalProperties"] = False


@case((PUT, "response-body-type-changed", B, "response 200 body"))
def response_body_type_changed(doc):
    put(doc)["responses"]["200"]["content"]["application/json"]["schema"] = {"type": "string"}


@case((PUT, "response-body-one-of-added", B, "response 200 body"))
def response_body_one_of_added(doc):
    put(doc)["responses"]["200"]["content"]["application/json"]["schema"] = {
        "oneOf": [{"$ref": "#/components/schemas/Thing"}, {"$ref": "#/components/schemas/ThingIn"}]}


# -- parameters ----------------------------------------------------------------------------------------------

@case((PUT, "request-parameter-became-required", B, "query parameter mode"))
def parameter_became_required(doc):
    put(doc)["parameters"][1]["required"] = True


@case((PUT, "new-required-request-parameter", B, "header parameter X-Tenant"))
def required_parameter_added(doc):
    put(doc)["parameters"].append({"name": "X-Tenant", "in": "header", "required": True, "schema": {"type": "string"}})


@case((PUT, "new-optional-request-parameter", NB, "query parameter $top"))
def optional_parameter_added(doc):
    put(doc)["parameters"].append({"name": "$top", "in": "query", "schema": {"type": "integer"}})


@case((PUT, "request-parameter-removed", B, "query parameter mode"))
def parameter_removed(doc):
    del put(doc)["parameters"][1]


@case((PUT, "request-parameter-enum-value-added", NB, "query parameter mode"))
def parameter_enum_value_added(doc):
    put(doc)["parameters"][1]["schema"]["enum"].append("Wide")


@case((PUT, "request-parameter-enum-value-removed", B, "query parameter mode"))
def parameter_enum_value_removed(doc):
    put(doc)["parameters"][1]["schema"]["enum"].remove("Slim")


@case((PUT, "request-parameter-type-changed", B, "path parameter id"))
def parameter_type_changed(doc):
    put(doc)["parameters"][0]["schema"] = {"type": "string"}


@case((PUT, "request-parameter-type-generalized", NB, "path parameter id"))
def parameter_type_widened(doc):
    put(doc)["parameters"][0]["schema"]["format"] = "int64"


# -- bodies, responses, media types --------------------------------------------------------------------------

@case((PUT, "request-body-became-optional", NB, "request body"))
def body_became_optional(doc):
    put(doc)["requestBody"]["required"] = False


@case((PUT, "request-body-removed", B, "request body"))
def body_removed(doc):
    del put(doc)["requestBody"]


@case((LIST, "request-body-added-required", B, "request body"))
def required_body_added(doc):
    doc["paths"]["/things"]["get"]["requestBody"] = copy.deepcopy(put(doc)["requestBody"])


@case((PUT, "request-body-media-type-removed", B, "request body"),
      (PUT, "request-body-media-type-added", NB, "request body"))
def request_media_type_replaced(doc):
    content = put(doc)["requestBody"]["content"]
    content["application/xml"] = content.pop("application/json")


@case((PUT, "response-media-type-added", NB, "response 200"))
def response_media_type_added(doc):
    content = put(doc)["responses"]["200"]["content"]
    content["text/json"] = copy.deepcopy(content["application/json"])


@case((PUT, "response-media-type-removed", B, "response 200"))
def response_media_type_removed(doc):
    del put(doc)["responses"]["200"]["content"]


@case((PUT, "response-success-status-removed", B, "response 200"))
def success_status_removed(doc):
    del put(doc)["responses"]["200"]


@case((PUT, "response-non-success-status-removed", NB, "response 404"))
def error_status_removed(doc):
    del put(doc)["responses"]["404"]


@case((PUT, "response-success-status-added", NB, "response 201"),
      (PUT, "response-non-success-status-added", NB, "response 409"))
def statuses_added(doc):
    put(doc)["responses"]["201"] = {"description": "created"}
    put(doc)["responses"]["409"] = {"description": "conflict"}


@case((PUT, "required-response-header-removed", B, "response 200 header X-Rate"))
def response_header_removed(doc):
    del put(doc)["responses"]["200"]["headers"]


@case((PUT, "response-header-became-optional", B, "response 200 header X-Rate"))
def response_header_became_optional(doc):
    put(doc)["responses"]["200"]["headers"]["X-Rate"]["required"] = False


# -- operations and security ---------------------------------------------------------------------------------

@case((LIST, "api-path-removed-without-deprecation", B, "operation"))
def path_removed(doc):
    del doc["paths"]["/things"]


@case((PUT, "api-removed-without-deprecation", B, "operation"))
def operation_removed_from_a_path_that_stays(doc):
    doc["paths"]["/things/{id}"]["get"] = {"operationId": "getThing", "responses": {"200": {"description": "ok"}}}
    del doc["paths"]["/things/{id}"]["put"]
    # (the new GET is also reported: see operation_added)


@case((PUT, "endpoint-deprecated", NB, "operation"))
def operation_deprecated(doc):
    put(doc)["deprecated"] = True


@case(("replaceThing", "api-operation-id-removed", NB, "operation"))
def operation_id_changed(doc):
    put(doc)["operationId"] = "replaceThing"


@case((PUT, "api-security-removed", B, "security"), (PUT, "api-security-added", NB, "security"))
def security_scheme_replaced(doc):
    put(doc)["security"] = [{"Bearer": []}]


@case((PUT, "api-security-added", NB, "security"))
def security_alternative_added(doc):
    put(doc)["security"] = [{"Basic": []}, {"Bearer": []}]


@case((PUT, "api-security-removed", NB, "security"))
def security_dropped(doc):
    put(doc)["security"] = []


@case((PUT, "api-security-scope-added", B, "security"))
def security_scope_added(doc):
    put(doc)["security"] = [{"Basic": ["admin"]}]


@pytest.mark.parametrize(("mutate", "expected"), CASES)
def test_each_rule_on_a_small_document(mutate: Mutation, expected: set[tuple[str, str, str, str]]) -> None:
    report = diff(mutate)
    found = changes(report)
    if mutate is operation_removed_from_a_path_that_stays:
        found.discard(("getThing", "endpoint-added", NB, "operation"))
    assert found == expected
    assert report.breaking == sum(1 for _, _, level, _ in found if level == B)


def test_security_added_to_an_open_endpoint_breaks_anonymous_clients() -> None:
    before = base()
    put(before)["security"] = []
    report = diff(lambda doc: put(doc).pop("security"), old=before)
    assert changes(report) == {(PUT, "api-security-added", B, "security")}
    assert report.operations[0].changes[0].message == "now requires Basic"


def test_an_added_operation_is_an_addition() -> None:
    report = diff(lambda doc: doc["paths"]["/things"].__setitem__(
        "post", {"operationId": "addThing", "responses": {"201": {"description": "created"}}}))
    assert changes(report) == {("addThing", "endpoint-added", NB, "operation")}
    assert report.operations[0].state.value == "added"


def test_a_removed_deprecated_operation_was_announced() -> None:
    before = base()
    put(before)["deprecated"] = True
    report = diff(lambda doc: doc["paths"].pop("/things/{id}"), old=before)
    assert changes(report) == {(PUT, "api-path-removed-with-deprecation", NB, "operation")}


def test_type_changes_say_from_what_to_what() -> None:
    report = diff(lambda doc: put(doc)["parameters"][0].__setitem__("schema", {"type": "string"}))
    assert report.operations[0].changes[0].message == "type changed from integer/int32 to string"
    report = diff(lambda doc: schema(doc, "Thing")["properties"]["Id"].update(type="number", format="double"))
    assert {c.message for op in report.operations for c in op.changes} == {
        "type widened from integer/int32 to number/double"}


def test_a_narrowed_response_type_is_not_breaking() -> None:
    report = diff(lambda doc: schema(doc, "Thing")["properties"]["Tags"]["items"].update(enum=["a", "b"]))
    assert changes(report) == {(PUT, "response-property-became-enum", NB, "response 200 body .Tags[]"),
                               (LIST, "response-property-became-enum", NB, "response 200 body [].Tags[]")}
    before = base()
    schema(before, "Thing")["properties"]["Id"] = {"type": "number"}
    report = diff(lambda doc: schema(doc, "Thing")["properties"].__setitem__("Id", {"type": "integer"}), old=before)
    assert changes(report) == {(PUT, "response-property-type-changed", NB, "response 200 body .Id"),
                               (LIST, "response-property-type-changed", NB, "response 200 body [].Id")}


def test_an_object_that_becomes_a_string_is_one_type_change_not_a_property_each() -> None:
    report = diff(lambda doc: schema(doc, "Thing").update(type="string", properties={}, required=[]))
    assert changes(report) == {(PUT, "response-body-type-changed", B, "response 200 body"),
                               (LIST, "response-property-type-changed", B, "response 200 body []")}


# -- no change: the same contract, spelled differently -------------------------------------------------------

def test_30_and_31_spellings_of_the_same_contract_are_no_change() -> None:
    doc31 = nullable_31()
    doc30 = as_30(doc31)
    assert doc30["components"]["schemas"]["Thing"]["properties"]["Parent"] == {
        "$ref": "#/components/schemas/ThingIn", "nullable": True}
    assert compare_documents(doc30, doc31).operations == ()
    assert compare_documents(doc31, doc30).operations == ()


def test_a_30_document_is_compared_by_what_it_means() -> None:
    # `nullable: true` dropped from a 3.0 response property: the 3.1 reading says null is no longer returned.
    doc30 = as_30(nullable_31())
    after = copy.deepcopy(doc30)
    del after["components"]["schemas"]["Thing"]["properties"]["Name"]["nullable"]
    assert changes(compare_documents(doc30, after)) == {
        (PUT, "response-property-became-not-nullable", NB, "response 200 body .Name"),
        (LIST, "response-property-became-not-nullable", NB, "response 200 body [].Name")}


def test_a_renamed_schema_of_the_same_shape_is_no_change() -> None:
    def rename(doc: dict[str, Any]) -> None:
        schemas = doc["components"]["schemas"]
        schemas["Item"] = schemas.pop("Thing")
        text = json.dumps(doc["paths"]).replace('"#/components/schemas/Thing"', '"#/components/schemas/Item"')
        doc["paths"] = json.loads(text)

    report = diff(rename)
    assert report.operations == ()


def test_spelling_out_implicit_types_and_reordering_alternatives_is_no_change() -> None:
    before = base()
    put(before)["responses"]["200"]["content"]["application/json"]["schema"] = {
        "anyOf": [{"$ref": "#/components/schemas/Thing"}, {"$ref": "#/components/schemas/ThingIn"}]}
    del schema(before, "Thing")["type"]

    def respell(doc: dict[str, Any]) -> None:
        put(doc)["responses"]["200"]["content"]["application/json"]["schema"]["anyOf"].reverse()
        schema(doc, "Thing")["type"] = "object"
        schema(doc, "Thing")["additionalProperties"] = True

    assert diff(respell, old=before).operations == ()


def test_a_renamed_path_parameter_is_the_same_operation() -> None:
    def rename(doc: dict[str, Any]) -> None:
        doc["paths"]["/things/{Id}"] = doc["paths"].pop("/things/{id}")
        put_op = doc["paths"]["/things/{Id}"]["put"]
        put_op["parameters"][0]["name"] = "Id"

    report = diff(rename)
    assert report.operations == ()


def test_paths_of_one_shape_pair_by_their_exact_template() -> None:
    # GET /x/{id} and GET /x/{state} are two operations side by side, as in the docs (BatchTask).
    doc = base()
    get = lambda op_id, ptype: {"operationId": op_id, "parameters": [  # noqa: E731
        {"name": "p", "in": "path", "required": True, "schema": {"type": ptype}}],
        "responses": {"200": {"description": "ok"}}}
    doc["paths"]["/x/{id}"] = {"get": get("byId", "integer")}
    doc["paths"]["/x/{state}"] = {"get": get("byState", "string")}
    doc["paths"]["/x/{id}"]["get"]["parameters"][0]["name"] = "id"
    doc["paths"]["/x/{state}"]["get"]["parameters"][0]["name"] = "state"
    report = diff(lambda d: d["paths"]["/x/{state}"]["get"]["parameters"][0]["schema"].update(enum=["New"]), old=doc)
    assert changes(report) == {("byState", "request-parameter-became-enum", B, "path parameter state")}


def test_header_names_are_case_insensitive() -> None:
    before = base()
    put(before)["parameters"].append({"name": "X-Tenant", "in": "header", "schema": {"type": "string"}})
    assert diff(lambda doc: put(doc)["parameters"][2].update(name="x-tenant"), old=before).operations == ()


# -- $ref: followed, through cycles, and remembered ----------------------------------------------------------

def cyclic() -> dict[str, Any]:
    """A -> B -> A: `GET /a` answers an A, `GET /b` a B."""
    doc = base()
    doc["paths"] = {
        "/a": {"get": {"operationId": "getA", "responses": {"200": {"description": "ok", "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/A"}}}}}}},
        "/b": {"get": {"operationId": "getB", "responses": {"200": {"description": "ok", "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/B"}}}}}}},
    }
    doc["components"]["schemas"] = {
        "A": {"type": "object", "properties": {"b": {"$ref": "#/components/schemas/B"}, "x": {"type": "string"}}},
        "B": {"type": "object", "properties": {"a": {"$ref": "#/components/schemas/A"},
                                               "items": {"type": "array", "items": {"$ref": "#/components/schemas/B"}}}},
    }
    return doc


def test_reference_cycles_end_and_every_operation_gets_its_changes() -> None:
    # A change in A is seen from /a at .x, and from /b at .a.x, whichever operation is compared first: a
    # result cut short by the cycle is not remembered for the other entry point.
    report = diff(lambda doc: schema(doc, "A")["properties"]["x"].update(type="integer"), old=cyclic())
    assert changes(report) == {("getA", "response-property-type-changed", B, "response 200 body .x"),
                               ("getB", "response-property-type-changed", B, "response 200 body .a.x")}
    swapped = cyclic()
    swapped["paths"] = dict(reversed(list(swapped["paths"].items())))
    report = diff(lambda doc: schema(doc, "A")["properties"]["x"].update(type="integer"), old=swapped)
    assert len(changes(report)) == 2


def test_a_self_containing_all_of_ends() -> None:
    doc = cyclic()
    schema(doc, "A")["allOf"] = [{"$ref": "#/components/schemas/A"}]
    assert compare_documents(doc, copy.deepcopy(doc)).operations == ()


def test_all_of_is_compared_as_the_object_it_makes() -> None:
    before = base()
    after = copy.deepcopy(before)
    schema(after, "Thing").clear()
    schema(after, "Thing")["allOf"] = [
        {"type": "object", "required": ["Id"], "properties": {"Id": thing()["properties"]["Id"]}},
        {"type": "object", "properties": {k: v for k, v in thing()["properties"].items() if k != "Id"}},
    ]
    assert compare_documents(before, after).operations == ()


def test_a_change_served_under_one_media_type_only_names_it() -> None:
    before = base()
    content = put(before)["responses"]["200"]["content"]
    content["application/xml"] = {"schema": {"$ref": "#/components/schemas/ThingIn"}}
    report = diff(lambda doc: schema(doc, "ThingIn")["properties"].pop("Name"), old=before)
    assert changes(report) == {(PUT, "request-property-removed", NB, "request body .Name"),
                               (PUT, "response-optional-property-removed", B,
                                "response 200 body (application/xml) .Name")}


def test_what_is_not_openapi_3_is_an_error() -> None:
    with pytest.raises(DiffError, match="unsupported or missing 'openapi' version"):
        compare_documents({"info": {}}, base())
    broken = base()
    schema(broken, "Thing")["properties"]["Name"] = {"$ref": "#/components/schemas/Missing"}
    with pytest.raises(DiffError, match="dangling"):
        compare_documents(base(), broken)


# -- the table -----------------------------------------------------------------------------------------------

SCHEMA_KINDS = [Kind.REQUIRED_PROPERTY_ADDED, Kind.OPTIONAL_PROPERTY_ADDED, Kind.REQUIRED_PROPERTY_REMOVED,
                Kind.OPTIONAL_PROPERTY_REMOVED, Kind.BECAME_REQUIRED, Kind.BECAME_OPTIONAL, Kind.TYPE_WIDENED,
                Kind.TYPE_NARROWED, Kind.TYPE_CHANGED, Kind.ENUM_VALUE_ADDED, Kind.ENUM_VALUE_REMOVED,
                Kind.BECAME_ENUM, Kind.BECAME_NOT_ENUM, Kind.BECAME_NULLABLE, Kind.BECAME_NOT_NULLABLE,
                Kind.ADDITIONAL_PROPERTIES_ALLOWED, Kind.ADDITIONAL_PROPERTIES_FORBIDDEN, Kind.ANY_OF_ADDED,
                Kind.ANY_OF_REMOVED, Kind.ONE_OF_ADDED, Kind.ONE_OF_REMOVED]
SCHEMA_SCOPES = [Scope.PARAMETER, Scope.REQUEST_BODY, Scope.REQUEST_PROPERTY, Scope.RESPONSE_BODY,
                 Scope.RESPONSE_PROPERTY, Scope.RESPONSE_HEADER]


@pytest.mark.parametrize("scope", SCHEMA_SCOPES, ids=lambda s: s.value)
def test_every_schema_change_has_a_rule_wherever_it_sits(scope: Scope) -> None:
    for kind in SCHEMA_KINDS:
        rule = rule_for(kind, scope)
        assert rule.id.startswith(("request-", "new-", "response-")), (kind, scope, rule.id)
        side = "request" if scope in (Scope.PARAMETER, Scope.REQUEST_BODY, Scope.REQUEST_PROPERTY) else "response"
        assert side in rule.id or rule.id.startswith("new-"), (kind, scope, rule.id)


@pytest.mark.parametrize(("kind", "request_level", "response_level"), [
    (Kind.OPTIONAL_PROPERTY_REMOVED, Level.NON_BREAKING, Level.BREAKING),
    (Kind.REQUIRED_PROPERTY_ADDED, Level.BREAKING, Level.NON_BREAKING),
    (Kind.ENUM_VALUE_ADDED, Level.NON_BREAKING, Level.BREAKING),
    (Kind.ENUM_VALUE_REMOVED, Level.BREAKING, Level.NON_BREAKING),
    (Kind.TYPE_WIDENED, Level.NON_BREAKING, Level.BREAKING),
    (Kind.TYPE_NARROWED, Level.BREAKING, Level.NON_BREAKING),
    (Kind.BECAME_REQUIRED, Level.BREAKING, Level.NON_BREAKING),
    (Kind.BECAME_OPTIONAL, Level.NON_BREAKING, Level.BREAKING),
    (Kind.BECAME_NULLABLE, Level.NON_BREAKING, Level.BREAKING),
    (Kind.BECAME_ENUM, Level.BREAKING, Level.NON_BREAKING),
])
def test_direction_flips_the_class(kind: Kind, request_level: Level, response_level: Level) -> None:
    assert rule_for(kind, Scope.REQUEST_PROPERTY).level is request_level
    assert rule_for(kind, Scope.RESPONSE_PROPERTY).level is response_level


def test_the_few_rules_oasdiff_lacks_are_the_ones_the_readme_lists() -> None:
    from docmock.diff.rules import all_rules

    own = {rule.id for _, _, rule in all_rules() if not rule.oasdiff}
    assert own == {"request-property-additional-properties-allowed", "request-property-additional-properties-forbidden",
                   "response-property-additional-properties-allowed",
                   "response-property-additional-properties-forbidden", "response-header-became-required"}
