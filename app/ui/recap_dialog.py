"""The recap ("Récapitulatif") over the family page: Modifier, Abandonner, Confirmer; then each line's outcome."""

from __future__ import annotations

from enum import IntEnum
from html import escape

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ..services.booking.basket import ConfirmResult, Likely, LineOutcome, OutcomeStatus, Recap, RecapLine
from ..services.booking.rules import short_date
from ..services.errors import OutcomeUnknown
from ..services.money.amounts import format_eur
from .operations import Failure
from .table_model import Column, RowsModel
from .theme import DEBIT
from .widgets import elide_cells

OK_COLOUR, BAD_COLOUR, WAIT_COLOUR = QColor("#1b5e20"), QColor("#b00020"), QColor("#5e35b1")
CANCEL_COLOUR = QColor("#616161")


class RecapResult(IntEnum):
    MODIFY = 0  # back to the calendar, basket kept (also Esc)
    CONFIRMED = 1
    ABANDON = 2


def _likely(line: RecapLine) -> str:
    if not line.ok:
        return "Refusée"
    if line.likely is Likely.WAITLISTED:
        return f"En liste d'attente (rang {line.waitlist_rank} probable)"
    if line.likely is Likely.REFUSED:
        return "Refusée : complet"
    return "Acceptée" + (" (dépassement)" if line.line.overridden else "")


def _table(model: RowsModel) -> QTableView:
    view = QTableView()
    view.setModel(model)
    view.verticalHeader().setVisible(False)
    view.setEditTriggers(QTableView.EditTrigger.NoEditTriggers)
    view.setSelectionMode(QTableView.SelectionMode.NoSelection)
    view.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    elide_cells(view)  # one line a row, a long name cut with « … » and whole in its tooltip
    header = view.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setStretchLastSection(True)
    return view


ROW_HEIGHT = 26


def _fit(view: QTableView, rows: int) -> None:
    """Tall enough for every row (up to 8, then it scrolls), never a cut-off table."""
    view.verticalHeader().setDefaultSectionSize(ROW_HEIGHT)
    height = (
        view.horizontalHeader().sizeHint().height()
        + 2 * view.frameWidth()
        + ROW_HEIGHT * max(1, min(rows, 8))
    )
    view.setFixedHeight(height + 2)


class RecapDialog(QDialog):
    """Shows a Recap and, after Confirmer, each line's outcome. It never calls a service: ``confirm_requested``
    asks the window to confirm (it answers with ``show_outcomes`` or ``show_failure``), ``pay_requested`` to take
    the missing amount (it answers with ``set_recap``).
    """

    confirm_requested = Signal()
    pay_requested = Signal()

    def __init__(self, parent: QWidget, recap: Recap) -> None:
        super().__init__(parent)
        self.recap = recap
        self.confirming = False
        self.result_value = RecapResult.MODIFY
        self.outcomes: ConfirmResult | None = None
        self.setWindowTitle(f"Récapitulatif des demandes – Famille {recap.family_name}")

        check = Column(
            "Contrôle",
            lambda r: "Conforme" if r.ok else r.check.reason,
            colour=lambda r: OK_COLOUR if r.ok else BAD_COLOUR,
            tooltip=lambda r: r.check.reason,
        )
        places = Column(
            "Places", lambda r: "" if r.places_left is None else str(max(0, r.places_left)), right=True
        )
        self.additions = RowsModel(
            [
                Column("Enfant", lambda r: r.child_name),
                Column("Activité", lambda r: r.activity_name),
                Column("Jour", lambda r: short_date(r.line.day)),
                Column("Prix", lambda r: format_eur(r.amount_cents), right=True),
                check,
                places,
                Column(
                    "Prévision",
                    _likely,
                    colour=lambda r: WAIT_COLOUR if r.likely is Likely.WAITLISTED else None,
                ),
            ]
        )
        self.removals = RowsModel(
            [
                Column("Enfant", lambda r: r.child_name),
                Column("Activité", lambda r: r.activity_name),
                Column("Jour", lambda r: short_date(r.line.day)),
                Column("Remboursement", lambda r: format_eur(r.amount_cents), right=True),
                check,
            ]
        )
        self.additions.set_rows(recap.additions)
        self.removals.set_rows(recap.removals)
        self.additions_view, self.removals_view = _table(self.additions), _table(self.removals)
        _fit(self.additions_view, len(recap.additions))
        _fit(self.removals_view, len(recap.removals))

        self.totals = QLabel(self._totals_text())
        self.totals.setTextFormat(Qt.TextFormat.RichText)
        self.missing = QLabel()
        self.missing.setObjectName("alert")
        self.missing.setProperty("severe", True)
        self.missing.setWordWrap(True)
        self.error = QLabel()
        self.error.setObjectName("alert")
        self.error.setProperty("severe", True)
        self.error.setWordWrap(True)
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error.hide()
        self.note = QLabel(
            "Une vérification des places est faite au moment de la confirmation. "
            "Les réservations confirmées restent « Non transmises » jusqu'à la clôture de la journée."
        )
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color:#607d8b;")
        if recap.has_overrides:
            self.note.setText(
                self.note.text() + f"\nDépassement accordé par un superviseur : {recap.override_reason}"
            )

        self.modify = QPushButton("&Modifier")
        self.abandon = QPushButton("A&bandonner")
        self.confirm = QPushButton("&Confirmer")
        self.confirm.setObjectName("primary")
        self.confirm.setToolTip("Enregistrer les demandes (Entrée ou Ctrl+Entrée)")
        self.close_button = QPushButton("&Fermer")
        self.close_button.hide()
        self.pay = QPushButton("&Encaisser…")
        self.pay.setToolTip("Encaisser le montant manquant, puis confirmer")
        buttons = QHBoxLayout()
        buttons.addWidget(self.modify)
        buttons.addWidget(self.abandon)
        buttons.addStretch(1)
        buttons.addWidget(self.pay)
        buttons.addWidget(self.close_button)
        buttons.addWidget(self.confirm)

        self.heading = QLabel(f"<b>Famille {escape(recap.family_name)}</b> – récapitulatif des demandes")
        self.heading.setObjectName("familyTitle")
        self.heading.setWordWrap(True)  # a long family name goes on a second line, never widens the dialog
        self.title_additions = QLabel(f"<b>Réservations demandées</b> ({len(recap.additions)})")
        self.title_removals = QLabel(f"<b>Annulations demandées</b> ({len(recap.removals)})")
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.title_additions)
        layout.addWidget(self.additions_view)
        layout.addWidget(self.title_removals)
        layout.addWidget(self.removals_view)
        for widget, hidden in ((self.title_additions, not recap.additions), (self.additions_view, not recap.additions),
                               (self.title_removals, not recap.removals), (self.removals_view, not recap.removals)):  # fmt: skip
            widget.setHidden(hidden)
        layout.addWidget(self.totals)
        layout.addWidget(self.missing)
        layout.addWidget(self.error)
        layout.addWidget(self.note)
        layout.addSpacing(8)
        layout.addLayout(buttons)

        self.modify.clicked.connect(self._modify)
        self.abandon.clicked.connect(self._abandon)
        self.confirm.clicked.connect(self._confirm)
        self.close_button.clicked.connect(self.accept)
        self.pay.clicked.connect(lambda: self.pay_requested.emit())
        self._show_balance_rule()
        self.resize(940, min(640, self.sizeHint().height()))

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Entrée triggers the default button (Confirmer when allowed); Ctrl+Entrée confirms; Échap = Modifier."""
        ctrl = bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
        if ctrl and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._confirm()
            return
        super().keyPressEvent(event)

    def _totals_text(self) -> str:
        r = self.recap
        after_colour = DEBIT.name() if r.balance_after_cents < 0 else "#000000"
        return (
            f"Total des réservations : <b>{format_eur(r.cost_cents)}</b> &nbsp;·&nbsp; "
            f"Remboursements : <b>{format_eur(r.refunds_cents)}</b> &nbsp;·&nbsp; "
            f"Solde actuel : <b>{format_eur(r.balance_cents)}</b> &nbsp;·&nbsp; "
            f"Solde après : <b style='color:{after_colour}'>{format_eur(r.balance_after_cents)}</b>"
        )

    def set_recap(self, recap: Recap) -> None:
        """Show a fresh recap (e.g. after a payment taken from this dialog): same basket, new figures."""
        self.recap = recap
        self.additions.set_rows(recap.additions)
        self.removals.set_rows(recap.removals)
        self.totals.setText(self._totals_text())
        self._show_balance_rule()

    def _show_balance_rule(self) -> None:
        r = self.recap
        self.pay.setVisible(r.missing_cents > 0)
        if r.missing_cents:
            why = "Compte famille débiteur. " if r.in_debit else ""
            self.missing.setText(
                f"{why}Il manque {format_eur(r.missing_cents)} : la famille doit régler au moins ce montant "
                "avant de confirmer."
            )
            self.missing.show()
        else:
            self.missing.hide()
        self.confirm.setEnabled(r.can_confirm)
        self.confirm.setDefault(r.can_confirm)
        self.modify.setDefault(not r.can_confirm)

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

    def show_confirming(self) -> None:
        """The confirmation runs: every button waits (a second click cannot send it twice)."""
        self.confirming = True
        for button in (self.confirm, self.modify, self.abandon, self.pay):
            button.setEnabled(False)
        self.error.hide()
        self.note.setText("Confirmation en cours…")

    def show_failure(self, failure: Failure) -> None:
        """The confirmation failed: why, and the basket as it was, to confirm again, modify or abandon."""
        self.confirming = False
        for button in (self.modify, self.abandon, self.pay):
            button.setEnabled(True)
        self.error.setText(failure.message)
        self.error.show()
        if isinstance(failure.error, OutcomeUnknown):
            self.note.setText("Cliquez de nouveau sur Confirmer quand le serveur répond : les demandes ne seront "
                              "pas enregistrées deux fois et leur résultat s'affichera.")  # fmt: skip
        else:
            self.note.setText("Les demandes en cours sont conservées : vous pouvez confirmer de nouveau, modifier "
                              "ou abandonner.")  # fmt: skip
        self._show_balance_rule()
        self._grow()

    def _grow(self) -> None:
        """Tall enough for what is now shown (a message appeared): the tables are never squeezed."""
        layout = self.layout()
        assert layout is not None, "the dialog is built with its layout"
        layout.activate()
        self.resize(self.width(), max(self.height(), self.sizeHint().height()))

    def show_outcomes(self, result: ConfirmResult) -> None:
        """After Confirmer: each line's outcome stays on screen until the agent closes the dialog."""
        self.confirming = False
        self.outcomes = result
        self.result_value = RecapResult.CONFIRMED
        self.error.hide()
        self.setWindowTitle(f"Demandes enregistrées – Famille {self.recap.family_name}")
        self.heading.setText(f"<b>Famille {escape(self.recap.family_name)}</b> – résultat des demandes")

        def colour(o: LineOutcome) -> QColor:
            return {
                OutcomeStatus.ACCEPTED: OK_COLOUR,
                OutcomeStatus.CANCELLED: CANCEL_COLOUR,
                OutcomeStatus.WAITLISTED: WAIT_COLOUR,
            }.get(o.status, BAD_COLOUR)

        def amount(o: LineOutcome) -> str:
            if not o.amount_cents:
                return ""
            if o.status is OutcomeStatus.CANCELLED:
                return f"+{format_eur(o.amount_cents)} remboursés"
            return format_eur(o.amount_cents) if o.status is OutcomeStatus.ACCEPTED else ""

        def transmission(o: LineOutcome) -> str:
            return "Non transmise" if o.reservation_id is not None else ""

        outcome_model = RowsModel(
            [
                Column("Enfant", lambda o: o.child_name),
                Column("Activité", lambda o: o.activity_name),
                Column("Jour", lambda o: short_date(o.line.day)),
                Column("Demande", lambda o: "Réservation" if o.line.action.value == "add" else "Annulation"),
                Column("Montant", amount, right=True),
                Column("Résultat", lambda o: o.label, colour=colour),
                Column("Transmission", transmission),
            ]
        )
        outcome_model.set_rows(result.outcomes)
        self.outcome_model = outcome_model
        self.additions_view.setModel(outcome_model)
        _fit(self.additions_view, len(result.outcomes))
        self.additions_view.show()
        for widget in (
            self.title_additions,
            self.title_removals,
            self.removals_view,
            self.missing,
            self.pay,
            self.modify,
            self.abandon,
            self.confirm,
        ):
            widget.hide()
        self.totals.setText(f"Solde après confirmation : <b>{format_eur(result.balance_after_cents)}</b>")
        self.note.setText("Les réservations restent « Non transmises » jusqu'à la clôture de la journée.")
        self.close_button.show()
        self.close_button.setDefault(True)
        self.close_button.setFocus()
