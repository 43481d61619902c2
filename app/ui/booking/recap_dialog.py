"""The recap ("Récapitulatif") over the family page: Modifier, Abandonner, Encaisser, Confirmer; then each line's
outcome with the next steps (Imprimer la fiche, Reçu).

Money as DESIGN §2.3 says: the waitlisted lines' estimate is a sub-total of its own (debited only if a place
frees), counted by the balance rule but not in the "solde après", so that the recap's "solde après" is the
outcome's when nothing changed meanwhile. Prices show the aids deducted.
"""

from __future__ import annotations

from enum import IntEnum
from html import escape

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor, QGuiApplication, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ...services.booking.basket import (
    WAITLIST_MEANING,
    Action,
    ConfirmResult,
    Likely,
    LineOutcome,
    OutcomeStatus,
    Recap,
    RecapLine,
    Total,
)
from ...services.booking.rules import short_date
from ...services.bounds import Reason
from ...services.errors import OutcomeUnknown
from ...services.money.amounts import format_eur
from ...services.money.payments import Receipt
from ...text import count
from ..operations import Failure
from ..table_model import Column, RowsModel
from ..theme import DEBIT
from ..widgets import bound, elide_cells, keyed

OK_COLOUR, BAD_COLOUR, WAIT_COLOUR = QColor("#1b5e20"), QColor("#b00020"), QColor("#5e35b1")
CANCEL_COLOUR = QColor("#616161")


def _totals_html(totals: list[Total]) -> str:
    """The service's totals (``Recap.totals``, ``ConfirmResult.totals``: the portal shows the same), on two lines."""
    lines: dict[int, list[str]] = {}
    for t in totals:
        bold = f"<b style='color:{DEBIT.name()}'>" if t.debit else "<b>"
        text = f"{t.label} : {bold}{format_eur(t.cents)}</b>"
        if t.note:
            text += f" <i>({t.note})</i>"
        lines.setdefault(t.line, []).append(text)
    return "<br>".join(" &nbsp;·&nbsp; ".join(parts) for _n, parts in sorted(lines.items()))


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


def _price(line: RecapLine) -> str:
    return line.price.explained() if line.price is not None else format_eur(line.amount_cents)


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


def _fit(view: QTableView, rows: int, room: int) -> None:
    """Tall enough for every row up to ``room`` rows (then it scrolls), never a cut-off table."""
    view.verticalHeader().setDefaultSectionSize(ROW_HEIGHT)
    height = (
        view.horizontalHeader().sizeHint().height()
        + 2 * view.frameWidth()
        + ROW_HEIGHT * max(1, min(rows, room))
    )
    view.setFixedHeight(height + 2)


def _sorted(lines: list[RecapLine]) -> list[RecapLine]:
    """By child, activity and day: a sibling's lines together."""
    return sorted(lines, key=lambda r: (r.child_name, r.activity_name, r.line.day))


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
                Column(
                    "Prix", _price, right=True, tooltip=lambda r: "Prix du jour moins les aides de la famille"
                ),
                check,
                places,
                Column(
                    "Prévision",
                    _likely,
                    colour=lambda r: WAIT_COLOUR if r.likely is Likely.WAITLISTED else None,
                    tooltip=lambda r: WAITLIST_MEANING.capitalize() if r.likely is Likely.WAITLISTED else "",
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
        self.additions_view, self.removals_view = _table(self.additions), _table(self.removals)
        if can_override:  # a supervisor picks the lines to pass over (all of them when none is picked)
            self.additions_view.setSelectionMode(QTableView.SelectionMode.ExtendedSelection)
            self.additions_view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
            self.additions_view.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

        self.totals = QLabel()
        self.totals.setTextFormat(Qt.TextFormat.RichText)
        self.totals.setWordWrap(True)
        self.missing = QLabel()
        self.missing.setObjectName("alert")
        self.missing.setTextFormat(
            Qt.TextFormat.PlainText
        )  # a service's message holds names: text, never markup
        self.missing.setProperty("severe", True)
        self.missing.setWordWrap(True)
        self.paid = QLabel()
        self.paid.setObjectName("paid")
        self.paid.setStyleSheet("color:#1b5e20; font-weight:bold;")
        self.paid.hide()
        self.error = QLabel()
        self.error.setObjectName("alert")
        self.error.setTextFormat(
            Qt.TextFormat.PlainText
        )  # a service's message holds names: text, never markup
        self.error.setProperty("severe", True)
        self.error.setWordWrap(True)
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
        the active window); Entrée is the default button's; Échap = Modifier."""
        ctrl = bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
        if ctrl and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._confirm()
            return
        super().keyPressEvent(event)

    def maximum_height(self) -> int:
        return available_height() - 40

    # --- the recap ---------------------------------------------------------------------------------------
    def set_recap(self, recap: Recap) -> None:
        """Show a (fresh) recap: the first one, or after a payment or an override, same basket, new figures."""
        self.recap = recap
        self.additions.set_rows(_sorted(recap.additions))
        self.removals.set_rows(_sorted(recap.removals))
        self.title_additions.setText(f"<b>Réservations demandées</b> ({len(recap.additions)})")
        self.title_removals.setText(f"<b>Annulations demandées</b> ({len(recap.removals)})")
        _fit(self.additions_view, len(recap.additions), self.room)
        _fit(self.removals_view, len(recap.removals), self.room)
        for widget, hidden in (
            (self.title_additions, not recap.additions),
            (self.additions_view, not recap.additions),
            (self.title_removals, not recap.removals),
            (self.removals_view, not recap.removals),
        ):
            widget.setHidden(hidden)
        self.totals.setText(self._totals_text())
        note = (
            "Une vérification des places est faite au moment de la confirmation. Les réservations confirmées "
            "restent « Non transmises » jusqu'à la clôture de la journée."
        )
        if recap.has_overrides:
            note += f"\nDépassement accordé par un régisseur : {recap.override_reason}"
        self.note.setText(note)
        overridable = [r for r in recap.additions + recap.removals if r.overridable]
        self.override_bar.setVisible(self.can_override and bool(overridable))
        self._show_balance_rule()
        self._grow()

    def _totals_text(self) -> str:
        return _totals_html(self.recap.totals())

    def _show_balance_rule(self) -> None:
        r = self.recap
        self.pay.setVisible(r.missing_cents > 0)
        if r.missing_cents:
            why = "Compte famille débiteur. " if r.in_debit else ""
            text = (
                f"{why}Il manque {format_eur(r.missing_cents)} : la famille doit régler au moins ce montant "
                "avant de confirmer"
            )
            if r.waitlist_cents:
                text += " (la liste d'attente compte : elle sera débitée si une place se libère)"
            self.missing.setText(text + ".")
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
        self.paid.setText(
            f"Règlement de {format_eur(receipt.amount_cents)} encaissé : reçu n° {receipt.number}. "
            f"Nouveau solde : {format_eur(receipt.balance_after_cents)}."
        )
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
        if isinstance(failure.error, OutcomeUnknown):
            self.note.setText(
                "Cliquez de nouveau sur Confirmer quand le serveur répond : les demandes ne seront "
                "pas enregistrées deux fois et leur résultat s'affichera."
            )
        else:
            self.note.setText(
                "Les demandes en cours sont conservées : vous pouvez confirmer de nouveau, modifier "
                "ou abandonner."
            )
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
            if o.status is OutcomeStatus.WAITLISTED:
                return f"{format_eur(o.amount_cents)} si une place se libère"
            return format_eur(o.amount_cents) if o.status is OutcomeStatus.ACCEPTED else ""

        def transmission(o: LineOutcome) -> str:
            return "Non transmise" if o.reservation_id is not None else ""

        outcome_model = RowsModel(
            [
                Column("Enfant", lambda o: o.child_name),
                Column("Activité", lambda o: o.activity_name),
                Column("Jour", lambda o: short_date(o.line.day)),
                Column("Demande", lambda o: "Réservation" if o.line.action is Action.ADD else "Annulation"),
                Column("Montant", amount, right=True),
                Column("Résultat", lambda o: o.label, colour=colour),
                Column("Transmission", transmission),
            ]
        )
        outcome_model.set_rows(
            sorted(result.outcomes, key=lambda o: (o.child_name, o.activity_name, o.line.day))
        )
        self.outcome_model = outcome_model
        self.additions_view.setModel(outcome_model)
        self.additions_view.setSelectionMode(QTableView.SelectionMode.NoSelection)
        _fit(self.additions_view, len(result.outcomes), self.room)
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
        tally = {status: sum(1 for o in result.outcomes if o.status is status) for status in OutcomeStatus}
        parts = [
            count(tally[OutcomeStatus.ACCEPTED], "acceptée"),
            f"{tally[OutcomeStatus.WAITLISTED]} en liste d'attente",
            count(tally[OutcomeStatus.REFUSED] + tally[OutcomeStatus.NOT_CANCELLED], "refusée"),
            count(tally[OutcomeStatus.CANCELLED], "annulée"),
        ]
        self.title_additions.setText(
            "<b>Résultat</b> : " + ", ".join(p for p in parts if not p.startswith("0 "))
        )
        self.title_additions.show()
        text = _totals_html(result.totals())
        self.totals.setText(text)
        self.note.setText("Les réservations restent « Non transmises » jusqu'à la clôture de la journée.")
        self.sheet.show()
        self.receipt.setVisible(bool(self.receipts))
        self.close_button.show()
        self.close_button.setDefault(True)
        self.close_button.setFocus()
        self._grow()
