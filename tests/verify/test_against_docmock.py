"""`docmock verify` against real `docmock serve` processes, on the seeds and on the corpus.

Without state (`--no-state`) the mock answers only what the docs document, and verify passes. With state (the
default) it also answers what the README's "Stateful mocking" promises beside the docs: 404 for a record never
created or already deleted, 409 for a failed JSON Patch test, 400 for a malformed patch (or a request that
names no record by a string id). The seeds document the 404 their one read can give, so they pass either way; on the corpus
those extra statuses are undocumented, and the test pins that they are the only failures.
"""
from __future__ import annotations

from docmock.verify import VerifyOptions, verify
from testdata import SEEDS
from verify_support import AUTH, docmock_serve

STATE_STATUSES = {400, 404, 409}


def test_the_seeds_pass_against_the_stateless_mock(seeds_stateless, verify_cli):
    result = verify_cli(str(SEEDS), "--target", seeds_stateless, "--header", AUTH, "--max-examples", "10")
    assert result.exit_code == 0, result.output
    assert "all checks passed" in result.stdout and "4 of 4 operations tested" in result.stdout


def test_the_seeds_pass_against_the_stateful_mock_including_create_then_read(verify_cli):
    with docmock_serve(str(SEEDS)) as url:
        result = verify_cli(str(SEEDS), "--target", url, "--header", AUTH, "--max-examples", "10")
    assert result.exit_code == 0, result.output
    # The create (POST /BatchTask answers the new id) links to the read that takes it (GET /BatchTask/{id}).
    assert "over 1 link, 1 from docmock's entities" in result.stdout


def test_the_corpus_passes_against_the_stateless_mock(corpus_dir, verify_cli):
    with docmock_serve(str(corpus_dir), "--no-state") as url:
        result = verify_cli(str(corpus_dir), "--target", url, "--header", AUTH, "--max-examples", "3")
    assert result.exit_code == 0, result.output
    assert "all checks passed" in result.stdout


def test_on_the_corpus_the_stateful_mock_fails_only_by_the_statuses_state_adds(corpus_dir, corpus_result):
    with docmock_serve(str(corpus_dir)) as url:
        result = verify(corpus_result.spec, VerifyOptions(target=url, headers=(tuple(AUTH.split(": ", 1)),),
                                                          max_examples=5, seed=7))
    stateful_operations = _stateful_operations(corpus_result.spec)
    for operation in result.operations:
        for finding in operation.findings:
            # A patch valid to the docs' loose schema (`"op": ""`) that no server can apply is refused with a 400:
            # verify reports it both as undocumented and as a valid request refused.
            assert finding.check in ("status_code_conformance", "positive_data_acceptance"), (operation.name, finding)
            if finding.check == "status_code_conformance":
                received = int(finding.message.splitlines()[0].removeprefix("Received: "))
                assert received in STATE_STATUSES, (operation.name, finding)
            assert operation.operation_id in stateful_operations, (operation.name, finding)
        assert operation.error is None, (operation.name, operation.error)


def _stateful_operations(spec):
    from mockserver.state import infer

    return set(infer(spec).actions)
