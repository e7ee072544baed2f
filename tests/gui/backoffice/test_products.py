"""The products page, driven as a manager would: search, page, edit, import."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QFileDialog, QLabel, QPushButton, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from pos.domain.messages import render
from pos.domain.results import Code, Err
from pos.services.catalogue import find_product
from pos.store.models import AuditEntry, Product
from tests.conftest import error, value
from tests.gui.backoffice.conftest import settle, shoot
from tests.gui.conftest import AYRAN, Shop
from ui.backoffice.common import Context
from ui.backoffice.products import ImportDialog, ProductsPage
from ui.i18n import _, set_language


@pytest.fixture
def page(qtbot: QtBot, context: Context) -> Iterator[ProductsPage]:
    shown = ProductsPage(context, search_delay_ms=100)
    qtbot.addWidget(shown)
    shown.resize(1100, 720)
    shown.show()
    shown.retranslate()
    shown.refresh()
    settle(qtbot, context)
    yield shown
    if shown.import_dialog is not None:
        shown.import_dialog.close()


def skus(page: ProductsPage) -> list[str]:
    return [row.sku for row in page.model.rows]


def product_count(shop: Shop) -> int:
    with shop.till.engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(Product)).scalar_one()


def audit(shop: Shop, action: str) -> list[AuditEntry]:
    with shop.till.engine.connect() as connection:
        return list(connection.execute(select(AuditEntry).where(AuditEntry.action == action)))


def choose_row(qtbot: QtBot, page: ProductsPage, sku: str) -> None:
    row = skus(page).index(sku)
    rect = page.table.visualRect(page.model.index(row, 0))
    qtbot.mouseClick(page.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert page.editing is not None
    assert page.editing.sku == sku


def type_text(qtbot: QtBot, widget: QWidget, text: str) -> None:
    """Type ``text`` key by key; QTest only knows ASCII keys, so a Turkish letter is sent
    as the key event a Turkish keyboard makes: an unknown key carrying the letter."""
    for letter in text:
        if letter.isascii():
            qtbot.keyClicks(widget, letter)
            continue
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            event = QKeyEvent(kind, Qt.Key.Key_unknown, Qt.KeyboardModifier.NoModifier, letter)
            QApplication.sendEvent(widget, event)


def fill(qtbot: QtBot, page: ProductsPage, **fields: str) -> None:
    for name, text in fields.items():
        field = getattr(page, name)
        field.clear()
        type_text(qtbot, field, text)


# -- the list -----------------------------------------------------------------------


def test_the_catalogue_is_listed_by_sku_a_page_at_a_time(qtbot, context, shop):
    page = ProductsPage(context, page_size=2)
    qtbot.addWidget(page)
    page.show()
    page.retranslate()
    page.refresh()
    settle(qtbot, context)

    assert skus(page) == ["AYRAN-300", "CAY-1KG"]
    assert not page.previous_button.isEnabled()
    qtbot.mouseClick(page.next_button, Qt.MouseButton.LeftButton)
    settle(qtbot, context)
    assert skus(page) == ["KAHVE-100", "PEYNIR-500"]
    qtbot.mouseClick(page.next_button, Qt.MouseButton.LeftButton)
    settle(qtbot, context)
    assert skus(page) == ["SUT-1L"]
    assert not page.next_button.isEnabled()
    assert page.page_label.text() == _("Page {number}").format(number=3)
    qtbot.mouseClick(page.previous_button, Qt.MouseButton.LeftButton)
    settle(qtbot, context)
    assert skus(page) == ["KAHVE-100", "PEYNIR-500"]
    qtbot.mouseClick(page.previous_button, Qt.MouseButton.LeftButton)
    settle(qtbot, context)
    assert skus(page) == ["AYRAN-300", "CAY-1KG"]
    assert page.model.data(page.model.index(0, 3)) == "₺12,50"
    assert page.model.data(page.model.index(0, 5)) == "10"  # on hand


def test_typing_searches_once_it_pauses_and_starts_from_the_first_page(qtbot, page, context):
    resets: list[int] = []
    page.model.modelReset.connect(lambda: resets.append(1))

    type_text(qtbot, page.search, "süt")
    qtbot.waitUntil(lambda: skus(page) == ["SUT-1L", "AYRAN-300"], timeout=5_000)
    settle(qtbot, context)

    assert len(resets) == 1  # one question for the whole word, not one per letter
    assert page.cursors == [None]
    qtbot.keyClicks(page.search, " pinar")
    qtbot.waitUntil(lambda: skus(page) == ["SUT-1L"], timeout=5_000)


def test_an_answer_to_an_older_search_is_dropped(qtbot, page, context):
    resets: list[int] = []
    page.model.modelReset.connect(lambda: resets.append(1))

    page.search.setText("peynir")
    page.search.returnPressed.emit()
    page.search.setText("kahve")
    page.search.returnPressed.emit()
    settle(qtbot, context)

    assert skus(page) == ["KAHVE-100"]
    assert len(resets) == 1  # the answer about "peynir" came, and was not shown


def test_a_barcode_finds_its_product(qtbot, page, context, shop):
    page.search.setText(AYRAN)
    page.search.returnPressed.emit()
    settle(qtbot, context)

    assert [(row.sku, row.barcode) for row in page.model.rows] == [("AYRAN-300", AYRAN)]


def test_a_cashier_sees_the_refusal_and_no_products(qtbot, context, shop):
    cashier_context = Context(context.till, context.ops, shop.cashier)
    page = ProductsPage(cashier_context)
    qtbot.addWidget(page)
    page.show()
    page.refresh()
    settle(qtbot, context)

    assert page.model.rows == ()
    assert page.message.text() == "Bu işlem için yetkiniz yok"


# -- the form -----------------------------------------------------------------------


def test_a_product_is_created_through_the_form(qtbot, page, context, shop):
    qtbot.mouseClick(page.new_button, Qt.MouseButton.LeftButton)
    fill(
        qtbot,
        page,
        sku="ELMA-1",
        barcode="4006381333931",
        name="Amasya Elması 1 kg",
        price="42,90",
        tax="1",
    )

    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    settle(qtbot, context)

    apple = value(find_product(context.uow(), "4006381333931"))
    assert (apple.sku, apple.name, apple.price_minor, apple.tax_rate_bp, apple.active) == (
        "ELMA-1",
        "Amasya Elması 1 kg",
        4290,
        100,
        True,
    )
    [entry] = [row for row in audit(shop, "product.create") if row.entity_id == str(apple.id)]
    assert entry.user_id == shop.manager.id
    assert page.message.kind == "info"
    assert page.editing is not None
    assert page.editing.id == apple.id
    assert "ELMA-1" in skus(page)
    assert page.form_title.text() == _("Product {sku}").format(sku="ELMA-1")


def test_enter_in_a_field_saves(qtbot, page, context):
    qtbot.mouseClick(page.new_button, Qt.MouseButton.LeftButton)
    fill(qtbot, page, sku="SU-1", name="Erikli Su 1,5 L", price="9.5")

    qtbot.keyClick(page.price, Qt.Key.Key_Return)
    settle(qtbot, context)

    assert value(find_product(context.uow(), "SU-1")).price_minor == 950


@pytest.mark.parametrize(
    ("fields", "shown"),
    [
        ({"price": "on iki"}, "Geçersiz fiyat"),
        ({"price": "-5"}, "Geçersiz fiyat"),
        ({"tax": "101"}, "Geçersiz KDV oranı"),
        ({"tax": "-1"}, "Geçersiz KDV oranı"),
        ({"barcode": "4006381333932"}, "Geçersiz barkod"),
        ({"barcode": "96385075"}, "Geçersiz barkod"),
        ({"barcode": "036000291453"}, "Geçersiz barkod"),
        ({"name": ""}, "Geçersiz ürün adı: 1-200 karakter, kontrol karakteri olmadan"),
        (
            {"sku": "ÇAY 1"},
            "Geçersiz stok kodu: harf, rakam, '.', '_' veya '-' ile en fazla 64 karakter",
        ),
        ({"sku": "AYRAN-300"}, "Bu stok kodu başka bir üründe kayıtlı: AYRAN-300"),
    ],
)
def test_a_mistake_in_the_form_is_shown_in_turkish_and_nothing_is_saved(
    qtbot, page, context, shop, fields, shown
):
    qtbot.mouseClick(page.new_button, Qt.MouseButton.LeftButton)
    good = {"sku": "ELMA-1", "barcode": "", "name": "Elma", "price": "10", "tax": "20"}
    fill(qtbot, page, **(good | fields))

    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    settle(qtbot, context)

    assert page.message.text() == shown
    assert page.message.kind == "error"
    assert product_count(shop) == 5
    assert len(audit(shop, "product.create")) == 5  # the shop's own


def test_the_mistake_follows_the_language(qtbot, page, context):
    qtbot.mouseClick(page.new_button, Qt.MouseButton.LeftButton)
    fill(qtbot, page, sku="ELMA-1", name="Elma", price="abc")
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    settle(qtbot, context)
    assert page.message.text() == "Geçersiz fiyat"

    set_language("en")
    page.retranslate()

    assert page.message.text() == "Invalid price"
    assert page.save_button.text() == "Save"


def test_a_chosen_product_is_edited_and_deactivated(qtbot, page, context, shop):
    choose_row(qtbot, page, "PEYNIR-500")
    assert (page.name.text(), page.price.text(), page.tax.text()) == (
        "Beyaz Peynir 500 g",
        "150,00",
        "20",
    )

    fill(qtbot, page, price="155,50", name="Beyaz Peynir Tam Yağlı 500 g")
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    settle(qtbot, context)

    cheese = value(find_product(context.uow(), "PEYNIR-500"))
    assert (cheese.name, cheese.price_minor) == ("Beyaz Peynir Tam Yağlı 500 g", 15550)
    [entry] = audit(shop, "product.update")
    assert json.loads(entry.details) == {
        "before": {"name": "Beyaz Peynir 500 g", "price_minor": 15000},
        "after": {"name": "Beyaz Peynir Tam Yağlı 500 g", "price_minor": 15550},
    }

    qtbot.mouseClick(page.deactivate_button, Qt.MouseButton.LeftButton)
    settle(qtbot, context)

    assert error(find_product(context.uow(), "PEYNIR-500")).code is Code.PRODUCT_UNAVAILABLE
    assert not page.active.isChecked()
    assert page.deactivate_button.text() == _("Reactivate")
    row = skus(page).index("PEYNIR-500")
    assert page.model.data(page.model.index(row, 7)) == _("No")

    qtbot.mouseClick(page.deactivate_button, Qt.MouseButton.LeftButton)
    settle(qtbot, context)

    assert value(find_product(context.uow(), "PEYNIR-500")).active
    assert len(audit(shop, "product.reactivate")) == 1


def test_unticking_on_sale_and_saving_takes_a_product_off_sale(qtbot, page, context, shop):
    choose_row(qtbot, page, "AYRAN-300")

    page.active.setChecked(False)
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    settle(qtbot, context)

    assert error(find_product(context.uow(), "AYRAN-300")).code is Code.PRODUCT_UNAVAILABLE
    [entry] = audit(shop, "product.update")
    assert json.loads(entry.details) == {"before": {"active": True}, "after": {"active": False}}


def test_the_page_with_a_product_chosen_looks_right(qtbot, page, context):
    choose_row(qtbot, page, "SUT-1L")
    page.message.say("info", lambda: _("Saved {sku}.").format(sku="SUT-1L"))

    path = shoot(page, "products")

    assert path.exists()
    assert page.table.columnWidth(1) > 150  # the name column gets the room


# -- import -------------------------------------------------------------------------


def run_import(qtbot: QtBot, page: ProductsPage, context: Context, path: Path) -> ImportDialog:
    dialog = page.open_import()
    dialog.path.setText(str(path))
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.running, timeout=30_000)
    settle(qtbot, context)
    return dialog


def test_a_good_file_is_imported_with_the_progress_filled(qtbot, page, context, shop, tmp_path):
    path = tmp_path / "fiyatlar.csv"
    path.write_text(
        "sku,name,price,barcode,tax_rate\n"
        "ELMA-1,Amasya Elması 1 kg,42.90,4006381333931,1\n"
        "AYRAN-300,Sütaş Ayran 300 ml,13.50,,1\n",
        encoding="utf-8",
    )

    dialog = run_import(qtbot, page, context, path)

    assert dialog.progress.value() == dialog.progress.maximum()
    assert dialog.summary.kind == "info"
    assert dialog.summary.text() == _("Imported: {created} new, {updated} updated.").format(
        created=1, updated=1
    )
    assert not dialog.errors.isVisibleTo(dialog)
    assert value(find_product(context.uow(), "ELMA-1")).price_minor == 4290
    assert value(find_product(context.uow(), "AYRAN-300")).price_minor == 1350
    [entry] = audit(shop, "product.import")
    assert entry.user_id == shop.manager.id
    assert "ELMA-1" in skus(page)  # the list was asked again


def test_a_turkish_excel_file_is_imported_and_the_columns_left_out_are_named(
    qtbot, page, context, tmp_path
):
    path = tmp_path / "excel.csv"
    path.write_bytes(
        "\ufeffsku;name;price;tax_rate;stock\r\nELMA-1;Amasya Elması 1 kg;42,90;1;12\r\n".encode()
    )

    dialog = run_import(qtbot, page, context, path)

    assert dialog.summary.kind == "info"
    assert dialog.summary.text() == (
        "İçe aktarıldı: 1 yeni, 0 güncellendi.\nİçe aktarılmayan sütunlar: stock"
    )
    assert value(find_product(context.uow(), "ELMA-1")).price_minor == 4290
    shoot(dialog, "import-excel")


def test_a_bad_file_shows_each_bad_row_and_imports_nothing(qtbot, page, context, shop, tmp_path):
    path = tmp_path / "hatali.csv"
    path.write_text(
        "sku,name,price,barcode,tax_rate\n"
        "ELMA-1,Amasya Elması 1 kg,42.90,4006381333931,1\n"
        "ARMUT-1,Deveci Armut,on iki,,1\n"
        "KIRAZ-1,Napolyon Kiraz,89.90,96385075,1\n"
        "VISNE-1,Vişne,49.90,,120\n"
        "ELMA-1,Yine Elma,1,,1\n",
        encoding="utf-8",
    )

    dialog = run_import(qtbot, page, context, path)

    items = [dialog.errors.item(n).text() for n in range(dialog.errors.count())]
    assert items == [
        "Satır 3: Geçersiz fiyat",
        "Satır 4: Geçersiz barkod",
        "Satır 5: Geçersiz KDV oranı",
        "Satır 6: Bu stok kodu başka bir üründe kayıtlı: ELMA-1",
    ]
    assert dialog.summary.text() == "İçe aktarma yapılmadı: 4 satır hatalı"
    assert dialog.summary.kind == "error"
    assert dialog.errors.isVisibleTo(dialog)
    assert not dialog.progress.isVisibleTo(dialog)
    assert product_count(shop) == 5
    assert dialog.width() <= 800  # the explanation wraps instead of widening the dialog
    shoot(dialog, "products-import-errors")


def test_a_turkish_windows_file_goes_in_and_says_how_it_was_read(
    qtbot, page, context, shop, tmp_path
):
    path = tmp_path / "urunler.csv"
    path.write_bytes("sku;name;price\r\nCAY-2;Çaykur Şekersiz Çay;2,50\r\n".encode("cp1254"))

    dialog = run_import(qtbot, page, context, path)

    assert dialog.summary.kind == "info"
    assert dialog.summary.text().splitlines()[1:] == [
        "Dosya Windows-1254 (Türkçe Excel) olarak okundu"
    ]
    assert value(find_product(context.uow(), "CAY-2")).name == "Çaykur Şekersiz Çay"


def test_a_file_in_another_encoding_is_named_as_such(qtbot, page, context, shop, tmp_path):
    path = tmp_path / "unicode.csv"
    path.write_bytes("sku,name,price\nCAY-2,Çay,2\n".encode("utf-16"))

    dialog = run_import(qtbot, page, context, path)

    assert dialog.summary.text() == render(Err(Code.IMPORT_BAD_ENCODING, {"line": 1}), "tr")
    assert dialog.errors.count() == 0


def test_starting_without_a_file_asks_for_one(qtbot, page, context):
    dialog = page.open_import()

    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)

    assert not dialog.running
    assert dialog.summary.kind == "error"
    assert dialog.summary.text() == _("Choose a CSV file first.")


def test_the_file_picker_is_qts_own_and_speaks_turkish(qtbot, page, context):
    dialog = page.open_import()
    picker = dialog.file_picker()
    qtbot.addWidget(picker)
    picker.show()

    assert picker.testOption(QFileDialog.Option.DontUseNativeDialog)
    buttons = {button.text() for button in picker.findChildren(QPushButton)}
    assert {"&Aç", "İptal"} <= buttons, buttons
    labels = {label.text() for label in picker.findChildren(QLabel)}
    assert {"Dosya a&dı:", "Konum:", "Dosya türü:"} <= labels, labels
    shoot(picker, "import-file-picker")
    picker.reject()


def test_cancelling_a_running_import_changes_nothing(qtbot, page, context, shop, tmp_path):
    path = tmp_path / "buyuk.csv"
    path.write_text(
        "sku,name,price\n" + "".join(f"URUN-{n:06d},Ürün {n},1.50\n" for n in range(60_000)),
        encoding="utf-8",
    )
    dialog = page.open_import()
    dialog.path.setText(str(path))
    moved: list[tuple[int, int]] = []
    dialog._progress.moved.connect(lambda done, total: moved.append((done, total)))

    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.progress.value() > 0, timeout=20_000)  # a batch is in
    assert dialog.cancel_button.text() == _("Cancel import")
    assert not dialog.start_button.isEnabled()
    shoot(dialog, "products-import-running")
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.running, timeout=30_000)
    settle(qtbot, context)

    assert dialog.summary.text() == "İçe aktarma iptal edildi; hiçbir ürün değişmedi"
    assert dialog.isVisible()  # still open, to say so
    assert product_count(shop) == 5
    assert audit(shop, "product.import") == []
    assert moved
    assert moved[-1][0] < path.stat().st_size
    assert all(total == path.stat().st_size for _, total in moved)


def test_closing_the_dialog_while_importing_cancels_first(qtbot, page, context, shop, tmp_path):
    path = tmp_path / "buyuk.csv"
    path.write_text(
        "sku,name,price\n" + "".join(f"URUN-{n:06d},Ürün {n},1.50\n" for n in range(60_000)),
        encoding="utf-8",
    )
    dialog = page.open_import()
    dialog.path.setText(str(path))
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.progress.value() > 0, timeout=20_000)

    dialog.reject()  # Esc
    assert dialog.isVisible()  # until the import has rolled back
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=30_000)
    settle(qtbot, context)

    assert product_count(shop) == 5
