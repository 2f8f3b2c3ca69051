"""The `docmock serve` command: prints what it serves and its ambiguities, then hands the app to uvicorn."""
from __future__ import annotations

import gc
import json
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
    bad.write_text(yaml.safe_dump({"swagger": "2.0", "paths": {}}))
    result = CliRunner().invoke(serve, ["--spec", str(bad)])
    assert result.exit_code == 1 and "Swagger 2.0" in result.output and "app" not in captured


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
    bad.write_text(json.dumps({"swagger": "2.0", "paths": {}}))
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
