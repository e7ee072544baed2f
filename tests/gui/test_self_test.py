"""``kasa --self-test`` with its window part: the demo till driven by keys, off-screen.

The same code path the bundle runs (``ui.launcher`` hands ``ui.self_test`` to the
command line), without PyInstaller: CI checks the built bundle with it after the suite.
"""

from __future__ import annotations

from pos.cli import main
from ui import self_test
from ui.launcher import sell_in_window


def test_the_window_rings_up_and_pays_both_sales_and_the_store_agrees(qapp, capsys):
    code = main(["--self-test"], sell_in_window=sell_in_window)

    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    assert "self-test passed: cash sale " in out


def test_a_scan_the_till_refuses_fails_with_the_tills_own_words(qapp, capsys, monkeypatch):
    # A till whose catalogue lost its barcodes: the window says so in its banner.
    monkeypatch.setattr("pos.services.weighing.product_on_sale", lambda *args: None)

    code = main(["--self-test"], sell_in_window=sell_in_window)

    err = capsys.readouterr().err
    assert code == 1
    assert "the till did not ring up 2 x " in err
    assert "it says" in err


def test_a_window_that_shows_another_receipt_than_the_store_holds_fails(qapp, capsys, monkeypatch):
    real = self_test._Driver.sell

    def sell_and_misread(driver, planned, currency):
        paid = real(driver, planned, currency)
        return type(paid)(paid.planned, paid.order_id, shown_receipt="KASA\n")

    monkeypatch.setattr(self_test._Driver, "sell", sell_and_misread)

    code = main(["--self-test"], sell_in_window=sell_in_window)

    assert code == 1
    assert "is not the one in the store" in capsys.readouterr().err


def test_a_till_that_prints_nothing_fails(qapp, capsys, monkeypatch):
    # The window is handed no printer, so nothing reaches the demo's printer simulator,
    # which the check still reads.
    real = self_test.show_till

    def show_without_printer(till, **kwargs):
        kwargs["printer"] = None
        return real(till, **kwargs)

    monkeypatch.setattr(self_test, "show_till", show_without_printer)
    monkeypatch.setattr("pos.runtime.self_test.PRINT_WAIT_SECONDS", 0.5)

    code = main(["--self-test"], sell_in_window=sell_in_window)

    err = capsys.readouterr().err
    assert code == 1
    assert "receipt T01-000001 was not printed" in err
    assert "the cash sale did not open the drawer" in err
