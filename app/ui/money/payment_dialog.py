"""Dialogs for money at the counter: take a payment, give a reason (reversal), make an adjustment.

They only collect values; the tab that opens one records them through ``Operations.form``, with the operation
key it made when the dialog opened (kept for every retry while the dialog stays open).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from ...models import TILL_METHODS, PaymentMethod, WalletKind
from ...services.bounds import Reason
from ...services.families.view import WALLET_LABELS
from ...services.money.amounts import format_eur
from ...services.money.payments import METHOD_LABELS, PaymentInput, adjust
from ..families.family_dialog import SavingDialog
from ..widgets import amount, bound, digits


@dataclass(frozen=True)
class AdjustmentValues:
    wallet: WalletKind
    amount: str
    reason: str


class PaymentDialog(SavingDialog):
    """Collects a payment (``value()``: a PaymentInput)."""

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
        self.method = QComboBox()
        for method in TILL_METHODS:  # what a counter takes (« Carte en ligne » is the portal's)
            self.method.addItem(METHOD_LABELS[method], method)
        self.amount = amount(QLineEdit(suggested), PaymentInput, "amount")
        self.amount.setPlaceholderText("ex. 65,00")
        self.bank = bound(QLineEdit(), PaymentInput, "cheque_bank")
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
        form.addRow("Porte-monnaie", self.wallet)
        form.addRow("Mode de règlement", self.method)
        form.addRow("Montant (€)", self.amount)
        form.addRow("Banque du chèque", self.bank)
        form.addRow("N° du chèque", self.number)
        form.addRow("Tireur du chèque", self.drawer)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(info))
        layout.addWidget(QLabel("Le montant proposé peut être modifié (par exemple pour payer d'avance)."))
        layout.addLayout(form)
        layout.addWidget(self.errors)
        layout.addWidget(self.buttons)
        self.method.currentIndexChanged.connect(self._cheque_fields)
        self._cheque_fields()
        self.amount.setFocus()
        self.amount.selectAll()

    def _cheque_fields(self) -> None:
        cheque = PaymentMethod(self.method.currentData()) is PaymentMethod.CHEQUE  # Qt hands the text back
        self.bank.setEnabled(cheque)
        self.number.setEnabled(cheque)
        self.drawer.setEnabled(cheque)

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
