"""Coupons: the list with times used, a form to create or edit one, and the chosen
coupon's redemptions.

Dates are whole days in the shop's time: a coupon valid from the 1st to the 31st
works from midnight on the 1st until midnight after the 31st (the store keeps the
instant it stops working). A percentage is typed as a percent ("12,5"), an amount
as money; the store keeps basis points and minor units.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from pos.domain.coupons import CouponKind, RedemptionState
from pos.domain.money import minor_digits, parse_price, parse_scaled
from pos.domain.receipt import receipt_label
from pos.domain.results import Changed, Code, Err
from pos.services import UnitOfWork
from pos.services.coupons import (
    CouponDraft,
    CouponView,
    RedemptionView,
    coupon_redemptions,
    create_coupon,
    delete_coupon,
    list_coupons,
    set_coupon_active,
    update_coupon,
)
from ui.backoffice.common import Column, Context, Page, RowsModel, field_values, when
from ui.backoffice.widgets import (
    DATE_FORMATS,
    OptionalDate,
    day_start,
    day_text,
    money,
    percent,
    table,
)
from ui.i18n import N_, _, language
from ui.shop_time import local

KINDS = {CouponKind.PERCENT: N_("Percent"), CouponKind.FIXED: N_("Fixed amount")}
STATES = {
    RedemptionState.HELD: N_("Held (paying)"),
    RedemptionState.CONFIRMED: N_("Confirmed"),
    RedemptionState.RELEASED: N_("Released"),
}
_MAX_LIMIT_DIGITS = 9


def first_day(at: datetime | None) -> date | None:
    """The day a coupon starts, in the shop's time."""
    return None if at is None else local(at).date()


def last_day(at: datetime | None) -> date | None:
    """The last whole day a coupon works: the day before the instant it stops."""
    return None if at is None else (local(at) - timedelta(microseconds=1)).date()


def coupon_value(coupon: CouponView) -> str:
    terms = coupon.terms
    if terms.kind is CouponKind.PERCENT:
        return percent(terms.value)
    return money(terms.value, coupon.currency)


def usage_limit(coupon: CouponView) -> str:
    limit = coupon.terms.usage_limit
    return _("No limit") if limit is None else str(limit)


def sale_label(row: RedemptionView) -> str:
    if row.receipt_number is not None:
        return receipt_label(row.till_code, row.receipt_number)
    return str(row.order_id)[:8]


COUPON_COLUMNS: tuple[Column[CouponView], ...] = (
    Column(N_("Code"), lambda c: c.terms.code),
    Column(N_("Kind"), lambda c: _(KINDS[c.terms.kind])),
    Column(N_("Value"), coupon_value, align_right=True),
    Column(N_("Minimum"), lambda c: money(c.terms.min_cart_minor, c.currency), align_right=True),
    Column(N_("Cap"), lambda c: money(c.terms.cap_minor, c.currency), align_right=True),
    Column(N_("Valid from"), lambda c: day_text(first_day(c.terms.valid_from))),
    Column(N_("Valid to"), lambda c: day_text(last_day(c.terms.valid_to))),
    Column(N_("Limit"), usage_limit, align_right=True),
    Column(N_("Used"), lambda c: str(c.terms.times_used), align_right=True),
    Column(N_("Active"), lambda c: _("Yes") if c.terms.active else _("No")),
)
REDEMPTION_COLUMNS: tuple[Column[RedemptionView], ...] = (
    Column(N_("When"), lambda r: when(r.created_at)),
    Column(N_("State"), lambda r: _(STATES[r.state])),
    Column(N_("Sale"), sale_label),
    Column(N_("Total"), lambda r: money(r.total_minor, r.currency), align_right=True),
    Column(N_("Discount"), lambda r: money(r.discount_minor, r.currency), align_right=True),
)


class CouponsPage(Page):
    title = N_("Coupons")
    follows = Changed.COUPONS

    def __init__(self, context: Context, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.setObjectName("CouponsPage")
        self.editing: CouponView | None = None
        self.loaded: tuple[object, ...] = ()
        """The form as last filled from the store: what is unsaved differs from it."""
        """The coupon the form edits; None while it makes a new one."""
        self._asked = 0
        self._keep: int | None = None  # the coupon to choose again when the list comes back

        self.search = QLineEdit(objectName="CouponSearch")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.load)
        self.show_inactive = QCheckBox(objectName="ShowInactive")
        self.show_inactive.setChecked(True)
        self.show_inactive.toggled.connect(self.load)
        self.new_button = QPushButton(objectName="NewCoupon")
        self.new_button.clicked.connect(self.new_coupon)
        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.show_inactive)
        top.addStretch(1)
        top.addWidget(self.new_button)

        self.coupons = RowsModel(COUPON_COLUMNS)
        self.coupons_view = table(self.coupons, "CouponsTable")
        self.coupons_view.selectionModel().selectionChanged.connect(self._chosen)

        self.form = QGroupBox(objectName="CouponForm")
        self.code = QLineEdit(objectName="CouponCode")
        self.code.setMaxLength(32)
        self.kind = QComboBox(objectName="CouponKind")
        for kind in KINDS:
            self.kind.addItem("", kind.value)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self.value = QLineEdit(objectName="CouponValue")
        self.value_unit = QLabel(objectName="CouponValueUnit")
        value_row = QHBoxLayout()
        value_row.addWidget(self.value, 1)
        value_row.addWidget(self.value_unit)
        self.minimum = QLineEdit(objectName="CouponMinimum")
        self.cap = QLineEdit(objectName="CouponCap")
        self.valid_from = OptionalDate("ValidFrom")
        self.valid_to = OptionalDate("ValidTo")
        self.limit = QLineEdit(objectName="CouponLimit")
        self.active = QCheckBox(objectName="CouponActive")
        self.active.setChecked(True)
        self.labels = {name: QLabel() for name in ("code", "kind", "value", "min", "cap")}
        self.labels |= {name: QLabel() for name in ("from", "to", "limit")}
        # Two columns of fields: the list above keeps the page's whole width for its own.
        fields = QGridLayout()
        fields.setColumnStretch(1, 1)
        fields.setColumnStretch(3, 1)
        fields.setHorizontalSpacing(10)
        self.labels["code"].setBuddy(self.code)
        fields.addWidget(self.labels["code"], 0, 0)
        fields.addWidget(self.code, 0, 1, 1, 3)
        for row, (left, right) in enumerate(
            (
                (("kind", self.kind), ("from", self.valid_from)),
                (("value", value_row), ("to", self.valid_to)),
                (("min", self.minimum), ("limit", self.limit)),
                (("cap", self.cap), ("", self.active)),
            ),
            start=1,
        ):
            for column, (name, field) in ((0, left), (2, right)):
                if name:
                    label = self.labels[name]
                    if isinstance(field, QWidget):
                        label.setBuddy(field)
                    fields.addWidget(label, row, column)
                if isinstance(field, QWidget):
                    fields.addWidget(field, row, column + 1)
                else:
                    fields.addLayout(field, row, column + 1)
        self.save_button = QPushButton(objectName="SaveCoupon")
        self.save_button.setProperty("primary", True)
        self.save_button.clicked.connect(self.save)
        self.active_button = QPushButton(objectName="ToggleCouponActive")
        self.active_button.clicked.connect(self.toggle_active)
        self.delete_button = QPushButton(objectName="DeleteCoupon")
        self.delete_button.setProperty("danger", True)
        self.delete_button.clicked.connect(self.delete)
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.active_button)
        buttons.addWidget(self.delete_button)
        buttons.addStretch(1)
        form_layout = QVBoxLayout(self.form)
        form_layout.addLayout(fields)
        form_layout.addStretch(1)
        form_layout.addLayout(buttons)

        self.redemptions_caption = QLabel(objectName="Caption")
        self.redemptions = RowsModel(REDEMPTION_COLUMNS)
        self.redemptions_view = table(self.redemptions, "RedemptionsTable")
        used = QWidget()
        used_layout = QVBoxLayout(used)
        used_layout.setContentsMargins(0, 0, 0, 0)
        used_layout.addWidget(self.redemptions_caption)
        used_layout.addWidget(self.redemptions_view, 1)

        lower = QWidget()
        lower_layout = QHBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addWidget(self.form, 1)
        lower_layout.addWidget(used, 1)

        splitter = QSplitter(Qt.Orientation.Vertical, objectName="CouponsSplitter")
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self.coupons_view)
        splitter.addWidget(lower)
        splitter.setSizes([290, 330])
        self.layout_.addLayout(top)
        self.layout_.addWidget(self.message)
        self.layout_.addWidget(splitter, 1)
        self.retranslate()
        self._edit(None)

    @property
    def currency(self) -> str:
        return self.context.till.settings.currency

    # -- the list --------------------------------------------------------------------

    def refresh(self) -> None:
        self.load()

    def load(self, *_args: object) -> None:
        self._asked += 1
        asked, manager_id = self._asked, self.manager_id
        query, inactive = self.search.text(), self.show_inactive.isChecked()
        if self.editing is not None and self._keep is None:
            self._keep = self.editing.id

        def ask(uow: UnitOfWork) -> Any:
            return list_coupons(uow, manager_id=manager_id, query=query, include_inactive=inactive)

        self.call(ask, lambda found: self._listed(found, asked))

    def _listed(self, found: tuple[CouponView, ...], asked: int) -> None:
        if asked != self._asked:
            return  # the search changed since: a newer answer is on its way
        keep, self._keep = self._keep, None
        self.coupons.show(found)
        row = next((n for n, c in enumerate(found) if c.id == keep), None)
        if row is not None:
            self.coupons_view.selectRow(row)
        elif keep is not None:
            self._edit(None)

    def _chosen(self, *_args: object) -> None:
        rows = self.coupons_view.selectionModel().selectedRows()
        coupon = self.coupons.row_at(rows[0].row()) if rows else None
        if coupon is not None:
            self._edit(coupon)

    def new_coupon(self) -> None:
        self.coupons_view.clearSelection()
        self.message.clear_message()
        self._edit(None)
        self.code.setFocus()

    # -- the form --------------------------------------------------------------------

    def _edit(self, coupon: CouponView | None) -> None:
        """Fill the form with ``coupon`` (or empty it for a new one) and show its uses."""
        self.editing = coupon
        terms = coupon.terms if coupon is not None else None
        currency = coupon.currency if coupon is not None else self.currency
        self.code.setText(terms.code if terms else "")
        self.kind.setCurrentIndex(
            self.kind.findData((terms.kind if terms else CouponKind.PERCENT).value)
        )
        if terms is None:
            self.value.clear()
        elif terms.kind is CouponKind.PERCENT:
            self.value.setText(_decimal_text(terms.value, 2))
        else:
            self.value.setText(_money_text(terms.value, currency))
        self.minimum.setText(_money_text(terms.min_cart_minor, currency) if terms else "")
        cap = terms.cap_minor if terms else None
        self.cap.setText("" if cap is None else _money_text(cap, currency))
        self.valid_from.set_day(first_day(terms.valid_from) if terms else None)
        self.valid_to.set_day(last_day(terms.valid_to) if terms else None)
        limit = terms.usage_limit if terms else None
        self.limit.setText("" if limit is None else str(limit))
        self.active.setChecked(terms.active if terms else True)
        self.active_button.setEnabled(coupon is not None)
        self.delete_button.setEnabled(coupon is not None)
        self.loaded = self.form_values()
        self.redemptions.show(())
        self._write_form_texts()
        if coupon is not None:
            coupon_id, manager_id = coupon.id, self.manager_id
            self.call(
                lambda uow: coupon_redemptions(uow, coupon_id, manager_id=manager_id),
                lambda found: self._show_redemptions(coupon_id, found),
            )

    def _show_redemptions(self, coupon_id: int, found: tuple[RedemptionView, ...]) -> None:
        if self.editing is not None and self.editing.id == coupon_id:
            self.redemptions.show(found)

    def form_values(self) -> tuple[object, ...]:
        fields = (self.code, self.kind, self.value, self.minimum, self.cap, self.limit, self.active)
        return (*field_values(*fields), self.valid_from.day(), self.valid_to.day())

    def unsaved(self) -> str | None:
        if self.form_values() == self.loaded:
            return None
        coupon = self.editing
        return (
            _("New coupon") if coupon is None else _("Coupon {code}").format(code=coupon.terms.code)
        )

    def _kind_changed(self, *_args: object) -> None:
        percent_kind = self.kind.currentData() == CouponKind.PERCENT.value
        self.cap.setEnabled(percent_kind)  # a fixed amount is its own cap
        if not percent_kind:
            self.cap.clear()
        self._write_form_texts()

    def draft(self) -> CouponDraft | Err:
        """The coupon the form describes, or what the manager typed wrong."""
        currency = self.editing.currency if self.editing is not None else self.currency
        kind = CouponKind(self.kind.currentData())
        if kind is CouponKind.PERCENT:
            value = parse_scaled(self.value.text(), 2)
        else:
            value = parse_price(self.value.text(), currency)
        minimum = parse_price(self.minimum.text(), currency) if self.minimum.text().strip() else 0
        cap_text = self.cap.text().strip()
        cap = parse_price(cap_text, currency) if cap_text else None
        limit_text = self.limit.text().strip()
        limit = _count(limit_text) if limit_text else None
        if value is None or minimum is None or (cap_text and cap is None):
            return Err(Code.INVALID_COUPON_VALUE)
        if limit_text and limit is None:
            return Err(Code.INVALID_COUPON_VALUE)
        start, last = self.valid_from.day(), self.valid_to.day()
        return CouponDraft(
            code=self.code.text(),
            kind=kind,
            value=value,
            min_cart_minor=minimum,
            cap_minor=cap,
            valid_from=day_start(start) if start is not None else None,
            valid_to=day_start(last + timedelta(days=1)) if last is not None else None,
            usage_limit=limit,
            currency=currency,
            active=self.active.isChecked(),
        )

    def save(self) -> None:
        draft = self.draft()
        self.message.clear_message()
        if isinstance(draft, Err):
            self.message.show_result(draft)
            return
        manager_id, editing = self.manager_id, self.editing

        def store(uow: UnitOfWork) -> Any:
            if editing is None:
                return create_coupon(uow, draft, user_id=manager_id)
            return update_coupon(uow, editing.id, draft, manager_id=manager_id)

        self.call(store, self._saved)

    def _saved(self, coupon: CouponView) -> None:
        code = coupon.terms.code
        self.message.say("info", lambda: _("Coupon {code} saved.").format(code=code))
        self._keep = coupon.id
        self.editing = coupon
        self.loaded = self.form_values()
        self.load()

    def toggle_active(self) -> None:
        coupon = self.editing
        if coupon is None:
            return
        coupon_id, manager_id, active = coupon.id, self.manager_id, not coupon.terms.active
        self.message.clear_message()
        self.call(
            lambda uow: set_coupon_active(uow, coupon_id, active, manager_id=manager_id),
            self._saved,
        )

    def confirm_delete(self, code: str) -> bool:
        answer = QMessageBox.question(
            self,
            _("Delete coupon"),
            _("Delete the coupon {code}? This cannot be undone.").format(code=code),
        )
        return answer == QMessageBox.StandardButton.Yes

    def delete(self) -> None:
        coupon = self.editing
        if coupon is None or not self.confirm_delete(coupon.terms.code):
            return
        coupon_id, manager_id, code = coupon.id, self.manager_id, coupon.terms.code
        self.message.clear_message()

        def deleted(_gone: CouponView) -> None:
            self.message.say("info", lambda: _("Coupon {code} deleted.").format(code=code))
            self._edit(None)
            self.load()

        self.call(lambda uow: delete_coupon(uow, coupon_id, manager_id=manager_id), deleted)

    # -- texts -----------------------------------------------------------------------

    def _write_form_texts(self) -> None:
        coupon = self.editing
        if coupon is None:
            self.form.setTitle(_("New coupon"))
        else:
            self.form.setTitle(_("Coupon {code}").format(code=coupon.terms.code))
        active = coupon is None or coupon.terms.active
        self.active_button.setText(_("Deactivate") if active else _("Reactivate"))
        percent_kind = self.kind.currentData() == CouponKind.PERCENT.value
        currency = coupon.currency if coupon is not None else self.currency
        self.value_unit.setText("%" if percent_kind else currency)
        self.redemptions_caption.setText(
            _("Redemptions of {code}").format(code=coupon.terms.code)
            if coupon is not None
            else _("Choose a coupon to see its redemptions.")
        )

    def retranslate(self) -> None:
        super().retranslate()
        self.search.setPlaceholderText(_("Search codes"))
        self.show_inactive.setText(_("Show inactive"))
        self.new_button.setText(_("New coupon"))
        for index, kind in enumerate(KINDS):
            self.kind.setItemText(index, _(KINDS[kind]))
        for name, text in (
            ("code", N_("Code")),
            ("kind", N_("Kind")),
            ("value", N_("Value")),
            ("min", N_("Minimum cart")),
            ("cap", N_("Cap")),
            ("from", N_("Valid from")),
            ("to", N_("Valid to")),
            ("limit", N_("Usage limit")),
        ):
            self.labels[name].setText(_(text))
        for bound in (self.valid_from, self.valid_to):
            bound.date.setDisplayFormat(DATE_FORMATS.get(language(), "yyyy-MM-dd"))
        self.valid_from.enabled.setToolTip(_("Without it the coupon works at once"))
        self.valid_to.enabled.setToolTip(_("Without it the coupon never ends"))
        self.cap.setPlaceholderText(_("No cap"))
        self.limit.setPlaceholderText(_("No limit"))
        self.minimum.setPlaceholderText("0")
        self.active.setText(_("Active"))
        self.save_button.setText(_("Save"))
        self.delete_button.setText(_("Delete"))
        self._write_form_texts()
        self.coupons.refresh_texts()
        self.redemptions.refresh_texts()


def _decimal_text(scaled: int, digits: int) -> str:
    """A whole count of 10**-digits units as the manager would type it back."""
    text = str(Decimal(scaled).scaleb(-digits).normalize())
    if "E" in text:
        text = str(Decimal(scaled).scaleb(-digits).quantize(Decimal(1)))
    return text.replace(".", ",") if language() == "tr" else text


def _money_text(minor: int, currency: str) -> str:
    return _decimal_text(minor, minor_digits(currency))


def _count(text: str) -> int | None:
    """A usage limit as typed: plain digits, a sane length."""
    if text.isascii() and text.isdigit() and len(text) <= _MAX_LIMIT_DIGITS:
        return int(text)
    return None
