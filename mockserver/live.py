"""The app a server runs when it reloads (`docmock serve --watch`): one reference to the MockApp being
served, swapped between requests. A request finishes on the app that took it; the next one sees the new app;
no connection is dropped. An old app is closed once its last request is answered."""
from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Awaitable, Callable

from .app import MockApp
from .admin import ADMIN_PREFIX
from .context import Receive, Reply, Scope, Send, send_reply

logger = logging.getLogger("docmock.reload")
VERSION_PATH = f"{ADMIN_PREFIX}version"

# Started with the server and stopped with it (the watcher that calls `swap`).
Task = Callable[[], Awaitable[None]]


class LiveApp:
    """ASGI app serving `app`, which `swap` replaces. `background` runs beside the server from its start-up to
    its shutdown."""

    def __init__(self, app: MockApp, background: Task | None = None) -> None:
        self.app = app
        self.generation = 1
        self.background = background
        self._task: asyncio.Task[None] | None = None
        self._busy: dict[int, int] = {}  # id(app) -> requests in progress, for apps swapped out
        self._retired: dict[int, MockApp] = {}

    def swap(self, app: MockApp, version: int | None = None) -> None:
        """Serve `app` from the next request on, as `version` (default: the next one). Call on the server's
        event loop."""
        old, self.app = self.app, app
        self.generation = version if version is not None else self.generation + 1
        if self._busy.get(id(old)):
            self._retired[id(old)] = old
        else:
            self._close_later(old)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] == "http" and scope["path"] == VERSION_PATH:
            await send_reply(scope, send, self._version())
            return
        app = self.app
        key = id(app)
        self._busy[key] = self._busy.get(key, 0) + 1
        try:
            await app(scope, receive, send)
        finally:
            left = self._busy[key] - 1
            if left:
                self._busy[key] = left
            else:
                del self._busy[key]
                retired = self._retired.pop(key, None)
                if retired is not None:
                    self._close_later(retired)

    def _version(self) -> Reply:
        """Which version is served, and whether a newer one failed to load: what a script waits on after
        editing the docs."""
        body = {"version": self.generation, "reloadFailed": self.app.reload_failure, "process": os.getpid()}
        return Reply(200, [(b"content-type", b"application/json"), (b"cache-control", b"no-store")],
                     json.dumps(body).encode())

    def _close_later(self, app: MockApp) -> None:
        if app.proxy is not None:  # only a proxy holds anything open
            asyncio.get_running_loop().create_task(app.aclose())

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                if self.background is not None:
                    self._task = asyncio.get_running_loop().create_task(self._guarded(self.background))
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self._task is not None:
                    self._task.cancel()
                    try:
                        await self._task
                    except asyncio.CancelledError:
                        pass
                await self.app.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    @staticmethod
    async def _guarded(task: Task) -> None:
        # The watcher must never take the server down; what stops it is logged, and the server goes on serving.
        try:
            await task()
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("the watcher stopped; the server goes on serving the last version it loaded")
