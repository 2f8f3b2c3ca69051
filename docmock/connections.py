"""Slow, idle and surplus connections: uvicorn's h11 protocol with deadlines and a connection cap, and one log
line (not a traceback per accept) when the process runs out of file descriptors.

A connection is in one of three phases, each with its own deadline (seconds, from `Config`):

- waiting: nothing sent since it opened or since its last answer: closed silently after `idle_timeout`
  (uvicorn's keep-alive timer, which uvicorn arms only after an answer; here also when the connection opens);
- a request head arriving, from its first byte: after `header_timeout`, a 408 problem and close;
- a request body arriving, from the head: after `body_timeout`, the app sees the client gone, the client gets a
  408 problem if nothing was answered yet, and the connection closes;
- an answer the client does not read: once the kernel's and the transport's buffers are full, the client has
  `body_timeout` to take some of it, or the connection is dropped.

Above `max_connections` a new connection closes the longest-waiting ones that have no request in flight (a
trickled head counts as waiting) and have waited at least EVICTABLE_AFTER, as nginx drains keep-alive
connections; when none can go, the new one is answered 503 and closed.
"""
from __future__ import annotations

import asyncio
import errno
import logging
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, ClassVar

import h11
from uvicorn.protocols.http.h11_impl import STATUS_PHRASES, H11Protocol
from uvicorn.server import ServerState

from mockserver import Config
from mockserver.layers import OncePerInterval
from mockserver.problems import PROBLEM_TYPE, Problem

# How uvicorn finds these in a worker process it spawned (it imports them by name).
PROTOCOL_NAME = "docmock.connections:GuardedH11Protocol"
LOOP_NAME = "docmock.connections:guarded_loop"

# After a 408 or 503 the server stops writing but reads (and drops) what the client still sends for this long:
# closing a socket with unread data makes the kernel send a reset, and a client reset before it reads loses the
# answer that explains why.
LINGER_SECONDS = 1.0
# File descriptors the process needs besides its connections: the listening socket, stdio, logs, the spec, a
# SQLite file or Redis connections, --watch, worker pipes. About 20 in practice.
FD_RESERVE = 64
# uvicorn's default backlog: the listen queue, and how many connections asyncio accepts per wake-up before any
# of them reaches `connection_made`, where the cap acts. A batch gets its protocols one loop turn after it was
# accepted and `connection_made` the next; the descriptors the cap frees close a turn after that, while each
# turn accepts another batch: a burst runs about three batches past the cap (BATCHES_IN_FLIGHT: one for margin).
ACCEPT_BATCH = 2048
BATCHES_IN_FLIGHT = 4
MIN_ACCEPT_BATCH = 64
REPEAT_SECONDS = 10.0  # the once-per-interval warnings below
# Above the cap, a connection waiting for less than this is not closed for a newer one: in a burst it may have
# sent a whole request not read yet, and would get no answer at all; the newer one gets a 503 instead.
EVICTABLE_AFTER = 1.0

logger = logging.getLogger("docmock.mockserver")

refused = OncePerInterval(REPEAT_SECONDS)
head_timeouts = OncePerInterval(REPEAT_SECONDS)
body_timeouts = OncePerInterval(REPEAT_SECONDS)
slow_readers = OncePerInterval(REPEAT_SECONDS)
out_of_descriptors = OncePerInterval(REPEAT_SECONDS)


class _Connections:
    """One server's connections without a request in flight, longest waiting first, and how many of its
    connections are closing already (still in uvicorn's set until their `connection_lost`, a loop turn later)."""

    __slots__ = ("waiting", "closing")

    def __init__(self) -> None:
        self.waiting: OrderedDict[GuardedH11Protocol, float] = OrderedDict()  # -> since when (loop time)
        self.closing = 0


_SERVERS: weakref.WeakKeyDictionary[ServerState, _Connections] = weakref.WeakKeyDictionary()


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with the deadlines and the cap of the module docstring. `settings` is set once per
    serving process, before it accepts (`configure`): uvicorn builds one protocol object per connection and
    passes it only its own Config."""

    settings: ClassVar[Config] = Config()

    @classmethod
    def configure(cls, settings: Config) -> None:
        cls.settings = settings

    def __init__(self, config: Any, server_state: ServerState, app_state: dict[str, Any],
                 _loop: asyncio.AbstractEventLoop | None = None) -> None:
        super().__init__(config, server_state, app_state, _loop)
        # One source for the idle deadline, whatever uvicorn was given (`docmock serve` passes the same value).
        self.timeout_keep_alive = self.settings.idle_timeout
        self._all = _SERVERS.get(server_state)
        if self._all is None:
            self._all = _SERVERS[server_state] = _Connections()
        self._head_timer: asyncio.TimerHandle | None = None
        self._body_timer: asyncio.TimerHandle | None = None
        self._linger_timer: asyncio.TimerHandle | None = None
        self._write_timer: asyncio.TimerHandle | None = None
        self._closing = False    # counted in `_all.closing`
        self._lingering = False  # the last answer is written: what arrives is dropped

    # -- opening and closing ----------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        everyone = self._all
        cap = self.settings.max_connections
        settled = self.loop.time() - EVICTABLE_AFTER
        while len(self.connections) - everyone.closing > cap and everyone.waiting:
            oldest, since = next(iter(everyone.waiting.items()))
            if since > settled:  # may hold a request not read yet (a burst): the newcomer gets the 503 instead
                break
            everyone.waiting.popitem(last=False)
            oldest._close()
        if len(self.connections) - everyone.closing > cap:
            refused.warn(f"{cap} connections are busy with a request (--max-connections {cap}): new connections "
                         "are answered 503")
            problem = Problem(503, f"All {cap} connections this server takes at once are busy with a request; "
                                   "try again shortly.", headers=(("Retry-After", "1"),),
                              title="Too many connections", type_uri="urn:docmock:problem:too-many-connections")
            self._answer_and_close(self._raw_answer(problem))
            return
        everyone.waiting[self] = self.loop.time()
        # uvicorn arms this only after an answer: a connection that never sends a byte would stay forever.
        self.timeout_keep_alive_task = self.loop.call_later(self.timeout_keep_alive, self.timeout_keep_alive_handler)

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        self._cancel_timers()
        if self._linger_timer is not None:
            self._linger_timer.cancel()
            self._linger_timer = None
        self._all.waiting.pop(self, None)
        if self._closing:
            self._all.closing -= 1
            self._closing = False

    def shutdown(self) -> None:
        if not self._closing:  # one closing already closes within LINGER_SECONDS
            super().shutdown()

    def _mark_closing(self) -> None:
        if not self._closing:
            self._closing = True
            self._all.closing += 1
        self._all.waiting.pop(self, None)
        self._cancel_timers()

    def _close(self) -> None:
        """Close a connection that has no request in flight, without a word (as an idle keep-alive one)."""
        self._mark_closing()  # also when uvicorn is closing it already: it counts as gone from now on
        if self.transport.get_write_buffer_size():
            self.transport.abort()  # a client that does not read its last answer would hold the descriptor
        else:
            self.transport.close()

    def _answer_and_close(self, data: bytes) -> None:
        """Write a last answer, stop writing, and close once the client has read it (or after LINGER_SECONDS)."""
        self._mark_closing()
        self._lingering = True
        self.transport.write(data)
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.flow.resume_reading()  # read to drop, even if a large body had paused reading
        self._linger_timer = self.loop.call_later(LINGER_SECONDS, self.transport.abort)

    def _cancel_timers(self) -> None:
        self._unset_keepalive_if_required()
        for name in ("_head_timer", "_body_timer", "_write_timer"):
            timer = getattr(self, name)
            if timer is not None:
                timer.cancel()
                setattr(self, name, None)

    # -- requests ---------------------------------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        if self._lingering:
            return
        super().data_received(data)

    def handle_events(self) -> None:
        before = self.cycle
        super().handle_events()
        if self._closing or self.transport.is_closing():
            return
        their_state = self.conn.their_state
        if self.cycle is not before:  # a request head arrived: the connection has a request in flight
            self._all.waiting.pop(self, None)
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None
            if their_state is h11.SEND_BODY:
                self._body_timer = self.loop.call_later(self.settings.body_timeout, self._body_timed_out)
        elif their_state is h11.IDLE and self.conn.our_state is h11.IDLE:  # between requests
            if self.conn.trailing_data[0]:
                # The first bytes of a head: from now on it has header_timeout to be whole. (Bytes that arrive
                # while an answer is written wait in h11, and count from when the answer is done.)
                if self._head_timer is None:
                    self._head_timer = self.loop.call_later(self.settings.header_timeout, self._head_timed_out)
            elif self.timeout_keep_alive_task is None and self._head_timer is None:
                # The rest of a body answered early (a 401, a 413) has arrived: uvicorn armed its keep-alive
                # timer when it answered, each byte since cancelled it, and nothing would arm it again.
                self.timeout_keep_alive_task = self.loop.call_later(self.timeout_keep_alive,
                                                                    self.timeout_keep_alive_handler)
        if self._body_timer is not None and their_state is not h11.SEND_BODY:
            self._body_timer.cancel()
            self._body_timer = None

    def on_response_complete(self) -> None:
        if not self.transport.is_closing() and not self._closing:
            # Before uvicorn handles a pipelined request, which takes it out again.
            self._all.waiting[self] = self.loop.time()
        super().on_response_complete()

    def handle_websocket_upgrade(self, event: h11.Request) -> None:
        # The connection becomes another protocol's, which uvicorn tracks on its own.
        self._all.waiting.pop(self, None)
        self._cancel_timers()
        super().handle_websocket_upgrade(event)

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.transport.is_closing() or self.conn.their_state is not h11.IDLE:
            return
        seconds = self.settings.header_timeout
        head_timeouts.warn(f"closed a connection whose request headers took more than {seconds:g}s "
                           "(--header-timeout)")
        problem = Problem(408, f"The request line and headers did not arrive within {seconds:g}s.")
        self._answer_and_close(self._raw_answer(problem))

    def _body_timed_out(self) -> None:
        self._body_timer = None
        cycle = self.cycle
        if self.transport.is_closing() or cycle is None:
            return
        seconds = self.settings.body_timeout
        body_timeouts.warn(f"closed a connection whose request body took more than {seconds:g}s (--body-timeout)")
        data = b""
        if not cycle.response_started:
            problem = Problem(408, f"The request body did not arrive whole within {seconds:g}s.")
            data = self._h11_answer(problem)
        # The app's `receive` returns http.disconnect (the mock stops quietly, see context.read_body), and what it
        # might still send is dropped by uvicorn.
        cycle.disconnected = True
        cycle.message_event.set()
        if data:
            self._answer_and_close(data)
        else:  # an answer was begun or sent already: there is nothing better to say
            self._mark_closing()
            self.transport.abort()

    def pause_writing(self) -> None:
        super().pause_writing()
        # A client that stops reading its answer keeps a request in flight, out of the cap's reach, for ever: it
        # has --body-timeout to take what is written, as a body has to arrive.
        if self._write_timer is None and not self._closing:
            self._write_timer = self.loop.call_later(self.settings.body_timeout, self._write_timed_out)

    def resume_writing(self) -> None:
        super().resume_writing()
        if self._write_timer is not None:
            self._write_timer.cancel()
            self._write_timer = None

    def _write_timed_out(self) -> None:
        self._write_timer = None
        if self.transport.is_closing():
            return
        seconds = self.settings.body_timeout
        slow_readers.warn(f"closed a connection whose client read nothing of its answer for {seconds:g}s "
                          "(--body-timeout)")
        self._mark_closing()
        self.transport.abort()  # uvicorn's connection_lost tells the app the client is gone

    # -- answers written by the protocol ----------------------------------------------------------------

    def _headers(self, problem: Problem, body: bytes) -> list[tuple[bytes, bytes]]:
        return [*self.server_state.default_headers, (b"content-type", PROBLEM_TYPE.encode()),
                *((k.lower().encode(), v.encode("latin-1")) for k, v in problem.headers),
                (b"content-length", str(len(body)).encode()), (b"connection", b"close")]

    def _raw_answer(self, problem: Problem) -> bytes:
        """An answer written without h11, which cannot answer before a request head arrived."""
        body = problem.body()
        lines = [b"HTTP/1.1 %d %s" % (problem.status, STATUS_PHRASES[problem.status])]
        lines.extend(name + b": " + value for name, value in self._headers(problem, body))
        return b"\r\n".join(lines) + b"\r\n\r\n" + body

    def _h11_answer(self, problem: Problem) -> bytes:
        """An answer to the request in flight, through h11 (which then knows the exchange is over)."""
        body = problem.body()
        try:
            return b"".join((
                self.conn.send(h11.Response(status_code=problem.status, headers=self._headers(problem, body),
                                            reason=STATUS_PHRASES[problem.status])) or b"",
                self.conn.send(h11.Data(data=body)) or b"",
                self.conn.send(h11.EndOfMessage()) or b""))
        except h11.LocalProtocolError:
            return b""


# -- out of file descriptors -----------------------------------------------------------------------------

_ACCEPT_FAILED = "socket.accept() out of system resource"
_OUT_OF_RESOURCES = (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM)


def quiet_accept_failures(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """The event loop's exception handler: asyncio logs a traceback for every failed accept, and goes on trying
    up to `backlog` (2,048) times per wake-up, scheduling a retry a second later for each failure (135 MB of log
    in 20 s). Here: one warning line per interval, with how many were left out. Every other context goes to the
    default handler."""
    exc = context.get("exception")
    message = context.get("message", "")
    if message == _ACCEPT_FAILED and isinstance(exc, OSError) and exc.errno in _OUT_OF_RESOURCES:
        name = errno.errorcode.get(exc.errno, str(exc.errno))
        out_of_descriptors.warn(f"cannot accept new connections: {exc.strerror} ({name}; {_descriptor_limit()}); "
                                "retrying every second")
        return
    if isinstance(exc, (ValueError, OSError)) and message.startswith("Exception in callback") \
            and "._start_serving(" in message:
        # One of those retries, due after the server closed its socket (a stop while out of descriptors): up to
        # 2,048 tracebacks of "Invalid file descriptor: -1" saying nothing about a server that is stopping.
        return
    loop.default_exception_handler(context)


def guarded_loop() -> asyncio.AbstractEventLoop:
    """uvicorn's loop factory (`loop=LOOP_NAME`, so its worker processes use it too): the loop uvicorn would
    choose, with `quiet_accept_failures` as its exception handler."""
    from uvicorn.loops.auto import auto_loop_factory

    loop = auto_loop_factory(use_subprocess=False)()
    loop.set_exception_handler(quiet_accept_failures)
    return loop


def _descriptor_limit() -> str:
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return "the process's file limit"
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return f"ulimit -n is {soft}"


@dataclass(frozen=True, slots=True)
class DescriptorFit:
    """What fits in the process's file descriptors: the connection cap, the accept batch (uvicorn's `backlog`),
    and a warning when the cap had to be lowered."""

    max_connections: int
    backlog: int
    warning: str | None = None


def fit_descriptors(max_connections: int) -> DescriptorFit:
    """Make room for `max_connections` connections, FD_RESERVE other files and the connections accepted before
    the cap can act: asyncio accepts up to `backlog` at a time, and the cap closes the surplus (in
    `connection_made`) only a few loop turns later. Raises the soft RLIMIT_NOFILE as far as that needs and the
    hard limit allows (worker processes inherit it); under a hard limit too low, accepts fewer at a time, and
    lowers the cap (with a warning) only when that is not enough either."""
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows: no such limit to raise
        return DescriptorFit(max_connections, ACCEPT_BATCH)
    infinity = resource.RLIM_INFINITY
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = max_connections + FD_RESERVE + BATCHES_IN_FLIGHT * ACCEPT_BATCH
    if soft != infinity and soft < needed:
        target = needed if hard == infinity else min(needed, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    if soft == infinity or soft >= needed:
        return DescriptorFit(max_connections, ACCEPT_BATCH)
    room = soft - min(FD_RESERVE, soft // 4)  # under a tiny limit, a quarter stays for the rest
    backlog = min(ACCEPT_BATCH, (room - max_connections) // BATCHES_IN_FLIGHT)
    if backlog >= MIN_ACCEPT_BATCH:
        return DescriptorFit(max_connections, backlog)
    backlog = max(8, min(MIN_ACCEPT_BATCH, room // 16))
    fitted = max(1, room - BATCHES_IN_FLIGHT * backlog)
    if fitted >= max_connections:
        return DescriptorFit(max_connections, backlog)
    least = max_connections + FD_RESERVE + BATCHES_IN_FLIGHT * MIN_ACCEPT_BATCH
    return DescriptorFit(fitted, backlog, (
        f"Warning: --max-connections {max_connections} needs at least {least} file descriptors and this process may "
        f"open {soft} (ulimit -n, hard limit {'unlimited' if hard == infinity else hard}): serving at most "
        f"{fitted} connections at once per process, accepting {backlog} at a time"))
