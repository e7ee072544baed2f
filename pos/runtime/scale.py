"""The shop's scale: what the till reads a weight from.

Counter scales that talk to a till mostly send their reading over and over
("continuous output"), a frame a line, as CAS, Dibal and many Turkish scales do:

    ST,GS,+  1.250kg\\r\\n      stable, gross, 1,250 kg
    US,GS,+  1.180kg\\r\\n      still moving
    OL,GS,+  0.000kg\\r\\n      overloaded

:class:`StreamScale` reads those frames from a byte stream (a serial port, or a TCP
connection to a serial-to-network adapter) until a stable one comes or its time is up;
it never waits longer than the timeout it is given, and the till calls it on a worker,
never on the GUI thread. :class:`ScaleSimulator` is such a scale on TCP, with a weight a
test or the demo puts on it: the till talks to it exactly as to a real one.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import socketserver
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Protocol, Self

from pos.domain.results import Code, Err

DEFAULT_TIMEOUT = 2.0
"""Seconds the till waits for a settled reading."""
_FRAME = re.compile(rb"(ST|US|OL),(GS|NT),([+-])\s*([0-9]{1,3}(?:\.[0-9]{1,3})?)\s*(kg|g)")


@dataclass(frozen=True)
class ScaleReading:
    grams: int
    stable: bool
    overloaded: bool = False


class Scale(Protocol):
    """Anything the till can ask for a weight: grams when the scale settles, or why not."""

    def read(self, timeout: float = DEFAULT_TIMEOUT) -> int | Err: ...


def parse_frame(line: bytes) -> ScaleReading | None:
    """One continuous-output frame; None for noise."""
    match = _FRAME.search(line)
    if match is None:
        return None
    if match[1] == b"OL":
        return ScaleReading(0, stable=False, overloaded=True)
    value = match[4].decode()
    whole, _, part = value.partition(".")
    grams = int(whole) * 1000 + int(part.ljust(3, "0")) if match[5] == b"kg" else int(whole)
    return ScaleReading(-grams if match[3] == b"-" else grams, match[1] == b"ST")


class StreamScale:
    """A scale on a byte stream; ``connect(timeout)`` opens it afresh for each reading."""

    def __init__(self, connect: Callable[[float], Callable[[float], bytes]]) -> None:
        self._connect = connect

    def read(self, timeout: float = DEFAULT_TIMEOUT) -> int | Err:
        deadline = time.monotonic() + timeout
        moving = overloaded = False
        try:
            receive = self._connect(timeout)
            buffer = b""
            while (left := deadline - time.monotonic()) > 0:
                chunk = receive(left)
                if not chunk:
                    break
                buffer += chunk
                *frames, buffer = buffer.split(b"\n")
                for frame in frames:
                    reading = parse_frame(frame)
                    if reading is not None and reading.stable:
                        return reading.grams
                    moving = moving or reading is not None
                    overloaded = reading is not None and reading.overloaded
                buffer = buffer[-256:]
        except OSError:
            return Err(Code.SCALE_NO_ANSWER)
        if overloaded:
            return Err(Code.SCALE_OVERLOADED)
        return Err(Code.SCALE_UNSTABLE if moving else Code.SCALE_NO_ANSWER)


def tcp_scale(host: str, port: int) -> StreamScale:
    """A scale behind a serial-to-network adapter, or the simulator."""

    def connect(timeout: float) -> Callable[[float], bytes]:
        sock = socket.create_connection((host, port), timeout=timeout)

        def receive(left: float) -> bytes:
            sock.settimeout(left)
            try:
                return sock.recv(256)
            except TimeoutError:
                sock.close()
                return b""

        return receive

    return StreamScale(connect)


def serial_scale(device: str, baud: int = 9600) -> StreamScale:
    """A scale on a serial port (``/dev/ttyUSB0``): raw, 8N1, read without blocking."""

    def connect(_timeout: float) -> Callable[[float], bytes]:
        import select
        import termios
        import tty

        fd = os.open(device, os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK)
        tty.setraw(fd)
        attrs = termios.tcgetattr(fd)
        speed = getattr(termios, f"B{baud}")
        attrs[4] = attrs[5] = speed
        termios.tcsetattr(fd, termios.TCSANOW, attrs)

        def receive(left: float) -> bytes:
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                os.close(fd)
                return b""
            return os.read(fd, 256)

        return receive

    return StreamScale(connect)


class _Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


class ScaleSimulator:
    """A continuous-output scale on TCP: each connection gets a frame every ``period``.

    ``put(grams)`` puts something on it (it shows ``settle`` unstable frames first),
    ``overload()`` and ``silent`` make it misbehave as a real one can.
    """

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, *, period: float = 0.05, settle: int = 2
    ) -> None:
        self.period = period
        self.settle = settle
        self.silent = False
        self._grams = 0
        self._overloaded = False
        self._lock = threading.Lock()
        simulator = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                sent = 0
                with contextlib.suppress(OSError):
                    while True:
                        frame = simulator._frame(sent)
                        sent += 1
                        if frame:
                            self.request.sendall(frame)
                        time.sleep(simulator.period)

        self._server = _Server((host, port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def address(self) -> tuple[str, int]:
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    def put(self, grams: int) -> None:
        with self._lock:
            self._grams, self._overloaded = grams, False

    def overload(self) -> None:
        with self._lock:
            self._overloaded = True

    def _frame(self, sent: int) -> bytes:
        with self._lock:
            grams, overloaded = self._grams, self._overloaded
        if self.silent:
            return b""
        state = "OL" if overloaded else ("US" if sent < self.settle else "ST")
        whole, part = divmod(abs(grams), 1000)
        sign = "-" if grams < 0 else "+"
        return f"{state},GS,{sign}{whole:4d}.{part:03d}kg\r\n".encode()

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()


DEMO_WEIGHT = 1250
"""What lies on the demo's simulated scale: 1,250 kg."""


def till_scale(device: str | None, baud: int, *, demo: bool) -> Scale | None:
    """The scale ``[scale] device`` names: a serial port, ``tcp://host:port``, or
    ``simulator`` (started here, with the demo's 1,250 kg on it); the demo's simulator
    if none is named; else None."""
    if device is None and not demo:
        return None
    if device is None or device == "simulator":
        simulator = ScaleSimulator().start()
        simulator.put(DEMO_WEIGHT)
        return tcp_scale(*simulator.address)
    if device.startswith("tcp://"):
        host, _, port = device.removeprefix("tcp://").rpartition(":")
        return tcp_scale(host, int(port))
    return serial_scale(device, baud)
