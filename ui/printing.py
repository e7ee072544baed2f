"""Operation factories for the receipt printer, run on the till's printing worker.

Printing is two steps on two workers: the receipt is read on the store's worker like
every use case, and sent on a worker of its own, so a printer that takes its whole
timeout never holds up the next scan or a card payment's questions. None of these
functions touches a widget.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from uuid import UUID

from pos.bootstrap import Till
from pos.domain.document import Document
from pos.domain.payments import PaymentMethod
from pos.domain.receipt import ReceiptData, receipt_document
from pos.domain.results import Err, Ok, Result
from pos.printing.printers import PrinterFault, PrinterState, PrinterStatus, ReceiptPrinter
from pos.printing.simulator import PrinterSimulator
from pos.services.drawer import open_drawer_without_sale
from pos.services.receipts import printed_receipt, receipt_data
from ui.i18n import N_, _

PROBLEMS = {
    PrinterState.PAPER_OUT: N_("out of paper"),
    PrinterState.PAPER_LOW: N_("paper running low"),
    PrinterState.OFFLINE: N_("offline (cover open or an error)"),
    PrinterState.UNREACHABLE: N_("not reachable (off or unplugged?)"),
    PrinterState.NO_ANSWER: N_("not answering"),
    PrinterState.READY: N_("ready"),
    PrinterState.UNKNOWN: N_("ready"),
}


def problem(state: PrinterState) -> str:
    """How the printer is, in the cashier's language."""
    return _(PROBLEMS[state])


@dataclass(frozen=True)
class ReceiptJob:
    """A paid sale's receipt (or a return's refund receipt), ready for the printer: what
    to print and whether the drawer opens with it."""

    order_id: UUID
    """The sale's id, or the return's: the key it is kept under to print again."""
    document: Document
    open_drawer: bool

    def again(self) -> ReceiptJob:
        """The same receipt printed again: the drawer opened (or not) the first time."""
        return replace(self, open_drawer=False)


@dataclass(frozen=True)
class Printed:
    """How a job went: ``fault`` None when it printed."""

    job: ReceiptJob
    fault: PrinterFault | None = None
    came_out: str | None = None
    """What the demo's simulated printer printed, decoded; None from a real printer."""


def took_cash(data: ReceiptData) -> bool:
    """Whether any tender of the sale was cash: the drawer opens for it."""
    return any(tender.method is PaymentMethod.CASH for tender in data.tenders)


def receipt_job(
    till: Till, printer: ReceiptPrinter, order_id: UUID, locale: str
) -> Result[ReceiptJob]:
    """The sale's receipt laid out for ``printer`` (on the store's worker)."""
    data = receipt_data(till.uow(), order_id)
    if isinstance(data, Err):
        return data
    document = receipt_document(data.value, locale, printer.profile.width, currency_sign=False)
    return Ok(ReceiptJob(order_id, document, took_cash(data.value)))


def copy_job(
    till: Till, printer: ReceiptPrinter, order_id: UUID, locale: str
) -> Result[ReceiptJob]:
    """A copy of the sale's receipt ("KOPYA"), never with the drawer."""
    document = printed_receipt(
        till.uow(), order_id, locale=locale, width=printer.profile.width, copy=True
    )
    if isinstance(document, Err):
        return document
    return Ok(ReceiptJob(order_id, document.value, open_drawer=False))


def print_job(
    printer: ReceiptPrinter, job: ReceiptJob, simulator: PrinterSimulator | None = None
) -> Printed:
    """Send the job (on the printing worker); a fault is an answer, not an error. With the
    demo's ``simulator``, wait for it to have read the job, and answer what it printed."""
    jobs_before = len(simulator.documents) if simulator is not None else 0
    try:
        printer.print_document(job.document, open_drawer=job.open_drawer)
    except PrinterFault as fault:
        return Printed(job, fault)
    if simulator is None:
        return Printed(job)
    # The printer hung up when it had sent; the simulator may still be reading its end.
    documents = simulator.wait_for(jobs_before + 1, timeout=printer.profile.timeout_seconds)
    return Printed(job, came_out=documents[-1].text if len(documents) > jobs_before else None)


def record_drawer_opening(till: Till, user_id: int, reason: str) -> Result[str]:
    """The opening on the record (on the store's worker); the drawer opens only after."""
    return open_drawer_without_sale(till.uow(), user_id=user_id, reason=reason)


def kick_drawer(printer: ReceiptPrinter) -> PrinterFault | None:
    """Open the drawer (on the printing worker); the fault if it could not."""
    try:
        printer.open_drawer()
    except PrinterFault as fault:
        return fault
    return None


def printer_status(printer: ReceiptPrinter) -> PrinterStatus:
    return printer.status()


def fault_state(printed: Printed) -> PrinterState | None:
    return printed.fault.state if printed.fault is not None else None
