"""The vendor's contract as the oracle: schemathesis, with each of SuperOffice's own Swagger specs
(`../shared/corpus/superoffice-openapi/`), sends valid requests to `docmock serve` of the corpus pages, as a
client built from the vendor's spec would, and checks every answer against the vendor's spec.

What may differ is listed in the README ("Where the mock differs from the vendor's contract"), each with its
reason; this suite reads that table. Nothing else may fail: no valid request refused, no request routed
nowhere, no 5xx, no undocumented media type, and at most 5 operations answering bodies outside the vendor's
schema.
"""
from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from serving import docmock_server
from testdata import CORPUS, REPO, VENDOR_SPECS

from docmock.verify import VerifyOptions, verify
from mockserver import load_spec

VENDOR_FILES = sorted(VENDOR_SPECS.glob("*.json"))
SEED = 1
EXAMPLES = 25  # valid requests per operation (schemathesis' default)
AUTH = ("Authorization", "Basic dXNlcjpwYXNz")
MAX_SCHEMA_DIFFERENCES = 5
# The checks that must pass everywhere: nothing in the README can excuse them.
NEVER = {"not_a_server_error", "positive_data_acceptance", "content_type_conformance", "no_answer"}
_SECTION = "### Where the mock differs from the vendor's contract"
_ROW = re.compile(r"^\|\s*(`(?P<op>[^`]+)`|any operation)\s*\|\s*`(?P<check>[a-z_]+)`(?P<what>[^|]*)\|(?P<why>[^|]+)\|")


@dataclass(frozen=True)
class Difference:
    operation: str | None  # None: any operation
    check: str
    what: str  # a piece of the finding's message (`Received: 404`), or "" for any
    why: str

    def covers(self, operation: str, check: str, message: str) -> bool:
        return (self.operation in (None, operation) and self.check == check and
                (not self.what or self.what in message))


def documented_differences() -> list[Difference]:
    """The README's table of the differences, with the reason for each."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    assert _SECTION in text, "the README lists the differences from the vendor's contract"
    rows = []
    for line in text.split(_SECTION, 1)[1].splitlines()[1:]:
        if line.startswith("#"):
            break
        match = _ROW.match(line)
        if match:
            what = re.search(r"`([^`]+)`", match["what"])
            rows.append(Difference(match["op"], match["check"], what.group(1) if what else "", match["why"].strip()))
    return rows


@pytest.fixture(scope="module")
def corpus_mock() -> Iterator[str]:
    with docmock_server(str(CORPUS)) as (base, _):
        yield base


@pytest.fixture(scope="module")
def findings(corpus_mock: str) -> dict[str, list[tuple[str, str, str]]]:
    """For each vendor spec: (operationId, check, message) of everything schemathesis found."""
    out: dict[str, list[tuple[str, str, str]]] = {}
    for path in VENDOR_FILES:
        # A session of its own per spec: what one spec's requests deleted is not missing for the next.
        headers = (AUTH, ("X-Mock-Session", f"vendor-{path.stem}"))
        result = verify(load_spec(path), VerifyOptions(corpus_mock, headers, max_examples=EXAMPLES, seed=SEED,
                                                       stateful=False))
        found = out[path.name] = []
        for op in result.operations:
            assert op.error is None, f"{op.name}: {op.error}"
            found.extend((op.name, f.check, f"{f.title}\n{f.message}\n{f.reproduce[-1]}") for f in op.findings)
    return out


def test_the_vendor_specs_and_the_operations_they_hold() -> None:
    assert len(VENDOR_FILES) == 13
    operations = sum(len([m for m in item if m != "parameters"])
                     for path in VENDOR_FILES for item in load_spec(path)["paths"].values())
    assert operations == 90


def test_the_readme_gives_a_reason_for_each_difference() -> None:
    rows = documented_differences()
    assert rows and all(len(row.why) > 20 for row in rows)
    assert not [row for row in rows if row.check in NEVER]


@pytest.mark.parametrize("vendor_file", [p.name for p in VENDOR_FILES])
def test_every_answer_fits_the_vendor_contract_or_is_a_documented_difference(
        vendor_file: str, findings: dict[str, list[tuple[str, str, str]]]) -> None:
    documented = documented_differences()
    unexplained = [f"{op} {check}: {message}" for op, check, message in findings[vendor_file]
                   if check in NEVER or not any(d.covers(op, check, message) for d in documented)]
    assert not unexplained, "\n\n".join(unexplained)


def test_at_most_5_operations_answer_outside_the_vendor_schema(
        findings: dict[str, list[tuple[str, str, str]]]) -> None:
    outside = {op for found in findings.values() for op, check, _ in found if check == "response_schema_conformance"}
    assert len(outside) <= MAX_SCHEMA_DIFFERENCES, sorted(outside)
    named = {d.operation for d in documented_differences() if d.check == "response_schema_conformance"}
    # A difference the README names but the mock no longer shows is a stale line of the README.
    assert named <= outside | {None}, f"the README lists differences that are gone: {sorted(named - outside)}"


def _vendor_operations() -> list[tuple[str, str, str, dict[str, Any]]]:
    """(operationId, method, path template, parameters by name) of every operation of the vendor's specs."""
    out = []
    for path in VENDOR_FILES:
        for template, item in load_spec(path)["paths"].items():
            for method, op in item.items():
                if method != "parameters":
                    params = {p["name"]: p.get("schema") or {} for p in op.get("parameters") or () if p["in"] == "path"}
                    out.append((op["operationId"], method.upper(), template, params))
    return out


def _path_values(schema: dict[str, Any]) -> list[str]:
    """Every value of an enum (the vendor's has codes the docs' lacks, such as SucceededManualCleanup), else one
    value of the type."""
    if schema.get("enum"):
        return [str(v) for v in schema["enum"]]
    return [{"integer": "5", "number": "5", "boolean": "true"}.get(schema.get("type", ""), "Label")]


def test_every_vendor_operation_is_routed_to_the_operation_the_docs_document(corpus_mock: str) -> None:
    """0 routing failures: each vendor operation's path, filled in with valid values, reaches the operation of
    the same operationId (its page's `id`), not a 404, a 405 or another operation."""
    import httpx

    wrong, sent = [], 0
    with httpx.Client(base_url=corpus_mock, headers=dict([AUTH])) as client:
        for operation_id, method, template, params in _vendor_operations():
            names = re.findall(r"\{([^}]+)\}", template)
            for values in itertools.product(*(_path_values(params.get(n, {})) for n in names)):
                url = template
                for name, value in zip(names, values):
                    url = url.replace("{" + name + "}", value)
                answer = client.request(method, url, json={} if method in ("POST", "PUT", "PATCH") else None)
                sent += 1
                served = answer.headers.get("x-docmock-operation")
                if served != operation_id:
                    wrong.append(f"{method} {url}: {answer.status_code} from {served or 'no operation'}, "
                                 f"expected {operation_id}")
    assert not wrong, "\n".join(wrong)
    assert sent > 90  # every operation, and each enum value of a path


def test_docmock_verify_takes_a_vendor_swagger_file(corpus_mock: str) -> None:
    """What the README shows: the command line reads the vendor's Swagger 2.0 file as it is."""
    import subprocess
    import sys

    vendor = VENDOR_SPECS / "agent-Swagger-v1-BLOBAgent.json"
    done = subprocess.run([sys.executable, "-m", "docmock", "verify", str(vendor), "--target", corpus_mock,
                           "--header", f"{AUTH[0]}: {AUTH[1]}", "--header", "X-Mock-Session: cli",
                           "--no-stateful", "--seed", "1", "--max-examples", "5"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "5 of 5 operations tested" in done.stdout and "all checks passed" in done.stdout
