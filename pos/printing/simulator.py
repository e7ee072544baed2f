"""A receipt printer on TCP (port 9100 by default) that reads what it is sent and keeps it.

``pos printer-sim`` runs one; the demo runs one in-process beside the simulated card
terminal, and the tests print to one. Each connection is a job: what arrives is decoded
(:mod:`pos.printing.decode`) and, when the sender hangs up, kept as a
:class:`~pos.printing.decode.PrintedDocument`. Status requests are answered as a real
printer's status bits would be, so a test can take the paper out (``paper_out``) or make
the printer say nothing at all (``silent``) and see what the till does.
"""

from __future__ import annotations

import logging
import socket
import socketserver
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Self

from pos.printing.decode import Decoder, PrintedDocument

log = logging.getLogger(__name__)

IDLE_SECONDS = 30.0
"""A sender quiet this long has gone: its job ends with what it sent."""
MAX_JOB_BYTES = 4 * 1024 * 1024
READY = 0x12  # the bits every status byte has set (bits 1 and 4)
OFFLINE = 0x08
COVER_OR_PAPER_STOP = 0x20  # DLE EOT 2: printing stopped for the paper end
PAPER_NEAR_END = 0x0C
PAPER_END = 0x60


class _Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True  # a restarted simulator takes its port back at once
    daemon_threads = True


class PrinterSimulator:
    """A printer on ``tcp://host:port`` (port 0 takes a free one; see ``url``)."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        on_document: Callable[[PrintedDocument], None] | None = None,
    ) -> None:
        self.host, self.port = host, port
        self.on_document = on_document
        self.paper_out = False
        """The paper has run out: status says so and nothing prints (a drawer still opens)."""
        self.paper_low = False
        self.silent = False
        """Take connections and read nothing, answer nothing: a printer that hangs."""
        self._documents: list[PrintedDocument] = []
        self._changed = threading.Condition()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- life cycle ----------------------------------------------------------------

    def start(self) -> Self:
        if self._server is not None:
            raise RuntimeError("the printer simulator is already started")
        simulator = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                simulator._serve(self.request)

        server = _Server((self.host, self.port), Handler)
        self._server = server
        address = server.server_address
        self.host, self.port = str(address[0]), int(address[1])
        self._thread = threading.Thread(
            target=server.serve_forever, name="printer-sim", kwargs={"poll_interval": 0.1}
        )
        self._thread.daemon = True
        self._thread.start()
        log.info("printer simulator listening on %s", self.url)
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        with self._changed:
            self._changed.notify_all()

    def wait(self) -> None:
        """Block until stopped (``pos printer-sim`` waits here for Ctrl+C)."""
        while self._thread is not None and self._thread.is_alive():
            self._thread.join(0.5)

    def __enter__(self) -> Self:
        return self if self._server is not None else self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in str(self.host) else self.host
        return f"tcp://{host}:{self.port}"

    # -- what it printed -------------------------------------------------------------

    @property
    def documents(self) -> list[PrintedDocument]:
        """Every job received, in order (status requests and drawer kicks included)."""
        with self._changed:
            return list(self._documents)

    @property
    def printed(self) -> list[PrintedDocument]:
        """The jobs that put something on paper."""
        return [document for document in self.documents if document.printed]

    def wait_for(self, count: int, timeout: float = 5.0) -> list[PrintedDocument]:
        """Wait until ``count`` jobs have ended (or ``timeout``); the jobs so far."""
        with self._changed:
            self._changed.wait_for(lambda: len(self._documents) >= count, timeout)
            return list(self._documents)

    # -- a connection -----------------------------------------------------------------

    def _status(self, request: int) -> bytes:
        """The byte a printer answers to ``DLE EOT request``."""
        if request == 1:
            return bytes([READY | (OFFLINE if self.paper_out else 0)])
        if request == 2:
            return bytes([READY | (COVER_OR_PAPER_STOP if self.paper_out else 0)])
        if request == 4:
            paper = PAPER_END if self.paper_out else PAPER_NEAR_END if self.paper_low else 0
            return bytes([READY | paper])
        return bytes([READY])

    def _serve(self, connection: socket.socket) -> None:
        connection.settimeout(IDLE_SECONDS)
        if self.silent:
            self._hang(connection)
            return
        paper_out = self.paper_out
        decoder = Decoder(self._status)
        received = 0
        try:
            while received < MAX_JOB_BYTES:
                chunk = connection.recv(65536)
                if not chunk:
                    break
                received += len(chunk)
                reply = decoder.feed(chunk)
                if reply:
                    connection.sendall(reply)
        except OSError:
            pass  # the sender went away mid-job: keep what came
        document = decoder.close()
        if paper_out and document.printed:
            # Nothing reaches paper; the drawer, wired to the printer, still opens.
            document.lines.clear()
            document.qr_codes.clear()
            document.cuts = 0
            document.events = [e for e in document.events if e.startswith("[drawer")]
        with self._changed:
            self._documents.append(document)
            self._changed.notify_all()
        log.info("printer simulator: job of %d bytes, %d lines", received, len(document.lines))
        if self.on_document is not None:
            self.on_document(document)

    def _hang(self, connection: socket.socket) -> None:
        # Read and drop whatever comes, answer nothing, print nothing: a printer whose
        # interface is up but whose mechanism is hung.
        connection.settimeout(0.2)
        while self._server is not None:
            try:
                if not connection.recv(65536):
                    return
            except TimeoutError:
                continue
            except OSError:
                return
