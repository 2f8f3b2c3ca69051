"""The `docmock serve` command: prints what it serves and its ambiguities, then hands the app to uvicorn."""
from __future__ import annotations

import gc
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
import yaml
from click.testing import CliRunner
from mock_support import HERE, REPO, generator_available

import docmock.serve
from docmock.serve import serve


@pytest.fixture
def captured(monkeypatch: Any) -> Iterator[dict[str, Any]]:
    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: seen.update(app=app, **kw))
    # Nothing is served, so no port is asked for (a developer's `make serve` may hold 4010).
    monkeypatch.setattr(docmock.serve, "_check_port", lambda host, port: seen.update(checked=(host, port)))
    yield seen
    gc.unfreeze()  # `serve` freezes what start-up built (see below): give the test process its objects back


def test_serves_a_spec_file_and_prints_operations_and_ambiguities(captured: dict[str, Any]) -> None:
    result = CliRunner().invoke(serve, ["--spec", str(HERE / "fixtures" / "petstore-3.0.yaml"), "--port", "4999",
                                       "--seed", "3", "--no-auth"])
    assert result.exit_code == 0, result.output
    assert "GET     /pets  listPets" in result.output
    assert "unresolved: GET /owners/{name} (getOwnerByName) vs /owners/{login}" in result.output
    assert captured["port"] == 4999 and captured["host"] == "127.0.0.1"
    assert captured["app"].config.seed == 3 and captured["app"].config.auth is False


def test_unservable_spec_is_a_message_and_exit_code(tmp_path: Path, captured: dict[str, Any]) -> None:
    bad = tmp_path / "swagger.yaml"
    bad.write_text(yaml.safe_dump({"swagger": "1.2", "paths": {}}))  # 2.0 is converted; older ones are not
    result = CliRunner().invoke(serve, ["--spec", str(bad)])
    assert result.exit_code == 1 and "Swagger" in result.output and "app" not in captured


def test_paths_and_spec_together_are_a_usage_error(captured: dict[str, Any]) -> None:
    result = CliRunner().invoke(serve, [str(REPO / "docs_src"), "--spec", str(HERE / "fixtures" / "seeds-3.1.yaml")])
    assert result.exit_code == 2


@pytest.mark.skipif(not generator_available(), reason="generator not available")
def test_without_arguments_it_generates_from_docs_src(captured: dict[str, Any], monkeypatch: Any) -> None:
    monkeypatch.chdir(REPO)
    result = CliRunner().invoke(serve, [])
    assert result.exit_code == 0, result.output
    assert "v1Batch_GetBatchTaskInfosByState" in result.output and "v1Batch_GetBatchTaskInfo" in result.output


def test_start_up_runs_with_the_collector_paused_and_freezes_what_it_built(captured: dict[str, Any],
                                                                         monkeypatch: Any) -> None:
    seen: dict[str, Any] = {}
    build = docmock.serve._build_app

    def spy(spec: Any, options: Any) -> Any:
        seen["collecting while building"] = gc.isenabled()
        return build(spec, options)
    monkeypatch.setattr(docmock.serve, "_build_app", spy)
    gc.unfreeze()
    assert gc.isenabled()
    result = CliRunner().invoke(serve, ["--spec", str(HERE / "fixtures" / "seeds-3.1.yaml")])
    assert result.exit_code == 0, result.output
    assert seen == {"collecting while building": False}
    assert gc.isenabled() and gc.get_freeze_count() > 0  # on again, and start-up's objects are left out of it


def test_a_failed_start_up_turns_the_collector_back_on(tmp_path: Path, captured: dict[str, Any]) -> None:
    bad = tmp_path / "swagger.json"
    bad.write_text(json.dumps({"swagger": "1.2", "paths": {}}))
    assert CliRunner().invoke(serve, ["--spec", str(bad)]).exit_code == 1
    assert gc.isenabled()


def test_a_dangling_ref_in_a_response_is_a_start_up_message(tmp_path: Path, captured: dict[str, Any]) -> None:
    spec = yaml.safe_load((HERE / "fixtures" / "seeds-3.1.yaml").read_text())
    spec["components"]["schemas"]["BatchTaskInfo"]["properties"]["Owner"] = {"$ref": "#/components/schemas/Nobody"}
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(spec))
    result = CliRunner().invoke(serve, ["--spec", str(broken)])
    assert result.exit_code == 1 and "dangling $ref: #/components/schemas/Nobody" in result.output
    assert "app" not in captured


def test_every_option_reaches_the_app_as_one_config(captured: dict[str, Any], tmp_path: Path) -> None:
    overrides = tmp_path / "overrides.yaml"
    overrides.write_text("faults:\n  listPets: {rate: 0.5}\n")
    result = CliRunner().invoke(serve, [
        "--spec", str(HERE / "fixtures" / "petstore-3.0.yaml"), "--seed", "4", "--credential", "Bearer x",
        "--cors-origin", "https://app.example", "--max-body", "100", "--no-state", "--overrides", str(overrides),
        "--journal-size", "7", "--latency", "10..20ms", "--fault-rate", "0.25", "--fault-seed", "9", "--quiet",
        "--answer-cache", "3"])
    assert result.exit_code == 0, result.output
    config = captured["app"].config
    assert (config.seed, config.credentials, config.cors_origins, config.max_body) == (4, ("Bearer x",),
                                                                                       ("https://app.example",), 100)
    assert config.state is None and config.overrides == str(overrides) and config.access_log is False
    assert (config.journal_size, str(config.latency), config.fault_rate, config.fault_seed) == (7, "10..20ms", 0.25, 9)
    assert "Faults: 0.25 of requests (seed 9); 1 operation(s) set in the overrides file" in result.output
    assert "Journal: the last 7 requests at /__docmock/requests" in result.output
    assert config.answer_cache_mb == 3 and captured["app"].answers.max_bytes == 3 * 1024 * 1024
    assert "remembered until the state changes, up to 3 MB" in result.output


@pytest.mark.parametrize(("args", "message"), [
    (["--latency", "soon"], "not a duration"),
    (["--fault-rate", "2"], "0<=x<=1"),
    (["--record", "out.jsonl"], "--record keeps what a real server answers: it needs --proxy URL"),
    (["--proxy", "ftp://example"], "http:// or https://"),
    (["--answer-cache", "-1"], "x>=0"),
    (["--session-ttl", "0"], "'0' is less than a second"),
    (["--session-ttl", "500ms"], "'500ms' is less than a second"),
    (["--no-state", "--session-ttl", "1h"], "--session-ttl forgets sessions of the state: it does nothing with --no-state"),
    (["--session-ttl", "soon"], "'soon' is not a duration such as 1s, 500ms, 2m or 1h"),
    (["--session-ttl", "1e400"], "is not a duration"),
])
def test_unusable_options_are_usage_errors(captured: dict[str, Any], args: list[str], message: str) -> None:
    result = CliRunner().invoke(serve, ["--spec", str(HERE / "fixtures" / "seeds-3.1.yaml"), *args])
    assert result.exit_code == 2 and message in result.output and "app" not in captured


def test_a_store_it_cannot_open_is_a_message_and_exit_code(captured: dict[str, Any]) -> None:
    result = CliRunner().invoke(serve, ["--spec", str(HERE / "fixtures" / "seeds-3.1.yaml"), "--state", "postgres://db/1"])
    assert result.exit_code == 1 and "app" not in captured
    assert result.output.strip() == ("Error: --state 'postgres://db/1': use 'memory', 'sqlite:PATH' or "
                                     "'redis://HOST:PORT/DB'")
    typo = CliRunner().invoke(serve, ["--spec", str(HERE / "fixtures" / "seeds-3.1.yaml"), "--state",
                                      "redis:/:s3cret@db:6379/0"])
    assert typo.exit_code == 1 and "s3cret" not in typo.output and "redis:/:***@db:6379/0" in typo.output


def test_a_session_time_to_live_reaches_the_store(captured: dict[str, Any]) -> None:
    result = CliRunner().invoke(serve, ["--spec", str(HERE / "fixtures" / "seeds-3.1.yaml"), "--session-ttl", "90m"])
    assert result.exit_code == 0, result.output
    assert captured["app"].config.session_ttl == 5400 and captured["app"].state.store.session_ttl == 5400
    assert "State (memory, sessions expire 5400s after their last write)" in result.output


def test_replay_and_proxy_together_are_a_usage_error(captured: dict[str, Any], tmp_path: Path) -> None:
    recording = tmp_path / "answers.jsonl"
    recording.write_text("")
    result = CliRunner().invoke(serve, ["--spec", str(HERE / "fixtures" / "seeds-3.1.yaml"), "--replay",
                                        str(recording), "--proxy", "http://127.0.0.1:9"])
    assert result.exit_code == 2 and "choose one" in result.output


def test_workers_rebuild_the_same_config_from_what_the_parent_wrote(captured: dict[str, Any]) -> None:
    result = CliRunner().invoke(serve, ["--spec", str(HERE / "fixtures" / "seeds-3.1.yaml"), "--workers", "2",
                                        "--no-state", "--latency", "5ms", "--journal-size", "3"])
    assert result.exit_code == 0, result.output
    assert captured["workers"] == 2 and captured["app"] == "docmock.serve:worker_app"
    handed = json.loads(os.environ["DOCMOCK_WORKER_CONFIG"])
    spec_file = Path(handed["spec"])
    assert not spec_file.exists()  # the parent's temporary folder is gone once uvicorn returns: rewrite it
    spec_file.parent.mkdir(parents=True, exist_ok=True)
    spec_file.write_text(json.dumps(yaml.safe_load((HERE / "fixtures" / "seeds-3.1.yaml").read_text())))
    try:
        app = docmock.serve.worker_app()
    finally:
        spec_file.unlink()
        spec_file.parent.rmdir()
        os.environ.pop("DOCMOCK_WORKER_CONFIG")  # set by `serve` for its workers, as uvicorn would inherit it
    assert app.config.latency is not None and str(app.config.latency) == "5ms"
    assert app.config.workers == 2 and app.journal.size == 3 and app.state is None


def test_a_busy_port_is_a_one_line_error_before_anything_is_served(monkeypatch: Any) -> None:
    import socket

    served: list[Any] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: served.append(app))
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = CliRunner().invoke(serve, ["--spec", str(HERE / "fixtures" / "seeds-3.1.yaml"), "--port", str(port)])
    assert result.exit_code == 1 and not served and "Serving on" not in result.output
    assert result.output.strip().splitlines()[-1] == (f"Error: cannot serve on 127.0.0.1:{port}: Address already in use; "
                                                      "another server may hold it (choose another with --port)")


def test_serving_beyond_this_machine_says_who_can_reach_it(captured: dict[str, Any]) -> None:
    spec = str(HERE / "fixtures" / "seeds-3.1.yaml")
    wide = CliRunner().invoke(serve, ["--spec", spec, "--host", "0.0.0.0"])
    assert wide.exit_code == 0 and "Warning: --host 0.0.0.0 serves every network this machine is on" in wide.output
    assert captured["checked"] == ("0.0.0.0", 4010)
    for host in ("127.0.0.1", "localhost", "::1"):
        assert "Warning" not in CliRunner().invoke(serve, ["--spec", spec, "--host", host]).output


def test_the_admin_token_comes_from_its_option_or_the_environment(captured: dict[str, Any], monkeypatch: Any) -> None:
    spec = str(HERE / "fixtures" / "seeds-3.1.yaml")
    assert CliRunner().invoke(serve, ["--spec", spec, "--admin-token", "t0ken"]).exit_code == 0
    assert captured["app"].config.admin_token == "t0ken" and captured["app"].admin.accepted == {b"bearer t0ken"}
    monkeypatch.setenv("DOCMOCK_ADMIN_TOKEN", "from-env")
    assert CliRunner().invoke(serve, ["--spec", spec, "--credential", "Basic dGplMDpUamUw"]).exit_code == 0
    assert captured["app"].admin.accepted == {b"bearer from-env", b"basic dGplMDpUamUw"}
    wide = CliRunner().invoke(serve, ["--spec", spec, "--host", "0.0.0.0"])
    assert "the /__docmock/ endpoints need its credentials" in wide.output
    monkeypatch.delenv("DOCMOCK_ADMIN_TOKEN")
    assert CliRunner().invoke(serve, ["--spec", spec]).exit_code == 0
    assert captured["app"].admin.accepted == frozenset()
    assert "--admin-token TOKEN guards" in CliRunner().invoke(serve, ["--spec", spec, "--host", "0.0.0.0"]).output
    bad = CliRunner().invoke(serve, ["--spec", spec, "--admin-token", "two words"])
    assert bad.exit_code == 2 and "the admin token must be one word" in bad.output
