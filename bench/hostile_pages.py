"""Hostile pages: inputs that once took time quadratic in their size, generated next to a page of plain prose of
the same size (the baseline, in the same run).

Each case is one seed page with a block inserted before its heading: 20,000 unclosed `<see cref>`, `<a href>`
and `<para>` tags, 50,000 `[a](` on one line, a list nested 2,000 levels, a sample nested 5,000 levels. Each
is generated from a folder with the other seed pages, with the cache off; the best of `--repeat` runs is kept.

    .venv/bin/python bench/hostile_pages.py [--repeat 3]
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from generator import build_spec  # noqa: E402
from generator.text import clean_text, one_line  # noqa: E402

SEEDS = REPO / "docs_src"
PAGE = "001_225a3a86c9cb9a02.txt"
REQUEST_PAGE = "004_0d64f66f213af615.txt"

CASES = {
    "20,000 unclosed <see cref>": (PAGE, '<see cref="x">' * 20_000),
    "20,000 unclosed <a href>": (PAGE, '<a href="x">' * 20_000),
    "20,000 unclosed <para>": (PAGE, "<para>" * 20_000),
    "50,000 [a]( on one line": (PAGE, "[a](" * 50_000),
    "a list nested 2,000 levels": (PAGE, "\n".join("  " * i + "- x" for i in range(2_000))),
}


def _page_with(folder: Path, name: str, block: str) -> None:
    for page in SEEDS.glob("*.txt"):
        shutil.copy(page, folder / page.name)
    target = folder / name
    target.write_text(target.read_text().replace("\n# ", "\n" + block + "\n\n# ", 1))


def _deep_sample(folder: Path, depth: int) -> None:
    for page in SEEDS.glob("*.txt"):
        shutil.copy(page, folder / page.name)
    target = folder / REQUEST_PAGE
    deep = '"Deep": ' + "[" * depth + "]" * depth + ',\n  "ParameterObject": {'
    target.write_text(target.read_text().replace('"ParameterObject": {', deep, 1))


def _best(folder: Path, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        clean_text.cache_clear()  # it remembers texts: every run reads them again
        one_line.cache_clear()
        started = time.perf_counter()
        build_spec([folder], cache_dir=None)
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    repeat = parser.parse_args().repeat
    print(f"{'case':<30} {'seconds':>8} {'baseline':>9} {'ratio':>6}")
    cases = [(name, lambda f, n=name: _page_with(f, *CASES[n]), len(CASES[name][1])) for name in CASES]
    cases.append(("a sample nested 5,000 levels", lambda f: _deep_sample(f, 5_000), 10_000))
    for name, make, size in cases:
        with tempfile.TemporaryDirectory() as hostile, tempfile.TemporaryDirectory() as plain:
            make(Path(hostile))
            _page_with(Path(plain), PAGE, ("Plain words of prose. " * (size // 22 + 1))[:size])
            seconds, baseline = _best(Path(hostile), repeat), _best(Path(plain), repeat)
        print(f"{name:<30} {seconds:>8.2f} {baseline:>9.2f} {seconds / baseline:>6.1f}")


if __name__ == "__main__":
    main()
