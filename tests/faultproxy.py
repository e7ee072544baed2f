"""A TCP proxy between a till and its store that a test can black-hole, cut or refuse.

A black hole is what a pulled cable or a switch dropping packets looks like from both
ends: every socket stays open and nothing arrives. Bytes already sent wait in the
kernel's buffers and flow again on ``heal()``, as TCP's retransmissions would deliver
them. ``cut()`` closes every connection at once, as a restarted router would.
``refuse()`` closes each new connection as soon as it comes, as a server that is down
(its host answering, its port shut) does; ``heal()`` ends both faults.
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
import time
from types import TracebackType
from typing import Self


class FaultProxy:
    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self._upstream = (upstream_host, upstream_port)
        self._server = socket.create_server(("127.0.0.1", 0))
        self.host, self.port = self._server.getsockname()[:2]
        self._silent = threading.Event()
        self._refusing = threading.Event()
        self._closed = threading.Event()
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        self._accepting = threading.Thread(target=self._accept, daemon=True)
        self._accepting.start()

    def blackhole(self) -> None:
        """From now on nothing passes either way, and no new connection gets through."""
        self._silent.set()

    def refuse(self) -> None:
        """From now on every new connection is closed at once (the old ones stay)."""
        self._refusing.set()

    def heal(self) -> None:
        self._silent.clear()
        self._refusing.clear()

    def cut(self) -> None:
        """Close every connection through the proxy; new ones are still taken."""
        with self._lock:
            sockets, self._sockets = self._sockets, set()
        for sock in sockets:
            _close(sock)

    def close(self) -> None:
        self._closed.set()
        _close(self._server)
        self.cut()
        for thread in [self._accepting, *self._threads]:
            thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            if self._refusing.is_set():
                _close(client)
                continue
            self._keep(client)
            thread = threading.Thread(target=self._serve, args=(client,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _keep(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.add(sock)
        if self._closed.is_set():
            _close(sock)

    def _serve(self, client: socket.socket) -> None:
        upstream: socket.socket | None = None
        try:
            while not self._closed.is_set():
                if self._silent.is_set():
                    time.sleep(0.02)  # read nothing: what was sent stays in the buffers
                    continue
                if upstream is None:
                    upstream = socket.create_connection(self._upstream, timeout=5)
                    upstream.settimeout(None)
                    self._keep(upstream)
                ready, _, _ = select.select([client, upstream], [], [], 0.02)
                for sock in ready:
                    if self._silent.is_set():
                        break
                    data = sock.recv(65536)
                    if not data:
                        return
                    (upstream if sock is client else client).sendall(data)
        except (OSError, ValueError):
            pass  # cut or closed
        finally:
            for sock in (client, upstream):
                if sock is not None:
                    with self._lock:
                        self._sockets.discard(sock)
                    _close(sock)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
