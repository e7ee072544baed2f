"""The shop: the store's own settings a manager may change — the shop's name, the
receipt's header, whether shelf prices include KDV, the time zone the shop keeps its
clocks in, and how much a cashier or a manager may take off one line without another
manager's PIN, with the reasons the till offers for it.

Save sends only what the manager changed; a zone the store takes sets the shop clock
of every open window at once (``ui.shop_time``).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QCompleter,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from pos.domain import clock
from pos.domain.results import Code, Err
from pos.services import UnitOfWork
from pos.services.backups import BackupStatus
from pos.services.shop import (
    MAX_HEADER_LINE_LENGTH,
    MAX_HEADER_LINES,
    MAX_NAME_LENGTH,
    ShopSettings,
    shop_settings,
    update_shop_settings,
)
from ui import shop_time
from ui.backoffice.common import Context, Page
from ui.backoffice.widgets import button
from ui.backups import backup_details, read_status, status_text
from ui.i18n import N_, _

HEADER_LIMITS = N_("{lines} / {max_lines} lines · longest line {width} / {max_width} characters")
NAME_REFUSED = N_(
    "The shop's name was not saved: it takes one line of 1 to {max_length} characters,"
    " printable text only."
)
HEADER_REFUSED = N_(
    "The receipt header was not saved: it takes up to {max_lines} lines of"
    " {max_width} characters, printable text only."
)


class ShopPage(Page):
    title = N_("Shop")

    def __init__(self, context: Context, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.setObjectName("ShopPage")
        self.kept: ShopSettings | None = None
        """The settings as the store last answered them: what Save compares with."""

        self.heading = QLabel(objectName="PageHeading")

        self.name_box = QGroupBox(objectName="ShopNameBox")
        self.shop_name = QLineEdit(objectName="ShopName")
        self.shop_name.setMaxLength(MAX_NAME_LENGTH)
        QVBoxLayout(self.name_box).addWidget(self.shop_name)

        self.header_box = QGroupBox(objectName="ReceiptHeaderBox")
        self.header = QPlainTextEdit(objectName="ReceiptHeader")
        self.header.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.header.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.header.setTabChangesFocus(True)
        lines = self.header.fontMetrics().lineSpacing()
        self.header.setFixedHeight(lines * MAX_HEADER_LINES + 16)
        self.header.textChanged.connect(self._header_edited)
        self.header_limits = QLabel(objectName="Caption")
        header_layout = QVBoxLayout(self.header_box)
        header_layout.addWidget(self.header)
        header_layout.addWidget(self.header_limits)

        self.tax_box = QGroupBox(objectName="PricesBox")
        self.prices_include_tax = QCheckBox(objectName="PricesIncludeTax")
        self.tax_note = QLabel(objectName="Caption")
        self.tax_note.setWordWrap(True)
        tax_layout = QVBoxLayout(self.tax_box)
        tax_layout.addWidget(self.prices_include_tax)
        tax_layout.addWidget(self.tax_note)

        self.zone_box = QGroupBox(objectName="TimeZoneBox")
        self.time_zone = QComboBox(objectName="TimeZone")
        self.time_zone.setEditable(True)
        self.time_zone.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.time_zone.setMaxVisibleItems(15)
        self.time_zone.addItems(list(clock.shop_zones()))
        completer = QCompleter(list(clock.shop_zones()), self.time_zone)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)  # "tokyo" finds Asia/Tokyo
        self.time_zone.setCompleter(completer)
        self.zone_note = QLabel(objectName="Caption")
        self.zone_note.setWordWrap(True)
        zone_layout = QVBoxLayout(self.zone_box)
        zone_layout.addWidget(self.time_zone)
        zone_layout.addWidget(self.zone_note)

        self.discount_box = QGroupBox(objectName="DiscountBox")
        self.cashier_limit = _percent_box("CashierDiscountLimit")
        self.manager_limit = _percent_box("ManagerDiscountLimit")
        self.discount_reasons = QPlainTextEdit(objectName="DiscountReasons")
        self.discount_reasons.setTabChangesFocus(True)
        self.discount_reasons.setFixedHeight(
            self.discount_reasons.fontMetrics().lineSpacing() * 5 + 16
        )
        self.discount_note = QLabel(objectName="Caption")
        self.discount_note.setWordWrap(True)
        discount_form = QFormLayout(self.discount_box)
        self.discount_captions = [QLabel(objectName="Caption") for _i in range(3)]
        discount_form.addRow(self.discount_captions[0], self.cashier_limit)
        discount_form.addRow(self.discount_captions[1], self.manager_limit)
        discount_form.addRow(self.discount_captions[2], self.discount_reasons)
        discount_form.addRow(self.discount_note)

        self.backup_box = QGroupBox(objectName="BackupBox")
        self.backup_line = QLabel(objectName="BackupStatus")
        self.backup_line.setWordWrap(True)
        QVBoxLayout(self.backup_box).addWidget(self.backup_line)
        self.backup_status: tuple[BackupStatus | None] | None = None

        self.save_button = button("SaveShopSettings", primary=True)
        self.save_button.clicked.connect(self.save)
        self.undo_button = button("UndoShopSettings")
        self.undo_button.clicked.connect(self._undo)
        actions = QHBoxLayout()
        actions.addStretch(1)
        actions.addWidget(self.undo_button)
        actions.addWidget(self.save_button)

        right = QVBoxLayout()
        right.addWidget(self.tax_box)
        right.addWidget(self.zone_box)
        right.addWidget(self.backup_box)
        right.addStretch(1)
        left = QVBoxLayout()
        left.addWidget(self.name_box)
        left.addWidget(self.header_box)
        left.addWidget(self.discount_box)
        body = QHBoxLayout()
        body.addLayout(left, 1)
        body.addLayout(right, 1)

        self.layout_.addWidget(self.heading)
        self.layout_.addWidget(self.message)
        self.layout_.addLayout(body)
        self.layout_.addLayout(actions)
        self.layout_.addStretch(1)
        self.retranslate()
        self._set_editable(False)

    # -- reading ---------------------------------------------------------------------

    def refresh(self) -> None:
        self.call(lambda uow: shop_settings(uow), self._answered)
        till = self.context.till
        self.context.ops.run(lambda: read_status(till), self._backups_heard, lambda _e: None)

    def _backups_heard(self, status: BackupStatus | None) -> None:
        self.backup_status = (status,)
        self._write_backup_line()

    def _write_backup_line(self) -> None:
        if self.backup_status is None:
            self.backup_line.setText(_("Reading the backups…"))
            return
        status = self.backup_status[0]
        text, kind = status_text(status, self.context.till.settings.backup)
        details = backup_details(status)
        self.backup_line.setText(f"{text}\n{details}" if details else text)
        self.backup_line.setProperty("kind", kind)
        self.backup_line.style().unpolish(self.backup_line)
        self.backup_line.style().polish(self.backup_line)

    def _answered(self, settings: ShopSettings) -> None:
        self.kept = settings
        self._show_kept()
        self._set_editable(True)

    def _show_kept(self) -> None:
        kept = self.kept
        if kept is None:
            return
        self.shop_name.setText(kept.name)
        self.header.setPlainText(kept.receipt_header)
        self.prices_include_tax.setChecked(kept.prices_include_tax)
        self.time_zone.setCurrentText(kept.time_zone)
        self.cashier_limit.setValue(kept.discount_limit_cashier_bp / 100)
        self.manager_limit.setValue(kept.discount_limit_manager_bp / 100)
        self.discount_reasons.setPlainText("\n".join(kept.discount_reasons))
        self._write_heading()

    def _undo(self) -> None:
        """Back to the settings as kept: a refusal of what was typed no longer stands."""
        self.message.clear_message()
        self._show_kept()

    def _set_editable(self, editable: bool) -> None:
        for widget in (
            self.name_box,
            self.header_box,
            self.tax_box,
            self.zone_box,
            self.discount_box,
            self.save_button,
        ):
            widget.setEnabled(editable)
        self.undo_button.setEnabled(editable)

    # -- saving ----------------------------------------------------------------------

    def changes(self) -> dict[str, Any]:
        """What the manager changed since the store last answered, by the service's names."""
        kept = self.kept
        if kept is None:
            return {}
        header = self.header.toPlainText()
        zone = self.time_zone.currentText().strip()
        include_tax = self.prices_include_tax.isChecked()
        changed: dict[str, Any] = {}
        if self.shop_name.text().strip() != kept.name:
            changed["name"] = self.shop_name.text()
        if header != kept.receipt_header:
            changed["receipt_header"] = header
        if include_tax != kept.prices_include_tax:
            changed["prices_include_tax"] = include_tax
        if zone != kept.time_zone:
            changed["time_zone"] = zone
        for name, box in (
            ("discount_limit_cashier_bp", self.cashier_limit),
            ("discount_limit_manager_bp", self.manager_limit),
        ):
            limit = round(box.value() * 100)
            if limit != getattr(kept, name):
                changed[name] = limit
        reasons = tuple(
            line.strip() for line in self.discount_reasons.toPlainText().split("\n") if line.strip()
        )
        if reasons != kept.discount_reasons:
            changed["discount_reasons"] = reasons
        return changed

    def unsaved(self) -> str | None:
        names = {
            "name": _("Shop name"),
            "receipt_header": _("Receipt header"),
            "prices_include_tax": _("Shelf prices"),
            "time_zone": _("Time zone"),
            "discount_limit_cashier_bp": _("Line discounts"),
            "discount_limit_manager_bp": _("Line discounts"),
            "discount_reasons": _("Line discounts"),
        }
        changed = self.changes()
        return ", ".join(dict.fromkeys(names[name] for name in changed)) if changed else None

    def save(self) -> None:
        self.message.clear_message()
        changed = self.changes()
        if not changed:
            self.message.say("info", lambda: _("Nothing has changed."))
            return
        manager_id = self.manager_id

        def ask(uow: UnitOfWork) -> Any:
            return update_shop_settings(uow, user_id=manager_id, **changed)

        self.save_button.setEnabled(False)
        self.call(ask, self._saved, on_refused=self._refused)

    def _saved(self, settings: ShopSettings) -> None:
        shop_time.set_zone(settings.time_zone)  # every open window's clock, at once
        self.save_button.setEnabled(True)
        self.kept = settings
        self._show_kept()
        self.message.say("info", lambda: _("The shop's settings are saved."))

    def _refused(self, refusal: Err) -> None:
        self.save_button.setEnabled(True)
        setting = refusal.params.get("setting") if refusal.code == Code.INVALID_SETTING else None
        if setting == "name":
            self.message.say("error", lambda: _(NAME_REFUSED).format(max_length=MAX_NAME_LENGTH))
            self.shop_name.setFocus()
            self.shop_name.selectAll()
        elif setting == "receipt_header":
            self.message.say("error", self._header_refused_text)
            self.header.setFocus()
        elif setting == "discount_reasons":
            self.discount_reasons.setFocus()
        elif refusal.code == Code.UNKNOWN_TIME_ZONE:
            self.time_zone.setFocus()
            self.time_zone.lineEdit().selectAll()

    @staticmethod
    def _header_refused_text() -> str:
        return _(HEADER_REFUSED).format(
            max_lines=MAX_HEADER_LINES, max_width=MAX_HEADER_LINE_LENGTH
        )

    # -- texts -----------------------------------------------------------------------

    def _header_edited(self) -> None:
        text = self.header.toPlainText()
        lines = text.split("\n") if text else []
        width = max((len(line) for line in lines), default=0)
        over = len(lines) > MAX_HEADER_LINES or width > MAX_HEADER_LINE_LENGTH
        self.header_limits.setText(
            _(HEADER_LIMITS).format(
                lines=len(lines),
                max_lines=MAX_HEADER_LINES,
                width=width,
                max_width=MAX_HEADER_LINE_LENGTH,
            )
        )
        # The store's own check decides; this only warns while the manager types.
        self.header_limits.setObjectName("InlineError" if over else "Caption")
        self.header_limits.setProperty("kind", "error" if over else "")
        self.header_limits.style().unpolish(self.header_limits)
        self.header_limits.style().polish(self.header_limits)

    def _write_heading(self) -> None:
        name = self.kept.name if self.kept is not None else ""
        self.heading.setText(_("Shop settings: {name}").format(name=name))

    def retranslate(self) -> None:
        super().retranslate()
        self._write_heading()
        self.name_box.setTitle(_("Shop name"))
        self.shop_name.setPlaceholderText(_("What the back office and the tills call the shop"))
        self.header_box.setTitle(_("Receipt header"))
        self.header.setPlaceholderText(_("The shop's name and address, printed atop each receipt"))
        self._header_edited()
        self.tax_box.setTitle(_("Shelf prices"))
        self.prices_include_tax.setText(_("Shelf prices include KDV"))
        self.tax_note.setText(
            _(
                "Ticked: the price on the shelf is what the customer pays, KDV inside it."
                " Not ticked: KDV is added at the till. Sales already begun keep the mode"
                " they began with; the next sale uses the new one."
            )
        )
        self.zone_box.setTitle(_("Time zone"))
        self.time_zone.lineEdit().setPlaceholderText("Europe/Istanbul")
        self.zone_note.setText(
            _(
                "Every clock, receipt and day of the shop is kept in this zone. Type a"
                " part of its name (Istanbul, Berlin) to find it."
            )
        )
        self.discount_box.setTitle(_("Line discounts"))
        self.discount_captions[0].setText(_("A cashier may give up to"))
        self.discount_captions[1].setText(_("A manager may give up to"))
        self.discount_captions[2].setText(_("Reasons, one a line"))
        self.discount_note.setText(
            _(
                "Of one line's amount. Over it, the till asks for a manager's PIN. The"
                " cashier picks one of these reasons or types another."
            )
        )
        self.backup_box.setTitle(_("Backups"))
        self._write_backup_line()
        self.undo_button.setText(_("Undo changes"))
        self.save_button.setText(_("Save"))


def _percent_box(name: str) -> QDoubleSpinBox:
    box = QDoubleSpinBox(objectName=name)
    box.setRange(0, 100)
    box.setDecimals(2)
    box.setSuffix(" %")
    return box
