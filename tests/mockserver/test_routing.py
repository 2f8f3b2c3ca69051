"""Routing: literals before parameters, parameter types decide, misses explained, ambiguities reported."""
from __future__ import annotations

from mockserver.routing import Found, MethodNotAllowed, Mismatch, NotFound, Route, Router

ENUM = {"type": "string", "enum": ["New", "Failed"]}
INT = {"type": "integer", "format": "int32"}


def _router(*specs: tuple[str, str, dict]) -> Router[str]:
    routes = []
    for method, template, params in specs:
        routes.append(Route(method, template, params, f"{method} {template}", template))
    return Router(routes)


def test_integer_and_enum_paths_of_the_same_shape_are_told_apart() -> None:
    r = _router(("GET", "/BatchTask/{id}", {"id": INT}), ("GET", "/BatchTask/{state}", {"state": ENUM}))
    assert r.match("GET", "/BatchTask/123") == Found("GET /BatchTask/{id}", {"id": "123"})
    assert r.match("GET", "/BatchTask/Failed") == Found("GET /BatchTask/{state}", {"state": "Failed"})
    miss = r.match("GET", "/BatchTask/Nonsense")
    assert isinstance(miss, Mismatch)
    assert {name for name, _ in miss.reasons} == {"id", "state"}
    assert any("not an integer" in msg for _, msg in miss.reasons)


def test_a_newer_code_of_a_path_enum_is_routed_past_the_enum() -> None:
    """A code built on the enum's own words (the API's enum grew) reaches the enum's operation; anything else
    is still a miss that says why."""
    r = _router(("GET", "/BatchTask/{id}", {"id": INT}), ("GET", "/BatchTask/{state}", {"state": ENUM}),
                ("PUT", "/BatchTask/{name}", {"name": {"type": "string"}}))
    assert r.match("GET", "/BatchTask/FailedManualCleanup") == \
        Found("GET /BatchTask/{state}", {"state": "FailedManualCleanup"})
    assert r.match("GET", "/BatchTask/NewOrFailed") == Found("GET /BatchTask/{state}", {"state": "NewOrFailed"})
    # A documented code in another case: the real server binds enums without regard to case.
    assert r.match("GET", "/BatchTask/failed") == Found("GET /BatchTask/{state}", {"state": "failed"})
    for other in ("Nonsense", "Failedx", "failed-twice", "PausedByOperator", "NewFailed"):
        assert r.match("GET", f"/BatchTask/{other}") == MethodNotAllowed(("PUT",)), other
    # What the path answers (a 405's Allow, a CORS preflight) knows the route the newer code reaches.
    assert r.match("DELETE", "/BatchTask/FailedManualCleanup") == MethodNotAllowed(("GET", "PUT"))
    assert r.methods_for("/BatchTask/FailedManualCleanup") == ("GET", "PUT")


def test_int32_overflow_is_not_an_id() -> None:
    r = _router(("GET", "/T/{id}", {"id": INT}))
    assert isinstance(r.match("GET", "/T/2147483648"), Mismatch)


def test_literal_segments_win_over_parameters_and_methods_fall_through() -> None:
    r = _router(("GET", "/pets/{petId}", {"petId": {"type": "string"}}), ("GET", "/pets/mine", {}),
                ("DELETE", "/pets/{petId}", {"petId": {"type": "string"}}))
    assert r.match("GET", "/pets/mine").payload == "GET /pets/mine"  # type: ignore[union-attr]
    assert r.match("DELETE", "/pets/mine").payload == "DELETE /pets/{petId}"  # type: ignore[union-attr]


def test_wrong_method_lists_allowed_methods_and_unknown_path_is_not_found() -> None:
    r = _router(("GET", "/a/{id}", {"id": INT}), ("PUT", "/a/{id}", {"id": INT}))
    assert r.match("POST", "/a/1") == MethodNotAllowed(("GET", "PUT"))
    assert isinstance(r.match("GET", "/b"), NotFound)


def test_literals_match_case_insensitively_as_a_fallback() -> None:
    r = _router(("GET", "/api/BatchTask", {}))
    assert isinstance(r.match("GET", "/api/batchtask"), Found)


def test_same_shape_and_types_are_reported_unresolved_and_type_overlaps_as_shadowed() -> None:
    s = {"type": "string"}
    r = _router(("GET", "/o/{name}", {"name": s}), ("GET", "/o/{login}", {"login": s}),
                ("GET", "/o/{oid}", {"oid": {"type": "string", "format": "uuid"}}))
    kinds = sorted(a.kind for a in r.ambiguities)
    assert kinds == ["shadowed", "unresolved"]
    assert "/o/{login}" in r.overlapping_templates


def test_disjoint_types_are_not_ambiguous() -> None:
    r = _router(("GET", "/BatchTask/{id}", {"id": INT}), ("GET", "/BatchTask/{state}", {"state": ENUM}))
    assert r.ambiguities == []


def test_lookup_walks_only_the_branches_of_the_path() -> None:
    """Thousands of routes: a match inspects one literal table per level, not every route."""
    routes = [Route("GET", f"/api/v1/Res{i}/{{id}}", {"id": INT}, i, str(i)) for i in range(3000)]
    r = Router(routes)
    assert len(r.root.literals["api"].literals["v1"].literals) == 3000
    assert r.match("GET", "/api/v1/Res2999/7") == Found(2999, {"id": "7"})


def test_mixed_segments_extract_their_parameters() -> None:
    r = _router(("GET", "/files/{name}.{ext}", {"name": {"type": "string"}, "ext": {"type": "string"}}))
    assert r.match("GET", "/files/report.pdf") == Found("GET /files/{name}.{ext}", {"name": "report", "ext": "pdf"})
