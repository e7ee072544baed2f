"""A WSGI app served by waitress on a daemon thread: the listener's and the simulator's server.

waitress enforces the limits a server on a shop's network needs (body and header
sizes, connection counts, timeouts); this wraps starting it on a free port and
stopping it cleanly from another thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

import waitress
from waitress import wasyncore


class BackgroundServer:
    """A waitress server for a WSGI app, serving on a daemon thread until ``stop()``."""

    def __init__(
        self, app: Callable[..., Iterable[bytes]], host: str, port: int, *, name: str, **kw: Any
    ) -> None:
        self._server = waitress.create_server(app, host=host, port=port, **kw)
        listening = getattr(self._server, "effective_port", None)
        if listening is None:
            # A name such as "localhost" can bind several sockets; the URL names the first.
            self.host, self.port = self._server.effective_listen[0][:2]
        else:
            self.host, self.port = self._server.effective_host, listening
        self._thread = threading.Thread(target=self._server.run, name=name, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def stop(self) -> None:
        server = self._server
        trigger = server.trigger

        def close_everything() -> None:
            # Run inside the loop, which owns the sockets; with its map empty it returns.
            wasyncore.close_all(server._map)

        # pull_trigger() queues the thunk and then writes to the trigger pipe, so a loop
        # woken meanwhile by a worker can run the thunk and close the pipe before the write
        # (EBADF, or a byte into whatever reused the descriptor). The loop runs thunks
        # under trigger.lock: holding it keeps the pipe open until our byte is written.
        with trigger.lock:
            trigger.thunks.append(close_everything)
            trigger._physical_pull()
        self._thread.join(timeout=5)
        server.task_dispatcher.shutdown(timeout=5)
