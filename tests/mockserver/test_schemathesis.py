"""Schemathesis, as a library, against the mock built from the seeds and from the whole corpus."""
from __future__ import annotations

import re
from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import (allow_header_conformance, negative_data_rejection,
                                               positive_data_acceptance, status_code_conformance)

from mock_support import CORPUS, corpus_spec, seeds_spec
from mockserver import create_app
from mockserver.odata.examples import with_query_examples
from mockserver.state import StateEngine

_LENIENT = re.compile(r"xml|x-www-form-urlencoded")
CREDENTIAL = "Basic c2NoZW1hdGhlc2lzOnRlc3Q="
HEADERS = {"Authorization": CREDENTIAL}


def _odata_option_mutated(case: Any) -> bool:
    parameters = case.operation.definition.raw.get("parameters") or ()
    enums = {p["name"]: p["schema"]["enum"] for p in parameters
             if p.get("in") == "query" and "enum" in (p.get("schema") or {}) and p["name"].startswith("$")}
    return any(name in enums and value not in enums[name] for name, value in (case.query or {}).items())


def _schema(app: Any, spec: dict[str, Any], options: dict[str, Any]) -> Any:
    """The app's spec for schemathesis, its OData list options valid expressions (as `docmock verify` sends)."""
    schema = schemathesis.openapi.from_dict(with_query_examples(spec), config=schemathesis.Config.from_dict(options))
    schema.app = app
    return schema


# Only this credential is accepted, so schemathesis' ignored_auth check can prove auth is enforced.
SEEDS_APP = create_app(seeds_spec(), credentials=[CREDENTIAL])
seeds_schema = _schema(SEEDS_APP, seeds_spec(), {"generation": {"max-examples": 20}})


# What state adds to the docs' status codes (README, "Stateful mocking"): 404 for a record that does not
# exist or was deleted, 409 for a failed JSON Patch test, 400 for a request that names no record.
_STATE_STATUSES = {400, 404, 409}


def _validate(app: Any, case: Any) -> None:
    negative = case.meta is not None and case.meta.generation.mode == GenerationMode.NEGATIVE
    if negative and case.media_type is not None and _LENIENT.search(case.media_type):
        return  # XML/form bodies are checked for well-formedness only (see mockserver.validation)
    response = case.call(headers=HEADERS)
    served = response.headers.get("x-docmock-operation")
    if isinstance(served, list):  # schemathesis keeps every header as a list of values
        served = served[0]
    if served is not None and served != case.operation.definition.raw.get("operationId"):
        # Overlapping templates: the URL schemathesis built for one operation belongs to another
        # (e.g. GET /BatchTask/0 for {state} is GetBatchTaskInfo). That is the routing rule, not a defect.
        assert negative or case.operation.path in app.router.overlapping_templates
        return
    excluded = []
    if app.state is not None and response.status_code in _STATE_STATUSES and \
            response.headers.get("content-type", [""])[0].startswith("application/problem+json"):
        excluded.extend((status_code_conformance, positive_data_acceptance))
    if negative:
        # The docs document no error responses, so a correct 400 for invalid input is "undocumented";
        # negative_data_rejection still checks that every invalid request is rejected.
        excluded.append(status_code_conformance)
        if _odata_option_mutated(case):
            # The enums of OData options are only there to generate valid queries (see _schema): the spec's
            # type is any string, and an unknown column sorts or selects nothing rather than being an error.
            excluded.append(negative_data_rejection)
    if case.operation.path in app.router.overlapping_templates:
        # Allow lists every method the URL routes to, including those of overlapping templates.
        excluded.append(allow_header_conformance)
    case.validate_response(response, headers=HEADERS, excluded_checks=excluded)


@seeds_schema.parametrize()
@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
def test_seeds_spec_conformance(case: Any) -> None:
    _validate(SEEDS_APP, case)


# With state on, every case runs against one remembering app: whatever sequence of writes schemathesis
# happens to send, what the mock answers later (stored records, filtered lists) must still match the spec.
STATEFUL_SEEDS_APP = create_app(seeds_spec(), credentials=[CREDENTIAL], state=StateEngine.from_spec(seeds_spec()))
stateful_seeds_schema = _schema(STATEFUL_SEEDS_APP, seeds_spec(), {"generation": {"max-examples": 20}})


@stateful_seeds_schema.parametrize()
@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
def test_seeds_spec_conformance_with_state(case: Any) -> None:
    _validate(STATEFUL_SEEDS_APP, case)


if (CORPUS / "superoffice").exists():
    CORPUS_APP = create_app(corpus_spec(), credentials=[CREDENTIAL])
    # The coverage phase enumerates every mutation of the large carrier bodies (30k+ cases for POST
    # /Person); fuzzing in both modes keeps the whole corpus within seconds.
    corpus_schema = _schema(CORPUS_APP, corpus_spec(), {"generation": {"max-examples": 12},
                                                        "phases": {"coverage": {"enabled": False}}})

    @corpus_schema.parametrize()
    @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
    def test_corpus_spec_conformance(case: Any) -> None:
        _validate(CORPUS_APP, case)

    STATEFUL_CORPUS_APP = create_app(corpus_spec(), credentials=[CREDENTIAL],
                                     state=StateEngine.from_spec(corpus_spec()))
    stateful_corpus_schema = _schema(STATEFUL_CORPUS_APP, corpus_spec(), {"generation": {"max-examples": 8},
                                                                          "phases": {"coverage": {"enabled": False}}})

    @stateful_corpus_schema.parametrize()
    @settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
    def test_corpus_spec_conformance_with_state(case: Any) -> None:
        _validate(STATEFUL_CORPUS_APP, case)
