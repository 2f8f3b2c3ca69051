"""Work handed to a forked copy comes back as if it had run here: its value, its exception, or, when the copy
cannot answer, the work done here. The document check runs that way while the document is rendered."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading

import pytest

from testdata import SEEDS
from generator import build_spec, forking

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="docmock forks on Linux only")


# Makes the pipeline build documents with a `$ref` to a component that is not there (for run_alone's code).
BREAK_A_REFERENCE = """
original = pipeline.to_openapi
def dangling(model, **kwargs):
    spec = original(model, **kwargs)
    spec["components"]["schemas"].pop(next(iter(spec["components"]["schemas"])))
    return spec
pipeline.to_openapi = dangling
"""


def run_alone(code: str) -> str:
    """Runs `code` in a fresh interpreter: a process with one thread, as `docmock generate` is."""
    code = f"BREAK_A_REFERENCE = {BREAK_A_REFERENCE!r}\n" + textwrap.dedent(code)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=SEEDS.parent)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_task_runs_in_a_forked_copy_and_its_value_comes_back():
    out = run_alone("""
        import os
        from generator import forking
        assert forking.can_fork()
        result = forking.start(lambda: {"pid": os.getpid(), "value": [1, "two"]})
        answer = result()
        print(answer["pid"] != os.getpid(), answer["value"])
    """)
    assert out == "True [1, 'two']"


def test_what_the_task_raises_is_raised_here():
    out = run_alone("""
        from generator import DocsError, forking
        def broken():
            raise DocsError("the generated document is not valid OpenAPI 3.1: x")
        result = forking.start(broken)
        try:
            result()
        except DocsError as exc:
            print("raised:", exc)
    """)
    assert out == "raised: the generated document is not valid OpenAPI 3.1: x"


def test_a_copy_that_dies_or_cannot_answer_leaves_the_work_to_this_process():
    out = run_alone("""
        import os, threading
        from generator import forking
        parent = os.getpid()
        died = forking.start(lambda: os._exit(3) if os.getpid() != parent else "done here")
        unpicklable = forking.start(lambda: threading.Lock() if os.getpid() != parent else "done here too")
        print(died(), "/", unpicklable())
    """)
    assert out == "done here / done here too"


def test_with_another_thread_running_nothing_is_forked():
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert not forking.can_fork()
        assert forking.start(os.getpid)() == os.getpid()
    finally:
        stop.set()
        thread.join()


def test_build_spec_checks_the_document_while_rendering_it():
    # The check in the forked copy still stops a broken document, with every violation named.
    out = run_alone("""
        from generator import DocsError, build_spec, forking, pipeline
        assert forking.can_fork()
        good = build_spec(["docs_src"], render="yaml")
        assert good.rendered["yaml"] == build_spec(["docs_src"]).render("yaml")
        exec(BREAK_A_REFERENCE)
        try:
            build_spec(["docs_src"], render="yaml")
        except DocsError as exc:
            print(str(exc).splitlines()[0], "|", "points at no component" in str(exc))
    """)
    assert out == "the generated document is not valid OpenAPI 3.1: | True"


def test_a_rendered_result_gives_the_same_text_as_rendering_it_later():
    result = build_spec([SEEDS], render="json")
    assert result.rendered == {"json": result.render("json")}
    assert result.render("json") == build_spec([SEEDS]).render("json")


def test_the_copy_answers_when_someone_else_reaps_it_or_it_cannot_be_forked():
    out = run_alone("""
        import os, signal
        from generator import forking
        signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children reaped by the kernel: waitpid finds none
        first = forking.start(lambda: os.getpid())()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        fds = len(os.listdir("/proc/self/fd"))
        def no_fork():
            raise OSError(11, "Resource temporarily unavailable")
        os.fork = no_fork
        second = forking.start(lambda: os.getpid())()
        print(first != os.getpid(), second == os.getpid(), len(os.listdir("/proc/self/fd")) == fds)
    """)
    assert out == "True True True"


def test_exceptions_come_back_with_the_copys_traceback_or_are_raised_here():
    out = run_alone("""
        from generator import forking
        def fails():
            raise KeyError("deep inside the check")
        try:
            forking.start(fails)()
        except KeyError as exc:
            print("fails" in "".join(exc.__notes__))
        class NeedsTwo(Exception):  # pickles, but does not unpickle: the work is redone here
            def __init__(self, a, b):
                super().__init__(a)
        def raises_needs_two():
            raise NeedsTwo(1, 2)
        try:
            forking.start(raises_needs_two)()
        except NeedsTwo:
            print("NeedsTwo")
    """)
    assert out == "True\nNeedsTwo"


def test_a_failed_rendering_still_waits_for_the_check_and_an_invalid_document_wins():
    out = run_alone("""
        import os
        from generator import DocsError, build_spec, pipeline
        def broken_renderer(spec):
            raise RuntimeError("renderer bug")
        pipeline.render_yaml = broken_renderer
        try:
            build_spec(["docs_src"], render="yaml")
        except RuntimeError as exc:
            print(exc)
        exec(BREAK_A_REFERENCE)
        try:
            build_spec(["docs_src"], render="yaml")
        except DocsError as exc:
            print("DocsError")
        try:
            os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            print("no copy left behind")
    """)
    assert out == "renderer bug\nDocsError\nno copy left behind"
