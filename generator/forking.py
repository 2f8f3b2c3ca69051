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
import traceback
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def can_fork() -> bool:
    if not sys.platform.startswith("linux") or threading.active_count() != 1:
        return False
    try:  # threads started by native code are not in `threading`'s count; the kernel lists every one
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:
        return False


def start(task: Callable[[], T]) -> Callable[[], T]:
    """Starts `task` in a forked copy of this process when it may fork; returns a function that waits for
    the task and returns what it returned, or raises what it raised (with the copy's traceback as a note).

    The copy sends its outcome back pickled through a pipe and ends with `os._exit`, so it never flushes
    this process's buffers or closes its files. Without a fork, or when the copy cannot answer (killed, an
    outcome that does not pickle or unpickle, a child someone else reaped), the task runs in this process
    when its result is asked for. Ask for the result once the work here is done, also when that work fails:
    until then the copy is not reaped.
    """
    if not can_fork():
        return task
    read_end, write_end = os.pipe()
    try:
        pid = os.fork()
    except OSError:  # no process to spare: do the work here
        os.close(read_end)
        os.close(write_end)
        return task
    if pid == 0:  # the copy
        try:
            os.close(read_end)
            try:
                outcome: tuple[bool, object] = (True, task())
            except Exception as exc:  # handed to the parent, which raises it
                exc.add_note("".join(traceback.format_exception(exc)).rstrip())
                outcome = (False, exc)
            with os.fdopen(write_end, "wb") as pipe:
                pipe.write(pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL))
        finally:
            os._exit(0)
    os.close(write_end)
    answered: list[tuple[bool, object]] = []

    def result() -> T:
        if not answered:
            answered.append(_outcome(read_end, pid) or (True, _NOT_ANSWERED))
        succeeded, value = answered[0]
        if value is _NOT_ANSWERED:
            return task()
        if succeeded:
            return value  # type: ignore[return-value]
        raise value  # type: ignore[misc]

    return result


_NOT_ANSWERED = object()


def _outcome(read_end: int, pid: int) -> tuple[bool, object] | None:
    """What the copy sent, once it has ended; None when it sent nothing usable."""
    with os.fdopen(read_end, "rb") as pipe:
        data = pipe.read()
    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:  # reaped by someone else (SIGCHLD ignored, or a handler of the program's)
        status = 0
    if not data or status != 0:
        return None
    try:
        return pickle.loads(data)
    except Exception:
        return None
