"""Weighed goods at the till: the weight of a product scanned without one comes from the
scale (read on a worker, never the GUI thread) or, if there is none or it cannot say,
from the cashier in a small dialog; then the product is rung up with it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from pos.domain.messages import render
from pos.domain.results import Code, Err, Result
from pos.services.cart import CartSummary
from ui.dialogs import _button, shortcut_text
from ui.i18n import _, language

RingUp = Callable[[object], Result[CartSummary]]
"""Rings the product up with a quantity: as typed (``"1,250"``) or grams from the scale."""
WEIGHT_REFUSALS = frozenset(
    {
        Code.WEIGHT_NOT_A_NUMBER,
        Code.WEIGHT_NOT_POSITIVE,
        Code.WEIGHT_TOO_PRECISE,
        Code.WEIGHT_AMBIGUOUS,
        Code.WEIGHT_OVER_MAXIMUM,
    }
)
"""A weight the cashier typed (or the scale read) that cannot be sold: asked again."""


class WeightDialog(QDialog):
    """Asks for a weight in kg; Enter takes it, Esc gives up, F4 reads the scale again."""

    def __init__(
        self, question: str, problem: str | None, has_scale: bool, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("WeightDialog")
        self.setModal(True)
        self.read_scale = False
        self.question = QLabel(question, objectName="Question")
        self.question.setWordWrap(True)
        self.problem = QLabel(problem or "", objectName="WeightProblem")
        self.problem.setWordWrap(True)
        self.problem.setVisible(bool(problem))
        self.entry = QLineEdit(objectName="WeightEntry")
        self.entry.setPlaceholderText("1,250")
        self.entry.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.entry.returnPressed.connect(self.accept)
        unit = QLabel("kg")
        entry_row = QHBoxLayout()
        entry_row.addWidget(self.entry, 1)
        entry_row.addWidget(unit)
        self.ok_button = _button(self, None, "WeightOk")
        self.ok_button.setText(shortcut_text(_("Add"), "Enter"))
        self.ok_button.clicked.connect(self.accept)
        self.cancel_button = _button(self, None, "WeightCancel")
        self.cancel_button.setText(shortcut_text(_("Cancel"), "Esc"))
        self.cancel_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.cancel_button)
        if has_scale:
            self.scale_button = _button(self, "F4", "WeightScale")
            self.scale_button.setText(shortcut_text(_("Read the scale"), "F4"))
            self.scale_button.clicked.connect(self._read_scale)
            buttons.addWidget(self.scale_button)
        buttons.addWidget(self.ok_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.question)
        layout.addWidget(self.problem)
        layout.addLayout(entry_row)
        layout.addLayout(buttons)
        self.setWindowTitle(_("Weight"))
        self.setMinimumWidth(480)
        self.entry.setFocus()

    def _read_scale(self) -> None:
        self.read_scale = True
        self.accept()


class SaleWeighing:
    """A room of ``TillWindow``: the weight a weighed line needs."""

    def ring_up(self, add: RingUp, quantity: object) -> None:
        """Ring a product up with ``quantity`` (None: as the product says, which asks a
        weighed product's weight); a weight asked for comes back to ``add``."""
        self._weighing, self.weight_asked = add, None
        self.ops.run(lambda: add(quantity), self._cart_answer, self._store_failed, originator=self)

    def _ring_weighed(self, asked: Err, weight: object) -> None:
        self.ring_up(self._weighing, weight)
        self.weight_asked = asked  # a weight refused asks again, saying why

    def weigh(self, asked: Err, problem: Err | None = None) -> None:
        """The product needs its weight: the scale's, else the cashier's."""
        scale = getattr(self.till, "scale", None)
        if scale is None or problem is not None:
            self._ask_weight(asked, problem, has_scale=scale is not None)
            return
        self.show_banner("info", lambda: _("Reading the scale…"))
        # Wrapped: a scale's answer is no word about the store.
        self.ops.run(
            lambda: (scale.read(),),
            lambda answer: self._scale_answered(asked, answer[0]),
            self._store_failed,
            network=True,
        )

    def _scale_answered(self, asked: Err, reading: Any) -> None:
        if isinstance(reading, Err):
            self.weigh(asked, reading)
        else:
            self.clear_banner()
            self._ring_weighed(asked, reading)

    def _ask_weight(self, asked: Err, problem: Err | None, *, has_scale: bool) -> None:
        self.clear_banner()
        dialog = WeightDialog(
            render(asked, language()),
            render(problem, language()) if problem is not None else None,
            has_scale,
            self,  # type: ignore[arg-type]
        )
        self.weight_dialog = dialog
        dialog.finished.connect(lambda code: self._weight_given(asked, dialog, code))
        dialog.open()

    def _weight_given(self, asked: Err, dialog: WeightDialog, code: int) -> None:
        self.weight_dialog = None
        if dialog.read_scale:
            self.weigh(asked)
        elif code == QDialog.DialogCode.Accepted and dialog.entry.text().strip():
            self._ring_weighed(asked, dialog.entry.text().strip())
        self.focus_scan()
