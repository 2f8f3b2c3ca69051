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
# A 1x1 PNG: the file a test uploads where an operation takes an image.
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082")


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
