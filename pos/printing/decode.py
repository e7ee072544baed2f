"""ESC/POS read back into what the paper would show: the simulator's and the tests' eyes.

:class:`Decoder` takes the bytes as they arrive (a command may be split across two
reads) and keeps a :class:`PrintedDocument`: its lines with their style (bold, double
height and width, alignment), the code pages chosen, QR codes, cuts and drawer kicks.
A status request (``DLE EOT n``) is answered at once through ``answer``, as a printer
does before it prints anything. It reads the commands Kasa and python-escpos send and
skips the common others by their lengths; anything it does not know is noted, never
guessed at.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

ESC, GS, DLE, LF = 0x1B, 0x1D, 0x10, 0x0A

CODE_PAGE_TABLES = {
    0: "cp437",
    2: "cp850",
    3: "cp860",
    4: "cp863",
    5: "cp865",
    13: "cp857",
    16: "cp1252",
    17: "cp866",
    18: "cp852",
    19: "cp858",
    48: "cp1254",
}
"""``ESC t n`` tables as python-escpos's default profile numbers them."""

# ESC commands with one parameter byte that change nothing the text shows.
_ESC_ONE = frozenset(b"-GM{V3 JcrRU!Ea")
_GS_ONE = frozenset(b"BbhwHfa")
_GS_TWO = frozenset(b"LWP")


@dataclass(frozen=True)
class PrintedLine:
    text: str
    bold: bool = False
    tall: bool = False
    wide: bool = False
    align: str = "left"


@dataclass(frozen=True)
class DrawerKick:
    pin: int
    pulse_ms: int


@dataclass
class PrintedDocument:
    """What one connection printed (or one file held)."""

    lines: list[PrintedLine] = field(default_factory=list)
    code_pages: list[str] = field(default_factory=list)
    qr_codes: list[str] = field(default_factory=list)
    cuts: int = 0
    drawer_kicks: list[DrawerKick] = field(default_factory=list)
    status_requests: int = 0
    unknown: list[str] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    """The paper from top to bottom: each line's text, ``[QR: …]`` and ``[cut]``."""
    raw: bytes = b""

    @property
    def text(self) -> str:
        """The slip as a person reads it: double-width lines spread out as they print."""
        return "\n".join(self.events) + ("\n" if self.events else "")

    @property
    def printed(self) -> bool:
        """Anything on paper (a drawer kick or a status request alone prints nothing)."""
        return bool(self.lines or self.qr_codes or self.cuts)


class Decoder:
    def __init__(self, answer: Callable[[int], bytes | None] | None = None) -> None:
        """``answer(n)``: the status byte(s) to send back for ``DLE EOT n``, or None."""
        self.answer = answer
        self.document = PrintedDocument()
        self._pending = b""
        self._text = bytearray()
        self._reset()
        self._qr_data = ""

    def _reset(self) -> None:
        self.codec = "cp437"
        self.bold = self.tall = self.wide = False
        self.align = "left"

    def feed(self, data: bytes) -> bytes:
        """Read ``data``; what a printer would answer to the status requests in it."""
        self.document.raw += data
        buffer = self._pending + data
        replies = bytearray()
        at = 0
        while at < len(buffer):
            used = self._step(buffer, at, replies)
            if used is None:  # a command cut short: wait for the rest
                break
            at += used
        self._pending = buffer[at:]
        return bytes(replies)

    def close(self) -> PrintedDocument:
        """The document, its last line ended (a printer prints a line at LF or the end)."""
        if self._text:
            self._end_line()
        if self._pending:
            self.document.unknown.append(f"cut short: {self._pending[:16].hex(' ')}")
            self._pending = b""
        return self.document

    # -- the commands --------------------------------------------------------------

    def _step(self, buf: bytes, at: int, replies: bytearray) -> int | None:
        byte = buf[at]
        if byte == LF:
            self._end_line()
            return 1
        if byte == ESC:
            return self._esc(buf, at)
        if byte == GS:
            return self._gs(buf, at)
        if byte == DLE:
            return self._dle(buf, at, replies)
        if byte < 0x20:
            if byte == 0x09:
                self._text.append(0x20)
            return 1  # CR and the rest print nothing
        self._text.append(byte)
        return 1

    def _esc(self, buf: bytes, at: int) -> int | None:
        if at + 1 >= len(buf):
            return None
        command = buf[at + 1]
        if command == ord("@"):
            self._flush_text()
            self._reset()
            return 2
        if command == ord("2"):
            return 2
        if command == ord("p"):
            if at + 4 >= len(buf):
                return None
            pin = 2 if buf[at + 2] in (0, 48) else 5
            self.document.drawer_kicks.append(DrawerKick(pin, buf[at + 3] * 2))
            self.document.events.append(f"[drawer: pin {pin}]")
            return 5
        if command == ord("d"):
            return 3 if at + 2 < len(buf) else None
        if at + 2 >= len(buf):
            return None
        value = buf[at + 2]
        if command == ord("t"):
            codec = CODE_PAGE_TABLES.get(value)
            if codec is None:
                self.document.unknown.append(f"ESC t {value}")
                codec = "cp437"
            self.codec = codec
            self.document.code_pages.append(codec.upper())
        elif command == ord("!"):
            self.bold, self.tall, self.wide = bool(value & 8), bool(value & 16), bool(value & 32)
        elif command == ord("E"):
            self.bold = bool(value & 1)
        elif command == ord("a"):
            self.align = {0: "left", 1: "centre", 2: "right"}.get(value % 48, "left")
        elif command not in _ESC_ONE:
            self.document.unknown.append(f"ESC {chr(command)!r}")
        return 3

    def _gs(self, buf: bytes, at: int) -> int | None:
        if at + 2 >= len(buf):
            return None
        command, value = buf[at + 1], buf[at + 2]
        if command == ord("!"):
            self.wide, self.tall = bool(value & 0x70), bool(value & 0x07)
            return 3
        if command == ord("V"):
            if value in (65, 66, 97, 98):
                if at + 3 >= len(buf):
                    return None
                used = 4
            else:
                used = 3
            self._flush_text()
            self.document.cuts += 1
            self.document.events.append("[cut]")
            return used
        if command == ord("(") and value in (ord("k"), ord("L")):
            if at + 4 >= len(buf):
                return None
            length = buf[at + 3] + 256 * buf[at + 4]
            if at + 5 + length > len(buf):
                return None
            body = buf[at + 5 : at + 5 + length]
            if value == ord("k"):
                self._two_d(body)
            return 5 + length
        if command == ord("v") and value == ord("0"):
            if at + 7 >= len(buf):
                return None
            x = buf[at + 4] + 256 * buf[at + 5]
            y = buf[at + 6] + 256 * buf[at + 7]
            if at + 8 + x * y > len(buf):
                return None
            self._flush_text()
            self.document.events.append("[image]")
            return 8 + x * y
        if command in _GS_ONE:
            return 3
        if command in _GS_TWO:
            return 4 if at + 3 < len(buf) else None
        self.document.unknown.append(f"GS {chr(command)!r}")
        return 2

    def _two_d(self, body: bytes) -> None:
        if len(body) < 2 or body[0] != ord("1"):
            self.document.unknown.append("GS ( k (not a QR code)")
            return
        function = body[1]
        if function == ord("P"):  # store the data (after the m byte)
            self._qr_data = body[3:].decode("utf-8", "replace")
        elif function == ord("Q"):  # print what was stored
            self._flush_text()
            self.document.qr_codes.append(self._qr_data)
            self.document.events.append(f"[QR: {self._qr_data}]")

    def _dle(self, buf: bytes, at: int, replies: bytearray) -> int | None:
        if at + 2 >= len(buf):
            return None
        command, value = buf[at + 1], buf[at + 2]
        if command == 0x04:  # DLE EOT n: real-time status
            self.document.status_requests += 1
            answer = self.answer(value) if self.answer else None
            if answer:
                replies += answer
            return 3
        if command == 0x14:  # DLE DC4 fn m t: real-time drawer pulse
            if at + 4 >= len(buf):
                return None
            pin = 2 if buf[at + 3] == 0 else 5
            self.document.drawer_kicks.append(DrawerKick(pin, buf[at + 4] * 100))
            self.document.events.append(f"[drawer: pin {pin}]")
            return 5
        self.document.unknown.append(f"DLE {command}")
        return 2

    # -- text ----------------------------------------------------------------------

    def _flush_text(self) -> None:
        if self._text:
            self._end_line()

    def _end_line(self) -> None:
        text = bytes(self._text).decode(self.codec, "replace")
        self._text.clear()
        line = PrintedLine(text.rstrip(), self.bold, self.tall, self.wide, self.align)
        self.document.lines.append(line)
        self.document.events.append(_as_on_paper(line))


def _as_on_paper(line: PrintedLine) -> str:
    """A double-width line takes two columns a letter, as it does on paper."""
    if not line.wide:
        return line.text
    stripped = line.text.lstrip(" ")
    return "  " * (len(line.text) - len(stripped)) + " ".join(stripped)


def decode(data: bytes) -> PrintedDocument:
    """Everything in ``data`` at once (a file a printer adapter wrote)."""
    decoder = Decoder()
    decoder.feed(data)
    return decoder.close()
