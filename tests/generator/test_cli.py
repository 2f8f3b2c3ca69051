"""`docmock generate`: output format by extension, stdout, diagnostics on stderr, exit codes 0/1/2."""
from __future__ import annotations

import json

import yaml
from click.testing import CliRunner

from testdata import SEEDS
from docmock.cli import main
from pagekit import write_page


def run(*args: str):
    return CliRunner().invoke(main, ["generate", *args], catch_exceptions=False)


def test_yaml_and_json_by_extension(tmp_path):
    assert run(str(SEEDS), "-o", str(tmp_path / "spec.yaml")).exit_code == 0
    assert run(str(SEEDS), "-o", str(tmp_path / "spec.json")).exit_code == 0
    from_yaml = yaml.safe_load((tmp_path / "spec.yaml").read_text())
    assert from_yaml == json.loads((tmp_path / "spec.json").read_text())
    assert from_yaml["openapi"] == "3.1.0"


def test_stdout_and_summary_on_stderr():
    result = run(str(SEEDS), "-o", "-")
    assert result.exit_code == 0
    assert result.stdout.startswith("openapi: \"3.1.0\"\n")
    assert "4 operations" in result.stderr and "merged into v1Batch_StartBatchJob" in result.stderr


def test_default_input_is_docs_src(monkeypatch):
    monkeypatch.chdir(SEEDS.parent)
    result = run("-o", "-", "-q")
    assert result.exit_code == 0 and "v1Batch_GetBatchTaskInfo" in result.stdout
    assert result.stderr == ""  # quiet: notes and the summary are not printed


def test_warnings_exit_0_and_strict_exits_1(tmp_path):
    write_page(tmp_path, "p.md", extra="## Response\n\n| Response | Description |\n|---|---|\n| 2xx | ok |\n")
    ok = run(str(tmp_path), "-o", str(tmp_path / "out.yaml"))
    assert ok.exit_code == 0 and "p.md:" in ok.stderr and "warning" in ok.stderr
    strict = run(str(tmp_path), "-o", str(tmp_path / "out.yaml"), "--strict")
    assert strict.exit_code == 1


def test_nothing_generated_exits_2(tmp_path):
    (tmp_path / "broken.md").write_text("---\ntitle: Broken\n---\n\n# Broken\n")
    result = run(str(tmp_path), "-o", str(tmp_path / "out.yaml"))
    assert result.exit_code == 2
    assert "broken.md:5: error:" in result.stderr
    assert not (tmp_path / "out.yaml").exists()


def test_progress_bar_only_on_a_terminal_and_for_large_inputs(monkeypatch, capsys):
    from docmock import cli

    files = list(range(cli._PROGRESS_THRESHOLD))
    monkeypatch.setattr(cli.sys.stderr, "isatty", lambda: False)
    assert list(cli._progress_bar(files, len(files))) == files
    assert capsys.readouterr().err == ""
    monkeypatch.setattr(cli.sys.stderr, "isatty", lambda: True)
    assert list(cli._progress_bar(files[:10], 10)) == files[:10]
    assert capsys.readouterr().err == ""
    assert list(cli._progress_bar(files, len(files))) == files
    assert "Reading pages" in capsys.readouterr().err


def test_missing_input_and_unwritable_output_exit_2(tmp_path):
    missing = run(str(tmp_path / "nope"), "-o", str(tmp_path / "out.yaml"))
    assert missing.exit_code == 2 and "does not exist" in missing.stderr
    unwritable = run(str(SEEDS), "-o", str(tmp_path / "no" / "such" / "dir" / "out.yaml"))
    assert unwritable.exit_code == 2 and "cannot write" in unwritable.stderr


def test_a_second_run_with_the_cache_says_it_redid_only_what_changed(tmp_path):
    cache = str(tmp_path / "cache")
    first = run(str(SEEDS), "-o", str(tmp_path / "a.yaml"), "--cache-dir", cache)
    second = run(str(SEEDS), "-o", str(tmp_path / "b.yaml"), "--cache-dir", cache)
    assert "redone" not in first.stderr and "only the changed pages' operations redone" in second.stderr
    assert (tmp_path / "a.yaml").read_text() == (tmp_path / "b.yaml").read_text()
