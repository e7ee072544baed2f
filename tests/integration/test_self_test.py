"""``pos --self-test`` without a window: it passes on a sound till and fails, saying what
did not hold, on a till broken where a bundle could break.

The self-test always sells in its own demo shop (a SQLite file in a temporary folder),
whatever store the tests run against: that is what it is for.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from pos import __version__
from pos.cli import main
from pos.domain.results import Ok
from pos.runtime import self_test
from pos.runtime.self_test import PaidSale, demo_shop, sell_through_services


def run(capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["--self-test"])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_sound_till_passes_after_a_cash_and_a_card_sale(capsys):
    code, out, err = run(capsys)

    assert (code, err) == (0, "")
    assert out.startswith(f"Kasa {__version__} self-test passed: cash sale ")
    assert ", card sale " in out


def test_version_prints_the_release(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--version"])

    assert done.value.code == 0
    assert capsys.readouterr().out == f"Kasa {__version__}\n"


def test_stock_that_does_not_move_fails_the_self_test(capsys, monkeypatch):
    # A checkout that takes the money and forgets the shelf.
    monkeypatch.setattr("pos.services.payments._consume_stock", lambda *args, **kwargs: None)

    code, out, err = run(capsys)

    assert (code, out) == (1, "")
    assert "self-test FAILED" in err
    assert "reserved, not" in err  # the line says what the stock is and should be


def test_a_receipt_without_the_sale_on_it_fails_the_self_test(capsys, monkeypatch):
    monkeypatch.setattr(
        "pos.services.receipts.render_receipt", lambda data, locale, copy=False: "KASA\n"
    )

    code, _out, err = run(capsys)

    assert code == 1
    assert "printed receipt does not name" in err


def test_a_demo_shop_with_empty_shelves_fails_the_self_test(capsys, monkeypatch):
    # The demo loads its products but receives no stock: nothing can be sold.
    monkeypatch.setattr("pos.services.demo.receive_stock", lambda *args, **kwargs: Ok(None))

    code, _out, err = run(capsys)

    assert code == 1
    assert "too few to sell" in err


def test_a_till_that_breaks_outright_fails_with_what_broke(capsys, monkeypatch):
    def broken(*args, **kwargs):
        raise ImportError("No module named 'alembic.ddl.sqlite'")

    monkeypatch.setattr(self_test, "upgrade", broken)

    code, _out, err = run(capsys)

    assert code == 1
    assert "self-test FAILED: ImportError: No module named 'alembic.ddl.sqlite'" in err


def test_each_failed_check_is_named():
    with demo_shop() as shop:
        cash, card = sell_through_services(shop)
        # The card sale's receipt judged as the cash sale's, and the cash sale's stock
        # against a shelf that held one more.
        planned = replace(cash.planned, available_before=cash.planned.available_before + 1)
        mixed = PaidSale(planned, card.order_id)

        with pytest.raises(self_test.SelfTestFailed) as failed:
            self_test.check_sale(shop.till.uow(), mixed)

    said = str(failed.value)
    assert said.count("; ") == 1  # both checks failed, each said
    assert "the cash sale's receipt lists" in said
    assert f"{cash.planned.name} has" in said
