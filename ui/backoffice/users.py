"""Users: everyone who signs in at the tills, a form for a new cashier or manager, and
what a manager does for one of them: a new PIN, an unlock, deactivation."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from pos.domain.results import Changed
from pos.domain.users import Role
from pos.services import UnitOfWork
from pos.services.users import (
    UserRecord,
    UserView,
    create_user,
    list_all_users,
    reset_pin,
    set_user_active,
    unlock_user,
)
from ui.backoffice.common import Column, Context, Page, RowsModel, when
from ui.backoffice.widgets import day_text, table
from ui.i18n import N_, _
from ui.shop_time import local

ROLES = {Role.CASHIER: N_("Cashier"), Role.MANAGER: N_("Manager")}
PIN_LENGTH = 8

USER_COLUMNS: tuple[Column[UserRecord], ...] = (
    Column(N_("Username"), lambda u: u.username),
    Column(N_("Full name"), lambda u: u.display_name),
    Column(N_("Role"), lambda u: _(ROLES[u.role])),
    Column(N_("Active"), lambda u: _("Yes") if u.active else _("No")),
    Column(N_("Locked until"), lambda u: when(u.locked_until)),
    Column(N_("Wrong PINs"), lambda u: str(u.failed_pin_attempts), align_right=True),
    Column(N_("Created"), lambda u: day_text(local(u.created_at).date())),
)


def pin_field(name: str) -> QLineEdit:
    field = QLineEdit(objectName=name)
    field.setEchoMode(QLineEdit.EchoMode.Password)
    field.setMaxLength(PIN_LENGTH)
    field.setInputMethodHints(Qt.InputMethodHint.ImhDigitsOnly)
    return field


class UsersPage(Page):
    title = N_("Users")
    follows = Changed.USERS

    def __init__(self, context: Context, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.setObjectName("UsersPage")
        self.chosen: UserRecord | None = None
        self._keep: int | None = None  # the user to choose again when the list comes back

        self.users = RowsModel(USER_COLUMNS)
        self.users_view = table(self.users, "UsersTable")
        self.users_view.selectionModel().selectionChanged.connect(self._chosen)

        self.new_box = QGroupBox(objectName="NewUser")
        self.username = QLineEdit(objectName="NewUsername")
        self.username.setMaxLength(64)
        self.display_name = QLineEdit(objectName="NewDisplayName")
        self.display_name.setMaxLength(200)
        self.role = QComboBox(objectName="NewRole")
        for role in ROLES:
            self.role.addItem("", role.value)
        self.pin = pin_field("NewPin")
        self.pin_again = pin_field("NewPinAgain")
        self.create_button = QPushButton(objectName="CreateUser")
        self.create_button.setProperty("primary", True)
        self.create_button.clicked.connect(self.add_user)
        self.new_labels = [QLabel() for _field in range(5)]
        new_form = QFormLayout()
        for label, field in zip(
            self.new_labels,
            (self.username, self.display_name, self.role, self.pin, self.pin_again),
            strict=True,
        ):
            label.setBuddy(field)
            new_form.addRow(label, field)
        new_layout = QVBoxLayout(self.new_box)
        new_layout.addLayout(new_form)
        new_layout.addWidget(self.create_button, 0, Qt.AlignmentFlag.AlignRight)

        self.chosen_box = QGroupBox(objectName="ChosenUser")
        self.new_pin = pin_field("ResetPin")
        self.new_pin_again = pin_field("ResetPinAgain")
        self.reset_button = QPushButton(objectName="ResetPin")
        self.reset_button.clicked.connect(self.reset)
        self.unlock_button = QPushButton(objectName="UnlockUser")
        self.unlock_button.clicked.connect(self.unlock)
        self.active_button = QPushButton(objectName="ToggleUserActive")
        self.active_button.clicked.connect(self.toggle_active)
        self.reset_labels = [QLabel(), QLabel()]
        reset_form = QFormLayout()
        for label, field in zip(self.reset_labels, (self.new_pin, self.new_pin_again), strict=True):
            label.setBuddy(field)
            reset_form.addRow(label, field)
        actions = QHBoxLayout()
        actions.addWidget(self.unlock_button)
        actions.addWidget(self.active_button)
        actions.addStretch(1)
        chosen_layout = QVBoxLayout(self.chosen_box)
        chosen_layout.addLayout(reset_form)
        chosen_layout.addWidget(self.reset_button, 0, Qt.AlignmentFlag.AlignRight)
        chosen_layout.addLayout(actions)

        side = QVBoxLayout()
        side.addWidget(self.new_box)
        side.addWidget(self.chosen_box)
        side.addStretch(1)
        side_widget = QWidget(objectName="UsersSide")
        side_widget.setLayout(side)
        side_widget.setFixedWidth(315)
        side.setContentsMargins(0, 0, 0, 0)

        body = QHBoxLayout()
        body.addWidget(self.users_view, 1)
        body.addWidget(side_widget)
        self.layout_.addWidget(self.message)
        self.layout_.addLayout(body, 1)
        self.retranslate()
        self._choose(None)

    # -- the list --------------------------------------------------------------------

    def refresh(self) -> None:
        manager_id = self.manager_id
        if self.chosen is not None and self._keep is None:
            self._keep = self.chosen.id
        self.call(lambda uow: list_all_users(uow, manager_id=manager_id), self._listed)

    def _listed(self, found: tuple[UserRecord, ...]) -> None:
        keep, self._keep = self._keep, None
        self.users.show(found)
        row = next((n for n, user in enumerate(found) if user.id == keep), None)
        if row is None:
            self._choose(None)
        else:
            self.users_view.selectRow(row)
            self._choose(found[row])

    def _chosen(self, *_args: object) -> None:
        rows = self.users_view.selectionModel().selectedRows()
        self._choose(self.users.row_at(rows[0].row()) if rows else None)

    def _choose(self, user: UserRecord | None) -> None:
        self.chosen = user
        self.chosen_box.setEnabled(user is not None)
        self.unlock_button.setEnabled(user is not None and user.failed_pin_attempts > 0)
        self._write_chosen_texts()

    def _changed(self, *, user_id: int, text: str) -> None:
        """A change went through: say so, and show the list as the store has it now."""
        self.message.say("info", lambda: _(text))
        self._keep = user_id
        self.refresh()

    # -- actions ---------------------------------------------------------------------

    def _pins_match(self, first: QLineEdit, second: QLineEdit) -> bool:
        if first.text() == second.text():
            return True
        self.message.say("error", lambda: _("The two PINs are not the same."))
        second.clear()
        second.setFocus()
        return False

    def add_user(self) -> None:
        self.message.clear_message()
        if not self._pins_match(self.pin, self.pin_again):
            return
        username, shown = self.username.text(), self.display_name.text()
        role, pin, manager_id = Role(self.role.currentData()), self.pin.text(), self.manager_id

        def made(user: UserView) -> None:
            for field in (self.username, self.display_name, self.pin, self.pin_again):
                field.clear()
            self._changed(user_id=user.id, text=N_("The user was created."))

        self.call(
            lambda uow: create_user(uow, username, shown, role, pin, by_user_id=manager_id), made
        )

    def reset(self) -> None:
        user = self.chosen
        self.message.clear_message()
        if user is None or not self._pins_match(self.new_pin, self.new_pin_again):
            return
        user_id, pin, manager_id = user.id, self.new_pin.text(), self.manager_id

        def done(_record: UserRecord) -> None:
            self.new_pin.clear()
            self.new_pin_again.clear()
            self._changed(user_id=user_id, text=N_("The new PIN is set."))

        self.call(lambda uow: reset_pin(uow, user_id, pin, manager_id=manager_id), done)

    def unlock(self) -> None:
        user = self.chosen
        if user is None:
            return
        user_id, manager_id = user.id, self.manager_id
        self.message.clear_message()
        self.call(
            lambda uow: unlock_user(uow, user_id, manager_id=manager_id),
            lambda _view: self._changed(user_id=user_id, text=N_("The user is unlocked.")),
        )

    def toggle_active(self) -> None:
        user = self.chosen
        if user is None:
            return
        user_id, active, manager_id = user.id, not user.active, self.manager_id
        text = N_("The user is active again.") if active else N_("The user is deactivated.")

        def ask(uow: UnitOfWork) -> Any:
            return set_user_active(uow, user_id, active, manager_id=manager_id)

        self.message.clear_message()
        self.call(ask, lambda _record: self._changed(user_id=user_id, text=text))

    # -- texts -----------------------------------------------------------------------

    def _write_chosen_texts(self) -> None:
        user = self.chosen
        if user is None:
            self.chosen_box.setTitle(_("Choose a user in the list"))
        else:
            self.chosen_box.setTitle(user.display_name)
        active = user is None or user.active
        self.active_button.setText(_("Deactivate") if active else _("Reactivate"))

    def retranslate(self) -> None:
        super().retranslate()
        self.new_box.setTitle(_("New user"))
        for label, text in zip(
            self.new_labels,
            (N_("Username"), N_("Full name"), N_("Role"), N_("PIN"), N_("PIN again")),
            strict=True,
        ):
            label.setText(_(text))
        for index, role in enumerate(ROLES):
            self.role.setItemText(index, _(ROLES[role]))
        self.username.setPlaceholderText(_("e.g. ayse.k"))
        self.pin.setPlaceholderText(_("4-8 digits"))
        self.create_button.setText(_("Create user"))
        for label, text in zip(self.reset_labels, (N_("New PIN"), N_("PIN again")), strict=True):
            label.setText(_(text))
        self.new_pin.setPlaceholderText(_("4-8 digits"))
        self.reset_button.setText(_("Reset PIN"))
        self.unlock_button.setText(_("Unlock"))
        self._write_chosen_texts()
        self.users.refresh_texts()
