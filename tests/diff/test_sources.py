"""Reading the inputs: `git:REF:PATH` in a temporary repository (docs folders and spec files, from the top and
from a subfolder, and the errors), spec files in 3.0 YAML and 3.1 JSON, and the vendor's Swagger 2.0 specs."""
from __future__ import annotations

import copy
import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from diff_support import as_30, base, json_changes, nullable_31, remove_property, run, run_json, schema

from docmock.diff import DiffError, load_source
from testdata import CORPUS_PAGES, VENDOR_SPECS

B, NB = "breaking", "non-breaking"
BY_ID = "GET /api/v1/BatchTask/{id}"


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com",
                           "-c", "commit.gpgsign=false", *args], capture_output=True, text=True, check=True)
    return done.stdout


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git repository with the Batch pages in `docs/` and a spec in `api/things.json`, committed once; the
    current folder is the repository."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    source = CORPUS_PAGES / "rest" / "Batch"
    if not source.exists():
        pytest.skip(f"the corpus is not at {source}")
    root = tmp_path / "repo"
    shutil.copytree(source, root / "docs")
    (root / "api").mkdir()
    (root / "api" / "things.json").write_text(json.dumps(base()), encoding="utf-8")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "docs")
    monkeypatch.chdir(root)
    return root


def test_a_docs_folder_at_a_revision_against_the_working_tree(repo: Path) -> None:
    remove_property(repo / "docs", "Description")
    code, report = run_json("git:HEAD:docs", "docs", "--fail-on", "breaking")
    assert code == 1
    assert (BY_ID, "response-optional-property-removed", B, "response 200 body .Description") in json_changes(report)
    assert report["old"] == "git:HEAD:docs" and report["new"] == "docs"
    # Committed, the revision before is the old side and HEAD the new one, whatever the working tree holds.
    git(repo, "commit", "-q", "-am", "no Description")
    shutil.rmtree(repo / "docs")
    code, report = run_json("git:HEAD~1:docs", "git:HEAD:docs")
    assert (BY_ID, "response-optional-property-removed", B, "response 200 body .Description") in json_changes(report)
    assert run_json("git:main:docs", "git:HEAD:docs")[1]["operations"] == []


def test_paths_are_read_from_the_current_folder(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo / "api")
    code, report = run_json("git:HEAD:../docs", "git:HEAD:../docs", "--fail-on", "any")
    assert (code, report["operations"]) == (0, [])
    doc = base()
    del schema(doc, "Thing")["properties"]["Name"]
    Path("things.json").write_text(json.dumps(doc), encoding="utf-8")
    code, report = run_json("git:HEAD:things.json", "things.json")
    assert ("GET /things", "response-optional-property-removed", B, "response 200 body [].Name") in \
        json_changes(report)


def test_a_page_in_a_temporary_folder_is_named_by_its_revision(repo: Path) -> None:
    # The Batch overview page links to a page the corpus lacks: a note, from each side.
    result = run("git:HEAD:docs", "docs")
    assert result.exit_code == 0
    lines = result.stderr.splitlines()
    assert "git:HEAD:docs/index.md:24: note: links to v1Batch_DeleteBatchTask.md, which does not exist" in lines
    assert "docs/index.md:24: note: links to v1Batch_DeleteBatchTask.md, which does not exist" in lines
    assert not any("docmock-diff-" in line for line in lines)  # the temporary folder the revision was read from


@pytest.mark.parametrize(("spec", "message"), [
    ("git:nosuchref:docs", "git:nosuchref:docs: unknown git revision 'nosuchref'"),
    ("git:HEAD:nosuchfolder", "git:HEAD:nosuchfolder: 'nosuchfolder' does not exist at HEAD"),
    ("git:HEAD", "git:HEAD: expected git:REF:PATH, e.g. git:origin/main:docs_src"),
    ("git:HEAD:../..", "git:HEAD:../..: ../.. is outside the repository at"),
])
def test_a_wrong_revision_or_path_is_one_line_and_exit_2(repo: Path, spec: str, message: str) -> None:
    result = run(spec, "docs")
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {message}"), lines


def test_outside_a_repository_git_inputs_are_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DiffError, match="is not in a git repository"):
        load_source("git:HEAD:docs", cwd=tmp_path)


def test_30_yaml_and_31_json_files_of_one_contract_are_no_change(tmp_path: Path) -> None:
    doc31 = nullable_31()
    (tmp_path / "v31.json").write_text(json.dumps(doc31), encoding="utf-8")
    (tmp_path / "v30.yaml").write_text(yaml.safe_dump(as_30(doc31)), encoding="utf-8")
    code, report = run_json(tmp_path / "v30.yaml", tmp_path / "v31.json", "--fail-on", "any")
    assert (code, report["operations"]) == (0, [])
    changed = copy.deepcopy(doc31)
    schema(changed, "Thing")["properties"]["Parent"] = {"$ref": "#/components/schemas/ThingIn"}
    (tmp_path / "changed.json").write_text(json.dumps(changed), encoding="utf-8")
    code, report = run_json(tmp_path / "v30.yaml", tmp_path / "changed.json")
    assert json_changes(report) == {
        ("PUT /things/{id}", "response-property-became-not-nullable", NB, "response 200 body .Parent"),
        ("GET /things", "response-property-became-not-nullable", NB, "response 200 body [].Parent")}


# -- Swagger 2.0: the vendor's published contract ------------------------------------------------------------

VENDOR_FILES = sorted(VENDOR_SPECS.glob("*.json")) if VENDOR_SPECS.exists() else []


@pytest.fixture(scope="module")
def swagger2() -> None:
    # Swagger 2.0 is read by load_spec, converted by mockserver.swagger2: these run once that exists.
    pytest.importorskip("mockserver.swagger2")


@pytest.mark.parametrize("vendor", VENDOR_FILES, ids=lambda p: p.stem)
def test_each_vendor_swagger_spec_loads_and_equals_itself(swagger2: None, vendor: Path) -> None:
    source = load_source(str(vendor))
    assert source.document["openapi"].startswith("3.")
    assert source.document["paths"]
    code, report = run_json(vendor, vendor, "--fail-on", "any")
    assert (code, report["operations"]) == (0, [])


def test_the_docs_against_the_vendor_contract(swagger2: None) -> None:
    vendor = VENDOR_SPECS / "rest-Swagger-v1-BatchTask.json"
    docs = CORPUS_PAGES / "rest" / "Batch"
    if not vendor.exists() or not docs.exists():
        pytest.skip("the corpus is not beside the repository")
    code, report = run_json(vendor, docs)
    found = json_changes(report)
    # The vendor's BatchTaskInfo has properties the docs' tables and samples do not show.
    assert (BY_ID, "response-optional-property-removed", B, "response 200 body .FileName") in found
    # Every operation of the vendor's spec is documented: nothing is added or removed, only changed.
    assert report["summary"]["operations"]["added"] == report["summary"]["operations"]["removed"] == 0
