"""Work done in a forked copy of this process, so that it runs on another core while this one goes on.

A forked copy starts at once and already holds every object the parent has: the page workers begin
without importing anything, and the finished document is checked while it is being rendered, without
being sent anywhere. Forking is only safe in a process that runs no other thread (a thread may hold a
lock that the copy never sees released; the mock server runs several), and on macOS system libraries
forbid it: elsewhere, page workers are spawned and the check runs in this process.
"""
from __future__ import annotations

import os
import pickle
import sys
import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def can_fork() -> bool:
    return sys.platform.startswith("linux") and threading.active_count() == 1


def start(task: Callable[[], T]) -> Callable[[], T]:
    """Starts `task` in a forked copy of this process when it may fork; returns a function that waits for
    the task and returns what it returned, or raises what it raised.

    The copy sends its outcome back pickled through a pipe and ends with `os._exit`, so it never flushes
    this process's buffers or closes its files. Without a fork, or when the copy ends without an outcome
    (killed, or an outcome that cannot be pickled), the task runs in this process when its result is asked for.
    """
    if not can_fork():
        return task
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the copy
        try:
            os.close(read_end)
            try:
                outcome: tuple[bool, object] = (True, task())
            except Exception as exc:  # handed to the parent, which raises it
                outcome = (False, exc)
            with os.fdopen(write_end, "wb") as pipe:
                pipe.write(pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL))
        finally:
            os._exit(0)
    os.close(write_end)

    def result() -> T:
        with os.fdopen(read_end, "rb") as pipe:
            data = pipe.read()
        _, status = os.waitpid(pid, 0)
        if not data or status != 0:
            return task()
        succeeded, value = pickle.loads(data)
        if succeeded:
            return value  # type: ignore[return-value]
        raise value  # type: ignore[misc]

    return result
