"""The stock page's tabs for what the tills hold and what they sold short: the units held
for carts (release one, or every expired hold at once) and the oversells to resolve."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
)

from pos.services.holds import (
    ReservationView,
    product_reservations,
    release_expired_reservations,
    release_reservation,
)
from pos.services.oversells import (
    OversellView,
    list_oversells,
    resolve_oversell,
)
from pos.services.reservations import SweepReport
from ui.backoffice.common import Column, RowsModel, when
from ui.backoffice.sections import PAGE_SIZE, Section, fit_columns
from ui.backoffice.widgets import button, selected_row, table
from ui.i18n import N_, _

if TYPE_CHECKING:
    from ui.backoffice.stock import StockPage


class ReservationsTab(Section):
    """Units the tills hold for open sales of the picked product."""

    title = N_("Reservations")

    def __init__(self, page: StockPage) -> None:
        super().__init__(page)
        self.model: RowsModel[ReservationView] = RowsModel(
            [
                Column(N_("Till"), lambda r: r.till_code or "—"),
                Column(N_("Cart"), lambda r: str(r.cart_id), align_right=True),
                Column(N_("Quantity"), lambda r: str(r.quantity), align_right=True),
                Column(N_("Expires"), lambda r: when(r.expires_at)),
                Column(N_("State"), self._state),
            ]
        )
        self.view = table(self.model, "StockReservations", fit_to_contents=False)
        self.release_one = button("ReleaseReservation")
        self.release_one.clicked.connect(self.release_selected)
        self.release_product = button("ReleaseExpiredOfProduct", primary=True)
        self.release_product.clicked.connect(lambda: self.release_expired(whole_shop=False))
        self.release_shop = button("ReleaseExpiredInShop")
        self.release_shop.clicked.connect(lambda: self.release_expired(whole_shop=True))
        buttons = QHBoxLayout()
        buttons.addWidget(self.release_one)
        buttons.addStretch(1)
        buttons.addWidget(self.release_shop)
        buttons.addWidget(self.release_product)
        self.layout_.addWidget(self.view, 1)
        self.layout_.addLayout(buttons)
        self.product_changed()

    @staticmethod
    def _state(hold: ReservationView) -> str:
        if hold.paying:
            return _("Payment in progress")
        return _("Expired") if hold.expired else _("Active")

    def product_changed(self) -> None:
        self.model.show(())
        picked = self.product_id is not None
        self.release_one.setEnabled(picked)
        self.release_product.setEnabled(picked)

    def refresh(self) -> None:
        product_id = self.product_id
        if product_id is None:
            return
        manager = self.page.manager_id

        def loaded(holds: tuple[ReservationView, ...]) -> None:
            if product_id == self.product_id:
                self.model.show(holds)
                fit_columns(self.view)

        self.page.call(
            lambda uow: product_reservations(
                uow, product_id, manager_id=manager, limit=PAGE_SIZE * 4
            ),
            loaded,
        )

    def release_selected(self) -> None:
        hold = selected_row(self.view, self.model)
        if hold is None:
            self.page.message.say("warning", lambda: _("Select a reservation first."))
            return
        manager, hold_id = self.page.manager_id, hold.id
        self.page.call(
            lambda uow: release_reservation(uow, hold_id, manager_id=manager), self._released
        )

    def release_expired(self, *, whole_shop: bool) -> None:
        product_id = None if whole_shop else self.product_id
        if product_id is None and not whole_shop:
            return
        manager = self.page.manager_id
        self.page.call(
            lambda uow: release_expired_reservations(
                uow, manager_id=manager, product_id=product_id
            ),
            self._released,
        )

    def _released(self, report: SweepReport) -> None:
        holds, units = report.expired, report.units_returned
        if holds:
            self.page.say(
                lambda: _(
                    "Expired reservations released: {holds}, units back on the shelf: {units}"
                ).format(holds=holds, units=units)
            )
        else:
            self.page.say(lambda: _("No expired reservations to release."))
        self.page.after_change()

    def retranslate(self) -> None:
        self.model.refresh_texts()
        self.release_one.setText(_("Release selected"))
        self.release_product.setText(_("Release expired now"))
        self.release_shop.setText(_("Release expired in the whole shop"))


class OversellsTab(Section):
    """Units paid sales took that the shelf no longer had, to be sorted out and resolved."""

    title = N_("Oversells")
    RESOLVED, BY, NOTE = 4, 5, 6

    def __init__(self, page: StockPage) -> None:
        super().__init__(page)
        self.model: RowsModel[OversellView] = RowsModel(
            [
                Column(N_("Time"), lambda o: when(o.at)),
                Column(N_("Receipt"), lambda o: o.receipt or "—"),
                Column(N_("Product"), lambda o: o.name),
                Column(N_("Quantity"), lambda o: str(o.quantity), align_right=True),
                Column(N_("Resolved"), lambda o: when(o.resolved_at)),
                Column(N_("By"), lambda o: o.resolved_by or ""),
                Column(N_("Note"), lambda o: o.note or ""),
            ]
        )
        self.view = table(self.model, "Oversells", stretch=self.NOTE, fit_to_contents=False)
        self.show_resolved = QCheckBox(objectName="ShowResolved")
        self.show_resolved.toggled.connect(lambda _on: self.refresh())
        self.more = button("MoreOversells")
        self.more.clicked.connect(self.load_more)
        self.more.setEnabled(False)
        self.note = QLineEdit(objectName="ResolutionNote")
        self.note.setMaxLength(500)
        self.note.returnPressed.connect(self.resolve)
        self.resolve_button = button("ResolveOversell", primary=True)
        self.resolve_button.clicked.connect(self.resolve)
        self.hint = QLabel(objectName="Caption")
        self.hint.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(self.show_resolved)
        top.addStretch(1)
        top.addWidget(self.more)
        resolve_row = QHBoxLayout()
        resolve_row.addWidget(self.note, 1)
        resolve_row.addWidget(self.resolve_button)
        self.layout_.addLayout(top)
        self.layout_.addWidget(self.view, 1)
        self.layout_.addWidget(self.hint)
        self.layout_.addLayout(resolve_row)

    def refresh(self) -> None:
        self._load(None)

    def load_more(self) -> None:
        if self.model.rows:
            self._load(self.model.rows[-1].id)

    def _load(self, before: int | None) -> None:
        manager, every = self.page.manager_id, self.show_resolved.isChecked()
        shown = self.model.rows if before else ()

        def loaded(found: tuple[OversellView, ...]) -> None:
            for column in (self.RESOLVED, self.BY, self.NOTE):
                self.view.setColumnHidden(column, not every)
            self.model.show(shown + found)
            self.more.setEnabled(len(found) == PAGE_SIZE)
            fit_columns(self.view)

        self.page.call(
            lambda uow: list_oversells(
                uow, manager_id=manager, include_resolved=every, before=before, limit=PAGE_SIZE
            ),
            loaded,
        )

    def resolve(self) -> None:
        oversell = selected_row(self.view, self.model)
        if oversell is None:
            self.page.message.say("warning", lambda: _("Select an oversell first."))
            return
        manager, note, oversell_id = self.page.manager_id, self.note.text(), oversell.id
        self.page.call(
            lambda uow: resolve_oversell(uow, oversell_id, note, manager_id=manager),
            self._resolved,
        )

    def _resolved(self, oversell: OversellView) -> None:
        self.note.clear()
        receipt = oversell.receipt or "—"
        self.page.say(lambda: _("Oversell on receipt {receipt} resolved").format(receipt=receipt))
        self.refresh()

    def retranslate(self) -> None:
        self.model.refresh_texts()
        self.show_resolved.setText(_("Show resolved"))
        self.more.setText(_("More"))
        self.note.setPlaceholderText(_("What was done, e.g. counted the shelf, customer called"))
        self.resolve_button.setText(_("Resolve"))
        self.hint.setText(
            _(
                "Resolving does not change the stock: if the shelf count is wrong, count it"
                " on the Adjust tab."
            )
        )
