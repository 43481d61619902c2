"""Recording an aid on a family (type, activities it applies to, amount per day, validity)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from ...models import WalletKind
from ...services.families.view import WALLET_LABELS
from ...services.money.aids import AidTypeRow, add_aid
from ..families.family_dialog import SavingDialog
from ..widgets import NameCombo, amount, date_edit, date_of


@dataclass(frozen=True)
class AidValues:
    aid_type_id: int
    wallets: list[WalletKind]
    amount: str
    valid_from: date
    valid_to: date


class AidDialog(SavingDialog):
    """An aid's fields (``value()``); the family page records it."""

    def __init__(self, parent: QWidget | None, types: list[AidTypeRow], today: date) -> None:
        super().__init__(parent)
        self.setWindowTitle("Ajouter une aide")
        self.kind = NameCombo()
        for t in types:
            self.kind.addItem(t.name, t.id)
        self.checks = {kind: QCheckBox(WALLET_LABELS[kind]) for kind in WalletKind}
        self.checks[WalletKind.ALSH].setChecked(True)
        checks = QHBoxLayout()
        for box in self.checks.values():
            checks.addWidget(box)
        checks.addStretch(1)
        self.amount = amount(QLineEdit(), add_aid, "amount")
        self.amount.setPlaceholderText("ex. 4,00")
        start = date(today.year if today.month >= 9 else today.year - 1, 9, 1)
        self.valid_from = date_edit(start)
        self.valid_to = date_edit(date(start.year + 1, 8, 31))
        self.fields = {"amount": self.amount, "dates": self.valid_to}
        form = QFormLayout()
        form.addRow("Aide", self.kind)
        form.addRow("S'applique à", checks)
        form.addRow("Montant par jour (€)", self.amount)
        form.addRow("Valable du", self.valid_from)
        form.addRow("au", self.valid_to)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.errors)
        layout.addWidget(self.buttons)

    def wallets(self) -> list[WalletKind]:
        return [kind for kind, box in self.checks.items() if box.isChecked()]

    def value(self) -> AidValues:
        return AidValues(
            self.kind.currentData(),
            self.wallets(),
            self.amount.text(),
            date_of(self.valid_from),
            date_of(self.valid_to),
        )
