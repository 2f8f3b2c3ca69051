"""`docmock verify` against a server that breaks each operation's contract in one way: every fault is reported
under its operation, with the check that caught it and a curl command that reproduces it."""
from __future__ import annotations

import re
import shlex
import xml.etree.ElementTree as ET

import pytest

from testdata import SEEDS
from verify_support import AUTH, THINGS
from wrong_server import FAULTS

SEED_OPERATIONS = [name for name in FAULTS if name.startswith("v1")]
THING_OPERATIONS = [name for name in FAULTS if not name.startswith("v1")]


def sections(summary: str) -> dict[str, str]:
    """The summary's block of text per failing operation, by operationId."""
    blocks = re.split(r"^FAIL ", summary, flags=re.MULTILINE)[1:]
    return {block.split()[0]: block for block in blocks}


def _run(source, wrong_server, verify_cli, tmp_path_factory):
    """`docmock verify SOURCE` against the wrong server: its result and the JUnit file it wrote."""
    junit = tmp_path_factory.mktemp("junit") / "verify.xml"
    result = verify_cli(str(source), "--target", wrong_server, "--header", AUTH, "--max-examples", "5",
                        "--junit", str(junit))
    return result, junit


@pytest.fixture(scope="module")
def seeds_run(wrong_server, verify_cli, tmp_path_factory):
    return _run(SEEDS, wrong_server, verify_cli, tmp_path_factory)


@pytest.fixture(scope="module")
def things_run(wrong_server, verify_cli, tmp_path_factory):
    return _run(THINGS, wrong_server, verify_cli, tmp_path_factory)


def test_the_run_fails(seeds_run, things_run):
    assert seeds_run[0].exit_code == 1, seeds_run[0].output
    assert things_run[0].exit_code == 1, things_run[0].output


@pytest.mark.parametrize("operation", list(FAULTS))
def test_each_fault_is_reported_under_its_operation_with_a_curl(operation, seeds_run, things_run, wrong_server):
    result = (seeds_run if operation in SEED_OPERATIONS else things_run)[0]
    found = sections(result.stdout)
    assert operation in found, result.stdout
    check, message = FAULTS[operation]
    block = found[operation]
    assert f"{check}: " in block and message in block, block
    curls = [line.strip() for line in block.splitlines() if line.strip().startswith("curl ")]
    assert curls and all(wrong_server in curl for curl in curls)
    # The --header value is in the command as sent, so that pasting it reproduces the failure.
    assert all(AUTH in shlex.split(curl) for curl in curls), curls


def test_only_the_faulty_operations_fail(seeds_run, things_run):
    assert set(sections(seeds_run[0].stdout)) == set(SEED_OPERATIONS)
    assert set(sections(things_run[0].stdout)) == set(THING_OPERATIONS)


def test_identical_failures_are_reported_once_with_a_count(seeds_run):
    block = sections(seeds_run[0].stdout)["v1Batch_StartBatchJob"]
    assert block.count("status_code_conformance:") == 1 and re.search(r"Undocumented status code, \d+ times", block)


@pytest.mark.parametrize("run, operations", [("seeds_run", SEED_OPERATIONS), ("things_run", THING_OPERATIONS)])
def test_the_junit_file_lists_every_fault(run, operations, request):
    suite = ET.parse(request.getfixturevalue(run)[1]).getroot()
    assert suite.tag == "testsuite" and suite.get("failures") == str(len(operations))
    cases = {case.get("name").split()[0]: case for case in suite.iter("testcase")}
    assert set(operations) <= set(cases)  # one testcase per operation; createNote passes
    for operation in operations:
        failure = cases[operation].find("failure")
        check, message = FAULTS[operation]
        assert failure is not None and check in failure.get("message") and check in failure.get("type")
        assert message in failure.text and "curl -X" in failure.text
    assert all(case.find("failure") is None for name, case in cases.items() if name not in operations)


def test_the_same_seed_finds_the_same_failures_with_the_same_requests(wrong_server, verify_cli, seeds_run):
    again = verify_cli(str(SEEDS), "--target", wrong_server, "--header", AUTH, "--max-examples", "5")
    assert again.exit_code == 1
    assert _without_timing(again.stdout) == _without_timing(seeds_run[0].stdout)


def _without_timing(summary: str) -> str:
    return re.sub(r" in \d+\.\d+s:", " in _s:", summary)


def test_a_note_that_cannot_be_read_back_is_caught_by_a_create_then_read_sequence(things_run, wrong_server,
                                                                                    verify_cli):
    block = sections(things_run[0].stdout)["getNote"]
    assert "in a sequence" in block and "Created with      : `POST /notes`" in block
    curls = [line.strip() for line in block.splitlines() if line.strip().startswith("curl ")]
    assert len(curls) >= 2 and re.search(r"-X POST .*/notes$", curls[0]) and re.search(r"-X GET .*/notes/\d+$",
                                                                                         curls[-1])
    # Every answer on its own is documented (404 included): without sequences nothing is wrong with getNote.
    alone = verify_cli(str(THINGS), "--target", wrong_server, "--max-examples", "5", "--no-stateful")
    assert "getNote" not in sections(alone.stdout) and "createNote" not in sections(alone.stdout)
