"""Where the test data lives: the seed pages in docs_src/ and the real corpus in ../shared beside the repo."""
from __future__ import annotations

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
