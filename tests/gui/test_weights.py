"""Weighed goods at the till's window: a weight typed before the star, read from the scale
or asked for; the line reads "1,250 kg" at its price per kilo."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from pos.bootstrap import attach_scale
from pos.domain.scale_barcodes import PRESETS, scale_barcode
from pos.runtime.scale import ScaleSimulator, tcp_scale
from pos.services.catalogue import ProductDraft, create_product
from pos.services.stock import receive_stock, stock_levels
from tests.conftest import value
from tests.gui.conftest import Shop, make_window, scan, settle, sign_in
from ui.models import CartModel
from ui.till import TillWindow


@pytest.fixture
def tomatoes(shop: Shop) -> int:
    uow = shop.till.uow()
    draft = ProductDraft(
        sku="DOMATES-KG", name="Domates", price_minor=34_90, sale_unit="kg", scale_code="101"
    )
    product = value(create_product(uow, draft)).id
    value(receive_stock(uow, product, 50_000, user_id=shop.manager.id))
    return product


@pytest.fixture
def scale() -> Iterator[ScaleSimulator]:
    with ScaleSimulator(period=0.02) as simulator:
        yield simulator


def held(shop: Shop, product: int) -> tuple[int, int]:
    level = value(stock_levels(shop.till.uow(), [product]))[0]
    return level.available, level.reserved


def shown(window: TillWindow) -> list[tuple[str, str, str]]:
    model = window.cart_model
    return [
        tuple(
            model.index(row, column).data()
            for column in (CartModel.QUANTITY, CartModel.UNIT_PRICE, CartModel.LINE_TOTAL)
        )
        for row in range(model.rowCount())
    ]


def test_a_weight_typed_before_the_star_shows_kilos_at_the_price_per_kilo(
    qtbot: QtBot, window: TillWindow, shop: Shop, tomatoes: int
) -> None:
    sign_in(qtbot, window, shop.cashier, "1111")

    scan(qtbot, window, "1,250*DOMATES-KG")

    assert shown(window) == [("1,250 kg", "₺34,90/kg", "₺43,63")]
    assert held(shop, tomatoes) == (48_750, 1250)


def test_a_weighed_product_scanned_alone_reads_the_scale(
    qtbot: QtBot, shop: Shop, tomatoes: int, scale: ScaleSimulator
) -> None:
    scale.put(980)
    attach_scale(shop.till, tcp_scale(*scale.address))
    window = make_window(qtbot, shop, None)
    sign_in(qtbot, window, shop.cashier, "1111")

    scan(qtbot, window, "DOMATES-KG")
    qtbot.waitUntil(lambda: window.cart_model.rowCount() == 1)
    settle(qtbot, window)

    assert shown(window) == [("0,980 kg", "₺34,90/kg", "₺34,20")]
    assert window.weight_dialog is None
    window.close()


def test_without_a_scale_the_weight_is_asked_and_a_wrong_one_asked_again(
    qtbot: QtBot, window: TillWindow, shop: Shop, tomatoes: int
) -> None:
    sign_in(qtbot, window, shop.cashier, "1111")

    scan(qtbot, window, "DOMATES-KG")
    qtbot.waitUntil(lambda: window.weight_dialog is not None)
    dialog = window.weight_dialog
    assert dialog is not None
    assert dialog.question.text().startswith("Domates tartılarak satılır")
    qtbot.keyClicks(dialog.entry, "1,2345")
    qtbot.keyClick(dialog.entry, Qt.Key.Key_Return)
    settle(qtbot, window)
    qtbot.waitUntil(lambda: window.weight_dialog is not None)
    again = window.weight_dialog
    assert again is not None
    assert again.problem.text() == "Ağırlıkta en çok üç ondalık olur (gram): örn. 1,250"
    assert held(shop, tomatoes) == (50_000, 0)

    qtbot.keyClicks(again.entry, "0,5")
    qtbot.keyClick(again.entry, Qt.Key.Key_Return)
    settle(qtbot, window)

    assert shown(window) == [("0,500 kg", "₺34,90/kg", "₺17,45")]
    assert held(shop, tomatoes) == (49_500, 500)


def test_a_scale_barcode_rings_up_its_weight_and_a_misread_one_nothing(
    qtbot: QtBot, window: TillWindow, shop: Shop, tomatoes: int
) -> None:
    sign_in(qtbot, window, shop.cashier, "1111")
    good = scale_barcode(PRESETS["27-weight"], "101", 1250)

    scan(qtbot, window, good[:12] + str((int(good[12]) + 5) % 10))
    assert window.banner.text().startswith("Terazi barkodu okunamadı (kontrol hanesi yanlış)")
    assert window.cart_model.rowCount() == 0

    scan(qtbot, window, good)
    assert shown(window) == [("1,250 kg", "₺34,90/kg", "₺43,63")]
