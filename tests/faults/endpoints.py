"""Contact-center endpoints that misbehave at the TCP level."""

from __future__ import annotations

import socket
import threading


class HungEndpoint:
    """Accepts every connection and never answers: the request hangs until the caller gives up.

    Accepted sockets are kept open (not read past the kernel's buffer, never written to) until
    the endpoint is closed.
    """

    def __init__(self):
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=64)
        self._listener.settimeout(0.2)  # lets the accept loop notice it should stop
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}/lazo/events"
        self.accepted = 0
        self._held: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, name="hung-endpoint", daemon=True)

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._held.append(conn)
            self.accepted += 1

    def __enter__(self) -> HungEndpoint:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(5)
        self._listener.close()
        for conn in self._held:
            conn.close()
