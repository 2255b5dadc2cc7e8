"""A TCP proxy that can cut a service off from its database (or anything else on TCP).

It runs its own event loop in its own thread: the test's loop is blocked at times (service
start-up waits synchronously), and the proxied service must keep its connections meanwhile.
`cut()` is what a database crash or a network partition looks like to the client: every open
connection is reset and new ones are refused, until `restore()` listens again on the same port.
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import Future

from ops.embedded_broker import free_port


class TcpProxy:
    def __init__(self, target_host: str, target_port: int, port: int | None = None):
        self.target = (target_host, target_port)
        self.port = port or free_port()
        self.accepted = 0  # connections forwarded since start: shows the client really went through us
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="tcp-proxy", daemon=True)
        self._server: asyncio.AbstractServer | None = None
        self._links: set[asyncio.StreamWriter] = set()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> TcpProxy:
        self._thread.start()
        self._call(self._listen())
        return self

    def cut(self) -> None:
        """Refuse new connections and reset the open ones."""
        self._call(self._cut())

    def restore(self) -> None:
        self._call(self._listen())

    def close(self) -> None:
        if self._thread.is_alive():
            self._call(self._cut())
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(5)
        self._loop.close()

    @property
    def listening(self) -> bool:
        return self._server is not None

    def _call(self, coro) -> None:
        future: Future = asyncio.run_coroutine_threadsafe(coro, self._loop)
        future.result(10)

    async def _listen(self) -> None:
        if self._server is None:
            self._server = await asyncio.start_server(self._link, "127.0.0.1", self.port)

    async def _cut(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._links):
            writer.transport.abort()  # RST, as a crashed peer would
        self._links.clear()

    async def _link(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        try:
            target_r, target_w = await asyncio.open_connection(*self.target)
        except OSError:
            client_w.transport.abort()
            return
        self.accepted += 1
        self._links.update((client_w, target_w))
        try:
            await asyncio.gather(self._pipe(client_r, target_w), self._pipe(target_r, client_w))
        finally:
            for w in (client_w, target_w):
                self._links.discard(w)
                w.transport.abort()

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()  # the other side ended: end this one too (the peer sees EOF)
