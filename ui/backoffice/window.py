"""The back office: one window with a tab per kind of work, opened by a manager from
the till. It shares the till's workers, so its service calls queue with the sale's."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeyEvent, QKeySequence, QResizeEvent, QShortcut
from PySide6.QtWidgets import QMainWindow, QMessageBox, QTabWidget

from pos.domain.results import Changed
from ui.backoffice.audit import AuditPage
from ui.backoffice.common import Context, Page
from ui.backoffice.coupons import CouponsPage
from ui.backoffice.days import DaysPage
from ui.backoffice.orders import OrdersPage
from ui.backoffice.payments import PaymentsPage
from ui.backoffice.products import ProductsPage
from ui.backoffice.scaling import stylesheet
from ui.backoffice.shop import ShopPage
from ui.backoffice.stock import StockPage
from ui.backoffice.sync_conflicts import SyncConflictsPage
from ui.backoffice.users import UsersPage
from ui.i18n import _, on_language_changed, other_language, set_language
from ui.screen import SMALLEST, fit_on_screen, text_scale
from ui.shop_time import follow_shop

PAGES: tuple[type[Page], ...] = (
    ProductsPage,
    StockPage,
    CouponsPage,
    UsersPage,
    AuditPage,
    PaymentsPage,
    SyncConflictsPage,
    OrdersPage,
    DaysPage,
    ShopPage,
)


RESTYLE_DELAY_MS = 150
"""The text is resized once the window stops changing size."""


class BackOfficeWindow(QMainWindow):
    closed = Signal()

    def __init__(self, context: Context) -> None:
        super().__init__()
        self.setObjectName("BackOfficeWindow")
        self.context = context
        follow_shop(context.till, context.ops)  # before any page asks: the same worker
        self.tabs = QTabWidget(objectName="BackOfficeTabs")
        self.pages: dict[type[Page], Page] = {}
        for page_type in PAGES:
            page = page_type(context)
            self.pages[page_type] = page
            self.tabs.addTab(page, "")
        self.tabs.currentChanged.connect(self._tab_shown)
        self.setCentralWidget(self.tabs)
        QShortcut(QKeySequence("F7"), self).activated.connect(self.switch_language)
        QShortcut(QKeySequence("F5"), self).activated.connect(self.refresh_current)
        QShortcut(QKeySequence("Ctrl+W"), self).activated.connect(self.close)
        self._stop_listening = on_language_changed(self.retranslate)
        context.ops.operation_did_execute.connect(self._store_changed)
        self._following = True  # until the window closes (which may happen twice)
        self.scale = 0.0
        self._restyle = QTimer(self, singleShot=True, interval=RESTYLE_DELAY_MS)
        self._restyle.timeout.connect(self._follow_size)
        self._follow_size()
        fit_on_screen(self, SMALLEST)
        self.retranslate()
        self.refresh_current()

    def page(self, page_type: type[Page]) -> Page:
        return self.pages[page_type]

    def show_page(self, page_type: type[Page]) -> Page:
        page = self.pages[page_type]
        self.tabs.setCurrentWidget(page)
        return page

    def refresh_current(self) -> None:
        current = self.tabs.currentWidget()
        if isinstance(current, Page):
            current.refresh()

    def _store_changed(self, changes: Changed, originator: object) -> None:
        """Another view changed the store: the page on show reads again what it follows
        (the others read when they are shown)."""
        current = self.tabs.currentWidget()
        if isinstance(current, Page) and current is not originator and changes & current.follows:
            current.refresh()

    def _tab_shown(self, _index: int) -> None:
        self.refresh_current()

    def switch_language(self) -> None:
        set_language(other_language())  # every view hears it through on_language_changed

    def retranslate(self) -> None:
        self.setWindowTitle(
            _("Kasa — back office — {name}").format(name=self.context.manager.display_name)
        )
        for index, page in enumerate(self.pages.values()):
            self.tabs.setTabText(index, _(page.title))
            page.retranslate()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._restyle.start()

    def _follow_size(self) -> None:
        scale = text_scale(self.size())
        if scale != self.scale:
            self.scale = scale
            self.setStyleSheet(stylesheet(scale))

    # -- closing ---------------------------------------------------------------------------

    def unsaved(self) -> list[str]:
        """What each page would lose if the window closed now."""
        return [lost for page in self.pages.values() if (lost := page.unsaved()) is not None]

    def close_question(self, unsaved: list[str]) -> QMessageBox:
        """The question asked before typed work is thrown away; No is the default, so an
        Enter or an Esc by habit keeps the window."""
        box = QMessageBox(
            QMessageBox.Icon.Question,
            _("Unsaved changes"),
            _("There are unsaved changes: {changes}. Close anyway?").format(
                changes="; ".join(unsaved)
            ),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            self,
        )
        box.setObjectName("UnsavedChangesQuestion")
        box.setDefaultButton(QMessageBox.StandardButton.No)
        box.setEscapeButton(QMessageBox.StandardButton.No)
        return box

    def may_close(self) -> bool:
        """True when nothing typed would be lost, or the manager says it may be."""
        unsaved = self.unsaved()
        if not unsaved or not self.isVisible():
            return True
        return self.close_question(unsaved).exec() == QMessageBox.StandardButton.Yes

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Esc reaches the window only when no field wanted it (an open cell editor
        # takes it back first), as a dialog closes on Esc.
        if event.key() == Qt.Key.Key_Escape and event.modifiers() == Qt.KeyboardModifier.NoModifier:
            self.close()
            return
        super().keyPressEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.may_close():
            event.ignore()
            return
        self._stop_listening()
        if self._following:
            self._following = False
            self.context.ops.operation_did_execute.disconnect(self._store_changed)
        self.closed.emit()
        super().closeEvent(event)
