"""The "Soldes et paiements" tab: balances per wallet, the ledger with running balance, the payment history,
taking a payment, the receipt PDF; reversing a payment and adjusting a balance for supervisors only.

Each money dialog gets its operation key when it opens: every press of its button while it stays open (after a
failure, an unclear end, a double press) sends the same key, so one handover is one payment; a new dialog is a
new operation with a new key.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ...models import WalletKind
from ...services.families.view import FamilySummary
from ...services.money.payments import (
    Receipt,
    adjust,
    last_cheque_bank,
    ledger_rows,
    payment_rows,
    record_payment,
    reverse_payment,
)
from ...services.uow import new_operation_key
from ...text import format_eur, moment
from ..context import CounterContext
from ..documents.print_preview import PrintPreview, Rendered, rendered
from ..families.family_dialog import SavingDialog
from ..table_model import Column, RowsModel
from ..theme import DEBIT
from ..widgets import keyed, table_view
from .payment_dialog import AdjustmentDialog, PaymentDialog, ReasonDialog

GREY = QColor("#757575")


def _money(cents: int) -> str:
    return format_eur(cents)


class BalancesTab(QWidget):
    def __init__(self, ctx: CounterContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.family: FamilySummary | None = None
        self.dialog: SavingDialog | None = None
        self.preview: PrintPreview | None = None
        self.wallets = RowsModel(
            [
                Column("Porte-monnaie", lambda w: w.label),
                Column(
                    "Solde",
                    lambda w: _money(w.balance_cents),
                    right=True,
                    colour=lambda w: DEBIT if w.balance_cents < 0 else None,
                ),
            ]
        )
        self.ledger = RowsModel(
            [
                Column("Date", lambda e: moment(e.at, compact=True)),
                Column("Porte-monnaie", lambda e: e.wallet),
                Column("Libellé", lambda e: e.label),
                Column(
                    "Montant",
                    lambda e: _money(e.amount_cents),
                    right=True,
                    colour=lambda e: DEBIT if e.amount_cents < 0 else None,
                ),
                Column(
                    "Solde",
                    lambda e: _money(e.running_cents),
                    right=True,
                    colour=lambda e: DEBIT if e.running_cents < 0 else None,
                ),
            ]
        )
        self.payments = RowsModel(
            [
                Column("Date", lambda p: moment(p.paid_at, compact=True)),
                Column("Reçu n°", lambda p: p.receipt_number),
                Column("Mode", lambda p: p.method),
                Column("Montant", lambda p: _money(p.amount_cents), right=True),
                Column("Porte-monnaie", lambda p: p.wallet),
                Column("Agent", lambda p: p.agent),
                Column(
                    "État",
                    lambda p: p.state,
                    colour=lambda p: DEBIT if p.reversed else GREY if p.id is None else None,
                ),
                Column("Paiement en ligne", lambda p: p.reference),
            ]
        )
        self.wallet_view = table_view(self.wallets, 0)
        self.wallet_view.setMaximumHeight(104)
        self.ledger_view = table_view(self.ledger, 2)
        self.payment_view = table_view(self.payments, 7)  # the online payment's reference and transaction
        self.total = QLabel()
        self.total.setObjectName("balance")
        self.pay = keyed(QPushButton("&Encaisser un règlement…"), "Espèces, chèque, carte ou virement")
        self.pay.setObjectName("primary")
        self.receipt = keyed(QPushButton("Imprimer le &reçu…"), "Le reçu du règlement sélectionné")
        self.reverse = keyed(
            QPushButton("Annuler le rè&glement…"), "Régisseur : contrepasser le règlement sélectionné"
        )
        self.adjust = keyed(QPushButton("&Ajustement…"), "Régisseur : corriger un solde, avec un motif")
        self.status = QLabel()
        self.status.setObjectName("status")
        self.status.setStyleSheet("color:#1b5e20;")
        self.last_receipt: Receipt | None = None
        self.show_rights()
        ctx.role_changed.connect(self.show_rights)

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
        layout.addWidget(self.status)

        self.pay.clicked.connect(lambda: self.open_payment())
        self.receipt.clicked.connect(self.preview_selected_receipt)
        self.reverse.clicked.connect(self.reverse_selected)
        self.adjust.clicked.connect(self.open_adjustment)

    # --- data ------------------------------------------------------------------------------------
    def set_family(self, family: FamilySummary) -> None:
        self.family = family
        self.show_rights()
        self.total.setText(_money(family.balance_cents))
        self.total.setProperty("debit", family.in_debit)
        self.total.style().unpolish(self.total)
        self.total.style().polish(self.total)
        self.wallets.set_rows(family.wallets)
        self.ledger.set_rows(self.ctx.ops.run(lambda: ledger_rows(self.ctx.db, family.id), default=[]))
        self.payments.set_rows(self.ctx.ops.run(lambda: payment_rows(self.ctx.db, family.id), default=[]))

    def show_rights(self) -> None:
        """What the agent's role may do (asked again when it changes)."""
        self.reverse.setVisible(self.ctx.may("payment.reverse"))
        self.adjust.setVisible(self.ctx.may("payment.adjust"))

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
        on_paid: Callable[[Receipt], object] | None = None,
        structure_id: int | None = None,
    ) -> PaymentDialog | None:
        """Open the payment dialog (also used from the recap, prefilled with the missing amount, for the structure
        of the basket's activities). ``on_paid(receipt)`` runs once the payment is recorded. The payment goes to
        ``structure_id``'s till and receipts (default: the structure chosen at the top), named in the title."""
        structure_id = structure_id or self.ctx.structure_id
        if self.family is None or structure_id is None:
            return None
        key = new_operation_key()  # the money handed over now: kept for every retry while the dialog is open
        structure = next((x.name for x in self.ctx.structures if x.id == structure_id), "")
        family_id = self.family.id
        bank = self.ctx.ops.run(lambda: last_cheque_bank(self.ctx.db, family_id), default="")
        dialog = PaymentDialog(
            parent or self,
            self.family.id,
            self.family.name,
            self.family.balance_cents,
            suggested,
            wallet,
            missing_cents,
            structure,
            bank or "",
        )
        dialog.submitted.connect(lambda: self._record_payment(dialog, structure_id, key, on_paid))
        self.dialog = dialog
        dialog.open()
        return dialog

    def _record_payment(
        self,
        dialog: PaymentDialog,
        structure_id: int,
        key: str,
        on_paid: Callable[[Receipt], object] | None,
    ) -> None:
        data = dialog.value()

        def paid(receipt: Receipt) -> None:
            self.last_receipt = receipt
            text = (
                f"Règlement de {_money(receipt.amount_cents)} enregistré : reçu n° {receipt.number}. "
                f"Nouveau solde : {_money(receipt.balance_after_cents)}."
            )
            self.status.setText(text)
            self.ctx.ops.notice(text)  # said where the agent works: no message box to close
            if on_paid is not None:
                on_paid(receipt)

        self.ctx.ops.form(
            dialog, lambda: record_payment(self.ctx.db, self.ctx.actor, structure_id, data, key=key), paid
        )

    def preview_selected_receipt(self) -> PrintPreview | None:
        """The receipt made and drawn on a worker thread; the preview opens when it is ready (returned when the
        call ran inline)."""
        payment = self.selected_payment()
        if payment is None or payment.id is None:
            self.status.setText(
                "Sélectionnez un règlement encaissé dans l'historique pour imprimer son reçu."
            )
            return None
        return self.preview_receipt(payment.id, payment.receipt_number)

    def preview_receipt(
        self, payment_id: int, number: str, parent: QWidget | None = None
    ) -> PrintPreview | None:
        """A payment's receipt made and drawn on a worker thread; the preview opens when it is ready (returned
        when the call ran inline)."""
        from ...services.documents.receipt import receipt_pdf  # reportlab only when printing

        def show(document: Rendered) -> None:
            self.preview = PrintPreview(parent or self, document, f"Reçu {number}", f"recu-{number}.pdf")
            self.preview.open()

        self.preview = None
        self.ctx.ops.run(
            rendered(lambda: receipt_pdf(self.ctx.db, payment_id, self.ctx.actor.name)), show, background=True
        )
        return self.preview

    def reverse_selected(self) -> None:
        payment = self.selected_payment()
        if payment is None or payment.reversed or payment.id is None:
            self.status.setText("Sélectionnez un règlement encaissé dans l'historique pour l'annuler.")
            return
        payment_id = payment.id
        key = new_operation_key()
        dialog = ReasonDialog(
            self,
            "Annuler un règlement",
            f"Annuler le règlement {payment.receipt_number} de {_money(payment.amount_cents)} ? "
            "Une écriture de contrepassation sera enregistrée ; le règlement reste dans l'historique.",
        )
        dialog.submitted.connect(lambda: self._reverse(dialog, payment_id, key))
        self.dialog = dialog
        dialog.open()

    def _reverse(self, dialog: ReasonDialog, payment_id: int, key: str) -> None:
        reason = dialog.value()
        self.ctx.ops.form(
            dialog, lambda: reverse_payment(self.ctx.db, self.ctx.actor, payment_id, reason, key=key)
        )

    def open_adjustment(self) -> None:
        if self.family is None or self.ctx.structure_id is None:
            return
        family_id, structure_id = self.family.id, self.ctx.structure_id
        key = new_operation_key()
        dialog = AdjustmentDialog(self)
        dialog.submitted.connect(lambda: self._adjust(dialog, structure_id, family_id, key))
        self.dialog = dialog
        dialog.open()

    def _adjust(self, dialog: AdjustmentDialog, structure_id: int, family_id: int, key: str) -> None:
        v = dialog.value()
        self.ctx.ops.form(
            dialog,
            lambda: adjust(
                self.ctx.db, self.ctx.actor, structure_id, family_id, v.wallet, v.amount, v.reason, key=key
            ),
        )
