"""The till's receipt printer: a protocol, and its adapters on python-escpos.

:class:`ReceiptPrinter` is all the till asks of a printer: print a document (opening the
cash drawer first when the sale took cash), open the drawer alone, and say how it is.
:class:`EscposPrinter` does it over any of python-escpos's connections: a network
printer (raw TCP, port 9100), USB, a serial port, or a file (a device node such as
``/dev/usb/lp0``, or a plain file to look at).

Every call has a deadline (the profile's ``timeout_seconds``), connecting included: the
call runs on a thread of its own and the caller stops waiting when it passes, whatever
the device does (a USB or serial write can block longer than its own timeout says). A
printer that cannot print raises :class:`PrinterFault` with what is wrong; it never
undoes anything (the sale is paid before anything is printed).
"""

from __future__ import annotations

import enum
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from pos.domain.document import Document
from pos.printing.commands import document_bytes, drawer_bytes
from pos.printing.profile import PrinterProfile

if TYPE_CHECKING:  # python-escpos loads its printer profiles at import: a printer's
    # first job imports it (pos.printing.commands), never the till's start-up
    from escpos.escpos import Escpos

log = logging.getLogger(__name__)

STATUS_PRINTER = b"\x10\x04\x01"  # DLE EOT 1: online or not
STATUS_PAPER = b"\x10\x04\x04"  # DLE EOT 4: the paper sensors
_OFFLINE = 0x08
_PAPER_NEAR_END = 0x0C
_PAPER_END = 0x60


class PrinterState(enum.Enum):
    READY = "ready"
    PAPER_LOW = "paper_low"
    """Near the end of the roll: it prints, but the cashier should change it soon."""
    PAPER_OUT = "paper_out"
    OFFLINE = "offline"
    """Answers, but will not print (cover open, paper out, an error)."""
    UNREACHABLE = "unreachable"
    """Nothing there: refused, no such device, no route."""
    NO_ANSWER = "no_answer"
    """Connected but silent past the deadline."""
    UNKNOWN = "unknown"
    """The connection cannot tell (a plain file): printing is tried regardless."""

    @property
    def prints(self) -> bool:
        return self in (PrinterState.READY, PrinterState.PAPER_LOW, PrinterState.UNKNOWN)


@dataclass(frozen=True)
class PrinterStatus:
    state: PrinterState
    detail: str = ""


class PrinterFault(Exception):
    """The printer did not print (or open the drawer); ``state`` says why."""

    def __init__(self, state: PrinterState, detail: str = "") -> None:
        super().__init__(f"{state.value}: {detail}" if detail else state.value)
        self.state = state
        self.detail = detail


class ReceiptPrinter(Protocol):
    """What the till asks of a receipt printer (a fiscal ÖKC will stand behind it too)."""

    profile: PrinterProfile

    def print_document(self, document: Document, *, open_drawer: bool = False) -> None:
        """Print ``document``; with ``open_drawer``, kick the cash drawer first. Raises
        :class:`PrinterFault`; a drawer asked for is kicked even when the paper is out."""

    def open_drawer(self) -> None:
        """Open the cash drawer. Raises :class:`PrinterFault`."""

    def status(self) -> PrinterStatus:
        """How the printer is, within the deadline; never raises."""


class EscposPrinter:
    """A :class:`ReceiptPrinter` on a python-escpos connection, one connection per call."""

    def __init__(self, profile: PrinterProfile) -> None:
        self.profile = profile

    def print_document(self, document: Document, *, open_drawer: bool = False) -> None:
        data = document_bytes(document, self.profile, open_drawer=open_drawer)
        kick = drawer_bytes(self.profile) if open_drawer else b""

        def job(device: Escpos) -> None:
            state = self._ask(device)
            if not state.prints:
                if kick and state is PrinterState.PAPER_OUT:
                    device._raw(kick)  # the drawer is wired to the printer, not its paper
                raise PrinterFault(state)
            device._raw(data)

        self._call(job)

    def open_drawer(self) -> None:
        kick = drawer_bytes(self.profile)
        self._call(lambda device: device._raw(kick))

    def status(self) -> PrinterStatus:
        try:
            return PrinterStatus(self._call(self._ask))
        except PrinterFault as fault:
            return PrinterStatus(fault.state, fault.detail)

    # -- the connection ----------------------------------------------------------------

    def _ask(self, device: Escpos) -> PrinterState:
        """The state the printer's status bytes give; UNKNOWN where it cannot answer."""
        if self.profile.connection.kind == "file":
            return PrinterState.UNKNOWN
        online = _status_byte(device, STATUS_PRINTER)
        paper = _status_byte(device, STATUS_PAPER)
        if paper & _PAPER_END == _PAPER_END:
            return PrinterState.PAPER_OUT
        if online & _OFFLINE:
            return PrinterState.OFFLINE
        if paper & _PAPER_NEAR_END == _PAPER_NEAR_END:
            return PrinterState.PAPER_LOW
        return PrinterState.READY

    def _call(self, job: Callable[[Escpos], Any]) -> Any:
        """``job`` on an open connection, within the profile's deadline."""
        outcome: dict[str, Any] = {}
        holder: dict[str, Escpos] = {}

        def run() -> None:
            try:
                device = self._device()
                holder["device"] = device
                device.open()
                outcome["value"] = job(device)
            except BaseException as error:  # handed to the caller below
                outcome["error"] = error
            finally:
                _close(holder.get("device"))

        worker = threading.Thread(target=run, name="printer", daemon=True)
        worker.start()
        worker.join(self.profile.timeout_seconds)
        if worker.is_alive():
            _close(holder.get("device"))  # unblocks a socket; a stuck device thread dies later
            raise PrinterFault(
                PrinterState.NO_ANSWER, f"no answer within {self.profile.timeout_seconds:g} s"
            )
        error = outcome.get("error")
        if error is not None:
            raise _fault(error) from error
        return outcome.get("value")

    def _device(self) -> Escpos:
        connection, seconds = self.profile.connection, self.profile.timeout_seconds
        if connection.kind == "tcp":
            from escpos.printer import Network

            return Network(connection.host, connection.port, timeout=seconds)
        if connection.kind == "usb":
            from escpos.printer import Usb

            _needs(Usb.is_usable(), "usb")
            return Usb(connection.vendor_id, connection.product_id, timeout=int(seconds * 1000))
        if connection.kind == "serial":
            from escpos.printer import Serial

            _needs(Serial.is_usable(), "serial")
            return Serial(connection.device, connection.baudrate, timeout=seconds)
        from escpos.printer import File

        return File(connection.device)


def _needs(usable: bool, extra: str) -> None:
    if not usable:
        raise PrinterFault(
            PrinterState.UNREACHABLE,
            f"a {extra} printer needs python-escpos[{extra}]: pip install 'python-escpos[{extra}]'",
        )


def _status_byte(device: Escpos, request: bytes) -> int:
    device._raw(request)
    answer = device._read()
    if not answer:
        raise PrinterFault(PrinterState.NO_ANSWER, "the printer sent no status")
    return int(answer[-1])


def _close(device: Escpos | None) -> None:
    if device is None:
        return
    try:
        device.close()
    except Exception:  # closing a device that failed to open says nothing new
        log.debug("closing the printer failed", exc_info=True)


def _fault(error: BaseException) -> PrinterFault:
    if isinstance(error, PrinterFault):
        return error
    if isinstance(error, TimeoutError):
        return PrinterFault(PrinterState.NO_ANSWER, str(error) or "timed out")
    cause = error.__cause__ or error.__context__
    if isinstance(cause, TimeoutError):
        return PrinterFault(PrinterState.NO_ANSWER, str(cause) or "timed out")
    return PrinterFault(PrinterState.UNREACHABLE, " ".join(str(error).split()))


def escpos_printer(profile: PrinterProfile) -> ReceiptPrinter:
    """The printer a till's profile describes."""
    return EscposPrinter(profile)
