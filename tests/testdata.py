"""Where the test data lives: the seed pages in docs_src/ and the real corpus in ../shared beside the repo."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "docs_src"
SHARED = REPO.parent / "shared"
CORPUS = SHARED / "corpus" / "superoffice"
CORPUS_PAGES = CORPUS / "docs" / "api" / "api-reference" / "restful"
VENDOR_SPECS = SHARED / "corpus" / "superoffice-openapi"


def corpus_page(relative: str) -> Path:
    path = CORPUS_PAGES / relative
    if not path.exists():
        pytest.skip(f"corpus page {relative} not available")
    return path


def batch_docs(tmp_path: Path) -> Path:
    """A copy of the corpus's REST and agent Batch pages (a BatchTask entity with REST and agent operations,
    almost every page documenting its own endpoint), to edit in a test."""
    if not CORPUS_PAGES.exists():
        pytest.skip("../shared/corpus is not beside the repository")
    folder = tmp_path / "docs"
    shutil.copytree(CORPUS_PAGES / "rest" / "Batch", folder / "rest" / "Batch")
    shutil.copytree(CORPUS_PAGES / "agent" / "Batch_Agent", folder / "agent" / "Batch_Agent")
    return folder


def edit(path: Path, old: str, new: str) -> None:
    """Replace the first `old` in the file with `new` (which must be there)."""
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
