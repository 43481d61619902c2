"""The "Soldes et paiements" tab: balances per wallet, the ledger with running balance, the payment history,
taking a payment, the receipt PDF; reversing a payment and adjusting a balance for supervisors only."""

from __future__ import annotations

from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..clock import PARIS
from ..models import WalletKind
from ..services.families.view import FamilySummary
from ..services.money.amounts import format_eur
from ..services.money.payments import adjust, ledger_rows, payment_rows, record_payment, reverse_payment
from .context import CounterContext
from .payment_dialog import AdjustmentDialog, PaymentDialog, ReasonDialog
from .print_preview import PrintPreview
from .table_model import Column, RowsModel
from .theme import DEBIT
from .widgets import table_view

GREY = QColor("#757575")


def _money(cents: int) -> str:
    return format_eur(cents)


class BalancesTab(QWidget):
    def __init__(self, ctx: CounterContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.family: FamilySummary | None = None
        self.dialog = None
        self.wallets = RowsModel(
            [
                Column("Porte-monnaie", lambda w: w.label),
                Column(
                    "Solde",
                    lambda w: _money(w.balance_cents),
                    right=True,
                    colour=lambda w: DEBIT if w.balance_cents < 0 else None,
                ),  # fmt: skip
            ]
        )
        self.ledger = RowsModel(
            [
                Column("Date", lambda e: f"{e.at.astimezone(PARIS):%d/%m/%Y %H:%M}"),
                Column("Porte-monnaie", lambda e: e.wallet),
                Column("Libellé", lambda e: e.label),
                Column(
                    "Montant",
                    lambda e: _money(e.amount_cents),
                    right=True,
                    colour=lambda e: DEBIT if e.amount_cents < 0 else None,
                ),  # fmt: skip
                Column(
                    "Solde",
                    lambda e: _money(e.running_cents),
                    right=True,
                    colour=lambda e: DEBIT if e.running_cents < 0 else None,
                ),  # fmt: skip
            ]
        )
        self.payments = RowsModel(
            [
                Column("Date", lambda p: f"{p.paid_at.astimezone(PARIS):%d/%m/%Y %H:%M}"),
                Column("Reçu n°", lambda p: p.receipt_number),
                Column("Mode", lambda p: p.method),
                Column("Montant", lambda p: _money(p.amount_cents), right=True),
                Column("Porte-monnaie", lambda p: p.wallet),
                Column("Agent", lambda p: p.agent),
                Column(
                    "État",
                    lambda p: "Annulé" if p.reversed else "Encaissé",
                    colour=lambda p: DEBIT if p.reversed else None,
                ),  # fmt: skip
            ]
        )
        self.wallet_view = table_view(self.wallets, 0)
        self.wallet_view.setMaximumHeight(104)
        self.ledger_view = table_view(self.ledger, 2)
        self.payment_view = table_view(self.payments, 2)
        self.total = QLabel()
        self.total.setObjectName("balance")
        self.pay = QPushButton("&Encaisser un règlement…")
        self.pay.setObjectName("primary")
        self.receipt = QPushButton("Imprimer le reçu…")
        self.reverse = QPushButton("Annuler le règlement…")
        self.adjust = QPushButton("Ajustement…")
        supervisor = ctx.actor.is_supervisor
        self.reverse.setVisible(supervisor)
        self.adjust.setVisible(supervisor)

        top = QHBoxLayout()
        top.addWidget(QLabel("Solde du compte famille :"))
        top.addWidget(self.total)
        top.addStretch(1)
        top.addWidget(self.pay)
        top.addWidget(self.adjust)
        history_buttons = QHBoxLayout()
        history_buttons.addWidget(QLabel("<b>Historique des règlements</b>"))
        history_buttons.addStretch(1)
        history_buttons.addWidget(self.receipt)
        history_buttons.addWidget(self.reverse)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.wallet_view)
        layout.addWidget(QLabel("<b>Écritures du compte</b> (les plus récentes d'abord)"))
        layout.addWidget(self.ledger_view, 3)
        layout.addLayout(history_buttons)
        layout.addWidget(self.payment_view, 2)

        self.pay.clicked.connect(lambda: self.open_payment())
        self.receipt.clicked.connect(self.preview_selected_receipt)
        self.reverse.clicked.connect(self.reverse_selected)
        self.adjust.clicked.connect(self.open_adjustment)

    # --- data ------------------------------------------------------------------------------------
    def set_family(self, family: FamilySummary) -> None:
        self.family = family
        self.reverse.setVisible(self.ctx.actor.is_supervisor)
        self.adjust.setVisible(self.ctx.actor.is_supervisor)
        self.total.setText(_money(family.balance_cents))
        self.total.setProperty("debit", family.in_debit)
        self.total.style().unpolish(self.total)
        self.total.style().polish(self.total)
        self.wallets.set_rows(family.wallets)
        self.ledger.set_rows(self.ctx.ops.read(lambda: ledger_rows(self.ctx.db, family.id), []))
        self.payments.set_rows(self.ctx.ops.read(lambda: payment_rows(self.ctx.db, family.id), []))

    def selected_payment(self):
        index = self.payment_view.currentIndex()
        return self.payments.rows[index.row()] if index.isValid() else None

    # --- actions ---------------------------------------------------------------------------------
    def open_payment(
        self,
        suggested: str = "",
        wallet: WalletKind = WalletKind.ALSH,
        missing_cents: int = 0,
        parent=None,
        on_paid=None,
    ) -> PaymentDialog | None:
        """Open the payment dialog (also used from the recap, prefilled with the missing amount)."""
        if self.family is None or self.ctx.structure_id is None:
            return None
        structure_id = self.ctx.structure_id

        def save(data):
            receipt = self.ctx.ops.attempt(
                lambda: record_payment(self.ctx.db, self.ctx.actor, structure_id, data)
            )
            self.ctx.ops.inform(
                "Règlement enregistré",
                f"Règlement de {_money(receipt.amount_cents)} enregistré : reçu n° {receipt.number}. "
                f"Nouveau solde : {_money(receipt.balance_after_cents)}.",
            )
            return receipt

        self.dialog = PaymentDialog(parent or self, save, self.family.id, self.family.name, self.family.balance_cents,
                                    suggested, wallet, missing_cents)  # fmt: skip
        if on_paid is not None:
            self.dialog.accepted.connect(on_paid)
        self.dialog.open()
        return self.dialog

    def preview_selected_receipt(self) -> PrintPreview | None:
        payment = self.selected_payment()
        if payment is None:
            self.ctx.ops.inform("Reçu", "Sélectionnez un règlement dans l'historique.")
            return None
        from ..services.documents.receipt import receipt_pdf  # reportlab only when printing

        pdf = self.ctx.ops.read(lambda: receipt_pdf(self.ctx.db, payment.id, self.ctx.actor.name), None)
        if pdf is None:
            return None
        self.preview = PrintPreview(
            self, pdf, f"Reçu {payment.receipt_number}", f"recu-{payment.receipt_number}.pdf"
        )
        self.preview.open()
        return self.preview

    def reverse_selected(self) -> None:
        payment = self.selected_payment()
        if payment is None or payment.reversed:
            self.ctx.ops.inform(
                "Annuler un règlement", "Sélectionnez un règlement encaissé dans l'historique."
            )
            return
        self.dialog = ReasonDialog(
            self,
            "Annuler un règlement",
            f"Annuler le règlement {payment.receipt_number} de {_money(payment.amount_cents)} ? "
            "Une écriture de contrepassation sera enregistrée ; le règlement reste dans l'historique.",
            lambda reason: self.ctx.ops.attempt(
                lambda: reverse_payment(self.ctx.db, self.ctx.actor, payment.id, reason)
            ),
        )
        self.dialog.open()

    def open_adjustment(self) -> None:
        if self.family is None or self.ctx.structure_id is None:
            return
        family_id, structure_id = self.family.id, self.ctx.structure_id
        self.dialog = AdjustmentDialog(
            self,
            lambda wallet, amount, reason: self.ctx.ops.attempt(
                lambda: adjust(self.ctx.db, self.ctx.actor, structure_id, family_id, wallet, amount, reason)
            ),
        )
        self.dialog.open()
