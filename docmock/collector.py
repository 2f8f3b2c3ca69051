"""The cyclic garbage collector paused while the command line builds large structures."""
from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Loading a full-size spec, or building an app from it, allocates millions of dicts and lists that make
    no cycles reference counting would not free; yet every burst of them sets off the cycle collector, which
    walks the whole heap (about 40% of loading two 30 MB specs). It is paused, and resumed as it was."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
