"""The till's receipt printer as the settings describe it, or the demo's simulated one.

``pos --demo`` runs a :class:`~pos.printing.simulator.PrinterSimulator` in-process on a
free loopback port, as it runs the simulated card terminal, so a demo sale prints for
real (over TCP, in ESC/POS) and the receipt screen can show what came out. A demo with a
printer in its settings (``POS_PRINTER_URL``) prints there instead: the way to try a real
printer, or ``pos printer-sim --paper-out``, with the demo shop.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from pos.printing.printers import ReceiptPrinter, escpos_printer
from pos.printing.profile import PrinterProfile, printer_profile
from pos.printing.simulator import PrinterSimulator
from pos.settings import Settings

log = logging.getLogger(__name__)

DEMO_TIMEOUT_SECONDS = 3.0


@dataclass
class TillPrinter:
    """The printer a till prints on; ``simulator`` is the demo's, running in-process."""

    printer: ReceiptPrinter
    simulator: PrinterSimulator | None = None

    @property
    def profile(self) -> PrinterProfile:
        return self.printer.profile

    def stop(self) -> None:
        if self.simulator is not None:
            self.simulator.stop()


def till_printer(settings: Settings, *, demo: bool) -> TillPrinter | None:
    """The configured printer, else the demo's simulated one (started), else None."""
    if demo and settings.printer is None:
        simulator = PrinterSimulator("127.0.0.1", 0).start()
        profile = printer_profile(simulator.url, timeout_seconds=DEMO_TIMEOUT_SECONDS)
        return TillPrinter(escpos_printer(profile), simulator)
    if settings.printer is None:
        return None
    return TillPrinter(escpos_printer(settings.printer))
