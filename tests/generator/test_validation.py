"""The generator's OpenAPI check rejects what openapi-spec-validator rejects, and names every violation."""
from __future__ import annotations

import copy

import pytest
from openapi_spec_validator import validate as reference_validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError
from referencing.exceptions import Unresolvable

from generator import DocsError
from generator.validation import validate_document


def _first_operation(spec):
    path = next(iter(spec["paths"]))
    method = next(m for m in spec["paths"][path] if m in ("get", "post", "put", "patch", "delete"))
    return path, method, spec["paths"][path][method]


def _bad_schema_type(spec):
    name = next(iter(spec["components"]["schemas"]))
    spec["components"]["schemas"][name] = {"type": "no-such-type"}
    return f"components/schemas/{name}"


def _nested_bad_schema(spec):
    name = next(n for n, s in spec["components"]["schemas"].items() if s.get("properties"))
    prop = next(iter(spec["components"]["schemas"][name]["properties"]))
    spec["components"]["schemas"][name]["properties"][prop] = {"type": "array", "items": {"minItems": -1}}
    return f"components/schemas/{name}/properties/{prop}"


def _response_without_description(spec):
    path, method, operation = _first_operation(spec)
    status = next(iter(operation["responses"]))
    del operation["responses"][status]["description"]
    return f"paths/{path}/{method}/responses/{status}"


def _duplicate_operation_id(spec):
    operations = [op for item in spec["paths"].values() for m, op in item.items() if m in ("get", "post", "put")]
    operations[1]["operationId"] = operations[0]["operationId"]
    return operations[0]["operationId"]


def _undeclared_path_parameter(spec):
    path, method, operation = _first_operation(spec)
    spec["paths"][path + "/{extra}"] = spec["paths"].pop(path)
    return "extra"


def _parameter_not_in_path(spec):
    path, method, operation = _first_operation(spec)
    operation.setdefault("parameters", []).append(
        {"name": "ghost", "in": "path", "required": True, "schema": {"type": "string"}})
    return "ghost"


def _dangling_ref(spec):
    name = next(iter(spec["components"]["schemas"]))
    spec["components"]["schemas"][name] = {"$ref": "#/components/schemas/NoSuchSchema"}
    return "NoSuchSchema"


BREAKAGES = [_bad_schema_type, _nested_bad_schema, _response_without_description, _duplicate_operation_id,
             _undeclared_path_parameter, _parameter_not_in_path, _dangling_ref]


def test_generated_documents_pass(seeds_result, corpus_result):
    validate_document(seeds_result.spec)
    validate_document(corpus_result.spec)


@pytest.mark.parametrize("breakage", BREAKAGES, ids=lambda b: b.__name__.strip("_"))
def test_rejects_what_openapi_spec_validator_rejects(corpus_result, breakage):
    spec = copy.deepcopy(corpus_result.spec)
    where = breakage(spec)
    with pytest.raises((OpenAPIValidationError, Unresolvable)):
        reference_validate(spec)
    with pytest.raises(DocsError) as caught:
        validate_document(spec)
    assert where in str(caught.value)


def test_every_violation_is_named(seeds_result):
    spec = copy.deepcopy(seeds_result.spec)
    wheres = [_bad_schema_type(spec), _response_without_description(spec), _parameter_not_in_path(spec)]
    with pytest.raises(DocsError) as caught:
        validate_document(spec)
    message = str(caught.value)
    assert all(where in message for where in wheres), message
