"""Signing in at the till: pick a user, type the PIN (keyboard or on-screen pad)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from pos.domain.users import DEMO_CASHIER, DEMO_MANAGER, Role, UserView
from ui.i18n import _


class LoginWidget(QWidget):
    """Asks for a user and a PIN; the window signs in on the worker and answers here."""

    sign_in_requested = Signal(int, str)  # user id, PIN
    language_requested = Signal()

    def __init__(self, parent: QWidget | None = None, *, demo_hint: bool = False) -> None:
        super().__init__(parent)
        self.setObjectName("LoginWidget")
        self.demo_hint = demo_hint
        self.users: tuple[UserView, ...] = ()
        self.title = QLabel(objectName="LoginTitle")
        self.hint = QLabel(objectName="LoginHint")
        self.user_box = QVBoxLayout()
        self.user_group = QButtonGroup(self)
        self.user_group.setExclusive(True)
        self.user_group.idClicked.connect(lambda _id: self.pin.setFocus())
        self.pin = QLineEdit(objectName="PinEntry")
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin.setMaxLength(8)
        self.pin.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.pin.setMinimumHeight(56)
        self.pin.returnPressed.connect(self.submit)
        self.problem = QLabel(objectName="InlineError")
        self.problem.setWordWrap(True)
        self.problem.hide()
        pad = QGridLayout()
        self.pad_buttons: list[QPushButton] = []
        for number, digit in enumerate("123456789"):
            pad.addWidget(self._pad_button(digit), number // 3, number % 3)
        self.clear_button = self._pad_button("⌫")
        self.clear_button.clicked.disconnect()
        self.clear_button.clicked.connect(self.pin.backspace)
        pad.addWidget(self.clear_button, 3, 0)
        pad.addWidget(self._pad_button("0"), 3, 1)
        self.ok_button = QPushButton(objectName="SignIn")
        self.ok_button.setProperty("primary", True)
        self.ok_button.setMinimumSize(96, 64)
        self.ok_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.ok_button.clicked.connect(self.submit)
        pad.addWidget(self.ok_button, 3, 2)
        self.language_button = QPushButton(objectName="LanguageButton")
        self.language_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.language_button.clicked.connect(self.language_requested)

        users_panel = QFrame(objectName="Panel")
        users_layout = QVBoxLayout(users_panel)
        self.users_caption = QLabel(objectName="Caption")
        users_layout.addWidget(self.users_caption)
        users_layout.addLayout(self.user_box)
        users_layout.addStretch(1)
        pin_panel = QFrame(objectName="Panel")
        pin_layout = QVBoxLayout(pin_panel)
        self.pin_caption = QLabel(objectName="Caption")
        pin_layout.addWidget(self.pin_caption)
        pin_layout.addWidget(self.pin)
        pin_layout.addLayout(pad)
        pin_layout.addWidget(self.problem)
        pin_layout.addStretch(1)
        middle = QHBoxLayout()
        middle.addWidget(users_panel, 1)
        middle.addWidget(pin_panel, 1)
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.language_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(48, 32, 48, 32)
        layout.addLayout(top)
        layout.addWidget(self.hint)
        layout.addLayout(middle, 1)
        self.retranslate()

    def _pad_button(self, text: str) -> QPushButton:
        button = QPushButton(text, objectName="PadButton")
        button.setMinimumSize(96, 64)
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        button.clicked.connect(lambda: self.pin.insert(text))
        self.pad_buttons.append(button)
        return button

    def show_users(self, users: tuple[UserView, ...]) -> None:
        """The users to choose from, none chosen: whoever comes to the till picks their
        own name, so a PIN is never tried against the last user's account (and its
        lockout). A shop of one user has them chosen; so is whoever was chosen already
        (listed again as the till starts, or the store comes back)."""
        chosen = self.selected_user_id()
        for button in self.user_group.buttons():
            self.user_group.removeButton(button)
            button.deleteLater()
        self.users = users
        for user in users:
            button = QPushButton(objectName="UserButton")
            button.setCheckable(True)
            button.setMinimumHeight(64)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            self.user_group.addButton(button, user.id)
            self.user_box.addWidget(button)
            button.setChecked(len(users) == 1 or user.id == chosen)
        self.retranslate()
        self.pin.setFocus()

    def select_user(self, user_id: int) -> None:
        button = self.user_group.button(user_id)
        if button is not None:
            button.setChecked(True)

    def selected_user_id(self) -> int | None:
        checked = self.user_group.checkedId()
        return checked if checked != -1 else None

    def submit(self) -> None:
        user_id = self.selected_user_id()
        if user_id is None:
            self.show_problem(_("Choose who is signing in"))
            return
        pin = self.pin.text()
        self.pin.clear()
        self.sign_in_requested.emit(user_id, pin)

    def show_problem(self, text: str) -> None:
        self.problem.setText(text)
        self.problem.setVisible(bool(text))
        self.pin.setFocus()

    def reset(self) -> None:
        """Empty, for the next person: no PIN, no message, no one chosen (unless alone)."""
        self.pin.clear()
        self.show_problem("")
        checked = self.user_group.checkedButton()
        if checked is not None and len(self.users) > 1:
            self.user_group.setExclusive(False)  # an exclusive group keeps one checked
            checked.setChecked(False)
            self.user_group.setExclusive(True)

    def retranslate(self) -> None:
        self.title.setText(_("Kasa — sign in"))
        hint = _("Choose your name, type your PIN and press Enter.")
        if self.demo_hint:
            hint += "  " + _("Demo shop: cashier PIN {cashier}, manager PIN {manager}").format(
                cashier=DEMO_CASHIER[2], manager=DEMO_MANAGER[2]
            )
        self.hint.setText(hint)
        self.users_caption.setText(_("Cashier"))
        self.pin_caption.setText(_("PIN"))
        self.ok_button.setText(_("Sign in"))
        self.language_button.setText(_("Türkçe / English (F7)"))
        roles = {Role.MANAGER: _("Manager"), Role.CASHIER: _("Cashier")}
        for user in self.users:
            button = self.user_group.button(user.id)
            if button is not None:
                button.setText(f"{user.display_name}\n{roles.get(user.role, str(user.role))}")
