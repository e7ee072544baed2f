"""Receipts on paper: the bytes the adapters send, read back by the simulator's decoder.

Every test prints over a real socket on loopback to the printer simulator, or to a real
file, and decodes what arrived: the letters through CP857, the columns, the QR code, the
cut and the drawer; and each fault a printer has (refused, silent, out of paper) comes
back as a ``PrinterFault`` within the profile's timeout.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from pos.domain.document import Size, turkish_upper
from pos.domain.receipt import receipt_document
from pos.printing.commands import document_bytes
from pos.printing.decode import Decoder, PrintedDocument, decode
from pos.printing.printers import PrinterFault, PrinterState, escpos_printer
from pos.printing.profile import WIDTHS, parse_connection, printer_profile
from pos.printing.simulator import PrinterSimulator
from pos.printing.test_page import TURKISH_LETTERS, printer_test_page
from tests.unit.test_receipt import sale

ORDER_ID = "0b9c6a52-5d3e-4c55-9d0e-2f7f3c1f4a10"
LONG_NAME = "Ülker Çikolatalı Gofret Şölen Büyük Boy Aile Paketi İkili Fırsat 24 x 36 g"


@pytest.fixture
def simulator() -> Iterator[PrinterSimulator]:
    with PrinterSimulator() as printer:
        yield printer


def receipt(width: int = 42, **changes: object):  # type: ignore[no-untyped-def]
    data = replace(sale(), order_id=ORDER_ID, **changes)
    return receipt_document(data, "tr", width, currency_sign=False)


def printed_on(simulator: PrinterSimulator, count: int = 1) -> PrintedDocument:
    documents = simulator.wait_for(count)
    assert len(documents) >= count
    return documents[count - 1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.mark.parametrize("width", WIDTHS)
def test_a_receipt_printed_over_the_network_reads_back_at_its_width(
    simulator: PrinterSimulator, width: int
) -> None:
    printer = escpos_printer(printer_profile(simulator.url, width=width))
    printer.print_document(receipt(width))

    paper = printed_on(simulator)
    assert paper.code_pages == ["CP857"]  # named on the document, never left to guessing
    for line in paper.lines:
        assert len(line.text) <= (width // 2 if line.wide else width), line
    assert any(line.text.startswith("TOPLAM") and line.bold and line.tall for line in paper.lines)
    total = next(line.text for line in paper.lines if line.text.startswith("TOPLAM"))
    assert total.endswith(" 105,73 TL")
    assert "₺" not in paper.text
    assert "Bilgi fişi: mali değeri yoktur" in paper.text
    assert paper.qr_codes == [ORDER_ID]
    assert paper.cuts == 1
    assert paper.drawer_kicks == []
    assert not paper.unknown


def test_turkish_letters_arrive_through_cp857_as_bytes_of_that_table(
    simulator: PrinterSimulator,
) -> None:
    printer = escpos_printer(printer_profile(simulator.url, width=32))
    printer.print_document(receipt(32, cashier="Işıl Çağrı Öztürk Ğüşi"))

    paper = printed_on(simulator)
    assert "Işıl Çağrı Öztürk Ğüşi" in paper.text
    assert "Işıl Çağrı".encode("cp857") in paper.raw
    assert "Işıl".encode() not in paper.raw
    assert b"\x1bt\x0d" in paper.raw  # ESC t 13: CP857


def test_a_long_product_name_wraps_within_the_columns(simulator: PrinterSimulator) -> None:
    data = sale()
    long_line = replace(data.lines[0], name=LONG_NAME)
    printer = escpos_printer(printer_profile(simulator.url, width=32))
    printer.print_document(receipt(32, lines=(long_line, *data.lines[1:])))

    texts = [line.text for line in printed_on(simulator).lines]
    first = next(i for i, text in enumerate(texts) if text.startswith("Ülker"))
    assert len(texts[first]) <= 32
    assert len(texts[first + 1]) <= 32
    # Two lines at most, then cut short; CP857 has no "…", so it prints as a full stop.
    assert texts[first + 1].endswith(".")
    assert texts[first + 2].startswith("  2 x ")


def test_the_shops_name_prints_double_size_in_turkish_capitals(
    simulator: PrinterSimulator,
) -> None:
    printer = escpos_printer(printer_profile(simulator.url))
    printer.print_document(receipt(header=("Şişli Işık Bakkal", "İstiklal Cd. 5")))

    first = printed_on(simulator).lines[0]
    assert (first.text.strip(), first.wide, first.tall, first.bold) == (
        "ŞİŞLİ IŞIK BAKKAL",
        True,
        True,
        True,
    )
    assert turkish_upper("ıi") == "Iİ"


def test_a_copy_says_kopya_above_and_below(simulator: PrinterSimulator) -> None:
    document = receipt_document(
        replace(sale(), order_id=ORDER_ID), "tr", 42, copy=True, currency_sign=False
    )
    escpos_printer(printer_profile(simulator.url)).print_document(document)

    texts = [line.text.strip() for line in printed_on(simulator).lines if line.text.strip()]
    assert texts[0] == texts[-1] == "*** KOPYA ***"


def test_a_cash_sale_kicks_the_drawer_before_the_receipt(simulator: PrinterSimulator) -> None:
    profile = printer_profile(simulator.url, drawer_pin=5, drawer_pulse_ms=120)
    escpos_printer(profile).print_document(receipt(), open_drawer=True)

    paper = printed_on(simulator)
    assert [(kick.pin, kick.pulse_ms) for kick in paper.drawer_kicks] == [(5, 120)]
    assert paper.events[0] == "[drawer: pin 5]"


def test_the_drawer_opens_alone(simulator: PrinterSimulator) -> None:
    escpos_printer(printer_profile(simulator.url)).open_drawer()

    paper = printed_on(simulator)
    assert len(paper.drawer_kicks) == 1
    assert not paper.printed


def test_a_file_printer_gets_the_same_bytes(tmp_path: Path, simulator: PrinterSimulator) -> None:
    target = tmp_path / "lp0"
    document = receipt(48)
    escpos_printer(printer_profile(f"file:{target}", width=48)).print_document(
        document, open_drawer=True
    )
    escpos_printer(printer_profile(simulator.url, width=48)).print_document(
        document, open_drawer=True
    )

    from_file = decode(target.read_bytes())
    assert from_file.text == printed_on(simulator).text
    assert from_file.qr_codes == [ORDER_ID]
    assert len(from_file.drawer_kicks) == 1
    assert all(len(line.text) <= 48 for line in from_file.lines)


def test_the_decoder_reads_a_job_split_anywhere(simulator: PrinterSimulator) -> None:
    profile = printer_profile(simulator.url)
    data = document_bytes(receipt(), profile, open_drawer=True)
    decoder = Decoder()
    for at in range(len(data)):
        decoder.feed(data[at : at + 1])

    assert decoder.close().text == decode(data).text


def test_a_refused_connection_is_a_fault_saying_unreachable() -> None:
    printer = escpos_printer(printer_profile(f"tcp://127.0.0.1:{free_port()}"))

    with pytest.raises(PrinterFault) as fault:
        printer.print_document(receipt())
    assert fault.value.state is PrinterState.UNREACHABLE
    assert printer.status().state is PrinterState.UNREACHABLE


def test_a_silent_printer_is_given_up_on_at_the_timeout(simulator: PrinterSimulator) -> None:
    simulator.silent = True
    printer = escpos_printer(printer_profile(simulator.url, timeout_seconds=0.5))

    started = time.monotonic()
    with pytest.raises(PrinterFault) as fault:
        printer.print_document(receipt(), open_drawer=True)
    waited = time.monotonic() - started
    assert fault.value.state is PrinterState.NO_ANSWER
    assert waited < 5  # the deadline, not the simulator's idle time
    assert simulator.printed == []


def test_out_of_paper_prints_nothing_but_still_opens_the_drawer(
    simulator: PrinterSimulator,
) -> None:
    simulator.paper_out = True
    printer = escpos_printer(printer_profile(simulator.url))

    assert printer.status().state is PrinterState.PAPER_OUT
    with pytest.raises(PrinterFault) as fault:
        printer.print_document(receipt(), open_drawer=True)
    assert fault.value.state is PrinterState.PAPER_OUT
    jobs = simulator.wait_for(2)  # the status asked, then the receipt: ended in either order
    assert not any(job.printed for job in jobs)
    assert sum(len(job.drawer_kicks) for job in jobs) == 1


def test_low_paper_still_prints(simulator: PrinterSimulator) -> None:
    simulator.paper_low = True
    printer = escpos_printer(printer_profile(simulator.url))

    assert printer.status().state is PrinterState.PAPER_LOW
    printer.print_document(receipt())
    assert any(job.printed for job in simulator.wait_for(2))


@pytest.mark.parametrize("width", WIDTHS)
def test_the_test_page_has_every_turkish_letter_the_ruler_and_a_cut(
    simulator: PrinterSimulator, width: int
) -> None:
    profile = printer_profile(simulator.url, width=width)
    escpos_printer(profile).print_document(printer_test_page(profile))

    paper = printed_on(simulator)
    texts = [line.text for line in paper.lines]
    assert TURKISH_LETTERS in texts
    assert "İSTANBUL ILIK ŞİŞ" in texts
    ruler = next(text for text in texts if text.startswith("1234567890"))
    assert len(ruler) == width
    columns = next(text for text in texts if text.startswith("Sol / Left"))
    assert len(columns) == width
    assert columns.endswith("Sağ / Right")
    assert any(line.wide for line in paper.lines)
    assert paper.cuts == 1


def test_pos_printer_test_prints_to_whatever_listens(
    simulator: PrinterSimulator, capsys: pytest.CaptureFixture[str]
) -> None:
    from pos.cli import main

    assert main(["printer", "test", "--printer", simulator.url, "--width", "32"]) == 0
    assert TURKISH_LETTERS in printed_on(simulator).text
    assert main(["printer", "test", "--printer", f"tcp://127.0.0.1:{free_port()}"]) == 1
    assert "did not print" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("tcp://192.168.1.50:9100", "tcp"),
        ("tcp://yazici.local", "tcp"),
        ("usb:04b8:0e15", "usb"),
        ("serial:/dev/ttyS0?baud=19200", "serial"),
        ("file:/dev/usb/lp0", "file"),
    ],
)
def test_a_printer_is_named_by_a_connection_url(url: str, kind: str) -> None:
    assert parse_connection(url).kind == kind


@pytest.mark.parametrize("url", ["http://x:9100", "tcp://", "usb:4b8:e15", "lp0", "serial:ttyS0"])
def test_a_connection_that_is_none_of_the_four_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="is not a printer"):
        parse_connection(url)


@pytest.mark.parametrize(
    "given",
    [{"width": 40}, {"code_page": "CP437"}, {"drawer_pin": 3}, {"timeout_seconds": 0}],
)
def test_a_profile_a_printer_cannot_have_is_refused(given: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"width|code page|drawer|timeout"):
        printer_profile("tcp://127.0.0.1:9100", **given)


def test_a_double_line_prints_half_as_many_columns() -> None:
    document = receipt(32)
    doubles = [line for line in document.lines if line.size is Size.DOUBLE]
    assert doubles
    assert all(len(line.text) <= 16 for line in doubles)
