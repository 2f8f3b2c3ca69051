"""Shared locations of the test data: the seed pages in docs_src/ and the real corpus beside the repo."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

# Test modules import shared helpers (pagekit) by name; the import mode is importlib, so say where they are.
sys.path.insert(0, str(Path(__file__).resolve().parent))

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


@pytest.fixture(scope="session")
def seeds_result():
    from generator import build_spec

    return build_spec([SEEDS])


@pytest.fixture(scope="session")
def corpus_result():
    from generator import build_spec

    if not CORPUS.exists():
        pytest.skip("../shared/corpus is not beside the repository")
    return build_spec([CORPUS])
