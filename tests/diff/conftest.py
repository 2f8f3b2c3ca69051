"""Fixtures of the `docmock diff` tests: copies of real corpus pages to edit, and the CLI runner (helpers in
diff_support.py)."""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # test modules import diff_support

from testdata import CORPUS_PAGES  # noqa: E402


@pytest.fixture
def batch_pages(tmp_path: Path) -> tuple[Path, Path]:
    """The real Batch reference pages twice, as `old/` and `new/`, for a test to edit `new/`."""
    source = CORPUS_PAGES / "rest" / "Batch"
    if not source.exists():
        pytest.skip(f"the corpus is not at {source}")
    old, new = tmp_path / "old", tmp_path / "new"
    shutil.copytree(source, old)
    shutil.copytree(source, new)
    return old, new
