#!/usr/bin/env python3
"""Builds a synthetic full-size SuperOffice reference (3,300+ pages over 100+ resources) from the real pages.

Each clone of the real corpus renames every resource (`Person` -> `PersonK7`, which renames its paths, its
operation ids `v1PersonK7Entity_...` and its carrier types `PersonK7Entity`), and drops a clone-dependent
share of the rows of the property tables, so that clones are not byte-identical and schemas vary in size.
The output is deterministic: the same clone count gives the same files, byte for byte.

    python bench/scale_corpus.py [--clones 36] [--out DIR]
"""
from __future__ import annotations

import argparse
import re
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus" / "superoffice"
DEFAULT_OUT = REPO / "bench" / ".scale-corpus"
# Resource stems of the real corpus; longer first so `BatchTask` is renamed as a whole.
STEMS = ("Appointment", "Configuration", "BatchTask", "Archive", "Person", "Ticket", "Batch", "BLOB", "Find",
         "List", "Sale", "User")
_STEM = re.compile("|".join(STEMS))
_PROPERTY_ROW = re.compile(r"^\| (?!Property Name|-)[A-Za-z_][\w.]* \| [^|]* \|")


def rename(text: str, clone: int) -> str:
    return _STEM.sub(lambda m: f"{m.group(0)}K{clone}", text)


def thin_tables(text: str, clone: int) -> str:
    """Drops every n-th property row (n depends on the clone) below the first three of each table."""
    step = 3 + clone % 5
    lines, kept, row = text.split("\n"), [], 0
    for line in lines:
        if _PROPERTY_ROW.match(line) and line.count("|") == 4:
            row += 1
            if clone and row > 3 and row % step == 0:
                continue
        else:
            row = 0 if not line.startswith("|") else row
        kept.append(line)
    return "\n".join(kept)


def build(clones: int, out: Path, corpus: Path = CORPUS) -> int:
    pages = sorted(p for p in corpus.rglob("*.md") if p.name != "MANIFEST.md")
    if out.exists():
        shutil.rmtree(out)
    written = 0
    for clone in range(clones):
        for page in pages:
            relative = page.relative_to(corpus)
            target = out / rename(relative.as_posix(), clone)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(thin_tables(rename(page.read_text(encoding="utf-8"), clone), clone), encoding="utf-8")
            written += 1
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clones", type=int, default=36, help="copies of the real corpus (36 -> 3,600 pages)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    count = build(args.clones, args.out)
    resources = len({p.parent for p in args.out.rglob("*.md")})
    print(f"wrote {count} pages in {resources} resource folders to {args.out}")


if __name__ == "__main__":
    main()
