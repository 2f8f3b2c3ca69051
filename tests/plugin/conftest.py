"""Fixtures for the pytest plugin's tests: a fresh project per test, run by pytest in a subprocess."""
from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

SEEDS = Path(__file__).resolve().parents[2] / "docs_src"
# Other installed plugins (hypothesis, schemathesis, faker, anyio) take about two seconds to import in every inner
# run and have nothing to do with docmock's: blocking them keeps these tests fast. docmock's own plugin is still
# loaded the way users get it, through its pytest11 entry point.
UNRELATED_PLUGINS = ("schemathesis", "hypothesispytest", "faker", "anyio")
AUTH = "Basic dGplMDpUamUw"


class Project:
    """A temporary project with the seed pages in docs/, and a way to run its tests with the plugin."""

    def __init__(self, pytester: pytest.Pytester) -> None:
        self.pytester = pytester
        self.path = pytester.path
        (self.path / "docs").mkdir()
        for page in SEEDS.glob("*.txt"):
            shutil.copy(page, self.path / "docs" / page.name)

    def ini(self, text: str) -> None:
        self.pytester.makeini("[pytest]\n" + textwrap.dedent(text))

    def write(self, name: str, text: str) -> Path:
        path = self.path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    def run(self, *args: str) -> pytest.RunResult:
        blocked = [arg for name in UNRELATED_PLUGINS for arg in ("-p", f"no:{name}")]
        return self.pytester.runpytest_subprocess(*blocked, "-p", "no:cacheprovider", *args, timeout=300)

    def server_logs(self) -> list[Path]:
        """The stderr files of every server the last runs started (one per start attempt)."""
        return sorted(self.path.glob("runpytest-[0-9]*/docmock[0-9]*/server*.err"))


@pytest.fixture
def project(pytester: pytest.Pytester) -> Project:
    return Project(pytester)
