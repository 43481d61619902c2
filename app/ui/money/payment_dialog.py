"""Dialogs for money at the counter: take a payment, give a reason (reversal), make an adjustment.

They only collect values; the tab that opens one records them through ``Operations.form``, with the operation
key it made when the dialog opened (kept for every retry while the dialog stays open).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QButtonGroup,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from ...models import TILL_METHODS, PaymentMethod, WalletKind
from ...services.bounds import Reason
from ...services.families.view import WALLET_LABELS
from ...services.money.payments import METHOD_LABELS, PaymentInput, adjust
from ...text import format_eur
from ..families.family_dialog import SavingDialog
from ..widgets import amount, bound, digits


@dataclass(frozen=True)
class AdjustmentValues:
    wallet: WalletKind
    amount: str
    reason: str


MNEMONIC_LABELS = {
    PaymentMethod.CASH: "&Espèces",
    PaymentMethod.CHEQUE: "&Chèque",
    PaymentMethod.CARD: "Carte &bancaire",
    PaymentMethod.TRANSFER: "&Virement",
}
"""The methods a counter takes, each with its key (Alt+C: a cheque)."""


class MethodChoice(QWidget):
    """The payment method as a row of buttons, one click (or Alt+letter) each; read like a combo box."""

    currentIndexChanged = Signal(int)

    def __init__(self, methods: tuple[PaymentMethod, ...]) -> None:
        super().__init__()
        self.methods = list(methods)
        self.group = QButtonGroup(self)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        for i, method in enumerate(self.methods):
            button = QRadioButton(MNEMONIC_LABELS.get(method, METHOD_LABELS[method]))
            button.setAccessibleName(METHOD_LABELS[method])
            self.group.addButton(button, i)
            row.addWidget(button)
        row.addStretch(1)
        self.group.button(0).setChecked(True)
        self.group.idToggled.connect(self._toggled)

    def _toggled(self, i: int, on: bool) -> None:
        if on:
            self.currentIndexChanged.emit(i)

    def count(self) -> int:
        return len(self.methods)

    def itemText(self, i: int) -> str:  # noqa: N802 - as QComboBox says it
        return METHOD_LABELS[self.methods[i]]

    def currentIndex(self) -> int:  # noqa: N802
        return self.group.checkedId()

    def currentData(self) -> PaymentMethod:  # noqa: N802
        return self.methods[self.currentIndex()]

    def currentText(self) -> str:  # noqa: N802
        return self.itemText(self.currentIndex())

    def findData(self, method: PaymentMethod) -> int:  # noqa: N802
        return self.methods.index(method) if method in self.methods else -1

    def findText(self, text: str) -> int:  # noqa: N802
        return next((i for i in range(self.count()) if self.itemText(i) == text), -1)

    def setCurrentIndex(self, i: int) -> None:  # noqa: N802
        self.group.button(i).setChecked(True)

    def setCurrentText(self, text: str) -> None:  # noqa: N802
        self.setCurrentIndex(self.findText(text))

    def button(self, method: PaymentMethod) -> QAbstractButton:
        return self.group.button(self.findData(method))


class PaymentDialog(SavingDialog):
    """Collects a payment (``value()``: a PaymentInput). The amount comes first, prefilled; then the method: a
    cheque moves the cursor to its bank, or to its number when the family's last cheque gave the bank (``bank``)."""

    def __init__(
        self,
        parent: QWidget | None,
        family_id: int,
        family_name: str,
        balance_cents: int,
        suggested: str = "",
        wallet: WalletKind = WalletKind.ALSH,
        missing_cents: int = 0,
        structure: str = "",
        bank: str = "",
    ) -> None:
        super().__init__(parent)
        self.family_id = family_id
        self.structure = structure
        """The structure whose till and receipts the payment goes to, named in the title."""
        self.setWindowTitle(
            f"Encaisser un règlement – Famille {family_name}" + (f" – {structure}" if structure else "")
        )
        self.buttons.button(self.buttons.StandardButton.Save).setText("Encaisser")
        self.wallet = QComboBox()
        for kind in WalletKind:
            self.wallet.addItem(f"Porte-monnaie {WALLET_LABELS[kind]}", kind)
        self.wallet.setCurrentIndex(self.wallet.findData(wallet))
        self.method = MethodChoice(TILL_METHODS)  # what a counter takes (« Carte en ligne » is the portal's)
        self.amount = amount(QLineEdit(suggested), PaymentInput, "amount")
        self.amount.setPlaceholderText("ex. 65,00")
        self.bank = bound(QLineEdit(bank), PaymentInput, "cheque_bank")
        self.bank.installEventFilter(self)
        self.number = digits(QLineEdit(), PaymentInput, "cheque_number")
        self.drawer = bound(QLineEdit(), PaymentInput, "cheque_drawer")
        self.drawer.setPlaceholderText("si le chèque n'est pas signé d'un responsable de la famille")
        self.fields = {
            "amount": self.amount,
            "cheque_bank": self.bank,
            "cheque_number": self.number,
            "cheque_drawer": self.drawer,
        }
        info = f"Solde actuel du compte : {format_eur(balance_cents)}"
        if missing_cents:
            info += f" · il manque {format_eur(missing_cents)} pour les demandes en cours"
        form = QFormLayout()
        for label, field in (
            ("&Porte-monnaie", self.wallet),
            ("&Montant (€)", self.amount),
            ("Mode de règlement", self.method),
            ("Ban&que du chèque", self.bank),
            ("&N° du chèque", self.number),
            ("&Tireur du chèque", self.drawer),
        ):
            shown = QLabel(label)
            shown.setBuddy(field)
            form.addRow(shown, field)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(info))
        layout.addWidget(QLabel("Le montant proposé peut être modifié (par exemple pour payer d'avance)."))
        layout.addLayout(form)
        layout.addWidget(self.errors)
        layout.addWidget(self.buttons)
        self.method.currentIndexChanged.connect(self._method_chosen)
        self._cheque_fields()
        self.amount.setFocus()
        self.amount.selectAll()

    def _cheque(self) -> bool:
        return self.method.currentData() is PaymentMethod.CHEQUE

    def _cheque_fields(self) -> None:
        cheque = self._cheque()
        self.bank.setEnabled(cheque)
        self.number.setEnabled(cheque)
        self.drawer.setEnabled(cheque)

    def _method_chosen(self) -> None:
        """A cheque: the cursor goes where the agent types next (the bank, or its number once the bank is known)."""
        self._cheque_fields()
        if self._cheque():
            (self.number if self.bank.text().strip() else self.bank).setFocus()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        """Entrée in the bank goes on to the cheque's number (the form is not sent without it)."""
        if (
            watched is self.bank
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
            and not self.number.text().strip()
        ):
            self.number.setFocus()
            return True
        return super().eventFilter(watched, event)

    def value(self) -> PaymentInput:
        return PaymentInput(
            family_id=self.family_id,
            wallet_kind=self.wallet.currentData(),
            method=self.method.currentData(),
            amount=self.amount.text(),
            cheque_bank=self.bank.text(),
            cheque_number=self.number.text(),
            cheque_drawer=self.drawer.text(),
        )


class ReasonDialog(SavingDialog):
    """A mandatory reason for a supervisor's action (reversal of a payment)."""

    def __init__(self, parent: QWidget | None, title: str, question: str) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.buttons.button(self.buttons.StandardButton.Save).setText("Valider")
        self.reason = bound(QLineEdit(), Reason)
        self.reason.setPlaceholderText("Motif (obligatoire)")
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(question))
        layout.addWidget(self.reason)
        layout.addWidget(self.errors)
        layout.addWidget(self.buttons)

    def value(self) -> str:
        return self.reason.text()


class AdjustmentDialog(SavingDialog):
    """A supervisor's manual adjustment: wallet, signed amount, reason."""

    def __init__(self, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Ajustement de solde")
        self.buttons.button(self.buttons.StandardButton.Save).setText("Enregistrer l'ajustement")
        self.wallet = QComboBox()
        for kind in WalletKind:
            self.wallet.addItem(f"Porte-monnaie {WALLET_LABELS[kind]}", kind)
        self.amount = amount(QLineEdit(), adjust, "amount", signed=True)
        self.amount.setPlaceholderText("ex. -6,50 ou 13,00")
        self.reason = bound(QLineEdit(), adjust, "reason")
        self.reason.setPlaceholderText("Motif (obligatoire)")
        form = QFormLayout()
        form.addRow("Porte-monnaie", self.wallet)
        form.addRow("Montant (€, signé)", self.amount)
        form.addRow("Motif", self.reason)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.errors)
        layout.addWidget(self.buttons)

    def value(self) -> AdjustmentValues:
        return AdjustmentValues(self.wallet.currentData(), self.amount.text(), self.reason.text())
