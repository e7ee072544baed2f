"""A till's printer as its settings describe it: where it is and what it can do."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

WIDTHS = (32, 42, 48)
"""Columns of the normal font: 58 mm paper, 80 mm paper, 80 mm with the small margins."""
CODE_PAGES = {"CP857": 13, "CP1254": 48}
"""The code pages with every Turkish letter, and the ``ESC t`` table most printers give them
(python-escpos's default profile). CP857 is what Turkish thermal printers ship with."""
DEFAULT_CODE_PAGE = "CP857"
DRAWER_PINS = (2, 5)
DEFAULT_PORT = 9100
DEFAULT_TIMEOUT_SECONDS = 5.0
MAX_TIMEOUT_SECONDS = 60.0

_TCP = re.compile(r"tcp://(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::(?P<port>\d{1,5}))?/?")
_USB = re.compile(r"usb:(?P<vendor>[0-9A-Fa-f]{4}):(?P<product>[0-9A-Fa-f]{4})")
_SERIAL = re.compile(r"serial:(?P<device>/[^\s?]+|COM\d+)(?:\?baud=(?P<baud>\d{3,7}))?")
_FILE = re.compile(r"file:(?P<path>[^\s]+)")


@dataclass(frozen=True)
class Connection:
    """Where the printer is: one of the four ways python-escpos reaches one."""

    kind: str
    """``tcp``, ``usb``, ``serial`` or ``file``."""
    host: str = ""
    port: int = DEFAULT_PORT
    vendor_id: int = 0
    product_id: int = 0
    device: str = ""
    """The serial device or the file's path."""
    baudrate: int = 9600

    def __str__(self) -> str:
        if self.kind == "tcp":
            return f"tcp://{self.host}:{self.port}"
        if self.kind == "usb":
            return f"usb:{self.vendor_id:04x}:{self.product_id:04x}"
        if self.kind == "serial":
            return f"serial:{self.device}?baud={self.baudrate}"
        return f"file:{self.device}"


def parse_connection(url: str) -> Connection:
    """``tcp://host:9100``, ``usb:04b8:0e15``, ``serial:/dev/ttyS0[?baud=19200]`` or
    ``file:/dev/usb/lp0``; ``ValueError`` saying which forms there are otherwise."""
    if isinstance(url, str):
        if match := _TCP.fullmatch(url):
            port = int(match["port"] or DEFAULT_PORT)
            if 0 < port <= 65535:
                return Connection("tcp", host=match["host"].strip("[]"), port=port)
        elif match := _USB.fullmatch(url):
            return Connection(
                "usb", vendor_id=int(match["vendor"], 16), product_id=int(match["product"], 16)
            )
        elif match := _SERIAL.fullmatch(url):
            return Connection("serial", device=match["device"], baudrate=int(match["baud"] or 9600))
        elif match := _FILE.fullmatch(url):
            return Connection("file", device=match["path"])
    raise ValueError(
        f"{url!r} is not a printer: write tcp://HOST:9100, usb:VID:PID (hex), "
        "serial:/dev/ttyS0 or file:/PATH"
    )


@dataclass(frozen=True)
class PrinterProfile:
    """One till's receipt printer (``[printer]`` in the settings)."""

    connection: Connection
    width: int = 42
    code_page: str = DEFAULT_CODE_PAGE
    """Set by name on every document: never python-escpos's automatic choice, which
    switches tables mid-line and gets Turkish letters wrong on many printers."""
    cutter: bool = True
    drawer_pin: int = 2
    drawer_pulse_ms: int = 100
    """How long the drawer's solenoid is driven; most drawers want 50-200 ms."""
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    """The longest any one call to the printer may take, connecting included."""

    def __post_init__(self) -> None:
        if self.width not in WIDTHS:
            raise ValueError(f"a printer's width is one of {WIDTHS} columns, not {self.width!r}")
        if self.code_page not in CODE_PAGES:
            raise ValueError(
                f"the code page must be one of {', '.join(CODE_PAGES)} (with Turkish letters), "
                f"not {self.code_page!r}"
            )
        if self.drawer_pin not in DRAWER_PINS:
            raise ValueError(f"the drawer is on pin 2 or 5, not {self.drawer_pin!r}")
        if not 10 <= self.drawer_pulse_ms <= 500:
            raise ValueError(f"the drawer's pulse is 10-500 ms, not {self.drawer_pulse_ms!r}")
        if not (
            isinstance(self.timeout_seconds, int | float)
            and math.isfinite(self.timeout_seconds)
            and 0 < self.timeout_seconds <= MAX_TIMEOUT_SECONDS
        ):
            raise ValueError(f"the printer's timeout is over 0 and up to {MAX_TIMEOUT_SECONDS} s")

    @property
    def encoding(self) -> str:
        """Python's codec for the code page."""
        return self.code_page.lower()

    @property
    def code_page_table(self) -> int:
        return CODE_PAGES[self.code_page]


def printer_profile(url: str, **given: object) -> PrinterProfile:
    """A profile from a connection URL and the settings' other keys (``ValueError`` if bad)."""
    return PrinterProfile(parse_connection(url), **given)  # type: ignore[arg-type]
