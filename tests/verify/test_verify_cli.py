"""The `docmock verify` command: exit codes, one-line errors, --operations, --junit, --time-budget, --no-stateful."""
from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
import yaml

from serving import DOCMOCK, free_port
from testdata import SEEDS
from verify_support import AUTH, THINGS


def test_an_unreachable_target_is_one_line_and_exit_2():
    if not DOCMOCK.exists():
        pytest.skip("the docmock command is not installed beside this Python")
    target = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    done = subprocess.run([str(DOCMOCK), "verify", str(THINGS), "--target", target], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip() == f"error: cannot reach {target}: Connection refused"
    assert done.stdout == ""


def test_a_missing_spec_is_a_usage_error(verify_cli, tmp_path):
    result = verify_cli(str(tmp_path / "nowhere.yaml"), "--target", "http://127.0.0.1:9")
    assert result.exit_code == 2 and "does not exist" in result.stderr


@pytest.mark.parametrize("text, message", [
    ("paths: [unclosed", "not valid JSON/YAML"),
    (yaml.safe_dump({"swagger": "1.2", "info": {"title": "t", "version": "1"}, "paths": {}}), "Swagger"),
    (yaml.safe_dump({"swagger": "2.0", "info": {"title": "t", "version": "1"}, "paths": {}}), "no operation"),
])
def test_an_unreadable_spec_is_one_line_and_exit_2(verify_cli, tmp_path, text, message):
    spec = tmp_path / "api.yaml"
    spec.write_text(text, encoding="utf-8")
    result = verify_cli(str(spec), "--target", "http://127.0.0.1:9")
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1 and message in result.stderr, result.stderr
    assert "Traceback" not in result.output


def test_docs_that_yield_no_operation_are_exit_2(verify_cli, tmp_path):
    (tmp_path / "README.md").write_text("# Nothing here\n\nJust prose.\n", encoding="utf-8")
    result = verify_cli(str(tmp_path), "--target", "http://127.0.0.1:9")
    assert result.exit_code == 2 and result.stderr.strip().splitlines()[-1].startswith("error: ")


@pytest.mark.parametrize("header", ["Authorization", "no colon here", ": value", "Bad Name: value"])
def test_a_header_that_is_not_name_colon_value_is_a_usage_error(verify_cli, header):
    result = verify_cli(str(THINGS), "--target", "http://127.0.0.1:9", "--header", header)
    assert result.exit_code == 2 and "Name: value" in result.stderr


def test_a_target_that_is_not_an_http_url_is_a_usage_error(verify_cli):
    result = verify_cli(str(THINGS), "--target", "127.0.0.1:4010")
    assert result.exit_code == 2 and "--target" in result.stderr


def test_without_schemathesis_it_says_what_to_install(verify_cli, monkeypatch):
    monkeypatch.setitem(sys.modules, "schemathesis", None)  # makes `import schemathesis` raise ImportError
    result = verify_cli(str(THINGS), "--target", "http://127.0.0.1:9")
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: docmock verify needs schemathesis: pip install 'docmock[verify]'"


@pytest.mark.parametrize("pattern", ["v1Batch_Get*", "GET /api/v1/BatchTask/*", "get /api/v1/BatchTask/{*}"])
def test_operations_selects_by_operation_id_or_method_and_path(seeds_stateless, verify_cli, tmp_path, pattern):
    junit = tmp_path / "verify.xml"
    result = verify_cli(str(SEEDS), "--target", seeds_stateless, "--header", AUTH, "--max-examples", "3",
                        "--operations", pattern, "--junit", str(junit))
    assert result.exit_code == 0, result.output
    names = {case.get("name").split()[0] for case in ET.parse(junit).getroot().iter("testcase")}
    assert names == {"v1Batch_GetBatchTaskInfo", "v1Batch_GetBatchTaskInfosByState"}
    assert "2 of 2 operations tested" in result.stdout


def test_operations_patterns_add_up(seeds_stateless, verify_cli):
    result = verify_cli(str(SEEDS), "--target", seeds_stateless, "--header", AUTH, "--max-examples", "2",
                        "--operations", "v1BatchAgent_*", "--operations", "POST /api/v1/BatchTask")
    assert result.exit_code == 0 and "2 of 2 operations tested" in result.stdout


def test_a_pattern_that_matches_nothing_is_exit_2(seeds_stateless, verify_cli):
    result = verify_cli(str(SEEDS), "--target", seeds_stateless, "--operations", "v1Batch_*", "--operations", "v2*")
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines()[-1] == "error: no operation matches --operations 'v2*'"


def test_the_junit_file_is_well_formed_and_counts_what_ran(seeds_stateless, verify_cli, tmp_path):
    junit = tmp_path / "reports" / "verify.xml"
    junit.parent.mkdir()
    result = verify_cli(str(SEEDS), "--target", seeds_stateless, "--header", AUTH, "--max-examples", "3",
                        "--junit", str(junit), "--seed", "11")
    assert result.exit_code == 0, result.output
    suite = ET.parse(junit).getroot()
    assert suite.tag == "testsuite"
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("4", "0", "0")
    properties = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert properties["seed"] == "11" and properties["target"] == seeds_stateless
    assert all(case.find("failure") is None for case in suite.iter("testcase"))


def test_a_time_budget_stops_starting_requests_and_reports_what_ran(seeds_stateless, verify_cli, tmp_path):
    junit = tmp_path / "verify.xml"
    # Without a budget this would send 20,000 requests; with one, the run stops early and says what it skipped.
    result = verify_cli(str(SEEDS), "--target", seeds_stateless, "--header", AUTH, "--max-examples", "5000",
                        "--time-budget", "1", "--junit", str(junit))
    assert result.exit_code == 0, result.output
    assert "The time budget ran out" in result.stdout
    suite = ET.parse(junit).getroot()
    skipped = [case for case in suite.iter("testcase") if case.find("skipped") is not None]
    assert suite.get("skipped") == str(len(skipped))


def test_no_stateful_sends_no_sequences(seeds_stateless, verify_cli):
    result = verify_cli(str(SEEDS), "--target", seeds_stateless, "--header", AUTH, "--max-examples", "2",
                        "--no-stateful")
    assert result.exit_code == 0 and "sequences off" in result.stdout


def test_verify_is_listed_and_its_help_documents_the_exit_codes(verify_cli):
    from click.testing import CliRunner

    from docmock.cli import main

    assert "verify" in CliRunner().invoke(main, ["--help"]).output
    text = CliRunner().invoke(main, ["verify", "--help"]).output
    assert "0  every check passed" in text and "1  at least one failure" in text and "2  usage error" in text


def test_an_operation_no_valid_request_can_be_built_for_is_an_error(wrong_server, verify_cli, tmp_path):
    spec = tmp_path / "impossible.yaml"
    spec.write_text(yaml.safe_dump({
        "openapi": "3.1.0", "info": {"title": "t", "version": "1"},
        "paths": {"/things/{id}": {"get": {
            "operationId": "impossible", "responses": {"200": {"description": "ok"}},
            "parameters": [{"name": "id", "in": "path", "required": True,
                            "schema": {"type": "integer", "minimum": 5, "maximum": 1}}]}}}}), encoding="utf-8")
    junit = tmp_path / "verify.xml"
    result = verify_cli(str(spec), "--target", wrong_server, "--junit", str(junit))
    assert result.exit_code == 1
    assert "FAIL impossible" in result.stdout and "error: no valid request can be generated" in result.stdout
    assert "0 of 1 operation tested" in result.stdout
    assert ET.parse(junit).getroot().find("testcase/error") is not None
