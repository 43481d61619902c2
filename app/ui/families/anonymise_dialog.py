"""« Anonymiser… »: what will be erased, the requests to come cancelled and refunded, the choice for the balance,
and a confirmation that cannot be clicked through by mistake."""

from __future__ import annotations

import html
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDialogButtonBox,
    QLabel,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from ...services.families.forgetting import BALANCE_LABELS, AnonymisationPreview, Anonymised, BalanceChoice
from ...text import count, format_eur
from ..context import CounterContext
from .family_dialog import SavingDialog


class AnonymiseDialog(SavingDialog):
    """``value()`` is the choice for the balance; « Anonymiser » stays greyed until « c'est définitif » is ticked (and
    for good while a wallet is in debit)."""

    def __init__(self, parent: QWidget | None, preview: AnonymisationPreview) -> None:
        super().__init__(parent)
        self.preview = preview
        self.setWindowTitle("Anonymiser une famille")
        self.setMinimumWidth(560)
        title = QLabel(f"<b>Anonymiser la famille {html.escape(preview.name)}</b>")
        erased = QLabel(
            "Seront effacés, sans retour possible :<ul>"
            + "".join(f"<li>{html.escape(line)}</li>" for line in preview.erased)
            + "</ul>"
        )
        erased.setWordWrap(True)
        erased.setTextFormat(Qt.TextFormat.RichText)
        future = QLabel(
            f"{count(preview.future_requests, 'demande à venir sera annulée', 'demandes à venir seront annulées')}"
            + (
                f", {format_eur(preview.future_refund_cents)} remboursés sur le compte"
                if preview.future_refund_cents
                else ""
            )
            + " ; les places libérées vont aux listes d'attente."
            if preview.future_requests
            else "Aucune demande à venir à annuler."
        )
        future.setWordWrap(True)
        self.refund = QRadioButton(
            f"{BALANCE_LABELS[BalanceChoice.REFUND]} ({format_eur(preview.balance_after_cents)}"
            ", par mandat de remboursement)"
        )
        self.keep = QRadioButton(
            f"{BALANCE_LABELS[BalanceChoice.KEEP]} ({format_eur(preview.balance_after_cents)})"
        )
        self.choices = QButtonGroup(self)
        self.choices.addButton(self.refund)
        self.choices.addButton(self.keep)
        self.refund.setChecked(True)
        balance = QLabel("Solde restant :")
        self.debt = QLabel(
            f"Cette famille doit encore {format_eur(preview.debt_cents)} : régularisez ce solde avant de l'anonymiser "
            "(son recouvrement a besoin de son nom)."
        )
        self.debt.setObjectName("alert")
        self.debt.setProperty("severe", True)
        self.debt.setWordWrap(True)
        self.sure = QCheckBox("J'ai lu ce qui sera effacé : c'est définitif.")
        self.buttons.setStandardButtons(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.go = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.go.setText("Anonymiser")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("Abandonner")
        self.go.setEnabled(False)
        self.sure.toggled.connect(lambda on: self.go.setEnabled(on and preview.can_anonymise))
        layout = QVBoxLayout(self)
        for widget in (title, erased, future):
            layout.addWidget(widget)
        if not preview.can_anonymise:
            layout.addWidget(self.debt)
            self.sure.setEnabled(False)
        elif preview.balance_after_cents:
            layout.addWidget(balance)
            layout.addWidget(self.refund)
            layout.addWidget(self.keep)
        layout.addWidget(self.sure)
        layout.addWidget(self.errors)
        layout.addWidget(self.buttons)

    def value(self) -> BalanceChoice:
        return BalanceChoice.KEEP if self.keep.isChecked() else BalanceChoice.REFUND


def ask_anonymise(
    parent: QWidget, ctx: CounterContext, family_id: int, on_done: Callable[[Anonymised, str], object]
) -> AnonymiseDialog | None:
    """The confirmation for ``family_id``, then — « Anonymiser » — the anonymisation through ``ctx.ops`` with a kept
    operation key; ``on_done(result, the family's former name)`` before the screens are read again. None when the
    preview cannot be read."""
    from ...services.families.forgetting import anonymisation_preview, anonymise_family
    from ..keys import kept_keys

    db, actor = ctx.db, ctx.actor
    preview = ctx.ops.run(lambda: anonymisation_preview(db, family_id))
    if preview is None:
        return None
    dialog = AnonymiseDialog(parent, preview)
    keys = kept_keys(ctx)
    operation = ("family.anonymise", actor.agent_id, family_id)

    def done(result: Anonymised) -> None:
        keys.succeeded(operation)
        ctx.family_anonymised.emit(family_id, result.choice.value)
        on_done(result, preview.name)
        kept = (
            f"{format_eur(result.balance_cents)} à rembourser par mandat"
            if result.choice is BalanceChoice.REFUND
            else f"{format_eur(result.balance_cents)} gardés comme avoir non identifié"
        )
        ctx.ops.inform(
            "Famille anonymisée",
            f"La famille {preview.name} est anonymisée : "
            f"{count(result.cancelled, 'demande annulée', 'demandes annulées')}"
            f" ({format_eur(result.refunded_cents)} recrédités), solde : "
            f"{kept if result.balance_cents else 'nul'}.",
        )

    dialog.submitted.connect(
        lambda: ctx.ops.form(
            dialog,
            lambda: anonymise_family(db, actor, family_id, balance=dialog.value(), key=keys.key(operation)),
            done,
        )
    )
    dialog.open()
    return dialog
