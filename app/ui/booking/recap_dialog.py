"""The recap ("Récapitulatif") over the family page: Modifier, Abandonner, Encaisser, Confirmer; then each line's
outcome with the next steps (Imprimer la fiche, Reçu).

Money: the waitlisted lines' estimate is a sub-total of its own (debited only if a place frees), counted by the
balance rule (the family pays before its days are booked) but not in the "solde après", so that the recap's
"solde après" is the outcome's when nothing changed meanwhile. Prices show the aids deducted.

Its parts: the tables (``recap_tables``), the words (``recap_texts``), the outcome's table (``recap_outcome``).
"""

from __future__ import annotations

from enum import IntEnum
from html import escape

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ...services.booking.basket import ConfirmResult, Recap
from ...services.bounds import Reason
from ...services.money.payments import Receipt
from ..operations import Failure
from ..widgets import bound, keyed
from .recap_outcome import outcome_model, outcome_title
from .recap_tables import (
    ROW_HEIGHT,
    additions_model,
    by_child,
    fit_rows,
    recap_table,
    removals_model,
)
from .recap_texts import failure_note, missing_text, payment_text, recap_note, totals_html


class RecapResult(IntEnum):
    MODIFY = 0  # back to the calendar, basket kept (also Esc)
    CONFIRMED = 1
    ABANDON = 2


AROUND_TABLES = 330
"""The recap's height besides its tables' rows (titles, totals, notes, buttons, the window's frame)."""


def available_height() -> int:
    """The screen's height less its task bar (768 − 40 on the counters' 1366×768 screens)."""
    screen = QGuiApplication.primaryScreen()
    return screen.availableGeometry().height() if screen is not None else 728


def rows_that_fit() -> int:
    """How many table rows the screen has room for (never fewer than 8): a basket of 10 days for two children
    shows whole on a 768-pixel-high screen, without a scroll bar."""
    return max(8, (available_height() - AROUND_TABLES) // ROW_HEIGHT)


def _alert() -> QLabel:
    """A severe message (money missing, a failure): plain text, a service's message holds names, never markup."""
    label = QLabel()
    label.setObjectName("alert")
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setProperty("severe", True)
    label.setWordWrap(True)
    return label


class RecapDialog(QDialog):
    """Shows a Recap and, after Confirmer, each line's outcome. It never calls a service: ``confirm_requested``
    asks the window to confirm (it answers with ``show_outcomes`` or ``show_failure``), ``pay_requested`` to take
    the missing amount (``note_payment`` then ``set_recap``), ``override_requested(lines, reason)`` a
    supervisor's override of refused lines (``set_recap``), ``sheet_requested`` and ``receipt_requested`` the
    documents after the outcome.
    """

    confirm_requested = Signal()
    pay_requested = Signal()
    override_requested = Signal(object, str)
    sheet_requested = Signal()
    receipt_requested = Signal(object)
    next_family_requested = Signal(str)
    """After the outcome, Échap or a letter typed: the next family's search (with what was typed)."""

    def __init__(self, parent: QWidget, recap: Recap, *, can_override: bool = False) -> None:
        super().__init__(parent)
        self.recap = recap
        self.can_override = can_override
        self.confirming = False
        self.result_value = RecapResult.MODIFY
        self.outcomes: ConfirmResult | None = None
        self.receipts: list[Receipt] = []
        """Payments taken from this recap (the outcome offers their receipt)."""
        self.room = rows_that_fit()
        self.setWindowTitle(f"Récapitulatif des demandes – Famille {recap.family_name}")

        self.additions, self.removals = additions_model(), removals_model()
        self.additions_view, self.removals_view = recap_table(self.additions), recap_table(self.removals)
        if can_override:  # a supervisor picks the lines to pass over (all of them when none is picked)
            self.additions_view.setSelectionMode(QTableView.SelectionMode.ExtendedSelection)
            self.additions_view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
            self.additions_view.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

        self.totals = QLabel()
        self.totals.setTextFormat(Qt.TextFormat.RichText)
        self.totals.setWordWrap(True)
        self.missing = _alert()
        self.paid = QLabel()
        self.paid.setObjectName("paid")
        self.paid.setStyleSheet("color:#1b5e20; font-weight:bold;")
        self.paid.hide()
        self.error = _alert()
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error.hide()
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color:#607d8b;")

        self.override_reason = bound(QLineEdit(), Reason)
        self.override_reason.setPlaceholderText("Motif du dépassement (obligatoire)")
        self.override = keyed(
            QPushButton("Accorder le &dépassement"),
            "Régisseur : accepter les lignes refusées (délai, complet) sélectionnées, ou toutes, "
            "avec un motif enregistré au journal",
        )
        self.override_bar = QWidget()
        override_layout = QHBoxLayout(self.override_bar)
        override_layout.setContentsMargins(0, 0, 0, 0)
        override_layout.addWidget(QLabel("Dépassement :"))
        override_layout.addWidget(self.override_reason, 1)
        override_layout.addWidget(self.override)

        self.modify = keyed(QPushButton("&Modifier"), "Revenir au calendrier, demandes gardées (Échap)")
        self.abandon = keyed(QPushButton("A&bandonner"), "Abandonner les demandes en cours")
        self.confirm = QPushButton("&Confirmer")
        self.confirm.setObjectName("primary")
        self.confirm.setToolTip("Enregistrer les demandes (Alt+C, Entrée ou Ctrl+Entrée)")
        self.pay = keyed(QPushButton("&Encaisser…"), "Encaisser le montant manquant, puis confirmer")
        self.sheet = keyed(
            QPushButton("&Imprimer la fiche…"), "Imprimer la fiche de réservations de la famille"
        )
        self.receipt = keyed(QPushButton("&Reçu"), "Le reçu du règlement encaissé")
        self.close_button = keyed(QPushButton("&Fermer"), "Revenir à la famille (Entrée)")
        for button in (
            self.modify,
            self.abandon,
            self.pay,
            self.sheet,
            self.receipt,
            self.close_button,
            self.override,
            self.confirm,
        ):
            button.setAutoDefault(False)  # Entrée = the default button chosen below, whatever has the focus
        for button in (self.sheet, self.receipt, self.close_button):
            button.hide()
        buttons = QHBoxLayout()
        buttons.addWidget(self.modify)
        buttons.addWidget(self.abandon)
        buttons.addStretch(1)
        for button in (self.pay, self.sheet, self.receipt, self.close_button, self.confirm):
            buttons.addWidget(button)

        self.heading = QLabel(f"<b>Famille {escape(recap.family_name)}</b> – récapitulatif des demandes")
        self.heading.setObjectName("familyTitle")
        self.heading.setWordWrap(True)  # a long family name goes on a second line, never widens the dialog
        self.title_additions = QLabel()
        self.title_removals = QLabel()
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.title_additions)
        layout.addWidget(self.additions_view)
        layout.addWidget(self.title_removals)
        layout.addWidget(self.removals_view)
        layout.addWidget(self.totals)
        layout.addWidget(self.missing)
        layout.addWidget(self.paid)
        layout.addWidget(self.override_bar)
        layout.addWidget(self.error)
        layout.addWidget(self.note)
        layout.addSpacing(8)
        layout.addLayout(buttons)

        self.modify.clicked.connect(self._modify)
        self.abandon.clicked.connect(self._abandon)
        self.confirm.clicked.connect(self._confirm)
        self.close_button.clicked.connect(self.accept)
        self.pay.clicked.connect(lambda: self.pay_requested.emit())
        self.override.clicked.connect(self._override)
        self.sheet.clicked.connect(lambda: self.sheet_requested.emit())
        self.receipt.clicked.connect(lambda: self.receipt_requested.emit(self.receipts[-1]))
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(keys), self, self._confirm)
        self.set_recap(recap)
        self.resize(980, min(self.maximum_height(), self.sizeHint().height()))

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Ctrl+Entrée confirms whatever has the focus (also when the shortcut map does not see the dialog as
        the active window); Entrée is the default button's; Échap = Modifier. After the outcome, Échap or a letter
        goes on to the next family's search."""
        ctrl = bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
        if ctrl and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._confirm()
            return
        if self.result_value is RecapResult.CONFIRMED and not self.confirming:
            typed = event.text()
            plain = not event.modifiers() & ~Qt.KeyboardModifier.ShiftModifier
            if event.key() == Qt.Key.Key_Escape or (plain and typed.isprintable() and typed.strip()):
                # the next family: the outcome closes, the search takes the letter typed (no action lost)
                self.accept()
                self.next_family_requested.emit("" if event.key() == Qt.Key.Key_Escape else typed)
                return
        super().keyPressEvent(event)

    def maximum_height(self) -> int:
        return available_height() - 40

    # --- the recap ---------------------------------------------------------------------------------------
    def set_recap(self, recap: Recap) -> None:
        """Show a (fresh) recap: the first one, or after a payment or an override, same basket, new figures."""
        self.recap = recap
        self.additions.set_rows(by_child(recap.additions))
        self.removals.set_rows(by_child(recap.removals))
        self.title_additions.setText(f"<b>Réservations demandées</b> ({len(recap.additions)})")
        self.title_removals.setText(f"<b>Annulations demandées</b> ({len(recap.removals)})")
        fit_rows(self.additions_view, len(recap.additions), self.room)
        fit_rows(self.removals_view, len(recap.removals), self.room)
        for widget, hidden in (
            (self.title_additions, not recap.additions),
            (self.additions_view, not recap.additions),
            (self.title_removals, not recap.removals),
            (self.removals_view, not recap.removals),
        ):
            widget.setHidden(hidden)
        self.totals.setText(self._totals_text())
        self.note.setText(recap_note(recap))
        overridable = [r for r in recap.additions + recap.removals if r.overridable]
        self.override_bar.setVisible(self.can_override and bool(overridable))
        self._show_balance_rule()
        self._grow()

    def _totals_text(self) -> str:
        return totals_html(self.recap.totals())

    def _show_balance_rule(self) -> None:
        r = self.recap
        self.pay.setVisible(r.missing_cents > 0)
        if r.missing_cents:
            self.missing.setText(missing_text(r))
            self.missing.show()
        else:
            self.missing.hide()
        self.confirm.setEnabled(r.can_confirm)
        default = self._default_button()
        for button in (self.confirm, self.pay, self.modify):
            button.setDefault(button is default)
        default.setFocus()

    # --- the agent's answers -----------------------------------------------------------------------------
    def _modify(self) -> None:
        self.result_value = RecapResult.MODIFY
        self.reject()

    def _abandon(self) -> None:
        self.result_value = RecapResult.ABANDON
        self.reject()

    def reject(self) -> None:
        """Échap, Modifier, Abandonner: not while a confirmation runs (its outcome must be seen)."""
        if self.confirming:
            return
        super().reject()

    def _confirm(self) -> None:
        if self.confirming or not self.confirm.isEnabled() or not self.confirm.isVisible():
            return
        self.show_confirming()
        self.confirm_requested.emit()

    def _override(self) -> None:
        """The supervisor's override: the lines selected (or every line that can be passed over) and the reason;
        the window makes a new recap with them."""
        reason = self.override_reason.text().strip()
        if not reason:
            self.error.setText("Le motif du dépassement est obligatoire (il est enregistré au journal).")
            self.error.show()
            self.override_reason.setFocus()
            self._grow()
            return
        rows = self.additions.rows
        picked = sorted({i.row() for i in self.additions_view.selectionModel().selectedRows()})
        chosen = [rows[i] for i in picked if rows[i].overridable] or [
            r for r in self.recap.additions + self.recap.removals if r.overridable
        ]
        self.error.hide()
        self.override_requested.emit(chosen, reason)

    def note_payment(self, receipt: Receipt) -> None:
        """A payment was taken from this recap: said here (no message box), its receipt offered after the
        confirmation."""
        self.receipts.append(receipt)
        self.paid.setText(payment_text(receipt))
        self.paid.show()
        QTimer.singleShot(0, self._come_back)  # once the payment dialog has closed

    def _come_back(self) -> None:
        """The recap is the active window again, its default button focused: Entrée confirms."""
        self.raise_()
        self.activateWindow()
        default = self._default_button()
        if default.isEnabled():
            default.setFocus()

    def _default_button(self) -> QPushButton:
        """Entrée's button for the recap shown: Confirmer when allowed, else Encaisser when money is missing,
        else Modifier."""
        r = self.recap
        return self.confirm if r.can_confirm else self.pay if r.missing_cents else self.modify

    def show_confirming(self) -> None:
        """The confirmation runs: every button waits (a second click cannot send it twice)."""
        self.confirming = True
        for button in (self.confirm, self.modify, self.abandon, self.pay, self.override):
            button.setEnabled(False)
        self.error.hide()
        self.note.setText("Confirmation en cours…")

    def show_failure(self, failure: Failure) -> None:
        """The confirmation failed: why, and the basket as it was, to confirm again, modify or abandon."""
        self.confirming = False
        for button in (self.modify, self.abandon, self.pay, self.override):
            button.setEnabled(True)
        self.error.setText(failure.message)
        self.error.show()
        self.note.setText(failure_note(failure))
        self._show_balance_rule()
        self._grow()

    def _grow(self) -> None:
        """Tall enough for what is now shown (a message appeared): the tables are never squeezed."""
        layout = self.layout()
        assert layout is not None, "the dialog is built with its layout"
        layout.activate()
        wanted = min(self.maximum_height(), max(self.height(), self.sizeHint().height()))
        if self.isVisible():
            self.resize(self.width(), wanted)

    # --- the outcome -------------------------------------------------------------------------------------
    def show_outcomes(self, result: ConfirmResult) -> None:
        """After Confirmer: each line's outcome stays on screen until the agent closes the dialog; the next steps
        (the family's sheet, the receipt of a payment taken here) are one click or one key away."""
        self.confirming = False
        self.outcomes = result
        self.result_value = RecapResult.CONFIRMED
        self.error.hide()
        self.setWindowTitle(f"Demandes enregistrées – Famille {self.recap.family_name}")
        self.heading.setText(f"<b>Famille {escape(self.recap.family_name)}</b> – résultat des demandes")

        self.outcome_model = outcome_model(result)
        self.additions_view.setModel(self.outcome_model)
        self.additions_view.setSelectionMode(QTableView.SelectionMode.NoSelection)
        fit_rows(self.additions_view, len(result.outcomes), self.room)
        self.additions_view.show()
        for widget in (
            self.title_removals,
            self.removals_view,
            self.missing,
            self.pay,
            self.modify,
            self.abandon,
            self.confirm,
            self.override_bar,
        ):
            widget.hide()
        self.title_additions.setText(outcome_title(result))
        self.title_additions.show()
        text = totals_html(result.totals())
        self.totals.setText(text)
        self.note.setText("Les réservations restent « Non transmises » jusqu'à la clôture de la journée.")
        self.sheet.show()
        self.receipt.setVisible(bool(self.receipts))
        self.close_button.show()
        self.close_button.setDefault(True)
        self.close_button.setFocus()
        self._grow()
